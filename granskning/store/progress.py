"""What ``granskning status`` reads: assignment times and answers per case (a mixin of
:class:`~granskning.store.database.Store`).

Two small queries that the case list (:meth:`~granskning.store.cases.CasesMixin.cases`)
does not answer: when each case was assigned, and how many answers each case has
(a case with at least one answer and not marked klar is begun, "påbörjat").  On
PostgreSQL row-level security limits both to the cases the user may see.
"""

from __future__ import annotations

from datetime import datetime

from granskning.store.base import sql
from granskning.store.cases import CasesMixin

__all__ = ["ProgressMixin"]


class ProgressMixin(CasesMixin):
    """Store methods for the progress of an audit."""

    def assignment_times(self, audit_id: int) -> dict[str, datetime]:
        """Return case id -> when it was (last) assigned, for every assigned case."""
        sa, s = sql()
        self._require_schema()
        a = s.assignments
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(
                sa.select(a.c.case_id, a.c.assigned_at).where(a.c.audit_id == audit_id)
            ).all()
        return {case_id: when for case_id, when in rows}

    def answer_counts(self, audit_id: int) -> dict[str, int]:
        """Return case id -> number of answers it has (deleted answers not counted).

        Cases without answers are not in the result.
        """
        sa, s = sql()
        self._require_schema()
        t = s.answers
        query = (
            sa.select(t.c.case_id, sa.func.count())
            .where(t.c.audit_id == audit_id, t.c.value.is_not(None))
            .group_by(t.c.case_id)
        )
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        return {case_id: int(n) for case_id, n in rows}
