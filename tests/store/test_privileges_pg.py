"""Privileges, row-level security and the append-only history on PostgreSQL.

Each test connects as real login roles (members of granskning_granskare or
granskning_samordnare, made by ``Store.setup_roles``/``Store.add_user``) to a
fresh schema of the test server, and checks what the *database* refuses: the
expected outcome of each statement is PostgreSQL's own error (SQLSTATE 42501,
insufficient_privilege: permission denied, a row-level security violation or
the history trigger), not something the tool checks before it asks.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import pg_server_url
from pg_roles import role_database

from granskning.cli import cli
from granskning.errors import InputError, StoreError
from granskning.store import identity
from granskning.store.database import Store

pytestmark = pytest.mark.postgres

PEOPLE = {"anna": "granskare", "bo": "granskare", "sam": "samordnare"}


@pytest.fixture
def roles():
    with role_database(pg_server_url(), PEOPLE) as rdb:
        with Store.open(rdb.admin_url) as admin:
            audit = admin.create_audit("Hösten", "granskning", None, None, None, None, {},
                                       "admin")
            admin.add_cases(audit, [{"case_id": f"A-{i}", "stratum": "S", "draw_order": i}
                                    for i in (1, 2, 3)], who="admin")
            admin.assign(audit, {"A-1": rdb.names["anna"], "A-2": rdb.names["bo"]}, who="admin")
        yield rdb


def raw(url: str):
    return sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))


def refused(engine, statement: str) -> str:
    """Run one statement in its own transaction; return PostgreSQL's SQLSTATE of the refusal."""
    with pytest.raises(sa.exc.DBAPIError) as info:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    return info.value.orig.sqlstate


def history_count(url: str) -> tuple[int, int]:
    with raw(url).connect() as conn:
        return (conn.exec_driver_sql("SELECT count(*) FROM answer_history").scalar_one(),
                conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar_one())


def test_reviewer_cannot_update_delete_or_truncate_the_history(roles):
    anna = roles.names["anna"]
    with Store.open(roles.url("anna")) as s:
        assert s.set_answer(1, "A-1", "F1", "Ja", who=anna) == 1
        s.mark_done(1, "A-1", who=anna)
    before = history_count(roles.admin_url)
    engine = raw(roles.url("anna"))
    for table in ("answer_history", "change_log"):
        assert refused(engine, f"UPDATE {table} SET changed_by = 'någon annan'") == "42501"
        assert refused(engine, f"DELETE FROM {table}") == "42501"
        assert refused(engine, f"TRUNCATE {table}") == "42501"
    # A coordinator cannot either (no UPDATE/DELETE/TRUNCATE granted).
    engine = raw(roles.url("sam"))
    for table in ("answer_history", "change_log"):
        assert refused(engine, f"UPDATE {table} SET changed_by = 'x'") == "42501"
        assert refused(engine, f"DELETE FROM {table}") == "42501"
        assert refused(engine, f"TRUNCATE {table}") == "42501"
    assert history_count(roles.admin_url) == before


def test_even_the_owner_is_stopped_by_the_history_trigger(roles):
    with Store.open(roles.admin_url) as s:
        s.set_answer(1, "A-3", "F1", "Nej", who="admin")
    before = history_count(roles.admin_url)
    engine = raw(roles.admin_url)  # superuser, owner of the tables
    for table in ("answer_history", "change_log"):
        for statement in (f"UPDATE {table} SET changed_by = 'x'", f"DELETE FROM {table}",
                          f"TRUNCATE {table}"):
            with pytest.raises(sa.exc.DBAPIError) as info:
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
            assert info.value.orig.sqlstate == "42501"
            assert "Historiken kan bara utökas" in str(info.value.orig)
    assert history_count(roles.admin_url) == before
    # Through the store the refusal is a Swedish message, not a traceback.
    with Store.open(roles.admin_url) as s, pytest.raises(StoreError, match="behörighet"):
        with s._tx(write=True) as conn:
            conn.exec_driver_sql("DELETE FROM answer_history")


