"""One way to open an audit (granskning.audit.opened): every command sees the same checklist and design."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.audit import protocol_run
from granskning.audit.opened import open_audit
from granskning.checklist import load
from granskning.cli import cli
from granskning.errors import InputError

DISTRICTS = ("Hässelby-Vällingby", "Kungsholmen", "Skarpnäck")


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def _open_care_frame(tmp_path):
    rows = ["arende_id;stadsdel;kon;alder;startdatum;slutdatum;handlaggare"]
    k = 0
    for d in (*DISTRICTS, "Farsta"):
        for sex in ("flicka", "pojke"):
            for i in range(40):
                k += 1
                end = "" if i % 3 else "2024-06-30"
                rows.append(f"OV-{k:04d};{d};{sex};{i % 13};2023-0{1 + i % 9}-01;{end};H{i % 4}")
    path = tmp_path / "oppenvard.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def open_care(store, db_url, tmp_path):
    """The bundled autumn-2024 protocol (district × sex, skattning: false) with answers to O4 and O13."""
    audit_id, _ = protocol_run.create_from_protocol(store, "oppenvard-2024", _open_care_frame(tmp_path),
                                                    created_by="test", key=b"k" * 32)
    cases = [c for c in store.cases(audit_id) if not c.reserve]
    changes = []
    for i, c in enumerate(cases):
        changes += [(c.case_id, "O4", "Ja" if i % 3 else "Nej"), (c.case_id, "O13", "Ja" if i % 4 else "Nej")]
    store.set_answers(audit_id, changes, who="test")
    return audit_id


def test_analys_and_rapport_give_the_same_strata_and_no_population_estimate(open_care, db_url, tmp_path):
    # Before: analys --granskning showed the 6 district × sex strata and a design-based estimate,
    # rapport the 3 districts and none (the protocol says skattning: false).
    from openpyxl import load_workbook

    r = run("analys", "--granskning", open_care, "--db", db_url, "--json", "--ut", tmp_path / "analys.xlsx")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["strata"] == list(DISTRICTS)
    assert result["strata_kolumn"] == "stadsdel"
    assert result["aldersgrupper"] == ["0–3 år", "4–6 år", "7–12 år"]  # the protocol's bands
    for qid in ("O4", "O13"):
        assert result["indikatorer"][qid]["skattning"] is None
        assert set(result["indikatorer"][qid]["per_stratum"]) == set(DISTRICTS)
    assert any("skattning: false" in w for w in result["varningar"])

    text = run("analys", "--granskning", open_care, "--db", db_url)
    assert text.exit_code == 0, text.output
    assert "Designbaserad" not in text.stdout and "designbaserad skattning" in text.stdout
    assert " | flicka" not in text.stdout and " | pojke" not in text.stdout

    r = run("rapport", "--granskning", open_care, "--db", db_url, "--ut", tmp_path / "rapport.xlsx")
    assert r.exit_code == 0, r.output
    report = load_workbook(tmp_path / "rapport.xlsx")
    sheet = report[next(s for s in report.sheetnames if s.startswith("O4 "))]
    rows = [row for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]
    header = next(row for row in rows if row[1] == DISTRICTS[0])
    assert list(header[1:5]) == [*DISTRICTS, "Total"]
    by_category = {row[0]: list(row[1:5]) for row in rows if row[0] in ("Ja", "Nej", "Total")}
    from_analys = {row["kategori"]: [row["antal"][c] for c in (*DISTRICTS, "Total")]
                   for row in result["tabeller"]["O4"]}
    assert by_category == from_analys
    # The workbook of analys has the districts as its strata too, and no estimate sheet rows.
    mine = load_workbook(tmp_path / "analys.xlsx")
    rows = list(mine["Indikatorer"].iter_rows(values_only=True))
    col = rows[0].index("Stratum")
    assert {r[col] for r in rows[1:] if r[col] != "Total"} == set(DISTRICTS)
    assert len([r for r in mine["Skattningar"].iter_rows(values_only=True) if any(r)]) <= 1


def test_the_opened_audit_states_its_design(open_care, store):
    opened = open_audit(store, open_care)
    assert opened.protocol is not None and opened.protocol.strata == ("stadsdel", "kon")
    assert opened.estimate is False and opened.population_sizes() is None
    frame, unanswered = opened.frame(store)
    assert sorted(frame["stratum"].unique()) == sorted(DISTRICTS) and unanswered == 0
    assert opened.checklist.id == "oppenvard-0-12"


def _changed_checklist_audit(store) -> int:
    """An audit whose stored checklist hash is not today's bundled file (it was changed since)."""
    chk = load("forhandsbedomning-0-12")
    audit_id = store.create_audit("T", "granskning", chk.id, "0.9", "0" * 64, None, {}, "test")
    store.add_cases(audit_id, [{"case_id": "A1", "stratum": "Bromma", "draw_order": 1}])
    store.set_answers(audit_id, [("A1", "F7", "Ja")], who="test")
    return audit_id


