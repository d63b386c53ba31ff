"""Excel answer templates: granskning.answers.excel, ``granskning svar`` and Store.set_answers.

The checklist is the bundled pre-assessment audit (forhandsbedomning-0-12).
Expected values are the cells written by hand in each test; the template's
drop-down choices are the categories of the published tables (F7: Ja, Nej and
the three hindrances of SEED-004 table 2).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.answers.excel import export_template, import_answers, template_columns
from granskning.checklist import load
from granskning.cli import cli
from granskning.errors import InputError, ManyInputErrors
from granskning.store.database import ConflictError, Store

CHK = load("forhandsbedomning-0-12")

COMPLETE = {
    "F1": "Polisen", "F2": "Våld mot barnet; Våld i nära relation", "F13": "Nej", "F15": "Nej",
    "F3": "Ja", "F4": "Inom 14 dagar", "F5": "Fysiskt möte", "F5_hembesok": "Nej", "F7": "Ja",
    "F9": "Ja", "F10": "God", "F11": "Nej", "F16": "Ja", "F17": "Ingen kvarstående oro",
    "F18": "Nej", "F19": "Nej", "F20": "Ja", "F21": "Ingen hänvisning", "F22": "Ej aktuellt",
}  # fmt: skip


def make_audit(store: Store, n: int = 4) -> int:
    audit_id = store.create_audit("Förhandsbedömningar 2024", "granskning", CHK.id, CHK.version,
                                  CHK.sha256, None, {}, "test")
    store.add_cases(audit_id, [
        {"case_id": f"FB-{i}", "stratum": "Farsta" if i % 2 else "Bromma", "draw_order": i,
         "sex": "flicka" if i % 2 else "pojke", "age": i + 3, "reserve": i > n - 1}
        for i in range(1, n + 1)
    ])
    store.assign(audit_id, {f"FB-{i}": "Anna" if i % 2 else "Bo" for i in range(1, n)})
    return audit_id


def columns_of(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1]}


def fill(path, rows: dict[int, dict[str, object]], extra_header: str | None = None) -> None:
    """Write cells by (Excel row, column title) into sheet Svar of a template."""
    wb = load_workbook(path)
    ws = wb["Svar"]
    cols = columns_of(ws)
    if extra_header:
        ws.cell(1, ws.max_column + 1, extra_header)
        cols = columns_of(ws)
    for row, cells in rows.items():
        for title, value in cells.items():
            ws.cell(row, cols[title]).value = value  # (ws.cell(r, c, None) would not clear)
    wb.save(path)


@pytest.fixture
def audit(store):
    return make_audit(store)


def test_template_layout_lists_and_prefill(store, audit, tmp_path):
    store.set_answer(audit, "FB-1", "F2", ["Våld mot barnet", "Annan orsak"], who="Anna")
    store.set_answer(audit, "FB-1", "F2__motivering", "Skolans oro", who="Anna")
    store.set_answer(audit, "FB-2", "F4_dagar", 12, who="Bo")
    out = tmp_path / "mall.xlsx"
    done = export_template(store, audit, out)
    # Three non-reserve cases; FB-4 is an unassigned, unanswered reserve.
    assert (done.n_cases, done.n_prefilled) == (3, 3)
    # 26 questions (F1–F24 without F23, plus F4_dagar, F5_hembesok, F8_skal) and 9 that
    # can require a motivation (F1, F2, F4, F5, F8_skal, F10, F17, F18, F19).
    assert done.n_columns == len(template_columns(CHK)) == 26 + 9
    wb = load_workbook(out)
    assert wb.sheetnames == ["Svar", "Listor", "Frågor", "Versioner", "Granskning"]
    assert wb["Listor"].sheet_state == "hidden" and wb["Versioner"].sheet_state == "hidden"
    assert wb["Granskning"].sheet_state == "hidden" and wb["Granskning"]["B1"].value == audit
    # The version of every stored answer, for the import's conflict check.
    assert sorted(wb["Versioner"].iter_rows(min_row=2, values_only=True)) == [
        ("FB-1", "F2", 1), ("FB-1", "F2__motivering", 1), ("FB-2", "F4_dagar", 1)]
    ws = wb["Svar"]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["Ärende", "Stratum", "Kön", "Ålder", "F1", "F1__motivering", "F2"]
    assert ws.freeze_panes == "B2"
    cols = columns_of(ws)
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["FB-2", "FB-1", "FB-3"]  # Bromma first
    assert ws.cell(3, cols["F2"]).value == "Våld mot barnet; Annan orsak"
    assert ws.cell(3, cols["F2__motivering"]).value == "Skolans oro"
    assert ws.cell(2, cols["F4_dagar"]).value == 12
    assert (ws.cell(3, 2).value, ws.cell(3, 3).value, ws.cell(3, 4).value) == ("Farsta",
                                                                                 "flicka", 4)
    # F7's drop-down: the five categories of SEED-004 table 2.
    lists = wb["Listor"]
    f7_col = next(col for col in lists.iter_cols() if col[0].value == "F7")
    f7_list = [c.value for c in f7_col if c.value is not None]
    assert f7_list == ["F7", "Ja", "Nej", "Barnet vill inte", "Barnet kan inte",
                       "VH samtycker inte"]
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert any(f.startswith("Listor!$") for f in formulas if f)
    letter = ws.cell(1, cols["F4_dagar"]).column_letter
    ranged = [dv for dv in ws.data_validations.dataValidation
              if dv.type == "decimal" and str(dv.sqref).startswith(letter)]
    assert ranged and (ranged[0].formula1, ranged[0].formula2) == ("0", "365")
    questions = {r[0].value: [c.value for c in r] for r in wb["Frågor"].iter_rows(min_row=2)}
    assert questions["F8"][5] == "F7 är ”Nej”"
    assert questions["F7"][6] == "Barnet vill inte; Barnet kan inte; VH samtycker inte"
    assert ws.cell(1, cols["F7"]).comment.text.startswith("F7: Har barnet kommit till tals")


def test_export_for_one_reviewer(store, audit, tmp_path):
    done = export_template(store, audit, tmp_path / "bo.xlsx", reviewer="Bo")
    assert done.n_cases == 1
    assert load_workbook(tmp_path / "bo.xlsx")["Svar"].cell(2, 1).value == "FB-2"


def test_round_trip_stores_all_and_is_idempotent(store, audit, tmp_path):
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out)
    fill(out, {2: {**COMPLETE, "F4_dagar": 9, "F24": "Dialogmöte 12 mars"},
               3: {**COMPLETE, "F7": "Nej", "F8": "Ja", "F8_skal": "Annan motivering",
                   "F8_skal__motivering": "Barnet var på resa", "F9": None, "F10": None}})
    done = import_answers(store, audit, out, who="Cecilia")
    assert (done.n_cases, done.n_skipped_rows) == (2, 1)
    fb2 = store.answers(audit, "FB-2")
    assert fb2["F2"] == ["Våld mot barnet", "Våld i nära relation"]  # checklist order
    assert fb2["F4_dagar"] == 9 and fb2["F24"] == "Dialogmöte 12 mars"
    fb1 = store.answers(audit, "FB-1")
    assert fb1["F8_skal"] == ["Annan motivering"] and "F9" not in fb1
    assert CHK.is_complete(fb1) and CHK.is_complete(fb2)
    assert done.n_changed == len(fb1) + len(fb2)
    assert set(store.history(audit)["changed_by"]) == {"Cecilia"}
    # whose cases the file changed: row 2 is Bo's FB-2, row 3 Anna's FB-1 (issue 12, item 9)
    assert done.owners == (("Anna", 1, len(fb1)), ("Bo", 1, len(fb2)))
    assert done.owners_text() == (
        f"Ärendena tillhör: Anna (1 ärende, {len(fb1)} svar), Bo (1 ärende, {len(fb2)} svar). "
        "Ändringarna står i historiken i ditt namn (Cecilia).")
    again = import_answers(store, audit, out, who="Cecilia")
    assert again.n_changed == 0 and again.owners == () and again.owners_text() == ""


def test_dates_from_excel_cells(store, tmp_path):
    path = tmp_path / "lista.yaml"
    path.write_text(
        'id: datumtest\ntitel: T\nversion: "1"\nslag: granskning\nomraden:\n'
        "  - id: a\n    titel: A\n    fragor:\n"
        "      - id: D\n        text: Beslutsdatum\n        typ: datum\n", encoding="utf-8")
    chk = load(path)
    store.create_audit("T", "granskning", chk.id, chk.version, chk.sha256, None, {}, "t")
    store.add_cases(1, [{"case_id": "A1"}, {"case_id": "A2"}])
    out = tmp_path / "mall.xlsx"
    export_template(store, 1, out, checklist=path)
    fill(out, {2: {"D": dt.datetime(2024, 3, 1)}, 3: {"D": "2024-03-02"}})
    import_answers(store, 1, out, who="x", checklist=path)
    assert store.answers(1, "A1") == {"D": "2024-03-01"}
    export_template(store, 1, out, checklist=path)
    cell = load_workbook(out)["Svar"]["E2"]
    assert cell.value == dt.datetime(2024, 3, 1) and cell.number_format == "yyyy-mm-dd"


def test_every_problem_reported_and_nothing_stored(store, audit, tmp_path, db_url):
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out)
    store.set_answer(audit, "FB-3", "F1", "Skolan", who="Anna")
    fill(out, {
        2: {**COMPLETE, "F7": "Kanske"},  # not a choice
        3: {**COMPLETE, "F8": "Ja"},  # F8 is shown only when F7 is Nej
        4: {**COMPLETE, "F3": None, "F4": "Över 14 dagar", "F4_dagar": 400},
        5: {"Ärende": "FB-99", "F1": "Polisen"},  # unknown case
    })
    who = [] if db_url.startswith("postgresql") else ["--granskare", "Anna"]
    r = CliRunner().invoke(cli, ["svar", "importera", str(out), "--granskning", str(audit),
                                 "--db", db_url, *who])
    assert r.exit_code == 2, r.output
    err = r.stderr
    assert 'mall.xlsx, rad 2, kolumn "F7": fråga F7: "Kanske" är inget av svarsalternativen' in err
    assert ('mall.xlsx, rad 3, kolumn "F8": frågan visas bara när F7 är ”Nej”; lämna cellen tom'
            in err)
    assert 'mall.xlsx, rad 4, kolumn "F4_dagar": fråga F4_dagar: 400 är större än högsta' in err
    assert 'mall.xlsx, rad 5, kolumn "Ärende": ärendet "FB-99" finns inte i granskning 1' in err
    assert "Traceback" not in r.output
    # Row 4's other problems are reported once its cells are valid:
    fill(out, {2: {"F7": "Ja"}, 3: {"F8": None}, 4: {"F4_dagar": 40}, 5: {"Ärende": None,
                                                                          "F1": None}})
    r = CliRunner().invoke(cli, ["svar", "importera", str(out), "--granskning", str(audit),
                                 "--db", db_url])
    assert r.exit_code == 2
    assert 'rad 4, kolumn "F3": svar saknas (frågan krävs när ärendet besvaras)' in r.stderr
    assert ('rad 4, kolumn "F4__motivering": motivering krävs för svaret ”Över 14 dagar” på F4'
            in r.stderr)
    assert r.stderr.count("Fel:") == 1 and len(r.stderr.strip().splitlines()) == 2
    with Store.open(db_url) as s:
        assert s.answers(audit, "FB-3") == {"F1": "Skolan"}  # untouched: all or nothing
        assert len(s.history(audit)) == 1


def test_unknown_and_duplicate_columns_and_rows(store, audit, tmp_path):
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out)
    fill(out, {2: {"F99": "x"}}, extra_header="F99")
    with pytest.raises(InputError, match='mall.xlsx, rad 1, kolumn "F99": okänd kolumn'):
        import_answers(store, audit, out, who="x")
    export_template(store, audit, out)
    fill(out, {3: {"Ärende": "FB-2", "F1": "Polisen"}, 2: {"F1": "Polisen"}})
    with pytest.raises(ManyInputErrors) as info:
        import_answers(store, audit, out, who="x")
    assert 'rad 3, kolumn "Ärende": ärendet finns redan på rad 2' in str(info.value)


def test_emptied_cell_deletes_and_empty_row_is_untouched(store, audit, tmp_path):
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out)
    fill(out, {2: {**COMPLETE, "F24": "Anteckning"}})
    import_answers(store, audit, out, who="x")
    store.set_answer(audit, "FB-3", "F1", "Skolan", who="Anna")  # begun in a session
    export_template(store, audit, out)
    fill(out, {2: {"F24": None}, 4: {"F1": None}})  # FB-3 row now has no answers at all
    done = import_answers(store, audit, out, who="x")
    assert "F24" not in store.answers(audit, "FB-2") and done.n_changed == 1
    assert store.answers(audit, "FB-3") == {"F1": "Skolan"}
    hist = store.history(audit, "FB-2")
    assert list(hist[hist["question_id"] == "F24"]["event"]) == ["nytt", "borttaget"]


def test_personnummer_in_free_text_refused(store, audit, tmp_path):
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out)
    fill(out, {2: {**COMPLETE, "F24": "Barnet 811218-9876"}})  # Skatteverket's example number
    with pytest.raises(InputError) as info:
        import_answers(store, audit, out, who="x")
    assert "personnummer vid tecken 8" in str(info.value) and "811218" not in str(info.value)
    assert "9876" not in str(info.value)


def test_cli_export_and_import_json(store, audit, tmp_path, db_url):
    out = tmp_path / "mall.xlsx"
    r = CliRunner().invoke(cli, ["svar", "exportera", "--granskning", str(audit), "--ut", str(out),
                                 "--db", db_url, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"granskning": 1, "fil": str(out), "ärenden": 3,
                                    "svarskolumner": 35, "ifyllda_svar": 0}
    fill(out, {2: COMPLETE})
    r = CliRunner().invoke(cli, ["svar", "importera", str(out), "--granskning", str(audit),
                                 "--db", db_url, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc.pop("sparat_av")  # the login name, or the database user on PostgreSQL
    assert doc == {"granskning": 1, "ärenden": 1, "ändrade_svar": len(COMPLETE),
                   "rader_utan_svar": 2,
                   "granskare": {"Bo": {"ärenden": 1, "ändrade_svar": len(COMPLETE)}}}
    fill(out, {2: {**COMPLETE, "F3": "Nej"}})
    who = [] if db_url.startswith("postgresql") else ["--granskare", "bo"]
    r = CliRunner().invoke(cli, ["svar", "importera", str(out), "--granskning", str(audit),
                                 "--db", db_url, "--skriv-over", *who])
    assert r.exit_code == 0, r.output
    assert "Ärendena tillhör: Bo (1 ärende, 1 svar)." in r.stdout
    if who:  # Bo imports his own file: nothing to warn about
        assert "i ditt namn" not in r.stdout
    r = CliRunner().invoke(cli, ["svar", "exportera", "--granskning", str(audit), "--ut",
                                 str(tmp_path / "mall.csv"), "--db", db_url])
    assert r.exit_code == 2 and "ska sparas som .xlsx" in r.stderr


# -- Store.set_answers ---------------------------------------------------------------


def test_set_answers_is_all_or_nothing(store, audit):
    store.set_answer(audit, "FB-1", "F1", "Polisen", who="Anna")
    with pytest.raises(InputError, match='Ärendet "FB-99" finns inte'):
        store.set_answers(audit, [("FB-1", "F3", "Ja"), ("FB-99", "F3", "Ja")], who="x")
    with pytest.raises(ConflictError):
        store.set_answers(audit, [("FB-1", "F3", "Ja"), ("FB-1", "F1", "Skolan")], who="x",
                          expected_versions={("FB-1", "F1"): 0})
    assert store.answers(audit, "FB-1") == {"F1": "Polisen"}
    n = store.set_answers(audit, [("FB-1", "F3", "Ja"), ("FB-1", "F1", None),
                                  ("FB-1", "F5", "Endast brev")], who="x",
                          expected_versions={("FB-1", "F1"): 1})
    assert n == 3 and store.answers(audit, "FB-1") == {"F3": "Ja", "F5": "Endast brev"}
    assert list(store.history(audit, "FB-1")["event"]) == ["nytt", "nytt", "borttaget", "nytt"]
    assert store.answer(audit, "FB-1", "F1").version == 2
