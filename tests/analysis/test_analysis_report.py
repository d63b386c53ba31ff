"""Tests for granskning.analysis.output: workbook layout, sheet names, Swedish text, charts."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_data import a2_cases
from openpyxl import load_workbook

from granskning import checklist as cl
from granskning.analysis.analyse import analyse
from granskning.analysis.output import sheet_names, summary_text, write_charts, write_workbook
from granskning.errors import InputError


@pytest.fixture(scope="module")
def a2():
    return analyse(a2_cases(), cl.load("oppenvard-0-12"), strata="enhet", sex="kon", age="alder",
                   total_label="Totalt")


def test_summary_text_for_a2(a2):
    text = summary_text(a2)
    # DOMAIN.md §2.3: 28/36 = 77.8 %. R: prop.test(28, 36, correct = FALSE)$conf.int 0.6192 0.8828.
    assert ("Finns en färdigställd genomförandeplan? – andel Ja: 28 av 36 (77,8 %, 95 % KI 61,9–88,3 %) [O4]"
            in text)
    # §2.4: 5/22; 14 cases under four, refusing or without a plan are left out.
    assert "Deltar barnet när genomförandeplanen formuleras? – andel Ja: 5 av 22 (22,7 %" in text
    assert "14 ärenden med hinder eller ej tillämpligt ingår inte i nämnaren." in text
    assert "Designbaserad skattning" not in text  # no population sizes given


def test_workbook_sheets_and_atomic_refusal(a2, tmp_path):
    out = write_workbook(a2, tmp_path / "a2.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["O4", "O6", "O15", "Indikatorer", "Skattningar", "Homogenitet", "Jämställdhet",
                             "Jämställdhet ålder", "Logistisk regression", "Om analysen"]
    about = {r[0]: r[1] for r in wb["Om analysen"].iter_rows(values_only=True)}
    assert about["Checklista"] == "oppenvard-0-12 version 2025.1" and about["Antal ärenden"] == 36
    bands = pd.read_excel(out, sheet_name="Jämställdhet ålder")
    assert list(bands.columns) == ["Fråga", "Åldersgrupp", "Kön", "Täljare", "Nämnare", "Andel"]
    assert bands[bands["Fråga"] == "O4"]["Nämnare"].sum() == 36
    with pytest.raises(InputError, match=".xlsx"):
        write_workbook(a2, tmp_path / "a2.csv")
    assert not (tmp_path / "a2.csv").exists()


def test_sheet_names_are_unique_and_valid():
    chk = cl.loads('id: t\ntitel: T\nversion: "1"\nomraden:\n  - id: a\n    titel: A\n    fragor:\n'
                   "      - {id: Indikatorer, text: Krock, typ: janej}\n"
                   "      - {id: indikatorer_2, text: Nästa, typ: janej}\n")
    a = analyse(pd.DataFrame({"s": ["A", "B"], "Indikatorer": ["Ja", "Nej"], "indikatorer_2": ["Ja", "Ja"]}),
                chk, strata="s")
    names = sheet_names(a)
    assert names["Indikatorer"] not in ("Indikatorer", "indikatorer_2")
    assert len({n.casefold() for n in names.values()}) == 2


def test_charts(a2, tmp_path):
    files = write_charts(a2, tmp_path / "d")
    assert sorted(p.name for p in files) == sorted(
        ["O4_fordelning.png", "O6_fordelning.png", "O15_fordelning.png", "O4_tratt.png", "O6_tratt.png",
         "O15_tratt.png", "jamstalldhet.png"])
    assert all(p.stat().st_size > 1000 for p in files)
