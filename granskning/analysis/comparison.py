"""Tests for comparing rates: homogeneity, Fisher, Mantel–Haenszel, logistic regression, power.

Each function mirrors an R function and is tested against its documented output:
``chisq.test`` (with ``simulate.p.value``), ``fisher.test``, ``mantelhaen.test``,
``DescTools::BreslowDayTest``, ``glm(family=binomial)`` and ``power.prop.test``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from granskning.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

N_SIM = 2000
MIN_EXPECTED = 5.0


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


# ---------------------------------------------------------------- homogeneity


@dataclass(frozen=True, slots=True)
class Homogeneity:
    """Pearson's chi-square test of a categories × strata table."""

    statistic: float
    df: int
    p: float
    method: str  # "chi2" (asymptotic) or "monte-carlo"
    cramers_v: float
    n: int
    min_expected: float
    n_sim: int | None
    seed: int | None

    def to_json_dict(self) -> dict:
        return {
            "statistik": _num(self.statistic),
            "p": _num(self.p),
            "metod": self.method,
            "frihetsgrader": self.df,
            "cramers_v": _num(self.cramers_v),
            "minsta_forvantade": _num(self.min_expected),
            "simuleringar": self.n_sim,
            "seed": self.seed,
        }


def _chi2_stat(tables: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return ((tables - expected) ** 2 / expected).sum(axis=(-2, -1))


def homogeneity(
    table, *, seed: int, n_sim: int = N_SIM, min_expected: float = MIN_EXPECTED
) -> Homogeneity:
    """Return Pearson's chi-square test of independence for a two-way table of counts.

    Rows or columns that are all zero are dropped first.  When any expected
    count is below ``min_expected`` the p-value is a Monte Carlo p-value from
    ``n_sim`` tables with the observed margins (R: ``chisq.test(x,
    simulate.p.value=TRUE, B=n_sim)``), seeded for reproducibility; otherwise
    the asymptotic chi-square p-value.
    """
    import numpy as np
    from scipy import stats
    x = np.asarray(table, dtype=float)
    if x.ndim != 2:
        raise InputError("homogenitetstestet kräver en tvådimensionell tabell.")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise InputError("tabellen måste innehålla antal (heltal ≥ 0).")
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    n = int(x.sum())
    r, c = x.shape
    if r < 2 or c < 2:
        nan = math.nan
        return Homogeneity(nan, 0, nan, "ej tillämpligt", nan, n, nan, None, seed)
    rows, cols = x.sum(axis=1), x.sum(axis=0)
    expected = np.outer(rows, cols) / n
    stat = float(_chi2_stat(x, expected))
    df = (r - 1) * (c - 1)
    v = math.sqrt(stat / (n * (min(r, c) - 1)))
    e_min = float(expected.min())
    if e_min >= min_expected:
        p = float(stats.chi2.sf(stat, df))
        return Homogeneity(stat, df, p, "chi2", v, n, e_min, None, seed)
    rng = np.random.default_rng(seed)
    sims = stats.random_table(rows.astype(int), cols.astype(int)).rvs(n_sim, random_state=rng)
    sim_stats = _chi2_stat(sims, expected)
    almost_one = 1 - 64 * np.finfo(float).eps  # R's tolerance for ties
    p = float((1 + np.sum(sim_stats >= almost_one * stat)) / (n_sim + 1))
    return Homogeneity(stat, df, p, "monte-carlo", v, n, e_min, n_sim, seed)


# ---------------------------------------------------------------- Fisher


@dataclass(frozen=True, slots=True)
class Fisher:
    """Fisher's exact test of a 2×2 table with the conditional MLE odds ratio."""

    p: float
    odds_ratio: float
    low: float
    high: float


def fisher(table, *, alpha: float = 0.05, interval: bool = True) -> Fisher:
    """Return Fisher's exact test (two-sided) as R's ``fisher.test`` reports it.

    The conditional-MLE interval costs a root search (0.2 s for a few thousand
    cases); ``interval=False`` leaves it as NaN when only the p-value is needed.
    """
    import numpy as np
    from scipy import stats
    x = np.asarray(table, dtype=int)
    if x.shape != (2, 2):
        raise InputError("Fishers test kräver en 2×2-tabell.")
    p = float(stats.fisher_exact(x).pvalue)
    if (x.sum(axis=0) == 0).any() or (x.sum(axis=1) == 0).any():
        return Fisher(p, math.nan, math.nan, math.nan)
    res = stats.contingency.odds_ratio(x, kind="conditional")
    if not interval:
        return Fisher(p, float(res.statistic), math.nan, math.nan)
    ci = res.confidence_interval(confidence_level=1 - alpha)
    return Fisher(p, float(res.statistic), float(ci.low), float(ci.high))


# ---------------------------------------------------------------- Mantel–Haenszel


@dataclass(frozen=True, slots=True)
class MantelHaenszel:
    """Cochran–Mantel–Haenszel test with the common odds ratio and Breslow–Day."""

    statistic: float
    p: float
    odds_ratio: float
    low: float
    high: float
    breslow_day: float
    breslow_day_df: int
    breslow_day_p: float
    strata_used: int


def cmh(tables, *, alpha: float = 0.05, correct: bool = True) -> MantelHaenszel:
    """Return the CMH test for K 2×2 tables (shape K×2×2), as R's ``mantelhaen.test``.

    The statistic has Yates' continuity correction when ``correct``; the
    interval of the Mantel–Haenszel odds ratio uses the Robins–Breslow–Greenland
    variance.  Strata with fewer than two cases carry no information and are
    left out.  Breslow–Day (without Tarone's correction, as
    ``DescTools::BreslowDayTest``) tests whether the odds ratios are equal.
    """
    import numpy as np
    from scipy import stats
    x = np.asarray(tables, dtype=float)
    if x.ndim != 3 or x.shape[1:] != (2, 2):
        raise InputError("CMH-testet kräver en tabell med formen K × 2 × 2.")
    x = x[x.sum(axis=(1, 2)) >= 2]
    a, b, c, d = x[:, 0, 0], x[:, 0, 1], x[:, 1, 0], x[:, 1, 1]
    n = a + b + c + d
    nan = math.nan
    if len(x) == 0:
        return MantelHaenszel(nan, nan, nan, nan, nan, nan, 0, nan, 0)
    m, nn = a + b, c + d  # row totals
    t, s = a + c, n  # first column total, stratum size
    expected = m * t / s
    var = m * nn * t * (s - t) / (s**2 * (s - 1))
    delta = float(np.sum(a - expected))
    yates = 0.5 if correct and abs(delta) >= 0.5 else 0.0
    vsum = float(var.sum())
    stat = (abs(delta) - yates) ** 2 / vsum if vsum > 0 else nan
    p = float(stats.chi2.sf(stat, 1)) if vsum > 0 else nan

    sx, sy = float(np.sum(a * d / n)), float(np.sum(b * c / n))
    if sx > 0 and sy > 0:
        orr = sx / sy
        sd = math.sqrt(
            np.sum((a + d) * a * d / n**2) / (2 * sx**2)
            + np.sum(((a + d) * b * c + (b + c) * a * d) / n**2) / (2 * sx * sy)
            + np.sum((b + c) * b * c / n**2) / (2 * sy**2)
        )
        z = stats.norm.ppf(1 - alpha / 2)
        low, high = orr * math.exp(-z * sd), orr * math.exp(z * sd)
    else:
        orr = sx / sy if sy > 0 else (math.inf if sx > 0 else nan)
        low = high = nan
    bd, bd_df, bd_p = _breslow_day(a, b, c, d, orr)
    return MantelHaenszel(stat, p, orr, low, high, bd, bd_df, bd_p, len(x))


def _breslow_day(a, b, c, d, orr: float) -> tuple[float, int, float]:
    """Return the Breslow–Day statistic, its df and p for the common odds ratio ``orr``."""
    import numpy as np
    from scipy import stats
    nan = math.nan
    row1, row2, col1 = a + b, c + d, a + c
    informative = (row1 > 0) & (row2 > 0) & (col1 > 0) & (col1 < row1 + row2)
    k = int(informative.sum())
    if k < 2 or not (0 < orr < math.inf):
        return nan, max(k - 1, 0), nan
    a, row1, row2, col1 = a[informative], row1[informative], row2[informative], col1[informative]
    lo, hi = np.maximum(0, col1 - row2), np.minimum(row1, col1)
    # Expected a under the common odds ratio: the root of
    # a·(row2 − col1 + a) = orr·(row1 − a)·(col1 − a) inside [lo, hi].
    if abs(orr - 1) < 1e-12:
        e = row1 * col1 / (row1 + row2)
    else:
        qa = 1 - orr
        qb = row2 - col1 + orr * (row1 + col1)
        qc = -orr * row1 * col1
        disc = np.sqrt(qb**2 - 4 * qa * qc)
        r1, r2 = (-qb + disc) / (2 * qa), (-qb - disc) / (2 * qa)
        e = np.where((r1 >= lo - 1e-9) & (r1 <= hi + 1e-9), r1, r2)
    inv = 1 / e + 1 / (row1 - e) + 1 / (col1 - e) + 1 / (row2 - col1 + e)
    stat = float(np.sum((a - e) ** 2 * inv))
    return stat, k - 1, float(stats.chi2.sf(stat, k - 1))


# ---------------------------------------------------------------- power


def power_two_proportions(p1: float, p2: float, n1: float, n2: float, alpha: float = 0.05) -> float:
    """Return the power of the two-sided two-sample test of proportions.

    With ``n1 == n2`` this is R's ``power.prop.test`` (``strict = FALSE``); for
    unequal groups the pooled variance under H0 uses the weighted mean rate.
    """
    from scipy import stats
    q1, q2 = 1 - p1, 1 - p2
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    z = stats.norm.ppf(1 - alpha / 2)
    sd0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    sd1 = math.sqrt(p1 * q1 / n1 + p2 * q2 / n2)
    if sd1 == 0:
        return 1.0 if p1 != p2 else alpha
    return float(stats.norm.cdf((abs(p1 - p2) - z * sd0) / sd1))


def min_detectable_difference(
    n1: float, n2: float, p: float, *, power: float = 0.8, alpha: float = 0.05
) -> float:
    """Return the smallest difference |p2 − p| the test detects with the given power.

    ``p`` is the rate in one group (in practice the overall rate); the other
    group's rate is moved towards 50 %, the harder direction, so the answer
    holds either way.  NaN if no difference within [0, 1] reaches the power.
    """
    from scipy import optimize
    if n1 <= 0 or n2 <= 0 or not 0 <= p <= 1:
        return math.nan
    sign = 1.0 if p <= 0.5 else -1.0
    limit = (1 - p) if sign > 0 else p

    def gap(d: float) -> float:
        return power_two_proportions(p, p + sign * d, n1, n2, alpha) - power

    if limit <= 0 or gap(limit) < 0:
        return math.nan
    return float(optimize.brentq(gap, 1e-9, limit, xtol=1e-10))


# ---------------------------------------------------------------- logistic regression


@dataclass(frozen=True, slots=True)
class Logistic:
    """Odds ratios from a logistic regression, or why the model could not be estimated."""

    estimated: bool
    message: str
    n: int
    odds_ratios: pd.DataFrame | None = field(default=None)

    def to_json_dict(self) -> dict:
        rows = []
        if self.odds_ratios is not None:
            for r in self.odds_ratios.itertuples(index=False):
                rows.append({"term": r.term, "or": _num(r.odds_ratio), "ki": [_num(r.low), _num(r.high)],
                             "p": _num(r.p)})
        return {"skattad": self.estimated, "meddelande": self.message, "n": self.n, "oddskvoter": rows}


def logistic(
    df: pd.DataFrame, outcome: str, predictors: list[str], *, reference: dict | None = None,
    alpha: float = 0.05,
) -> Logistic:
    """Return odds ratios from ``outcome ~ predictors`` (all predictors categorical).

    ``outcome`` must be 0/1; rows with a missing value in any column are left
    out.  ``reference`` maps a predictor to its reference level (default: the
    first level in sorted order).  Perfect separation, empty cells or a
    singular design do not raise: the result says the model could not be
    estimated and why.
    """
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    data = df[[outcome, *predictors]].dropna()
    n = len(data)
    y = pd.to_numeric(data[outcome], errors="coerce")
    if y.isna().any() or not set(np.unique(y)) <= {0, 1}:
        raise InputError(f"utfallet {outcome!r} måste vara 0 eller 1.")
    if n == 0 or y.nunique() < 2:
        return Logistic(False, "Modellen kunde inte skattas: utfallet varierar inte.", n)
    parts = []
    for col in predictors:
        levels = sorted(data[col].astype(str).unique())
        ref = (reference or {}).get(col, levels[0])
        if len(levels) < 2:
            return Logistic(False, f"Modellen kunde inte skattas: {col} har bara ett värde.", n)
        dummies = pd.get_dummies(data[col].astype(str), dtype=float)
        parts.append(dummies.drop(columns=[str(ref)]).add_prefix(f"{col}="))
    X = sm.add_constant(pd.concat(parts, axis=1), has_constant="add")
    for term in X.columns[1:]:
        cell = y[X[term] == 1]
        if cell.nunique() < 2:
            return Logistic(
                False, f"Modellen kunde inte skattas: alla i gruppen {term} har samma utfall "
                       "(fullständig separation).", n)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fit = sm.Logit(y.astype(float), X).fit(disp=0, maxiter=100)
    except (np.linalg.LinAlgError, ValueError, RuntimeWarning, Warning) as exc:
        return Logistic(False, f"Modellen kunde inte skattas: {type(exc).__name__}.", n)
    if not fit.mle_retvals.get("converged", True):
        return Logistic(False, "Modellen kunde inte skattas: skattningen konvergerade inte.", n)
    ci = fit.conf_int(alpha=alpha)
    table = pd.DataFrame({
        "term": list(X.columns[1:]),
        "odds_ratio": np.exp(fit.params.iloc[1:].to_numpy()),
        "low": np.exp(ci.iloc[1:, 0].to_numpy()),
        "high": np.exp(ci.iloc[1:, 1].to_numpy()),
        "p": fit.pvalues.iloc[1:].to_numpy(),
        "coef": fit.params.iloc[1:].to_numpy(),
        "se": fit.bse.iloc[1:].to_numpy(),
    })
    intercept = pd.DataFrame({"term": ["(konstant)"], "odds_ratio": [math.exp(fit.params.iloc[0])],
                              "low": [math.exp(ci.iloc[0, 0])], "high": [math.exp(ci.iloc[0, 1])],
                              "p": [fit.pvalues.iloc[0]], "coef": [fit.params.iloc[0]],
                              "se": [fit.bse.iloc[0]]})
    return Logistic(True, "", n, pd.concat([intercept, table], ignore_index=True))
