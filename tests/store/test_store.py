"""Tests of granskning.store.database (and ``granskning db``), on SQLite and PostgreSQL.

There are no statistics here to check against R: the reference behaviour is the
SQLite/PostgreSQL documentation cited beside the checks (pragma values, file
modes, transactional DDL).
"""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from granskning import __version__
from granskning.cli import cli
from granskning.errors import InputError, ManyInputErrors, StoreError
from granskning.store.database import ConflictError, Store, show_case_id
from granskning.store.migrations import LATEST

NASTY = "Robert'); DROP TABLE answers;--"


def make_audit(store: Store, cases: list[dict] | None = None, **kw) -> int:
    args = {
        "title": "Barnavårdsutredningar 2025",
        "kind": "granskning",
        "checklist_id": "barnutredning",
        "checklist_version": "1",
        "checklist_sha256": "a" * 64,
        "protocol_text": "Protokoll",
        "sample_record": {"seed": 20250101, "n": 2},
        "created_by": "Anna",
    }
    args.update(kw)
    audit_id = store.create_audit(**args)
    store.add_cases(
        audit_id,
        cases
        if cases is not None
        else [
            {"case_id": "U-1", "stratum": "Spånga-Tensta", "draw_order": 1},
            {"case_id": "U-2", "stratum": "Spånga-Tensta", "draw_order": 2},
        ],
    )
    return audit_id


def table_names(url: str) -> set[str]:
    import sqlalchemy as sa

    s = Store.open(url)
    try:
        with s._engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        s.close()


# -- schema and migrations ---------------------------------------------------


def test_migrate_from_empty_then_idempotent(db_url):
    from granskning.store import migrations as mig

    with Store.open(db_url, create=True) as store:
        assert store.schema_version() == 0
        applied, pending = store.schema_steps()
        every = [m.version for m in mig.MIGRATIONS]
        assert every == list(range(1, mig.LATEST + 1))
        assert applied == () and [p.version for p in pending] == every
        steps = store.migrate()
        assert [s.version for s in steps] == every
        assert store.schema_version() == mig.LATEST
        assert store.migrate() == ()
        assert store.init() == ()
        applied, pending = store.schema_steps()
        assert [a.version for a in applied] == every and pending == ()
        assert all(a.tool_version == __version__ and a.applied_at.tzinfo for a in applied)
    assert {"audits", "cases", "assignments", "answers", "answer_history", "change_log",
            "schema_version"} <= (
        table_names(db_url)
    )


def test_migrates_forward_from_older_schema(db_url):
    from granskning.store import migrations as mig

    with Store.open(db_url, create=True) as store:
        assert [s.version for s in store.migrate(target=1)] == [1]
        assert store.schema_version() == 1
        with pytest.raises(StoreError, match="granskning db migrera") as info:
            store.audits()
        assert info.value.exit_code == 2
        later = list(range(2, mig.LATEST + 1))
        assert [p.version for p in store.schema_steps()[1]] == later
        assert [s.version for s in store.migrate()] == later
        assert store.audits() == []


def test_failed_migration_is_rolled_back(db_url, monkeypatch):
    import sqlalchemy as sa

    from granskning.store import migrations as mig

    def broken(conn):
        tmp = sa.Table("half_done", sa.MetaData(), sa.Column("x", sa.Integer))
        conn.execute(sa.schema.CreateTable(tmp))
        conn.execute(sa.select(sa.column("nope")).select_from(sa.table("no_such_table")))

    with Store.open(db_url, create=True) as store:
        store.migrate()
        monkeypatch.setattr(
            mig, "MIGRATIONS", (*mig.MIGRATIONS, mig.Migration(mig.LATEST + 1, "trasig", broken))
        )
        latest = mig.LATEST
        monkeypatch.setattr(mig, "LATEST", latest + 1)
        with pytest.raises(StoreError, match="rullades tillbaka"):
            store.migrate()
        assert store.schema_version() == latest
    # SQLite DDL is transactional only because the store emits its own BEGIN.
    assert "half_done" not in table_names(db_url)


