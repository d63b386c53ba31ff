"""Migration 6: case data from the frame travel with each case (``cases.case_data``).

The checklist's ``arendedata`` (dates, numbers, short texts chosen in the
protocol) are stored per case as JSON text, never a personnummer
(:func:`granskning.store.values.case_data_text` refuses one).  The column sits
on ``cases``, so the row-level security, grants and the trail triggers of the
cases table cover it as they stand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["apply", "cases_v1"]


def cases_v1(metadata: sa.MetaData) -> sa.Table:
    """Return ``cases`` as migration 1 created it (before this migration), in ``metadata``."""
    import sqlalchemy as sa

    return sa.Table(
        "cases",
        metadata,
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id"), primary_key=True),
        sa.Column("case_id", sa.String(100), primary_key=True),
        sa.Column("stratum", sa.String(200)),
        sa.Column("sex", sa.String(50)),
        sa.Column("age", sa.Integer),
        sa.Column("design_weight", sa.Float),
        sa.Column("inclusion_probability", sa.Float),
        sa.Column("draw_order", sa.Integer),
        sa.Column("reserve", sa.Boolean, nullable=False, default=False),
        sa.Column("case_worker", sa.String(200)),
    )


def apply(conn: sa.Connection) -> None:
    """Add the JSON text column ``case_data`` to ``cases`` (NULL: no case data)."""
    conn.exec_driver_sql("ALTER TABLE cases ADD COLUMN case_data TEXT")
