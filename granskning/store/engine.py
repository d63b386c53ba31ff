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
* Only ``granskning db init`` creates a database file (``create=True``).  Every
  other command opens an existing file with SQLite's ``mode=rw``, so a misspelt
  ``--db`` path is an error and never a new empty database; a file that is not
  a SQLite database (a CSV given by mistake, an empty file) is refused before
  SQLite touches it.
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


SQLITE_HEADER = b"SQLite format 3\x00"  # https://sqlite.org/fileformat.html, 1.3


def create_engine(url: sa.URL, *, create: bool = False, source: str = "--db") -> sa.Engine:
    """Return an engine for ``url``; a SQLite file must exist unless ``create``.

    ``source`` says where the address came from (for the error message).
    """
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
        path = url.database
        if create and not os.path.exists(path):
            _create_private_file(path)
        check_sqlite_file(path, create=create, source=source)
        engine = sa.create_engine(url, creator=_rw_connector(path))

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


def _rw_connector(path: str) -> Any:
    """Return a DBAPI connect function that opens ``path`` but never creates it."""
    import sqlite3
    from urllib.parse import quote

    uri = "file:" + quote(path, safe="/") + "?mode=rw"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)

    return connect


def check_sqlite_file(path: str, *, create: bool = False, source: str = "--db") -> None:
    """Refuse (StoreError) a path that is no SQLite database file.

    Missing: "create it with granskning db init" (unless ``create``; then the
    caller has just created it).  Empty (0 bytes): only ``db init`` may use it.
    Anything else must start with the SQLite header, so that a CSV or a
    spreadsheet given as ``--db`` by mistake is never opened, let alone written.
    """
    if not os.path.exists(path):
        raise StoreError(
            f"Databasen finns inte: {path} (från {source}). Kontrollera sökvägen, "
            f"eller skapa en ny databas med: granskning db init --db {path}"
        )
    if os.path.isdir(path):
        raise StoreError(f"{path} (från {source}) är en katalog, inte en databasfil.")
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except PermissionError:
        raise StoreError(f"Kan inte läsa databasfilen {path}: behörighet saknas.") from None
    except OSError as exc:
        raise StoreError(f"Kan inte läsa databasfilen {path}: {exc.strerror}") from None
    if not head:
        if create:
            return
        raise StoreError(
            f"Databasen {path} (från {source}) är en tom fil utan tabeller. Kontrollera "
            f"sökvägen, eller skapa tabellerna med: granskning db init --db {path}"
        )
    if head != SQLITE_HEADER:
        raise StoreError(
            f"{path} (från {source}) är ingen databas för granskning (inte en SQLite-fil). "
            "Kontrollera sökvägen till databasen."
        )


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


# What libpq says when a connection is refused, and what the user can do about it.
# Server messages may be translated (lc_messages); an unknown one is shown as it is.
_CONNECT_ERRORS = (
    (r'database "([^"]*)" does not exist',
     "databasen {0} finns inte på servern. Kontrollera namnet i adressen, eller be "
     "databasadministratören skapa den (createdb) och kör sedan granskning db init"),
    (r'role "([^"]*)" does not exist',
     "användaren {0} finns inte på servern. Kontrollera användarnamnet i adressen; "
     "en samordnare lägger till personer med granskning db anvandare"),
    (r'password authentication failed for user "([^"]*)"',
     "fel lösenord för användaren {0}"),
    (r"no password supplied", "servern kräver ett lösenord (ange det i ~/.pgpass)"),
    (r"Connection refused", "servern svarar inte på den adressen och porten (är den igång?)"),
    (r'could not translate host name "([^"]*)"', "värden {0} finns inte (okänt namn)"),
    (r"timeout expired", "servern svarade inte inom tiden"),
    (r"file is not a database|database disk image is malformed",
     "filen är ingen SQLite-databas eller är skadad"),
    (r"unable to open database file",
     "filen går inte att öppna (finns den, och får du skriva i dess katalog?)"),
)


def connect_error(display: str, exc: BaseException | None) -> str:
    """Return a Swedish message for a failed connection to the database ``display``."""
    import re

    text = str(exc or "")
    for pattern, message in _CONNECT_ERRORS:
        found = re.search(pattern, text)
        if found:
            return f"Kunde inte ansluta till databasen {display}: {message.format(*found.groups())}."
    return f"Kunde inte ansluta till databasen {display}: {first_line(exc)}"


def first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else "okänt fel"
