"""Double reading (dubbelgranskning): second readings, their answers and settlements (a mixin
of :class:`~granskning.store.database.Store`), and :class:`SecondReadingStore`, the view
through which ``granskning kontroll --andra`` answers a second reading.

The first reading is the ordinary ``answers`` table.  The second reading's answers are
append-only rows in ``second_answers`` (each change a new version); the coordinator's
settlements are append-only rows in ``settlements``.  See
:mod:`granskning.store.migration_double` for the tables and the row-level security.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from granskning import __version__
from granskning.errors import InputError, StoreError
from granskning.store.base import log_change, sql
from granskning.store.cases import CasesMixin
from granskning.store.records import Answer, Case, ConflictError, IntegrityStoreError, person
from granskning.store.values import (
    case_key,
    decode,
    encode,
    encode_answer,
    refuse_personnummer,
    required_text,
    show_case_id,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from granskning.store.database import Store

__all__ = ["SECOND", "SECOND_DONE", "DoubleReadingMixin", "SecondReading", "SecondReadingStore",
           "Settlement"]

# How the trail (change_log) tells a second reading's assignment and status from the first's.
SECOND = " (andra läsning)"
SECOND_DONE = f"klar{SECOND}"


@dataclass(frozen=True, slots=True)
class SecondReading:
    """A case read a second time: by whom, and whether that reading is done."""

    case_id: str
    reviewer: str
    status: str
    assigned_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Settlement:
    """The coordinator's decision on one question of one case, with both readings as they were."""

    case_id: str
    question_id: str
    value: Any
    first_value: Any
    second_value: Any
    settled_at: datetime
    settled_by: str


