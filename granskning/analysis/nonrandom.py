"""An analysis of cases that were not drawn at random: counts and shares only.

A hand-picked sample (:mod:`granskning.audit.handpicked`) supports no claim on
the population: an interval, a margin of error, a test between strata or a
design-based estimate would all assume a random draw.  :func:`without_inference`
keeps the tables, counts and shares of the examined cases and removes the rest,
so that every output (``analys`` text, JSON and workbook, the report's PDF and
workbook) has nothing of the kind to print; :data:`NO_CLAIM` is the sentence
each of them prints instead.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.proportions import Proportion

__all__ = ["NO_CLAIM", "no_claim", "without_inference"]

NO_CLAIM = ("Ärendena valdes ut för hand och drogs inte slumpmässigt. Resultaten gäller bara de "
            "granskade ärendena: granskningen gör inget anspråk på att beskriva populationen, och "
            "ingen felmarginal, inga konfidensintervall, inga tester och ingen designbaserad "
            "skattning redovisas.")


def no_claim(record: dict[str, Any] | None) -> str:
    """Return the sentence an output prints instead of intervals (cases added by hand or hand-picked)."""
    added = (record or {}).get("tillagda_for_hand")
    if not added:
        return NO_CLAIM
    return (f"Urvalet drogs slumpmässigt, men {antal(added, 'ärende')} lades till för hand och har "
            "ingen urvalsvikt, så urvalet som helhet är inte slumpmässigt. "
            + NO_CLAIM[NO_CLAIM.index("Resultaten"):])


def _bare(p: Proportion) -> Proportion:
    return replace(p, low=math.nan, high=math.nan)


def without_inference(analysis: Analysis) -> Analysis:
    """Return the analysis with counts and shares only, marked as not a random sample."""
    tables = {q: replace(t, homogeneity=None) for q, t in analysis.tables.items()}
    indicators = {}
    for q, ind in analysis.indicators.items():
        r = ind.result
        result = replace(r, overall=_bare(r.overall),
                         per_stratum={k: _bare(p) for k, p in r.per_stratum.items()},
                         homogeneity=None, estimate=None, gender=None)
        indicators[q] = replace(ind, result=result, funnel=None)
    return replace(analysis, tables=tables, indicators=indicators, bands=None, sex_words=None,
                   has_population=False, random_sample=False)
