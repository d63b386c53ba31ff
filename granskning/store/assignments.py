"""Assignments: who reviews which case, and which are done (a mixin of :class:`~granskning.store.database.Store`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from granskning.errors import InputError
from granskning.store.base import log_change, sql
from granskning.store.cases import CasesMixin
from granskning.store.double import refuse_second_reader
from granskning.store.records import Progress, known_spelling, person
from granskning.store.values import case_key, refuse_personnummer, required_text, show_case_id

__all__ = ["AssignmentsMixin"]


class AssignmentsMixin(CasesMixin):
    """Store methods about assignments and progress."""

    def assign(self, audit_id: int, mapping: Mapping[Any, str], *, who: str | None = None) -> int:
        """Assign cases to reviewers; return how many assignments were written.

        A case already assigned to the same reviewer is left alone; a case that
        is already reviewed (status klar) is never moved to another reviewer.
        Every assignment written gets a history row signed by ``who`` (default:
        :func:`granskning.store.identity.current`).
        """
        sa, s = sql()
        self._require_schema()
        wanted = {case_key(k): required_text(v, "granskare") for k, v in mapping.items()}
        for name in wanted.values():
            refuse_personnummer(name, "granskarens namn")
        who = self._who(who)
        a = s.assignments
        now = datetime.now(UTC)
        written = 0
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            known = set(
                conn.execute(
                    sa.select(s.cases.c.case_id).where(s.cases.c.audit_id == audit_id)
                ).scalars()
            )
            unknown = [k for k in wanted if k not in known]
            if unknown:
                raise InputError(
                    f"Ärendet {show_case_id(unknown[0])} finns inte i granskning {audit_id}."
                )
            existing = {
                r.case_id: r for r in conn.execute(sa.select(a).where(a.c.audit_id == audit_id))
            }
            names = {r.reviewer for r in existing.values()}  # "anna" is the stored "Anna"
            wanted = {k: known_spelling(v, names) for k, v in wanted.items()}
            refuse_second_reader(conn, audit_id, wanted)  # double reading stays independent
            for case_id, reviewer in wanted.items():
                old = existing.get(case_id)
                if old is not None and old.reviewer == reviewer:
                    continue
                if old is not None and old.status == "klar":
                    raise InputError(
                        f"Ärendet {show_case_id(case_id)} är redan granskat av {old.reviewer} "
                        "och kan inte tilldelas någon annan."
                    )
                # The trail row first: SQLite's triggers (migration 5) look for it at once.
                before = None if old is None else old.reviewer
                log_change(conn, audit_id, case_id, "tilldelning", before, reviewer, who, now)
                if old is None:
                    conn.execute(
                        sa.insert(a).values(
                            audit_id=audit_id,
                            case_id=case_id,
                            reviewer=reviewer,
                            status="pågår",
                            assigned_at=now,
                        )
                    )
                else:
                    conn.execute(
                        sa.update(a)
                        .where(a.c.audit_id == audit_id, a.c.case_id == case_id)
                        .values(reviewer=reviewer, assigned_at=now)
                    )
                written += 1
        return written

    def mark_done(self, audit_id: int, case_id: Any, who: str) -> None:
        """Mark a case as reviewed (status klar); an unassigned case is assigned to ``who``."""
        sa, s = sql()
        self._require_schema()
        case_id, who = case_key(case_id), person(who, "vem")
        a = s.assignments
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            self._check_case(conn, audit_id, case_id)
            before = conn.execute(
                sa.select(a.c.status).where(a.c.audit_id == audit_id, a.c.case_id == case_id)
            ).scalar()
            if before == "klar":
                return  # already reviewed: finished_at and finished_by stay as they are
            log_change(conn, audit_id, case_id, "status", before, "klar", who, now)
            updated = conn.execute(
                sa.update(a)
                .where(a.c.audit_id == audit_id, a.c.case_id == case_id)
                .values(status="klar", finished_at=now, finished_by=who)
            )
            if updated.rowcount == 0:
                conn.execute(
                    sa.insert(a).values(
                        audit_id=audit_id,
                        case_id=case_id,
                        reviewer=who,
                        status="klar",
                        assigned_at=now,
                        finished_at=now,
                        finished_by=who,
                    )
                )

    def progress(self, audit_id: int, reviewer: str | None = None) -> Progress:
        """Return (done, total): ``reviewer``'s assigned cases, or all cases to review.

        Without a reviewer the total counts the non-reserve cases plus any
        reserve case that has been assigned.  Cases outside the population
        (``granskning utanfor``) are not counted.
        """
        cases = [c for c in self.cases(audit_id, reviewer) if not c.outside]
        if reviewer is None:
            cases = [c for c in cases if not c.reserve or c.reviewer is not None]
        return Progress(sum(c.status == "klar" for c in cases), len(cases))