def test_reviewer_sees_and_answers_only_assigned_cases(roles):
    anna, bo = roles.names["anna"], roles.names["bo"]
    with Store.open(roles.admin_url) as admin:
        admin.set_answer(1, "A-2", "F1", "Ja", who="admin")
    with Store.open(roles.url("anna")) as s:
        assert [c.case_id for c in s.cases(1)] == ["A-1"]
        assert s.answers_frame(1)["case_id"].tolist() == ["A-1"]
        assert s.history(1).empty  # the answer to A-2 is not hers to see
        with pytest.raises(InputError, match='Ärendet "A-2" finns inte'):
            s.set_answer(1, "A-2", "F1", "Nej", who=anna)
        with pytest.raises(InputError, match='Ärendet "A-3" finns inte'):
            s.answers(1, "A-3")
        # Signing an answer with someone else's name: refused by the database.
        with pytest.raises(StoreError, match="behörighet"):
            s.set_answer(1, "A-1", "F1", "Ja", who=bo)
        assert s.set_answer(1, "A-1", "F1", "Ja", who=anna) == 1
        # Coordinators' work is refused: assigning, creating audits, adding cases.
        with pytest.raises(StoreError, match="behörighet"):
            s.assign(1, {"A-1": bo}, who=anna)
        with pytest.raises(StoreError, match="behörighet"):
            s.create_audit("X", "granskning", None, None, None, None, {}, anna)
    engine = raw(roles.url("anna"))
    # Moving her own case to someone else: only status columns may be updated.
    assert refused(engine, f"UPDATE assignments SET reviewer = '{bo}'") == "42501"
    with engine.begin() as conn:  # another's answer is invisible: nothing to update
        n = conn.exec_driver_sql("UPDATE answers SET value = '\"Nej\"' WHERE case_id = 'A-2'")
        assert n.rowcount == 0
    with Store.open(roles.admin_url) as admin:
        assert admin.answers(1, "A-2") == {"F1": "Ja"}
    with Store.open(roles.url("bo")) as s:
        assert [c.case_id for c in s.cases(1)] == ["A-2"]
        assert s.answers(1, "A-2") == {"F1": "Ja"}


def test_coordinator_sees_everything_and_assigns(roles):
    sam, anna = roles.names["sam"], roles.names["anna"]
    with Store.open(roles.url("sam")) as s:
        assert identity.role(s) == "samordnare"
        assert [c.case_id for c in s.cases(1)] == ["A-1", "A-2", "A-3"]
        assert s.assign(1, {"A-3": anna}, who=sam) == 1
        s.set_answer(1, "A-3", "F1", "Ja", who=sam)
        audit = s.create_audit("Nästa", "granskning", None, None, None, None, {}, sam)
        s.add_cases(audit, [{"case_id": "B-1"}], who=sam)
        assert len(s.history(1)) == 1
    with Store.open(roles.url("anna")) as s:
        assert [c.case_id for c in s.cases(1)] == ["A-1", "A-3"]
        trail = s.changes(1)
        assert set(trail["case_id"].dropna()) == {"A-1", "A-3"}  # not A-2, which is Bo's


def test_identity_is_the_database_user(roles):
    anna = roles.names["anna"]
    with Store.open(roles.url("anna")) as s:
        assert s.database_user() == anna
        assert identity.current(s) == anna
        assert identity.current(s, anna) == anna
        with pytest.raises(InputError, match=f'du loggar in som \\("{anna}"\\)'):
            identity.current(s, "Bo")
        assert identity.role(s) == "granskare"
        with pytest.raises(InputError, match="Bara samordnare får tilldela"):
            identity.require_coordinator(s, "tilldela ärenden")
    with Store.open(roles.admin_url) as s:
        assert identity.role(s) == "samordnare"


def test_cli_as_reviewer(roles):
    runner = CliRunner()
    anna = roles.names["anna"]
    r = runner.invoke(cli, ["tilldela", "--granskning", "1", "--granskare", anna,
                            "--db", roles.url("anna")])
    assert r.exit_code == 2 and "Bara samordnare får tilldela ärenden" in r.stderr
    r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", "ram.csv",
                            "--db", roles.url("anna")])
    assert r.exit_code == 2 and "Bara samordnare får skapa granskningar" in r.stderr
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", "urval.xlsx",
                            "--db", roles.url("anna")])
    assert r.exit_code == 2 and "Bara samordnare får skriva ut listan" in r.stderr
    r = runner.invoke(cli, ["tilldela", "--granskning", "1", "--granskare",
                            f"{anna},Okänd Person", "--db", roles.url("sam")])
    assert r.exit_code == 0, r.output
    assert 'Obs! "Okänd Person" är ingen inloggning' in r.stderr and anna not in r.stderr
    r = runner.invoke(cli, ["kontroll", "--granskning", "1", "--granskare", "bo",
                            "--db", roles.url("anna")])
    assert r.exit_code == 2 and f'("{anna}")' in r.stderr and "Traceback" not in r.output
    r = runner.invoke(cli, ["historik", "--granskning", "1", "--db", roles.url("anna"),
                            "--json"])
    assert r.exit_code == 0, r.output
    cases = {e["ärende"] for e in json.loads(r.stdout)["händelser"]}
    assert cases <= {None, "A-1"} and "A-1" in cases


