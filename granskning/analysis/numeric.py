"""Numeric answers (``tal``, answered or computed): summaries, the design-based mean, small strata.

Per stratum and overall, :func:`numeric_analysis` gives the number of cases with
a value and without, the mean, standard deviation, median, quartiles, minimum
and maximum.  Quartiles and median follow R's ``quantile(type = 7)`` (numpy's
default ``"linear"``; Excel's KVARTIL.INK): the p-quantile of n sorted values is
``x[h] + (h − ⌊h⌋)(x[h+1] − x[h])`` with ``h = (n − 1)p`` (0-based), the
definition most readers will reproduce in Excel.

With population sizes the mean also gets its design-based estimate: the
stratified estimator of :func:`granskning.analysis.estimation.stratified_estimate`
(``granskning skatta``'s; weights N_h/n_h, finite population correction,
cases without a value outside the domain, as R's ``svymean(..., na.rm = TRUE)``)
with its standard error and Wald interval; per stratum the same estimator on
that stratum alone (R's ``svyby(~y, ~h, design, svymean, na.rm = TRUE)``).  A
standard error from a single value is not estimated, and every output says so
in words instead of printing a missing number.

:func:`numeric_mask` is the small-cell rule of ``--maskera-under`` for these
summaries (see ``docs/undertryckning.md``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.analysis.estimation import Estimate, parse_numbers, stratified_estimate
from granskning.fmt import tal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from granskning.checklist.model import Question
    from granskning.checklist.threshold import Threshold

__all__ = [
    "QUANTILE_RULE",
    "show",
    "NumberSummary",
    "NumericAnalysis",
    "NumericMask",
    "numeric_analysis",
    "numeric_mask",
    "summarise",
]

QUANTILE_RULE = (
    "typ 7: linjär interpolation mellan de sorterade värdena, som R:s quantile(type = 7) "
    "och Excels KVARTIL.INK"
)
NO_POPULATION = "populationsstorlekarna är inte kända"
ONE_VALUE = "standardfelet kan inte skattas från ett enda värde"
NO_VALUE = "inga värden"


@dataclass(frozen=True, slots=True)
class NumberSummary:
    """The numbers of one stratum (or all of them): counts, location, spread, the design-based mean."""

    n: int  # cases with a value
    missing: int  # cases without one
    mean: float
    sd: float  # sample standard deviation (n − 1); NaN below two values
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    estimate: Estimate | None = None  # the design-based mean (None without population sizes)
    no_estimate: str | None = None  # why there is no standard error or interval, in Swedish

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "saknas": self.missing,
            "medel": _num(self.mean),
            "standardavvikelse": _num(self.sd),
            "median": _num(self.median),
            "nedre_kvartil": _num(self.q1),
            "ovre_kvartil": _num(self.q3),
            "min": _num(self.minimum),
            "max": _num(self.maximum),
            "skattning": None,
            "ingen_skattning": self.no_estimate,
        }
        e = self.estimate
        if e is not None:
            out["skattning"] = {
                "medel": _num(e.estimate),
                "standardfel": _num(e.se),
                "ki": [_num(e.low), _num(e.high)],
                "konfidensniva": 1 - e.alpha,
                "designeffekt": _num(e.deff),
                "frihetsgrader": int(e.df),
                "N": _num(e.population),
            }
        return out


@dataclass(frozen=True, slots=True)
class NumericAnalysis:
    """One numeric question: its summary per stratum and overall, and its threshold (``troskel``)."""

    question: str
    text: str
    per_stratum: dict[str, NumberSummary]
    overall: NumberSummary
    threshold: Threshold | None
    values: dict[
        str, tuple[float, ...]
    ]  # the values per stratum, for the charts only (never written)
    integers: bool  # every value is a whole number

    def to_json_dict(self) -> dict[str, Any]:
        t = self.threshold
        return {
            "fraga": self.question,
            "text": self.text,
            "kvartilmetod": QUANTILE_RULE,
            "troskel": {"uttryck": t.text, "ord": t.words} if t is not None else None,
            "totalt": self.overall.to_json_dict(),
            "per_stratum": {k: s.to_json_dict() for k, s in self.per_stratum.items()},
        }

    def rows(self, total_label: str) -> list[tuple[str, NumberSummary]]:
        """Return (stratum, summary) for every stratum, then (total_label, overall)."""
        return [*self.per_stratum.items(), (total_label, self.overall)]


def show(x: float) -> str:
    """Return a median, quartile or extreme as the reader writes it: ``29``, ``29,5``, ``555,25``."""
    if x is None or math.isnan(x):
        return "–"
    if float(x).is_integer():
        return tal(int(x), 0)
    return tal(x, 2).rstrip("0")


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def summarise(values: np.ndarray) -> NumberSummary:
    """Return n, missing, mean, sd, median, quartiles (type 7), min and max of values with NaN as missing."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    present = values[~np.isnan(values)]
    n, missing = int(present.size), int(values.size - present.size)
    if n == 0:
        nan = math.nan
        return NumberSummary(0, missing, nan, nan, nan, nan, nan, nan, nan, no_estimate=NO_VALUE)
    q1, median, q3 = (float(v) for v in np.quantile(present, [0.25, 0.5, 0.75], method="linear"))
    sd = float(np.std(present, ddof=1)) if n > 1 else math.nan
    return NumberSummary(
        n,
        missing,
        float(present.mean()),
        sd,
        median,
        q1,
        q3,
        float(present.min()),
        float(present.max()),
    )


