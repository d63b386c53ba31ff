"""Protocols: the format, the draw they define, and ``granskning ny PROTOKOLL --ram RAM``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.audit import protocol, protocol_run
from granskning.cli import cli
from granskning.demo import exempel
from granskning.errors import InputError
from granskning.sampling import design as sampling
from granskning.sampling.precision import attribute_sample_size


def write(tmp_path, text: str, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
titel: Test
checklista: forhandsbedomning-0-12
ram:
  id: arende_id
  strata: stadsdel
  filter: "beslut == 'Ingen utredning inleds' and alder <= 12"
urval:
  per_stratum: 26
  seed: 2024
"""


def test_bundled_protocols_load_and_name_only_questions_their_checklists_have():
    names = {p.stem for p in protocol.bundled()}
    assert {"forhandsbedomningar-2024", "oppenvard-2024", "internkontroll-familjehem-2025"} <= names
    for path in protocol.bundled():
        p = protocol.load(path)
        protocol.check_against_checklist(p)
    spring = protocol.load("forhandsbedomningar-2024")
    assert (spring.per_stratum, spring.seed, spring.report["diarienummer"]) == (26, 2024, "SOF 2024/791")
    autumn = protocol.load("oppenvard-2024")
    assert autumn.strata == ("stadsdel", "kon") and autumn.per_stratum == 6 and autumn.estimate is False


def test_spring_protocol_draws_26_per_district_as_granskning_urval_does(tmp_path):
    # DOMAIN.md §1.1: 26 per district × 11 districts = 286.
    result = protocol_run.draw(protocol.load("forhandsbedomningar-2024"), exempel.export_path())
    assert result.sample.n == 286
    assert {s["n"] for s in result.sample.record["strata"]} == {26}
    # The same cases as `granskning urval RAM --protokoll P` (one stratum column: the ordinary path).
    out = tmp_path / "urval.xlsx"
    r = CliRunner().invoke(cli, ["urval", str(exempel.export_path()), "--protokoll",
                                 str(protocol.resolve("forhandsbedomningar-2024")), "--ut", str(out)])
    assert r.exit_code == 0, r.output
    _rec, cases, reserves, _ = sampling.stored_sample(out)
    assert set(cases["arende_id"]) == set(result.sample.cases["arende_id"])
    assert set(reserves["arende_id"]) == set(result.sample.reserves["arende_id"])


def test_fingerprint_depends_on_the_draw_only(tmp_path):
    proto = protocol.load("forhandsbedomningar-2024")
    a = protocol_run.draw(proto, exempel.export_path())
    # The frame in another row order gives the same draw and the same fingerprint.
    lines = exempel.export_path().read_bytes().decode("cp1252").splitlines()
    shuffled = write(tmp_path, "\n".join([lines[0], *reversed(lines[1:])]) + "\n", "ram.csv")
    b = protocol_run.draw(proto, shuffled)
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    other = protocol.loads(proto.text.replace("seed: 2024", "seed: 2025"))
    assert protocol_run.draw(other, exempel.export_path()).fingerprint != a.fingerprint
    assert protocol_run.show_fingerprint(a.fingerprint) == " ".join(
        a.fingerprint[i:i + 4] for i in (0, 4, 8, 12))


def test_target_margin_gives_cochran_n(tmp_path):
    # One stratum, N = 3 272 after the filter; 5 % margin at 95 %: n0 = 384.16,
    # n = n0 / (1 + (n0 − 1)/N) = 343.9 → 344 (Raosoft calculator: 344 for N = 3272).
    text = BASE.replace("  strata: stadsdel\n", "").replace("per_stratum: 26", "felmarginal: 0.05")
    result = protocol_run.draw(protocol.loads(text), exempel.export_path())
    assert result.sample.record["N_totalt"] == 3272
    assert result.sample.n == 344


def _open_care_frame(tmp_path):
    rows = ["arende_id;stadsdel;kon;alder;startdatum;slutdatum;handlaggare"]
    k = 0
    for d in ("Hässelby-Vällingby", "Kungsholmen", "Skarpnäck", "Farsta"):
        for sex in ("flicka", "pojke"):
            for i in range(40):
                k += 1
                end = "" if i % 3 else "2024-06-30"
                rows.append(f"OV-{k:04d};{d};{sex};{i % 15};2023-0{1 + i % 9}-01;{end};H{i % 4}")
    return write(tmp_path, "\n".join(rows) + "\n", "oppenvard.csv")


