"""The answer history is complete for every writer, not only the tool (issue 9, item 15).

A reviewer connected with psql (here: psycopg, as psql would) could change or
backdate their own answers without a history row.  Migration 4 makes the
database write the history itself: every INSERT, UPDATE and DELETE of an answer
gets a row with the server's time and the login, and nobody can write history
rows or choose ``changed_at``/``version`` by hand.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import pg_server_url
from pg_roles import raw_engine as raw
from pg_roles import two_case_audit

from granskning import __version__
from granskning.cli import cli
from granskning.store.database import Store
from granskning.store.migrations import KEY_MESSAGE, OUTSIDE_TOOL, VERSION_MESSAGE

PEOPLE = {"anna": "granskare", "sam": "samordnare"}
BACKDATED = "2020-01-01 00:00:00+00"


def history_rows(url: str) -> list[dict]:
    with raw(url).connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT question_id, event, old_value, new_value, version, changed_at, changed_by, "
            "tool_version, db_user FROM answer_history ORDER BY id"
        ).mappings().all()
    return [dict(r) for r in rows]


@pytest.fixture
def roles():
    with two_case_audit(pg_server_url(), PEOPLE) as rdb:
        yield rdb


@pytest.mark.postgres
def test_reviewer_with_psql_cannot_change_or_backdate_without_history(roles):
    anna, sam = roles.names["anna"], roles.names["sam"]
    with Store.open(roles.url("anna")) as s:
        assert s.set_answer(1, "A-1", "F1", "Ja", who=anna) == 1
    engine = raw(roles.url("anna"))
    start = datetime.now(UTC) - timedelta(minutes=5)  # generous: clocks of one machine
    with engine.begin() as conn:  # what psql would send
        n = conn.exec_driver_sql(
            f"""UPDATE answers SET value = '"Nej"', changed_at = '{BACKDATED}', version = 1
                WHERE audit_id = 1 AND case_id = 'A-1' AND question_id = 'F1'"""
        ).rowcount
        assert n == 1
        conn.exec_driver_sql(
            f"""INSERT INTO answers (audit_id, case_id, question_id, value, version,
                                     changed_at, changed_by)
                VALUES (1, 'A-1', 'F2', '"Ja"', 99, '{BACKDATED}', '{anna}')"""
        )
    rows = history_rows(roles.admin_url)
    assert [(r["question_id"], r["event"], r["old_value"], r["new_value"], r["version"])
            for r in rows] == [("F1", "nytt", None, '"Ja"', 1),
                               ("F1", "ändrat", '"Ja"', '"Nej"', 2),
                               ("F2", "nytt", None, '"Ja"', 1)]
    assert all(r["changed_by"] == anna and r["db_user"] == anna for r in rows)
    assert [r["tool_version"] for r in rows] == [__version__, OUTSIDE_TOOL, OUTSIDE_TOOL]
    assert all(r["changed_at"] >= start for r in rows)  # the server's time, not 2020
    with raw(roles.admin_url).connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT question_id, version, changed_at FROM answers ORDER BY question_id").all()
    assert [(q, v) for q, v, _ in stored] == [("F1", 2), ("F2", 1)]
    assert all(at >= start for _, _, at in stored)
    # Nor can anyone write history rows by hand any more, or delete answers.
    for statement in (
        f"""INSERT INTO answer_history (audit_id, case_id, question_id, event, old_value,
               new_value, version, changed_at, changed_by, tool_version)
            VALUES (1, 'A-1', 'F1', 'ändrat', NULL, '"Ja"', 1, '{BACKDATED}', '{anna}', 'x')""",
        "DELETE FROM answers",
        "TRUNCATE answers",
        # Moving an answer would take it out of the old question's history.
        "UPDATE answers SET question_id = 'F9' WHERE question_id = 'F2'",
    ):
        for who in ("anna", "sam"):
            with pytest.raises(sa.exc.DBAPIError) as info, raw(roles.url(who)).begin() as conn:
                conn.exec_driver_sql(statement)
            assert info.value.orig.sqlstate == "42501", statement
    assert len(history_rows(roles.admin_url)) == 3
    # The tool still works on top, with its own version numbers, and no duplicate rows.
    with Store.open(roles.url("anna")) as s:
        assert s.answer(1, "A-1", "F1").version == 2
        assert s.set_answer(1, "A-1", "F1", "Ja", who=anna, expected_version=2) == 3
    assert len(history_rows(roles.admin_url)) == 4
    # The coordinator reads it with granskning historik.
    r = CliRunner().invoke(cli, ["historik", "--granskning", "1", "--json",
                                 "--db", roles.url("sam")])
    assert r.exit_code == 0, r.output
    answers = [e for e in json.loads(r.stdout)["händelser"] if e["vad"] == "svar"]
    assert [(e["fråga"], e["efter"], e["vem"], e["verktygsversion"]) for e in answers] == [
        ("F1", "Ja", anna, __version__), ("F1", "Nej", anna, OUTSIDE_TOOL),
        ("F2", "Ja", anna, OUTSIDE_TOOL), ("F1", "Ja", anna, __version__)]
    assert all(e["databasanvändare"] == anna for e in answers)
    assert all(not e["tid"].startswith("2020") for e in answers)
    text = CliRunner().invoke(cli, ["historik", "--granskning", "1", "--db", roles.url("sam")])
    assert "utanför granskning" in text.stdout and sam not in text.stdout


@pytest.mark.postgres
def test_owner_delete_is_recorded_too(roles):
    with Store.open(roles.admin_url) as s:
        s.set_answer(1, "A-2", "F1", "Ja", who="admin")
    with raw(roles.admin_url).begin() as conn:
        conn.exec_driver_sql("DELETE FROM answers WHERE case_id = 'A-2'")
    rows = history_rows(roles.admin_url)
    assert [(r["event"], r["old_value"], r["new_value"], r["version"]) for r in rows] == [
        ("nytt", None, '"Ja"', 1), ("borttaget", '"Ja"', None, 2)]
    owner = sa.make_url(roles.admin_url).username
    assert rows[-1]["db_user"] == owner and rows[-1]["tool_version"] == OUTSIDE_TOOL
    # A re-created answer keeps counting: an old version number can never match again.
    with Store.open(roles.admin_url) as s:
        assert s.set_answer(1, "A-2", "F1", "Nej", who="admin") == 3


def test_tool_writes_one_history_row_per_change(db_url):
    with Store.open(db_url, create=True) as store:
        store.migrate()
        audit = store.create_audit("T", "granskning", None, None, None, None, {}, "a")
        store.add_cases(audit, [{"case_id": "U-1"}], who="a")
        store.set_answer(audit, "U-1", "q", "Ja", who="Anna")
        store.set_answers(audit, [("U-1", "q", "Nej"), ("U-1", "r", 3)], who="Bo")
        store.delete_answer(audit, "U-1", "q", who="Anna")
        h = store.history(audit)
    assert list(h["event"]) == ["nytt", "ändrat", "nytt", "borttaget"]
    assert list(h["version"]) == [1, 2, 1, 3]
    assert set(h["tool_version"]) == {__version__}


def test_sqlite_direct_writes_get_history_rows(tmp_path):
    path = tmp_path / "g.db"
    with Store.open(str(path), create=True) as store:
        store.migrate()
        audit = store.create_audit("T", "granskning", None, None, None, None, {}, "a")
        store.add_cases(audit, [{"case_id": "U-1"}], who="a")
        store.set_answer(audit, "U-1", "q", "Ja", who="Anna")
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute("""UPDATE answers SET value = '"Nej"', version = version + 1,
                           changed_at = '2020-01-01 00:00:00.000000' WHERE question_id = 'q'""")
            con.execute("""INSERT INTO answers VALUES (1, 'U-1', 'r', '"Ja"', 1,
                           '2020-01-01 00:00:00.000000', 'Anna')""")
            con.execute("DELETE FROM answers WHERE question_id = 'r'")
        with pytest.raises(sqlite3.IntegrityError, match=VERSION_MESSAGE):
            with con:  # changing an answer without a new version number
                con.execute("""UPDATE answers SET value = '"Ja"' WHERE question_id = 'q'""")
        with pytest.raises(sqlite3.IntegrityError, match=KEY_MESSAGE):
            with con:  # moving an answer to another question
                con.execute("""UPDATE answers SET question_id = 'x', version = version + 1
                               WHERE question_id = 'q'""")
    finally:
        con.close()
    with Store.open(str(path)) as store:
        h = store.history(audit)
        assert list(h["event"]) == ["nytt", "ändrat", "nytt", "borttaget"]
        assert list(h["new_value"]) == ["Ja", "Nej", "Ja", None]
        assert list(h["tool_version"]) == [__version__, OUTSIDE_TOOL, OUTSIDE_TOOL, OUTSIDE_TOOL]
        assert all(t.replace(tzinfo=None) >= start for t in h["changed_at"])  # SQLite's clock
        # The tool carries on from the version the direct write left.
        assert store.set_answer(audit, "U-1", "q", "Delvis", who="Bo", expected_version=2) == 3
        assert len(store.history(audit)) == 5