def test_cli_db_anvandare_and_roles(roles):
    runner = CliRunner()
    r = runner.invoke(cli, ["db", "init", "--roller", "--db", roles.admin_url])
    assert r.exit_code == 0, r.output
    assert "redan initierad" in r.stdout and "har sina rättigheter" in r.stdout
    name = roles.names["anna"]
    r = runner.invoke(cli, ["db", "anvandare", name, "--roll", "samordnare",
                            "--db", roles.admin_url])
    assert r.exit_code == 0 and "fanns redan och har lagts till som samordnare" in r.stdout
    with Store.open(roles.url("anna")) as s:
        assert identity.role(s) == "samordnare"
    r = runner.invoke(cli, ["db", "anvandare", "Anna Ek; DROP ROLE x", "--roll", "granskare",
                            "--db", roles.admin_url])
    assert r.exit_code == 2 and "går inte att använda" in r.stderr
    # A reviewer may not create logins.
    r = runner.invoke(cli, ["db", "anvandare", "ny_person", "--roll", "granskare",
                            "--db", roles.url("bo")])
    assert r.exit_code == 2 and "får inte skapa inloggningar" in r.stderr


def test_roles_need_postgresql(tmp_path):
    r = CliRunner().invoke(cli, ["db", "init", "--roller", "--db", str(tmp_path / "g.db")])
    assert r.exit_code == 2 and "finns bara i en PostgreSQL-databas" in r.stderr


@pytest.mark.slow
def test_whole_chain_on_postgresql_as_coordinator_and_reviewers(tmp_path):
    """ny, tilldela, answers by two reviewers, rapport: the published Table 2 comes out.

    The coordinator is a member of granskning_samordnare, not the owner of the
    tables, so this shows the GRANTs and policies are enough for the whole chain.
    Reference: SEED-004 table 2 (DOMAIN.md §2.2), F7 "Ja" per district and in total,
    reproduced by the demo's simulated answers (granskning.demo.answers).
    """
    from openpyxl import load_workbook

    from granskning.demo import answers as demo_answers
    from granskning.demo.exempel import export_path

    runner = CliRunner()
    with role_database(pg_server_url(), PEOPLE) as rdb:
        sam, anna, bo = rdb.url("sam"), rdb.url("anna"), rdb.url("bo")
        r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", str(export_path()),
                                "--db", sam])
        assert r.exit_code == 0, r.output
        names = f"{rdb.names['anna']},{rdb.names['bo']}"
        r = runner.invoke(cli, ["tilldela", "--granskning", "1", "--granskare", names,
                                "--db", sam])
        assert r.exit_code == 0, r.output
        with Store.open(sam) as s:
            cases = s.cases_frame(1)
        drawn = cases[~cases["reserve"]]
        answers = demo_answers.preassessment_answers(demo_answers.with_frame(drawn, export_path()))
        owner = dict(zip(drawn["case_id"], drawn["reviewer"], strict=True))
        for url in (anna, bo):
            with Store.open(url) as s:
                me = identity.current(s)
                mine = [c for c in demo_answers.changes(answers) if owner[c[0]] == me]
                assert len(mine) > 0 and s.set_answers(1, mine, who=me) == len(mine)
        r = runner.invoke(cli, ["analys", "--granskning", "1", "--db", anna, "--json"])
        assert r.exit_code == 2 and "Bara samordnare får analysera" in r.stderr
        out = tmp_path / "tabeller.xlsx"
        r = runner.invoke(cli, ["rapport", "--granskning", "1", "--ut", str(out), "--db", sam])
        assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    f7 = wb[next(s for s in wb.sheetnames if s.startswith("F7 "))]
    row = next(r for r in f7.iter_rows(values_only=True) if r[0] == "Ja")
    assert list(row[1:]) == [4, 3, 4, 5, 5, 8, 2, 4, 2, 10, 5, 52]  # SEED-004 table 2
