"""Answers: write, delete and read them, with their history (a mixin of :class:`~granskning.store.database.Store`).

Every answer is committed in its own short transaction, together with a row in
the append-only answer history; a stale ``expected_version`` raises
:class:`~granskning.store.records.ConflictError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from granskning import __version__
from granskning.errors import InputError, StoreError
from granskning.store.base import sql
from granskning.store.cases import CasesMixin
from granskning.store.records import Answer, ConflictError, IntegrityStoreError, answer_of, person
from granskning.store.values import case_key, decode, encode_answer, required_text

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa

__all__ = ["AnswersMixin"]


class AnswersMixin(CasesMixin):
    """Store methods about answers and their history."""

    def set_answer(
        self,
        audit_id: int,
        case_id: Any,
        question_id: str,
        value: Any,
        *,
        who: str,
        expected_version: int | None = None,
    ) -> int:
        """Store an answer, commit it, and return its new version number.

        The history row is written in the same transaction.  Setting the value
        an answer already has changes nothing and returns its version.  With
        ``expected_version`` (0 = "no answer yet") a different stored version
        raises :class:`ConflictError`.  Motivations are ordinary questions named
        ``<id>__motivering``.
        """
        if value is None:
            raise InputError("Ett svar kan inte vara tomt; ta bort svaret i stället.")
        return self._write_answer(
            audit_id, case_id, question_id, encode_answer(value), who, expected_version
        )

    def delete_answer(
        self,
        audit_id: int,
        case_id: Any,
        question_id: str,
        *,
        who: str,
        expected_version: int | None = None,
    ) -> int:
        """Delete an answer (recorded in the history) and return the new version number.

        Deleting an answer that does not exist changes nothing and returns its
        current version (0 if it never existed).
        """
        return self._write_answer(audit_id, case_id, question_id, None, who, expected_version)

    def answer(self, audit_id: int, case_id: Any, question_id: str) -> Answer | None:
        """Return the stored answer with its version (value None if deleted), or None."""
        self._require_schema()
        with self._tx(write=False) as conn:
            return self._read_answer(conn, audit_id, case_key(case_id), question_id)

    def answer_versions(
        self, audit_id: int, case_id: Any | None = None
    ) -> dict[tuple[str, str], Answer]:
        """Return (case id, question id) -> stored answer, deleted ones included (value None).

        What a caller read, to pass on as ``expected_version`` when it writes.
        """
        sa, s = sql()
        self._require_schema()
        t = s.answers
        query = sa.select(t).where(t.c.audit_id == audit_id)
        if case_id is not None:
            query = query.where(t.c.case_id == case_key(case_id))
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        return {(r.case_id, r.question_id): answer_of(r) for r in rows}

    def answers(self, audit_id: int, case_id: Any) -> dict[str, Any]:
        """Return the current answers of one case: question id -> value."""
        sa, s = sql()
        self._require_schema()
        case_id = case_key(case_id)
        t = s.answers
        with self._tx(write=False) as conn:
            self._check_case(conn, audit_id, case_id)
            rows = conn.execute(
                sa.select(t.c.question_id, t.c.value).where(
                    t.c.audit_id == audit_id, t.c.case_id == case_id, t.c.value.is_not(None)
                )
            ).all()
        return {q: json.loads(v) for q, v in sorted(rows)}

    def answers_frame(self, audit_id: int, *, settled: bool = False) -> pd.DataFrame:
        """Return one row per case and one column per question (object dtype values).

        Rows: every non-reserve case and any reserve case with answers, in case
        order; columns: ``case_id`` then the question ids, sorted.  Missing
        answers are None.  With ``settled`` (the analysis) a disagreement between two
        readings that the coordinator has settled has the settled answer in place of
        the first reading (:meth:`~granskning.store.double.DoubleReadingMixin.settled_values`).
        """
        import pandas as pd

        sa, s = sql()
        t = s.answers
        cases = self.cases(audit_id)
        with self._tx(write=False) as conn:
            rows = conn.execute(
                sa.select(t.c.case_id, t.c.question_id, t.c.value).where(
                    t.c.audit_id == audit_id, t.c.value.is_not(None)
                )
            ).all()
        by_case: dict[str, dict[str, Any]] = {}
        for case_id, qid, value in rows:
            by_case.setdefault(case_id, {})[qid] = json.loads(value)
        if settled:
            for (case_id, qid), value in self.settled_values(audit_id).items():  # type: ignore[attr-defined]
                by_case.setdefault(case_id, {})[qid] = value
                rows.append((case_id, qid, None))  # the question is a column even if only settled
        questions = sorted({qid for _, qid, _ in rows})
        keep = [c.case_id for c in cases if not c.reserve or c.case_id in by_case]
        frame = pd.DataFrame(
            [[by_case.get(cid, {}).get(q) for q in questions] for cid in keep],
            columns=questions,
            dtype=object,
        )
        frame.insert(0, "case_id", pd.Series(keep, dtype=object))
        return frame

    def history(self, audit_id: int, case_id: Any | None = None) -> pd.DataFrame:
        """Return the answer history (oldest first): who changed what, when, old and new."""
        _sa, s = sql()
        return self._trail(s.answer_history, audit_id, case_id, keep=("old_value", "new_value"))

    def changes(self, audit_id: int, case_id: Any | None = None) -> pd.DataFrame:
        """Return the trail of the audit, its cases and assignments (oldest first).

        Columns: those of ``change_log``; ``old_value``/``new_value`` decoded from JSON.
        With ``case_id``, only rows about that case.
        """
        _sa, s = sql()
        return self._trail(s.change_log, audit_id, case_id, keep=("case_id", "old_value", "new_value"))

    def _trail(self, table: Any, audit_id: int, case_id: Any | None, *, keep: tuple[str, ...]) -> pd.DataFrame:
        """Return the rows of a history table for an audit (and case), JSON values decoded.

        The ``keep`` columns are kept as Python objects (None stays None, bools stay bools).
        """
        import pandas as pd

        sa, _s = sql()
        self._require_schema()
        query = sa.select(table).where(table.c.audit_id == audit_id).order_by(table.c.id)
        if case_id is not None:
            query = query.where(table.c.case_id == case_key(case_id))
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        columns = [c.name for c in table.columns]
        records = [
            {**r._asdict(), "old_value": decode(r.old_value), "new_value": decode(r.new_value)}
            for r in rows
        ]
        frame = pd.DataFrame(records, columns=columns)
        for col in keep:
            frame[col] = pd.Series([r[col] for r in records], index=frame.index, dtype=object)
        return frame

    def set_answers(
        self,
        audit_id: int,
        changes: Any,
        *,
        who: str,
        expected_versions: Mapping[tuple[Any, str], int] | None = None,
    ) -> int:
        """Store several answers in one transaction, all or none; return how many changed.

        ``changes`` is an iterable of ``(case_id, question_id, value)``; a value of
        None deletes the answer.  Each change gets its history row, as with
        :meth:`set_answer`.  ``expected_versions`` maps ``(case_id, question_id)``
        to the version the caller read (0 = no answer); any difference raises
        :class:`ConflictError` and nothing is stored.
        """
        self._require_schema()
        who = person(who, "vem")
        items = [
            (
                case_key(case_id),
                required_text(question_id, "fråge-id"),
                None if value is None else encode_answer(value),
            )
            for case_id, question_id, value in changes
        ]
        expected = {
            (case_key(c), q): v for (c, q), v in (expected_versions or {}).items()
        }
        for _attempt in range(3):
            try:
                changed = 0
                with self._tx(write=True) as conn:
                    for case_id in dict.fromkeys(c for c, _q, _v in items):
                        self._check_case(conn, audit_id, case_id)
                    for case_id, question_id, new_text in items:
                        _version, did_change = self._apply_answer(
                            conn, audit_id, case_id, question_id, new_text, who,
                            expected.get((case_id, question_id)),
                        )
                        changed += did_change
                return changed
            except IntegrityStoreError:
                # Another session inserted one of these answers first (PostgreSQL,
                # where FOR UPDATE cannot lock a row that does not exist yet): try
                # again, and a stale expected version then raises ConflictError.
                continue
        raise StoreError("Svaren kunde inte sparas; försök igen.")

    def _write_answer(
        self,
        audit_id: int,
        case_id: Any,
        question_id: str,
        new_text: str | None,
        who: str,
        expected_version: int | None,
    ) -> int:
        self._require_schema()
        case_id, who = case_key(case_id), person(who, "vem")
        question_id = required_text(question_id, "fråge-id")
        if expected_version is not None and (
            not isinstance(expected_version, int) or expected_version < 0
        ):
            raise InputError("expected_version ska vara ett heltal ≥ 0.")
        for _attempt in range(3):
            try:
                with self._tx(write=True) as conn:
                    self._check_case(conn, audit_id, case_id)
                    version, _changed = self._apply_answer(
                        conn, audit_id, case_id, question_id, new_text, who, expected_version
                    )
                    return version
            except IntegrityStoreError:
                # Another session inserted the same answer first (PostgreSQL,
                # where FOR UPDATE cannot lock a row that does not exist yet).
                if expected_version is not None:
                    raise ConflictError(
                        case_id=case_id,
                        question_id=question_id,
                        expected_version=expected_version,
                        current=self.answer(audit_id, case_id, question_id),
                    ) from None
        raise StoreError(f'Svaret på fråga "{question_id}" kunde inte sparas; försök igen.')

    def _apply_answer(
        self,
        conn: sa.Connection,
        audit_id: int,
        case_id: str,
        question_id: str,
        new_text: str | None,
        who: str,
        expected_version: int | None,
    ) -> tuple[int, bool]:
        """Write one answer and its history row inside ``conn``'s transaction.

        Returns (version, changed); an answer that already has the value is left alone.
        """
        sa, s = sql()
        t, h = s.answers, s.answer_history
        key = (t.c.audit_id == audit_id, t.c.case_id == case_id, t.c.question_id == question_id)
        row = conn.execute(sa.select(t).where(*key).with_for_update()).first()
        current = row.version if row is not None else 0
        if expected_version is not None and expected_version != current:
            raise ConflictError(
                case_id=case_id,
                question_id=question_id,
                expected_version=expected_version,
                current=answer_of(row) if row is not None else None,
            )
        old_text = row.value if row is not None else None
        if old_text == new_text:
            return current, False
        version, now = current + 1, datetime.now(UTC)
        values = {"value": new_text, "version": version, "changed_at": now, "changed_by": who}
        event = "borttaget" if new_text is None else "nytt" if old_text is None else "ändrat"
        history = {
            "audit_id": audit_id, "case_id": case_id, "question_id": question_id,
            "event": event, "old_value": old_text, "new_value": new_text, "version": version,
            "changed_at": now, "changed_by": who, "tool_version": __version__,
        }
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # The history trigger (migration 4) writes the history row, with the server's
            # time and version; it records which tool version wrote through this setting.
            conn.exec_driver_sql(
                "SELECT set_config('granskning.tool_version', %(v)s, true)", {"v": __version__}
            )
        else:
            # SQLite: our row first, so that the trigger sees it and adds none of its own.
            conn.execute(sa.insert(h).values(**history))
        if row is None:
            statement = sa.insert(t).values(
                audit_id=audit_id, case_id=case_id, question_id=question_id, **values
            )
        else:
            statement = sa.update(t).where(*key).values(**values)
        if postgres:
            version = int(conn.execute(statement.returning(t.c.version)).scalar_one())
        else:
            conn.execute(statement)
        return version, True

    def _read_answer(
        self, conn: sa.Connection, audit_id: int, case_id: str, question_id: str
    ) -> Answer | None:
        sa, s = sql()
        t = s.answers
        row = conn.execute(
            sa.select(t).where(
                t.c.audit_id == audit_id, t.c.case_id == case_id, t.c.question_id == question_id
            )
        ).first()
        return None if row is None else answer_of(row)
