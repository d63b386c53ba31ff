"""Migration 8: the unit's log of deviations, lex Sarah reports, complaints and praise.

``deviation_log`` holds one row per logged event (``granskning avvikelse ny``): its date,
kind, the city's categories, the unit, whether it was reported to IVO, whether feedback
was given, the measures taken and a description.  The free text has passed the
personnummer check before it is stored (:mod:`granskning.store.deviations`).

The log is append-only like the history (triggers on SQLite; on PostgreSQL the
append-only trigger of migration 3), so an entry cannot be altered or removed without a
trace.  Coordinators (unit managers) read and add; reviewers get no right on it
(:mod:`granskning.store.roles`), so no row-level security is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from granskning.store import schema as s
from granskning.store.records import APPEND_ONLY_MESSAGE

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["DESCRIPTION", "apply"]

DESCRIPTION = "Logg över avvikelser, lex Sarah-rapporter, klagomål och beröm"

_SQLITE = [
    f"CREATE TRIGGER deviation_log_no_{what} BEFORE {what.upper()} ON deviation_log "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    for what in ("update", "delete")
]
_POSTGRES = [
    "CREATE TRIGGER deviation_log_append_only BEFORE UPDATE OR DELETE ON deviation_log "
    "FOR EACH ROW EXECUTE FUNCTION granskning_append_only()",
    "CREATE TRIGGER deviation_log_no_truncate BEFORE TRUNCATE ON deviation_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION granskning_append_only()",
]


def apply(conn: sa.Connection) -> None:
    import sqlalchemy as sa

    conn.execute(sa.schema.CreateTable(s.deviation_log))
    s.ix_deviation_log_day.create(conn)
    for statement in _POSTGRES if conn.dialect.name == "postgresql" else _SQLITE:
        conn.exec_driver_sql(statement)
