"""Distribution of an audit's sampled cases among reviewers (``granskning tilldela``).

Two ways, both deterministic (the same cases and names give the same result):

* even (default): the cases are sorted by stratum and draw order and dealt out
  like cards, so every reviewer gets a share of every stratum;
* per stratum: whole strata go to reviewers, largest first to whoever has the
  fewest cases so far (the longest-processing-time rule), so counts balance.

Peer review (``kollegial``) never gives case workers their own cases.  Cases
already assigned stay where they are unless ``reassign``; a reviewed case
(status klar) never moves.  Reserve cases are not dealt out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning.errors import InputError
from granskning.store.database import Case, case_sort_key, known_spelling, same_name, show_case_id
from granskning.store.values import refuse_personnummer

if TYPE_CHECKING:
    from granskning.store.database import Store

NO_STRATUM = "(utan stratum)"


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    """How many cases one reviewer holds, in total and per stratum."""

    reviewer: str
    n_cases: int
    per_stratum: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class AssignmentResult:
    """What ``assign_cases`` did: cases newly given out, kept, and every reviewer's load."""

    audit_id: int
    n_assigned: int
    n_kept: int
    loads: tuple[ReviewerLoad, ...]


def parse_reviewers(text: str) -> list[str]:
    """Return the reviewer names in a comma-separated list such as ``"Anna,Bo,Cecilia"``."""
    names = [" ".join(part.split()) for part in str(text).split(",")]
    names = [n for n in names if n]
    if not names:
        raise InputError('Ange minst en granskare, t.ex. --granskare "Anna,Bo".')
    refuse_personnummer(names, "--granskare")  # a name is stored and printed beside every case
    seen: set[str] = set()
    for name in names:
        if name.casefold() in seen:
            raise InputError(f'Granskaren "{name}" står med två gånger i --granskare.')
        seen.add(name.casefold())
    return names


def same_person(a: str | None, b: str | None) -> bool:
    """Return True when two names are equal ignoring case and extra spaces."""
    return same_name(a, b)


def plan_assignment(
    cases: Sequence[Case],
    reviewers: Sequence[str],
    *,
    per_stratum: bool = False,
    peer: bool = False,
    reassign: bool = False,
) -> dict[str, str]:
    """Return case id -> reviewer for every case that is to be (re)assigned.

    Cases kept with their current reviewer are not in the result.
    """
    if not reviewers:
        raise InputError("Ange minst en granskare.")
    active = [c for c in cases if not c.reserve and not c.outside]
    if not active:
        raise InputError("Granskningen har inga ärenden (utöver reserver) att fördela.")
    if peer and not any(c.case_worker for c in active):
        raise InputError(
            "Kollegial granskning kräver att ärendena har handläggare (kolumnen case_worker), "
            "men inget ärende i granskningen har någon."
        )
    kept = [c for c in active if c.reviewer is not None and (c.status == "klar" or not reassign)]
    if peer:
        own = [c for c in kept if c.status != "klar" and same_person(c.reviewer, c.case_worker)]
        if own:
            raise InputError(
                f"Ärende {show_case_id(own[0].case_id)} är redan tilldelat sin egen handläggare "
                f"{own[0].reviewer}; kör med --om för att fördela om."
            )
    kept_ids = {c.case_id for c in kept}
    todo = sorted((c for c in active if c.case_id not in kept_ids), key=case_sort_key)
    load = Counter({r: 0 for r in reviewers})
    for c in kept:
        if c.reviewer in load:
            load[c.reviewer] += 1
    if per_stratum:
        return _by_stratum(todo, kept, reviewers, load, peer)
    return _even(todo, reviewers, load, peer)


def _eligible(case: Case, reviewers: Sequence[str], peer: bool) -> list[str]:
    if not peer:
        return list(reviewers)
    return [r for r in reviewers if not same_person(r, case.case_worker)]