class DoubleReadingMixin(CasesMixin):
    """Store methods about second readings and settlements."""

    def assign_second(
        self, audit_id: int, mapping: Mapping[Any, str], *, who: str | None = None
    ) -> int:
        """Give cases a second reader; return how many were written.

        A case already read a second time by the same reviewer is left alone; a finished
        second reading never moves; the second reader is never the first reader.
        """
        sa, s = sql()
        self._require_schema()
        wanted = {case_key(k): required_text(v, "granskare") for k, v in mapping.items()}
        for name in wanted.values():
            refuse_personnummer(name, "granskarens namn")
        who = self._who(who)
        r, a = s.second_readings, s.assignments
        now = datetime.now(UTC)
        written = 0
        with self._tx(write=True) as conn:
            self._check_audit(conn, audit_id)
            first = dict(conn.execute(
                sa.select(a.c.case_id, a.c.reviewer).where(a.c.audit_id == audit_id)
            ).all())
            existing = {x.case_id: x for x in conn.execute(
                sa.select(r).where(r.c.audit_id == audit_id))}
            for case_id, reviewer in wanted.items():
                self._check_case(conn, audit_id, case_id)
                if case_id not in first:
                    raise InputError(f"Ärendet {show_case_id(case_id)} har ingen första "
                                     "granskare ännu; tilldela det först (granskning tilldela).")
                if _same(first[case_id], reviewer):
                    raise InputError(f"{reviewer} granskar redan ärendet {show_case_id(case_id)} "
                                     "och kan inte läsa det en andra gång.")
                old = existing.get(case_id)
                if old is not None and old.reviewer == reviewer:
                    continue
                if old is not None and old.status == "klar":
                    raise InputError(f"Den andra läsningen av ärendet {show_case_id(case_id)} är "
                                     f"redan gjord av {old.reviewer} och kan inte flyttas.")
                before = None if old is None else f"{old.reviewer}{SECOND}"
                log_change(conn, audit_id, case_id, "tilldelning", before,
                           f"{reviewer}{SECOND}", who, now)
                if old is None:
                    conn.execute(sa.insert(r).values(audit_id=audit_id, case_id=case_id,
                                                     reviewer=reviewer, status="pågår",
                                                     assigned_at=now))
                else:
                    conn.execute(sa.update(r).where(r.c.audit_id == audit_id,
                                                    r.c.case_id == case_id)
                                 .values(reviewer=reviewer, assigned_at=now))
                written += 1
        return written

    def second_readings(self, audit_id: int, reviewer: str | None = None) -> list[SecondReading]:
        """Return the second readings of an audit (only ``reviewer``'s when given), by case id."""
        sa, s = sql()
        self._require_schema()
        r = s.second_readings
        query = sa.select(r).where(r.c.audit_id == audit_id).order_by(r.c.case_id)
        if reviewer is not None:
            query = query.where(r.c.reviewer == reviewer)
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        return [SecondReading(x.case_id, x.reviewer, x.status, x.assigned_at, x.finished_at)
                for x in rows]

    def second_answer_versions(
        self, audit_id: int, case_id: Any | None = None
    ) -> dict[tuple[str, str], Answer]:
        """Return (case id, question id) -> current second-reading answer (value None: deleted)."""
        sa, s = sql()
        self._require_schema()
        t = s.second_answers
        query = sa.select(t).where(t.c.audit_id == audit_id).order_by(t.c.id)
        if case_id is not None:
            query = query.where(t.c.case_id == case_key(case_id))
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(query).all()
        out: dict[tuple[str, str], Answer] = {}
        for x in rows:
            key = (x.case_id, x.question_id)
            if key not in out or out[key].version < x.version:
                out[key] = Answer(x.question_id, decode(x.value), x.version, x.changed_at,
                                  x.changed_by)
        return out

    def second_answer_log(self, audit_id: int) -> list[dict[str, Any]]:
        """Return every row of the second readings' answers, oldest first (their history)."""
        sa, s = sql()
        self._require_schema()
        t = s.second_answers
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(sa.select(t).where(t.c.audit_id == audit_id)
                                .order_by(t.c.id)).all()
        return [{**x._asdict(), "value": decode(x.value)} for x in rows]

    def set_second_answers(
        self,
        audit_id: int,
        changes: Any,
        *,
        who: str,
        expected_versions: Mapping[tuple[Any, str], int] | None = None,
    ) -> int:
        """Store second-reading answers, all or none; return how many changed.

        As :meth:`~granskning.store.answers.AnswersMixin.set_answers`: ``changes`` holds
        ``(case_id, question_id, value)`` (None deletes); a stale expected version raises
        :class:`ConflictError`.  Only the case's second reader may write.
        """
        self._require_schema()
        who = person(who, "vem")
        items = [(case_key(c), required_text(q, "fråge-id"),
                  None if v is None else encode_answer(v)) for c, q, v in changes]
        expected = {(case_key(c), q): v for (c, q), v in (expected_versions or {}).items()}
        for _attempt in range(3):
            try:
                with self._tx(write=True) as conn:
                    return sum(self._write_second(conn, audit_id, c, q, text, who,
                                                  expected.get((c, q)))
                               for c, q, text in items)
            except IntegrityStoreError:
                continue  # a racing writer took the version: the next try raises ConflictError
        raise StoreError("Svaren kunde inte sparas; försök igen.")

    def _write_second(self, conn: sa.Connection, audit_id: int, case_id: str, question_id: str,
                      new_text: str | None, who: str, expected_version: int | None) -> int:
        sa, s = sql()
        r, t = s.second_readings, s.second_answers
        reader = conn.execute(sa.select(r.c.reviewer).where(
            r.c.audit_id == audit_id, r.c.case_id == case_id)).scalar()
        if reader is None or not _same(reader, who):
            raise InputError(f"{who} är inte andra granskare för ärendet {show_case_id(case_id)}.")
        row = conn.execute(
            sa.select(t).where(t.c.audit_id == audit_id, t.c.case_id == case_id,
                               t.c.question_id == question_id)
            .order_by(t.c.version.desc()).limit(1)
        ).first()
        current = row.version if row is not None else 0
        if expected_version is not None and expected_version != current:
            found = None if row is None else Answer(row.question_id, decode(row.value),
                                                     row.version, row.changed_at, row.changed_by)
            raise ConflictError(case_id=case_id, question_id=question_id,
                                expected_version=expected_version, current=found)
        if (row.value if row is not None else None) == new_text:
            return 0
        conn.execute(sa.insert(t).values(
            audit_id=audit_id, case_id=case_id, question_id=question_id, value=new_text,
            version=current + 1, changed_at=datetime.now(UTC), changed_by=who,
            tool_version=__version__))
        return 1

    def mark_second_done(self, audit_id: int, case_id: Any, who: str) -> None:
        """Mark a second reading as done (status klar)."""
        sa, s = sql()
        self._require_schema()
        case_id, who = case_key(case_id), person(who, "vem")
        r = s.second_readings
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            row = conn.execute(sa.select(r).where(r.c.audit_id == audit_id,
                                                  r.c.case_id == case_id)).first()
            if row is None or not _same(row.reviewer, who):
                raise InputError(f"{who} är inte andra granskare för ärendet "
                                 f"{show_case_id(case_id)}.")
            if row.status == "klar":
                return
            log_change(conn, audit_id, case_id, "status", f"{row.status}{SECOND}",
                       SECOND_DONE, who, now)
            conn.execute(sa.update(r).where(r.c.audit_id == audit_id, r.c.case_id == case_id)
                         .values(status="klar", finished_at=now, finished_by=who))

    def settle(self, audit_id: int, case_id: Any, question_id: str, value: Any, *,
               first: Any, second: Any, who: str | None = None) -> None:
        """Record the coordinator's decision on one question (append-only)."""
        sa, s = sql()
        self._require_schema()
        case_id, who = case_key(case_id), self._who(who)
        question_id = required_text(question_id, "fråge-id")
        with self._tx(write=True) as conn:
            self._check_case(conn, audit_id, case_id)
            conn.execute(sa.insert(s.settlements).values(
                audit_id=audit_id, case_id=case_id, question_id=question_id,
                value=None if value is None else encode_answer(value),
                first_value=None if first is None else encode(first),
                second_value=None if second is None else encode(second),
                settled_at=datetime.now(UTC), settled_by=who, tool_version=__version__))

    def settlements(self, audit_id: int, *, latest: bool = True) -> list[Settlement]:
        """Return the settlements of an audit, oldest first (only the latest per question)."""
        sa, s = sql()
        self._require_schema()
        t = s.settlements
        with self._tx(write=False) as conn:
            self._check_audit(conn, audit_id)
            rows = conn.execute(sa.select(t).where(t.c.audit_id == audit_id)
                                .order_by(t.c.id)).all()
        found = [Settlement(x.case_id, x.question_id, decode(x.value), decode(x.first_value),
                            decode(x.second_value), x.settled_at, x.settled_by) for x in rows]
        if not latest:
            return found
        last = {(x.case_id, x.question_id): x for x in found}
        return list(last.values())

    def settled_values(self, audit_id: int) -> dict[tuple[str, str], Any]:
        """Return (case id, question id) -> settled answer, for settlements still in force.

        A settlement is in force while both readings are what they were when it was made;
        if either reading changes afterwards the disagreement is open again.  A settled
        value of None means "no answer".
        """
        found = self.settlements(audit_id)
        if not found:
            return {}
        first = self.answer_versions(audit_id)  # type: ignore[attr-defined]  # AnswersMixin
        second = self.second_answer_versions(audit_id)
        out: dict[tuple[str, str], Any] = {}
        for st in found:
            key = (st.case_id, st.question_id)
            a = first[key].value if key in first else None
            b = second[key].value if key in second else None
            if a == st.first_value and b == st.second_value:
                out[key] = st.value
        return out

    def double_trail(self, audit_id: int, case_id: Any | None = None) -> list[dict[str, Any]]:
        """Return the second readings' answers and the settlements as trail rows (oldest first).

        Rows in the shape of :func:`granskning.store.trail.history`: ``what`` is
        ``andra läsning`` or ``avgörande``, ``item`` the question, ``event`` "2:a nytt",
        "2:a ändrat", "2:a borttaget" (2:a: the second reading) or "avgjord"; a
        settlement's ``old_value`` holds both readings.  On PostgreSQL a reviewer sees only their own second readings and no
        settlements (row-level security).
        """
        key = None if case_id is None else case_key(case_id)
        rows: list[dict[str, Any]] = []
        last: dict[tuple[str, str], Any] = {}
        for r in self.second_answer_log(audit_id):
            k = (r["case_id"], r["question_id"])
            old = last.get(k)
            last[k] = r["value"]
            if key is not None and r["case_id"] != key:
                continue
            event = "borttaget" if r["value"] is None else "ändrat" if old is not None else "nytt"
            rows.append(_trail_row(r["changed_at"], r["changed_by"], r["case_id"],
                                   "andra läsning", r["question_id"], f"2:a {event}", old,
                                   r["value"], r["version"], r["tool_version"], (2, r["id"])))
        try:
            settled = self.settlements(audit_id, latest=False)
        except StoreError:  # a reviewer on PostgreSQL: settlements are for coordinators
            settled = []
        for i, st in enumerate(settled):
            if key is not None and st.case_id != key:
                continue
            both = {"första": st.first_value, "andra": st.second_value}
            rows.append(_trail_row(st.settled_at, st.settled_by, st.case_id, "avgörande",
                                   st.question_id, "avgjord", both, st.value, None, None,
                                   (3, i)))
        return rows


