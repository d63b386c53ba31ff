"""The bundled example data and `granskning demo`."""

from __future__ import annotations

from click.testing import CliRunner

from granskning import exempel
from granskning.cli import cli
from granskning.sampling import read_record


def test_bundled_export_is_exactly_what_the_generator_writes(tmp_path):
    fresh = exempel.make_export(tmp_path / "x.csv")
    assert fresh.read_bytes() == exempel.export_path().read_bytes()


def test_bundled_export_has_no_personnummer():
    import re

    text = exempel.export_path().read_bytes().decode("cp1252")
    assert not re.search(r"\b(19|20)?\d{6}[-+]?\d{4}\b", text)


def test_demo_draws_26_per_district_and_verifies(tmp_path):
    r = CliRunner().invoke(cli, ["demo", "--ut", str(tmp_path)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "±5,8 procentenheter" in r.stdout  # 1.96·sqrt(0.25/286), DOMAIN.md §1.1
    assert "±19,2 procentenheter" in r.stdout  # n = 26
    assert "återskapas exakt" in r.stdout
    rec = read_record(tmp_path / "urval.xlsx")
    assert rec["n_totalt"] == 286 and len(rec["strata"]) == 11
    assert {s["n"] for s in rec["strata"]} == {26}


def test_demo_runs_the_whole_chain(tmp_path):
    import pypdf
    from openpyxl import load_workbook

    from granskning.sampling import stored_sample
    from granskning.store import Store

    r = CliRunner().invoke(cli, ["demo", "--ut", str(tmp_path)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    for name in ("granskningsrapport.pdf", "tabeller.xlsx", "internkontroll.pdf", "internkontroll.xlsx",
                 "urval.xlsx", "granskning.db"):
        assert (tmp_path / name).is_file(), name
        assert str(tmp_path / name) in r.stdout  # the demo says where everything is
    assert "klart på" in r.stdout  # progress for the slow steps
    # The audit in the database is the same draw as the workbook's.
    _rec, cases, _res, _ = stored_sample(tmp_path / "urval.xlsx")
    with Store.open(f"sqlite:///{tmp_path / 'granskning.db'}") as store:
        stored = {c.case_id for c in store.cases(1) if not c.reserve}
        assert [a.kind for a in store.audits()] == ["granskning", "internkontroll", "internkontroll"]
    from granskning import pseudonym  # the database holds pseudonyms made with the demo's key

    key = pseudonym.key_file(tmp_path / "nyckel")
    assert stored == {pseudonym.case(key, c) for c in cases["arende_id"]}
    # Table 1 of SEED-004 (DOMAIN.md §2.1), Total row: 26 per district, 286.
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "granskningsrapport.pdf").pages)
    assert "Fysiskt möte 7 10 11 6 10 15 6 9 12 24 20 130" in " ".join(text.split())
    wb = load_workbook(tmp_path / "tabeller.xlsx")
    f7 = wb[next(s for s in wb.sheetnames if s.startswith("F7 "))]
    row = next(r for r in f7.iter_rows(values_only=True) if r[0] == "Ja")
    assert list(row[1:]) == [4, 3, 4, 5, 5, 8, 2, 4, 2, 10, 5, 52]  # Table 2, DOMAIN.md §2.2
    assert "Uppfylls" in r.stdout and "Enkät" in r.stdout


def test_demo_answers_reproduce_the_stated_totals(tmp_path):
    # SEED-004 text: 16 reports of violence against the child (11 vague, 5 concrete), police
    # report considered in 1; 24 of intimate-partner violence (6 very vague, 18 concrete in ten
    # districts); notification meeting in 11 of 87; 103 reports of deficient care.
    import pandas as pd

    from granskning import demo_answers
    from granskning.checklist import load

    rows = [{"case_id": f"C{d}-{i}", "stratum": district, "sex": "flicka" if i % 2 else "pojke",
             "age": i % 13, "draw_order": i + 1}
            for d, district in enumerate(demo_answers.DISTRICTS) for i in range(26)]
    answers = demo_answers.preassessment_answers(pd.DataFrame(rows))
    demo_answers.check(answers, load("forhandsbedomning-0-12"))
    values = pd.DataFrame.from_dict(answers, orient="index")
    values["stratum"] = [r["stratum"] for r in rows]
    assert values["F13"].value_counts().to_dict() == {"Nej": 270, "Ja – diffusa uppgifter": 11,
                                                      "Ja – konkreta uppgifter": 5}
    assert (values["F14"] == "Ja").sum() == 1
    concrete = values[values["F15"] == "Ja – konkreta uppgifter"]
    assert len(concrete) == 18 and concrete["stratum"].nunique() == 10
    assert (values["F15"] == "Ja – mycket diffusa uppgifter").sum() == 6
    assert values["F6"].value_counts().to_dict() == {"Nej": 76, "Ja": 11}
    assert sum("Oro för bristande omsorg" in v for v in values["F2"]) == 103
    assert (values["F11"] == "Ja").sum() == 106  # "cirka 37 procent": 106/286 = 37,1 %
    assert (values["F17"] != "Ingen kvarstående oro").sum() == 57  # "cirka 20 procent": 19,9 %
    assert values.groupby("stratum")["F17"].apply(lambda s: (s != "Ingen kvarstående oro").sum()).min() >= 1
    assert (values["F5_hembesok"] == "Nej").all()  # no home visits
