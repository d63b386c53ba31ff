"""Sampled cases: add them to an audit, list them (a mixin of :class:`~granskning.store.database.Store`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError, ManyInputErrors
from granskning.store.base import StoreBase, log_change, sql
from granskning.store.records import Case, case_sort_key, looks_like_personnummer, same_name
from granskning.store.values import case_records, case_row, decode, show_case_id

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CasesMixin"]


class CasesMixin(StoreBase):
    """Store methods about the sampled cases of an audit."""

    def add_cases(self, audit_id: int, cases: Any, *, who: str | None = None) -> int:
        """Add sampled cases (list of dicts or a DataFrame) to an audit; return how many.

        Keys/columns used: ``case_id`` (required, unique within the audit),
        ``stratum``, ``sex``, ``age``, ``design_weight``,
        ``inclusion_probability``, ``draw_order``, ``reserve``, ``case_worker``,
        ``case_data`` (name -> date, number or text; see
        :func:`~granskning.store.values.case_data_text`); other columns are ignored.  All rows are checked before any is stored.
        A case id that is a valid personnummer is refused: ids are stored as
        pseudonyms (:mod:`granskning.audit.pseudonym`; ``granskning ny`` makes them).
        ``who`` (default: :func:`granskning.store.identity.current`) is written to the
        audit's history.
        """
        sa, s = sql()
        self._require_schema()
        records = case_records(cases)
        rows: list[dict[str, Any]] = []
        errors: list[InputError] = []
        first_row: dict[str, int] = {}
        for i, rec in enumerate(records):
            try:
                row = case_row(rec, i + 2)
            except InputError as exc:
                errors.append(exc)
                continue
            if looks_like_personnummer(row["case_id"]):
                errors.append(
                    InputError(
                        f"ärende-id {show_case_id(row['case_id'])} är ett personnummer; "
                        "skapa granskningen med granskning ny, som sparar en pseudonym i "
                        "stället",
                        row=i + 2,
                        column="case_id",
                    )
                )
                continue
            if row["case_id"] in first_row:
                errors.append(
                    InputError(
                        f"ärende-id {show_case_id(row['case_id'])} finns redan på rad "
                        f"{first_row[row['case_id']]}",
                        row=i + 2,
                        column="case_id",
                    )
                )
                continue
            first_row[row["case_id"]] = i + 2
            rows.append({"audit_id": audit_id, **row})
        if errors:
            raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
        if not rows:
            return 0
        who = self._who(who)
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            stored = set(
                conn.execute(
                    sa.select(s.cases.c.case_id).where(s.cases.c.audit_id == audit_id)
                ).scalars()
            )
            clash = [r["case_id"] for r in rows if r["case_id"] in stored]
            if clash:
                shown = ", ".join(show_case_id(c) for c in clash[:5])
                more = f" och {len(clash) - 5} till" if len(clash) > 5 else ""
                raise InputError(f"Ärendena {shown}{more} finns redan i granskning {audit_id}.")
            conn.execute(sa.insert(s.cases), rows)
            n_reserves = sum(bool(r["reserve"]) for r in rows)
            added = {"antal": len(rows) - n_reserves, "reserver": n_reserves}
            log_change(conn, audit_id, None, "ärenden", None, added, who, datetime.now(UTC))
        return len(rows)

    def cases(self, audit_id: int, reviewer: str | None = None) -> list[Case]:
        """Return the cases of an audit (only ``reviewer``'s when given).

        The reviewer's name is matched ignoring case and extra spaces ("anna" is Anna).

        Sorted by reserve flag, stratum, draw order and case id, in Python so the
        order is the same on every database and collation.
        """
        sa, s = sql()
        self._require_schema()
        c, a = s.cases, s.assignments
        query = (
            sa.select(c, a.c.reviewer, a.c.status, a.c.finished_at)
            .select_from(
                c.outerjoin(a, sa.and_(a.c.audit_id == c.c.audit_id, a.c.case_id == c.c.case_id))
            )
            .where(c.c.audit_id == audit_id)
        )
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        if reviewer is not None:
            rows = [r for r in rows if same_name(r.reviewer, reviewer)]
        found = [
            Case(
                audit_id=r.audit_id,
                case_id=r.case_id,
                stratum=r.stratum,
                sex=r.sex,
                age=r.age,
                design_weight=r.design_weight,
                inclusion_probability=r.inclusion_probability,
                draw_order=r.draw_order,
                reserve=bool(r.reserve),
                case_worker=r.case_worker,
                reviewer=r.reviewer,
                status=r.status,
                finished_at=r.finished_at,
                case_data=decode(r.case_data) or {},
                outside_reason=r.outside_reason,
                replaces=r.replaces,
            )
            for r in rows
        ]
        return sorted(found, key=case_sort_key)

    def cases_frame(self, audit_id: int) -> pd.DataFrame:
        """Return the cases of an audit as a DataFrame, one row per case."""
        import pandas as pd

        columns = list(Case.__dataclass_fields__)
        return pd.DataFrame([asdict(c) for c in self.cases(audit_id)], columns=columns)
