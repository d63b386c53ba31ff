"""Case data in the session and in Excel: conditions on ``alder``, the case header, the template.

The under-4 hindrance of the pre-assessment checklist is the model: a child under
four is not asked whether it was heard (``visas_om: alder >= 4``).  Ages and sexes
come from the case (derived from the personnummer when the audit was created);
the other case data from the frame (``arendedata``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from granskning.answers.excel import export_template, import_answers
from granskning.answers.session import Session, case_values
from granskning.checklist import loads
from granskning.errors import InputError

CHECKLIST = """\
id: alderstest
titel: Ålder och datum
version: "1"
arendedata:
  alder: tal
  inkom_datum: datum
  enhet: text
omraden:
  - id: a
    titel: Barnets perspektiv
    fragor:
      - id: F1
        text: Har barnet kommit till tals?
        typ: janej
        visas_om: alder >= 4
      - id: F2
        text: Inleddes utredning inom 14 dagar?
        typ: janej
        visas_om: inkom_datum >= 2024-01-01
      - id: F3
        text: Beslutsdatum
        typ: datum
        kravs: false
"""
CHK = loads(CHECKLIST)


def make(store) -> Session:
    audit = store.create_audit("Ålder", "granskning", CHK.id, CHK.version, CHK.sha256, None, {},
                               "test")
    store.add_cases(audit, [
        {"case_id": "A3", "stratum": "Farsta", "draw_order": 1, "age": 3, "sex": "flicka",
         "case_data": {"inkom_datum": "2024-03-15", "enhet": "Mottagningen"}},
        {"case_id": "A4", "stratum": "Farsta", "draw_order": 2, "age": 4, "sex": "pojke",
         "case_data": {"inkom_datum": "2023-12-31", "enhet": "Utredning 1,5"}},
        {"case_id": "AX", "stratum": "Farsta", "draw_order": 3},  # no age, no case data
    ])
    store.assign(audit, {"A3": "Anna", "A4": "Anna", "AX": "Anna"})
    return Session(store, store.audit(audit), CHK, "Anna")


def test_case_values_are_the_case_data_with_age_and_sex(store) -> None:
    s = make(store)
    by_id = {c.case_id: c for c in store.cases(1)}
    assert case_values(by_id["A3"]) == {"inkom_datum": "2024-03-15", "enhet": "Mottagningen",
                                        "alder": 3, "kon": "flicka"}
    assert s.case_data("AX") == {"alder": None, "kon": None}


def test_under_four_is_not_asked_and_the_case_can_be_finished(store) -> None:
    s = make(store)
    assert s.next_step({}, case=s.case_data("A3")).question.id == "F2"
    assert s.next_step({}, case=s.case_data("A4")).question.id == "F1"
    # A4's report came in 2023: F2 is not asked; AX has neither age nor date: only F3.
    assert s.next_step({"F1": "Ja"}, after="F1", case=s.case_data("A4")).question.id == "F3"
    assert [q.id for q in CHK.visible_questions({}, s.case_data("AX"))] == ["F3"]
    with pytest.raises(InputError, match="F1: frågan visas inte"):
        s.record("A3", "F1", "Ja")
    s.record("A3", "F2", "Nej")
    assert s.position(CHK.question("F2"), {}, s.case_data("A3")) == (1, 2)
    assert [r.key for r in s.summary({"F2": "Nej"}, s.case_data("A3"))] == ["F2", "F3"]
    s.finish("A3")  # F1 is not missing: the child is under four
    with pytest.raises(InputError, match="svar saknas på F1"):
        s.finish("A4")
    s.record("A4", "F1", "Ja")
    s.finish("A4")
    assert {c.case_id: c.status for c in store.cases(1)}["A4"] == "klar"


def test_an_answer_to_a_question_hidden_by_case_data_is_removed_on_opening(store) -> None:
    s = make(store)
    store.set_answer(1, "A3", "F1", "Ja", who="psql")  # written outside the session
    assert s.tidy("A3") == ("F1",)
    assert store.answers(1, "A3") == {}


def test_case_header_shows_the_case_data_never_a_personnummer(store) -> None:
    s = make(store)
    by_id = {c.case_id: c for c in store.cases(1)}
    assert s.case_header(by_id["A3"]) == ("Ärendedata: alder 3 · inkom_datum 2024-03-15 · "
                                          "enhet Mottagningen")
    assert s.case_header(by_id["AX"]) == "Ärendedata: alder – · inkom_datum – · enhet –"
    no_data = loads(CHECKLIST.replace("arendedata:\n  alder: tal\n  inkom_datum: datum\n"
                                      "  enhet: text\n", "").replace(
        "        visas_om: alder >= 4\n", "").replace(
        "        visas_om: inkom_datum >= 2024-01-01\n", ""))
    plain = Session(store, store.audit(1), no_data, "Anna")
    assert plain.case_header(by_id["AX"]) is None


def test_the_prompts_show_the_case_data_and_skip_f1_for_a_three_year_old(store) -> None:
    from test_session import CTRL_C, ENTER, Await, drive

    s = make(store)
    # A3: F2 Nej (the key n), F3 skipped (optional), then stop at the summary.
    keys = [ENTER, Await("F2"), "n", Await("F3"), ENTER, Await("Vad vill du"), CTRL_C]
    printed, screen, _error = drive(s, keys)
    assert "Ärendedata: alder 3 · inkom_datum 2024-03-15 · enhet Mottagningen" in printed
    assert "F1" not in printed.split("Ärendedata")[1].split("Sammanfattning")[0]
    assert store.answers(1, "A3") == {"F2": "Nej"}


def test_template_shows_case_data_read_only_and_import_uses_it(store, tmp_path) -> None:
    make(store)
    out = tmp_path / "mall.xlsx"
    export_template(store, 1, out, checklist=CHK)
    wb = load_workbook(out)
    ws = wb["Svar"]
    titles = [c.value for c in ws[1]]
    assert titles[:8] == ["Ärende", "Stratum", "Kön", "Ålder", "inkom_datum", "enhet", "F1", "F2"]
    cols = {t: i + 1 for i, t in enumerate(titles)}
    assert ws.cell(2, cols["inkom_datum"]).value == dt.datetime(2024, 3, 15)
    assert ws.cell(2, cols["inkom_datum"]).number_format == "yyyy-mm-dd"
    assert ws.cell(3, cols["enhet"]).value == "Utredning 1,5"
    assert ws.protection.sheet and ws.cell(2, cols["inkom_datum"]).protection.locked
    assert not ws.cell(2, cols["F1"]).protection.locked
    assert "Ärendedata från ramen (datum)" in ws.cell(1, cols["inkom_datum"]).comment.text
    # A3 (3 years) answers F1 anyway: refused with the condition in words.
    ws.cell(2, cols["F1"]).value = "Ja"
    ws.cell(2, cols["F2"]).value = "Nej"
    ws.cell(3, cols["F1"]).value = "Ja"
    wb.save(out)
    with pytest.raises(InputError) as caught:
        import_answers(store, 1, out, who="Anna", checklist=CHK)
    assert 'rad 2, kolumn "F1": frågan visas bara när alder är minst 4' in str(caught.value)
    assert store.answers(1, "A3") == {} and store.answers(1, "A4") == {}
    ws.cell(2, cols["F1"]).value = None
    ws.cell(2, cols["inkom_datum"]).value = "2020-01-01"  # case data are not read back
    wb.save(out)
    done = import_answers(store, 1, out, who="Anna", checklist=CHK)
    assert done.n_cases == 2
    assert store.answers(1, "A3") == {"F2": "Nej"} and store.answers(1, "A4") == {"F1": "Ja"}
    assert {c.case_id: c.case_data for c in store.cases(1)}["A3"]["inkom_datum"] == "2024-03-15"


def test_template_case_text_starting_with_equals_is_not_a_formula(store, tmp_path) -> None:
    audit = store.create_audit("T", "granskning", CHK.id, CHK.version, CHK.sha256, None, {}, "t")
    store.add_cases(audit, [{"case_id": "Z1", "age": 9,
                             "case_data": {"enhet": "=HYPERLINK(\"http://x\")"}}])
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out, checklist=CHK)
    cell = load_workbook(out)["Svar"].cell(2, 6)
    assert cell.data_type == "s" and str(cell.value).endswith('HYPERLINK("http://x")')
