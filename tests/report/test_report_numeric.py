"""Numeric questions in the granskningsrapport: table, sentences and chart in PDF, XLSX and JSON."""

from __future__ import annotations

import json
import re
import textwrap
from types import SimpleNamespace

import pandas as pd
import pytest

from granskning import checklist as cl
from granskning.analysis.analyse import analyse
from granskning.report import granskningsrapport as report
from granskning.report.document import SUPPRESSED, Chart, Paragraph

APISTRAT = "/work/shared/testdata/apistrat.csv"


def small_checklist(body: str):
    head = 'id: test\ntitel: Test\nversion: "1"\nomraden:\n  - id: a\n    titel: A\n    fragor:\n'
    return cl.loads(head + textwrap.indent(textwrap.dedent(body), "      "))


API_CHECKLIST = """\
- id: api00
  text: Skolans API 2000
  typ: tal
  troskel: minst 700
  raknas_som: minst 700 poäng
- id: acs46
  text: Klasstorlek åk 4–6
  typ: tal
  kravs: false
"""
NUM_CHECKLIST = """\
- id: E1
  text: Antal samtal med barnet
  typ: tal
  min: 0
  troskel: ">= 4"
  kravs: false
- id: E2
  text: Antal hembesök
  typ: tal
  kravs: false
"""


def document(analysis, checklist, mask_below=None):
    audit = SimpleNamespace(title="Testgranskning", sample_record=None)
    options = report.ReportOptions(mask_below=mask_below)
    return report.document(analysis, audit, None, checklist, options, None, estimate=True)


def pdf_text(path) -> str:
    import pypdf

    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def write_all(doc, tmp_path):
    paths = [report.write(doc, tmp_path / f"r.{suffix}") for suffix in ("pdf", "xlsx", "json")]
    return pdf_text(paths[0]), paths[1], json.loads(paths[2].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def api():
    d = pd.read_csv(APISTRAT)
    df = pd.DataFrame(
        {"stype": d["stype"], "api00": d["api00"], "acs46": d["acs.46"], "N": d["fpc"]}
    )
    chk = small_checklist(API_CHECKLIST)
    return analyse(df, chk, strata="stype", population="N"), chk


def test_pdf_xlsx_and_json_hold_the_figures(api, tmp_path):
    from openpyxl import load_workbook

    analysis, chk = api
    text, xlsx, data = write_all(document(analysis, chk), tmp_path)
    # R: svyby(~api00, ~stype, des, svymean) -> E 674.43, se 12.3824797939, CI 650.16–698.70;
    #    tapply(api00, stype, quantile, type = 7)$E -> 398 579.5 673.5 766.5 893
    assert "E 100 0 674,4 12,38 650,2 698,7 673,5 579,5 766,5 398 893" in text
    # R: svymean(~api00, des) -> 662.2873636, SE 9.40894; confint -> 643.846–680.729
    assert "Populationen (skattning) – – 662,3 9,41 643,8 680,7" in text
    assert (
        "Designbaserat medelvärde för populationen: 662,3 (95 % konfidensintervall 643,8–680,7, "
        "standardfel 9,41)"
    ) in text
    assert "Medelvärde 652,8, median 658,5 (hälften av ärendena mellan 555,25 och 743,25)" in text
    # acs.46: H has 2 values and 48 missing (R: table(stype, is.na(acs.46)))
    assert "H 2 48 29,5 3,11" in text
    assert "Andel minst 700 poäng: 73 av 200 ärenden" in text
    assert (
        "Skolans API 2000: medelvärde 652,8, median 658,5, bland 200 ärenden med värde (för populationen 662,3"
        in text
    )
    assert "typ 7" in text and not re.search(r"\bnan\b", text, re.IGNORECASE)

    wb = load_workbook(xlsx)
    ws = wb[next(s for s in wb.sheetnames if s.startswith("api00 "))]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:4] == ("Stype", "Med värde", "Saknar värde", "Medelvärde")
    e = next(r for r in rows if r[0] == "E")
    assert (
        e[1:3] == (100, 0)
        and e[3] == pytest.approx(674.43)
        and e[4] == pytest.approx(12.3824797939)
    )
    assert e[8] == 579.5 and e[11] == 893

    table = next(t for t in data["tabeller"] if t["titel"] == "Klasstorlek åk 4–6 per stype")
    total = next(r for r in table["rader"] if r[0] == "Total")
    assert total[1:3] == [134, 66]
    pop = next(r for r in table["rader"] if r[0] == "Populationen (skattning)")
    # R: svymean(~acs.46, des, na.rm = TRUE) -> 28.804481485731, SE 0.296792973457
    assert pop[3] == pytest.approx(28.804481485731) and pop[4] == pytest.approx(0.296792973457)
    assert table["typer"][7:] == ["decimal"] * 5


