"""Shared fixtures.

Databases: ``db_url`` runs a test once on SQLite (a fresh file) and once on
PostgreSQL, in a fresh schema of the server named by ``GRANSKNING_TEST_PG``
(start one with ``scripts/pg.sh start``; the URL is ``scripts/pg.sh url``).
Without that variable the PostgreSQL run is skipped, or fails when
``GRANSKNING_REQUIRE_PG=1`` (as in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

# CI (make test sets GRANSKNING_REQUIRE_PG) runs the property tests with a fixed seed so a
# submission is judged on the same examples every time; run plain pytest to explore anew.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("GRANSKNING_REQUIRE_PG") == "1":
    settings.load_profile("ci")

PG_ENV = "GRANSKNING_TEST_PG"
REQUIRE_PG_ENV = "GRANSKNING_REQUIRE_PG"
# The pseudonym key of the test suite (granskning.audit.pseudonym): fixed, so that tests never
# create ~/.config/granskning/nyckel and their pseudonyms are the same on every run.
TEST_KEY = "6772616e736b6e696e672d746573746e79636b656c2d3332206279746573210a"


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRANSKNING_NYCKEL", TEST_KEY)


def pg_server_url() -> str:
    """Return the test server's URL, or skip/fail the test when there is none."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    reason = (
        f"{PG_ENV} är inte satt: inga PostgreSQL-tester (starta en server: scripts/pg.sh start)"
    )
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_PG_ENV}=1 kräver dem", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database URL with no tables: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "granskning.db")
        return
    import sqlalchemy as sa

    base = sa.make_url(pg_server_url())
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base.set(drivername="postgresql+psycopg"))
    try:
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        # libpq "options" puts the schema first on the search path of every connection.
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        admin.dispose()


@pytest.fixture
def store(db_url: str):
    """An open Store on ``db_url`` with the newest schema."""
    from granskning.store.database import Store

    s = Store.open(db_url, create=True)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Run a granskning command in-process (click's CliRunner) and return click's Result.

    ``cli("ny", "--protokoll", …, input="j\\n")``: arguments as strings (paths are converted),
    stdout and stderr kept apart (``result.stdout``, ``result.stderr``), the exit code in
    ``result.exit_code``. The command runs in ``tmp_path`` with no ``GRANSKNING_DB`` from the
    caller's environment, so a test never touches a real database by accident.
    """
    from click.testing import CliRunner

    from granskning.cli import cli as group

    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args, input: str | None = None, env: dict[str, str] | None = None, **kwargs):
        return CliRunner().invoke(group, [str(a) for a in args], input=input, env=env, **kwargs)

    return invoke
