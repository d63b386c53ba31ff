"""Tests for ``granskning analys`` (CLI over granskning.analysis.analyse*): tables, JSON, text, database."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from analysis_data import (
    A2_UNITS,
    DISTRICTS,
    TABLE_1,
    TABLE_2,
    TABLE_2_RATES,
    TABLE_3,
    TABLE_4,
    TABLE_5,
    a1_cases,
    a2_cases,
    expected_layout,
)
from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.cli import cli

A1 = ["--checklista", "forhandsbedomning-0-12", "--strata", "stadsdel"]


def run(*args):
    return CliRunner().invoke(cli, ["analys", *map(str, args)])


@pytest.fixture(scope="module")
def a1_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("a1") / "svar.csv"
    a1_cases().to_csv(path, index=False, sep=";")
    return path


@pytest.fixture(scope="module")
def population_csv(tmp_path_factory):
    # Equal N_h with equal n_h = 26 give equal weights: the weighted rate is 52/208 exactly.
    path = tmp_path_factory.mktemp("pop") / "N.csv"
    pd.DataFrame({"stadsdel": DISTRICTS, "N": 400}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def a1_json(a1_csv, population_csv):
    r = run(a1_csv, *A1, "--kon", "kon", "--alder", "alder", "--id", "case_id",
            "--populationsfil", population_csv, "--seed", 2024, "--json")
    assert r.exit_code == 0, r.output + r.stderr
    return json.loads(r.stdout)


def block(ws, top: int, rows: int, cols: int) -> list[list]:
    return [[ws.cell(top + i, 1 + j).value for j in range(cols)] for i in range(rows)]


# ---------------------------------------------------------------- JSON


def test_json_reproduces_52_of_208_and_the_district_rates(a1_json):
    f7 = a1_json["indikatorer"]["F7"]
    # DOMAIN.md §2.2: 52/208 = 25.0 %; R: prop.test(52, 208, correct=FALSE)$conf.int 0.1960 0.3130.
    assert (f7["taljare"], f7["namnare"], f7["andel"]) == (52, 208, 0.25)
    assert [round(v, 4) for v in f7["ki"]] == [0.1960, 0.3130]
    for district, (x, n, pct) in TABLE_2_RATES.items():
        s = f7["per_stratum"][district]
        assert (s["taljare"], s["namnare"], round(100 * s["andel"], 1)) == (x, n, pct)
        assert s["ki"][0] < s["andel"] < s["ki"][1]
    assert f7["homogenitet"]["metod"] == "monte-carlo" and 0 < f7["homogenitet"]["p"] < 1
    assert set(f7["homogenitet"]) >= {"statistik", "p", "metod"}
    assert f7["skattning"]["andel"] == pytest.approx(0.25)
    assert set(f7["skattning"]) == {"andel", "standardfel", "ki", "intervall", "designeffekt"}
    assert f7["skattning"]["intervall"] == "beta"
    g = f7["jamstalldhet"]
    for key in ("andel_kvinnligt", "andel_manligt", "skillnad", "skillnad_ki", "fisher_p", "cmh_statistik",
                "cmh_p", "or_mh", "or_mh_ki", "minsta_upptackbara_skillnad", "slutsats"):
        assert key in g
    assert g["benamning"] == {"grupp": "barn", "kvinnligt": "flickor", "manligt": "pojkar"}
    # The synthetic sexes alternate, so girls + boys make up the whole denominator.
    assert g["kvinnligt"]["namnare"] + g["manligt"]["namnare"] == 208
    assert g["kvinnligt"]["taljare"] + g["manligt"]["taljare"] == 52
    # What is counted is named (issue 9, item 1).
    assert (f7["raknas"], f7["raknas_som"], g["raknas_som"]) == (["Ja"], "Ja", "Ja")
    assert f7["lamnar_namnaren"] == ["Barnet vill inte", "Barnet kan inte", "VH samtycker inte"]
    assert f7["tratt"]["nivaer"]["95"] == {"over": ["Skärholmen"], "under": []}


def test_json_tables_hold_the_published_counts(a1_json):
    rows = {r["kategori"]: r for r in a1_json["tabeller"]["F5"]}
    for category, counts in TABLE_1.items():
        assert [rows[category]["antal"][d] for d in DISTRICTS] == counts
        assert rows[category]["antal"]["Total"] == sum(counts)
    assert rows["Total"]["antal"]["Total"] == 286
    assert rows["Fysiskt möte"]["andel"]["Total"] == pytest.approx(130 / 286)
    assert a1_json["strata"] == DISTRICTS and a1_json["antal_arenden"] == 286
    assert a1_json["fragor"]["F7"] == "Har barnet kommit till tals om anmälan?"
    assert a1_json["homogenitet"]["F5"]["frihetsgrader"] == 30
    assert a1_json["seed"] == 2024 and a1_json["varningar"] == []


# ---------------------------------------------------------------- XLSX and text


def test_xlsx_sheets_reproduce_tables_1_and_2(a1_csv, population_csv, tmp_path):
    out = tmp_path / "tabeller.xlsx"
    r = run(a1_csv, *A1, "--kon", "kon", "--alder", "alder", "--id", "case_id",
            "--populationsfil", population_csv, "--ut", out)
    assert r.exit_code == 0, r.output + r.stderr
    wb = load_workbook(out)
    assert wb.sheetnames[:2] == ["F5", "F7"]
    assert {"Indikatorer", "Skattningar", "Homogenitet", "Jämställdhet", "Om analysen"} <= set(wb.sheetnames)
    for sheet, table, text in (("F5", TABLE_1, "Kontaktvägar med vårdnadshavare"),
                               ("F7", TABLE_2, "Har barnet kommit till tals om anmälan?")):
        ws = wb[sheet]
        rows = len(table) + 2
        got = block(ws, 1, rows, 13)
        assert got[0] == [text, *DISTRICTS, "Total"]
        assert [r[0] for r in got[1:]] == [*table, "Total"]
        assert [r[1:] for r in got[1:]] == expected_layout(table, DISTRICTS, "Total")
        # Second block: column percentages, formatted as percent.
        shares = block(ws, rows + 2, rows, 13)
        assert shares[-1][1:] == [pytest.approx(1.0)] * 12
        assert ws.cell(rows + 3, 2).number_format == "0.0 %"
    # F5 shares block: header on row 8, "Fysiskt möte" on row 9; Skärholmen is column K.
    assert wb["F5"]["A9"].value == "Fysiskt möte"
    assert wb["F5"]["K9"].value == pytest.approx(24 / 26)  # DOMAIN.md §2.1: Skärholmen 92,3 %
    ind = pd.read_excel(out, sheet_name="Indikatorer")
    assert list(ind.columns[:7]) == ["Fråga", "Frågetext", "Räknas i täljaren", "Stratum", "Täljare", "Nämnare",
                                     "Andel"]
    assert set(ind["Räknas i täljaren"]) == {"Ja"}
    total = ind[ind.Stratum == "Total"].iloc[0]
    assert (total.Täljare, total.Nämnare, total.Andel) == (52, 208, 0.25)
    assert len(ind) == 12  # 11 districts + Total
    gender = pd.read_excel(out, sheet_name="Jämställdhet")
    assert gender.loc[0, "Slutsats"].startswith("Andelen Ja var")
    assert gender.loc[0, "Räknas i täljaren"] == "Ja" and "Andel flickor" in gender.columns
    hom = pd.read_excel(out, sheet_name="Homogenitet")
    assert set(hom.Test) == {"fördelning", "indikator"}


def test_a2_from_excel_reproduces_tables_3_to_5(tmp_path):
    data = tmp_path / "oppenvard.xlsx"
    a2_cases().to_excel(data, index=False, sheet_name="Svar")
    out = tmp_path / "a2.xlsx"
    r = run(data, "--checklista", "oppenvard-0-12", "--strata", "enhet", "--kon", "kon", "--alder", "alder",
            "--blad", "Svar", "--total-etikett", "Totalt", "--ut", out, "--json")
    assert r.exit_code == 0, r.output + r.stderr
    wb = load_workbook(out)
    for sheet, table in (("O4", TABLE_3), ("O6", TABLE_4), ("O15", TABLE_5)):
        got = block(wb[sheet], 1, len(table) + 2, 5)
        assert got[0][1:] == [*A2_UNITS, "Totalt"]
        assert [r[0] for r in got[1:]] == [*table, "Totalt"]
        assert [r[1:] for r in got[1:]] == expected_layout(table, A2_UNITS, "Totalt")
    j = json.loads(r.stdout)["indikatorer"]
    # DOMAIN.md §2.3–2.5: 28/36, 5/22, 2/17.
    assert [(j[q]["taljare"], j[q]["namnare"]) for q in ("O4", "O6", "O15")] == [(28, 36), (5, 22), (2, 17)]
    assert j["O4"]["jamstalldhet"]["kvinnligt"]["namnare"] == 18


def test_text_summary_in_swedish(a1_csv):
    r = run(a1_csv, *A1, "--kon", "kon", "--alder", "alder", "--aldersband", "0-3,4-12", "--ovriga", "case_id")
    assert r.exit_code == 0, r.output + r.stderr
    assert ("Har barnet kommit till tals om anmälan? – andel Ja: 52 av 208 (25,0 %, 95 % KI 19,6–31,3 %)"
            in r.stdout)
    assert "78 ärenden med hinder eller ej tillämpligt ingår inte i nämnaren." in r.stdout
    assert "utanför 95 %-gränserna: Skärholmen (över)" in r.stdout
    assert "Jämställdhet: Andelen Ja var" in r.stdout
    assert "Varning" not in r.stdout


def test_clopper_pearson_and_confidence(a1_csv):
    r = run(a1_csv, *A1, "--metod", "clopper-pearson", "--konfidens", "0.9", "--json")
    assert r.exit_code == 0, r.output + r.stderr
    j = json.loads(r.stdout)
    # R: binom.test(52, 208, conf.level = 0.9)$conf.int (Clopper–Pearson).
    from scipy.stats import beta

    assert j["indikatorer"]["F7"]["ki"] == [pytest.approx(beta.ppf(0.05, 52, 157)),
                                            pytest.approx(beta.ppf(0.95, 53, 156))]
    assert j["metod"] == "clopper-pearson" and j["konfidensniva"] == pytest.approx(0.9)


def test_charts_are_drawn(a1_csv, tmp_path):
    d = tmp_path / "diagram"
    r = run(a1_csv, *A1, "--kon", "kon", "--alder", "alder", "--diagram", d, "--diagramformat", "svg")
    assert r.exit_code == 0, r.output + r.stderr
    names = sorted(p.name for p in d.iterdir())
    assert names == ["F5_fordelning.svg", "F7_fordelning.svg", "F7_tratt.svg", "jamstalldhet.svg"]
    assert "4 diagram finns i" in r.stdout


# ---------------------------------------------------------------- bad input


def bad(args, tmp_path, match):
    out = tmp_path / "ut.xlsx"
    r = run(*args, "--ut", out)
    assert r.exit_code == 2, r.output + r.stderr
    assert match in r.stderr, r.stderr
    assert "Traceback" not in r.output + r.stderr
    assert not out.exists()
    assert list(tmp_path.glob(".ut.xlsx.*")) == []
    return r


def test_answer_outside_choices(tmp_path):
    df = a1_cases()
    df.loc[9, "F5"] = "Sms"
    path = tmp_path / "svar.csv"
    df.to_csv(path, index=False)
    bad([path, *A1], tmp_path, 'svar.csv, rad 11, kolumn "F5": fråga F5: "Sms" är inget av svarsalternativen')


def test_unknown_question_column_and_missing_strata(tmp_path, a1_csv):
    path = tmp_path / "svar.csv"
    a1_cases().rename(columns={"F7": "F77"}).to_csv(path, index=False)
    bad([path, *A1], tmp_path, 'kolumn "F77": kolumnen ser ut som en fråga men finns inte i checklistan')
    bad([a1_csv, "--checklista", "forhandsbedomning-0-12", "--strata", "distrikt"], tmp_path,
        'rad 1, kolumn "distrikt": kolumnen finns inte.')


def test_stratum_missing_from_population_file(tmp_path, a1_csv):
    pop = tmp_path / "N.csv"
    pd.DataFrame({"stratum": DISTRICTS[1:], "N": 400}).to_csv(pop, index=False)
    row = int((a1_cases().stadsdel == "Bromma").to_numpy().argmax()) + 2  # first Bromma case
    bad([a1_csv, *A1, "--populationsfil", pop], tmp_path,
        f'svar.csv, rad {row}, kolumn "stadsdel": stratumet "Bromma" saknas bland populationsstorlekarna '
        "(populationsfilen N.csv)")
    pop.write_text("stratum,N\nBromma,tio\n", encoding="utf-8")
    bad([a1_csv, *A1, "--populationsfil", pop], tmp_path, "N.csv, rad 2, kolumn \"N\": 'tio' är inget tal")


def test_usage_errors(tmp_path, a1_csv):
    bad([a1_csv, "--strata", "stadsdel"], tmp_path, "med DATA krävs --checklista")
    bad([], tmp_path, "ange antingen DATA")
    bad([a1_csv, *A1, "--kon", "kon"], tmp_path, "både kön och ålder")
    bad([a1_csv, *A1, "--aldersband", "0-3,tre"], tmp_path, "FRÅN-TILL")
    bad([a1_csv, *A1, "--konfidens", "95"], tmp_path, "mellan 0 och 1")
    r = run(a1_csv, *A1, "--ut", tmp_path / "ut.csv")
    assert r.exit_code == 2 and "--ut ska vara en .xlsx-fil" in r.stderr


# ---------------------------------------------------------------- database


def a1_audit(store) -> int:
    df = a1_cases()
    record = {"format": "test", "strata": [{"stratum": d, "N": 300 + 10 * i, "n": 26}
                                           for i, d in enumerate(DISTRICTS)]}
    audit_id = store.create_audit("Förhandsbedömningar 2024 (testdata)", "granskning",
                                  "forhandsbedomning-0-12", None, None, None, record, "test")
    cases = df.rename(columns={"stadsdel": "stratum", "kon": "sex", "alder": "age"})
    store.add_cases(audit_id, cases[["case_id", "stratum", "sex", "age"]].to_dict(orient="records"))
    # Two reserve cases that were never reviewed stay out of the analysis.
    store.add_cases(audit_id, [{"case_id": "RES-1", "stratum": "Bromma", "reserve": True},
                               {"case_id": "RES-2", "stratum": "Farsta", "reserve": True}])
    changes = [(r.case_id, "F5", r.F5) for r in df.itertuples()]
    changes += [(r.case_id, "F7", r.F7) for r in df.itertuples() if r.Index > 0]
    store.set_answers(audit_id, changes, who="test")
    store.set_answer(audit_id, df.case_id[0], "F7", df.F7[0], who="test")
    return audit_id


def test_analysis_of_an_audit_in_the_database(store, db_url, tmp_path):
    audit_id = a1_audit(store)
    out = tmp_path / "db.xlsx"
    r = run("--granskning", audit_id, "--db", db_url, "--json", "--ut", out)
    assert r.exit_code == 0, r.output + r.stderr
    j = json.loads(r.stdout)
    f7 = j["indikatorer"]["F7"]
    assert (f7["taljare"], f7["namnare"], f7["andel"]) == (52, 208, 0.25)
    for district, (x, n, _pct) in TABLE_2_RATES.items():
        assert (f7["per_stratum"][district]["taljare"], f7["per_stratum"][district]["namnare"]) == (x, n)
    # N_h from the stored draw record: the domain ratio Σ (N_h/26)·x_h / Σ (N_h/26)·d_h by hand.
    sizes = {d: 300 + 10 * i for i, d in enumerate(DISTRICTS)}
    by_hand = (sum(sizes[d] * x for d, (x, _n, _p) in TABLE_2_RATES.items())
               / sum(sizes[d] * n for d, (_x, n, _p) in TABLE_2_RATES.items()))
    assert f7["skattning"]["andel"] == pytest.approx(by_hand, rel=1e-12)
    assert f7["jamstalldhet"]["kvinnligt"]["namnare"] + f7["jamstalldhet"]["manligt"]["namnare"] == 208
    assert j["antal_arenden"] == 286 and j["urvalsprotokoll"]["strata"][0]["N"] == 300
    wb = load_workbook(out)
    assert "Urvalsprotokoll" in wb.sheetnames
    assert block(wb["F7"], 1, 7, 13)[1:] == [[k, *v, sum(v)] for k, v in TABLE_2.items()] + [
        ["Total", *[26] * 11, 286]]
    # Without --json: the same figures in words.
    r = run("--granskning", audit_id, "--db", db_url)
    assert r.exit_code == 0, r.output + r.stderr
    assert "52 av 208 (25,0 %, 95 % KI 19,6–31,3 %)" in r.stdout


def test_database_errors(store, db_url, tmp_path):
    r = run("--granskning", 99, "--db", db_url)
    assert r.exit_code == 2 and "Granskning 99 finns inte" in r.stderr
    audit_id = store.create_audit("Tom", "granskning", "forhandsbedomning-0-12", None, None, None, {}, "test")
    store.add_cases(audit_id, [{"case_id": "X-1", "stratum": "Bromma"}])
    r = run("--granskning", audit_id, "--db", db_url)
    assert r.exit_code == 2 and "har inga svar ännu" in r.stderr
    r = run("--granskning", audit_id, "--db", db_url, "--strata", "stadsdel")
    assert r.exit_code == 2 and "--strata kan inte användas med --granskning" in r.stderr
    store.set_answer(audit_id, "X-1", "F7", "Kanske", who="test")
    r = run("--granskning", audit_id, "--db", db_url)
    assert r.exit_code == 2
    assert f'granskning {audit_id}, ärende "X-1", kolumn "F7": fråga F7: "Kanske"' in r.stderr


# ---------------------------------------------------------------- documentation


def json_keys(obj, skip_children_of=("indikatorer", "tabeller", "fragor", "homogenitet", "per_stratum",
                                     "antal", "andel", "urvalsprotokoll", "nivaer", "tal")) -> set[str]:
    """Return every key name in a JSON document, except data-dependent ones (ids, strata)."""
    found: set[str] = set()

    def walk(o, parent=None):
        if isinstance(o, dict):
            for k, v in o.items():
                if parent in skip_children_of:
                    walk(v)  # k is a question id, stratum or level: not a documented key
                    continue
                found.add(k)
                walk(v, k)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(obj)
    return found


def test_every_json_key_is_documented(a1_json):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "analys.md").read_text(encoding="utf-8")
    section = doc.split("## JSON från granskning analys", 1)[1]
    missing = sorted(k for k in json_keys(a1_json) if f"`{k}`" not in section and f'"{k}"' not in section)
    assert missing == []
