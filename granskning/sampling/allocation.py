"""Allocation of a sample over strata: equal, proportional or Neyman, with caps and a minimum.

The quotas are solved exactly in rational arithmetic (``fractions.Fraction``) and
rounded by the largest-remainder method, so the strata always add up to the
requested total and the answer never depends on floating-point noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

from granskning.errors import InputError
from granskning.wording import antal

if TYPE_CHECKING:
    import pandas as pd

Method = Literal["lika", "proportionell", "neyman"]
METHODS: tuple[str, ...] = ("lika", "proportionell", "neyman")

__all__ = ["METHODS", "allocate"]


def allocate(
    population: Mapping[str, int],
    *,
    total: int | None = None,
    per_stratum: int | None = None,
    method: Method = "lika",
    proportions: Mapping[str, float] | None = None,
    minimum: int = 0,
) -> pd.DataFrame:
    """Return the sample size per stratum as a DataFrame ``stratum, N, n, takes_all``.

    Give either ``per_stratum`` (the same n in every stratum) or ``total`` (split
    over the strata by ``method``):

    - ``"lika"``: equal shares;
    - ``"proportionell"``: shares proportional to N_h;
    - ``"neyman"``: shares proportional to N_h·sqrt(p_h(1−p_h)), with the
      anticipated proportions ``proportions`` (default 0.5 for every stratum).

    No stratum gets more than N_h: a stratum with fewer cases than its share is
    taken whole (``takes_all``) and, with a ``total``, the surplus goes to the
    others.  Every stratum gets at least ``min(minimum, N_h)``.  Fractional
    quotas are rounded by the largest-remainder method (ties broken by stratum
    name) so the sizes add up exactly to ``total``.  Rows keep the order of
    ``population``.

    >>> allocate({"a": 100, "b": 10}, total=30)[["stratum", "n", "takes_all"]].values.tolist()
    [['a', 20, False], ['b', 10, True]]
    """
    import pandas as pd

    sizes = _check_population(population)
    if minimum is None or isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        raise InputError(f"Minsta antal per stratum måste vara ett heltal ≥ 0 (fick {minimum!r}).")
    if method not in METHODS:
        raise InputError(f"Okänd fördelning {method!r}; välj bland {', '.join(METHODS)}.")
    if proportions is not None and method != "neyman":
        raise InputError("Förväntade andelar per stratum används bara med fördelningen neyman.")
    if (total is None) == (per_stratum is None):
        raise InputError("Ange antingen ett totalt antal eller ett antal per stratum (inte båda).")

    if per_stratum is not None:
        _check_count(per_stratum, "Antal per stratum")
        if minimum > per_stratum:
            raise InputError(
                f"Minsta antal per stratum ({minimum}) är större än antalet per stratum ({per_stratum})."
            )
        n = {h: min(per_stratum, N) for h, N in sizes.items()}
    else:
        _check_count(total, "Totalt antal")
        n = _split_total(sizes, total, method, proportions, minimum)

    return pd.DataFrame(
        {
            "stratum": list(sizes),
            "N": pd.array([sizes[h] for h in sizes], dtype="int64"),
            "n": pd.array([n[h] for h in sizes], dtype="int64"),
            "takes_all": pd.array([n[h] >= sizes[h] for h in sizes], dtype="bool"),
        }
    )


def _check_population(population: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(population, Mapping) or len(population) == 0:
        raise InputError("Populationen är tom: ange minst ett stratum med antal ärenden.")
    sizes: dict[str, int] = {}
    for h, N in population.items():
        value = N.item() if hasattr(N, "item") else N  # numpy integers from pandas
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"Stratum {h!r}: antalet ärenden måste vara ett heltal (fick {N!r}).")
        if value < 0:
            raise InputError(f"Stratum {h!r}: antalet ärenden kan inte vara negativt ({value}).")
        sizes[h] = value
    return sizes


def _check_count(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} måste vara ett heltal (fick {value!r}).")
    if value < 0:
        raise InputError(f"{what} kan inte vara negativt ({value}).")


def _weights(
    sizes: dict[str, int], method: str, proportions: Mapping[str, float] | None
) -> dict[str, Fraction]:
    if method == "lika":
        return {h: Fraction(1) for h in sizes}
    if method == "proportionell":
        return {h: Fraction(N) for h, N in sizes.items()}
    props = dict(proportions or {})
    unknown = [h for h in props if h not in sizes]
    if unknown:
        raise InputError(
            f"Förväntade andelar anges för okända stratum: {', '.join(map(str, unknown))}."
        )
    weights: dict[str, Fraction] = {}
    for h, N in sizes.items():
        p = float(props.get(h, 0.5))
        if not 0.0 < p < 1.0:
            raise InputError(
                f"Stratum {h!r}: förväntad andel måste ligga strikt mellan 0 och 1 (fick {p})."
            )
        # Fraction(float) is the exact value of the float: the rest stays exact.
        weights[h] = Fraction(N) * Fraction(math.sqrt(p * (1.0 - p)))
    return weights


def _split_total(
    sizes: dict[str, int],
    total: int,
    method: str,
    proportions: Mapping[str, float] | None,
    minimum: int,
) -> dict[str, int]:
    available = sum(sizes.values())
    if total > available:
        raise InputError(
            f"Totalt antal ({total}) är större än antalet ärenden i populationen ({available})."
        )
    lower = {h: min(minimum, N) for h, N in sizes.items()}
    if sum(lower.values()) > total:
        raise InputError(
            f"Minsta antal {minimum} per stratum kräver {antal(sum(lower.values()), 'ärende')}, "
            f"men totalt antal är {total}."
        )
    weights = _weights(sizes, method, proportions)
    quota = _quotas(weights, lower, sizes, total)
    return _largest_remainder(quota, total)


def _quotas(
    weights: dict[str, Fraction],
    lower: dict[str, int],
    upper: dict[str, int],
    total: int,
) -> dict[str, Fraction]:
    """Exact quotas q_h = clip(λ·w_h, L_h, U_h) with Σ q_h = total.

    S(λ) = Σ clip(λ·w_h, L_h, U_h) is continuous and non-decreasing in λ and
    linear between the breakpoints L_h/w_h and U_h/w_h, so λ is found exactly
    on the segment where S crosses ``total``.
    """

    def clipped(lam: Fraction) -> dict[str, Fraction]:
        return {
            h: min(max(lam * w, Fraction(lower[h])), Fraction(upper[h])) for h, w in weights.items()
        }

    breaks = sorted(
        {Fraction(0)}
        | {Fraction(lower[h]) / w for h, w in weights.items() if w > 0}
        | {Fraction(upper[h]) / w for h, w in weights.items() if w > 0}
    )
    previous = breaks[0]
    for lam in breaks:
        q = clipped(lam)
        if sum(q.values()) >= total:
            break
        previous = lam
    else:
        # Not reached only if the caps leave no room, which _split_total rules out.
        return clipped(breaks[-1])
    # On [previous, lam] the free strata are those strictly inside their bounds.
    base = clipped(previous)
    free = {
        h: w
        for h, w in weights.items()
        if w > 0 and lower[h] / w <= previous and upper[h] / w >= lam and lower[h] < upper[h]
    }
    slope = sum(free.values(), Fraction(0))
    if slope == 0:
        return q
    solved = previous + (total - sum(base.values())) / slope
    return clipped(solved)


def _largest_remainder(quota: dict[str, Fraction], total: int) -> dict[str, int]:
    floors = {h: math.floor(q) for h, q in quota.items()}
    remainder = total - sum(floors.values())
    order = sorted(quota, key=lambda h: (-(quota[h] - floors[h]), str(h)))
    for h in order[:remainder]:
        floors[h] += 1
    return floors
