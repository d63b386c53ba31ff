"""The bundled example data and `granskning demo`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from granskning.cli import cli
from granskning.demo import exempel
from granskning.sampling.design import read_record


def test_bundled_export_is_exactly_what_the_generator_writes(tmp_path):
    fresh = exempel.make_export(tmp_path / "x.csv")
    assert fresh.read_bytes() == exempel.export_path().read_bytes()


def test_bundled_export_has_no_personnummer():
    import re

    text = exempel.export_path().read_bytes().decode("cp1252")
    assert not re.search(r"\b(19|20)?\d{6}[-+]?\d{4}\b", text)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One run of `granskning demo` (result, output directory) for the tests that read its files."""
    out = tmp_path_factory.mktemp("demo")
    return CliRunner().invoke(cli, ["demo", "--ut", str(out)], catch_exceptions=False), out


def test_demo_draws_26_per_district_and_verifies(demo_run):
    r, tmp_path = demo_run
    assert r.exit_code == 0, r.output
    assert "±5,8 procentenheter" in r.stdout  # 1.96·sqrt(0.25/286), DOMAIN.md §1.1
    assert "±19,2 procentenheter" in r.stdout  # n = 26
    assert "återskapas exakt" in r.stdout
    rec = read_record(tmp_path / "urval.xlsx")
    assert rec["n_totalt"] == 286 and len(rec["strata"]) == 11
    assert {s["n"] for s in rec["strata"]} == {26}


