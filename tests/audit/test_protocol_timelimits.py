"""A protocol's ``tidsgranser``: parsed, measured over the whole frame at ``ny``, stored in the
record, and shown in the report beside the sample's judgement (issue 11, item 6)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.audit import protocol, protocol_run
from granskning.cli import cli
from granskning.demo import answers as demo_answers
from granskning.demo import exempel
from granskning.errors import InputError
from granskning.store.database import Store

BASE = """\
titel: Test
checklista: forhandsbedomning-0-12
ram:
  id: arende_id
  strata: stadsdel
  filter: "beslut == 'Ingen utredning inleds' and alder <= 12"
urval:
  per_stratum: 5
  seed: 2024
"""

LIMITS = """\
tidsgranser:
  - namn: Beslut inom 14 dagar
    fran: inkom_datum
    till: beslut_datum
    dagar: 14
    fraga: F4
  - fran: inkom_datum
    till: beslut_datum
    dagar: 7
    strata: ""
    filter: "kon == 'flicka'"
"""


def test_limits_measured_over_the_population_as_tidsgrans_does():
    proto = protocol.loads(BASE + LIMITS)
    assert [t.limit.dagar for t in proto.time_limits] == [14, 7]
    record = protocol_run.draw(proto, exempel.export_path()).sample.record
    first, second = record["tidsgranser"]
    # the same figures as the command on the same population
    r = CliRunner().invoke(cli, ["tidsgrans", str(exempel.export_path()), "--fran", "inkom_datum", "--till",
                                 "beslut_datum", "--dagar", "14", "--strata", "stadsdel", "--filter",
                                 "beslut == 'Ingen utredning inleds' and alder <= 12", "--json"])
    assert r.exit_code == 0, r.output
    cli_doc = json.loads(r.stdout)
    assert first["totalt"] == cli_doc["totalt"] and first["per_stratum"] == cli_doc["per_stratum"]
    assert first["fraga"] == "F4" and first["namn"] == "Beslut inom 14 dagar"
    assert first["totalt"]["antal"] == record["N_totalt"] == 3272  # the population the sample is drawn from
    assert sum(s["antal"] for s in first["per_stratum"].values()) == 3272
    # the second: no breakdown, the protocol's filter and its own
    assert second["per_stratum"] == {} and second["strata"] is None
    assert second["filter"] == "(beslut == 'Ingen utredning inleds' and alder <= 12) and (kon == 'flicka')"
    assert second["totalt"]["antal"] < 3272


def test_bundled_spring_protocol_asks_for_the_14_day_limit():
    spring = protocol.load("forhandsbedomningar-2024")
    (limit,) = spring.time_limits
    assert (limit.limit.fran, limit.limit.till, limit.limit.dagar, limit.question) == (
        "inkom_datum", "beslut_datum", 14, "F4")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("tidsgranser: 14\n", '"tidsgranser" ska vara en lista'),
        ("tidsgranser:\n  - fran: a\n    till: b\n", '"tidsgranser[1].dagar" ska vara ett heltal'),
        ("tidsgranser:\n  - fran: a\n    till: b\n    dagar: -3\n", '"tidsgranser[1].dagar"'),
        ("tidsgranser:\n  - fran: a\n    dagar: 3\n", 'nyckeln "tidsgranser[1].till" saknas'),
        ("tidsgranser:\n  - fran: a\n    till: a\n    dagar: 3\n", "samma kolumn"),
        ("tidsgranser:\n  - fran: a\n    till: b\n    dagar: 3\n    grans: 4\n", 'okänd nyckel i "tidsgranser[1]": grans'),
    ],
)
def test_bad_limits_refused_with_file_and_key(tmp_path, text, words):
    path = tmp_path / "p.yaml"
    path.write_text(BASE + text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        protocol.load(path)
    assert words in str(err.value) and "p.yaml" in str(err.value)


def test_unknown_question_and_missing_column_refused(tmp_path):
    proto = protocol.loads(BASE + LIMITS.replace("fraga: F4", "fraga: F99"), source="p.yaml")
    with pytest.raises(InputError, match='"tidsgranser.fraga" nämner frågan F99'):
        protocol.check_against_checklist(proto)
    proto = protocol.loads(BASE + LIMITS.replace("till: beslut_datum\n    dagar: 14", "till: beslutsdatum\n    dagar: 14"))
    with pytest.raises(InputError) as err:
        protocol_run.draw(proto, exempel.export_path())
    assert 'kolumn "beslutsdatum": kolumnen finns inte' in str(err.value)
    assert 'Menade du "beslut_datum"?' in str(err.value)


@pytest.fixture(scope="module")
def audit_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("tidsgrans")
    url = f"sqlite:///{d / 'g.db'}"
    with Store.open(url, create=True) as store:
        store.init()
        audit_id, drawn = protocol_run.create_from_protocol(store, "forhandsbedomningar-2024",
                                                            exempel.export_path(), created_by="test")
        cases = store.cases_frame(audit_id)
        answers = demo_answers.preassessment_answers(
            demo_answers.with_frame(cases[~cases["reserve"]], exempel.export_path()))
        store.set_answers(audit_id, list(demo_answers.changes(answers)), who="test")
        stored = store.audit(audit_id).sample_record
    return url, d, drawn, stored


def test_record_in_the_database_holds_the_register_figures(audit_db):
    _url, _d, drawn, stored = audit_db
    assert stored["tidsgranser"] == drawn.sample.record["tidsgranser"]
    t = stored["tidsgranser"][0]["totalt"]
    # the bundled example export: 2 583 of 3 272 pre-assessments decided within 14 days
    assert (t["inom"], t["bedomda"], t["saknar_datum"]) == (2583, 3272, 0)


def _report_json(url, path, *extra):
    r = CliRunner().invoke(cli, ["rapport", "--granskning", "1", "--ut", str(path), "--db", url, *extra])
    assert r.exit_code == 0, r.output
    return json.loads(path.read_text(encoding="utf-8"))


def test_report_shows_register_beside_sample(audit_db, tmp_path):
    url, _d, _drawn, stored = audit_db
    doc = _report_json(url, tmp_path / "r.json")
    (table,) = [t for t in doc["tabeller"] if t["titel"] == "Beslut inom 14 dagar"]
    assert table["kolumner"] == ["stadsdel", "Ärenden", "Bedömda", "Inom 14 dagar", "Andel inom",
                                 "Median dagar", "Saknar datum", "Urvalet: andel"]
    total = table["rader"][-1]
    assert total[:4] == ["Totalt", 3272, 3272, 2583]
    assert total[4] == pytest.approx(2583 / 3272)
    # the sample column is the analysis' F4 share in the audited cases (26 per district)
    bromma = next(r for r in table["rader"] if r[0] == "Bromma")
    per = stored["tidsgranser"][0]["per_stratum"]["Bromma"]
    assert bromma[1:4] == [per["antal"], per["bedomda"], per["inom"]]
    assert 0 <= bromma[7] <= 1
    assert not table["maskerade"]


def test_report_pdf_summary_sentence(audit_db, tmp_path):
    from pypdf import PdfReader

    url, _d, _drawn, _stored = audit_db
    path = tmp_path / "r.pdf"
    r = CliRunner().invoke(cli, ["rapport", "--granskning", "1", "--ut", str(path), "--db", url])
    assert r.exit_code == 0, r.output
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert ("Beslut inom 14 dagar – Registret: 78,9 % inom 14 dagar (2 583 av 3 272 ärenden, hela "
            "populationen). De granskade ärendena (fråga F4) – andel Inom 14 dagar: 222 av 286 (77,6 %).") in text
    assert "Tidsgränser i registret" in text


def test_masked_report_protects_small_register_counts(audit_db, tmp_path):
    url, _d, _drawn, stored = audit_db
    per = stored["tidsgranser"][0]["per_stratum"]
    small = {name for name, f in per.items() if 0 < f["over"] < 50}
    # the bundled export: four districts have fewer than 50 decisions over 14 days
    assert small == {"Farsta", "Kungsholmen", "Skarpnäck", "Skärholmen"}
    doc = _report_json(url, tmp_path / "m.json", "--maskera-under", "50")
    (table,) = [t for t in doc["tabeller"] if t["titel"] == "Beslut inom 14 dagar"]
    hidden = {table["rader"][i][0] for i, _j in table["maskerade"]}
    assert small <= hidden
    for row in table["rader"]:
        if row[0] in hidden:
            assert row[3] is None and row[4] is None  # within and share withheld
        else:
            assert row[3] is not None and row[2] - row[3] not in range(1, 50)
    total = table["rader"][-1]
    assert total[3] == 2583  # the total is not sensitive


def test_ny_prints_the_register_sentence_and_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    assert CliRunner().invoke(cli, ["db", "init", "--db", url]).exit_code == 0
    args = ["ny", "forhandsbedomningar-2024", "--ram", str(exempel.export_path()), "--db", url,
            "--kontrollera-urval"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert ("Registret (Beslut inom 14 dagar): 78,9 % av förhandsbedömningarna (2 583 av 3 272) hade högst 14 dagar "
            "från inkom_datum till beslut_datum.") in r.stdout
    j = CliRunner().invoke(cli, [*args, "--json"])
    assert j.exit_code == 0, j.output
    (limit,) = json.loads(j.stdout)["tidsgranser"]
    assert (limit["totalt"]["inom"], limit["totalt"]["bedomda"], limit["fraga"]) == (2583, 3272, "F4")


def test_register_figures_round_trip_in_sqlite_and_postgresql(db_url):
    proto = protocol.loads(BASE + LIMITS)
    with Store.open(db_url, create=True) as store:
        store.init()
        audit_id, drawn = protocol_run.create_from_protocol(store, proto, exempel.export_path(),
                                                            created_by="test")
        stored = store.audit(audit_id).sample_record
    assert stored["tidsgranser"] == drawn.sample.record["tidsgranser"]
    assert [lim["dagar"] for lim in stored["tidsgranser"]] == [14, 7]


def test_internal_control_summary_shows_the_register(tmp_path):
    import pandas as pd

    from granskning.demo import run as demo
    from granskning.report import internkontroll

    placements = demo.placement_list(tmp_path / "placeringar.csv")
    table = pd.read_csv(placements, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    start = pd.to_datetime(table["startdatum"])
    # the child's first conversation after placement: 3, 10, 14 or 20 days, one placement without
    days = pd.Series([3, 10, 14, 20] * (len(table) // 4 + 1))[: len(table)].to_numpy()
    table["forsta_samtal"] = (start + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
    table.loc[1, "forsta_samtal"] = ""
    table.to_csv(placements, sep=";", index=False, encoding="utf-8")
    text = demo.IK_PROTOCOL.read_text(encoding="utf-8") + (
        "tidsgranser:\n  - namn: Barnsamtal inom 2 veckor\n    benamning: placeringarna\n"
        "    fran: startdatum\n    till: forsta_samtal\n    dagar: 14\n")
    proto = protocol.loads(text, source="ik.yaml")
    population = table.query("placeringsform in ['Familjehem', 'Jourhem'] and avslutad == ''")
    judged = population[population["forsta_samtal"] != ""]
    within = (pd.to_datetime(judged["forsta_samtal"]) - pd.to_datetime(judged["startdatum"])).dt.days <= 14
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with Store.open(url, create=True) as store:
        store.init()
        ik_id, _ = protocol_run.create_from_protocol(store, proto, placements, created_by="t")
        doc, _summary = internkontroll.build(store, ik_id)
    want = (f"Registret (Barnsamtal inom 2 veckor): {round(100 * within.mean(), 1):.1f} % av placeringarna "
            f"({int(within.sum())} av {len(judged)}) hade högst 14 dagar från startdatum till forsta_samtal")
    texts = [b.text for b in doc.summary if hasattr(b, "text")]
    assert any(t.replace(".", ",", 1).startswith(want.replace(".", ",", 1)) for t in texts), texts
    (table_block,) = [t for t in doc.tables() if t.title == "Barnsamtal inom 2 veckor"]
    assert table_block.rows[-1][3] == int(within.sum())
