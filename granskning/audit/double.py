"""Double reading (dubbelgranskning): a share of the cases read twice, independently.

REDCap calls it double data entry; the peer review of seed 003 is the same idea.  Three
steps, each one library function behind one command:

* :func:`double_read` (``granskning dubbelgranska``): choose a share of the assigned
  cases and give each a second reader, never the first reader and never the case's own
  case worker.  The cases are chosen in a reproducible random order: by the SHA-256 of
  the audit id and the case id, so the same audit always picks the same cases first.
* :func:`agreement` (``granskning jamfor``): per question, the percent agreement and
  (for Ja/Nej and one-choice questions) Cohen's κ with its confidence interval
  (:mod:`granskning.analysis.agreement`), and the list of disagreements.
* :func:`settle_answer` (``granskning avgor``): the coordinator's decision on a
  disagreement; the analysis then uses it in place of the first reading.

Only pairs where both readings are finished (klar) are compared, and never a case found
outside the population (``granskning utanfor``).  Free-text questions
and motivations are not compared (two people never write the same words).  A question
answered in one reading and not in the other (a skip condition read differently) is a
disagreement but is not in κ, which needs an answer from both.  Until a disagreement is
settled the analysis uses the first reading, and says how many are unsettled.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.analysis.agreement import Kappa, cohen_kappa
from granskning.audit.assignment import same_person
from granskning.errors import InputError
from granskning.fmt import heltal
from granskning.secrecy import find_personnummer
from granskning.store.values import show_case_id
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.checklist.model import Checklist, Question
    from granskning.store.database import Case, Store

__all__ = [
    "MIN_PAIRS_FOR_INTERVAL",
    "Agreement",
    "Disagreement",
    "DoubleResult",
    "QuestionAgreement",
    "agreement",
    "double_read",
    "plan_double",
    "second_reading_hint",
    "settle_answer",
    "unsettled_count",
]


# κ's interval is a large-sample approximation: with fewer pairs than this it is not shown
# (with one pair it can even be 0 wide).  Fleiss, Levin & Paik (2003, ch. 18) ask for "large"
# samples; 10 is this tool's floor, not a published rule.
MIN_PAIRS_FOR_INTERVAL = 10


@dataclass(frozen=True, slots=True)
class DoubleResult:
    """What :func:`double_read` did: new second readings, all of them, and who reads how many."""

    audit_id: int
    n_new: int
    n_total: int
    n_cases: int
    loads: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class QuestionAgreement:
    """Agreement on one question over the finished pairs."""

    question_id: str
    text: str
    kappa: Kappa | None  # None: not a choice question (percent agreement only)
    n: int  # pairs where both readings answered
    agree: int
    one_sided: int  # pairs where only one reading answered

    @property
    def interval(self) -> tuple[float, float] | None:
        """Return κ's confidence interval, or None (no κ, or too few pairs to trust one)."""
        k = self.kappa
        if k is None or k.kappa is None or k.low is None or k.high is None \
                or self.n < MIN_PAIRS_FOR_INTERVAL:
            return None
        return (k.low, k.high)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One question of one case where the two readings differ."""

    case_id: str
    question_id: str
    text: str
    first: Any
    second: Any
    first_reader: str | None
    second_reader: str
    settled: bool
    settled_value: Any = None
    settled_by: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement between the two readings of an audit."""

    audit_id: int
    n_pairs: int  # double-read cases where both readings are finished
    n_waiting: int  # double-read cases where at least one reading is not finished
    questions: tuple[QuestionAgreement, ...]
    disagreements: tuple[Disagreement, ...]

    @property
    def unsettled(self) -> int:
        return sum(not d.settled for d in self.disagreements)


# -- choosing the cases ---------------------------------------------------------


def _order(audit_id: int, case_id: str) -> str:
    return hashlib.sha256(f"{audit_id}\x1f{case_id}".encode()).hexdigest()