def test_open_care_protocol_stratifies_by_sex_within_district(tmp_path):
    # DOMAIN.md §1.2: 12 per district × 3, half girls and half boys in each district (18/18).
    result = protocol_run.draw(protocol.load("oppenvard-2024"), _open_care_frame(tmp_path))
    cases = result.sample.cases
    assert len(cases) == 36
    assert cases.groupby(["stadsdel", "kon"]).size().tolist() == [6] * 6
    assert (cases["kon"] == "flicka").sum() == 18
    assert set(cases["stadsdel"]) == {"Hässelby-Vällingby", "Kungsholmen", "Skarpnäck"}
    assert (cases["alder"].astype(int) <= 12).all()
    assert set(cases["stadsdel × kon"]) >= {"Kungsholmen | flicka", "Skarpnäck | pojke"}


def test_internal_control_n_is_the_largest_attribute_sample(tmp_path):
    rows = ["placering_id;placeringsform;avslutad;kon;alder;handlaggare"]
    for i in range(90):
        form = "Familjehem" if i % 5 else "Jourhem"
        rows.append(f"P-{i:03d};{form};{'2024-01-01' if i % 10 == 0 else ''};"
                    f"{'flicka' if i % 2 else 'pojke'};{i % 18};H{i % 6}")
    frame = write(tmp_path, "\n".join(rows) + "\n", "placeringar.csv")
    proto = protocol.load("internkontroll-familjehem-2025")
    result = protocol_run.draw(proto, frame)
    N = 81  # 90 placements, 9 ended
    assert result.sample.record["N_totalt"] == N
    expected = {c.id: attribute_sample_size(c.tolerable, expected=c.expected, risk=c.risk, population=N).n
                for c in proto.controls}
    assert {k: v.n for k, v in result.controls.items()} == expected
    assert result.sample.n == max(expected.values())
    assert [c["n"] for c in result.sample.record["kontroller"]] == list(expected.values())


def test_internal_control_sizes_match_aicpa_for_a_large_unit():
    # AICPA Audit Sampling, Table A-2 (10 % risk): tolerable 10 %, expected 0 % -> n = 22;
    # tolerable 20 %, expected 5 % -> n = 18 (1 deviation).  A unit of 100 000 files
    # is close enough to the binomial tables.
    text = """\
titel: IK
slag: internkontroll
checklista: egenkontroll-sosfs-2012-11
ram: {id: x}
urval: {seed: 1}
kontroller:
  - {id: A, titel: A, fraga: E3, tolerabel: 0.10, risk: 0.10}
  - {id: B, titel: B, fraga: E4, tolerabel: 0.20, forvantad: 0.05, risk: 0.10}
"""
    sizes = protocol_run.control_sizes(protocol.loads(text), 100_000)
    assert sizes["A"].n == 22 and sizes["A"].allowed_deviations == 0
    assert sizes["B"].n == 18 and sizes["B"].allowed_deviations == 1


@pytest.mark.parametrize("change, words", [
    (("titel: Test\n", "titel: Test\nokand: 1\n"), "okänd nyckel: okand"),
    (("  seed: 2024\n", ""), "urval.seed"),
    (("  per_stratum: 26\n", "  per_stratum: 26\n  totalt: 100\n"), "bara ett av"),
    (("  per_stratum: 26\n", "  per_stratum: 0\n"), "urval.per_stratum"),
    (("  per_stratum: 26\n", "  per_stratum: 26\n  fordelning: slump\n"), "urval.fordelning"),
    (("titel: Test\n", "titel: Test\nslag: revision\n"), "slag"),
    (("urval:", "analys: {tabeller: [F99]}\nurval:"), "F99"),
    (("urval:", "analys: {jamstalldhet: {benamning: äldre}}\nurval:"), "analys.jamstalldhet.benamning"),
])
def test_bad_protocols_are_refused_with_the_file_and_key(tmp_path, change, words):
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(InputError) as err:
        protocol.check_against_checklist(protocol.load(path))
    assert words in err.value.message and "p.yaml" in err.value.message


