"""The connection under the store: transactions, the schema check, who is acting.

:class:`StoreBase` holds the engine; the topic modules (:mod:`~granskning.store.audits`,
:mod:`~granskning.store.cases`, :mod:`~granskning.store.assignments`,
:mod:`~granskning.store.answers`) add their methods to it as mixins, and
:class:`granskning.store.database.Store` puts them together.

SQLAlchemy is imported inside the functions that need it (startup stays fast).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from granskning import __version__
from granskning.errors import InputError, StoreError
from granskning.store import identity
from granskning.store.engine import WRITE, connect_error, first_line
from granskning.store.records import APPEND_ONLY_MESSAGE, MAX_AUDIT_ID, IntegrityStoreError, person
from granskning.store.values import encode, show_case_id

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["StoreBase", "denied", "log_change", "sql"]


class StoreBase:
    """A connection to the answer database (SQLite or PostgreSQL): the shared internals."""

    def __init__(self, engine: sa.Engine, display_url: str) -> None:
        self._engine = engine
        self.display_url = display_url
        self._schema_ok = False
        self._user: str | None = None

    @property
    def dialect(self) -> str:
        """Return the database kind: ``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    def database_user(self) -> str | None:
        """Return the PostgreSQL user this store is connected as (None on SQLite)."""
        if self.dialect == "sqlite":
            return None
        if self._user is None:
            with self._tx(write=False) as conn:
                self._user = str(conn.exec_driver_sql("SELECT current_user").scalar_one())
        return self._user

    def close(self) -> None:
        self._engine.dispose()

    def _tables(self) -> list[str]:
        """Return the names of the tables in the database (current schema)."""
        import sqlalchemy as sa

        with self._tx(write=False) as conn:
            return sorted(sa.inspect(conn).get_table_names())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """Return the schema version of the database (0 = no schema yet)."""
        from granskning.store import migrations as mig

        with self._tx(write=False) as conn:
            return mig.current_version(conn)

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[sa.Connection]:
        """Yield a connection inside one transaction, committed on normal exit."""
        import sqlalchemy as sa

        try:
            connection = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            raise StoreError(connect_error(self.display_url, exc.orig)) from exc
        try:
            with connection as conn:
                if write:
                    conn.execution_options(**{WRITE: True})
                with conn.begin():
                    yield conn
        except sa.exc.IntegrityError as exc:
            raise IntegrityStoreError(
                f"Databasen {self.display_url} vägrade ändringen: {first_line(exc.orig)}"
            ) from exc
        except sa.exc.DBAPIError as exc:
            if denied(exc):
                raise StoreError(
                    f"Du har inte behörighet till det här i databasen {self.display_url} "
                    f"({first_line(exc.orig)}). Samordnare tilldelar, exporterar och skriver "
                    "rapporter; granskare svarar på sina egna ärenden."
                ) from exc
            raise StoreError(f"Databasfel i {self.display_url}: {first_line(exc.orig)}") from exc

    def _who(self, who: str | None) -> str:
        if who is not None:
            return person(who, "vem")
        return identity.current(self)

    def _require_postgres(self, what: str) -> None:
        if self.dialect != "postgresql":
            raise InputError(
                f"{what} finns bara i en PostgreSQL-databas; en SQLite-fil skyddas av "
                "filens rättigheter (bara ägaren kan läsa den)."
            )

    def _require_schema(self) -> None:
        if self._schema_ok:
            return
        from granskning.store import migrations as mig

        version = self.schema_version()
        if version == 0:
            if self.dialect == "sqlite" and self._tables():
                raise StoreError(
                    f"{self.display_url} är ingen databas för granskning (den har andra tabeller "
                    "än granskningens). Kontrollera sökvägen (--db eller GRANSKNING_DB)."
                )
            raise StoreError(
                f"Databasen {self.display_url} saknar tabeller. Kör först: granskning db init"
            )
        if version < mig.LATEST:
            raise StoreError(
                f"Databasen {self.display_url} har schemaversion {version}, men den här "
                f"versionen av granskning behöver version {mig.LATEST}. Kör: granskning db migrera"
            )
        if version > mig.LATEST:
            raise StoreError(
                f"Databasen {self.display_url} har schemaversion {version}, nyare än den här "
                f"versionen av granskning känner till ({mig.LATEST}). Uppgradera granskning."
            )
        self._schema_ok = True

    def _known_id(self, audit_id: Any) -> None:
        """Refuse an audit id no database can hold (ids are 32-bit integers from 1)."""
        try:
            number = None if isinstance(audit_id, bool) else operator.index(audit_id)
        except TypeError:
            number = None
        if number is None or not 1 <= number <= MAX_AUDIT_ID:
            shown = str(audit_id) if len(str(audit_id)) <= 20 else str(audit_id)[:20] + "…"
            raise InputError(f"Granskning {shown} finns inte i databasen {self.display_url}.")

    def _check_audit(self, conn: sa.Connection, audit_id: int) -> None:
        self._known_id(audit_id)
        sa, s = sql()
        found = conn.execute(sa.select(s.audits.c.id).where(s.audits.c.id == audit_id)).first()
        if found is None:
            raise InputError(f"Granskning {audit_id} finns inte i databasen {self.display_url}.")

    def _check_case(self, conn: sa.Connection, audit_id: int, case_id: str) -> None:
        sa, s = sql()
        c = s.cases
        found = conn.execute(
            sa.select(c.c.case_id).where(c.c.audit_id == audit_id, c.c.case_id == case_id)
        ).first()
        if found is None:
            self._check_audit(conn, audit_id)
            raise InputError(f"Ärendet {show_case_id(case_id)} finns inte i granskning {audit_id}.")


# -- module helpers -------------------------------------------------------


def sql() -> tuple[Any, Any]:
    """Return (sqlalchemy, store_schema), imported on first use to keep startup fast."""
    import sqlalchemy

    from granskning.store import schema as store_schema

    return sqlalchemy, store_schema


def log_change(
    conn: sa.Connection,
    audit_id: int,
    case_id: str | None,
    subject: str,
    old: Any,
    new: Any,
    who: str,
    when: datetime,
) -> None:
    """Append one row to the trail of audits, cases and assignments (change_log)."""
    sa, s = sql()
    conn.execute(
        sa.insert(s.change_log).values(
            audit_id=audit_id,
            case_id=case_id,
            subject=subject,
            old_value=None if old is None else encode(old),
            new_value=None if new is None else encode(new),
            changed_at=when,
            changed_by=who,
            tool_version=__version__,
        )
    )


def denied(exc: Any) -> bool:
    """Return True for a refusal by privileges, row-level security or the history trigger."""
    state = getattr(exc.orig, "sqlstate", None)
    if state == "42501":  # insufficient_privilege (PostgreSQL)
        return True
    return APPEND_ONLY_MESSAGE in str(exc.orig)