def refuse_second_reader(conn: sa.Connection, audit_id: int, wanted: Mapping[str, str]) -> None:
    """Raise InputError when a case would get its own second reader as first reviewer."""
    sa, s = sql()
    r = s.second_readings
    seconds = dict(conn.execute(sa.select(r.c.case_id, r.c.reviewer)
                                .where(r.c.audit_id == audit_id)).all())
    for case_id, reviewer in wanted.items():
        if _same(seconds.get(case_id), reviewer):
            raise InputError(f"{seconds[case_id]} läser ärendet {show_case_id(case_id)} en andra "
                             "gång i dubbelgranskningen och kan inte också vara dess första "
                             "granskare.")


def _trail_row(when: datetime, who: str, case_id: str, what: str, item: str, event: str,
               old: Any, new: Any, version: int | None, tool: str | None,
               order: tuple[int, int]) -> dict[str, Any]:
    return {"changed_at": when, "changed_by": who, "case_id": case_id, "what": what,
            "item": item, "event": event, "old_value": old, "new_value": new,
            "version": version, "tool_version": tool, "db_user": None, "_order": order}


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold().split() == b.casefold().split()


class SecondReadingStore:
    """The store as a second reader's session sees it: their second readings only.

    Offers the methods :class:`granskning.answers.session.Session` uses (``audit``,
    ``cases``, ``answers``, ``answer_versions``, ``answer``, ``set_answers``,
    ``mark_done``), backed by the second reading; the first reading is never read.
    """

    _PASS = frozenset({"audit", "database_user", "display_url", "dialect", "close"})

    def __init__(self, store: Store, reviewer: str) -> None:
        self._store = store
        self.reviewer = reviewer

    def __getattr__(self, name: str) -> Any:
        if name in self._PASS:
            return getattr(self._store, name)
        raise AttributeError(f"{name} is not available during a second reading")

    def cases(self, audit_id: int, reviewer: str | None = None) -> list[Case]:
        """Return the cases read a second time (``reviewer``'s only, when given), each with
        its second reader and that reading's status in place of the first reading's."""
        mine = {r.case_id: r for r in self._store.second_readings(audit_id)
                if reviewer is None or _same(r.reviewer, reviewer)}
        return [
            replace(c, reviewer=mine[c.case_id].reviewer, status=mine[c.case_id].status,
                    finished_at=mine[c.case_id].finished_at)
            for c in self._store.cases(audit_id) if c.case_id in mine
        ]

    def answer_versions(self, audit_id: int, case_id: Any | None = None
                        ) -> dict[tuple[str, str], Answer]:
        return self._store.second_answer_versions(audit_id, case_id)

    def answers(self, audit_id: int, case_id: Any) -> dict[str, Any]:
        case_id = case_key(case_id)
        if not any(c.case_id == case_id for c in self.cases(audit_id, self.reviewer)):
            raise InputError(f"Ärendet {show_case_id(case_id)} är inte ditt att läsa en andra "
                             f"gång i granskning {audit_id}.")
        found = self._store.second_answer_versions(audit_id, case_id)
        return {q: a.value for (_c, q), a in sorted(found.items()) if a.value is not None}

    def answer(self, audit_id: int, case_id: Any, question_id: str) -> Answer | None:
        found = self._store.second_answer_versions(audit_id, case_id)
        return found.get((case_key(case_id), question_id))

    def set_answers(self, audit_id: int, changes: Any, *, who: str,
                    expected_versions: Mapping[tuple[Any, str], int] | None = None) -> int:
        return self._store.set_second_answers(audit_id, changes, who=who,
                                              expected_versions=expected_versions)

    def mark_done(self, audit_id: int, case_id: Any, who: str) -> None:
        self._store.mark_second_done(audit_id, case_id, who)