def test_ny_protocol_creates_the_audit_and_the_fingerprint_can_be_checked(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "init", "--db", db]).exit_code == 0
    r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", str(exempel.export_path()),
                            "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)
    assert (made["granskning"], made["ärenden"], made["reserver"]) == (1, 286, 33)
    check = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", str(exempel.export_path()),
                                "--kontrollera-urval"])
    assert check.exit_code == 0, check.output
    assert made["fingeravtryck"] in check.stdout
    from granskning.store.database import Store

    with Store.open(db) as store:
        audit = store.audit(1)
        cases = store.cases(1)
    assert audit.sample_record["fingeravtryck"] == made["fingeravtryck"]
    assert protocol_run.protocol_of(audit).title.startswith("Kvalitetsgranskning av förhandsbedömningar")
    sampled = [c for c in cases if not c.reserve]
    assert len(sampled) == 286 and all(c.sex in ("flicka", "pojke") and c.age <= 12 for c in sampled)
    assert all(c.case_worker for c in sampled)
    assert sum(c.design_weight for c in sampled) == pytest.approx(3272)  # Σ N_h/n_h · n_h = N


def test_ny_protocol_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024"])
    assert r.exit_code == 2 and "--ram" in r.stderr
    r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", str(exempel.export_path()),
                            "--titel", "X", "--kontrollera-urval"])
    assert r.exit_code == 2 and "--titel" in r.stderr
    r = runner.invoke(cli, ["ny", "finns-inte", "--ram", str(exempel.export_path())])
    assert r.exit_code == 2 and "forhandsbedomningar-2024" in r.stderr
    r = runner.invoke(cli, ["urval", str(exempel.export_path()), "--protokoll",
                            str(protocol.resolve("oppenvard-2024"))])
    assert r.exit_code == 2 and "granskning ny PROTOKOLL" in r.stderr


def test_ny_protocol_writes_the_coordinators_sample_workbook(tmp_path):
    from granskning.sampling.design import verify

    db = f"sqlite:///{tmp_path / 'g.db'}"
    out = tmp_path / "urval.xlsx"
    assert CliRunner().invoke(cli, ["db", "init", "--db", db]).exit_code == 0
    r = CliRunner().invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", str(exempel.export_path()),
                                 "--db", db, "--urval-ut", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["urvalsarbetsbok"] == str(out)
    v = verify(out, exempel.export_path())  # the workbook re-derives from the frame
    assert v.identical and v.n == 286
    bad = CliRunner().invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", str(exempel.export_path()),
                                   "--db", db, "--urval-ut", str(tmp_path / "u.docx")])
    assert bad.exit_code == 2 and "okänt filformat" in bad.stderr


@pytest.mark.parametrize(("text", "words"), [
    ("titel: [Test\n", "listan inom [ ] är inte avslutad"),
    ("titel: !!python/object/apply:os.system ['true']\n", "YAML-taggen"),
    ("a: &x [1]\nb: *x\n", "ankare"),
    ("titel: " + "[" * 5000 + "\n", "för djup nästling"),
    ("titel: a: b\n", "kolon på fel ställe"),
])
def test_broken_protocol_yaml_is_refused_in_swedish_with_the_line(tmp_path, text, words):
    # Protocols are read with the checklists' safe reader: no tags, no anchors, no deep
    # nesting, and never the YAML library's English wording (which changes between releases).
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        protocol.load(path)
    assert words in err.value.message and "p.yaml, rad " in err.value.message
    assert "found" not in err.value.message and "expected" not in err.value.message


def test_protocol_names_the_sexes_and_leaves_the_bands_to_the_data_when_silent(tmp_path):
    # Issue 9, item 7: an adult audit says kvinnor/män; without aldersgrupper the bands follow the data.
    plain = protocol.load(write(tmp_path, BASE))
    assert plain.age_bands is None and plain.sex_words is None
    adult = protocol.load(write(tmp_path, BASE.replace("urval:", "analys: {jamstalldhet: {benamning: vuxna}}\nurval:")))
    assert adult.sex_words == "vuxna"
    assert protocol.load("forhandsbedomningar-2024").age_bands == ((0, 3), (4, 6), (7, 9), (10, 12))