def numeric_analysis(
    work: pd.DataFrame,
    q: Question,
    strata: str,
    population: str | None,
    order: Sequence[str],
    *,
    alpha: float = 0.05,
    outside_rows: Sequence[tuple[str, float]] = (),
) -> NumericAnalysis:
    """Return the summaries of one numeric question, per stratum (in ``order``) and overall.

    ``work`` has one row per case: the stratum column, the question's numbers
    (NaN when missing) and, with ``population``, each row's stratum population size.
    ``outside_rows`` (stratum, N_h) are examined cases outside the population: rows of
    the design outside the domain (:mod:`granskning.analysis.domain`).
    """
    import numpy as np
    import pandas as pd

    y = pd.to_numeric(work[q.id], errors="coerce").to_numpy(dtype=float)
    groups = work[strata].astype("string").str.strip().to_numpy(dtype=object)
    design = None
    if population is not None:
        design = pd.DataFrame(
            {strata: groups, population: work[population].to_numpy(), q.id: y}, index=work.index
        )
        design.attrs = dict(work.attrs)
        if outside_rows:
            start = int(design.index.max()) + 1 if len(design) else 0
            extra = pd.DataFrame([{strata: h, population: size, q.id: np.nan} for h, size in outside_rows],
                                 index=range(start, start + len(outside_rows)))
            design = pd.concat([design, extra])
            design.attrs = dict(work.attrs)
    per: dict[str, NumberSummary] = {}
    values: dict[str, tuple[float, ...]] = {}
    for stratum in order:
        rows = groups == stratum
        summary = summarise(y[rows])
        if design is not None:
            summary = _with_estimate(summary, design[design[strata] == stratum], strata, population,
                                     q.id, alpha)
        elif summary.n:
            summary = _replace(summary, no_estimate=NO_POPULATION)
        per[str(stratum)] = summary
        part = y[rows]
        values[str(stratum)] = tuple(float(v) for v in part[~np.isnan(part)])
    overall = summarise(y)
    if design is not None:
        overall = _with_estimate(overall, design, strata, population, q.id, alpha)
    elif overall.n:
        overall = _replace(overall, no_estimate=NO_POPULATION)
    present = y[~np.isnan(y)]
    return NumericAnalysis(
        q.id, q.text, per, overall, q.threshold, values, bool(np.all(np.mod(present, 1) == 0))
    )


def _replace(summary: NumberSummary, **changes: Any) -> NumberSummary:
    from dataclasses import replace

    return replace(summary, **changes)


