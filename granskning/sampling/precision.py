"""Precision of a sample: margins of error, sample sizes and attribute sampling.

- :func:`margin_of_error` and :func:`sample_size`: the normal-approximation
  margin z·sqrt(p(1−p)/n), with the finite population correction
  sqrt((N−n)/(N−1)) when N is known, and its inverse (Cochran 1977, §4.4).
- :func:`stratified_margin` and :func:`stratified_sample_size`: the same for a
  stratified simple random sample, with the design effect of the allocation.
- :func:`attribute_sample_size` and :func:`evaluate_attribute_sample`:
  attribute sampling for tests of controls in the AICPA convention (exact
  one-sided binomial or hypergeometric upper bounds), in
  :mod:`granskning.sampling.attribute` and importable from here.

Conventions, with the published tables they reproduce, are in
``docs/attributurval.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING

from granskning.errors import InputError
from granskning.numbers import MAX_POPULATION, parse_integer
from granskning.sampling.allocation import METHODS, allocate
from granskning.sampling.attribute import (
    HYPERGEOMETRIC_MAX_N,
    MAX_ATTRIBUTE_N,
    AttributeEvaluation,
    AttributeSizeResult,
    attribute_sample_size,
    evaluate_attribute_sample,
)
from granskning.sampling.frame import read_table
from granskning.sampling.parameters import (
    MIN_MARGIN,
    fraction_open,
    integer,
    margin_target,
    population_size,
    proportion,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HYPERGEOMETRIC_MAX_N",
    "MAX_ATTRIBUTE_N",
    "MIN_MARGIN",
    "AttributeEvaluation",
    "AttributeSizeResult",
    "MarginResult",
    "SizeResult",
    "StratifiedMarginResult",
    "StratifiedSizeResult",
    "attribute_sample_size",
    "evaluate_attribute_sample",
    "margin_of_error",
    "read_strata",
    "sample_size",
    "stratified_margin",
    "stratified_sample_size",
]


# --- results -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarginResult:
    """Margin of error (half-width of the two-sided interval) for a proportion."""

    n: int
    population: int | None
    confidence: float
    p: float
    z: float
    margin: float
    fpc: float  # sqrt((N−n)/(N−1)); 1.0 without a population


@dataclass(frozen=True, slots=True, eq=False)
class StratifiedMarginResult:
    """Design-based margin of error of a stratified (population-weighted) proportion.

    ``strata`` has one row per stratum: ``stratum, N, n, p, weight, fpc, margin``.
    """

    strata: pd.DataFrame
    n: int
    population: int
    confidence: float
    z: float
    p: float  # Σ W_h·p_h, the anticipated city-wide proportion
    variance: float
    margin: float
    naive_margin: float  # as if a simple random sample of n from N
    design_effect: float  # variance / variance of that simple random sample


@dataclass(frozen=True, slots=True)
class SizeResult:
    """Smallest sample size whose margin of error is at most ``target``."""

    n: int
    target: float
    margin: float  # the margin actually reached with n
    population: int | None
    confidence: float
    p: float
    z: float
    n0: float  # Cochran's z²p(1−p)/E², before the finite population correction


@dataclass(frozen=True, slots=True, eq=False)
class StratifiedSizeResult:
    """Smallest total n, allocated over the strata, whose design margin is at most ``target``.

    ``allocation`` has one row per stratum: ``stratum, N, n, takes_all, p, margin``.
    """

    n: int
    target: float
    margin: float
    method: str
    confidence: float
    naive_margin: float
    design_effect: float
    allocation: pd.DataFrame


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _fpc(N: int | None, n: int) -> float:
    if N is None:
        return 1.0
    return math.sqrt((N - n) / (N - 1)) if N > 1 else 0.0


# --- simple random sampling -----------------------------------------------------


def margin_of_error(
    n: int,
    *,
    population: int | None = None,
    confidence: float = 0.95,
    p: float = 0.5,
) -> MarginResult:
    """Return the margin of error z·sqrt(p(1−p)/n)·fpc for a proportion from n cases.

    p = 0.5 gives the conservative (largest) margin.  With ``population`` the
    finite population correction sqrt((N−n)/(N−1)) is applied.

    >>> round(margin_of_error(286).margin, 5)  # the 2024 audit: "cirka 5,8 procent"
    0.05795
    """
    n = integer(n, "Urvalsstorleken n", minimum=1)
    N = population_size(population, n)
    confidence = fraction_open(confidence, "Konfidensnivån")
    p = proportion(p)
    z = _z(confidence)
    fpc = _fpc(N, n)
    margin = z * math.sqrt(p * (1.0 - p) / n) * fpc
    return MarginResult(n=n, population=N, confidence=confidence, p=p, z=z, margin=margin, fpc=fpc)


def sample_size(
    margin: float,
    *,
    population: int | None = None,
    confidence: float = 0.95,
    p: float = 0.5,
) -> SizeResult:
    """Return the smallest n whose :func:`margin_of_error` is at most ``margin``.

    Starts from Cochran's n0 = z²p(1−p)/E² and n = n0 / (1 + (n0 − 1)/N)
    (Cochran 1977, eq. 4.2 and §4.4) and then checks the neighbouring
    integers, so that rounding or floating point never gives an n that is one
    too large or too small.

    >>> sample_size(0.05).n
    385
    """
    target = margin_target(margin)
    confidence = fraction_open(confidence, "Konfidensnivån")
    p = proportion(p)
    N = None if population is None else integer(population, "Populationen", minimum=1)
    z = _z(confidence)
    n0 = z * z * p * (1.0 - p) / (target * target)
    guess = n0 / (1.0 + (n0 - 1.0) / N) if N is not None else n0
    n = max(1, math.ceil(guess))
    if N is not None:
        n = min(n, N)

    def moe(k: int) -> float:
        return z * math.sqrt(p * (1.0 - p) / k) * _fpc(N, k)

    while n > 1 and moe(n - 1) <= target:
        n -= 1
    while moe(n) > target and (N is None or n < N):
        n += 1
    return SizeResult(
        n=n, target=target, margin=moe(n), population=N, confidence=confidence, p=p, z=z, n0=n0
    )


# --- stratified sampling ----------------------------------------------------------


def read_strata(path: str | Path, *, sheet: str | None = None, need_n: bool = True) -> pd.DataFrame:
    """Return a strata table (``stratum, N[, n][, p]``) read from a CSV or XLSX file.

    Every value is checked; a bad one raises :class:`InputError` naming the
    file, the row as Excel numbers it and the column.
    """
    import pandas as pd


    wanted = ["stratum", "N"] + (["n"] if need_n else [])
    table = read_table(path, sheet=sheet)
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise InputError(
            "kolumnen saknas; filen måste ha kolumnerna " + ", ".join(wanted) + " (och gärna p).",
            file=path,
            row=1,
            column=missing[0],
        )
    if table.empty:
        raise InputError("filen innehåller inga stratum.", file=path)
    name = Path(path).name
    out: dict[str, list] = {"stratum": [], "N": []}
    if need_n:
        out["n"] = []
    has_p = "p" in table.columns
    if has_p:
        out["p"] = []
    for row, record in table.iterrows():
        stratum = str(record["stratum"]).strip()
        if not stratum:
            raise InputError("stratumnamnet saknas.", file=name, row=int(row), column="stratum")
        out["stratum"].append(stratum)
        for col in ("N", "n") if need_n else ("N",):
            try:
                value = parse_integer(record[col], "värdet", minimum=0)
            except InputError as exc:
                raise InputError(exc.message, file=name, row=int(row), column=col) from None
            out[col].append(value)
        if has_p:
            text = str(record["p"]).strip().replace(",", ".").rstrip("%").strip()
            try:
                value = float(text) / (100.0 if str(record["p"]).strip().endswith("%") else 1.0)
            except ValueError:
                value = math.nan
            if not 0.0 <= value <= 1.0:
                raise InputError(
                    f"andelen måste ligga mellan 0 och 1 (fick {record['p']!r}).",
                    file=name,
                    row=int(row),
                    column="p",
                )
            out["p"].append(value)
    if len(set(out["stratum"])) != len(out["stratum"]):
        dup = pd.Series(out["stratum"])
        first = dup[dup.duplicated()].iloc[0]
        raise InputError(
            f"stratumet {first!r} förekommer mer än en gång.", file=name, column="stratum"
        )
    return pd.DataFrame(out)


def _check_strata(strata: pd.DataFrame, *, need_n: bool) -> pd.DataFrame:
    wanted = ["stratum", "N"] + (["n"] if need_n else [])
    missing = [c for c in wanted if c not in strata.columns]
    if missing:
        raise InputError(
            "kolumnen saknas i strata-tabellen (behövs: " + ", ".join(wanted) + ").",
            row=1,
            column=missing[0],
        )
    if len(strata) == 0:
        raise InputError("Strata-tabellen är tom.")
    df = strata.reset_index(drop=True).copy()
    if df["stratum"].duplicated().any():
        first = df.loc[df["stratum"].duplicated(), "stratum"].iloc[0]
        raise InputError(f"stratumet {first!r} förekommer mer än en gång.", column="stratum")
    Ns, ns, ps = [], [], []
    for i, record in enumerate(df.itertuples(index=False)):
        row = i + 2  # as in a file: header on row 1
        rec = record._asdict()
        try:
            N = integer(rec["N"], "antalet ärenden N", minimum=0)
        except InputError as exc:
            raise InputError(exc.message, row=row, column="N") from None
        Ns.append(N)
        if need_n:
            try:
                n = integer(rec["n"], "urvalsstorleken n", minimum=0)
            except InputError as exc:
                raise InputError(exc.message, row=row, column="n") from None
            if n > N:
                raise InputError(
                    f"urvalet (n = {n}) är större än stratumet (N = {N}).", row=row, column="n"
                )
            if n == 0 and N > 0:
                raise InputError(
                    "urvalet är 0 i ett stratum med ärenden; felmarginalen går inte att beräkna.",
                    row=row,
                    column="n",
                )
            ns.append(n)
        p = rec.get("p", 0.5)
        if p is None or (isinstance(p, float) and math.isnan(p)):
            p = 0.5
        try:
            ps.append(proportion(p, "andelen p"))
        except InputError as exc:
            raise InputError(exc.message, row=row, column="p") from None
    df["N"] = Ns
    if need_n:
        df["n"] = ns
    df["p"] = ps
    if sum(Ns) == 0:
        raise InputError("Strata-tabellen innehåller inga ärenden (alla N är 0).")
    if sum(Ns) > MAX_POPULATION:
        raise InputError(
            f"Strata-tabellen har sammanlagt {sum(Ns):,} ärenden; högst ".replace(",", " ")
            + f"{MAX_POPULATION:,} går att beräkna.".replace(",", " "),
            column="N",
        )
    return df


def _design(N: list[int], n: list[int], p: list[float]) -> tuple[list[float], list[float], float]:
    """Return the weights, per-stratum variances of p_h and the variance of Σ W_h p_h."""
    total = sum(N)
    weights = [Nh / total for Nh in N]
    per_stratum: list[float] = []
    variance = 0.0
    for Wh, Nh, nh, ph in zip(weights, N, n, p, strict=True):
        if Nh == 0:
            per_stratum.append(0.0)
            continue
        if nh == 0:
            per_stratum.append(math.inf)
            variance = math.inf
            continue
        fpc2 = (Nh - nh) / (Nh - 1) if Nh > 1 else 0.0
        v = fpc2 * ph * (1.0 - ph) / nh
        per_stratum.append(v)
        variance += Wh * Wh * v
    return weights, per_stratum, variance


def stratified_margin(strata: pd.DataFrame, *, confidence: float = 0.95) -> StratifiedMarginResult:
    """Return per-stratum and city-wide margins of error for a stratified sample.

    ``strata`` has the columns ``stratum, N, n`` and optionally ``p`` (the
    anticipated proportion, default 0.5).  The city-wide estimate is the
    population-weighted p_st = Σ W_h p_h with W_h = N_h/N, and its variance is
    the textbook form for known stratum proportions (Cochran 1977, ch. 5,
    "Stratified sampling for proportions")::

        V(p_st) = Σ W_h² · (N_h − n_h)/(N_h − 1) · P_h(1 − P_h)/n_h

    which for a single stratum is exactly the square of
    :func:`margin_of_error`'s margin over z.  (The estimator form with
    p_h(1−p_h)/(n_h−1) belongs to the analysis of collected data, not to
    planning.)  The naive margin treats the whole sample as a simple random
    sample of n = Σ n_h from N = Σ N_h with p = p_st; the design effect is the
    ratio of the two variances (Kish 1965), above 1 when the allocation is
    disproportionate, e.g. 26 cases in every district whatever its size.
    """
    import pandas as pd

    confidence = fraction_open(confidence, "Konfidensnivån")
    df = _check_strata(strata, need_n=True)
    z = _z(confidence)
    N, n, p = df["N"].tolist(), df["n"].tolist(), df["p"].tolist()
    weights, per_stratum, variance = _design(N, n, p)
    total_N, total_n = sum(N), sum(n)
    p_st = sum(W * ph for W, ph in zip(weights, p, strict=True))
    naive = margin_of_error(total_n, population=total_N, confidence=confidence, p=p_st)
    naive_variance = (naive.margin / z) ** 2
    table = pd.DataFrame(
        {
            "stratum": df["stratum"].tolist(),
            "N": pd.array(N, dtype="int64"),
            "n": pd.array(n, dtype="int64"),
            "p": p,
            "weight": weights,
            "fpc": [_fpc(Nh, nh) if Nh else 0.0 for Nh, nh in zip(N, n, strict=True)],
            "margin": [z * math.sqrt(v) for v in per_stratum],
        }
    )
    return StratifiedMarginResult(
        strata=table,
        n=total_n,
        population=total_N,
        confidence=confidence,
        z=z,
        p=p_st,
        variance=variance,
        margin=z * math.sqrt(variance),
        naive_margin=naive.margin,
        design_effect=variance / naive_variance if naive_variance > 0 else math.nan,
    )


def stratified_sample_size(
    margin: float,
    strata: pd.DataFrame,
    *,
    allocation: str = "lika",
    confidence: float = 0.95,
    minimum: int = 0,
) -> StratifiedSizeResult:
    """Return the smallest total n, allocated by ``allocation``, with design margin ≤ ``margin``.

    ``strata`` has the columns ``stratum, N`` and optionally ``p`` (anticipated
    proportion, default 0.5; it also steers a Neyman allocation).  The total is
    split with :func:`granskning.sampling.allocation.allocate` (``"lika"``,
    ``"proportionell"`` or ``"neyman"``), and the city-wide margin is that of
    :func:`stratified_margin`.  The total is found by bisection; the answer is
    checked so that the total one smaller does not reach the target.
    """

    target = margin_target(margin)
    confidence = fraction_open(confidence, "Konfidensnivån")
    if allocation not in METHODS:
        raise InputError(f"Okänd fördelning {allocation!r}; välj bland {', '.join(METHODS)}.")
    df = _check_strata(strata, need_n=False)
    z = _z(confidence)
    population = dict(zip(df["stratum"], df["N"], strict=True))
    p = df["p"].tolist()
    props = None
    if allocation == "neyman":
        props = {h: min(max(ph, 1e-9), 1 - 1e-9) for h, ph in zip(df["stratum"], p, strict=True)}

    def plan(total: int) -> tuple[pd.DataFrame, float]:
        alloc = allocate(
            population, total=total, method=allocation, proportions=props, minimum=minimum
        )
        _w, _v, variance = _design(df["N"].tolist(), alloc["n"].tolist(), p)
        return alloc, z * math.sqrt(variance)

    smallest = max(1, sum(min(minimum, N) for N in df["N"]))
    lo, hi = smallest, int(df["N"].sum())  # the whole population always reaches the target
    while lo < hi:
        mid = (lo + hi) // 2
        if plan(mid)[1] <= target:
            hi = mid
        else:
            lo = mid + 1
    # Rounding can make the margin slightly non-monotone in the total: step down
    # while the next smaller total still reaches the target.
    while hi > smallest and plan(hi - 1)[1] <= target:
        hi -= 1
    alloc, reached = plan(hi)
    used = alloc.copy()
    used["p"] = p
    _w, per_stratum, _v = _design(df["N"].tolist(), alloc["n"].tolist(), p)
    used["margin"] = [z * math.sqrt(v) for v in per_stratum]
    checked = stratified_margin(used[["stratum", "N", "n", "p"]], confidence=confidence)
    return StratifiedSizeResult(
        n=int(alloc["n"].sum()),
        target=target,
        margin=reached,
        method=allocation,
        confidence=confidence,
        naive_margin=checked.naive_margin,
        design_effect=checked.design_effect,
        allocation=used,
    )


