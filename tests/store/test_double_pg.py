"""Double reading on PostgreSQL: row-level security keeps the two readings apart.

Connected as real login roles (see ``tests/pg_roles.py``): the expected outcome of each
refused statement is PostgreSQL's own refusal (SQLSTATE 42501) or a row that is simply not
visible under row-level security, not a check made by the tool.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import pg_server_url
from pg_roles import role_database

from granskning.answers.session import Session
from granskning.checklist import loads
from granskning.errors import InputError, StoreError
from granskning.store.database import Store
from granskning.store.double import SecondReadingStore

pytestmark = pytest.mark.postgres

PEOPLE = {"anna": "granskare", "bo": "granskare", "sam": "samordnare"}

CHECKLIST = """\
id: test-dubbel
titel: Testlista
version: "1"
slag: granskning
omraden:
  - id: a
    titel: Område A
    fragor:
      - id: Q1
        text: Har barnet kommit till tals?
        typ: janej
"""


@pytest.fixture
def rdb():
    with role_database(pg_server_url(), PEOPLE) as rdb:
        chk = loads(CHECKLIST)
        with Store.open(rdb.url("sam")) as sam:
            audit = sam.create_audit("Hösten", "granskning", chk.id, chk.version, chk.sha256,
                                     None, {}, rdb.names["sam"])
            sam.add_cases(audit, [{"case_id": f"A-{i}", "stratum": "S", "draw_order": i}
                                  for i in (1, 2)])
            sam.assign(audit, {"A-1": rdb.names["anna"], "A-2": rdb.names["anna"]})
        with Store.open(rdb.url("anna")) as anna:
            anna.set_answer(audit, "A-1", "Q1", "Ja", who=rdb.names["anna"])
            anna.mark_done(audit, "A-1", who=rdb.names["anna"])
        with Store.open(rdb.url("sam")) as sam:
            sam.assign_second(audit, {"A-1": rdb.names["bo"]})
        yield rdb, audit


def test_second_reader_answers_without_seeing_the_first_reading(rdb):
    rdb, audit = rdb
    bo = rdb.names["bo"]
    with Store.open(rdb.url("bo")) as store:
        # The case row is visible to Bo, the first reading is not (RLS, not the tool).
        assert [c.case_id for c in store.cases(audit)] == ["A-1"]
        assert store.answer_versions(audit) == {}
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM answers").scalar_one() == 0
            assert conn.exec_driver_sql("SELECT count(*) FROM answer_history").scalar_one() == 0
        session = Session(SecondReadingStore(store, bo), store.audit(audit), loads(CHECKLIST), bo)
        assert [c.case_id for c in session.open_cases()] == ["A-1"]
        session.record("A-1", "Q1", "Nej")
        session.finish("A-1")
        assert store.second_readings(audit)[0].status == "klar"
        # Bo cannot read or write settlements, nor write the first reading.
        with pytest.raises(StoreError, match="behörighet"):
            store.settlements(audit)
        with pytest.raises((StoreError, InputError)):
            store.set_answer(audit, "A-1", "Q1", "Nej", who=bo)
    with Store.open(rdb.url("anna")) as store:
        # The first reader never sees the second reading, and cannot write one.
        assert store.second_answer_versions(audit) == {}
        assert store.second_readings(audit) == []
        with pytest.raises((StoreError, InputError)):
            store.set_second_answers(audit, [("A-1", "Q1", "Ja")], who=rdb.names["anna"])
    with Store.open(rdb.url("sam")) as store:
        # The coordinator sees both, and settles.
        assert store.answers(audit, "A-1") == {"Q1": "Ja"}
        assert {k: a.value for k, a in store.second_answer_versions(audit).items()} == {
            ("A-1", "Q1"): "Nej"}
        store.settle(audit, "A-1", "Q1", "Ja", first="Ja", second="Nej")
        assert store.settled_values(audit) == {("A-1", "Q1"): "Ja"}
        assert store.settlements(audit)[0].settled_by == rdb.names["sam"]


def test_nobody_changes_a_reading_or_a_settlement(rdb):
    rdb, audit = rdb
    with Store.open(rdb.url("bo")) as store:
        store.set_second_answers(audit, [("A-1", "Q1", "Nej")], who=rdb.names["bo"])
    with Store.open(rdb.url("sam")) as store:
        store.settle(audit, "A-1", "Q1", "Ja", first="Ja", second="Nej")
    for who in ("bo", "sam"):
        engine = sa.create_engine(sa.make_url(rdb.url(who)).set(drivername="postgresql+psycopg"))
        for statement in ("UPDATE second_answers SET value = '\"Ja\"'",
                          "DELETE FROM second_answers", "DELETE FROM settlements"):
            with pytest.raises(sa.exc.DBAPIError) as info:
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
            assert info.value.orig.sqlstate == "42501", statement
        engine.dispose()
    # Not even the owner: the append-only trigger.
    engine = sa.create_engine(sa.make_url(rdb.admin_url).set(drivername="postgresql+psycopg"))
    with pytest.raises(sa.exc.DBAPIError, match="Historiken kan bara utökas"):
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM settlements")
    engine.dispose()
