"""Attribute sampling for tests of controls, in the AICPA convention.

:func:`attribute_sample_size` gives the smallest sample (and the deviations it
allows) whose one-sided upper bound on the deviation rate stays below the
tolerable rate; :func:`evaluate_attribute_sample` gives that bound after a test.
Exact one-sided binomial (Clopper–Pearson, as the AICPA tables) without a
population, exact hypergeometric with one.  Conventions, with the published
tables they reproduce, are in ``docs/attributurval.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from granskning.errors import InputError
from granskning.sampling.parameters import fraction_open, integer, population_size, real

MAX_ATTRIBUTE_N = 20_000  # no published plan comes near; beyond this the request is unrealistic
# Above this population the attribute bounds use the binomial, the limit of the hypergeometric
# as N grows: exact hypergeometric sums are slow (scipy needs seconds per call at N = 10^9 and
# overflows at 10^19) and the binomial plan is never smaller (sampling without replacement
# tells more), and equal to it in every AICPA table case checked (tests/test_precision.py).
HYPERGEOMETRIC_MAX_N = 1_000_000


@dataclass(frozen=True, slots=True)
class AttributeSizeResult:
    """Attribute sample plan: check ``n`` items, accept at most ``allowed_deviations``."""

    n: int
    allowed_deviations: int
    upper_bound: float  # one-sided upper bound on the deviation rate if k deviations are found
    tolerable: float
    expected: float
    risk: float
    population: int | None
    method: str  # "binomial" or "hypergeometrisk"


@dataclass(frozen=True, slots=True)
class AttributeEvaluation:
    """Evaluation of an attribute sample: the upper bound on the deviation rate."""

    n: int
    deviations: int
    sample_rate: float
    upper_bound: float
    risk: float
    tolerable: float | None
    passes: bool | None  # upper_bound < tolerable; None without a tolerable rate
    population: int | None
    method: str


def _binomial_upper(n: int, k: int, risk: float) -> float:
    """One-sided Clopper–Pearson upper bound: beta quantile 1−risk of Beta(k+1, n−k)."""
    from scipy.stats import beta

    if k >= n:
        return 1.0
    return float(beta.ppf(1.0 - risk, k + 1, n - k))


def _hypergeometric_upper(N: int, n: int, k: int, risk: float) -> float:
    """Exact one-sided upper bound M_U/N, M_U = max{M : P(X ≤ k | N, M, n) > risk}."""
    from scipy.stats import hypergeom

    lo, hi = k, N - (n - k)  # M must allow k deviations and n − k good items in the sample
    # P(X ≤ k | M = k) = 1 > risk; P falls as M grows: find the last M above risk.
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if hypergeom.cdf(k, N, mid, n) > risk:
            lo = mid
        else:
            hi = mid - 1
    return lo / N


def _ceil_times(rate: Fraction, ns) -> list[int]:
    """ceil(rate·n) for each n, in exact (unbounded) integer arithmetic."""
    num, den = rate.numerator, rate.denominator
    return [-((-num * int(n)) // den) for n in ns]


def attribute_sample_size(
    tolerable: float,
    *,
    expected: float = 0.0,
    risk: float = 0.05,
    population: int | None = None,
) -> AttributeSizeResult:
    """Return the smallest attribute sample whose upper deviation bound stays below ``tolerable``.

    AICPA convention (Audit Guide *Audit Sampling*, Appendix A): the plan
    allows k = ceil(expected·n) deviations, computed exactly
    (``Fraction(str(expected)) * n``, so 1 % of 100 is exactly 1), and n is
    the smallest size for which the one-sided (1 − risk) upper bound with k
    deviations is below the tolerable rate.  Without a population the bound
    is the binomial (Clopper–Pearson) one, as in the AICPA tables; with a
    population N it is the exact hypergeometric one (M_U/N).

    >>> r = attribute_sample_size(0.05, expected=0.01)
    >>> (r.n, r.allowed_deviations)  # AICPA Table A-1: 93 (1)
    (93, 1)
    """
    import numpy as np

    tolerable = fraction_open(tolerable, "Tolerabel avvikelse")
    risk = fraction_open(risk, "Risken")
    expected = real(expected, "Förväntad avvikelse")
    if not 0.0 <= expected < 1.0:
        raise InputError(f"Förväntad avvikelse måste ligga mellan 0 och 1 (fick {expected}).")
    if expected >= tolerable:
        raise InputError(
            "Förväntad avvikelse måste vara lägre än den tolerabla avvikelsen "
            f"({expected} ≥ {tolerable}); inget stickprov kan visa att kontrollen fungerar."
        )
    N = None if population is None else integer(population, "Populationen", minimum=1)
    rate = Fraction(str(expected))
    limit = min(N, MAX_ATTRIBUTE_N) if N is not None else MAX_ATTRIBUTE_N
    exact = N is not None and N <= HYPERGEOMETRIC_MAX_N
    if exact:
        from scipy.stats import hypergeom

        critical = math.ceil(Fraction(str(tolerable)) * N)  # smallest M with M/N ≥ tolerable

        def accepted(ns, ks):
            return hypergeom.cdf(ks, N, critical, ns) <= risk
    else:
        from scipy.stats import binom

        def accepted(ns, ks):
            return binom.cdf(ks, ns, tolerable) < risk

    chunk = 2_000
    for start in range(1, limit + 1, chunk):
        ns = np.arange(start, min(start + chunk, limit + 1), dtype=np.int64)
        ks = np.array(_ceil_times(rate, ns), dtype=np.int64)
        ok = (ks < ns) & accepted(ns, ks)
        if ok.any():
            i = int(np.argmax(ok))
            n, k = int(ns[i]), int(ks[i])
            if exact:
                bound = _hypergeometric_upper(N, n, k, risk)
            else:
                bound = _binomial_upper(n, k, risk)
            return AttributeSizeResult(
                n=n,
                allowed_deviations=k,
                upper_bound=bound,
                tolerable=tolerable,
                expected=expected,
                risk=risk,
                population=N,
                method="hypergeometrisk" if exact else "binomial",
            )
    where = f"hela populationen ({N})" if limit == N else f"{MAX_ATTRIBUTE_N} poster"
    raise InputError(
        f"Inget stickprov upp till {where} räcker för tolerabel avvikelse {tolerable} med "
        f"förväntad avvikelse {expected}. Sänk den förväntade avvikelsen eller höj den tolerabla."
    )


def evaluate_attribute_sample(
    n: int,
    deviations: int,
    *,
    risk: float = 0.05,
    tolerable: float | None = None,
    population: int | None = None,
) -> AttributeEvaluation:
    """Return the one-sided (1 − risk) upper bound on the deviation rate after a test.

    Binomial (Clopper–Pearson, as AICPA Tables A-3 and A-4) without a
    population, exact hypergeometric with one.  With ``tolerable`` the control
    passes when the upper bound is below it.

    >>> round(evaluate_attribute_sample(59, 0).upper_bound, 4)
    0.0495
    """
    n = integer(n, "Stickprovsstorleken n", minimum=1)
    k = integer(deviations, "Antalet avvikelser", minimum=0)
    if k > n:
        raise InputError(f"Antalet avvikelser ({k}) är större än stickprovet (n = {n}).")
    risk = fraction_open(risk, "Risken")
    tol = None if tolerable is None else fraction_open(tolerable, "Tolerabel avvikelse")
    N = population_size(population, n)
    exact = N is not None and N <= HYPERGEOMETRIC_MAX_N
    bound = _hypergeometric_upper(N, n, k, risk) if exact else _binomial_upper(n, k, risk)
    return AttributeEvaluation(
        n=n,
        deviations=k,
        sample_rate=k / n,
        upper_bound=bound,
        risk=risk,
        tolerable=tol,
        passes=None if tol is None else bound < tol,
        population=N,
        method="hypergeometrisk" if exact else "binomial",
    )
