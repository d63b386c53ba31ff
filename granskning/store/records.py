"""The records the store hands out: audits, cases, answers, progress, schema steps.

Also the checks on names and case ids shared by the store's modules, and the
conflict raised when an answer changed since the caller read it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from granskning.errors import StoreError
from granskning.personnummer import number as pnr
from granskning.store.values import decode, refuse_personnummer, required_text, show_case_id

__all__ = [
    "APPEND_ONLY_MESSAGE",
    "MAX_AUDIT_ID",
    "OUTSIDE_TOOL",
    "Answer",
    "Audit",
    "Case",
    "ConflictError",
    "IntegrityStoreError",
    "Progress",
    "SchemaStep",
    "answer_of",
    "audit_of",
    "case_sort_key",
    "known_spelling",
    "looks_like_personnummer",
    "person",
    "same_name",
]

PNR_SHAPE = re.compile(r"(\d{2})?\d{6}[-+]?\d{4}")
MAX_AUDIT_ID = 2**31 - 1  # audits.id is a 32-bit INTEGER on PostgreSQL
# The history triggers (granskning.store.migrations) refuse a change with this message
# and sign a history row written by SQL directly with this tool_version.
APPEND_ONLY_MESSAGE = "Historiken kan bara utökas: rader får inte ändras eller tas bort."
OUTSIDE_TOOL = "utanför granskning"


@dataclass(frozen=True, slots=True)
class Audit:
    """An audit (granskning) or internal-control round and its sample record."""

    id: int
    title: str
    kind: str
    protocol_text: str | None
    checklist_id: str | None
    checklist_version: str | None
    checklist_sha256: str | None
    sample_record: dict[str, Any]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Case:
    """A sampled case with its assignment (reviewer and status, if assigned)."""

    audit_id: int
    case_id: str
    stratum: str | None
    sex: str | None
    age: int | None
    design_weight: float | None
    inclusion_probability: float | None
    draw_order: int | None
    reserve: bool
    case_worker: str | None
    reviewer: str | None
    status: str | None
    finished_at: datetime | None
    # The case data from the frame (``arendedata``): name -> ISO date text, number or text.
    case_data: Mapping[str, Any] = field(default_factory=dict, compare=False)
    outside_reason: str | None = None  # set: found outside the population (granskning utanfor)
    replaces: str | None = None  # a reserve brought in: the case it replaced

    @property
    def outside(self) -> bool:
        """Return True for a case marked as outside the population."""
        return self.outside_reason is not None


@dataclass(frozen=True, slots=True)
class Answer:
    """The stored answer to one question; ``value`` is None when it was deleted."""

    question_id: str
    value: Any
    version: int
    changed_at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True)
class Progress:
    """Cases done and cases in total; unpacks as ``done, total``."""

    done: int
    total: int

    def __iter__(self) -> Iterator[int]:
        yield self.done
        yield self.total


@dataclass(frozen=True, slots=True)
class SchemaStep:
    """A schema migration; ``applied_at`` is None while it is pending."""

    version: int
    description: str
    applied_at: datetime | None = None
    tool_version: str | None = None


class ConflictError(StoreError):
    """The answer changed since the caller read it (optimistic concurrency)."""

    def __init__(
        self,
        *,
        case_id: str,
        question_id: str,
        expected_version: int,
        current: Answer | None,
    ) -> None:
        self.case_id = case_id
        self.question_id = question_id
        self.expected_version = expected_version
        self.current_version = current.version if current else 0
        self.current_value = current.value if current else None
        self.changed_by = current.changed_by if current else None
        self.changed_at = current.changed_at if current else None
        where = f'Svaret på fråga "{question_id}" i ärende {show_case_id(case_id)}'
        if current is None:
            text = f"{where} finns inte (du utgick från version {expected_version})."
        else:
            what = "har tagits bort" if current.value is None else "har ändrats"
            when = current.changed_at.astimezone().strftime("%Y-%m-%d %H:%M")
            text = (
                f"{where} {what} av {current.changed_by} {when} "
                f"(version {current.version}, du utgick från version {expected_version})."
            )
        super().__init__(text)


class IntegrityStoreError(StoreError):
    """A constraint violation; set_answer turns a racing insert into a conflict."""


def case_sort_key(case: Case) -> tuple[Any, ...]:
    """Return the canonical order of cases: reserve last, then stratum, draw order, id."""
    order = case.draw_order if case.draw_order is not None else math.inf
    return (case.reserve, case.stratum or "", order, case.case_id)


def audit_of(row: Any) -> Audit:
    """Return the Audit of an ``audits`` row."""
    return Audit(
        id=row.id,
        title=row.title,
        kind=row.kind,
        protocol_text=row.protocol_text,
        checklist_id=row.checklist_id,
        checklist_version=row.checklist_version,
        checklist_sha256=row.checklist_sha256,
        sample_record=json.loads(row.sample_record),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def person(name: Any, what: str) -> str:
    """Return a user name as stored in the history; a personnummer as name is refused."""
    name = required_text(name, what)
    refuse_personnummer(name, f"namnet ({what})")
    return name


def same_name(a: str | None, b: str | None) -> bool:
    """Return True when two person names are equal ignoring case and extra spaces."""
    if a is None or b is None:
        return False
    return a.casefold().split() == b.casefold().split()


def known_spelling(name: str, known: Any) -> str:
    """Return the spelling of ``name`` already in ``known`` (case and spaces ignored), else ``name``.

    Reviewer names are matched this way everywhere: "anna" finds Anna's cases and
    assigning to "anna" keeps the stored "Anna", so one person never becomes two.
    """
    for other in sorted(n for n in known if n is not None):
        if same_name(name, other):
            return other
    return name


def looks_like_personnummer(case_id: str) -> bool:
    """Return True for a case id that holds a personnummer in any typed form."""
    text = case_id.replace(" ", "")
    return (bool(PNR_SHAPE.fullmatch(text)) and pnr.is_valid(text)) or bool(
        pnr.find_personnummer(case_id))


def answer_of(row: Any) -> Answer:
    """Return the Answer of an ``answers`` row."""
    return Answer(row.question_id, decode(row.value), row.version, row.changed_at, row.changed_by)