def _with_estimate(
    summary: NumberSummary,
    design: pd.DataFrame,
    strata: str,
    population: str,
    column: str,
    alpha: float,
) -> NumberSummary:
    """Return the summary with its design-based mean, or with the reason there is none."""
    if summary.n == 0:
        return summary
    if summary.n == 1:
        return _replace(summary, no_estimate=ONE_VALUE)
    lonely = _lonely(design, strata, population)
    if lonely is not None:
        return _replace(
            summary,
            no_estimate=f"standardfelet kan inte skattas: {strata} {lonely} har bara "
            "ett ärende i urvalet",
        )
    e = stratified_estimate(
        design,
        strata=strata,
        population=population,
        variable=column,
        kind="medel",
        alpha=alpha,
        interval="wald",
    )
    return _replace(summary, estimate=e)


def _lonely(design: pd.DataFrame, strata: str, population: str) -> str | None:
    """Return a stratum with one case in the sample and more in the population (no variance), or None."""
    import pandas as pd

    big = parse_numbers(design, population, allow_missing=False)
    sizes = (
        pd.Series(big, index=design[strata].to_numpy())
        .groupby(level=0, sort=True)
        .agg(["size", "first"])
    )
    lonely = sizes.index[(sizes["size"] == 1) & (sizes["first"] > 1)]
    return f'"{lonely[0]}"' if len(lonely) else None


# ---------------------------------------------------------------- small strata


@dataclass(frozen=True, slots=True)
class NumericMask:
    """Which summaries of a numeric question a report with ``--maskera-under`` withholds."""

    threshold: int
    strata: frozenset[str]  # strata whose mean, spread, quartiles, min and max are not printed
    primary: frozenset[
        str
    ]  # those with 0 < n < threshold (the rest are withheld so these cannot be derived)
    overall: bool  # the overall summary is withheld (0 < n < threshold overall)
    extremes: bool  # the overall min and max are withheld (they may be a withheld stratum's value)

    @property
    def any(self) -> bool:
        return bool(self.strata) or self.overall or self.extremes


def numeric_mask(num: NumericAnalysis, threshold: int) -> NumericMask:
    """Return the summaries to withhold under the small-cell rule ``0 < n < threshold``.

    Primary: a stratum with fewer values than the threshold keeps its counts but
    not its mean, standard error, interval, median, quartiles, minimum or maximum
    (with one value, each of them is that case's number).  Secondary: the
    overall mean and n are printed, so with exactly one stratum withheld its sum
    would follow from the others; the next smallest stratum is withheld too.
    The overall minimum and maximum are withheld whenever a stratum is.
    """
    primary = {s for s, x in num.per_stratum.items() if 0 < x.n < threshold}
    strata = set(primary)
    if len(primary) == 1:
        others = sorted(
            ((x.n, s) for s, x in num.per_stratum.items() if x.n > 0 and s not in primary)
        )
        if others:
            strata.add(others[0][1])
    overall = 0 < num.overall.n < threshold
    if overall:
        strata |= {s for s, x in num.per_stratum.items() if x.n > 0}
    return NumericMask(
        threshold, frozenset(strata), frozenset(primary), overall, bool(strata) or overall
    )


FRAME_COLUMNS = [
    "question",
    "text",
    "stratum",
    "n",
    "missing",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "min",
    "max",
    "design_mean",
    "se",
    "low",
    "high",
    "no_estimate",
]


def numeric_frame(numeric: dict[str, NumericAnalysis], total_label: str) -> pd.DataFrame:
    """Return one row per numeric question × stratum plus its overall row (the workbook's "Tal" sheet)."""
    import pandas as pd

    rows = []
    for qid, num in numeric.items():
        for stratum, s in num.rows(total_label):
            e = s.estimate
            rows.append(
                {
                    "question": qid,
                    "text": num.text,
                    "stratum": stratum,
                    "n": s.n,
                    "missing": s.missing,
                    "mean": s.mean,
                    "sd": s.sd,
                    "median": s.median,
                    "q1": s.q1,
                    "q3": s.q3,
                    "min": s.minimum,
                    "max": s.maximum,
                    "design_mean": e.estimate if e else math.nan,
                    "se": e.se if e else math.nan,
                    "low": e.low if e else math.nan,
                    "high": e.high if e else math.nan,
                    "no_estimate": s.no_estimate or "",
                }
            )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)
