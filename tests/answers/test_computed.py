"""Computed questions (berakna) and cross-field checks (giltig_om): the checklist, the session,
the prompts and the Excel template (issue 11, items 3 and 4).

The limit is the pre-assessment's 14 days (11 kap. 1 a § SoL); every expected day count is
computed by hand in the comment beside it.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from granskning.answers.excel import export_template, import_answers
from granskning.answers.session import Session
from granskning.checklist import loads
from granskning.errors import InputError, ManyInputErrors
from granskning.store.database import Store

CHECKLIST = """\
id: tidsgranser
titel: Tidsgränser
version: "1"
arendedata:
  inkom_datum: datum
omraden:
  - id: tid
    titel: Tid
    fragor:
      - id: F1
        text: När avslutades förhandsbedömningen?
        typ: datum
        giltig_om: F1 >= inkom_datum
        felmeddelande: Förhandsbedömningen kan inte avslutas före inkomstdatum
      - id: F2
        text: Avslutad inom 14 dagar?
        typ: janej
        berakna: dagar(inkom_datum, F1) <= 14
        indikator: true
      - id: F2_dagar
        text: Antal dagar
        typ: tal
        berakna: dagar(inkom_datum, F1)
      - id: F3
        text: Skäl till dröjsmålet
        typ: fritext
        visas_om: F2 == 'Nej'
      - id: F4
        text: Beslutsdatum
        typ: datum
        kravs: false
        giltig_om: F4 >= F1
        felmeddelande: Beslutsdatum kan inte vara före avslutsdatum
