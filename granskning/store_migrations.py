"""Forward-only schema migrations of the answer store.

``MIGRATIONS`` is the ordered list of every schema change the tool knows.  Each
one runs in its own transaction together with the row that records it in
``schema_version``, so a database is always at a whole version.  (SQLite gets
transactional DDL from the BEGIN that :mod:`granskning.store` emits itself.)

Never edit a migration that has shipped: add a new one.  When a later migration
alters a table, freeze the old definition used by migration 1 here first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from granskning import __version__
from granskning import store_schema as s


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema change: the version it leads to and what it does."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _v1_tables(conn: sa.Connection) -> None:
    for table in (s.audits, s.cases, s.assignments, s.answers, s.answer_history):
        conn.execute(sa.schema.CreateTable(table))


def _v2_indexes(conn: sa.Connection) -> None:
    s.ix_history_case.create(conn)
    s.ix_assignments_reviewer.create(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "Granskningar, ärenden, tilldelning, svar och svarshistorik", _v1_tables),
    Migration(2, "Index för historik per ärende och tilldelning per granskare", _v2_indexes),
)

LATEST = MIGRATIONS[-1].version


def current_version(conn: sa.Connection) -> int:
    """Return the schema version of the database (0 when it has no schema yet)."""
    if not sa.inspect(conn).has_table(s.schema_version.name):
        return 0
    found = conn.execute(sa.select(sa.func.max(s.schema_version.c.version))).scalar()
    return int(found or 0)


def pending(version: int) -> tuple[Migration, ...]:
    """Return the migrations a database at ``version`` still needs."""
    return tuple(m for m in MIGRATIONS if m.version > version)


def apply(
    engine: sa.Engine, *, target: int | None = None, write: dict | None = None
) -> list[Migration]:
    """Apply the pending migrations up to ``target`` (default: all) and return them.

    Each migration is one transaction; the version is re-read inside it so two
    tools migrating at once cannot both apply the same step.
    """
    target = LATEST if target is None else target
    done: list[Migration] = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        with engine.connect() as conn:
            conn.execution_options(**(write or {}))
            with conn.begin():
                version = current_version(conn)
                if migration.version <= version:
                    continue
                if migration.version != version + 1:
                    raise RuntimeError(f"schema version {version} skips to {migration.version}")
                if version == 0:
                    s.schema_version.create(conn, checkfirst=True)
                migration.apply(conn)
                conn.execute(
                    sa.insert(s.schema_version).values(
                        version=migration.version,
                        description=migration.description,
                        applied_at=datetime.now(UTC),
                        tool_version=__version__,
                    )
                )
        done.append(migration)
    return done
