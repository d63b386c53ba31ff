"""How far an audit has come (``granskning status``): per reviewer and per stratum.

Every case of the audit is in exactly one of these groups:

* **klar** (done): its assignment has status klar;
* **påbörjad** (begun): at least one stored answer, not klar;
* **orörd** (untouched): no answer and not klar;
* apart, and in none of the three: **reserves not in use** (a reserve case with no
  reviewer and no answers) and **cases outside the population** (marked with
  ``granskning utanfor``; counted when the store records them).

A case that nobody has been assigned yet is counted under "Ej tilldelade".  A case
read twice (double reading) is counted by its first reading; the second readings are
counted apart (done and given out).
The oldest untouched case is the untouched, assigned case with the earliest
assignment time; its age is counted in whole calendar days (local time) from
the day it was assigned to ``today``.  Reviewer names are matched ignoring case
and extra spaces (``anna`` is ``Anna``), as everywhere in granskning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from granskning.audit.assignment import NO_STRATUM, same_person
from granskning.errors import InputError

if TYPE_CHECKING:
    from granskning.store.database import Case, Store

__all__ = ["AuditStatus", "Counts", "Oldest", "ReviewerStatus", "audit_status", "name_key"]

UNASSIGNED = "Ej tilldelade"


def name_key(name: str) -> str:
    """Return the key two spellings of one reviewer's name share.

    >>> name_key("  Anna  Ek ") == name_key("anna ek")
    True
    """
    return " ".join(name.casefold().split())


@dataclass(slots=True)
class Counts:
    """Cases done, begun and untouched (reserves not in use and outside cases apart)."""

    done: int = 0
    begun: int = 0
    untouched: int = 0
    reserves: int = 0
    outside: int = 0

    @property
    def total(self) -> int:
        """Return the cases to review: done + begun + untouched."""
        return self.done + self.begun + self.untouched

    @property
    def share_done(self) -> float | None:
        """Return done / total as a fraction (None when there is nothing to review)."""
        return self.done / self.total if self.total else None

    def add(self, group: str) -> None:
        setattr(self, group, getattr(self, group) + 1)


@dataclass(frozen=True, slots=True)
class Oldest:
    """The oldest untouched case: whose it is, when it was assigned and how many days ago."""

    reviewer: str
    case_id: str
    assigned_at: datetime
    days: int


@dataclass(slots=True)
class ReviewerStatus:
    """One reviewer's cases, in total and per stratum, and their oldest untouched one."""

    reviewer: str
    counts: Counts = field(default_factory=Counts)
    per_stratum: dict[str, Counts] = field(default_factory=dict)
    oldest: Oldest | None = None


@dataclass(frozen=True, slots=True)
class AuditStatus:
    """The progress of one audit (see the module docstring for the groups)."""

    audit_id: int
    title: str
    today: date
    reviewers: tuple[ReviewerStatus, ...]
    unassigned: Counts
    strata: tuple[tuple[str, Counts], ...]
    total: Counts
    oldest: Oldest | None
    outside_known: bool
    second_done: int = 0  # double reading: second readings done (status klar)
    second_total: int = 0  # double reading: second readings given out


def group_of(case: Case, n_answers: int) -> str:
    """Return which count a case belongs to: done, begun, untouched, reserves or outside."""
    if getattr(case, "outside", False):
        return "outside"
    if case.status == "klar":
        return "done"
    if case.reserve and case.reviewer is None and n_answers == 0:
        return "reserves"
    return "begun" if n_answers > 0 else "untouched"


def audit_status(
    store: Store, audit_id: int, *, reviewer: str | None = None, today: date | None = None
) -> AuditStatus:
    """Return the progress of audit ``audit_id`` (only ``reviewer``'s cases when given)."""
    audit = store.audit(audit_id)
    cases = store.cases(audit_id)
    counts = store.answer_counts(audit_id)
    times = store.assignment_times(audit_id)
    today = today or date.today()
    if reviewer is not None:
        mine = [c for c in cases if same_person(c.reviewer, reviewer)]
        if not mine:
            raise InputError(_nobody(reviewer, audit_id, cases))
        cases = mine
    people: dict[str, ReviewerStatus] = {}
    unassigned, total = Counts(), Counts()
    strata: dict[str, Counts] = {}
    for case in cases:
        group = group_of(case, counts.get(case.case_id, 0))
        stratum = case.stratum or NO_STRATUM
        total.add(group)
        strata.setdefault(stratum, Counts()).add(group)
        if case.reviewer is None:
            unassigned.add(group)
            continue
        person = people.setdefault(name_key(case.reviewer), ReviewerStatus(case.reviewer))
        person.counts.add(group)
        person.per_stratum.setdefault(stratum, Counts()).add(group)
        if group == "untouched" and case.case_id in times:
            person.oldest = _older(person.oldest, case, times[case.case_id], today)
    seconds = [r for r in store.second_readings(audit_id)
               if reviewer is None or same_person(r.reviewer, reviewer)]
    reviewers = tuple(sorted(people.values(), key=lambda r: name_key(r.reviewer)))
    candidates = [r.oldest for r in reviewers if r.oldest is not None]
    oldest = min(candidates, key=lambda o: (o.assigned_at, o.case_id), default=None)
    return AuditStatus(
        audit_id=audit_id,
        title=audit.title,
        today=today,
        reviewers=reviewers,
        unassigned=unassigned,
        strata=tuple(sorted(strata.items())),
        total=total,
        oldest=oldest,
        outside_known=bool(cases) and hasattr(cases[0], "outside"),
        second_done=sum(r.status == "klar" for r in seconds),
        second_total=len(seconds),
    )


def _older(current: Oldest | None, case: Case, assigned_at: datetime, today: date) -> Oldest:
    if current is not None and (current.assigned_at, current.case_id) <= (
        assigned_at, case.case_id
    ):
        return current
    days = (today - assigned_at.astimezone().date()).days
    return Oldest(case.reviewer or "", case.case_id, assigned_at, max(days, 0))


def _nobody(reviewer: str, audit_id: int, cases: list[Case]) -> str:
    names = sorted({c.reviewer for c in cases if c.reviewer is not None}, key=name_key)
    if not names:
        return f"Granskning {audit_id} har inga tilldelade ärenden ännu (granskning tilldela)."
    return (
        f'"{reviewer}" har inga ärenden i granskning {audit_id}. '
        f"Ärenden har: {', '.join(names)}."
    )
