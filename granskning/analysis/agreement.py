"""Agreement between two readings of the same cases: percent agreement and Cohen's κ.

Cohen's κ (Cohen 1960) for two readers and nominal categories:
κ = (p_o − p_e) / (1 − p_e), with p_o the observed share of agreement and p_e the share
expected by chance from the two readers' margins.

Its confidence interval is κ ± z·SE with the large-sample standard error of Fleiss,
Cohen & Everitt (1969), *Psychological Bulletin* 72:323–327, as written in Fleiss, Levin
& Paik, *Statistical Methods for Rates and Proportions* (3rd ed., 2003), eq. 18.13 — the
standard error (not the one under κ = 0 used for a test) that R's ``psych::cohen.kappa``
reports with its confidence boundaries:

Var(κ) = [A + B − C] / (n (1 − p_e)²), where
A = Σᵢ pᵢᵢ [1 − (pᵢ. + p.ᵢ)(1 − κ)]²,
B = (1 − κ)² Σ_{i≠j} pᵢⱼ (p.ᵢ + pⱼ.)²,
C = [κ − p_e (1 − κ)]².

κ is undefined when p_e = 1 (both readers used one and the same category for every
case); then only the percent agreement is given.  Pure Python: no numpy needed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["Kappa", "cohen_kappa"]


@dataclass(frozen=True, slots=True)
class Kappa:
    """Agreement of two readings over ``n`` cases (κ and its interval None when undefined)."""

    n: int
    agree: int
    p_observed: float | None
    p_expected: float | None
    kappa: float | None
    se: float | None
    low: float | None
    high: float | None
    confidence: float


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]], confidence: float = 0.95) -> Kappa:
    """Return Cohen's κ with its Fleiss–Cohen–Everitt interval for (first, second) pairs.

    >>> k = cohen_kappa([("Ja", "Ja")] * 20 + [("Ja", "Nej")] * 10
    ...                 + [("Nej", "Ja")] * 5 + [("Nej", "Nej")] * 15)
    >>> round(k.kappa, 4), round(k.se, 4)
    (0.4, 0.127)
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    n = len(pairs)
    agree = sum(1 for a, b in pairs if a == b)
    if n == 0:
        return Kappa(0, 0, None, None, None, None, None, None, confidence)
    cells = Counter(pairs)
    rows = Counter(a for a, _ in pairs)
    cols = Counter(b for _, b in pairs)
    po = agree / n
    pe = sum(rows[c] * cols[c] for c in rows) / n**2
    if math.isclose(pe, 1.0):
        return Kappa(n, agree, po, pe, None, None, None, None, confidence)
    kappa = (po - pe) / (1 - pe)
    a = sum(
        cells[(c, c)] / n * (1 - (rows[c] + cols[c]) / n * (1 - kappa)) ** 2 for c in rows
    )
    b = (1 - kappa) ** 2 * sum(
        k / n * ((cols[i] + rows[j]) / n) ** 2 for (i, j), k in cells.items() if i != j
    )
    c = (kappa - pe * (1 - kappa)) ** 2
    var = max(a + b - c, 0.0) / (n * (1 - pe) ** 2)
    se = math.sqrt(var)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Kappa(n, agree, po, pe, kappa, se, kappa - z * se, kappa + z * se, confidence)