@pytest.mark.parametrize("command", [
    ["analys", "--granskning", "{id}"],
    ["analys", "--granskning", "{id}", "--json"],
    ["rapport", "--granskning", "{id}", "--ut", "{tmp}/r.pdf"],
    ["svar", "exportera", "--granskning", "{id}", "--ut", "{tmp}/svar.xlsx"],
    ["kontroll", "--granskning", "{id}"],
])
def test_every_command_refuses_a_changed_checklist_alike(store, db_url, tmp_path, command):
    # Before: kontroll and svar refused, analys warned and went on, rapport used today's file silently.
    audit_id = _changed_checklist_audit(store)
    args = [a.format(id=audit_id, tmp=tmp_path) for a in command]
    r = run(*args, "--db", db_url)
    assert r.exit_code == 2, r.output
    assert "har ändrats sedan granskning" in r.stderr and "version 0.9 då" in r.stderr
    assert "Traceback" not in r.output
    assert not list(tmp_path.glob("r.pdf")) and not list(tmp_path.glob("svar.xlsx"))


def test_the_original_checklist_file_opens_the_audit(store, db_url, tmp_path):
    # The rule's way out: the file the audit was created with, given with --checklista.
    from granskning.checklist.model import resolve

    original = tmp_path / "min-checklista.yaml"
    original.write_bytes(resolve("forhandsbedomning-0-12").read_bytes() + b"# lokal kommentar\n")
    chk = load(original)
    audit_id = store.create_audit("T", "granskning", chk.id, chk.version, chk.sha256, None, {}, "test")
    store.add_cases(audit_id, [{"case_id": "A1", "stratum": "Bromma", "draw_order": 1}])
    store.set_answers(audit_id, [("A1", "F7", "Ja")], who="test")
    refused = run("rapport", "--granskning", audit_id, "--ut", tmp_path / "r.xlsx", "--db", db_url)
    assert refused.exit_code == 2 and "har ändrats sedan" in refused.stderr
    for args in (["analys", "--granskning", audit_id, "--checklista", original, "--json"],
                 ["rapport", "--granskning", audit_id, "--ut", tmp_path / "r.xlsx", "--checklista", original]):
        r = run(*args, "--db", db_url)
        assert r.exit_code == 0, r.output
    with pytest.raises(InputError, match='använder checklistan "forhandsbedomning-0-12"'):
        open_audit(store, audit_id, "oppenvard-0-12")


def test_internal_control_refuses_a_changed_checklist(store):
    from granskning.audit import internal_control

    chk = load("delaktighetsenkat")
    survey = store.create_audit("Enkät", "internkontroll", chk.id, "0.1", "f" * 64, None, None, "test")
    with pytest.raises(InputError, match="har ändrats sedan granskning"):
        internal_control.survey_results(store, survey)


