"""The reviewer's keys in ``granskning kontroll`` (issue 12, items 6 and 7).

Driven like test_session.py: real prompts, pipe input, an 80×24 screen.  The
expected answers are the keys pressed.
"""

from __future__ import annotations

import pytest
from test_session import (
    CHECKLIST,
    CTRL_C,
    DOWN,
    ENTER,
    FULL_CASE,
    SPACE,
    UP,
    Await,
    drive,
    make_audit,
)

from granskning.answers.menu import CHOOSE_MESSAGE, ticked_text
from granskning.answers.prompts import WIDTH, answer_keys, summary_lines
from granskning.answers.session import Session
from granskning.audit import pseudonym
from granskning.checklist import loads

LEFT = "\x1b[D"


@pytest.fixture
def session(store):
    return make_audit(store)


ONE_QUESTION = """\
id: en-fraga
titel: En fråga
version: "1"
slag: granskning
omraden:
  - id: a
    titel: A
    fragor:
      - id: J1
        text: Finns en plan?
        typ: janej
"""


def test_answer_keys_are_first_letters_when_unique_else_numbers():
    assert answer_keys(["Ja", "Nej"]) == ["j", "n"]
    assert answer_keys(["Ja", "Nej", "Bristfällig"]) == ["j", "n", "b"]
    assert answer_keys(["Inom 14 dagar", "Över 14 dagar"]) == ["i", "ö"]
    # F7 with its hindrances: Ja/Nej keep j/n, the two "Barnet …" get their positions
    assert answer_keys(["Ja", "Nej", "Barnet vill inte", "Barnet kan inte",
                        "VH samtycker inte"]) == ["j", "n", "3", "4", "v"]
    assert answer_keys(["Fysiskt möte", "Endast telefon", "Endast brev", "Ingen kontakt"]) == [
        "f", "2", "3", "i"]
    assert answer_keys(["0–3 år", "4 år"]) == ["1", "2"]  # digits are not letters
    assert answer_keys([f"Val {i}" for i in range(11)])[-2:] == ["", ""]  # no key past nine


def test_enter_on_a_fresh_question_chooses_nothing(session, store):
    keys = [ENTER, Await("Q1:"), ENTER, Await("Välj ett svar"), "j", Await("Q3:")]
    printed, screen, error = drive(session, keys)
    assert isinstance(error, KeyboardInterrupt)
    assert CHOOSE_MESSAGE in screen
    assert store.answers(1, "FB-1") == {"Q1": "Ja"}  # only the key's answer


def test_down_past_the_last_choice_does_not_wrap(store):
    chk = loads(ONE_QUESTION)
    audit = store.create_audit("G", "granskning", chk.id, chk.version, chk.sha256, None, {}, "t")
    store.add_cases(audit, [{"case_id": "FB-1", "stratum": "A", "draw_order": 1}])
    store.assign(audit, {"FB-1": "Anna"})
    s = Session(store, store.audit(audit), chk, "Anna")
    drive(s, ENTER + DOWN * 5 + ENTER + CTRL_C)  # five downs: still on the last, Nej
    assert store.answers(audit, "FB-1") == {"J1": "Nej"}
    s2 = Session(store, store.audit(audit), chk, "Anna")
    store.delete_answer(audit, "FB-1", "J1", who="Anna")
    drive(s2, ENTER + DOWN + UP * 4 + ENTER + CTRL_C)  # up from the first: stays on Ja
    assert store.answers(audit, "FB-1") == {"J1": "Ja"}


def test_help_keeps_the_ticked_choices_and_the_checkbox_is_swedish(store):
    text = CHECKLIST.replace("        typ: flerval\n", "        typ: flerval\n"
                             "        hjalp: Alla orsaker.\n")
    session = make_audit(store, text)
    keys = [ENTER, "j", "g", "1", "?", Await("Hjälp: Alla orsaker."), "3" + ENTER,
            Await("Q5 (")]
    printed, screen, _e = drive(session, keys)
    assert store.answers(1, "FB-1")["Q4"] == ["X", "Z"]  # 1 ticked before help, 3 after
    assert "Q4: " + ticked_text(2) in screen and ticked_text(2) == "klar (2 valda)"
    assert ticked_text(1) == "klar (1 vald)"
    assert "Hjälp: Alla orsaker." in printed
    hint = "? Q4: (siffra/mellanslag kryssar, Enter går vidare; ? hjälp; < föregående)"
    assert hint in screen and len("? F8_skal:" + hint[5:]) <= 80  # one line at 80 columns