def plan_double(
    audit_id: int,
    cases: Sequence[Case],
    current: dict[str, str],
    share: float,
    reviewers: Sequence[str],
) -> dict[str, str]:
    """Return case id -> second reader for the cases to add so that ``share`` are read twice.

    ``current`` maps the cases already read twice to their second reader.  The share is of
    the assigned cases (reserves not in use and cases outside the population do not count),
    rounded up; cases already read twice count towards it.
    """
    if not 0 < share <= 1:
        raise InputError("Andelen som ska dubbelgranskas ska vara över 0 och högst 100 %.")
    pool = [c for c in cases if c.reviewer is not None and not getattr(c, "outside", False)]
    if not pool:
        raise InputError(f"Granskning {audit_id} har inga tilldelade ärenden att dubbelgranska "
                         "(granskning tilldela först).")
    if not reviewers:
        raise InputError("Ange minst en granskare för den andra läsningen.")
    wanted = math.ceil(share * len(pool) - 1e-9)
    todo = sorted((c for c in pool if c.case_id not in current),
                  key=lambda c: _order(audit_id, c.case_id))
    load = Counter({r: 0 for r in reviewers})
    for name in current.values():
        for r in reviewers:
            if same_person(r, name):
                load[r] += 1
    out: dict[str, str] = {}
    for case in todo:
        if len(current) + len(out) >= wanted:
            break
        eligible = [r for r in reviewers
                    if not same_person(r, case.reviewer) and not same_person(r, case.case_worker)]
        if not eligible:
            continue  # e.g. the only other reviewer is this case's case worker
        chosen = min(eligible, key=lambda r: (load[r], reviewers.index(r)))
        out[case.case_id] = chosen
        load[chosen] += 1
    if len(current) + len(out) < wanted:
        raise InputError(
            f"Bara {heltal(len(current) + len(out))} av {antal(wanted, 'ärende')} som ska dubbelgranskas kan få "
            "en andra läsare som varken är den första granskaren eller handläggaren; "
            "ange fler granskare med --granskare."
        )
    return out


def double_read(
    store: Store,
    audit_id: int,
    share: float,
    reviewers: Sequence[str] | None = None,
    *,
    who: str | None = None,
) -> DoubleResult:
    """Give second readers to ``share`` of the audit's assigned cases; return the result.

    ``reviewers`` default to everyone who holds cases in the audit.
    """
    cases = store.cases(audit_id)
    current = {r.case_id: r.reviewer for r in store.second_readings(audit_id)}
    known = sorted({c.reviewer for c in cases if c.reviewer is not None}, key=str.casefold)
    if not reviewers:
        reviewers = known
    # A name as tilldela stored it ("anna" given as "Anna"): one person, one spelling (on
    # PostgreSQL the spelling is the login that row-level security compares with).
    reviewers = [next((k for k in known if same_person(k, r)), r) for r in reviewers]
    planned = plan_double(audit_id, cases, current, share, list(reviewers))
    if planned:
        store.assign_second(audit_id, planned, who=who)
    after = store.second_readings(audit_id)
    loads = Counter(r.reviewer for r in after)
    pool = sum(1 for c in cases if c.reviewer is not None and not getattr(c, "outside", False))
    return DoubleResult(audit_id, len(planned), len(after), pool,
                        tuple(sorted(loads.items(), key=lambda kv: kv[0].casefold())))


# -- comparing the readings -------------------------------------------------------


def compared_questions(checklist: Checklist) -> list[Question]:
    """Return the questions the readings are compared on: all but free text."""
    return [q for q in checklist.questions if not q.answer_type.free_text]


