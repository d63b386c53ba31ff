"""Internal control: the status rule, the upper bounds, the survey and the summary report."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from granskning.audit import internal_control as ic
from granskning.audit.protocol import Control
from granskning.cli import cli
from granskning.sampling.precision import evaluate_attribute_sample


def control(tolerable=0.10, risk=0.10, deviations=("Nej",)):
    return Control("K", "Test", "E3", deviations, tolerable, 0.0, risk)


@pytest.mark.parametrize("n, k, printed", [
    # AICPA Audit Sampling, Table A-4 (10 % risk), upper limits in percent rounded up to 0.1.
    (20, 0, 10.9), (20, 1, 18.1), (20, 2, 24.5), (50, 0, 4.6), (50, 1, 7.6), (100, 2, 5.3),
])
def test_upper_bound_without_population_is_aicpa_table_a4(n, k, printed):
    r = ic.evaluate(control(), ["Nej"] * k + ["Ja"] * (n - k))
    assert (r.checked, r.deviations) == (n, k)
    assert math.ceil(round(r.upper_bound * 1000, 9)) / 10 == printed


def test_status_rule():
    # Upper bound below tolerable: fully met.  n = 50, 0 deviations: 4,6 % < 10 %.
    assert ic.evaluate(control(), ["Ja"] * 50).status == ic.FULL
    # Rate at most tolerable but the bound is not below it: partly.  n = 20, 1: rate 5 %, bound 18,1 %.
    assert ic.evaluate(control(), ["Nej"] + ["Ja"] * 19).status == ic.PARTLY
    # Rate above tolerable: not met.  n = 20, 3: 15 % > 10 %.
    assert ic.evaluate(control(), ["Nej"] * 3 + ["Ja"] * 17).status == ic.NOT_MET
    assert ic.status(0.10, 0.2, 0.10) == ic.PARTLY  # exactly the tolerable rate is still partly
    assert ic.evaluate(control(), [None, None]).status == ic.NOT_CHECKED


def test_hindrances_and_blanks_leave_the_count_and_the_population_tightens_the_bound():
    answers = ["Ja"] * 18 + ["Nej"] + ["Barnet vill inte", None]
    r = ic.evaluate(control(), answers, excluded=("Barnet vill inte",), population=40, planned=22)
    assert (r.checked, r.deviations, r.planned) == (19, 1, 22)
    assert r.upper_bound == evaluate_attribute_sample(19, 1, risk=0.10, population=40).upper_bound
    assert r.upper_bound < ic.evaluate(control(), answers, excluded=("Barnet vill inte",)).upper_bound
    assert "19 akter granskade (planerat 22), 1 avvikelse (5,3 %)" in r.sentence()


@pytest.fixture(scope="module")
def ik_db(tmp_path_factory):
    """The demo's internal-control day and survey in a fresh database."""
    from granskning.audit import protocol_run
    from granskning.demo import answers as demo_answers
    from granskning.demo import run as demo
    from granskning.store.database import Store

    d = tmp_path_factory.mktemp("ik")
    url = f"sqlite:///{d / 'g.db'}"
    with Store.open(url, create=True) as store:
        store.init()
        placements = demo.placement_list(d / "placeringar.csv")
        ik_id, drawn = protocol_run.create_from_protocol(store, demo.IK_PROTOCOL, placements, created_by="t")
        cases = store.cases_frame(ik_id)
        cases = cases[~cases["reserve"]]
        store.set_answers(ik_id, list(demo_answers.changes(
            demo_answers.control_answers(cases, demo.IK_DEVIATIONS))), who="t")
        survey_id = demo._survey(store)
    return url, ik_id, survey_id, drawn


