"""The checklist session: granskning.answers.session (logic) and granskning.answers.prompts (prompts).

Whole flows are driven through real questionary prompts with a prompt_toolkit
pipe input and a VT100 output written to a string (an 80×24 screen), so the
tests see what a reviewer sees.  Keys: Enter "\\r", Up "\\x1b[A", Down "\\x1b[B", Space " ",
Backspace "\\x7f", Ctrl-C "\\x03".  There are no computed figures here: the
expected answers are the keys pressed.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

# The prompt driver lives in tests/session_driver.py (the store's concurrency tests use it too);
# its names stay importable from here for the answers wing's other test modules.
from session_driver import BACKSPACE, CTRL_C, DOWN, ENTER, SPACE, UP, Await, Screen, drive  # noqa: F401 (re-exported)

from granskning.answers.prompts import WIDTH, Prompter
from granskning.answers.session import Session, Step, check_free_text, show_value, storable
from granskning.checklist import load, loads
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Store

CHECKLIST = """\
id: test-kort
titel: Testlista
version: "1"
slag: granskning
omraden:
  - id: a
    titel: Område A
    fragor:
      - id: Q1
        text: Har barnet kommit till tals om anmälan?
        typ: janej
        hinder: [Barnet kan inte]
        hjalp: Hjälptext för Q1.
        lagrum: 11 kap. 10 § SoL
      - id: Q2
        text: Finns en dokumenterad motivering?
        typ: janej
        visas_om: Q1 == 'Nej'
      - id: Q3
        text: Samtalets kvalitet
        typ: enval
        val: [God, Bristfällig]
        motivering_kravs: [Bristfällig]
  - id: b
    titel: Område B
    fragor:
      - id: Q4
        text: Orsaker
        typ: flerval
        val: [X, Y, Z]
      - id: Q5
        text: Antal dagar
        typ: tal
        min: 0
        max: 365
      - id: Q6
        text: Beslutsdatum
        typ: datum
      - id: Q7
        text: Anteckningar
        typ: fritext
        kravs: false