def test_everything_on_screen_is_swedish(session, store):
    printed, screen, error = drive(session, FULL_CASE)
    assert error is None and store.cases(1)[0].status == "klar"
    for english in ("done", "selection", "Use arrow", "Answer:", "type to filter"):
        assert english not in screen and english not in printed, english


def test_back_reopens_the_previous_question_with_its_answer(session, store):
    keys = (ENTER + "n"  # Q1: Nej
            + "<"  # at Q2: back to Q1 (pointer on the stored Nej)
            + "j"  # Q1: Ja, which hides Q2
            + "g" + CTRL_C)  # Q3: God
    printed, screen, error = drive(session, keys)
    assert isinstance(error, KeyboardInterrupt)
    assert store.answers(1, "FB-1") == {"Q1": "Ja", "Q3": "God"}
    assert printed.count("Q1  Har barnet kommit till tals om anmälan?") == 2
    assert "‹ Föregående fråga" in screen


def test_back_from_a_number_and_with_the_left_arrow(session, store):
    keys = [ENTER, "j", "g", "1" + DOWN + SPACE + ENTER,  # Q4: X (key 1), Y (space)
            Await("Q5 ("), "<" + ENTER,  # Q5 (a number): back to Q4, ticks as stored
            Await("klar (2 valda)"), "3" + ENTER,  # Q4: Z ticked too
            Await("Q5 ("), "7" + ENTER, Await("Q6 ("), "<" + ENTER,  # Q6 back to Q5
            Await("Q5 (tal"), ENTER,  # Q5: keep 7
            Await("Q6 ("), "2024-03-01" + ENTER, Await("Q7 ("), ENTER]
    printed, _screen, _e = drive(session, keys)
    answers = store.answers(1, "FB-1")
    assert answers["Q4"] == ["X", "Y", "Z"] and answers["Q5"] == 7, printed
    assert answers["Q6"] == "2024-03-01"


def test_left_arrow_in_a_menu_goes_back(session, store):
    printed, _screen, error = drive(session, ENTER + "j" + LEFT + "n" + CTRL_C)  # at Q3
    assert isinstance(error, KeyboardInterrupt)
    assert store.answers(1, "FB-1") == {"Q1": "Nej"}
    assert printed.count("Q1  Har barnet kommit") == 2 and "Q2  Finns en" in printed


def test_summary_lists_the_question_text_with_each_answer(session, store):
    printed, _screen, error = drive(session, FULL_CASE)
    assert error is None
    assert "Q1  Har barnet kommit till tals om anmälan? → Nej" in printed
    assert "    Motivering → Otydligt samtal" in printed
    long = summary_lines("F22  ", "Samverkan med andra enheter inom socialtjänsten, till exempel "
                         "missbrukshandläggare eller relationsvåldshandläggare", "Ej aktuellt")
    assert all(len(line) <= WIDTH for line in long)
    assert " ".join(line.strip() for line in long).endswith(
        "relationsvåldshandläggare → Ej aktuellt")


def test_case_list_filters_by_district_number_and_real_id(store):
    session = make_audit(store, n=12)  # even numbers Bromma, odd Farsta
    keys = [Await("Välj ärende"), "bromma 4", Await("1 träff"), ENTER, Await("Q1:")]
    printed, screen, _e = drive(session, keys)
    assert 'Bromma, nr 4 – ärende "FB-4"' in printed  # the case opened
    # the real case number the reviewer has in hand, matched through the key
    secret = pseudonym.key()
    real = "2024-0042"
    alias = pseudonym.case(secret, real)
    store.add_cases(1, [{"case_id": alias, "stratum": "Kista", "draw_order": 1}])
    store.assign(1, {alias: "Anna"})
    keys = [Await("Välj ärende"), real, Await("1 träff"), ENTER, Await("Q1:")]
    printed, _screen, _e = drive(Session(store, store.audit(1), session.checklist, "Anna"), keys)
    assert f'Kista, nr 1 – ärende "{alias}"' in printed
    assert real not in printed
    assert not any(real in str(v) for v in store.history(1).astype(str).to_numpy().ravel())
    # nothing matches: Enter says so and stays
    keys = [Await("Välj ärende"), "zz", Await("0 träffar"), ENTER,
            Await("Inget ärende matchar")]
    _p, screen, error = drive(Session(store, store.audit(1), session.checklist, "Anna"), keys)
    assert isinstance(error, KeyboardInterrupt) and "Inget ärende matchar" in screen