def test_combined_strata_with_an_estimate_claim_get_none_in_analys_and_rapport(store, db_url, tmp_path):
    # A protocol stratified on district × sex that does not disclaim an estimate: the tables are
    # by district, and the weights belong to district × sex, so neither command makes (or the
    # report claims) a population estimate; both say why.
    import pypdf

    from granskning.audit import protocol

    text = protocol.resolve("oppenvard-2024").read_text(encoding="utf-8").replace("  skattning: false\n", "")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    audit_id, _ = protocol_run.create_from_protocol(store, path, _open_care_frame(tmp_path),
                                                    created_by="test", key=b"k" * 32)
    cases = [c for c in store.cases(audit_id) if not c.reserve]
    store.set_answers(audit_id, [(c.case_id, "O4", "Ja" if i % 3 else "Nej") for i, c in enumerate(cases)],
                      who="test")
    r = run("analys", "--granskning", audit_id, "--db", db_url, "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["strata"] == list(DISTRICTS) and result["indikatorer"]["O4"]["skattning"] is None
    assert any("stratifierat på stadsdel × kon" in w for w in result["varningar"])
    r = run("rapport", "--granskning", audit_id, "--db", db_url, "--ut", tmp_path / "r.pdf")
    assert r.exit_code == 0, r.output
    pdf = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "r.pdf").pages).split())
    assert "felmarginal om cirka" not in pdf and "gör inte anspråk på att skatta hela populationen" in pdf
    assert "stratifierat på stadsdel × kon" in pdf


def test_an_audit_made_with_an_earlier_bundled_checklist_opens_with_that_version(store, db_url, tmp_path):
    # forhandsbedomning-0-12 2024.1 was bundled until F17's counted category changed (2024.2).
    # An audit answered under 2024.1 opens with 2024.1 (the tool keeps it), in every command.
    from granskning.answers.session import Session
    from granskning.audit.opened import earlier_bundled
    from granskning.resources import directory

    old = load(directory("checklists") / "tidigare" / "forhandsbedomning-0-12-2024.1.yaml")
    # SHA-256 of the file as bundled at commit 4cf4795 (git show 4cf4795:granskning/data/checklists/…).
    assert old.sha256 == "4f9a1e09959b2ea170592e603951400903eb2ad7e6dbe6fbb9c6d5338c7a2bfb"
    assert (old.id, old.version) == ("forhandsbedomning-0-12", "2024.1")
    assert load("forhandsbedomning-0-12").sha256 != old.sha256
    assert earlier_bundled("forhandsbedomning-0-12", "0" * 64) is None
    audit_id = store.create_audit("Vår 2024", "granskning", old.id, old.version, old.sha256, None, {}, "test")
    store.add_cases(audit_id, [{"case_id": "A1", "stratum": "Bromma", "draw_order": 1}])
    store.set_answers(audit_id, [("A1", "F7", "Ja")], who="test")
    assert open_audit(store, audit_id).checklist.sha256 == old.sha256
    assert Session.open(store, audit_id, "Anna").checklist.version == "2024.1"
    r = run("analys", "--granskning", audit_id, "--db", db_url, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["checklista"] == {"id": "forhandsbedomning-0-12", "version": "2024.1"}
    r = run("rapport", "--granskning", audit_id, "--db", db_url, "--ut", tmp_path / "r.xlsx")
    assert r.exit_code == 0, r.output
    # Today's bundled file given explicitly is not the audit's: refused, both versions named.
    r = run("analys", "--granskning", audit_id, "--db", db_url, "--checklista", "forhandsbedomning-0-12")
    assert r.exit_code == 2 and "version 2024.1 då, 2024.2 nu" in r.stderr
    assert "Utelämna --checklista" in r.stderr


def test_earlier_bundled_checklists_are_named_by_id_and_version():
    from granskning.checklist.model import bundled
    from granskning.resources import directory

    ids = {p.stem for p in bundled()}
    files = sorted((directory("checklists") / "tidigare").glob("*.yaml"))
    assert files
    for path in files:
        chk = load(path)
        assert chk.id in ids and path.name == f"{chk.id}-{chk.version}.yaml"
        assert chk.sha256 != load(chk.id).sha256  # an earlier version, not today's
    assert "tidigare" not in {p.stem for p in bundled()}  # not listed as a checklist of its own
