"""Likställighet tables and indicator rates from case-level answers.

A likställighet table has the answer categories as rows and the strata
(districts) as columns, with a Total column and a Total row, in the layout of
the inspectors' published tables.  An indicator is a rate under explicit
rules: which answers count as positive, and which leave the denominator
(hindrances such as "Barnet kan inte", or "not applicable").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.analysis.comparison import Homogeneity, homogeneity
from granskning.analysis.estimation import Estimate, stratified_estimate
from granskning.analysis.proportions import Proportion, proportion_bounds
from granskning.checklist.model import counted_words
from granskning.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


_SV_ORDER = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}", "é": "e", "ü": "y"})


def sv_key(text: str) -> str:
    """Return a sort key that orders Swedish text as a Swedish reader expects (… z, å, ä, ö)."""
    return str(text).casefold().translate(_SV_ORDER)


def _source(df: pd.DataFrame) -> str | None:
    return getattr(df.attrs.get("source"), "name", None)


def _row(df: pd.DataFrame, position: int) -> int:
    return int(df.index[position]) if "source" in df.attrs else position + 2


def _answers(df: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as stripped text with blanks as <NA>."""
    if column not in df.columns:
        names = ", ".join(f'"{c}"' for c in df.columns[:30])
        raise InputError(f"kolumnen finns inte. Kolumner: {names}", file=_source(df), row=1, column=column)
    s = df[column].astype("string").str.strip()
    return s.mask(s == "")


def _strata(df: pd.DataFrame, column: str) -> pd.Series:
    import numpy as np
    s = _answers(df, column)
    if s.isna().any():
        pos = int(np.flatnonzero(s.isna().to_numpy())[0])
        raise InputError("stratum saknas (tomt värde).", file=_source(df), row=_row(df, pos), column=column)
    return s


def _order(values: Iterable[str], given: Sequence[str] | None, what: str, column: str, df) -> list[str]:
    import numpy as np
    import pandas as pd

    present = [str(v) for v in pd.unique(np.asarray(values, dtype=object))]
    if given is None:
        return sorted(present, key=sv_key)
    unknown = [v for v in present if v not in set(given)]
    if unknown:
        raise InputError(
            f"{what} {unknown[0]!r} finns inte bland de angivna ({', '.join(map(repr, given))}).",
            file=_source(df), column=column,
        )
    return list(given)


def _counts(
    df: pd.DataFrame, question: str, strata: str, *, categories, strata_order, multiple: bool,
    separator: str,
) -> tuple[pd.DataFrame, pd.Series]:
    """Return (counts categories × strata, number of answering cases per stratum)."""
    import numpy as np
    import pandas as pd

    answers = _answers(df, question).reset_index(drop=True)
    groups = _strata(df, strata).reset_index(drop=True)
    answered = answers.notna()
    if multiple:
        long = answers[answered].str.split(separator).explode().str.strip()
        long = long[long.notna() & (long != "")]
        keys = groups.loc[long.index]
        values = long
    else:
        values, keys = answers[answered], groups[answered]
    if categories is not None:
        bad = ~values.isin(list(categories))
        if bad.any():
            pos = values.index[bad.to_numpy()][0]
            raise InputError(
                f"svaret {values[bad].iloc[0]!r} är ingen av kategorierna "
                f"({', '.join(map(repr, categories))}).",
                file=_source(df), row=_row(df, int(pos)), column=question,
            )
    cats = _order(values, categories, "kategorin", question, df)
    cols = _order(groups, strata_order, "stratumet", strata, df)
    r = pd.Categorical(values, categories=cats).codes.astype(np.int64)
    c = pd.Categorical(keys, categories=cols).codes.astype(np.int64)
    flat = np.bincount(r * len(cols) + c, minlength=len(cats) * len(cols))
    table = pd.DataFrame(flat.reshape(len(cats), len(cols)), index=pd.Index(cats), columns=pd.Index(cols))
    bases = groups[answered].value_counts().reindex(cols, fill_value=0).astype(int)
    return table, bases