def test_newer_schema_is_refused(db_url):
    import sqlalchemy as sa

    from granskning.store import schema as s

    with Store.open(db_url, create=True) as store:
        store.migrate()
        with store._engine.begin() as conn:
            conn.execute(
                sa.insert(s.schema_version).values(
                    version=99,
                    description="framtid",
                    applied_at=s.datetime.now(s.UTC),
                    tool_version="9.9",
                )
            )
    with pytest.raises(StoreError, match="schemaversion 99") as info:
        Store.open(db_url)
    assert info.value.exit_code == 2
    assert "Uppgradera granskning" in str(info.value)
    result = CliRunner().invoke(cli, ["db", "status", "--db", db_url])
    assert result.exit_code == 2
    assert result.stderr.startswith("Fel: Databasen") and "99" in result.stderr
    assert "Traceback" not in result.output


def test_empty_database_asks_for_init(db_url):
    with Store.open(db_url, create=True) as store, pytest.raises(
        StoreError, match="granskning db init"
    ):
        store.audits()


# -- answers -------------------------------------------------------------------


def test_answer_is_committed_before_set_answer_returns(db_url):
    first = Store.open(db_url, create=True)
    first.migrate()
    audit = make_audit(first)
    assert first.set_answer(audit, "U-1", "skyddsbedomning_i_tid", "Ja", who="Anna") == 1
    # A second connection sees it while the first is still open (no commit pending).
    second = Store.open(db_url)
    try:
        assert second.answers(audit, "U-1") == {"skyddsbedomning_i_tid": "Ja"}
        got = second.answer(audit, "U-1", "skyddsbedomning_i_tid")
        assert (got.value, got.version, got.changed_by) == ("Ja", 1, "Anna")
    finally:
        second.close()
        first.close()