def test_demo_runs_the_whole_chain(demo_run):
    import pypdf
    from openpyxl import load_workbook

    from granskning.sampling.design import stored_sample
    from granskning.store.database import Store

    r, tmp_path = demo_run
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
        # The control day and the survey are runs of the bundled plan's IKD and ENK.
        assert [(c, i) for c, _, i in store.plan_runs("ikp-familjehem-2026")] == [("IKD", 2), ("ENK", 3)]
    from granskning.audit import pseudonym  # the database holds pseudonyms made with the demo's key

    key = pseudonym.key_file(tmp_path / "nyckel")
    assert stored == {pseudonym.case(key, c) for c in cases["arende_id"]}
    # Table 1 of SEED-004 (DOMAIN.md §2.1), Total row: 26 per district, 286.
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "granskningsrapport.pdf").pages)
    assert "Fysiskt möte 7 10 11 6 10 15 6 9 12 24 20 130" in " ".join(text.split())
    # Remaining concern in "cirka 20 procent" of the cases (SEED-004, DOMAIN.md §1.1): the report
    # counts the cases WITH concern and says so (issue 9, item 1); never "229 av 286 (80,1 %)".
    assert "andel kvarstående oro: 57 av 286 (19,9 %" in " ".join(text.split())
    assert "229 av 286" not in " ".join(text.split())
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

    from granskning.checklist import load
    from granskning.demo import answers as demo_answers

    rows = [{"case_id": f"C{d}-{i}", "stratum": district, "sex": "flicka" if i % 2 else "pojke",
             "age": 4 + i % 9, "draw_order": i + 1, "days": 1 + i}
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


def test_demo_answers_agree_with_their_frame_and_the_checklist(demo_run):
    # Before: the demo said 247 of 286 decided within 14 days while the frame's own dates give
    # 177, and 40 children aged 0–3 were "Nej" (not heard) although "Barnet kan inte" covers
    # every child under four (checklist F7, DOMAIN.md §5).  Recompute every answer the frame
    # decides, for all 286 cases of the demo's own database, and compare.
    import pandas as pd

    from granskning.analysis.inputs import audit_frame
    from granskning.audit import pseudonym
    from granskning.demo.answers import TABLE_F5, TABLE_F7
    from granskning.store.database import Store

    r, out = demo_run
    assert r.exit_code == 0, r.output
    key = pseudonym.key_file(out / "nyckel")
    frame = pd.read_csv(exempel.export_path(), sep=";", encoding="cp1252", dtype=str)
    frame["case_id"] = [pseudonym.case(key, c) for c in frame["arende_id"]]
    with Store.open(f"sqlite:///{out / 'granskning.db'}") as store:
        answers, unanswered = audit_frame(store, 1)
    assert len(answers) == 286 and unanswered == 0
    both = answers.merge(frame, on="case_id", how="left", validate="one_to_one")
    assert both["arende_id"].notna().all()
    days = (pd.to_datetime(both["beslut_datum"]) - pd.to_datetime(both["inkom_datum"])).dt.days
    assert (both["F4_dagar"].astype(int) == days).all()
    within = days <= 14  # 11 kap. 1 a § SoL: decided within fourteen days of the report
    assert (both["F4"] == within.map({True: "Inom 14 dagar", False: "Över 14 dagar"})).all()
    assert (both["F4__motivering"].notna() == ~within).all()
    # The stored sex, age and district are the frame's.
    assert (both["age"].astype(int) == both["alder"].astype(int)).all()
    assert (both["sex"] == both["kon"]).all() and (both["stratum"] == both["stadsdel"]).all()
    young = both["age"].astype(int) < 4
    assert young.sum() > 0 and (both.loc[young, "F7"] == "Barnet kan inte").all()
    assert not ((both["F7"] == "Nej") & young).any()
    # And the published tables still hold (Table 1 and 2 of SEED-004, DOMAIN.md §2.1–2.2).
    for table, qid in ((TABLE_F5, "F5"), (TABLE_F7, "F7")):
        counts = both.groupby("stratum")[qid].value_counts().unstack(fill_value=0)
        for category, per_district in table.items():
            got = [int(counts.at[d, category]) if category in counts.columns else 0 for d in exempel.DISTRICTS]
            assert got == list(per_district), (qid, category)


def test_the_frame_fits_the_published_hindrances():
    # The protocol's draw from the bundled frame holds, in each district, no more children
    # under four than Table 2's "Barnet kan inte" (so every one of them can take it).
    from granskning.audit import protocol, protocol_run
    from granskning.demo.answers import TABLE_F7

    drawn = protocol_run.draw(protocol.load("forhandsbedomningar-2024"), exempel.export_path()).sample.cases
    young = drawn[drawn["alder"].astype(int) < 4].groupby("stadsdel").size()
    for j, district in enumerate(exempel.DISTRICTS):
        assert young.get(district, 0) <= TABLE_F7["Barnet kan inte"][j], district


def test_analys_of_the_demo_audit_gives_the_reports_figures(demo_run):
    # One way to open an audit (issue 9 item 5): analys --granskning uses the protocol's strata,
    # age bands (0–3, 4–6, 7–9, 10–12) and estimate rule, so its figures are the report's.
    import json

    from openpyxl import load_workbook

    r, out = demo_run
    a = CliRunner().invoke(cli, ["analys", "--granskning", "1", "--db", f"sqlite:///{out / 'granskning.db'}",
                                 "--json"])
    assert a.exit_code == 0, a.output
    result = json.loads(a.stdout)
    assert result["strata"] == list(exempel.DISTRICTS) and result["strata_kolumn"] == "stadsdel"
    assert result["aldersgrupper"] == ["0–3 år", "4–6 år", "7–9 år", "10–12 år"]  # the protocol's
    wb = load_workbook(out / "tabeller.xlsx")
    rows = list(wb["Indikatorer"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "Indikator")
    compared = 0
    for row in rows[rows.index(header) + 1:]:
        qid = str(row[0]).split(". ")[0] if row and row[0] else None
        if qid not in result["indikatorer"]:
            continue  # notes under the table
        mine = result["indikatorer"][qid]
        col = {name: i for i, name in enumerate(header)}
        assert (mine["raknas_som"], mine["taljare"], mine["namnare"]) == (
            row[col["Räknas i täljaren"]], row[col["Täljare"]], row[col["Nämnare"]])
        est = mine["skattning"]
        assert est is not None
        estimated = [row[col[c]] for c in ("Skattad andel", "Skattad KI nedre", "Skattad KI övre")]
        assert (est["andel"], *est["ki"]) == pytest.approx(estimated, abs=1e-12)
        compared += 1
    assert compared >= 5
    bands = [r[0] for r in wb["F7 flickor och pojkar"].iter_rows(values_only=True) if r and r[0]
             and str(r[0]).endswith(" år")]
    assert bands == result["aldersgrupper"]


def test_check_refuses_a_child_under_four_without_the_hindrance():
    # The demo checks its own answers: a child under four answered anything but the checklist's
    # under-four hindrance (F7 "Barnet kan inte"; O6/O15 "Barnet under fyra år") is refused.
    import pandas as pd

    from granskning.checklist import load
    from granskning.demo import answers as demo_answers

    rows = [{"case_id": f"C{d}-{i}", "stratum": district, "sex": "flicka" if i % 2 else "pojke",
             "age": 4 + i % 9, "draw_order": i + 1, "days": 1 + i}
            for d, district in enumerate(demo_answers.DISTRICTS) for i in range(26)]
    answers = demo_answers.preassessment_answers(pd.DataFrame(rows))
    fb = load("forhandsbedomning-0-12")
    ages = {r["case_id"]: r["age"] for r in rows}
    demo_answers.check(answers, fb, ages=ages)
    heard = next(c for c, a in answers.items() if a["F7"] == "Ja")
    with pytest.raises(ValueError, match=f"case {heard}: a child of 3"):
        demo_answers.check(answers, fb, ages={**ages, heard: 3})
    ov = load("oppenvard-0-12")
    assert {(q.id, h) for q in ov.questions for h in q.hindrances if h in demo_answers.UNDER_FOUR} == {
        ("O6", "Barnet under fyra år"), ("O15", "Barnet under fyra år")}
