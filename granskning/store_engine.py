"""Opening the database: URL resolution, SQLite settings, private files.

SQLite settings and why:

* ``journal_mode=WAL``: readers never block the one writer, so two sessions
  (or a session and a report) can work on one file.
* ``synchronous=FULL``: in WAL mode ``NORMAL`` keeps the database consistent
  but may lose the last commits on a power cut or OS crash; an answer the
  inspector has been told is saved must survive that, and one WAL fsync per
  answer is cheap at the pace people type (see ``benchmarks/bench_store.py``).
* ``foreign_keys=ON`` (SQLite leaves it off), a 10 s busy timeout, and our own
  ``BEGIN`` (``BEGIN IMMEDIATE`` for writes) instead of the driver's, so that DDL
  is transactional and a read-then-write never fails on a stale snapshot.
* New database files are created with mode 0600 (SQLite gives its -wal and
  -shm files the same mode): case data is secret under OSL.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError, StoreError

if TYPE_CHECKING:
    import sqlalchemy as sa

DEFAULT_FILE = "granskning.db"
ENV_VAR = "GRANSKNING_DB"
BUSY_TIMEOUT_S = 10
WRITE = "granskning_write"  # execution option: this transaction will write
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
)


def engine_url(raw: str) -> sa.URL:
    import sqlalchemy as sa

    if "://" not in raw:
        path = os.path.abspath(os.path.expanduser(raw))
        return sa.URL.create("sqlite", database=path)
    try:
        url = sa.make_url(raw)
    except sa.exc.ArgumentError:
        raise InputError(
            "Ogiltig databasadress (--db eller GRANSKNING_DB): använd en filväg, "
            "sqlite:///fil.db eller postgresql://användare@värd/databas."
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    raise InputError(
        f'Databastypen "{url.drivername}" stöds inte: använd en SQLite-fil eller postgresql://….'
    )


def create_engine(url: sa.URL) -> sa.Engine:
    import sqlalchemy as sa

    if url.get_backend_name() != "sqlite":
        try:
            return sa.create_engine(url, connect_args={"connect_timeout": 10})
        except ImportError:
            raise StoreError(
                "PostgreSQL kräver paketet psycopg: pip install 'granskning[postgres]'"
            ) from None
    memory = url.database in (None, "", ":memory:")
    if memory:
        engine = sa.create_engine(
            url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        _create_private_file(url.database)
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver must not BEGIN/COMMIT on its own
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _create_private_file(path: str) -> None:
    """Create an empty SQLite file readable by its owner only, if there is none."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except FileNotFoundError:
        raise StoreError(f"Kan inte skapa databasfilen {path}: katalogen finns inte.") from None
    except PermissionError:
        raise StoreError(f"Kan inte skapa databasfilen {path}: behörighet saknas.") from None
    except OSError as exc:
        raise StoreError(f"Kan inte skapa databasfilen {path}: {exc.strerror}") from None
    os.close(fd)


def first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else "okänt fel"
