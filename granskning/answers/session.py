"""A reviewer's checklist session: which case, which question next, and saving answers.

:class:`Session` is the library half of ``granskning kontroll``; the prompts
(questionary) live in :mod:`granskning.answers.prompts` and only call it.

Decisions (documented here because users and analyses depend on them):

* **Every answer is committed the moment it is given** (one transaction per
  answer, with its history row).  An interrupted session loses nothing and
  resumes at the first visible question without an answer (or the first
  missing required motivation).
* **Answers that stop applying are deleted**, in the same transaction as the
  change that caused it: when an earlier answer hides a later question (F7
  changed from Nej to Ja hides F8), F8's answer is deleted, and a motivation is
  deleted when the answer no longer requires one.  The history keeps the old
  values, so nothing is lost, and the stored answers of a case are always a
  consistent state of the checklist: analyses never need to re-check
  conditions, and the Excel import (which rejects answers to hidden questions)
  can round-trip them.
* **Surveys** (checklists with ``slag: enkat``, e.g. ``delaktighetsenkat``)
  run in the same engine: a case worker's cases are those whose ``case_worker``
  is their name (case and spacing ignored) plus any assigned to them; no
  ``granskning tilldela`` is needed.
* Free-text answers and motivations must not contain a personnummer (a valid
  number anywhere in the text is refused), since answers end up in reports.
* **No silent overwrite.**  :meth:`Session.read` returns the answers with
  their versions; :meth:`Session.record` passes the version the reviewer saw
  as ``expected_version``, so an answer someone else changed in between
  raises :class:`~granskning.store.database.ConflictError`.  The prompts then show
  the other value (:meth:`Session.conflict_text`) and let the reviewer
  choose which one stands.

Nothing here imports pandas: the session must start fast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.answers.computed import computed_changes, refuse_computed, refuse_violations
from granskning.audit import pseudonym
from granskning.audit.checklists import audit_checklist
from granskning.audit.protocol import protocol_of
from granskning.checklist.model import MOTIVATION_SUFFIX, Checklist, Question, motivation_key
from granskning.errors import InputError
from granskning.fmt import tal
from granskning.personnummer import number as pnr
from granskning.store.database import Progress
from granskning.store.records import known_spelling, same_name
from granskning.store.values import refuse_personnummer, show_case_id
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.store.database import Audit, Case, Progress, Store

__all__ = [
    "Recorded",
    "Snapshot",
    "Session",
    "Step",
    "SummaryRow",
    "case_values",
    "check_free_text",
    "checklist_for",
    "show_value",
    "split_key",
    "storable",
]


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to ask: a question, or the motivation for its answer."""

    question: Question
    motivation: bool = False

    @property
    def key(self) -> str:
        """Return the answer key this step fills (``F4`` or ``F4__motivering``)."""
        return motivation_key(self.question.id) if self.motivation else self.question.id


@dataclass(frozen=True, slots=True)
class Recorded:
    """What saving one answer did: its new version and the answers it made obsolete."""

    key: str
    value: Any
    version: int
    removed: tuple[str, ...]
    computed: tuple[tuple[str, Any], ...] = ()  # computed answers this answer changed


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The answers of one case as read at one moment, with each answer's version."""

    values: dict[str, Any]  # answer key -> value (answers that exist)
    versions: dict[str, int]  # answer key -> version (deleted answers too)

    def version(self, key: str) -> int:
        """Return the version of ``key`` (0 = never answered)."""
        return self.versions.get(key, 0)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One line of a case's summary: a shown question or a motivation, and its answer."""

    key: str
    question_id: str
    area: str
    text: str
    answer: str | None  # for display; None = no answer
    motivation: bool
    missing: bool  # a required answer or motivation that is still blank
    computed: bool = False  # a computed question (berakna): shown, never asked or edited


def split_key(key: str) -> tuple[str, bool]:
    """Return (question id, is motivation) for an answer key."""
    if key.endswith(MOTIVATION_SUFFIX):
        return key[: -len(MOTIVATION_SUFFIX)], True
    return key, False


