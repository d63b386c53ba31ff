"""Durable storage of audits, sampled cases, assignments and answers.

One entry point, one URL: :meth:`Store.open` takes ``--db``, then the
environment variable ``GRANSKNING_DB``, then the SQLite file ``granskning.db``
in the current directory; ``postgresql://…`` URLs run the same code on
PostgreSQL (through psycopg 3).  Every answer is committed in its own short
transaction before :meth:`Store.set_answer` returns, together with a row in the
append-only answer history.

SQLite settings (WAL, synchronous=FULL, 0600 files) are explained in
:mod:`granskning.store.engine`.

The methods live in topic modules, mixed into :class:`Store`:
:mod:`~granskning.store.audits`, :mod:`~granskning.store.cases`,
:mod:`~granskning.store.assignments` and :mod:`~granskning.store.answers`,
on the shared internals of :mod:`~granskning.store.base`; the records they
return are in :mod:`~granskning.store.records`.  SQLAlchemy and pandas are
imported inside the methods that need them.
"""

from __future__ import annotations

import os

from granskning import __version__
from granskning.errors import InputError, StoreError
from granskning.store import roles as store_roles
from granskning.store.additions import AdditionsMixin
from granskning.store.answers import AnswersMixin
from granskning.store.assignments import AssignmentsMixin
from granskning.store.audits import AuditsMixin
from granskning.store.base import sql
from granskning.store.deviations import DeviationsMixin
from granskning.store.double import DoubleReadingMixin
from granskning.store.engine import (
    DEFAULT_FILE,
    ENV_VAR,
    WRITE,
    create_engine,
    engine_url,
    first_line,
)
from granskning.store.progress import ProgressMixin
from granskning.store.records import (
    Answer,
    Audit,
    Case,
    ConflictError,
    Progress,
    SchemaStep,
    case_sort_key,
    known_spelling,
    looks_like_personnummer,
    same_name,
)
from granskning.store.values import show_case_id

__all__ = [
    "Answer",
    "Audit",
    "Case",
    "ConflictError",
    "Progress",
    "SchemaStep",
    "Store",
    "case_sort_key",
    "known_spelling",
    "looks_like_personnummer",
    "same_name",
    "show_case_id",
]