"""
CHK = loads(CHECKLIST)
CASE = {"inkom_datum": "2023-12-25"}


# ------------------------------------------------------------------ the checklist


def test_computed_values_by_hand() -> None:
    # 25 Dec 2023 -> 8 Jan 2024: 6 days to the year end + 8 = 14, within the limit
    assert CHK.computed({"F1": "2024-01-08"}, CASE) == {"F2": "Ja", "F2_dagar": 14}
    assert CHK.computed({"F1": "2024-01-09"}, CASE) == {"F2": "Nej", "F2_dagar": 15}
    # blank when an input is missing: no answer, or no case date
    assert CHK.computed({}, CASE) == {"F2": None, "F2_dagar": None}
    assert CHK.computed({"F1": "2024-01-08"}, {}) == {"F2": None, "F2_dagar": None}


def test_a_calculation_may_copy_or_shift_a_value() -> None:
    text = CHECKLIST + (
        "      - id: X\n        text: x\n        typ: tal\n        berakna: F2_dagar\n"
        "      - id: Y\n        text: y\n        typ: datum\n"
        "        berakna: plus_manader(inkom_datum, 4)\n"
    )
    chk = loads(text)
    # 25 Dec 2023 plus four months is 25 Apr 2024
    assert chk.computed({"F1": "2024-01-08"}, CASE)["X"] == 14
    assert chk.computed({}, {"inkom_datum": "2023-10-31"})["Y"] == "2024-02-29"  # month end


def test_computed_values_drive_conditions_and_are_never_missing() -> None:
    late = {"F1": "2024-01-09"}
    assert [q.id for q in CHK.visible_questions(late, CASE)] == ["F1", "F2", "F2_dagar", "F3", "F4"]
    assert CHK.missing(late, CASE) == ["F3"]  # F2 and F2_dagar are computed, not asked
    assert CHK.missing({"F1": "2024-01-08"}, CASE) == []
    assert CHK.next_unanswered({}, CASE).id == "F1"
    # a stored value that disagrees is not believed: the computed one decides
    assert CHK.visible("F3", {"F1": "2024-01-08", "F2": "Nej"}, CASE) is False


def test_violations_name_the_question_and_pass_when_unknown() -> None:
    found = CHK.violations({"F1": "2023-12-24"}, CASE)
    assert [(q.id, m) for q, m in found] == [
        ("F1", "F1: Förhandsbedömningen kan inte avslutas före inkomstdatum")
    ]
    assert CHK.violations({"F1": "2023-12-25"}, CASE) == []
    assert CHK.violations({"F1": "2023-12-24"}, {}) == []  # no case date: unknown, passes
    found = CHK.violations({"F1": "2024-01-08", "F4": "2024-01-07"}, CASE, keys={"F1"})
    assert [q.id for q, _m in found] == ["F4"]  # F4's check names F1


@pytest.mark.parametrize(
    ("question", "key", "needle"),
    [
        (
            "typ: enval\n        val: [a, b]\n        berakna: F1 > inkom_datum",
            "berakna",
            "berakna gäller frågor av typ janej, tal, datum",
        ),
        (
            "typ: janej\n        berakna: dagar(inkom_datum, F1)",
            "berakna",
            "behöver ett villkor (sant/falskt), men dagar(inkom_datum, F1) ger ett tal",
        ),
        (
            "typ: tal\n        berakna: F1 + 14",
            "berakna",
            "behöver ett tal, men F1 + 14 ger ett datum",
        ),
        ("typ: tal\n        berakna: F1 * 2", "berakna", "ett datum kan inte multipliceras"),
        ("typ: tal\n        berakna: dagar(F1, 3)", "berakna", "dagar() tar två datum"),
        ("typ: tal\n        berakna: dagar(F1, F9)", "berakna", "bygger på F9, som kommer senare"),
        ("typ: tal\n        berakna: dagar(F1, Y)", "berakna", '"Y", som varken är en fråga'),
        ("typ: tal\n        berakna: X + 1", "berakna", "X kan inte beräknas ur sig själv"),
        (
            "typ: janej\n        berakna: F1 > inkom_datum\n        hinder: [Vet ej]",
            "hinder",
            "X beräknas och besvaras aldrig; ta bort hinder",
        ),
        ("typ: datum\n        giltig_om: F1 >= inkom_datum", "giltig_om", "nämner inte X"),
        ("typ: datum\n        giltig_om: X + 1", "giltig_om", "X + 1 är inget villkor"),
        ("typ: datum\n        giltig_om: X >= 3", "giltig_om", ""),
        ("typ: tal\n        felmeddelande: Fel", "felmeddelande", "ange giltig_om också"),
        (
            "typ: tal\n        berakna: antal(F1) + 1",
            "berakna",
            "antal() gäller flervalsfrågor, men F1 är av typ datum",
        ),
    ],
)
def test_bad_rules_are_refused_with_line_and_key(question: str, key: str, needle: str) -> None:
    text = (
        CHECKLIST + f"      - id: X\n        text: x\n        {question}\n"
        "      - id: F9\n        text: y\n        typ: datum\n"
    )
    with pytest.raises(ManyInputErrors) as caught:
        loads(text, source="lista.yaml")
    messages = [str(p) for p in caught.value.errors]
    assert any(
        f'nyckel "{key}"' in m and needle in m and "lista.yaml, rad " in m for m in messages
    ), messages


# ------------------------------------------------------------------ the session


def make_session(store: Store, reviewer: str = "Anna") -> Session:
    audit_id = store.create_audit(
        "Tidsgränser 2024", "granskning", CHK.id, CHK.version, CHK.sha256, None, {}, "test"
    )
    store.add_cases(
        audit_id,
        [
            {"case_id": "FB-1", "stratum": "Farsta", "draw_order": 1, "case_data": CASE},
            {
                "case_id": "FB-2",
                "stratum": "Farsta",
                "draw_order": 2,
                "case_data": {"inkom_datum": "2024-02-20"},
            },
            {"case_id": "FB-3", "stratum": "Farsta", "draw_order": 3},  # no case data
        ],
    )
    store.assign(audit_id, {"FB-1": reviewer, "FB-2": reviewer, "FB-3": reviewer})
    return Session(store, store.audit(audit_id), CHK, reviewer)


def test_an_answer_stores_the_computed_values_with_their_history(store) -> None:
    s = make_session(store)
    done = s.record("FB-1", "F1", "2024-01-09")
    assert dict(done.computed) == {"F2": "Nej", "F2_dagar": 15}
    assert store.answers(1, "FB-1") == {"F1": "2024-01-09", "F2": "Nej", "F2_dagar": 15}
    s.record("FB-1", "F3", "Semester")
    s2 = Session(store, store.audit(1), CHK, "Bo")  # another reviewer corrects the date
    done = s2.record("FB-1", "F1", "2024-01-08")
    assert done.removed == ("F3",)  # within the limit: the reason no longer applies
    assert store.answers(1, "FB-1") == {"F1": "2024-01-08", "F2": "Ja", "F2_dagar": 14}
    hist = store.history(1, "FB-1")
    f2 = hist[hist["question_id"] == "F2"]
    assert list(f2["new_value"]) == ["Nej", "Ja"]
    assert list(f2["changed_by"]) == ["Anna", "Bo"]  # who caused the change
    s2.record("FB-1", "F1", None)  # blank: the computed answers go too
    assert store.answers(1, "FB-1") == {}


def test_leap_day_case(store) -> None:
    s = make_session(store)
    s.record("FB-2", "F1", "2024-03-05")  # 20 Feb -> 5 Mar 2024: 9 + 5 = 14 days (29 Feb)
    assert store.answers(1, "FB-2")["F2_dagar"] == 14
    s.record("FB-3", "F1", "2024-03-05")  # no inkom_datum: blank, not Nej
    assert store.answers(1, "FB-3") == {"F1": "2024-03-05"}


def test_a_failed_check_is_refused_and_nothing_is_stored(store) -> None:
    s = make_session(store)
    with pytest.raises(
        InputError, match="F1: Förhandsbedömningen kan inte avslutas före inkomstdatum"
    ):
        s.record("FB-1", "F1", "2023-12-24")
    assert store.answers(1, "FB-1") == {}
    s.record("FB-1", "F1", "2024-01-02")
    s.record("FB-1", "F4", "2024-01-03")
    with pytest.raises(InputError, match="F4: Beslutsdatum kan inte vara före avslutsdatum"):
        s.record("FB-1", "F4", "2024-01-01")
    with pytest.raises(InputError, match="F4: Beslutsdatum"):  # F1 moved past F4's date
        s.record("FB-1", "F1", "2024-01-05")
    assert store.answers(1, "FB-1")["F1"] == "2024-01-02"


def test_a_computed_question_is_never_answered_or_asked(store) -> None:
    s = make_session(store)
    with pytest.raises(InputError, match="F2 beräknas av verktyget"):
        s.record("FB-1", "F2", "Ja")
    answers = {"F1": "2024-01-09", "F2": "Nej", "F2_dagar": 15}
    assert s.next_step(answers).question.id == "F3"
    rows = {r.key: r for r in s.summary(answers)}
    assert rows["F2"].computed and not rows["F2"].missing and rows["F2"].answer == "Nej"
    assert s.position(CHK.question("F3"), answers) == (2, 3)  # F1, F3, F4 are asked


def test_opening_a_case_computes_what_was_written_outside(store) -> None:
    s = make_session(store)
    store.set_answer(1, "FB-1", "F1", "2024-01-20", who="import")
    s.tidy("FB-1")
    assert store.answers(1, "FB-1") == {"F1": "2024-01-20", "F2": "Nej", "F2_dagar": 26}


def test_the_prompt_asks_again_with_the_message(store) -> None:
    from test_session import ENTER, Await, drive

    s = make_session(store)
    keys = [ENTER, "2023-12-01" + ENTER, Await("inkomstdatum"), "\x7f" * 10 + "2024-01-02" + ENTER]
    printed, screen, _error = drive(s, keys)
    assert "F1: Förhandsbedömningen kan inte avslutas före inkomstdatum" in printed + screen
    assert store.answers(1, "FB-1")["F1"] == "2024-01-02"
    assert "Beräknat: F2 = Ja, F2_dagar = 8" in printed  # 25 Dec -> 2 Jan: 6 + 2


# ------------------------------------------------------------------ Excel


def test_template_locks_computed_columns_and_import_computes_them(store, tmp_path) -> None:
    make_session(store)
    store.set_answer(1, "FB-1", "F1", "2024-01-09", who="Anna")
    Session(store, store.audit(1), CHK, "Anna").tidy("FB-1")
    out = tmp_path / "mall.xlsx"
    export_template(store, 1, out, checklist=CHK)
    wb = load_workbook(out)
    ws = wb["Svar"]
    cols = {c.value: c.column for c in ws[1]}
    assert ws.protection.sheet
    assert ws.cell(2, cols["F2"]).protection.locked and ws.cell(2, cols["F2"]).value == "Nej"
    assert not ws.cell(2, cols["F1"]).protection.locked
    assert not ws.cell(40, cols["F3"]).protection.locked  # rows the user adds stay open
    assert "Beräknas av granskning" in ws.cell(1, cols["F2_dagar"]).comment.text
    frågor = wb["Frågor"]
    assert [c.value for c in frågor[1]][-2:] == ["Beräknas", "Kontroll"]
    # the user corrects FB-1's date, fills FB-2, and types over a computed cell
    ws.cell(2, cols["F1"]).value = "2024-01-08"
    ws.cell(2, cols["F2"]).value = "Nej"  # not read: computed again
    ws.cell(3, cols["F1"]).value = "2024-03-06"
    ws.cell(3, cols["F3"]).value = "Sjukdom"
    wb.save(out)
    done = import_answers(store, 1, out, who="Cecilia", checklist=CHK)
    assert done.n_cases == 2
    assert store.answers(1, "FB-1") == {"F1": "2024-01-08", "F2": "Ja", "F2_dagar": 14}
    # 20 Feb -> 6 Mar 2024: 9 + 6 = 15 days
    assert store.answers(1, "FB-2") == {
        "F1": "2024-03-06",
        "F2": "Nej",
        "F2_dagar": 15,
        "F3": "Sjukdom",
    }
    hist = store.history(1, "FB-1")
    assert hist[hist["question_id"] == "F2"]["changed_by"].tolist()[-1] == "Cecilia"


def test_import_refuses_a_failed_check_and_stores_nothing(store, tmp_path) -> None:
    make_session(store)
    out = tmp_path / "mall.xlsx"
    export_template(store, 1, out, checklist=CHK)
    wb = load_workbook(out)
    ws = wb["Svar"]
    cols = {c.value: c.column for c in ws[1]}
    ws.cell(2, cols["F1"]).value = "2024-01-08"
    ws.cell(3, cols["F1"]).value = "2024-03-01"
    ws.cell(3, cols["F4"]).value = "2024-02-28"
    wb.save(out)
    with pytest.raises(InputError) as caught:
        import_answers(store, 1, out, who="Cecilia", checklist=CHK)
    text = str(caught.value)
    assert 'rad 3, kolumn "F4"' in text and 'bladet "Svar"' in text, text
    assert "F4: Beslutsdatum kan inte vara före avslutsdatum" in text
    assert store.answers(1, "FB-1") == {} and store.answers(1, "FB-2") == {}


def test_the_guide_example_validates_and_computes() -> None:
    from pathlib import Path

    guide = (Path(__file__).parents[2] / "docs" / "checklistformat.md").read_text("utf-8")
    section = guide.split("## Beräknade frågor")[1]
    block = section.split("```yaml\n")[1].split("```")[0]
    chk = loads('id: guide\ntitel: Exempel\nversion: "1"\n' + block)
    assert [q.id for q in chk.questions if q.computed] == ["F4", "F4_dagar"]
    # 25 Dec 2023 -> 9 Jan 2024: 6 + 9 = 15 days, over the limit: the reason is asked
    answers = {"F3": "2024-01-09"}
    assert chk.computed(answers, CASE) == {"F4": "Nej", "F4_dagar": 15}
    assert chk.missing(answers, CASE) == ["F4_skal"]
    assert chk.violations({"F3": "2023-12-24"}, CASE)[0][1] == (
        "F3: Beslutsdatum kan inte vara före inkomstdatum"
    )


def test_a_hidden_computed_question_is_blank() -> None:
    text = CHECKLIST.replace(
        "        berakna: dagar(inkom_datum, F1)\n",
        "        berakna: dagar(inkom_datum, F1)\n        visas_om: F2 == 'Nej'\n",
    )
    chk = loads(text)
    assert chk.computed({"F1": "2024-01-08"}, CASE)["F2_dagar"] is None  # within: hidden
    assert chk.computed({"F1": "2024-01-10"}, CASE)["F2_dagar"] == 16  # 6 + 10 days


def test_a_template_without_computed_questions_is_not_protected(store, tmp_path) -> None:
    plain_text = (
        CHECKLIST.replace("id: tidsgranser", "id: utan-berakning")
        .replace("        berakna: dagar(inkom_datum, F1) <= 14\n", "")
        .replace("        berakna: dagar(inkom_datum, F1)\n", "")
    )
    plain = loads(plain_text)
    audit_id = store.create_audit(
        "Utan", "granskning", plain.id, plain.version, plain.sha256, None, {}, "test"
    )
    store.add_cases(audit_id, [{"case_id": "FB-1", "stratum": "Farsta", "draw_order": 1}])
    out = tmp_path / "mall.xlsx"
    export_template(store, audit_id, out, checklist=plain)
    ws = load_workbook(out)["Svar"]
    # Its case data (inkom_datum) are read-only, so the sheet is protected; every answer
    # column stays open.
    cols = {c.value: c.column for c in ws[1]}
    assert ws.protection.sheet and ws.cell(2, cols["inkom_datum"]).protection.locked
    assert not any(ws.cell(2, cols[k]).protection.locked for k in ("F1", "F3", "F4"))
    # Without case data either, nothing is locked.
    bare = loads(
        plain_text.replace("id: utan-berakning", "id: utan-arendedata")
        .replace("arendedata:\n  inkom_datum: datum\n", "")
        .replace("        giltig_om: F1 >= inkom_datum\n", "")
        .replace("        felmeddelande: Förhandsbedömningen kan inte avslutas före inkomstdatum\n",
                 "")
    )
    audit_id = store.create_audit(
        "Utan", "granskning", bare.id, bare.version, bare.sha256, None, {}, "test"
    )
    store.add_cases(audit_id, [{"case_id": "FB-1", "stratum": "Farsta", "draw_order": 1}])
    export_template(store, audit_id, out, checklist=bare)
    assert not load_workbook(out)["Svar"].protection.sheet


def test_the_rendered_checklist_shows_calculations_and_checks() -> None:
    from granskning.checklist.render import render, to_dict

    text = " ".join(render(CHK).split())  # the lines are wrapped at 80 characters
    assert "Beräknas (besvaras inte): dagar(inkom_datum, F1) <= 14 – antalet dagar från" in text
    assert "Kontroll: F1 är minst inkom_datum – annars: Förhandsbedömningen kan inte" in text
    questions = to_dict(CHK)["omraden"][0]["fragor"]
    assert questions[1]["berakna"] == "dagar(inkom_datum, F1) <= 14"
    assert questions[0]["giltig_om"] == "F1 >= inkom_datum"
    assert questions[0]["felmeddelande"].startswith("Förhandsbedömningen kan inte")
