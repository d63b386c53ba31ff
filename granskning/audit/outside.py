"""Cases outside the population (``granskning utanfor``): find the case, mark it, bring in a reserve.

A drawn case often turns out to be outside the population the audit is about
(wrong age, wrong decision, a duplicate).  It is then neither an answer nor
non-response: the analysis counts it as examined and outside the domain, and
each stratum's estimated population size shrinks by the share found outside
(:mod:`granskning.analysis.tables`, docs/analys.md).  The case is replaced by
the next unused reserve of its stratum in draw order, given to the same
reviewer; the reserves were drawn for this, as the continuation of the same
random order, so the examined cases of a stratum stay a simple random sample.

The store does the writing (:meth:`granskning.store.database.Store.mark_outside`);
this module finds the case from what the coordinator has in hand (the
pseudonym, or the real case number through the unit's key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from granskning.audit.pseudonym import find_case

if TYPE_CHECKING:
    from granskning.store.database import Store
    from granskning.store.outside import OutsideResult

__all__ = ["find_case", "mark_outside"]


def mark_outside(
    store: Store,
    audit_id: int,
    case: str,
    reason: str,
    *,
    with_answers: bool = False,
    replace: bool = True,
    who: str | None = None,
) -> OutsideResult:
    """Mark ``case`` (pseudonym or real id) as outside the population; bring in its reserve.

    See :meth:`granskning.store.database.Store.mark_outside` for what is
    refused; nothing is written then.
    """
    store.audit(audit_id)  # "Granskning 9 finns inte" before anything about the case
    case_id = find_case(store, audit_id, case)
    return store.mark_outside(audit_id, case_id, reason, who=who, with_answers=with_answers,
                              replace=replace)