def test_summary_of_the_demo_control_day(ik_db):
    from granskning.checklist import load
    from granskning.demo import answers as demo_answers
    from granskning.demo import run as demo
    from granskning.store.database import Store

    # The questions the demo answers "Barnet kan inte" for a child under four are exactly the
    # checklist's questions with that hindrance.
    chk = load("egenkontroll-sosfs-2012-11")
    assert {q.id for q in chk.questions if "Barnet kan inte" in q.hindrances} == set(demo_answers.CHILD_VOICE)

    url, ik_id, survey_id, drawn = ik_db
    with Store.open(url) as store:
        s = ic.summarise(store, ik_id, survey_id=survey_id)
    N = drawn.sample.record["N_totalt"]
    n = drawn.sample.n
    assert n == max(p.n for p in drawn.controls.values())
    # Children under four are "Barnet kan inte" on the questions about talking with the child
    # (a hindrance: not checked), never Ja or Nej.
    young = int((drawn.sample.cases["alder"].astype(int) < 4).sum())
    assert young > 0
    for c in s.controls:
        k = demo.IK_DEVIATIONS[c.question]
        checked = n - young if c.question in demo_answers.CHILD_VOICE else n
        assert (c.checked, c.deviations, c.population) == (checked, k, N)
        ev = evaluate_attribute_sample(checked, k, risk=c.risk, population=N)
        assert c.upper_bound == ev.upper_bound
        assert c.status == ic.status(k / checked, ev.upper_bound, c.tolerable)
    # The survey: Ja per sub-goal as simulated (SEED-000: 74 %, 78 %, 56 %).
    assert [(q.id, q.yes, q.no) for q in s.survey] == [("D1", 37, 13), ("D2", 39, 11), ("D3", 28, 22)]
    assert [q.rate for q in s.survey] == [0.74, 0.78, 0.56]
    assert s.survey[0].reasons[0][0] == "Barnets låga ålder"
    assert s.survey_respondents == 50
    text = s.text()
    assert "4 kontroller:" in text and "Status: Uppfylls" in text and "Ja 37 av 50 (74,0 %)" in text


def test_rapport_internkontroll_writes_pdf_and_workbook_with_the_same_numbers(ik_db, tmp_path):
    import pypdf
    from openpyxl import load_workbook

    url, ik_id, survey_id, _ = ik_db
    pdf, xlsx = tmp_path / "ik.pdf", tmp_path / "ik.xlsx"
    r = CliRunner().invoke(cli, ["rapport", "--granskning", str(ik_id), "--typ", "internkontroll",
                                 "--enkat", str(survey_id), "--ut", str(pdf), "--ut", str(xlsx), "--db", url,
                                 "--json"])
    assert r.exit_code == 0, r.output + r.stderr
    out = json.loads(r.stdout)
    controls = out["internkontroll"]["kontroller"]
    assert [c["status"] for c in controls] and all(c["status"].startswith("Uppfylls") for c in controls)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages).replace("\u00a0", " ")
    text = " ".join(text.split())
    for c in controls:
        assert c["status"] in text and c["titel"] in text
    wb = load_workbook(xlsx)
    rows = list(wb["Kontroller"].iter_rows(min_row=3, values_only=True))
    for row, c in zip(rows, controls, strict=False):
        assert row[2:4] == (c["granskade"], c["avvikelser"])
        assert row[5] == pytest.approx(c["ovre_grans"]) and row[7] == c["status"]
    assert wb["Kontroller"].cell(3, 6).number_format == "0.0 %"
    assert "Enkät" in wb.sheetnames and "Urvalsprotokoll" in wb.sheetnames


def test_rapport_internkontroll_prints_text_for_t2_and_vb(ik_db):
    url, ik_id, survey_id, _ = ik_db
    r = CliRunner().invoke(cli, ["rapport", "--granskning", str(ik_id), "--typ", "internkontroll",
                                 "--db", url])
    assert r.exit_code == 0, r.output + r.stderr
    assert "kontroller:" in r.stdout and "Med 90 % säkerhet är andelen avvikelser" in r.stdout
    bad = CliRunner().invoke(cli, ["rapport", "--granskning", str(ik_id), "--typ", "internkontroll",
                                   "--enkat", str(ik_id), "--db", url])
    assert bad.exit_code == 2 and "--enkat" in bad.stderr
    bad = CliRunner().invoke(cli, ["rapport", "--granskning", str(ik_id), "--ut", "x.pdf", "--db", url])
    assert bad.exit_code == 2 and "internkontroll" in bad.stderr