def small_data():
    #        A: 4 values, B: one value and two missing, C: 3 values, D: 4 values
    values = [4, 5, 6, 2, 2, None, None, 8, 1, 9, 3, 4, 7, 5]
    strata = ["A"] * 4 + ["B"] * 3 + ["C"] * 3 + ["D"] * 4
    df = pd.DataFrame({"h": strata, "E1": values, "E2": [None] * len(values)})
    df["N"] = df["h"].map({"A": 40, "B": 30, "C": 30, "D": 40})
    chk = small_checklist(NUM_CHECKLIST)
    return analyse(df, chk, strata="h", population="N"), chk


def test_one_value_stratum_says_why_and_all_missing_question(tmp_path):
    analysis, chk = small_data()
    doc = document(analysis, chk)
    text, _, _ = write_all(doc, tmp_path)
    assert "B 1 2 2,0 – – – 2 2 2 2 2" in text
    assert "– = kan inte skattas (standardfelet kan inte skattas från ett enda värde)." in text
    assert (
        "Antal hembesök" in text and "Inget ärende har ett värde (14 ärenden saknar värde)." in text
    )
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)


def test_masking_withholds_small_strata_and_the_extremes(tmp_path):
    analysis, chk = small_data()
    doc = document(analysis, chk, mask_below=3)
    table = next(t for t in doc.tables() if t.title == "Antal samtal med barnet per h")
    rows = {r[0]: r for r in table.rows}
    # B has one value (primary); the other strata have 3 or more, so B's sum would follow from the
    # total: the next smallest (C, 3 values) is withheld too.  Counts stay.
    assert all(c is SUPPRESSED for c in rows["B"][1:])  # 1 with a value and 2 without: both below 3
    assert all(c is SUPPRESSED for c in rows["C"][3:])
    assert SUPPRESSED not in rows["A"] and rows["A"][3] == pytest.approx(4.25)
    assert rows["Total"][-2:] == (SUPPRESSED, SUPPRESSED)  # the overall min/max could be B's value
    # Counts without a value: A 0, B 2, C 0, D 0 -> the total (2) is B's own count, withheld too;
    # with it the total with a value (it would give B's 1 back from the cases per stratum).
    assert rows["Total"][1:3] == (SUPPRESSED, SUPPRESSED)
    assert rows["A"][1:3] == (4, 0) and rows["D"][1:3] == (4, 0)
    assert "visas inte där färre än 3 ärenden har ett värde" in table.note
    assert "uppgiften visas inte (sekretess)" in table.note
    text, _, data = write_all(doc, tmp_path)
    assert "B .. .. .. .. .. .. .. .. .. .. .." in text
    sentence = next(
        b.text for b in doc.blocks if isinstance(b, Paragraph) and "Medelvärde 4,7</b>" in b.text
    )  # 56 / 12
    assert "Lägst" not in sentence and "högst" not in sentence and "bland" not in sentence
    j = next(t for t in data["tabeller"] if t["titel"] == "Antal samtal med barnet per h")
    b = next(i for i, r in enumerate(j["rader"]) if r[0] == "B")
    assert [b, 3] in j["maskerade"] and j["rader"][b][3] is None
    charts = [
        blk
        for blk in doc.blocks
        if isinstance(blk, Chart) and blk.caption.startswith("Antal samtal")
    ]
    assert len(charts) == 1 and "punkterna" not in charts[0].caption
    notes = [blk.text for blk in doc.blocks if isinstance(blk, Paragraph)]
    assert "Strata med dolda uppgifter visas inte i diagrammet." in notes


def test_masking_the_whole_question(tmp_path):
    df = pd.DataFrame({"h": ["A", "A", "B", "B"], "E1": [3, None, None, 5], "E2": [1, 2, 3, 4]})
    chk = small_checklist(NUM_CHECKLIST)
    doc = document(analyse(df, chk, strata="h"), chk, mask_below=3)
    texts = [blk.text for blk in doc.blocks if isinstance(blk, Paragraph)]
    assert "Medelvärde, median och spridning redovisas inte (sekretess: för få ärenden med värde)." in texts
    table = next(t for t in doc.tables() if t.title == "Antal samtal med barnet per h")
    assert all(c is SUPPRESSED for r in table.rows for c in r[3:])
    assert not [
        blk
        for blk in doc.blocks
        if isinstance(blk, Chart) and blk.caption.startswith("Antal samtal")
    ]