def test_answer_survives_a_killed_process(db_url):
    import signal
    import subprocess
    import sys

    with Store.open(db_url, create=True) as store:
        store.migrate()
        audit = make_audit(store)
    script = (
        "import os, signal, sys\n"
        "from granskning.store.database import Store\n"
        "s = Store.open(sys.argv[1])\n"
        "s.set_answer(int(sys.argv[2]), 'U-2', 'fb_14_dagar', 'Nej', who='Bo')\n"
        "os.kill(os.getpid(), signal.SIGKILL)  # no close, no clean exit\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, db_url, str(audit)], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Store.open(db_url) as store:
        assert store.answers(audit, "U-2") == {"fb_14_dagar": "Nej"}
        assert list(store.history(audit)["event"]) == ["nytt"]


def test_every_change_is_appended_to_history(store):
    audit = make_audit(store)
    q = "polisanmalan"
    assert store.set_answer(audit, "U-1", q, "Ja", who="Anna") == 1
    assert store.set_answer(audit, "U-1", q, "Ja", who="Anna") == 1  # same value: no change
    assert store.set_answer(audit, "U-1", q, "Nej", who="Bo") == 2
    assert store.delete_answer(audit, "U-1", q, who="Cecilia") == 3
    assert store.delete_answer(audit, "U-1", q, who="Cecilia") == 3  # already gone
    assert store.set_answer(audit, "U-1", q, "Ej aktuellt", who="Anna") == 4
    store.set_answer(audit, "U-2", q, True, who="Bo")
    h = store.history(audit, "U-1")
    assert list(h["event"]) == ["nytt", "ändrat", "borttaget", "nytt"]
    assert list(h["old_value"]) == [None, "Ja", "Nej", None]
    assert list(h["new_value"]) == ["Ja", "Nej", None, "Ej aktuellt"]
    assert list(h["version"]) == [1, 2, 3, 4]
    assert list(h["changed_by"]) == ["Anna", "Bo", "Cecilia", "Anna"]
    assert set(h["tool_version"]) == {__version__}
    assert h["changed_at"].is_monotonic_increasing
    assert len(store.history(audit)) == 5
    assert store.history(audit)["new_value"].iloc[-1] is True
    assert store.answers(audit, "U-1") == {q: "Ej aktuellt"}


def test_conflict_with_expected_version(db_url):
    a = Store.open(db_url, create=True)
    b = Store.open(db_url)
    try:
        a.migrate()
        audit = make_audit(a)
        q = "barnets_basta"
        assert a.set_answer(audit, "U-1", q, "Ja", who="Anna", expected_version=0) == 1
        seen = a.answer(audit, "U-1", q).version
        assert b.set_answer(audit, "U-1", q, "Nej", who="Bo", expected_version=seen) == 2
        with pytest.raises(ConflictError) as info:
            a.set_answer(audit, "U-1", q, "Delvis", who="Anna", expected_version=seen)
        err = info.value
        assert (err.current_value, err.changed_by, err.current_version) == ("Nej", "Bo", 2)
        assert err.exit_code == 2 and "ändrats av Bo" in err.message
        assert b.answers(audit, "U-1") == {q: "Nej"}
        assert len(b.history(audit)) == 2  # the refused write left no trace
        # A new answer where the caller believed there was none.
        with pytest.raises(ConflictError, match="du utgick från version 0"):
            a.set_answer(audit, "U-1", q, "Ja", who="Anna", expected_version=0)
        # Delete and re-create: an old version number can never match again.
        assert b.delete_answer(audit, "U-1", q, who="Bo", expected_version=2) == 3
        with pytest.raises(ConflictError, match="tagits bort av Bo"):
            a.set_answer(audit, "U-1", q, "Ja", who="Anna", expected_version=2)
        assert a.set_answer(audit, "U-1", q, "Ja", who="Anna", expected_version=3) == 4
        with pytest.raises(ConflictError, match="finns inte"):
            a.delete_answer(audit, "U-2", q, who="Anna", expected_version=1)
    finally:
        a.close()
        b.close()


def test_concurrent_writers_lose_nothing(db_url):
    from concurrent.futures import ThreadPoolExecutor

    with Store.open(db_url, create=True) as setup:
        setup.migrate()
        audit = make_audit(setup)
    n = 6
    stores = [Store.open(db_url) for _ in range(n)]
    try:
        # Last writer wins, but every write gets its own version and history row.
        with ThreadPoolExecutor(n) as pool:
            versions = list(
                pool.map(
                    lambda i: stores[i].set_answer(audit, "U-1", "q", f"v{i}", who=f"G{i}"),
                    range(n),
                )
            )
        assert sorted(versions) == list(range(1, n + 1))
        h = stores[0].history(audit, "U-1")
        assert list(h["version"]) == list(range(1, n + 1))
        assert list(h["old_value"])[1:] == list(h["new_value"])[:-1]  # an unbroken chain

        # Everyone believes the answer is new: exactly one succeeds.
        def first(i):
            try:
                return stores[i].set_answer(
                    audit, "U-2", "q", f"v{i}", who=f"G{i}", expected_version=0
                )
            except ConflictError:
                return None

        with ThreadPoolExecutor(n) as pool:
            results = list(pool.map(first, range(n)))
        assert results.count(1) == 1 and results.count(None) == n - 1
    finally:
        for st in stores:
            st.close()


def test_sql_looking_text_is_stored_as_data(store, db_url):
    audit = make_audit(
        store,
        cases=[{"case_id": NASTY, "stratum": NASTY, "case_worker": NASTY}],
        title=NASTY,
        created_by=NASTY,
    )
    store.assign(audit, {NASTY: NASTY})
    store.set_answer(audit, NASTY, NASTY, NASTY, who=NASTY)
    store.set_answer(audit, NASTY, f"{NASTY}__motivering", NASTY, who=NASTY)
    assert store.answers(audit, NASTY) == {NASTY: NASTY, f"{NASTY}__motivering": NASTY}
    (case,) = store.cases(audit, reviewer=NASTY)
    assert (case.case_id, case.stratum, case.case_worker, case.reviewer) == (NASTY,) * 4
    assert store.audit(audit).title == NASTY
    assert store.history(audit)["changed_by"].tolist() == [NASTY, NASTY]
    assert {"answers", "cases", "audits"} <= table_names(db_url)


def test_unicode_round_trip(store):
    title = "Årsrapport för Hägersten-Älvsjö – ÅÄÖ åäö é ü"
    audit = make_audit(
        store,
        cases=[
            {
                "case_id": "Ärende-ÅÄÖ-1",
                "stratum": "Spånga-Tensta",
                "sex": "flicka",
                "case_worker": "Åsa Öberg",
            }
        ],
        title=title,
        sample_record={"stadsdel": "Älvsjö", "anteckning": "Över två år"},
        created_by="Örjan Ärlig",
    )
    stored = store.audit(audit)
    assert stored.title == title and stored.created_by == "Örjan Ärlig"
    assert stored.sample_record == {"stadsdel": "Älvsjö", "anteckning": "Över två år"}
    value = {"svar": "Nej", "skäl": ["föräldrarna motsatte sig kontakt", "barnets ålder"]}
    store.set_answer(audit, "Ärende-ÅÄÖ-1", "delaktighet_återkoppling", value, who="Åsa Öberg")
    store.set_answer(
        audit,
        "Ärende-ÅÄÖ-1",
        "delaktighet_återkoppling__motivering",
        "Barnet är två år gammalt.",
        who="Åsa Öberg",
    )
    assert store.answers(audit, "Ärende-ÅÄÖ-1") == {
        "delaktighet_återkoppling": value,
        "delaktighet_återkoppling__motivering": "Barnet är två år gammalt.",
    }
    (case,) = store.cases(audit)
    assert (case.stratum, case.case_worker) == ("Spånga-Tensta", "Åsa Öberg")


def test_answer_values_keep_their_json_type(store):
    import numpy as np

    audit = make_audit(store)
    values = {"antal_samtal": 3, "andel": 0.25, "ja": True, "lista": ["a", "b"], "np": np.int64(7)}
    for qid, v in values.items():
        store.set_answer(audit, "U-1", qid, v, who="Anna")
    got = store.answers(audit, "U-1")
    assert got["antal_samtal"] == 3 and type(got["antal_samtal"]) is int
    assert got["ja"] is True and got["andel"] == 0.25 and got["lista"] == ["a", "b"]
    assert got["np"] == 7
    with pytest.raises(InputError, match="tomt"):
        store.set_answer(audit, "U-1", "x", None, who="Anna")
    with pytest.raises(InputError, match="JSON"):
        store.set_answer(audit, "U-1", "x", float("nan"), who="Anna")


def test_answers_frame_one_row_per_case(store):
    audit = make_audit(
        store,
        cases=[
            {"case_id": "B", "stratum": "S1", "draw_order": 1},
            {"case_id": "A", "stratum": "S1", "draw_order": 2},
            {"case_id": "R", "stratum": "S1", "draw_order": 3, "reserve": True},
        ],
    )
    store.set_answer(audit, "A", "q2", "Nej", who="Anna")
    store.set_answer(audit, "A", "q1", True, who="Anna")
    store.set_answer(audit, "B", "q1", False, who="Bo")
    store.set_answer(audit, "B", "q1__motivering", "Saknas i akten", who="Bo")
    store.set_answer(audit, "B", "q3", "borta", who="Bo")
    store.delete_answer(audit, "B", "q3", who="Bo")
    frame = store.answers_frame(audit)
    assert list(frame.columns) == ["case_id", "q1", "q1__motivering", "q2"]
    assert list(frame["case_id"]) == ["B", "A"]  # draw order; the reserve has no answers
    assert frame["q1"].tolist() == [False, True]
    assert frame["q2"].tolist() == [None, "Nej"]
    assert frame["q1__motivering"].tolist() == ["Saknas i akten", None]


def test_unknown_audit_and_case_are_input_errors(store):
    audit = make_audit(store)
    with pytest.raises(InputError, match="Granskning 999 finns inte"):
        store.audit(999)
    with pytest.raises(InputError, match='Ärendet "X-9" finns inte i granskning'):
        store.set_answer(audit, "X-9", "q", "Ja", who="Anna")
    with pytest.raises(InputError, match="Granskning 999 finns inte"):
        store.set_answer(999, "U-1", "q", "Ja", who="Anna")


# -- audits, cases, assignments ----------------------------------------------


def test_create_audit_round_trip_and_checks(store):
    audit = make_audit(store, kind="internkontroll")
    got = store.audit(audit)
    assert (got.kind, got.checklist_id, got.checklist_sha256) == (
        "internkontroll",
        "barnutredning",
        "a" * 64,
    )
    assert got.sample_record == {"seed": 20250101, "n": 2}
    assert [a.id for a in store.audits()] == [audit]
    with pytest.raises(InputError, match="Okänd typ"):
        make_audit(store, kind="revision")
    with pytest.raises(InputError, match="sha256"):
        make_audit(store, checklist_sha256="xyz")


def test_add_cases_validates_rows(store):
    audit = make_audit(store, cases=[])
    with pytest.raises(InputError) as info:
        store.add_cases(audit, [{"case_id": "A"}, {"case_id": "A"}])
    assert info.value.row == 3 and info.value.column == "case_id"
    assert 'rad 3, kolumn "case_id"' in info.value.message
    with pytest.raises(ManyInputErrors) as many:
        store.add_cases(
            audit,
            [
                {"case_id": "A", "age": "tio"},
                {"case_id": None},
                {"case_id": "C", "reserve": "kanske"},
                {"case_id": "D", "inclusion_probability": 1.5},
            ],
        )
    assert [(e.row, e.column) for e in many.value.errors] == [
        (2, "age"),
        (3, "case_id"),
        (4, "reserve"),
        (5, "inclusion_probability"),
    ]
    assert store.cases(audit) == []  # nothing stored when any row is bad
    with pytest.raises(InputError, match="inget heltal") as info:
        store.add_cases(audit, [{"case_id": "A", "age": float("inf")}])
    assert (info.value.row, info.value.column) == (2, "age")
    with pytest.raises(InputError, match="större än 0"):
        store.add_cases(audit, [{"case_id": "A", "design_weight": float("inf")}])
    assert store.add_cases(audit, [{"case_id": "A"}]) == 1
    with pytest.raises(InputError, match='"A" finns redan'):
        store.add_cases(audit, [{"case_id": "A"}, {"case_id": "B"}])


def test_add_cases_from_dataframe(store):
    import numpy as np
    import pandas as pd

    audit = make_audit(store, cases=[])
    frame = pd.DataFrame(
        {
            "case_id": [101, 102, 103],
            "stratum": ["Rinkeby", "Rinkeby", "Kista"],
            "sex": ["pojke", None, "flicka"],
            "age": [12, np.nan, 7],
            "design_weight": [4.0, 4.0, 2.5],
            "inclusion_probability": [0.25, 0.25, 0.4],
            "draw_order": [2, 1, 1],
            "reserve": [False, True, False],
            "case_worker": ["Bo", "Anna", None],
            "ignored_column": ["x", "y", "z"],
        }
    )
    assert store.add_cases(audit, frame) == 3
    cases = store.cases(audit)
    assert [c.case_id for c in cases] == ["103", "101", "102"]  # reserve last
    c101 = cases[1]
    assert (c101.age, c101.sex, c101.design_weight, c101.reserve) == (12, "pojke", 4.0, False)
    assert cases[2].age is None and cases[2].reserve is True
    frame_back = store.cases_frame(audit)
    assert list(frame_back["case_id"]) == ["103", "101", "102"]


def test_personnummer_is_masked_in_messages(store):
    # Skatteverket's test number 19121212-1212 (valid check digit): a case id that is a
    # personnummer is refused (ids are stored as pseudonyms), and the refusal masks it.
    audit = make_audit(store, cases=[{"case_id": "A-1"}])
    assert show_case_id("19121212-1212") == "19121212-****"
    assert show_case_id("121212-1212") == "121212-****"
    with pytest.raises(InputError) as info:
        store.add_cases(audit, [{"case_id": "19121212-1212"}])
    assert "1212-1212" not in info.value.message and "19121212-****" in info.value.message
    assert "pseudonym" in info.value.message
    with pytest.raises(InputError) as info:
        store.add_cases(audit, [{"case_id": "A-1"}])  # already there: named, not stored twice
    assert '"A-1"' in info.value.message


def test_assign_mark_done_progress(store):
    audit = make_audit(
        store,
        cases=[{"case_id": f"U-{i}", "stratum": "S", "draw_order": i} for i in range(1, 5)]
        + [{"case_id": "R-1", "stratum": "S", "draw_order": 5, "reserve": True}],
    )
    assert store.assign(audit, {"U-1": "Anna", "U-2": "Anna", "U-3": "Bo"}) == 3
    assert store.assign(audit, {"U-1": "Anna"}) == 0
    assert tuple(store.progress(audit, "Anna")) == (0, 2)
    store.mark_done(audit, "U-1", "Anna")
    done, total = store.progress(audit, "Anna")
    assert (done, total) == (1, 2)
    assert tuple(store.progress(audit)) == (1, 4)  # the unassigned reserve is not counted
    store.mark_done(audit, "U-4", "Cecilia")  # unassigned: goes to whoever finished it
    assert tuple(store.progress(audit, "Cecilia")) == (1, 1)
    with pytest.raises(InputError, match="redan granskat av Anna"):
        store.assign(audit, {"U-1": "Bo"})
    assert store.assign(audit, {"U-2": "Bo"}) == 1
    assert [c.case_id for c in store.cases(audit, reviewer="Bo")] == ["U-2", "U-3"]
    with pytest.raises(InputError, match="finns inte"):
        store.assign(audit, {"U-99": "Bo"})
    (u1,) = [c for c in store.cases(audit) if c.case_id == "U-1"]
    assert u1.status == "klar" and u1.finished_at is not None


# -- SQLite specifics ------------------------------------------------------------


def test_sqlite_file_is_private(tmp_path):
    db_url = str(tmp_path / "granskning.db")
    old = os.umask(0o022)
    try:
        store = Store.open(db_url, create=True)
        store.migrate()
        audit = make_audit(store)
        store.set_answer(audit, "U-1", "q", "Ja", who="Anna")
        # SQLite gives -wal and -shm the database file's permissions (os_unix.c, findCreateFileMode).
        for suffix in ("", "-wal", "-shm"):
            mode = stat.S_IMODE(os.stat(db_url + suffix).st_mode)
            assert mode == 0o600, (suffix, oct(mode))
        store.close()
    finally:
        os.umask(old)


def test_sqlite_pragmas(tmp_path):
    path = str(tmp_path / "granskning.db")
    with Store.open(path, create=True) as store, store._engine.connect() as conn:
        # https://sqlite.org/pragma.html: synchronous FULL = 2; foreign_keys ON = 1.
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_default_file_and_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    with Store.open(create=True) as store:
        assert store.display_url == str(tmp_path / "granskning.db")
    assert (tmp_path / "granskning.db").exists()
    monkeypatch.setenv("GRANSKNING_DB", str(tmp_path / "annan.db"))
    with Store.open(create=True) as store:
        assert store.display_url == str(tmp_path / "annan.db")
    with Store.open(f"sqlite:///{tmp_path}/tredje.db", create=True) as store:
        assert store.dialect == "sqlite" and store.display_url == f"{tmp_path}/tredje.db"


def test_url_handling_without_a_server():
    from granskning.store.engine import engine_url as _engine_url

    url = _engine_url("postgresql://anna:hemligt@db.example/granskning")
    assert url.drivername == "postgresql+psycopg"
    assert "hemligt" not in url.render_as_string(hide_password=True)
    assert _engine_url("postgres://x@h/d").drivername == "postgresql+psycopg"
    with pytest.raises(InputError, match="stöds inte"):
        _engine_url("mysql://x@h/d")
    with pytest.raises(StoreError, match="katalogen finns inte"):
        Store.open("/nonexistent-dir-granskning/x.db", create=True)
    with pytest.raises(StoreError, match="Databasen finns inte"):
        Store.open("/nonexistent-dir-granskning/x.db")


def test_unreachable_server_hides_password():
    result = CliRunner().invoke(
        cli, ["db", "status", "--db", "postgresql://anna:hemligt@127.0.0.1:1/x"]
    )
    assert result.exit_code == 2
    assert "Kunde inte ansluta" in result.stderr and "hemligt" not in result.stderr


# -- CLI: granskning db ------------------------------------------------------------


def test_cli_db_init_migrate_status(db_url):
    runner = CliRunner()
    r = runner.invoke(cli, ["db", "status", "--db", db_url, "--json"], catch_exceptions=False)
    if db_url.startswith("postgresql"):  # an empty schema: nothing applied yet
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["schemaversion"] == 0
        assert [p["version"] for p in data["väntande"]] == list(range(1, LATEST + 1))
        r = runner.invoke(cli, ["db", "migrera", "--db", db_url])
        assert r.exit_code == 2 and "granskning db init" in r.stderr
    else:  # no file yet: only db init creates one
        assert r.exit_code == 2 and "Databasen finns inte" in r.stderr
        assert not os.path.exists(db_url)
    r = runner.invoke(cli, ["db", "init", "--db", db_url], catch_exceptions=False)
    assert r.exit_code == 0 and f"klar (schemaversion {LATEST})" in r.stdout
    r = runner.invoke(cli, ["db", "init", "--db", db_url], catch_exceptions=False)
    assert f"redan initierad (schemaversion {LATEST})" in r.stdout
    r = runner.invoke(cli, ["db", "migrera", "--db", db_url], catch_exceptions=False)
    assert r.exit_code == 0 and f"redan den senaste schemaversionen ({LATEST})" in r.stdout
    r = runner.invoke(cli, ["db", "status", "--db", db_url], catch_exceptions=False)
    assert r.exit_code == 0
    assert f"Schemaversion:  {LATEST} (verktyget använder {LATEST})" in r.stdout
    assert "Väntande migreringar: inga" in r.stdout and "0 granskningar" in r.stdout
    r = runner.invoke(cli, ["db", "status", "--db", db_url, "--json"], catch_exceptions=False)
    data = json.loads(r.stdout)
    assert data["schemaversion"] == LATEST and data["väntande"] == []
    assert data["antal_rader"]["granskningar"] == 0


def test_cli_db_migrera_from_version_1(db_url):
    with Store.open(db_url, create=True) as store:
        store.migrate(target=1)
    r = CliRunner().invoke(cli, ["db", "migrera", "--db", db_url], catch_exceptions=False)
    assert r.exit_code == 0
    assert "Migrering 2: Index" in r.stdout and "Migrering 3: Historik" in r.stdout
    assert "Migrering 4: Databasen skriver svarshistoriken" in r.stdout
    assert "Migrering 5: Databasen skriver historiken för tilldelning" in r.stdout
    assert "Migrering 6: Ärendedata från ramen" in r.stdout
    assert f"Schemaversion 1 → {LATEST}." in r.stdout


def test_cli_db_uses_environment(tmp_path, monkeypatch):
    path = tmp_path / "miljo.db"
    monkeypatch.setenv("GRANSKNING_DB", str(path))
    r = CliRunner().invoke(cli, ["db", "init"], catch_exceptions=False)
    assert r.exit_code == 0 and str(path) in r.stdout
    assert path.exists()
