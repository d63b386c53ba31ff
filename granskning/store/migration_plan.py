"""Migration 7: which audit is a run of which control of an internal-control plan.

``plan_runs`` holds one row per audit created from a plan (``granskning ny --plan PLAN
--kontroll ID``): the plan's id and the control's id.  The run's date is the audit's
``created_at``.  ``granskning plan`` reads it to tell a control done from an overdue one.

The row is written in the same transaction as its audit and never changed: on SQLite
triggers refuse UPDATE and DELETE, on PostgreSQL the append-only trigger of migration 3
does, and the groups get only SELECT (coordinators also INSERT, see
:mod:`granskning.store.roles`).  The table holds no personal data, so it has no
row-level security (nor has ``audits``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from granskning.store import schema as s
from granskning.store.records import APPEND_ONLY_MESSAGE

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["DESCRIPTION", "apply"]

DESCRIPTION = "Internkontrollplanens körningar: vilken granskning som genomför vilken kontroll"

_SQLITE = [
    f"CREATE TRIGGER plan_runs_no_{what} BEFORE {what.upper()} ON plan_runs "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
    for what in ("update", "delete")
]
_POSTGRES = [
    "CREATE TRIGGER plan_runs_append_only BEFORE UPDATE OR DELETE ON plan_runs "
    "FOR EACH ROW EXECUTE FUNCTION granskning_append_only()",
    "CREATE TRIGGER plan_runs_no_truncate BEFORE TRUNCATE ON plan_runs "
    "FOR EACH STATEMENT EXECUTE FUNCTION granskning_append_only()",
]


def apply(conn: sa.Connection) -> None:
    import sqlalchemy as sa

    conn.execute(sa.schema.CreateTable(s.plan_runs))
    s.ix_plan_runs_plan.create(conn)
    for statement in _POSTGRES if conn.dialect.name == "postgresql" else _SQLITE:
        conn.exec_driver_sql(statement)