def _same_answer(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return a == b


def agreement(store: Store, audit_id: int, checklist: Checklist,
              confidence: float = 0.95) -> Agreement:
    """Return the agreement between the two readings of audit ``audit_id``."""
    cases = {c.case_id: c for c in store.cases(audit_id)}
    readings = store.second_readings(audit_id)
    first = store.answer_versions(audit_id)
    second = store.second_answer_versions(audit_id)
    settled = {(s.case_id, s.question_id): s for s in store.settlements(audit_id)}
    # A case found outside the population is not analysed, so its readings are not compared.
    readings = [r for r in readings
                if r.case_id in cases and not getattr(cases[r.case_id], "outside", False)]
    pairs = [r for r in readings if r.status == "klar" and cases[r.case_id].status == "klar"]
    questions, disagreements = [], []
    for q in compared_questions(checklist):
        both, one_sided = [], 0
        for r in pairs:
            key = (r.case_id, q.id)
            a = first[key].value if key in first else None
            b = second[key].value if key in second else None
            if a is None and b is None:
                continue
            if a is not None and b is not None:
                both.append((a, b))
            else:
                one_sided += 1
            if not _same_answer(a, b):
                disagreements.append(_disagreement(r, cases, q, a, b, settled.get(key)))
        kappa = cohen_kappa(both, confidence) if q.answer_type.has_choices \
            and not q.answer_type.multiple else None
        agree = sum(_same_answer(a, b) for a, b in both)
        questions.append(QuestionAgreement(q.id, q.text, kappa, len(both), agree, one_sided))
    order = {q.id: i for i, q in enumerate(checklist.questions)}
    return Agreement(audit_id, len(pairs), len(readings) - len(pairs), tuple(questions),
                     tuple(sorted(disagreements, key=lambda d: (d.case_id, order[d.question_id]))))


def _disagreement(reading: Any, cases: dict[str, Case], q: Question, a: Any, b: Any,
                  settlement: Any) -> Disagreement:
    current = (settlement is not None and _same_answer(settlement.first_value, a)
               and _same_answer(settlement.second_value, b))
    return Disagreement(
        reading.case_id, q.id, q.text, a, b, cases[reading.case_id].reviewer, reading.reviewer,
        current, settlement.value if current else None,
        settlement.settled_by if current else None,
    )


def unsettled_count(store: Store, audit_id: int, checklist: Checklist) -> int:
    """Return how many disagreements between two readings are not settled (0 if none)."""
    if not store.second_readings(audit_id):
        return 0
    return agreement(store, audit_id, checklist).unsettled


# -- settling -------------------------------------------------------------------------


def settle_answer(store: Store, audit_id: int, checklist: Checklist, case_id: str,
                  question_id: str, answer: str | None, *, who: str | None = None) -> Disagreement:
    """Record the coordinator's answer to a disagreement; return it as now settled.

    ``answer`` is checked as an answer to the question (a choice matched without regard
    to case); None or an empty text settles it as "no answer".  Refused when the two
    readings of that question agree or are not both finished.
    """
    try:
        q = checklist.question(question_id)
    except KeyError:
        raise InputError(f'Checklistan har ingen fråga "{question_id}".') from None
    found = agreement(store, audit_id, checklist)
    match = [d for d in found.disagreements if d.case_id == case_id and d.question_id == q.id]
    if not match:
        reading = {r.case_id for r in store.second_readings(audit_id)}
        why = ("läses inte två gånger" if case_id not in reading
               else "har ingen skillnad mellan läsningarna på den frågan (eller är inte klart "
                    "i båda läsningarna)")
        raise InputError(f"Ärendet {show_case_id(case_id)} {why}; inget att avgöra för {q.id}.")
    text = None if answer is None or not str(answer).strip() else str(answer).strip()
    value = None
    if text is not None:
        value = q.coerce(text)
        if find_personnummer(str(value)):
            raise InputError("Svaret innehåller ett personnummer; skriv det utan.")
    d = match[0]
    store.settle(audit_id, case_id, q.id, value, first=d.first, second=d.second, who=who)
    return Disagreement(d.case_id, d.question_id, d.text, d.first, d.second, d.first_reader,
                        d.second_reader, True, value, who)


def second_reading_hint(store: Store, audit_id: int, reviewer: str) -> str | None:
    """Return the line that tells a reviewer of second readings waiting for them, or None."""
    waiting = [r for r in store.second_readings(audit_id)
               if r.status != "klar" and same_person(r.reviewer, reviewer)]
    if not waiting:
        return None
    return (f"Du har {antal(len(waiting), 'ärende')} att läsa en andra gång i dubbelgranskningen: "
            f"granskning kontroll --granskning {audit_id} --andra-lasning")
