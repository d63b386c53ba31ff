"""Computed questions and cross-field checks where answers are given (terminal and Excel).

The checklist says what is computed and checked (:mod:`granskning.checklist.computed`);
this module applies it to one case's answers at the three moments the issue names:
after each answer in a session (:meth:`granskning.answers.session.Session.record`),
when a case is opened (``Session.tidy``) and at Excel import
(:mod:`granskning.answers.excel`).  A computed value is stored like an answer, through
the same store call as the answer that changed it, so its history records the change
and who caused it; it is deleted (blank) when an input is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from granskning.checklist.model import Checklist
from granskning.errors import InputError

__all__ = ["computed_changes", "refuse_computed", "refuse_violations"]


def computed_changes(
    checklist: Checklist, answers: dict[str, Any], case: Mapping[str, Any] | None
) -> list[tuple[str, Any]]:
    """Return (key, new value or None) for each computed answer that is out of date.

    ``answers`` (the case's answers as they will be stored) is updated in place.
    """
    if not any(q.computed for q in checklist.questions):
        return []
    out: list[tuple[str, Any]] = []
    for key, value in checklist.computed(answers, case).items():
        if answers.get(key) != value:
            out.append((key, value))
            if value is None:
                answers.pop(key, None)
            else:
                answers[key] = value
    return out


def refuse_violations(
    checklist: Checklist, answers: Mapping[str, Any], case: Mapping[str, Any] | None, key: str
) -> None:
    """Raise InputError when an answer to ``key`` fails a check (``giltig_om``) that names it."""
    found = checklist.violations(answers, case, keys={key})
    if found:
        raise InputError("; ".join(message for _q, message in found) + ".")


def refuse_computed(checklist: Checklist, key: str) -> None:
    """Raise InputError when ``key`` is a computed question (never answered by hand)."""
    try:
        q = checklist.question(key)
    except KeyError:
        return
    if q.computed:
        raise InputError(f"{key} beräknas av verktyget ({q.calculation_text}) och besvaras inte.")
