"""Cases outside the population and the reserves that replace them (a mixin of :class:`~granskning.store.database.Store`).

:meth:`OutsideMixin.mark_outside` is the one write behind ``granskning utanfor``:
in one transaction it marks the case (``cases.outside_reason``), brings in the
next unused reserve of the same stratum in draw order (``reserve`` false,
``replaces`` the case) and assigns it to the case's reviewer, each change with
its row in the trail (``change_log``).  Nothing is written when anything is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from granskning import __version__
from granskning.errors import InputError
from granskning.store.base import StoreBase, log_change, sql
from granskning.store.values import (
    case_key,
    encode,
    refuse_personnummer,
    required_text,
    show_case_id,
)
from granskning.wording import antal

__all__ = ["MAX_REASON", "OutsideMixin", "OutsideResult"]

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class OutsideResult:
    """What :meth:`OutsideMixin.mark_outside` did."""

    audit_id: int
    case_id: str
    stratum: str | None
    reason: str
    replacement: str | None  # the reserve brought in (None: none was wanted)
    reviewer: str | None  # who reviews the replacement (the case's reviewer)
    answers_kept: int  # answers the case already had (kept, left out of the analysis)


def _unused_reserve(case: Any) -> bool:
    return bool(case.reserve) and case.replaces is None and case.outside_reason is None


class OutsideMixin(StoreBase):
    """Store methods about cases found outside the population."""

    def mark_outside(
        self,
        audit_id: int,
        case_id: Any,
        reason: str,
        *,
        who: str | None = None,
        with_answers: bool = False,
        replace: bool = True,
    ) -> OutsideResult:
        """Mark a case as outside the population and bring in the next reserve of its stratum.

        The reserve is the unused one (``reserve`` true, not brought in, not
        outside) of the same stratum first in draw order; it gets the case's
        reviewer.  Refused (InputError, nothing written): an unknown case, one
        already outside, an unused reserve, a reason holding a personnummer, a
        case with answers unless ``with_answers`` (the answers are kept but
        not analysed), and a stratum without a reserve left unless ``replace``
        is false (then the case is only marked).
        """
        sa, s = sql()
        self._require_schema()
        case_id = case_key(case_id)
        reason = required_text(reason, "orsaken", limit=MAX_REASON)
        refuse_personnummer(reason, "orsaken")
        reason = " ".join(reason.split())
        who = self._who(who)
        c, a = s.cases, s.assignments
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            self._check_case(conn, audit_id, case_id)
            rows = conn.execute(
                sa.select(c, a.c.reviewer)
                .select_from(c.outerjoin(a, sa.and_(a.c.audit_id == c.c.audit_id,
                                                    a.c.case_id == c.c.case_id)))
                .where(c.c.audit_id == audit_id)
            ).all()
            case = next(r for r in rows if r.case_id == case_id)
            shown = show_case_id(case_id)
            if case.outside_reason is not None:
                raise InputError(f"Ärendet {shown} är redan markerat som utanför granskningen "
                                 f"(orsak: {case.outside_reason}).")
            if _unused_reserve(case) and case.reviewer is None:
                raise InputError(f"Ärendet {shown} är en reserv som inte har tagits in; bara "
                                 "ärenden som granskas kan markeras som utanför granskningen.")
            answered = self._answer_count(conn, audit_id, case_id)
            if answered and not with_answers:
                raise InputError(
                    f"Ärendet {shown} har redan {antal(answered, 'svar', 'svar')}. Kör igen med "
                    "--ja för att ändå markera det som utanför granskningen: svaren sparas i "
                    "historiken men räknas inte i analysen.")
            reserve = None
            if replace:
                reserve = self._next_reserve(rows, case.stratum)
                if reserve is None:
                    where = f'stratumet "{case.stratum}"' if case.stratum else "granskningen"
                    raise InputError(
                        f"Det finns ingen oanvänd reserv kvar i {where}; ingenting har ändrats. "
                        "Kör med --utan-reserv för att markera ärendet ändå (stratumet får då "
                        "ett ärende färre).")
            self._write_outside(conn, audit_id, case_id, reason, who, now)
            if reserve is not None:
                self._bring_in(conn, audit_id, reserve.case_id, case_id, case.reviewer, who, now)
        return OutsideResult(audit_id, case_id, case.stratum, reason,
                             None if reserve is None else reserve.case_id,
                             case.reviewer if reserve is not None else None, answered)

    # -- steps ------------------------------------------------------------

    def _answer_count(self, conn: Any, audit_id: int, case_id: str) -> int:
        sa, s = sql()
        ans = s.answers
        return int(conn.execute(
            sa.select(sa.func.count()).select_from(ans).where(
                ans.c.audit_id == audit_id, ans.c.case_id == case_id, ans.c.value.is_not(None))
        ).scalar_one())

    @staticmethod
    def _next_reserve(rows: list[Any], stratum: str | None) -> Any:
        """Return the unused reserve of ``stratum`` first in draw order (ties: case id), or None."""
        free = [r for r in rows if _unused_reserve(r) and r.reviewer is None and r.stratum == stratum]
        big = float("inf")
        free.sort(key=lambda r: (big if r.draw_order is None else r.draw_order, r.case_id))
        return free[0] if free else None

    def _trail_json(self, conn: Any, value: dict[str, Any]) -> str:
        """Return a trail value as text; on PostgreSQL as its jsonb prints it.

        The trail trigger of migration 5 compares the tool's row with the row
        change it describes as jsonb text, so the tool writes exactly that.
        """
        if self.dialect != "postgresql":
            return encode(value, what="historiken")
        # PostgreSQL prints a whole float8 without decimals (to_jsonb(5.0::float8) is 5).
        text = encode({k: int(v) if isinstance(v, float) and v.is_integer() else v
                       for k, v in value.items()}, what="historiken")
        sa, _s = sql()
        return conn.execute(sa.text("SELECT CAST(CAST(:v AS jsonb) AS text)"), {"v": text}).scalar_one()

    def _log_case(self, conn: Any, audit_id: int, case_id: str, old: dict[str, Any],
                  new: dict[str, Any], who: str, when: datetime) -> None:
        sa, s = sql()
        conn.execute(sa.insert(s.change_log).values(
            audit_id=audit_id, case_id=case_id, subject="ärenden",
            old_value=self._trail_json(conn, old), new_value=self._trail_json(conn, new),
            changed_at=when, changed_by=who, tool_version=__version__))

    def _write_outside(self, conn: Any, audit_id: int, case_id: str, reason: str, who: str,
                       when: datetime) -> None:
        sa, s = sql()
        c = s.cases
        self._log_case(conn, audit_id, case_id, {"outside_reason": None},
                       {"outside_reason": reason}, who, when)
        conn.execute(sa.update(c).where(c.c.audit_id == audit_id, c.c.case_id == case_id)
                     .values(outside_reason=reason))

    def _bring_in(self, conn: Any, audit_id: int, reserve_id: str, replaced: str,
                  reviewer: str | None, who: str, when: datetime) -> None:
        sa, s = sql()
        c, a = s.cases, s.assignments
        self._log_case(conn, audit_id, reserve_id, {"replaces": None, "reserve": True},
                       {"replaces": replaced, "reserve": False}, who, when)
        conn.execute(sa.update(c).where(c.c.audit_id == audit_id, c.c.case_id == reserve_id)
                     .values(reserve=False, replaces=replaced))
        if reviewer is None:
            return
        # The trail row first: SQLite's triggers (migration 5) look for it at once.
        log_change(conn, audit_id, reserve_id, "tilldelning", None, reviewer, who, when)
        conn.execute(sa.insert(a).values(audit_id=audit_id, case_id=reserve_id, reviewer=reviewer,
                                         status="pågår", assigned_at=when))
