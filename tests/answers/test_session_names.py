"""Reviewer names in the session and in assignments (issue 12, item 8).

Names are matched ignoring case and extra spaces everywhere; without
``--granskare`` the session uses the operating-system user and says so; a
reviewer without cases is told who has cases (exit 2).
"""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner
from test_session import CHECKLIST, ENTER, drive, make_audit

from granskning.answers.session import Session
from granskning.audit.assignment import assign_cases
from granskning.checklist import loads
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Store, known_spelling, same_name


def test_same_name_and_known_spelling():
    assert same_name("anna  ek", "Anna Ek") and not same_name("Anna", "Anna Ek")
    assert not same_name(None, "Anna")
    assert known_spelling("anna", {"Anna", "Bo", None}) == "Anna"
    assert known_spelling("Cecilia", {"Anna"}) == "Cecilia"


def test_session_finds_cases_whatever_the_case_and_signs_with_the_stored_name(store):
    s = make_audit(store, n=3)  # assigned to "Anna"
    lower = Session(store, s.audit, s.checklist, "  anna ")
    assert lower.reviewer == "Anna"
    assert [c.case_id for c in lower.cases()] == ["FB-2", "FB-1", "FB-3"]  # Bromma, Farsta
    assert [c.case_id for c in store.cases(1, "ANNA")] == [c.case_id for c in store.cases(1)]
    lower.record("FB-1", "Q1", "Ja")
    assert list(store.history(1, "FB-1")["changed_by"].unique()) == ["Anna"]


def test_assigning_to_another_spelling_keeps_the_stored_name(store):
    s = make_audit(store, n=4, reviewer=None)
    store.assign(1, {"FB-1": "Anna", "FB-2": "Bo"})
    store.assign(1, {"FB-3": "anna", "FB-4": "BO"})
    assert {c.case_id: c.reviewer for c in store.cases(1)} == {
        "FB-1": "Anna", "FB-2": "Bo", "FB-3": "Anna", "FB-4": "Bo"}
    # tilldela with other spellings: the same two people, nothing moved
    before = {c.case_id: c.reviewer for c in store.cases(1)}
    result = assign_cases(store, 1, ["ANNA", "bo"])
    assert {c.case_id: c.reviewer for c in store.cases(1)} == before
    assert sorted(load.reviewer for load in result.loads) == ["Anna", "Bo"]
    assert s.checklist.id == "test-kort"


def test_reviewer_without_cases_is_told_who_has_cases(store):
    s = make_audit(store, n=3)
    store.assign(1, {"FB-3": "Bo"})
    nobody = Session(store, s.audit, s.checklist, "Cecilia")
    _p, _s, error = drive(nobody, ENTER)
    assert isinstance(error, InputError) and error.exit_code == 2
    assert error.message == (
        "Granskning 1 har inga ärenden för granskaren Cecilia. Ärenden har: Anna (2 ärenden), "
        "Bo (1 ärende). Ange ditt namn som det stod i granskning tilldela med --granskare NAMN.")


def test_cli_without_granskare_uses_the_login_name_and_says_so(tmp_path, monkeypatch):
    db = str(tmp_path / "g.db")
    with Store.open(db, create=True) as store:
        store.migrate()
        make_audit(store, n=2, reviewer="Anna")
    me = getpass.getuser()
    chk = tmp_path / "lista.yaml"
    chk.write_text(CHECKLIST, encoding="utf-8")
    r = CliRunner().invoke(cli, ["kontroll", "--granskning", "1", "--db", db,
                                 "--checklista", str(chk)])
    assert r.exit_code == 2, r.output
    assert f"Granskare: {me} (ditt användarnamn; ange ett annat namn med --granskare NAMN)." \
        in r.stdout
    assert f"inga ärenden för granskaren {me}. Ärenden har: Anna (2 ärenden)." in r.stderr
    assert "Traceback" not in r.output


@pytest.mark.postgres
def test_reviewer_without_cases_on_postgresql_is_not_told_nobody_has_cases():
    # A reviewer sees only their own cases (row-level security): the message cannot name the
    # others, and must not claim that no cases are assigned.
    from conftest import pg_server_url
    from pg_roles import role_database

    chk = loads(CHECKLIST)
    with role_database(pg_server_url(), {"anna": "granskare", "cecilia": "granskare"}) as rdb:
        with Store.open(rdb.admin_url) as admin:
            audit = admin.create_audit("H", "granskning", chk.id, chk.version, chk.sha256, None,
                                       {}, "admin")
            admin.add_cases(audit, [{"case_id": "A-1", "stratum": "S", "draw_order": 1}],
                            who="admin")
            admin.assign(audit, {"A-1": rdb.names["anna"]}, who="admin")
        with Store.open(rdb.url("cecilia")) as store:
            message = Session(store, store.audit(audit), chk, rdb.names["cecilia"]).no_cases_message()
    assert "En granskare ser bara sina egna ärenden" in message
    assert "Inga ärenden är tilldelade" not in message