"""

SURVEY = CHECKLIST.replace("id: test-kort", "id: test-enkat").replace("slag: granskning",
                                                                          "slag: enkat")


def make_audit(store: Store, text: str = CHECKLIST, n: int = 1, reviewer: str | None = "Anna"):
    chk = loads(text)
    audit_id = store.create_audit("Vårens granskning", "granskning", chk.id, chk.version,
                                  chk.sha256, None, {}, "test")
    store.add_cases(audit_id, [
        {"case_id": f"FB-{i}", "stratum": "Farsta" if i % 2 else "Bromma", "draw_order": i,
         "case_worker": "Bo Ek" if i != 2 else "Cecilia"}
        for i in range(1, n + 1)
    ])
    if reviewer:
        store.assign(audit_id, {f"FB-{i}": reviewer for i in range(1, n + 1)})
    return Session(store, store.audit(audit_id), chk, reviewer or "Bo Ek")


FULL_CASE = (
    ENTER  # case list: the only case
    + "n"  # Q1: Nej (a key chooses at once)
    + "j"  # Q2 (shown because Q1 is Nej): Ja
    + "b" + "Otydligt samtal" + ENTER  # Q3: Bristfällig, then the motivation
    + SPACE + DOWN + DOWN + SPACE + ENTER  # Q4: X and Z (space on the pointed choice)
    + "400" + ENTER + "12" + ENTER  # Q5: 400 refused (max 365) and cleared, then 12
    + "2024-3-1" + ENTER + "2024-03-01" + ENTER  # Q6: bad date (cleared), then ISO
    + ENTER  # Q7 optional: no answer
    + ENTER  # summary: Klar
)


@pytest.fixture
def session(store):
    return make_audit(store)


# -- whole flows ------------------------------------------------------------------


def test_full_case_with_skip_logic_motivation_validation_and_finish(session, store):
    printed, screen, error = drive(session, FULL_CASE)
    assert error is None, printed
    assert store.answers(1, "FB-1") == {
        "Q1": "Nej", "Q2": "Ja", "Q3": "Bristfällig", "Q3__motivering": "Otydligt samtal",
        "Q4": ["X", "Z"], "Q5": 12, "Q6": "2024-03-01",
    }  # fmt: skip
    assert store.cases(1)[0].status == "klar"
    assert "Område B · fråga 4 av 7" in printed  # Q2 shown: 7 questions
    assert "Svaret ”Bristfällig” kräver en motivering." in printed
    assert "Sammanfattning: Farsta, nr 1 – ärende \"FB-1\"" in printed
    assert "Alla dina ärenden är klara (1 av 1)." in printed
    assert "Välj ärende (0 av 1 klara):" in screen
    assert max(len(line) for line in printed.splitlines()) <= WIDTH
    hist = store.history(1, "FB-1")
    assert list(hist["changed_by"].unique()) == ["Anna"]


def test_validation_messages_are_shown_on_screen(session, store):
    keys = [ENTER, "j", "g", "1" + ENTER, "400" + ENTER, Await("högsta tillåtna värde 365"),
            "12" + ENTER, "2024-3-1" + ENTER, Await("inget giltigt datum")]
    _p, screen, error = drive(session, keys)
    assert isinstance(error, KeyboardInterrupt)
    assert store.answers(1, "FB-1")["Q5"] == 12 and "Q6" not in store.answers(1, "FB-1")
    assert "fråga Q5: 400 är större än högsta tillåtna värde 365" in screen
    assert 'fråga Q6: "2024-3-1" är inget giltigt datum (skriv ÅÅÅÅ-MM-DD)' in screen
    assert "Q5 (tal, minst 0, högst 365) (< = föregående fråga):" in screen


@pytest.mark.parametrize("typed", ["Barnet 19121212 1212", "Barnet １９１２１２１２－１２１２"])
def test_personnummer_in_free_text_is_asked_again_in_the_prompts(session, store, typed):
    # Skatteverket's test number, typed with a space and in full-width digits (item 10):
    # the prompt shows why and asks again; nothing reaches the answers or their history
    keys = [ENTER, "j", "g", "1" + ENTER, "12" + ENTER, "2024-03-01" + ENTER,
            typed + ENTER, Await("innehåller ett personnummer"),
            BACKSPACE * len(typed) + "Anteckning" + ENTER]
    _p, screen, error = drive(session, keys)
    assert store.answers(1, "FB-1")["Q7"] == "Anteckning", screen  # refused, asked again
    if typed.isascii():  # (wide characters make the captured screen unreliable under load)
        assert "personnummer" in screen  # the reason, shown under the prompt
    hist = store.history(1, "FB-1")
    assert not any("1212" in str(v) or "１２１２" in str(v)
                   for v in [*hist["new_value"], *hist["old_value"]])


def test_hidden_question_is_skipped_when_condition_false(session, store):
    keys = ENTER + "j" + CTRL_C  # case, Q1: Ja -> next is Q3, not Q2
    printed, _screen, error = drive(session, keys)
    assert isinstance(error, KeyboardInterrupt)
    assert "Q3  Samtalets kvalitet" in printed and "Q2  " not in printed
    assert "fråga 2 av 6" in printed  # Q2 hidden: 6 shown


def test_ctrl_c_keeps_answers_and_resumes_at_first_unanswered(session, store):
    _p, _s, error = drive(session, ENTER + "n" + CTRL_C)  # Q1 Nej, then Ctrl-C at Q2
    assert isinstance(error, KeyboardInterrupt)
    assert store.answers(1, "FB-1") == {"Q1": "Nej"}
    printed, _s, error = drive(session, ENTER + CTRL_C)
    assert isinstance(error, KeyboardInterrupt)
    assert "Fortsätter vid Q2 (1 fråga besvarad)." in printed
    assert "Q2  Finns en dokumenterad motivering?" in printed


def test_resume_at_missing_motivation(session, store):
    session.record("FB-1", "Q1", "Ja")
    session.record("FB-1", "Q3", "Bristfällig")  # killed before the motivation was given
    printed, _s, _e = drive(session, ENTER + "Kort samtal" + ENTER + CTRL_C)
    assert "Fortsätter vid Q3" in printed
    assert store.answers(1, "FB-1")["Q3__motivering"] == "Kort samtal"


def test_summary_edit_hides_later_answer_and_deletes_it(session, store):
    _p, _s, error = drive(session, FULL_CASE[:-1] + CTRL_C)  # everything but "Klar"
    assert isinstance(error, KeyboardInterrupt)
    keys = (
        ENTER  # case list
        + ENTER  # resumes at the first unanswered question, the optional Q7: no answer
        + DOWN + ENTER  # summary: "Ändra ett svar"
        + ENTER  # the first row: Q1
        + UP + ENTER  # Q1 (pointer on the current Nej): Ja -> Q2 hidden, its answer deleted
        + ENTER  # summary again: Klar
    )
    printed, _s, error = drive(session, keys)
    assert error is None
    answers = store.answers(1, "FB-1")
    assert answers["Q1"] == "Ja" and "Q2" not in answers
    assert "Borttaget (gäller inte längre): Q2" in printed
    hist = store.history(1, "FB-1")
    q2 = hist[hist["question_id"] == "Q2"]
    assert list(q2["event"]) == ["nytt", "borttaget"] and q2["old_value"].iloc[-1] == "Ja"
    assert store.cases(1)[0].status == "klar"


def test_summary_edit_that_shows_a_question_asks_it(session, store):
    for key, value in (("Q1", "Ja"), ("Q3", "God"), ("Q4", ["Y"]), ("Q5", 3),
                       ("Q6", "2024-01-31")):
        session.record("FB-1", key, value)
    keys = (
        ENTER  # case list: straight to the optional Q7 (first unanswered)
        + ENTER  # Q7: no answer
        + DOWN + ENTER  # summary: Ändra ett svar
        + ENTER + DOWN + ENTER  # Q1 -> Nej: Q2 appears and is required
        + "j"  # Q2 is asked at once: Ja
        + ENTER  # summary: Klar
    )
    printed, _s, error = drive(session, keys)
    assert error is None, printed
    assert store.answers(1, "FB-1")["Q2"] == "Ja"
    assert store.cases(1)[0].status == "klar"


def test_help_choice_shows_help_and_legal_reference(session):
    # Q1's choices: Ja, Nej, ─, Barnet kan inte, ─, ? Hjälp: the pointer starts on none, so
    # four downs reach "? Hjälp" (the key ? is tested in test_session_keys.py).
    printed, _s, _e = drive(session, ENTER + DOWN * 4 + ENTER + CTRL_C)
    assert "Hjälp: Hjälptext för Q1." in printed
    assert "Lagrum: 11 kap. 10 § SoL" in printed
    assert "Hinder (räknas inte i nämnaren): Barnet kan inte" in printed
    assert printed.count("Q1  Har barnet kommit till tals") == 2  # asked again


def test_hindrance_is_listed_after_a_separator(session, store):
    _p, screen, _e = drive(session, [ENTER, DOWN * 3 + ENTER])
    assert store.answers(1, "FB-1") == {"Q1": "Barnet kan inte"}
    assert "── hinder ──" in screen


def test_progress_text_and_case_labels(store):
    session = make_audit(store, n=3)
    store.mark_done(1, "FB-2", who="Anna")
    assert session.progress_text() == "1 av 3 klara"
    _p, screen, _e = drive(session, CTRL_C)
    assert "Välj ärende (1 av 3 klara):" in screen
    # Sorted by stratum then draw order; the finished case is not offered.
    assert 'Farsta, nr 1 – ärende "FB-1"' in screen and 'Farsta, nr 3 – ärende "FB-3"' in screen
    assert "FB-2" not in screen


def test_case_id_that_is_a_personnummer_is_masked(store):
    # Store.add_cases refuses such ids now (granskning ny stores pseudonyms); a database
    # from before pseudonyms may still hold one, so insert it directly as such a file would.
    import sqlalchemy as sa

    from granskning.store import schema as store_schema

    chk = loads(CHECKLIST)
    store.create_audit("T", "granskning", chk.id, chk.version, chk.sha256, None, {}, "t")
    with store._engine.begin() as conn:
        conn.execute(sa.insert(store_schema.cases).values(
            audit_id=1, case_id="20150315-9822", stratum="Farsta", draw_order=1, reserve=False))
    store.assign(1, {"20150315-9822": "Anna"})
    session = Session(store, store.audit(1), chk, "Anna")
    printed, screen, _e = drive(session, ENTER + CTRL_C)
    assert "20150315-****" in screen
    assert "9822" not in screen and "9822" not in printed


def test_no_cases_message(store):
    session = make_audit(store, reviewer=None)
    session = Session(store, session.audit, session.checklist, "Okänd")
    _printed, _s, error = drive(session, "")
    assert isinstance(error, InputError) and error.exit_code == 2
    assert "inga ärenden för granskaren Okänd. Inga ärenden är tilldelade ännu." in error.message


# -- the survey ---------------------------------------------------------------------


def test_survey_cases_are_the_case_workers_own(store):
    session = make_audit(store, SURVEY, n=3, reviewer=None)
    bo = Session(store, session.audit, session.checklist, "bo  ek")  # case and spaces ignored
    assert bo.survey
    assert [c.case_id for c in bo.cases()] == ["FB-1", "FB-3"]
    assert bo.progress_text() == "0 av 2 klara"
    for key, value in (("Q1", "Ja"), ("Q3", "God"), ("Q4", "X"), ("Q5", "0"),
                       ("Q6", "2024-05-02")):
        bo.record("FB-1", key, value)
    bo.finish("FB-1")
    assert bo.progress_text() == "1 av 2 klara"
    cecilia = Session(store, session.audit, session.checklist, "Cecilia")
    assert [c.case_id for c in cecilia.cases()] == ["FB-2"]


# -- the library ------------------------------------------------------------------


def test_next_step_order_and_after(session):
    chk = session.checklist
    assert session.next_step({}) == Step(chk.question("Q1"))
    assert session.next_step({"Q1": "Nej"}).question.id == "Q2"
    assert session.next_step({"Q1": "Ja"}).question.id == "Q3"
    step = session.next_step({"Q1": "Ja", "Q3": "Bristfällig"})
    assert step == Step(chk.question("Q3"), motivation=True) and step.key == "Q3__motivering"
    # after: optional Q7 skipped in this session is not asked again
    done = {"Q1": "Ja", "Q3": "God", "Q4": ["X"], "Q5": 1, "Q6": "2024-01-01"}
    assert session.next_step(done).question.id == "Q7"
    assert session.next_step(done, after="Q7") is None
    assert session.next_missing(done) is None
    assert session.next_missing({"Q1": "Nej"}).question.id == "Q2"


def test_record_validates_and_normalises(session, store):
    assert session.record("FB-1", "Q4", "z; x").value == ["X", "Z"]
    assert session.record("FB-1", "Q5", "2,5").value == 2.5
    assert session.record("FB-1", "Q6", "2024-02-29").value == "2024-02-29"
    with pytest.raises(InputError, match="större än högsta tillåtna värde 365"):
        session.record("FB-1", "Q5", "366")
    with pytest.raises(InputError, match="inget giltigt datum"):
        session.record("FB-1", "Q6", "2023-02-29")
    with pytest.raises(InputError, match="Q2: frågan visas inte"):
        session.record("FB-1", "Q2", "Ja")  # Q1 not answered Nej
    with pytest.raises(InputError, match="svaret kräver ingen motivering"):
        session.record("FB-1", "Q3__motivering", "text")
    with pytest.raises(InputError, match=r"personnummer vid tecken 8; skriv inga") as exc:
        session.record("FB-1", "Q7", "Barnet 20150315-9822 hördes")
    assert "20150315" not in str(exc.value) and "9822" not in str(exc.value)
    assert "Q7" not in store.answers(1, "FB-1")
    first = session.record("FB-1", "Q7", "Anteckning")
    assert session.record("FB-1", "Q7", "Anteckning").version == first.version  # unchanged
    assert session.record("FB-1", "Q7", "").version == first.version + 1  # blank deletes
    assert "Q7" not in store.answers(1, "FB-1")


def test_changed_answer_removes_obsolete_motivation_in_one_transaction(session, store):
    session.record("FB-1", "Q1", "Nej")
    session.record("FB-1", "Q2", "Ja")
    session.record("FB-1", "Q3", "Bristfällig")
    session.record("FB-1", "Q3__motivering", "Kort")
    done = session.record("FB-1", "Q3", "God")
    assert done.removed == ("Q3__motivering",)
    done = session.record("FB-1", "Q1", "Barnet kan inte")
    assert done.removed == ("Q2",)
    assert store.answers(1, "FB-1") == {"Q1": "Barnet kan inte", "Q3": "God"}
    hist = store.history(1, "FB-1")
    last_two = hist.tail(2)  # the change, then the deletion it caused (one transaction)
    assert list(last_two["question_id"]) == ["Q1", "Q2"]
    assert list(last_two["event"]) == ["ändrat", "borttaget"]


def test_tidy_removes_answers_written_outside_a_session(session, store):
    store.set_answer(1, "FB-1", "Q1", "Ja", who="import")
    store.set_answer(1, "FB-1", "Q2", "Nej", who="import")  # hidden when Q1 is Ja
    store.set_answer(1, "FB-1", "okänd", "x", who="import")  # not ours: left alone
    assert session.tidy("FB-1") == ("Q2",)
    assert store.answers(1, "FB-1") == {"Q1": "Ja", "okänd": "x"}


def test_finish_refuses_incomplete_case(session, store):
    session.record("FB-1", "Q1", "Nej")
    with pytest.raises(InputError, match='Ärende "FB-1" kan inte markeras som granskat: '
                                         "svar saknas på Q2, Q3, Q4, Q5, Q6"):
        session.finish("FB-1")
    assert store.cases(1)[0].status == "pågår"


def test_summary_rows(session):
    rows = session.summary({"Q1": "Ja", "Q3": "Bristfällig", "Q4": ["X", "Y"], "Q5": 2.5})
    by_key = {r.key: r for r in rows}
    assert [r.key for r in rows] == ["Q1", "Q3", "Q3__motivering", "Q4", "Q5", "Q6", "Q7"]
    assert by_key["Q3__motivering"].missing and by_key["Q6"].missing
    assert not by_key["Q7"].missing  # optional
    assert by_key["Q4"].answer == "X; Y" and by_key["Q5"].answer == "2,5"
    assert by_key["Q1"].area == "Område A"


def test_helpers():
    chk = loads(CHECKLIST)
    assert show_value(chk.question("Q5"), 12.0) == "12"
    assert show_value(chk.question("Q7"), "ring 811218-9876") == "ring 811218-****"
    assert storable(("X", "Y")) == ["X", "Y"]
    check_free_text("telefon 08-123 456 78, dnr 2024/791")  # nothing that is a personnummer
    with pytest.raises(InputError):
        check_free_text("811218-9876")  # Skatteverket's example number (SKV 704)


def test_open_refuses_changed_checklist(store):
    chk = load("forhandsbedomning-0-12")
    store.create_audit("T", "granskning", chk.id, chk.version, "0" * 64, None, {}, "t")
    with pytest.raises(InputError, match="har ändrats sedan granskning 1 skapades"):
        Session.open(store, 1, "Anna")
    store.create_audit("T", "granskning", chk.id, chk.version, chk.sha256, None, {}, "t")
    assert Session.open(store, 2, "Anna").checklist.id == "forhandsbedomning-0-12"
    with pytest.raises(InputError, match='använder checklistan "forhandsbedomning-0-12"'):
        Session.open(store, 2, "Anna", checklist="delaktighetsenkat")


# -- the command ------------------------------------------------------------------


def test_cli_ctrl_c_message_and_exit_130(store, db_url, monkeypatch):
    make_audit(store)
    store.close()

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Prompter, "run", interrupted)
    # On PostgreSQL the reviewer is the database user: no --granskare (test_identity).
    pg = db_url.startswith("postgresql")
    who = [] if pg else ["--granskare", "Anna"]
    r = CliRunner().invoke(cli, ["kontroll", "--granskning", "1", *who,
                                 "--db", db_url, "--checklista", "x.yaml"])
    assert r.exit_code == 2 and "x.yaml" in r.stderr  # no such file
    # A bundled checklist: make an audit that uses one.
    with Store.open(db_url) as s:
        chk = load("delaktighetsenkat")
        s.create_audit("E", "granskning", chk.id, chk.version, chk.sha256, None, {}, "t")
    who = [] if pg else ["--granskare", "Anna Ek"]
    r = CliRunner().invoke(cli, ["kontroll", "--granskning", "2", *who, "--db", db_url])
    assert r.exit_code == 130
    hint = "granskning kontroll --granskning 2" + ("" if pg else " --granskare 'Anna Ek'")
    assert r.stderr.strip().startswith("Avbrutet. Dina svar är sparade. Fortsätt med: " + hint)
    assert "Traceback" not in r.output


def test_cli_unknown_audit(db_url):
    with Store.open(db_url, create=True) as s:
        s.init()
    who = [] if db_url.startswith("postgresql") else ["--granskare", "A"]
    r = CliRunner().invoke(cli, ["kontroll", "--granskning", "9", *who, "--db", db_url])
    assert r.exit_code == 2 and "Granskning 9 finns inte" in r.stderr
