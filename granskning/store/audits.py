"""Audits: create one, read one or all (a mixin of :class:`~granskning.store.database.Store`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from granskning.errors import InputError
from granskning.store.base import StoreBase, log_change, sql
from granskning.store.records import Audit, audit_of, person
from granskning.store.values import encode, refuse_personnummer, required_text

__all__ = ["AuditsMixin"]


class AuditsMixin(StoreBase):
    """Store methods about audits."""

    def create_audit(
        self,
        title: str,
        kind: str,
        checklist_id: str | None,
        checklist_version: str | None,
        checklist_sha256: str | None,
        protocol_text: str | None,
        sample_record: Mapping[str, Any] | None,
        created_by: str,
        *,
        plan_run: tuple[str, str] | None = None,
    ) -> int:
        """Store a new audit and return its id.

        ``plan_run`` is (plan id, control id) when the audit is a run of a control of an
        internal-control plan; it is stored in ``plan_runs`` in the same transaction.
        """
        sa, s = sql()
        self._require_schema()
        title = required_text(title, "titel", limit=2000)
        refuse_personnummer(title, "titeln")
        refuse_personnummer(sample_record, "urvalsprotokollet", numbers=False)
        if kind not in s.KINDS:
            raise InputError(f'Okänd typ "{kind}": välj granskning eller internkontroll.')
        if checklist_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", checklist_sha256):
            raise InputError("Checklistans sha256 ska vara 64 hexadecimala tecken (gemener).")
        record = encode(dict(sample_record or {}), what="urvalsprotokollet")
        created_by = person(created_by, "skapad av")
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            result = conn.execute(
                sa.insert(s.audits).values(
                    title=title,
                    kind=kind,
                    protocol_text=protocol_text,
                    checklist_id=checklist_id,
                    checklist_version=checklist_version,
                    checklist_sha256=checklist_sha256,
                    sample_record=record,
                    created_at=now,
                    created_by=created_by,
                )
            )
            audit_id = int(result.inserted_primary_key[0])
            about = {"titel": title, "slag": kind, "checklista": checklist_id,
                     "checklistversion": checklist_version}
            if plan_run is not None:
                plan_id, control_id = (required_text(v, what, limit=40)
                                       for v, what in zip(plan_run, ("plan", "kontroll"), strict=True))
                conn.execute(sa.insert(s.plan_runs).values(
                    audit_id=audit_id, plan_id=plan_id, control_id=control_id))
                about |= {"plan": plan_id, "kontroll": control_id}
            log_change(conn, audit_id, None, "granskning", None, about, created_by, now)
            return audit_id

    def audit(self, audit_id: int) -> Audit:
        """Return one audit; InputError if there is none with that id."""
        sa, s = sql()
        self._require_schema()
        self._known_id(audit_id)
        with self._tx(write=False) as conn:
            row = conn.execute(sa.select(s.audits).where(s.audits.c.id == audit_id)).first()
        if row is None:
            raise InputError(f"Granskning {audit_id} finns inte i databasen {self.display_url}.")
        return audit_of(row)

    def audits(self) -> list[Audit]:
        """Return every audit, oldest first."""
        sa, s = sql()
        self._require_schema()
        with self._tx(write=False) as conn:
            rows = conn.execute(sa.select(s.audits).order_by(s.audits.c.id)).all()
        return [audit_of(r) for r in rows]

    def plan_runs(self, plan_id: str) -> list[tuple[str, datetime, int]]:
        """Return (control id, created at, audit id) of every run of a plan, oldest first."""
        sa, s = sql()
        self._require_schema()
        r, a = s.plan_runs, s.audits
        with self._tx(write=False) as conn:
            rows = conn.execute(
                sa.select(r.c.control_id, a.c.created_at, a.c.id)
                .join(a, a.c.id == r.c.audit_id)
                .where(r.c.plan_id == plan_id)
                .order_by(a.c.created_at, a.c.id)
            ).all()
        return [(str(c), when, int(i)) for c, when, i in rows]