def _even(todo: list[Case], reviewers: Sequence[str], load: Counter, peer: bool) -> dict[str, str]:
    # Round-robin: the next reviewer in turn among those with the fewest cases.
    # With equal starting loads and no exclusions this is plain dealing.
    out: dict[str, str] = {}
    turn = 0
    n = len(reviewers)
    for case in todo:
        eligible = set(_eligible(case, reviewers, peer))
        if not eligible:
            raise InputError(
                f"Ärende {show_case_id(case.case_id)} handläggs av {case.case_worker}, som är "
                "den enda granskaren; lägg till fler granskare för kollegial granskning."
            )
        fewest = min(load[r] for r in eligible)
        for k in range(n):
            candidate = reviewers[(turn + k) % n]
            if candidate in eligible and load[candidate] == fewest:
                break
        out[case.case_id] = candidate
        load[candidate] += 1
        turn = (reviewers.index(candidate) + 1) % n
    return out


def _by_stratum(
    todo: list[Case],
    kept: list[Case],
    reviewers: Sequence[str],
    load: Counter,
    peer: bool,
) -> dict[str, str]:
    groups: dict[str, list[Case]] = {}
    for case in todo:
        groups.setdefault(case.stratum or NO_STRATUM, []).append(case)
    out: dict[str, str] = {}

    def fits(reviewer: str, group: list[Case]) -> bool:
        return not peer or not any(same_person(reviewer, c.case_worker) for c in group)

    # A stratum partly assigned already stays with the reviewer holding most of it.
    fresh: list[str] = []
    for stratum, group in groups.items():
        held = Counter(
            c.reviewer for c in kept if (c.stratum or NO_STRATUM) == stratum and c.reviewer in load
        )
        holder = max(held, key=lambda r: (held[r], -reviewers.index(r)), default=None)
        if holder is not None and fits(holder, group):
            for c in group:
                out[c.case_id] = holder
            load[holder] += len(group)
        else:
            fresh.append(stratum)
    # Largest stratum first, each to the eligible reviewer with the fewest cases.
    for stratum in sorted(fresh, key=lambda s: (-len(groups[s]), s)):
        group = groups[stratum]
        eligible = [r for r in reviewers if fits(r, group)]
        if not eligible:
            raise InputError(
                f'Stratumet "{stratum}" kan inte ges till en enda granskare utan att någon '
                "granskar sina egna ärenden. Lägg till granskare eller fördela utan --per-stratum."
            )
        chosen = min(eligible, key=lambda r: (load[r], reviewers.index(r)))
        for c in group:
            out[c.case_id] = chosen
        load[chosen] += len(group)
    return out


def reviewer_loads(
    cases: Sequence[Case], reviewers: Sequence[str] = ()
) -> tuple[ReviewerLoad, ...]:
    """Return each reviewer's number of cases, in total and per stratum.

    Reviewers named in ``reviewers`` come first in that order (also with zero
    cases), then anyone else holding cases, alphabetically.
    """
    per: dict[str, Counter] = {r: Counter() for r in reviewers}
    for c in cases:
        if c.reviewer is not None and not c.outside:
            per.setdefault(c.reviewer, Counter())[c.stratum or NO_STRATUM] += 1
    others = sorted(r for r in per if r not in reviewers)
    return tuple(
        ReviewerLoad(r, sum(per[r].values()), tuple(sorted(per[r].items())))
        for r in [*reviewers, *others]
    )


def assign_cases(
    store: Store,
    audit_id: int,
    reviewers: Sequence[str],
    *,
    per_stratum: bool = False,
    peer: bool = False,
    reassign: bool = False,
    who: str | None = None,
) -> AssignmentResult:
    """Plan and store the assignment of an audit's cases; return the resulting loads.

    ``who`` signs the assignments in the history (default: the acting user).
    """
    cases = store.cases(audit_id)
    known = {c.reviewer for c in cases}  # "anna" is the Anna who already has cases
    reviewers = [known_spelling(r, known) for r in reviewers]
    planned = plan_assignment(
        cases, reviewers, per_stratum=per_stratum, peer=peer, reassign=reassign
    )
    current = {c.case_id: c.reviewer for c in cases}
    changes = {cid: r for cid, r in planned.items() if current[cid] != r}
    if changes:
        store.assign(audit_id, changes, who=who)
    after = store.cases(audit_id)
    n_active = sum(1 for c in after if not c.reserve and not c.outside)
    return AssignmentResult(
        audit_id=audit_id,
        n_assigned=len(planned),
        n_kept=n_active - len(planned),
        loads=reviewer_loads(after, reviewers),
    )