def crosstab(
    df: pd.DataFrame,
    question: str,
    strata: str,
    *,
    categories: Sequence[str] | None = None,
    strata_order: Sequence[str] | None = None,
    multiple: bool = False,
    separator: str = ";",
    total_label: str = "Total",
) -> pd.DataFrame:
    """Return counts of answers: categories as rows, strata as columns, with totals.

    Blank answers are not counted.  With ``multiple`` an answer such as
    ``"Våld; Konflikt"`` counts once for each choice, so totals may exceed the
    number of cases.  ``categories`` fixes the row order (and rejects answers
    outside it); ``strata_order`` fixes the column order (default: Swedish
    alphabetical order, as in the published tables).
    """
    table, _ = _counts(df, question, strata, categories=categories, strata_order=strata_order,
                       multiple=multiple, separator=separator)
    table[total_label] = table.sum(axis=1)
    table.loc[total_label] = table.sum(axis=0)
    table.index.name, table.columns.name = question, strata
    return table


def crosstab_shares(
    df: pd.DataFrame,
    question: str,
    strata: str,
    *,
    categories: Sequence[str] | None = None,
    strata_order: Sequence[str] | None = None,
    multiple: bool = False,
    separator: str = ";",
    total_label: str = "Total",
) -> pd.DataFrame:
    """Return column shares (fractions) in the layout of :func:`crosstab`.

    Each cell is the count divided by the number of cases in the column that
    answered the question; for multiple-choice questions the shares of a column
    may add up to more than 1.  The Total row holds the column sums.
    """
    import numpy as np
    table, bases = _counts(df, question, strata, categories=categories, strata_order=strata_order,
                           multiple=multiple, separator=separator)
    table[total_label] = table.sum(axis=1)
    bases[total_label] = bases.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = table.div(bases.replace(0, np.nan), axis=1)
    shares.loc[total_label] = shares.sum(axis=0, min_count=1)
    shares.index.name, shares.columns.name = question, strata
    return shares


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """An indicator rate overall and per stratum, with tests and estimates when computed."""

    question: str
    positive: tuple[str, ...]
    excluded: tuple[str, ...]
    overall: Proportion
    per_stratum: dict[str, Proportion]
    homogeneity: Homogeneity | None = None
    estimate: Estimate | None = None
    gender: Any = None
    counted: str = ""  # what the numerator counts, in words (``raknas_som``; default the categories)

    @property
    def counted_words(self) -> str:
        """Return what the numerator counts: the checklist's words or the counted categories."""
        return self.counted or counted_words(self.positive)

    def frame(self) -> pd.DataFrame:
        """Return the per-stratum rates as a tidy table."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"stratum": k, "numerator": p.count, "denominator": p.nobs, "rate": p.estimate,
                 "low": p.low, "high": p.high}
                for k, p in self.per_stratum.items()
            ]
        )

    def to_json_dict(self) -> dict:
        out = {"fraga": self.question, "raknas": list(self.positive), "raknas_som": self.counted_words,
               "lamnar_namnaren": list(self.excluded), **self.overall.to_json_dict(),
               "metod": self.overall.method}
        out["per_stratum"] = {k: p.to_json_dict() for k, p in self.per_stratum.items()}
        if self.homogeneity is not None:
            out["homogenitet"] = self.homogeneity.to_json_dict()
        if self.estimate is not None:
            e = self.estimate.to_json_dict()
            out["skattning"] = {"andel": e["skattning"], "standardfel": e["standardfel"], "ki": e["ki"],
                                "intervall": e["intervall"], "designeffekt": e["designeffekt"]}
        if self.gender is not None:
            out["jamstalldhet"] = self.gender.to_json_dict()
        return out


def indicator_flags(
    df: pd.DataFrame, question: str, *, positive: Iterable[str], excluded: Iterable[str] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Return (positive, in denominator) boolean arrays under the indicator rules.

    Blank answers and answers in ``excluded`` leave the denominator; every other
    answer is in it, and counts in the numerator if it is in ``positive``.
    """
    pos_set, exc_set = set(positive), set(excluded)
    if not pos_set:
        raise InputError(f"indikatorn för {question!r} saknar positiva svarskategorier.")
    overlap = pos_set & exc_set
    if overlap:
        raise InputError(f"kategorin {sorted(overlap)[0]!r} kan inte vara både positiv och exkluderad.")
    answers = _answers(df, question)
    in_den = (answers.notna() & ~answers.isin(list(exc_set))).to_numpy()
    is_pos = (answers.isin(list(pos_set)).fillna(False).to_numpy(dtype=bool)) & in_den
    return is_pos, in_den