def storable(value: Any) -> Any:
    """Return a normalised answer as stored (JSON): tuples as lists, dates as ISO text."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def check_free_text(text: Any, *, file: str | None = None, row: int | None = None,
                    column: str | None = None) -> None:
    """Raise InputError when ``text`` holds a personnummer in any typed form (never quoted).

    The forms are those of :func:`granskning.personnummer.number.find_personnummer`:
    spaces, dashes of every kind, full-width digits, a wrong check digit in a
    personnummer layout.  The answer history is append-only, so this check comes
    before anything is written.
    """

    refuse_personnummer(
        text, "texten", file=file, row=row, column=column,
        advice="skriv inga personuppgifter i svaren; ta bort numret och försök igen",
    )


def show_value(question: Question, value: Any) -> str:
    """Return an answer as a reviewer reads it (decimal comma, choices joined by "; ")."""

    if value is None:
        return "–"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        return tal(value, 2).rstrip("0").rstrip(",")
    return pnr.scrub(str(value))


def checklist_for(audit: Audit, checklist: Checklist | str | Path | None = None) -> Checklist:
    """Return the audit's checklist under the one rule of :func:`granskning.audit.opened.audit_checklist`.

    A checklist that differs from the one the audit was created with is
    refused: answers would otherwise mean different things.
    """

    return audit_checklist(audit, checklist, None if audit.checklist_id else protocol_of(audit))


class Session:
    """One reviewer working through their cases of one audit with its checklist."""

    def __init__(self, store: Store, audit: Audit, checklist: Checklist, reviewer: str) -> None:
        self.store = store
        self.audit = audit
        self.checklist = checklist
        self.reviewer = " ".join(reviewer.split())
        self._case_data: dict[str, Mapping[str, Any]] | None = None
        if not self.reviewer:
            raise InputError("Ange granskarens namn med --granskare NAMN.")
        if checklist.kind != "enkat":  # "anna" works on, and signs as, the assigned "Anna"
            known = {c.reviewer for c in store.cases(audit.id)}
            self.reviewer = known_spelling(self.reviewer, known)

    @classmethod
    def open(
        cls,
        store: Store,
        audit_id: int,
        reviewer: str,
        *,
        checklist: Checklist | str | Path | None = None,
    ) -> Session:
        """Return a session on a stored audit (checklist as in :func:`checklist_for`)."""
        audit = store.audit(audit_id)
        return cls(store, audit, checklist_for(audit, checklist), reviewer)

    # -- cases ---------------------------------------------------------------

    @property
    def survey(self) -> bool:
        """Return True for a survey: case workers answer about their own cases."""
        return self.checklist.kind == "enkat"

    def cases(self) -> list[Case]:
        """Return this reviewer's cases, in the store's order (stratum, draw order).

        A case marked as outside the population (``granskning utanfor``) is not
        reviewed: it is left out.
        """
        if not self.survey:
            return [c for c in self.store.cases(self.audit.id, self.reviewer) if not c.outside]
        return [
            c
            for c in self.store.cases(self.audit.id)
            if (same_name(c.case_worker, self.reviewer) or same_name(c.reviewer, self.reviewer))
            and not c.outside
        ]

    def no_cases_message(self) -> str:
        """Return why this reviewer has no cases, naming who has (InputError text, exit 2)."""
        from collections import Counter

        everyone = self.store.cases(self.audit.id)
        if self.survey:
            who, owners = "handläggaren", Counter(c.case_worker for c in everyone if c.case_worker)
            hint = "Ange ditt namn som det står i urvalets handläggarkolumn med --granskare NAMN."
        else:
            who, owners = "granskaren", Counter(c.reviewer for c in everyone if c.reviewer)
            hint = ("Ange ditt namn som det stod i granskning tilldela med --granskare NAMN."
                    if owners else "Den som leder granskningen tilldelar ärenden med "
                    "granskning tilldela.")
        text = f"Granskning {self.audit.id} har inga ärenden för {who} {self.reviewer}."
        if owners:
            listed = ", ".join(f"{name} ({antal(n, 'ärende')})"
                               for name, n in sorted(owners.items(), key=lambda x: x[0].casefold()))
            text += f" Ärenden har: {listed}."
        elif self.store.database_role() == "granskare":  # PostgreSQL: others' cases are hidden
            return (f"{text} En granskare ser bara sina egna ärenden; be samordnaren tilldela "
                    "dig ärenden med granskning tilldela.")
        elif not self.survey:
            text += " Inga ärenden är tilldelade ännu."
        return f"{text} {hint}"

    def open_cases(self) -> list[Case]:
        """Return this reviewer's cases not yet marked as reviewed."""
        return [c for c in self.cases() if c.status != "klar"]

    def progress(self) -> Progress:
        """Return (done, total) over this reviewer's cases."""

        mine = self.cases()
        return Progress(sum(c.status == "klar" for c in mine), len(mine))

    def progress_text(self) -> str:
        """Return progress as the prompt shows it: ``7 av 26 klara``."""
        done, total = self.progress()
        return f"{done} av {total} klara"

    @staticmethod
    def case_label(case: Case) -> str:
        """Return how a case is listed: stratum, draw order and id (a personnummer masked)."""

        parts = []
        if case.stratum:
            parts.append(case.stratum)
        if case.draw_order is not None:
            parts.append(f"nr {case.draw_order}")
        head = ", ".join(parts)
        reserve = " (reserv)" if case.reserve else ""
        ident = f"ärende {show_case_id(case.case_id)}"
        return f"{head} – {ident}{reserve}" if head else f"{ident}{reserve}"

    def case_finder(self) -> Callable[[str, str, str], bool]:
        """Return ``match(typed, case_id, label)`` for filtering the case list by typing.

        Every word typed must be in the label, ignoring case (a number must be
        the draw number itself: "bromma 3" is Bromma nr 3, not nr 13); or the
        typed text is the real case id whose pseudonym is ``case_id``, computed
        with the key when it is available to this user.  The typed id is never
        stored or written anywhere.
        """
        try:
            secret: bytes | None = pseudonym.key()
        except InputError:  # a reviewer without the key finds cases by pseudonym
            secret = None
        seen: dict[str, str] = {}

        def by_key(typed: str) -> str | None:
            if secret is None or pseudonym.is_pseudonym(typed.upper()):
                return None
            if typed not in seen:
                seen.clear()  # only the text being typed is kept, and only in memory
                seen[typed] = pseudonym.case(secret, typed)
            return seen[typed]

        def match(typed: str, case_id: str, label: str) -> bool:
            typed = " ".join(typed.split())
            if not typed:
                return True
            if typed == case_id or by_key(typed) == case_id:
                return True
            folded = label.casefold()
            tokens = set(re.findall(r"[\w-]+", folded))
            return all((w in tokens) if w.isdigit() else (w in folded)
                       for w in typed.casefold().replace(",", " ").split())

        return match

    # -- questions (pure) ------------------------------------------------------

    def next_step(self, answers: Mapping[str, Any], after: str | None = None,
                  case: Mapping[str, Any] | None = None) -> Step | None:
        """Return the next thing to ask, or None when nothing is left.

        The first shown question without an answer, or whose answer needs a
        motivation that is missing; with ``after`` (a question id), only that
        question's motivation and the questions after it are considered.
        ``case`` is the case's data (:meth:`case_data`), which conditions may name.
        """
        start = 0
        if after is not None:
            ids = [q.id for q in self.checklist.questions]
            start = ids.index(after)
        shown = {q.id for q in self.checklist.visible_questions(answers, case)}
        for q in self.checklist.questions[start:]:
            if q.id not in shown or q.computed:
                continue
            value = answers.get(q.id)
            if _blank(value):
                if q.id == after:  # skipped just now (optional): not asked again
                    continue
                return Step(q)
            if q.needs_motivation(value) and _blank(answers.get(motivation_key(q.id))):
                return Step(q, motivation=True)
        return None

    def next_missing(self, answers: Mapping[str, Any],
                     case: Mapping[str, Any] | None = None) -> Step | None:
        """Return the first required answer or motivation still missing (None if complete)."""
        for key in self.checklist.missing(answers, case):
            qid, is_motivation = split_key(key)
            return Step(self.checklist.question(qid), is_motivation)
        return None

    def position(self, question: Question, answers: Mapping[str, Any],
                 case: Mapping[str, Any] | None = None) -> tuple[int, int]:
        """Return (number, total) of a question among those shown, for "fråga 3 av 24"."""
        shown = [q for q in self.checklist.visible_questions(answers, case) if not q.computed]
        ids = [q.id for q in shown]
        number = ids.index(question.id) + 1 if question.id in ids else 0
        return number, len(shown)

    def area_title(self, question: Question) -> str:
        """Return the title of the area a question belongs to."""
        for area in self.checklist.areas:
            if area.id == question.area_id:
                return area.title
        return question.area_id

    def stale(self, answers: Mapping[str, Any], case: Mapping[str, Any] | None = None) -> list[str]:
        """Return the stored keys that no longer apply: hidden questions, unneeded motivations.

        Keys the checklist does not know are left alone (not ours to judge).
        """
        shown = {q.id for q in self.checklist.visible_questions(answers, case)}
        out = []
        for key in answers:
            qid, is_motivation = split_key(key)
            try:
                q = self.checklist.question(qid)
            except KeyError:
                continue
            if qid not in shown:
                out.append(key)
            elif is_motivation and not q.needs_motivation(answers.get(qid)):
                out.append(key)
        return out

    def normalise(self, key: str, raw: Any) -> Any:
        """Return the storable value for an answer key (None = no answer); InputError if invalid."""
        qid, is_motivation = split_key(key)
        try:
            q = self.checklist.question(qid)
        except KeyError:
            raise InputError(f'Checklistan har ingen fråga "{qid}".') from None
        if is_motivation:
            text = "" if raw is None else str(raw).strip()
            if text:
                check_free_text(text)
            return text or None
        value = storable(q.coerce(raw))
        check_free_text(value)  # free text, and a number or choice that is one
        return value

    def summary(self, answers: Mapping[str, Any],
                case: Mapping[str, Any] | None = None) -> list[SummaryRow]:
        """Return one row per shown question (and per needed motivation), in order."""
        rows = []
        for q in self.checklist.visible_questions(answers, case):
            value = answers.get(q.id)
            area = self.area_title(q)
            rows.append(SummaryRow(
                q.id, q.id, area, q.text, None if _blank(value) else show_value(q, value),
                False, q.required and _blank(value) and not q.computed, q.computed,
            ))
            if q.needs_motivation(value):
                key = motivation_key(q.id)
                text = answers.get(key)
                rows.append(SummaryRow(
                    key, q.id, area, "Motivering",
                    None if _blank(text) else show_value(q, text), True, _blank(text),
                ))
        return rows

    # -- the store -------------------------------------------------------------

    def case_data(self, case_id: str) -> Mapping[str, Any]:
        """Return the case data of a case as expressions see them; read once per session.

        The stored ``arendedata`` from the frame, and ``alder`` and ``kon`` from
        the case's own age and sex (never from a personnummer, which is not stored).
        """
        if self._case_data is None:
            self._case_data = {c.case_id: case_values(c) for c in self.store.cases(self.audit.id)}
        return self._case_data.get(case_id, {})

    def case_header(self, case: Case) -> str | None:
        """Return the case data a reviewer sees above the questions, or None when there are none.

        The checklist's ``arendedata`` first, in its order, then any other case
        data stored with the case: ``inkom_datum 2024-03-15 · alder 9 · kon flicka``.
        """
        values = case_values(case)
        names = [*self.checklist.case_fields, *(n for n in values if n not in self.checklist.case_fields
                                                and n not in ("alder", "kon"))]
        parts = [f"{n} {_shown_case_value(values.get(n))}" for n in names]
        return "Ärendedata: " + " · ".join(parts) if parts else None

    def answers(self, case_id: str) -> dict[str, Any]:
        """Return the stored answers of a case."""
        return self.store.answers(self.audit.id, case_id)

    def read(self, case_id: str) -> Snapshot:
        """Return the stored answers of a case with their versions (one read)."""
        found = self.store.answer_versions(self.audit.id, case_id)
        if not found:
            self.store.answers(self.audit.id, case_id)  # InputError for an unknown case
        values = {k: a.value for (_c, k), a in sorted(found.items()) if a.value is not None}
        return Snapshot(values, {k: a.version for (_c, k), a in found.items()})

    def record(
        self, case_id: str, key: str, raw: Any, *, expected_version: int | None = None
    ) -> Recorded:
        """Validate and save one answer (None/blank deletes it); return what was done.

        The answer and the deletion of every answer it makes obsolete are
        committed together, before this returns.  ``expected_version`` is the
        version of ``key`` the reviewer saw (from :meth:`read`); if the stored
        one differs, :class:`~granskning.store.database.ConflictError` is raised and
        nothing is saved.  Without it, the version read here is used, which
        still catches a change made while this call runs.
        """
        refuse_computed(self.checklist, split_key(key)[0])
        value = self.normalise(key, raw)
        snapshot = self.read(case_id)
        current = snapshot.values
        after = dict(current)
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
        case = self.case_data(case_id)
        if value is not None:
            refuse_violations(self.checklist, after, case, key)
        computed = computed_changes(self.checklist, after, case)  # brings ``after`` up to date
        stale = self.stale(after, case)
        if value is not None and key in stale:
            qid, is_motivation = split_key(key)
            what = "svaret kräver ingen motivering" if is_motivation else "frågan visas inte"
            raise InputError(f"{key}: {what} med de svar som redan är givna.")
        removed = [k for k in stale if k in current and k != key]
        for k in removed:
            after.pop(k, None)
        computed = [(k, v) for k, v in computed
                    if k not in removed and (v is not None or k in current)]
        changes = [(case_id, key, value)] if (value is not None or key in current) else []
        changes += [(case_id, k, None) for k in removed]
        changes += [(case_id, k, v) for k, v in computed]
        if changes:
            seen = snapshot.version(key) if expected_version is None else expected_version
            expected = {(case_id, k): snapshot.version(k) for k in removed}
            expected.update({(case_id, k): snapshot.version(k) for k, _v in computed})
            expected[(case_id, key)] = seen
            self.store.set_answers(self.audit.id, changes, who=self.reviewer,
                                   expected_versions=expected)
        found = self.store.answer(self.audit.id, case_id, key)
        return Recorded(key, value, found.version if found else 0, tuple(removed),
                        tuple(computed))

    def conflict_text(self, conflict: Any, mine: Any) -> list[str]:
        """Return the lines that tell a reviewer someone else changed an answer.

        ``conflict`` is the :class:`~granskning.store.database.ConflictError`, ``mine``
        the value the reviewer tried to save (None = no answer).
        """
        qid, is_motivation = split_key(conflict.question_id)
        try:
            q = self.checklist.question(qid)
        except KeyError:
            q = None
        label = f"motiveringen till {qid}" if is_motivation else f"svaret på {qid}"

        def shown(value: Any) -> str:
            if value is None:
                return "(inget svar)"
            return show_value(q, value) if q is not None else str(value)

        who = conflict.changed_by or "någon annan"
        when = (f" {conflict.changed_at.astimezone().strftime('%Y-%m-%d %H:%M')}"
                if conflict.changed_at else "")
        what = "tagit bort" if conflict.current_value is None else "ändrat"
        return [
            f"{who} har {what} {label}{when}, efter att du läste det.",
            f"Det sparade svaret: {shown(conflict.current_value)}",
            f"Ditt svar: {shown(mine)}",
        ]

    def tidy(self, case_id: str) -> tuple[str, ...]:
        """Delete stored answers of a case that no longer apply; return their keys.

        Only needed for answers written outside a session (they are removed as
        they become obsolete otherwise).  Computed answers (``berakna``) are
        brought up to date at the same time, so opening a case computes them
        from its current answers and case data.
        """
        current = self.answers(case_id)
        after = dict(current)
        case = self.case_data(case_id)
        computed = computed_changes(self.checklist, after, case)
        removed = [k for k in self.stale(after, case) if k in current]
        changes = [(case_id, k, None) for k in removed]
        changes += [(case_id, k, v) for k, v in computed
                    if k not in removed and (v is not None or k in current)]
        if changes:
            self.store.set_answers(self.audit.id, changes, who=self.reviewer)
        return tuple(removed)

    def finish(self, case_id: str) -> None:
        """Mark a case as reviewed; InputError naming what is missing if it is not complete."""
        missing = self.checklist.missing(self.answers(case_id), self.case_data(case_id))
        if missing:
            raise InputError(
                f"Ärende {show_case_id(case_id)} kan inte markeras som granskat: "
                f"svar saknas på {', '.join(missing)}."
            )
        self.store.mark_done(self.audit.id, case_id, who=self.reviewer)


def case_values(case: Case) -> dict[str, Any]:
    """Return a case's data as checklists name them: its ``arendedata``, ``alder`` and ``kon``.

    The seam of every expression over a case: ``env = {**case_values, **answers}``.
    """
    return {**case.case_data, "alder": case.age, "kon": case.sex}


def _shown_case_value(value: Any) -> str:
    """Return a case value as the header shows it (decimal comma, – for missing)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return tal(value, 2).rstrip("0").rstrip(",")
    return pnr.scrub(str(value))


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    return False
