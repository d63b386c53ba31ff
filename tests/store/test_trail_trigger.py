"""The trail of assignments, cases and audits is complete for every writer (migration 5).

Issue 9, item 15: migration 4 made the database write the answer history itself;
``change_log`` (tilldelning, status, ärenden, granskning) was still written only by
the tool, so a reviewer with psql (here: psycopg, as psql would) could mark a case
klar with a backdated finished_at, and a coordinator could reassign cases or edit
the audit, without a trace.  Now the database adds the row for every write made
outside the tool, and the tool's own writes still get exactly one row each.
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
from granskning.store.migrations import KEY_MESSAGE_TRAIL, OUTSIDE_TOOL

PEOPLE = {"anna": "granskare", "sam": "samordnare"}
BACKDATED = "2020-01-01 00:00:00+00"


def log_rows(url: str) -> list[dict]:
    with raw(url).connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT case_id, subject, old_value, new_value, changed_at, changed_by, tool_version "
            "FROM change_log ORDER BY id"
        ).mappings().all()
    return [dict(r) for r in rows]


@pytest.fixture
def roles():
    with two_case_audit(pg_server_url(), PEOPLE) as rdb:
        yield rdb


@pytest.mark.postgres
def test_reviewer_with_psql_cannot_mark_done_or_backdate_without_trail(roles):
    anna = roles.names["anna"]
    assert len(log_rows(roles.admin_url)) == 3  # the tool's own: audit, cases, assignment
    start = datetime.now(UTC) - timedelta(minutes=5)  # generous: clocks of one machine
    with raw(roles.url("anna")).begin() as conn:  # what psql would send
        n = conn.exec_driver_sql(
            f"""UPDATE assignments SET status = 'klar', finished_at = '{BACKDATED}',
                       finished_by = '{anna}'
                WHERE audit_id = 1 AND case_id = 'A-1'"""
        ).rowcount
        assert n == 1
    rows = log_rows(roles.admin_url)
    assert len(rows) == 4
    row = rows[-1]
    assert (row["case_id"], row["subject"], row["old_value"], row["new_value"]) == (
        "A-1", "status", '"pågår"', '"klar"')
    assert row["changed_by"] == anna and row["tool_version"] == OUTSIDE_TOOL
    assert row["changed_at"] >= start  # the server's clock
    with raw(roles.admin_url).connect() as conn:
        finished = conn.exec_driver_sql(
            "SELECT finished_at FROM assignments WHERE case_id = 'A-1'").scalar_one()
    assert finished >= start  # not 2020: the server's clock, whatever the client sent
    # A hand-written trail row cannot be backdated either, and is signed with the login.
    with raw(roles.url("anna")).begin() as conn:
        conn.exec_driver_sql(
            f"""INSERT INTO change_log (audit_id, case_id, subject, old_value, new_value,
                                        changed_at, changed_by, tool_version)
                VALUES (1, 'A-1', 'status', '"klar"', '"pågår"', '{BACKDATED}', '{anna}', 'x')""")
    assert log_rows(roles.admin_url)[-1]["changed_at"] >= start
    # Reopening by hand and moving the assignment to another case.
    with raw(roles.url("anna")).begin() as conn:
        conn.exec_driver_sql("UPDATE assignments SET status = 'pågår' WHERE case_id = 'A-1'")
    with pytest.raises(sa.exc.DBAPIError) as info, raw(roles.url("sam")).begin() as conn:
        conn.exec_driver_sql("UPDATE assignments SET case_id = 'A-2' WHERE case_id = 'A-1'")
    assert KEY_MESSAGE_TRAIL in str(info.value)
    # The coordinator reads it with granskning historik: marked as made outside the tool.
    r = CliRunner().invoke(cli, ["historik", "--granskning", "1", "--json",
                                 "--db", roles.url("sam")])
    assert r.exit_code == 0, r.output
    events = [(e["vad"], e["händelse"], e["före"], e["efter"], e["vem"], e["verktygsversion"])
              for e in json.loads(r.stdout)["händelser"] if e["vad"] == "status"]
    assert events == [("status", "klar", "pågår", "klar", anna, OUTSIDE_TOOL),
                      ("status", "öppnad", "klar", "pågår", anna, "x"),
                      ("status", "öppnad", "klar", "pågår", anna, OUTSIDE_TOOL)]
    assert all(not e["tid"].startswith("2020") for e in json.loads(r.stdout)["händelser"])
    text = CliRunner().invoke(cli, ["historik", "--granskning", "1", "--db", roles.url("sam")])
    # historik shows whole values now (wrapped, never cut): the outside mark of "markerad klar"
    # may fall on the row's next line.
    lines = text.stdout.splitlines()
    marked = next(i for i, line in enumerate(lines) if "markerad klar" in line)
    assert lines[marked].rstrip().endswith("*") or lines[marked + 1].split()[-1] == "*"
    assert "öppnad igen *" in text.stdout
    assert "2 ändringar gjordes direkt i databasen, utanför granskning" in text.stdout


@pytest.mark.postgres
def test_coordinator_with_psql_reassigns_and_edits_cases_and_audit(roles):
    anna, sam = roles.names["anna"], roles.names["sam"]
    with raw(roles.url("sam")).begin() as conn:
        conn.exec_driver_sql(f"UPDATE assignments SET reviewer = '{sam}' WHERE case_id = 'A-1'")
        conn.exec_driver_sql(
            f"""INSERT INTO assignments (audit_id, case_id, reviewer, status, assigned_at)
                VALUES (1, 'A-2', '{anna}', 'pågår', '{BACKDATED}')""")
        conn.exec_driver_sql("UPDATE cases SET design_weight = 9.5 WHERE case_id = 'A-2'")
        conn.exec_driver_sql("INSERT INTO cases (audit_id, case_id, reserve) VALUES (1, 'A-3', "
                             "false)")
        conn.exec_driver_sql("UPDATE audits SET title = 'Våren' WHERE id = 1")
    rows = [(r["case_id"], r["subject"], r["old_value"] and json.loads(r["old_value"]),
             r["new_value"] and json.loads(r["new_value"]), r["changed_by"], r["tool_version"])
            for r in log_rows(roles.admin_url)[3:]]
    assert rows == [
        ("A-1", "tilldelning", anna, sam, sam, OUTSIDE_TOOL),
        ("A-2", "tilldelning", None, anna, sam, OUTSIDE_TOOL),
        ("A-2", "ärenden", {"design_weight": None}, {"design_weight": 9.5}, sam, OUTSIDE_TOOL),
        ("A-3", "ärenden", None, {"antal": 1, "reserver": 0}, sam, OUTSIDE_TOOL),
        (None, "granskning", {"title": "Hösten"}, {"title": "Våren"}, sam, OUTSIDE_TOOL),
    ]
    with raw(roles.admin_url).connect() as conn:
        assigned = conn.exec_driver_sql(
            "SELECT assigned_at FROM assignments WHERE case_id = 'A-2'").scalar_one()
    assert assigned.year > 2020
    text = CliRunner().invoke(cli, ["historik", "--granskning", "1", "--db", roles.url("sam")])
    assert text.exit_code == 0, text.output
    assert "flyttad *" in text.stdout and "ändrad *" in text.stdout
    assert "vikt: 9,5" in text.stdout  # the changed column, named in Swedish
    r = CliRunner().invoke(cli, ["historik", "--granskning", "1", "--json", "--arende", "A-2",
                                 "--db", roles.url("sam")])
    changed = [e for e in json.loads(r.stdout)["händelser"] if e["vad"] == "ärenden"]
    assert [(e["händelse"], e["före"], e["efter"]) for e in changed] == [
        ("ändrat", {"design_weight": None}, {"design_weight": 9.5})]
    assert "5 ändringar gjordes direkt i databasen" in text.stdout
    # Nor can anyone empty the tables or move a case.
    for statement in ("TRUNCATE assignments", "UPDATE cases SET case_id = 'B' WHERE case_id = "
                      "'A-3'"):
        with pytest.raises(sa.exc.DBAPIError), raw(roles.admin_url).begin() as conn:
            conn.exec_driver_sql(statement)


@pytest.mark.postgres
def test_tool_writes_by_a_reviewer_get_one_row_each(roles):
    anna = roles.names["anna"]
    with Store.open(roles.url("anna")) as s:
        s.mark_done(1, "A-1", who=anna)
        s.mark_done(1, "A-1", who=anna)  # already klar: nothing changes, nothing logged
    rows = log_rows(roles.admin_url)
    assert [(r["subject"], r["tool_version"]) for r in rows] == [
        ("granskning", __version__), ("ärenden", __version__), ("tilldelning", __version__),
        ("status", __version__)]
    assert rows[-1]["changed_by"] == anna


def test_tool_writes_one_change_log_row_per_change(db_url):
    with Store.open(db_url, create=True) as store:
        store.migrate()
        audit = store.create_audit("T", "granskning", None, None, None, None, {}, "sam")
        store.add_cases(audit, [{"case_id": f"U-{i}"} for i in (1, 2, 3)]
                        + [{"case_id": "R-1", "reserve": True}], who="sam")
        store.assign(audit, {"U-1": "anna", "U-2": "anna"}, who="sam")
        store.assign(audit, {"U-1": "bo", "U-2": "anna"}, who="sam")  # U-2 unchanged
        store.mark_done(audit, "U-1", who="bo")
        store.mark_done(audit, "U-1", who="bo")  # already klar
        store.mark_done(audit, "U-3", who="cecilia")  # unassigned: assigned and done
        c = store.changes(audit)
    got = [(r["case_id"] if isinstance(r["case_id"], str) else None, r["subject"],
            r["old_value"], r["new_value"], r["changed_by"])
           for r in c.to_dict(orient="records")]
    assert got == [
        (None, "granskning", None, {"titel": "T", "slag": "granskning", "checklista": None,
                                    "checklistversion": None}, "sam"),
        (None, "ärenden", None, {"antal": 3, "reserver": 1}, "sam"),
        ("U-1", "tilldelning", None, "anna", "sam"),
        ("U-2", "tilldelning", None, "anna", "sam"),
        ("U-1", "tilldelning", "anna", "bo", "sam"),
        ("U-1", "status", "pågår", "klar", "bo"),
        ("U-3", "status", None, "klar", "cecilia"),
    ]
    assert set(c["tool_version"]) == {__version__}


def test_sqlite_direct_writes_get_trail_rows(tmp_path):
    path = tmp_path / "g.db"
    with Store.open(str(path), create=True) as store:
        store.migrate()
        audit = store.create_audit("T", "granskning", None, None, None, None, {}, "sam")
        store.add_cases(audit, [{"case_id": "U-1"}, {"case_id": "U-2"}], who="sam")
        store.assign(audit, {"U-1": "anna"}, who="sam")
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute("""UPDATE assignments SET status = 'klar', finished_by = 'anna',
                           finished_at = '2020-01-01 00:00:00.000000' WHERE case_id = 'U-1'""")
            con.execute("""UPDATE assignments SET reviewer = 'bo' WHERE case_id = 'U-1'""")
            con.execute("""INSERT INTO assignments VALUES (1, 'U-2', 'cecilia', 'pågår',
                           '2020-01-01 00:00:00.000000', NULL, NULL)""")
            con.execute("DELETE FROM assignments WHERE case_id = 'U-2'")
        with pytest.raises(sqlite3.IntegrityError, match=KEY_MESSAGE_TRAIL):
            with con:
                con.execute("UPDATE assignments SET case_id = 'U-2' WHERE case_id = 'U-1'")
    finally:
        con.close()
    with Store.open(str(path)) as store:
        c = store.changes(audit)
        got = [(r["case_id"] if isinstance(r["case_id"], str) else None, r["subject"],
                r["old_value"], r["new_value"], r["changed_by"], r["tool_version"])
               for r in c.to_dict(orient="records")]
        assert got[3:] == [
            ("U-1", "status", "pågår", "klar", "anna", OUTSIDE_TOOL),
            ("U-1", "tilldelning", "anna", "bo", "okänd", OUTSIDE_TOOL),
            ("U-2", "tilldelning", None, "cecilia", "cecilia", OUTSIDE_TOOL),
            ("U-2", "tilldelning", "cecilia", None, "okänd", OUTSIDE_TOOL),
        ]
        assert [t for t in c["tool_version"][:3]] == [__version__] * 3
        assert all(t.replace(tzinfo=None) >= start for t in c["changed_at"][3:])
        # The tool carries on, with no duplicate rows for its own writes.
        store.assign(audit, {"U-2": "anna"}, who="sam")
        store.mark_done(audit, "U-2", who="anna")
        after = store.changes(audit)
        assert len(after) == len(c) + 2
        assert set(after["tool_version"][len(c):]) == {__version__}
    r = CliRunner().invoke(cli, ["historik", "--granskning", str(audit), "--granskare", "sam",
                                 "--db", str(path)])
    assert r.exit_code == 0, r.output
    assert "avtilldelad *" in r.stdout
    assert "4 ändringar gjordes direkt i databasen" in r.stdout