def indicator(
    df: pd.DataFrame,
    question: str,
    strata: str,
    *,
    positive: Iterable[str],
    excluded: Iterable[str] = (),
    population: str | None = None,
    strata_order: Sequence[str] | None = None,
    alpha: float = 0.05,
    method: str = "wilson",
    seed: int = 1,
    n_sim: int = 2000,
    interval: str = "beta",
    counted: str = "",
    outside_rows: Sequence[tuple[str, float]] = (),
) -> IndicatorResult:
    """Return an indicator's rate overall and per stratum with intervals.

    ``positive`` are the answers counted in the numerator (the checklist's
    ``raknas``), ``counted`` what they mean in words (``raknas_som``); every
    output names it beside the number.

    The overall rate is the unweighted ``Σ numerator / Σ denominator`` (what the
    reports print).  With ``population`` (a column of stratum population sizes)
    the design-based estimate for the population is added (weights N_h/n_h,
    finite population correction; excluded answers are outside the domain) with
    the ``interval`` of :func:`granskning.analysis.estimation.stratified_estimate`
    (Korn–Graubard by default).  ``outside_rows`` (stratum, N_h) are examined
    cases found outside the population: rows of the design outside every
    domain (:mod:`granskning.analysis.domain`).
    Homogeneity across strata is Pearson's chi-square of positive/negative by
    stratum among the cases in the denominator, simulated (``seed``) when
    expected counts are small.
    """
    import numpy as np
    import pandas as pd

    positive, excluded = tuple(positive), tuple(excluded)
    is_pos, in_den = indicator_flags(df, question, positive=positive, excluded=excluded)
    groups = _strata(df, strata)
    cols = _order(groups, strata_order, "stratumet", strata, df)
    frame = pd.DataFrame({"g": groups.to_numpy(), "x": is_pos.astype(int), "n": in_den.astype(int)})
    sums = frame.groupby("g", sort=False)[["x", "n"]].sum().reindex(cols, fill_value=0)
    x, n = sums["x"].to_numpy(), sums["n"].to_numpy()
    low, high = proportion_bounds(x, n, alpha=alpha, method=method)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / np.maximum(n, 1), math.nan)
    per = {
        str(k): Proportion(int(x[i]), int(n[i]), float(rate[i]), float(low[i]), float(high[i]), method, alpha)
        for i, k in enumerate(cols)
    }
    tx, tn = int(x.sum()), int(n.sum())
    tl, th = proportion_bounds(tx, tn, alpha=alpha, method=method)
    overall = Proportion(tx, tn, tx / tn if tn else math.nan, float(tl), float(th), method, alpha)
    homog = homogeneity(np.vstack([x, n - x]), seed=seed, n_sim=n_sim)

    estimate = None
    if population is not None:
        y = np.where(in_den, is_pos.astype(float), np.nan)
        design = pd.DataFrame({"h": groups.to_numpy(), "N": df[population].to_numpy(), "y": y},
                              index=df.index)
        design.attrs = dict(df.attrs)
        if outside_rows:
            start = int(design.index.max()) + 1 if len(design) else 0
            extra = pd.DataFrame([{"h": h, "N": size, "y": math.nan} for h, size in outside_rows],
                                 index=range(start, start + len(outside_rows)))
            design = pd.concat([design, extra])
            design.attrs = dict(df.attrs)
        design = design.rename(columns={"h": strata, "N": population, "y": question})
        estimate = stratified_estimate(design, strata=strata, population=population, variable=question,
                                       kind="medel", alpha=alpha, interval=interval)
        if interval == "wald":
            # The mean of a 0/1 indicator is a proportion: keep its Wald interval inside [0, 1].
            from dataclasses import replace

            estimate = replace(estimate, low=max(0.0, estimate.low), high=min(1.0, estimate.high))
    return IndicatorResult(question, positive, excluded, overall, per, homog, estimate, counted=counted)
