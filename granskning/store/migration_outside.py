"""Migration 10: cases found outside the population, and the reserves that replace them.

Two columns on ``cases`` (``granskning utanfor``):

``outside_reason``
    NULL for a case inside the audit; the coordinator's reason (checked for
    personnummer before it is stored) for a drawn case that turned out to be
    outside the population (wrong age, wrong decision, a duplicate).  The case
    and its answers stay; the analysis counts it as examined and outside the
    domain (neither an answer nor non-response).
``replaces``
    For a reserve brought in: the id of the case it replaced (its ``reserve``
    flag is then false, so it is reviewed like any drawn case); NULL otherwise.

On PostgreSQL the trail trigger of migration 5 covers the new columns (it
compares whole rows); coordinators already may UPDATE ``cases``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["DESCRIPTION", "apply"]

DESCRIPTION = ("Ärenden utanför populationen (med orsak) och reserven som ersätter "
               "dem (granskning utanfor)")


_STATEMENTS = (
    "ALTER TABLE cases ADD COLUMN outside_reason TEXT",
    "ALTER TABLE cases ADD COLUMN replaces VARCHAR(100)",
)


def apply(conn: sa.Connection) -> None:
    """Add the two columns (same SQL on SQLite and PostgreSQL)."""
    for statement in _STATEMENTS:
        conn.exec_driver_sql(statement)
