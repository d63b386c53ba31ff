"""Opening the database: only ``db init`` creates one (issue 9, item 9).

A misspelt ``--db`` path (or GRANSKNING_DB, or no granskning.db in the current
directory) used to give every command a new empty database.  Now every command
but ``db init`` refuses, in Swedish with exit 2, and leaves no file behind; a
file that is not a granskning database is never written to.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from click.testing import CliRunner
from conftest import pg_server_url

from granskning.cli import cli
from granskning.errors import InputError, StoreError
from granskning.store.database import Store
from granskning.store.migrations import LATEST

# Every command that opens the database, with just enough arguments to reach it.
COMMANDS = [
    ["db", "status"],
    ["db", "migrera"],
    ["db", "anvandare", "anna_ek", "--roll", "granskare"],
    ["ny", "--urval", "urval.xlsx", "--checklista", "forhandsbedomning-0-12", "--titel", "T"],
    ["ny", "forhandsbedomningar-2024", "--ram", "ram.csv"],
    ["tilldela", "--granskning", "1", "--granskare", "Anna,Bo"],
    ["kontroll", "--granskning", "1", "--granskare", "Anna"],
    ["svar", "exportera", "--granskning", "1", "--ut", "mall.xlsx"],
    ["svar", "importera", "--granskning", "1", "mall.xlsx"],
    ["analys", "--granskning", "1"],
    ["historik", "--granskning", "1"],
    ["lista", "--granskning", "1", "--urval", "urval.xlsx"],
    ["rapport", "--granskning", "1", "--ut", "rapport.pdf"],
]
IDS = [" ".join(c[:2]) for c in COMMANDS]


def run(args: list[str], env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, args, env=env)


def files(directory) -> set[str]:
    return {p.name for p in directory.iterdir()}


def assert_refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Oväntat fel" not in result.output and "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_every_command_refuses_a_missing_database_and_creates_nothing(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    typo = tmp_path / "granksning.db"
    r = run([*args, "--db", str(typo)])
    assert_refused(r, f"Databasen finns inte: {typo}", "granskning db init")
    assert files(tmp_path) == set()  # no database, no -wal, no -shm, no output
    # The same through the environment variable and through the default file.
    r = run(args, env={"GRANSKNING_DB": str(typo)})
    assert_refused(r, "Databasen finns inte", "miljövariabeln GRANSKNING_DB")
    r = run(args, env={"GRANSKNING_DB": ""})
    assert_refused(r, f"Databasen finns inte: {tmp_path / 'granskning.db'}", "standardfilen")
    r = run([*args, "--db", f"sqlite:///{typo}"])
    assert_refused(r, "Databasen finns inte")
    assert files(tmp_path) == set()


def test_db_init_creates_it_and_then_commands_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    r = run(["db", "init"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "granskning.db").exists()
    r = run(["db", "status", "--json"])
    assert r.exit_code == 0 and f'"schemaversion": {LATEST}' in r.stdout
    r = run(["historik", "--granskning", "1", "--granskare", "Anna"])
    assert_refused(r, "Granskning 1 finns inte")


@pytest.mark.parametrize("args", [*COMMANDS, ["db", "init"]], ids=[*IDS, "db init"])
def test_a_file_that_is_not_sqlite_is_never_touched(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wrong = tmp_path / "ram.csv"
    wrong.write_bytes(b"arende_id;stadsdel\nA1;Bromma\n")
    before = wrong.read_bytes()
    r = run([*args, "--db", str(wrong)])
    assert_refused(r, str(wrong), "ingen databas för granskning")
    assert wrong.read_bytes() == before
    assert files(tmp_path) == {"ram.csv"}


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_an_empty_file_is_refused_but_db_init_may_use_it(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "tom.db"
    empty.touch()
    r = run([*args, "--db", str(empty)])
    assert_refused(r, "tom fil", "granskning db init")
    assert empty.stat().st_size == 0 and files(tmp_path) == {"tom.db"}


def test_db_init_fills_an_empty_file(tmp_path):
    empty = tmp_path / "tom.db"
    empty.touch()
    r = run(["db", "init", "--db", str(empty)])
    assert r.exit_code == 0, r.output
    with Store.open(str(empty)) as store:
        assert store.schema_version() == LATEST


def test_someone_elses_sqlite_database_is_not_used(tmp_path):
    other = tmp_path / "budget.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE konton (nr INTEGER, namn TEXT)")
    con.commit()
    con.close()
    r = run(["db", "init", "--db", str(other)])
    assert_refused(r, "andra tabeller än granskningens")
    for args in (["historik", "--granskning", "1", "--granskare", "A"],
                 ["tilldela", "--granskning", "1", "--granskare", "A"]):
        r = run([*args, "--db", str(other)])
        assert_refused(r, "ingen databas för granskning", "andra tabeller")
    r = run(["db", "migrera", "--db", str(other)])
    assert_refused(r, "granskning db init")
    con = sqlite3.connect(other)
    tables = {t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    con.close()
    assert tables == {"konton"}


def test_a_directory_is_refused(tmp_path):
    r = run(["historik", "--granskning", "1", "--db", str(tmp_path)])
    assert_refused(r, "är en katalog")
    r = run(["db", "init", "--db", str(tmp_path)])
    assert_refused(r, "är en katalog")


def test_library_open_needs_create_for_a_new_file(tmp_path):
    path = tmp_path / "ny.db"
    with pytest.raises(StoreError, match="Databasen finns inte") as info:
        Store.open(str(path))
    assert info.value.exit_code == 2 and not path.exists()
    with Store.open(str(path), create=True) as store:
        store.init()
    assert path.exists()
    with Store.open(str(path)) as store:
        assert store.schema_version() == LATEST


def test_file_removed_after_the_check_is_not_recreated(tmp_path):
    # SQLite opens with mode=rw: even a file that vanishes between our check and
    # the first connection is never created again by the driver.
    path = tmp_path / "g.db"
    with Store.open(str(path), create=True) as store:
        store.init()
    store = Store.open(str(path))
    try:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
        with pytest.raises(StoreError, match="går inte att öppna"):
            store.schema_version()
        assert not path.exists()
    finally:
        store.close()


# -- PostgreSQL ---------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_missing_database_and_role_in_swedish():
    import sqlalchemy as sa

    base = sa.make_url(pg_server_url())
    missing = base.set(database="granskning_felstavad").render_as_string(hide_password=False)
    r = run(["historik", "--granskning", "1", "--db", missing])
    assert_refused(r, "databasen granskning_felstavad finns inte på servern", "granskning db init")
    assert "does not exist" not in r.stderr
    nobody = base.set(username="ingen_sadan_anvandare").render_as_string(hide_password=False)
    r = run(["historik", "--granskning", "1", "--db", nobody])
    assert_refused(r, "användaren ingen_sadan_anvandare finns inte på servern")


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_schema_not_created_asks_for_init(db_url):
    r = run(["historik", "--granskning", "1", "--db", db_url])
    assert_refused(r, "saknar tabeller", "granskning db init")
    r = run(["db", "migrera", "--db", db_url])
    assert_refused(r, "granskning db init")
    with Store.open(db_url) as store:
        store.migrate(target=1)
    r = run(["historik", "--granskning", "1", "--db", db_url])
    assert_refused(r, "schemaversion 1", "granskning db migrera")


@pytest.mark.parametrize("audit", ["100000000000000000000000000", "2147483648", "0", "-1"])
def test_an_audit_id_no_database_can_hold_is_not_found(tmp_path, audit):
    # 10^26 used to end in "Oväntat fel (OverflowError)" on SQLite.
    db = str(tmp_path / "g.db")
    assert run(["db", "init", "--db", db]).exit_code == 0
    for args in (["historik", "--granskning", audit, "--granskare", "A"],
                 ["tilldela", "--granskning", audit, "--granskare", "A"],
                 ["kontroll", "--granskning", audit, "--granskare", "A"],
                 ["analys", "--granskning", audit],
                 ["rapport", "--granskning", audit, "--ut", str(tmp_path / "r.pdf")]):
        r = run([*args, "--db", db])
        assert_refused(r, "finns inte i databasen")
    with Store.open(db) as store, pytest.raises(InputError, match="finns inte"):
        store.audit(int(audit))


def test_an_empty_db_option_does_not_fall_back_to_the_default(tmp_path, monkeypatch):
    # --db "$DB" with DB unset used to open (or create) ./granskning.db silently.
    monkeypatch.chdir(tmp_path)
    assert run(["db", "init"]).exit_code == 0
    for value in ("", "  "):
        r = run(["historik", "--granskning", "1", "--granskare", "A", "--db", value])
        assert_refused(r, "--db är tom")
        r = run(["db", "init", "--db", value])
        assert_refused(r, "--db är tom")