class Store(AuditsMixin, AssignmentsMixin, AnswersMixin, ProgressMixin, DeviationsMixin,
            DoubleReadingMixin, AdditionsMixin):
    """A connection to the answer database (SQLite or PostgreSQL)."""

    # -- opening, schema --------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, create: bool = False) -> Store:
        """Return a Store for ``url``, ``$GRANSKNING_DB`` or ``./granskning.db``.

        A SQLite file must already exist and be a SQLite database (StoreError,
        exit 2, otherwise: a misspelt path never becomes a new empty database);
        with ``create=True`` (``granskning db init``) a missing file is created.
        Refuses a database whose schema is newer than this tool knows, and with
        ``create`` a SQLite file that holds someone else's tables.  Does not
        create or migrate the schema: see :meth:`migrate`.
        """
        from granskning.store import migrations as mig

        if url is not None and not url.strip():
            # An empty --db "$DB" from a script must not fall back to ./granskning.db.
            raise InputError(
                "--db är tom: ange en databas (en filväg eller postgresql://…), "
                "eller utelämna --db för att använda GRANSKNING_DB eller granskning.db."
            )
        if url:
            raw, source = url, "--db"
        elif os.environ.get(ENV_VAR):
            raw, source = os.environ[ENV_VAR], f"miljövariabeln {ENV_VAR}"
        else:
            raw, source = DEFAULT_FILE, f"standardfilen {DEFAULT_FILE} i aktuell katalog"
        sa_url = engine_url(raw)
        display = sa_url.database if sa_url.get_backend_name() == "sqlite" else None
        engine = create_engine(sa_url, create=create, source=source)
        store = cls(engine, display or sa_url.render_as_string(hide_password=True))
        try:
            version = store.schema_version()
            if version == 0 and create and store.dialect == "sqlite" and store._tables():
                raise StoreError(
                    f"{store.display_url} är en SQLite-databas med andra tabeller än "
                    "granskningens. Välj en ny fil för granskningens databas."
                )
            if version > mig.LATEST:
                raise StoreError(
                    f"Databasen {store.display_url} har schemaversion {version}, men den här "
                    f"versionen av granskning ({__version__}) känner bara till version "
                    f"{mig.LATEST}. Uppgradera granskning innan du använder databasen."
                )
        except BaseException:
            store.close()
            raise
        return store

    def database_role(self) -> str | None:
        """Return ``"samordnare"`` or ``"granskare"`` on PostgreSQL (None on SQLite).

        See :mod:`granskning.store.identity` for the rule.
        """
        if self.dialect == "sqlite":
            return None
        with self._tx(write=False) as conn:
            return store_roles.role_of_current_user(conn)

    def setup_roles(self) -> tuple[str, ...]:
        """Create the group roles (if missing) and grant them their rights; PostgreSQL only.

        Returns the roles created now.  Safe to run again (after a migration,
        it grants the rights on new tables).
        """
        self._require_postgres("Roller")
        self._require_schema()
        with self._tx(write=True) as conn:
            created = store_roles.create_groups(conn)
            store_roles.grant(conn)
        return created

    def add_user(self, name: str, role: str, *, password: str | None = None) -> bool:
        """Create a login role in the group for ``role`` (or add an existing one); PostgreSQL only.

        Returns True when the login role was created, False when it existed.
        """
        self._require_postgres("Användare")
        with self._tx(write=True) as conn:
            return store_roles.add_user(conn, name, role, password=password)

    def unknown_logins(self, names: list[str]) -> list[str]:
        """Return the names that are not login roles on this PostgreSQL server ([] on SQLite)."""
        if self.dialect == "sqlite" or not names:
            return []
        with self._tx(write=False) as conn:
            found = set(
                conn.exec_driver_sql(
                    "SELECT rolname FROM pg_catalog.pg_roles WHERE rolcanlogin "
                    "AND rolname = ANY(%(names)s)",
                    {"names": list(names)},
                ).scalars()
            )
        return [n for n in names if n not in found]

    def roles_ready(self) -> bool:
        """Return True when the group roles exist (PostgreSQL); False on SQLite."""
        if self.dialect == "sqlite":
            return False
        with self._tx(write=False) as conn:
            return store_roles.groups_exist(conn)

    def schema_steps(self) -> tuple[tuple[SchemaStep, ...], tuple[SchemaStep, ...]]:
        """Return (applied, pending) migrations."""
        import sqlalchemy as sa

        from granskning.store import migrations as mig
        from granskning.store import schema as s

        with self._tx(write=False) as conn:
            version = mig.current_version(conn)
            rows = []
            if version:
                t = s.schema_version
                rows = conn.execute(sa.select(t).order_by(t.c.version)).all()
        applied = tuple(
            SchemaStep(r.version, r.description, r.applied_at, r.tool_version) for r in rows
        )
        return applied, tuple(SchemaStep(m.version, m.description) for m in mig.pending(version))

    def migrate(self, target: int | None = None) -> tuple[SchemaStep, ...]:
        """Bring the schema forward (to ``target``, default the newest); return what was applied.

        Safe to run again: a database already at the target is left alone.
        """
        import sqlalchemy as sa

        from granskning.store import migrations as mig

        self._schema_ok = False
        try:
            done = mig.apply(self._engine, target=target, write={WRITE: True})
        except sa.exc.DBAPIError as exc:
            raise StoreError(
                f"Migreringen av {self.display_url} misslyckades och rullades tillbaka: "
                f"{first_line(exc.orig)}"
            ) from exc
        return tuple(SchemaStep(m.version, m.description) for m in done)

    def init(self) -> tuple[SchemaStep, ...]:
        """Create the schema in an empty database (same as :meth:`migrate`)."""
        return self.migrate()

    def table_counts(self) -> dict[str, int]:
        """Return the number of rows per table (for ``granskning db status``)."""
        sa, s = sql()
        self._require_schema()
        tables = (s.audits, s.cases, s.assignments, s.answers, s.answer_history, s.change_log)
        with self._tx(write=False) as conn:
            return {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in tables
            }
