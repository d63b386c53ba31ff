"""Confidence intervals for one proportion and for the difference of two.

Wilson's score interval is the default for a single proportion (Newcombe 1998a,
method 3); Clopper–Pearson's exact interval is available on request.  The
difference of two independent proportions uses Newcombe's hybrid score
interval (Newcombe 1998b, method 10), built from the two Wilson intervals.

All functions accept counts, never percentages.  A denominator of zero gives
NaN (the rate is unknown), not an error, because a stratum where every case is
excluded is a normal outcome of the denominator rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning.errors import InputError

if TYPE_CHECKING:
    import numpy as np

METHODS = ("wilson", "clopper-pearson")


def _z(alpha: float) -> float:
    from scipy import stats
    if not 0 < alpha < 1:
        raise InputError(f"alpha måste ligga mellan 0 och 1, fick {alpha}.")
    return float(stats.norm.ppf(1 - alpha / 2))


def _check_counts(count: np.ndarray, nobs: np.ndarray) -> None:
    import numpy as np
    if np.any(nobs < 0) or np.any(count < 0):
        raise InputError("Antal och nämnare får inte vara negativa.")
    if np.any(count > nobs):
        raise InputError("Täljaren får inte vara större än nämnaren.")


def wilson_bounds(count, nobs, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return Wilson score limits (low, high) for arrays of counts; NaN where nobs is 0."""
    import numpy as np
    x = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    _check_counts(x, n)
    z = _z(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    low = np.where(n == 0, np.nan, low)
    high = np.where(n == 0, np.nan, high)
    return low, high


def clopper_pearson_bounds(count, nobs, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return Clopper–Pearson exact limits (low, high) for arrays of counts."""
    import numpy as np
    from scipy import stats
    x = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    _check_counts(x, n)
    _z(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(x == 0, 0.0, stats.beta.ppf(alpha / 2, x, n - x + 1))
        high = np.where(x == n, 1.0, stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    low = np.where(n == 0, np.nan, low)
    high = np.where(n == 0, np.nan, high)
    return low, high


def proportion_bounds(count, nobs, *, alpha: float = 0.05, method: str = "wilson"):
    """Return (low, high) arrays by ``method`` (``wilson`` or ``clopper-pearson``)."""
    if method == "wilson":
        return wilson_bounds(count, nobs, alpha)
    if method == "clopper-pearson":
        return clopper_pearson_bounds(count, nobs, alpha)
    raise InputError(f"Okänd intervallmetod {method!r}; välj bland: {', '.join(METHODS)}.")


def _num(x: float) -> float | None:
    """Return ``x`` as a JSON-safe number (NaN becomes None)."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


@dataclass(frozen=True, slots=True)
class Proportion:
    """A rate ``count / nobs`` with its confidence interval."""

    count: int
    nobs: int
    estimate: float
    low: float
    high: float
    method: str
    alpha: float

    def to_json_dict(self) -> dict:
        return {
            "taljare": int(self.count),
            "namnare": int(self.nobs),
            "andel": _num(self.estimate),
            "ki": [_num(self.low), _num(self.high)],
        }


def proportion_ci(count: int, nobs: int, *, alpha: float = 0.05, method: str = "wilson") -> Proportion:
    """Return the rate ``count/nobs`` with its (1 − alpha) interval.

    >>> r = proportion_ci(81, 263)
    >>> round(r.low, 4), round(r.high, 4)
    (0.2553, 0.3662)
    """
    low, high = proportion_bounds(count, nobs, alpha=alpha, method=method)
    est = count / nobs if nobs else math.nan
    return Proportion(int(count), int(nobs), est, float(low), float(high), method, alpha)


@dataclass(frozen=True, slots=True)
class Difference:
    """The difference ``p1 − p2`` of two independent rates with its interval."""

    p1: float
    p2: float
    difference: float
    low: float
    high: float
    method: str
    alpha: float


def diff_ci_newcombe(c1: int, n1: int, c2: int, n2: int, alpha: float = 0.05) -> Difference:
    """Return ``p1 − p2`` with Newcombe's hybrid score interval (1998, method 10).

    >>> d = diff_ci_newcombe(56, 70, 48, 80)
    >>> round(d.low, 4), round(d.high, 4)
    (0.0524, 0.3339)
    """
    if n1 == 0 or n2 == 0:
        nan = math.nan
        return Difference(nan, nan, nan, nan, nan, "newcombe", alpha)
    l1, u1 = (float(v) for v in wilson_bounds(c1, n1, alpha))
    l2, u2 = (float(v) for v in wilson_bounds(c2, n2, alpha))
    p1, p2 = c1 / n1, c2 / n2
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(p1, p2, d, low, high, "newcombe", alpha)
