"""Cases added to a running audit (a mixin of :class:`~granskning.store.database.Store`).

Two ways (``granskning utoka``):

drawn
    The next unused reserves of each stratum, in draw order, join the sample.
    The draw ranks every case of a stratum once (:mod:`granskning.sampling.draw`);
    the sample is the first n_h in that order and the reserves the next ones, so
    the sample grown by the next m_h reserves is exactly the sample a draw of
    n_h + m_h with the same seed gives: still a simple random sample.  Every
    drawn case of the stratum then has the design weight N_h / (n_h + m_h) and
    the inclusion probability (n_h + m_h) / N_h; the record's n_h grows.
listed
    Cases named in a list join the audit.  No weight can be defined for cases
    someone chose, so the audit is marked as not a probability sample
    (``"slumpmassigt": false`` in its record) and every output says so.

Each change is written with its trail row in one transaction (on PostgreSQL
as the trail trigger of migration 5 prints it, :meth:`OutsideMixin._trail_json`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from granskning import __version__
from granskning.errors import InputError
from granskning.store.base import log_change, sql
from granskning.store.outside import OutsideMixin
from granskning.store.values import encode, show_case_id

__all__ = ["AdditionsMixin"]


class AdditionsMixin(OutsideMixin):
    """Store methods that add cases to an audit already running."""

    def add_drawn(self, audit_id: int, wanted: Mapping[str, int], *, who: str | None = None,
                  note: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
        """Bring the next ``wanted[stratum]`` unused reserves of each stratum into the sample.

        Returns stratum -> the case ids brought in.  Refused (InputError, nothing
        written): a stratum unknown to the record, a count below 1, fewer unused
        reserves than wanted, an audit whose record has no population sizes.
        """
        sa, s = sql()
        self._require_schema()
        who = self._who(who)
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            record = self._record(conn, audit_id)
            sizes = {str(x["stratum"]): x for x in record.get("strata") or []}
            if not sizes:
                raise InputError(f"Granskning {audit_id} har inget urvalsprotokoll med strata och "
                                 "populationsstorlekar; lägg till ärenden med en lista (--urval).")
            rows = self._case_rows(conn, audit_id)
            chosen: dict[str, list[Any]] = {}
            for stratum, m in wanted.items():
                if stratum not in sizes:
                    known = ", ".join(sorted(sizes))
                    raise InputError(f'Stratumet "{stratum}" finns inte i granskning {audit_id} '
                                     f"(strata: {known}).")
                if m < 1:
                    raise InputError(f'Antalet för stratumet "{stratum}" måste vara minst 1.')
                free = self._free_reserves(rows, stratum)
                if len(free) < m:
                    raise InputError(
                        f'Stratumet "{stratum}" har {len(free)} oanvända reserver, men {m} '
                        "önskas; ingenting har ändrats.")
                chosen[stratum] = free[:m]
            for stratum, cases in chosen.items():
                self._reweigh(conn, audit_id, rows, stratum, {c.case_id for c in cases},
                              float(sizes[stratum]["N"]), who, now)
                sizes[stratum]["n"] = int(sizes[stratum]["n"]) + len(cases)
            new = dict(record)
            new["n_totalt"] = int(record.get("n_totalt") or 0) + sum(map(len, chosen.values()))
            new["utokningar"] = [*record.get("utokningar", []), {
                "tid": now.isoformat(timespec="seconds"), "satt": "dragna ur reserverna",
                "antal": {h: len(c) for h, c in chosen.items()}, **dict(note or {})}]
            self._write_record(conn, audit_id, record, new, who, now)
        return {h: [c.case_id for c in cases] for h, cases in chosen.items()}

    def add_listed(self, audit_id: int, rows: list[dict[str, Any]], *, who: str | None = None,
                   note: Mapping[str, Any] | None = None) -> int:
        """Add listed cases (already pseudonymised case rows) and mark the audit as not random.

        Refused (InputError, nothing written): a case already in the audit.
        """
        sa, s = sql()
        self._require_schema()
        who = self._who(who)
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            record = self._record(conn, audit_id)
            known = {r.case_id for r in self._case_rows(conn, audit_id)}
            clash = [r["case_id"] for r in rows if r["case_id"] in known]
            if clash:
                raise InputError(f"Ärendet {show_case_id(clash[0])} finns redan i granskning "
                                 f"{audit_id}; ingenting har lagts till.")
            start = max([r.draw_order or 0 for r in self._case_rows(conn, audit_id)] + [0])
            conn.execute(sa.insert(s.cases), [
                {"audit_id": audit_id, "case_id": r["case_id"], "stratum": r.get("stratum"),
                 "draw_order": start + i, "reserve": False} for i, r in enumerate(rows, start=1)])
            log_change(conn, audit_id, None, "ärenden", None, {"antal": len(rows), "reserver": 0},
                       who, now)
            new = dict(record)
            new["slumpmassigt"] = False
            new["tillagda_for_hand"] = int(record.get("tillagda_for_hand") or 0) + len(rows)
            new["utokningar"] = [*record.get("utokningar", []), {
                "tid": now.isoformat(timespec="seconds"), "satt": "för hand",
                "antal": len(rows), **dict(note or {})}]
            self._write_record(conn, audit_id, record, new, who, now)
        return len(rows)

    # -- steps ------------------------------------------------------------

    def _record(self, conn: Any, audit_id: int) -> dict[str, Any]:
        sa, s = sql()
        text = conn.execute(sa.select(s.audits.c.sample_record)
                            .where(s.audits.c.id == audit_id)).scalar_one()
        return json.loads(text) if text else {}

    def _case_rows(self, conn: Any, audit_id: int) -> list[Any]:
        sa, s = sql()
        c, a = s.cases, s.assignments
        return conn.execute(
            sa.select(c, a.c.reviewer)
            .select_from(c.outerjoin(a, sa.and_(a.c.audit_id == c.c.audit_id,
                                                a.c.case_id == c.c.case_id)))
            .where(c.c.audit_id == audit_id)
        ).all()

    @staticmethod
    def _free_reserves(rows: list[Any], stratum: str) -> list[Any]:
        free = [r for r in rows if r.reserve and r.replaces is None and r.outside_reason is None
                and r.reviewer is None and str(r.stratum) == stratum]
        big = float("inf")
        return sorted(free, key=lambda r: (big if r.draw_order is None else r.draw_order, r.case_id))

    def _reweigh(self, conn: Any, audit_id: int, rows: list[Any], stratum: str, joining: set[str],
                 size: float, who: str, when: datetime) -> None:
        """Give every drawn case of the stratum (and those joining) the weight N_h / n_h'."""
        sa, s = sql()
        c = s.cases
        drawn = [r for r in rows if str(r.stratum) == stratum and (not r.reserve or r.case_id in joining)]
        n = len(drawn)
        weight, probability = size / n, n / size
        for r in drawn:
            old: dict[str, Any] = {}
            new: dict[str, Any] = {}
            for column, value in (("design_weight", weight), ("inclusion_probability", probability),
                                  ("reserve", False)):
                if getattr(r, column) != value:
                    old[column], new[column] = getattr(r, column), value
            if not new:
                continue
            self._log_case(conn, audit_id, r.case_id, old, new, who, when)
            conn.execute(sa.update(c).where(c.c.audit_id == audit_id, c.c.case_id == r.case_id)
                         .values(**new))

    def _write_record(self, conn: Any, audit_id: int, old: dict[str, Any], new: dict[str, Any],
                      who: str, when: datetime) -> None:
        sa, s = sql()
        # The stored text as it is (the trail compares texts), the new one canonical.
        old_text = conn.execute(sa.select(s.audits.c.sample_record)
                                .where(s.audits.c.id == audit_id)).scalar_one()
        new_text = encode(new, what="urvalsprotokollet")
        conn.execute(sa.insert(s.change_log).values(
            audit_id=audit_id, case_id=None, subject="granskning",
            old_value=self._trail_json(conn, {"sample_record": old_text}),
            new_value=self._trail_json(conn, {"sample_record": new_text}),
            changed_at=when, changed_by=who, tool_version=__version__))
        conn.execute(sa.update(s.audits).where(s.audits.c.id == audit_id)
                     .values(sample_record=new_text))
