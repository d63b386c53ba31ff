"""Design-based estimates from a stratified simple random sample.

The estimators are those of R's ``survey`` package for
``svydesign(id=~1, strata=~h, fpc=~N_h, weights=~w)``:

* a mean (and a proportion, the mean of a 0/1 variable) is the ratio
  ``Σ w·y / Σ w``; a total is ``Σ w·y``;
* the variance is the linearisation (Taylor) estimator with the finite
  population correction ``1 − n_h/N_h`` in each stratum;
* rows whose value is missing are *out of the domain*, not dropped from the
  design: they stay in their stratum with a zero contribution, as
  ``svymean(..., na.rm=TRUE)`` does.  This is how an indicator whose
  denominator leaves out hindrance categories is estimated;
* the design effect is the design variance divided by the variance of the
  same estimator under simple random sampling *without* replacement of the
  same number of units from the whole population, ``s²/n · (1 − n/N̂)`` with
  ``s²`` the weighted population variance — R's ``deff=TRUE``
  (``deff="replace"`` would drop the ``1 − n/N̂`` factor);
* the interval of a mean or total is ``estimate ± z·SE`` with the normal
  quantile, as R's ``confint()`` gives for these statistics.  ``df`` (rows −
  strata, R's ``degf``) is reported alongside;
* the interval of a proportion (``interval``) is by default Korn–Graubard's
  (1998) beta interval with the effective sample size, exactly R's
  ``svyciprop(..., method = "beta")``: ``n_eff = p(1 − p)/var`` scaled by
  ``(t_{α/2, rows−1} / t_{α/2, degf})²`` and the Clopper–Pearson beta
  quantiles at ``n_eff``.  Where R gives no interval (p = 0 or 1, or no
  sampling variance) the number of rows in the domain is the effective sample
  size, so three cases all "Ja" give 29,2–100 %, not 100–100 %; a census
  (every stratum wholly drawn) has no sampling error and gives the estimate
  itself.  ``"logit"`` is R's ``method = "logit"`` (a Wald interval on the
  logit scale with ``degf`` degrees of freedom); ``"wald"`` is
  ``estimate ± z·SE`` clipped to [0, 1] (R's ``confint(svymean(...))``).

Weights default to ``N_h/n_h``; a weight column may be given instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.numbers import MAX_FINITE, MAX_POPULATION
from granskning.wording import antal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

KINDS = ("medel", "total", "andel")
INTERVALS = ("beta", "logit", "wald")
INTERVAL_NAMES = {
    "beta": "Korn–Graubards betaintervall med effektiv urvalsstorlek",
    "logit": "Waldintervall på logitskala",
    "wald": "normalapproximation (Wald), avskuret till 0–100 %",
}


@dataclass(frozen=True, slots=True)
class Estimate:
    """A design-based estimate with its standard error, interval and design effect."""

    kind: str
    estimate: float
    se: float
    low: float
    high: float
    deff: float
    df: int
    n: int
    population: float
    strata: int
    alpha: float
    variable: str
    value: str | None = None
    interval: str = "wald"

    def to_json_dict(self) -> dict:
        def num(x: float) -> float | None:
            return None if x is None or math.isnan(x) else float(x)

        out = {
            "typ": self.kind,
            "variabel": self.variable,
            "skattning": num(self.estimate),
            "standardfel": num(self.se),
            "ki": [num(self.low), num(self.high)],
            "konfidensniva": 1 - self.alpha,
            "intervall": self.interval,
            "designeffekt": num(self.deff),
            "frihetsgrader": int(self.df),
            "n": int(self.n),
            "N": num(self.population),
            "antal_strata": int(self.strata),
        }
        if self.value is not None:
            out["varde"] = self.value
        return out


def _source_name(df: pd.DataFrame) -> str | None:
    source = df.attrs.get("source")
    return getattr(source, "name", None)


def _row_number(df: pd.DataFrame, position: int) -> int:
    """Return the Excel row of a record: the index from ``read_table``, else position + 2."""
    if "source" in df.attrs:
        return int(df.index[position])
    return position + 2


def _require_columns(df: pd.DataFrame, columns: list[str]) -> None:
    for col in columns:
        if col not in df.columns:
            names = ", ".join(f'"{c}"' for c in df.columns[:30])
            raise InputError(
                f"kolumnen finns inte. Kolumner: {names}", file=_source_name(df), row=1, column=col
            )


def parse_numbers(df: pd.DataFrame, column: str, *, allow_missing: bool = True) -> np.ndarray:
    """Return a column as floats, reading Swedish text (``1 234,5``); blanks become NaN."""
    import numpy as np
    import pandas as pd

    s = df[column]
    if pd.api.types.is_numeric_dtype(s):
        return _finite(df, column, s.to_numpy(dtype=float))
    text = s.astype("string").str.strip()
    text = text.str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.str.replace("−", "-", regex=False).str.replace(",", ".", regex=False)
    missing = text.isna() | (text == "")
    values = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = values.isna() & ~missing
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{s.iloc[pos]!r} är inget tal.", file=_source_name(df), row=_row_number(df, pos), column=column
        )
    if not allow_missing and missing.any():
        pos = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError("värde saknas.", file=_source_name(df), row=_row_number(df, pos), column=column)
    return _finite(df, column, values.to_numpy(dtype=float))


def _finite(df: pd.DataFrame, column: str, values: np.ndarray) -> np.ndarray:
    """Refuse inf and numbers beyond granskning.numbers.MAX_FINITE (1e999 read as inf)."""
    import numpy as np
    with np.errstate(invalid="ignore"):
        huge = np.isinf(values) | (np.abs(values) > MAX_FINITE)
    if huge.any():
        pos = int(np.flatnonzero(huge)[0])
        raise InputError(
            "talet är för stort (högst 10^15 till beloppet).",
            file=_source_name(df), row=_row_number(df, pos), column=column,
        )
    return values


def stratified_estimate(
    df: pd.DataFrame,
    *,
    strata: str,
    population: str,
    variable: str,
    kind: str = "medel",
    value: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    interval: str | None = None,
) -> Estimate:
    """Return the design-based estimate of a mean, total or proportion.

    ``population`` names a column holding each stratum's population size N_h
    (the same on every row of a stratum).  For ``kind="andel"`` the estimate is
    the share of rows whose ``variable`` equals ``value``; rows with an empty
    value are outside the domain.  ``interval`` (``"beta"``, ``"logit"``,
    ``"wald"``) chooses a proportion's interval, default ``"beta"``; a mean of
    a 0/1 variable may ask for it too.  Means and totals otherwise use Wald.
    """
    import numpy as np
    interval = _check_options(kind, alpha, interval)
    cols = [strata, population, variable] + ([weights] if weights else [])
    _require_columns(df, cols)
    if len(df) == 0:
        raise InputError("tabellen innehåller inga rader.", file=_source_name(df))
    design = _design(df, strata, population)
    codes, n_h, N_h = design.codes, design.n_h, design.N_h
    w = _weights(df, weights) if weights else (N_h / n_h)[codes]
    y, in_domain = _outcome(df, variable, kind, value)

    d = in_domain.astype(float)
    n = int(in_domain.sum())
    if n == 0:
        raise InputError("inga rader med värde i variabeln.", file=_source_name(df), column=variable)
    wd = w * d
    pop = float(wd.sum())
    if kind == "total":
        est = float((wd * y).sum())
        z = wd * y
    else:
        est = float((wd * y).sum() / pop)
        z = wd * (y - est) / pop

    design.refuse_lonely(df, strata)
    variance = design.variance(z)
    se = math.sqrt(max(variance, 0.0))
    deff = _design_effect(variance, wd, y, pop, n, kind)

    degf = len(df) - design.n_strata
    if interval != "wald" and kind != "andel":
        binary = kind == "medel" and bool(np.isin(y[in_domain], (0.0, 1.0)).all())
        if not binary:
            raise InputError(f"intervallet {interval!r} gäller andelar; använd --typ andel (eller wald).")
    if interval == "wald" or kind == "total":
        low, high = _wald(est, se, alpha, clip=kind == "andel" or interval != "wald")
    else:
        census = bool(np.all(n_h >= N_h))
        low, high = proportion_interval(est, variance, n_rows=len(df), degf=degf, n_domain=n,
                                        alpha=alpha, method=interval, census=census)
    return Estimate(
        kind=kind, estimate=est, se=se, low=low, high=high, deff=deff,
        df=degf, n=n, population=pop, strata=design.n_strata, alpha=alpha,
        variable=variable, value=None if value is None else str(value), interval=interval,
    )


def _check_options(kind: str, alpha: float, interval: str | None) -> str:
    """Return the interval to use; InputError for an unknown kind, interval or a level outside (0, 1)."""
    if kind not in KINDS:
        raise InputError(f"okänd typ {kind!r}; välj bland: {', '.join(KINDS)}.")
    if not 0 < alpha < 1:
        raise InputError(f"konfidensnivån måste ligga mellan 0 och 1 (alpha = {alpha}).")
    if interval is not None and interval not in INTERVALS:
        raise InputError(f"okänt intervall {interval!r}; välj bland: {', '.join(INTERVALS)}.")
    if interval is None:
        interval = "beta" if kind == "andel" else "wald"
    return interval


@dataclass(frozen=True, slots=True)
class _Design:
    """The strata of a stratified sample: each row's stratum, n_h, N_h and each stratum's first row."""

    codes: np.ndarray
    labels: Any
    n_h: np.ndarray
    N_h: np.ndarray
    first: np.ndarray

    @property
    def n_strata(self) -> int:
        return len(self.labels)

    def refuse_lonely(self, df: pd.DataFrame, strata: str) -> None:
        """InputError for a stratum with one row in the sample (and more in the population)."""
        import numpy as np
        lonely = (self.n_h == 1) & (self.N_h > 1)
        if lonely.any():
            k = int(np.flatnonzero(lonely)[0])
            raise InputError(
                f"stratum {self.labels[k]!r} har bara en rad i urvalet; variansen kan inte skattas.",
                file=_source_name(df), row=_row_number(df, int(self.first[k])), column=strata,
            )

    def variance(self, z: np.ndarray) -> float:
        """Return the linearisation variance of Σ z with the finite population correction per stratum."""
        import numpy as np
        n_h, N_h = self.n_h, self.N_h
        z_sum = np.bincount(self.codes, weights=z, minlength=self.n_strata)
        z_sq = np.bincount(self.codes, weights=z * z, minlength=self.n_strata)
        with np.errstate(divide="ignore", invalid="ignore"):
            ss = z_sq - z_sum**2 / n_h  # Σ (z − z̄_h)² per stratum
            scale = np.where(n_h > 1, (1 - n_h / N_h) * n_h / (n_h - 1), 0.0)
        return float(np.sum(scale * ss))


def _design(df: pd.DataFrame, strata: str, population: str) -> _Design:
    """Return the strata and their sizes; InputError for a blank stratum or an inconsistent N_h."""
    import numpy as np
    source = _source_name(df)
    h = df[strata].astype("string").str.strip().fillna("")
    if (h == "").any():
        pos = int(np.flatnonzero((h == "").to_numpy())[0])
        raise InputError("stratum saknas (tomt värde).", file=source, row=_row_number(df, pos), column=strata)
    codes, labels = h.factorize(sort=True)
    n_strata = len(labels)
    n_h = np.bincount(codes, minlength=n_strata).astype(float)

    big_n = parse_numbers(df, population, allow_missing=False)
    if (big_n > MAX_POPULATION).any():
        pos = int(np.flatnonzero(big_n > MAX_POPULATION)[0])
        raise InputError(
            f"populationen får vara högst {MAX_POPULATION:,} ärenden.".replace(",", " "),
            file=source, row=_row_number(df, pos), column=population,
        )
    first = np.full(n_strata, len(codes))
    np.minimum.at(first, codes, np.arange(len(codes)))  # first row of each stratum
    N_h = big_n[first]
    inconsistent = big_n != N_h[codes]
    if inconsistent.any():
        pos = int(np.flatnonzero(inconsistent)[0])
        raise InputError(
            f"populationsstorleken skiljer sig inom stratum {labels[codes[pos]]!r} "
            f"({big_n[pos]:g} här, {N_h[codes[pos]]:g} på rad {_row_number(df, int(first[codes[pos]]))}).",
            file=source, row=_row_number(df, pos), column=population,
        )
    too_small = N_h < n_h
    if too_small.any():
        k = int(np.flatnonzero(too_small)[0])
        raise InputError(
            f"stratum {labels[k]!r} har {antal(int(n_h[k]), 'rad')} i urvalet men populationen är bara {N_h[k]:g}.",
            file=source, row=_row_number(df, int(first[k])), column=population,
        )
    return _Design(codes, labels, n_h, N_h, first)


def _weights(df: pd.DataFrame, weights: str) -> np.ndarray:
    """Return the weight column; InputError for a weight that is not above zero."""
    import numpy as np
    w = parse_numbers(df, weights, allow_missing=False)
    if (w <= 0).any():
        pos = int(np.flatnonzero(w <= 0)[0])
        raise InputError("vikten måste vara större än noll.", file=_source_name(df), row=_row_number(df, pos),
                         column=weights)
    return w


def _outcome(df: pd.DataFrame, variable: str, kind: str, value: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Return (y, in the domain): 0/1 for a proportion of ``value``, the numbers otherwise (0 when missing)."""
    import numpy as np
    if kind == "andel":
        if value is None:
            raise InputError("--typ andel kräver --varde (det värde vars andel ska skattas).")
        text = df[variable].astype("string").str.strip().fillna("")
        in_domain = (text != "").to_numpy()
        y = (text == str(value).strip()).to_numpy(dtype=float)
    else:
        y = parse_numbers(df, variable)
        in_domain = ~np.isnan(y)
        y = np.where(in_domain, y, 0.0)
    return y, in_domain


def _design_effect(variance: float, wd: np.ndarray, y: np.ndarray, pop: float, n: int, kind: str) -> float:
    """Return the design effect against SRS without replacement of n units from N̂ (R: deff=TRUE)."""
    mean_y = float((wd * y).sum() / pop)
    s2 = float((wd * (y - mean_y) ** 2).sum() / pop) * n / (n - 1) if n > 1 else math.nan
    v_srs = s2 / n * (pop - n) / pop
    if kind == "total":
        v_srs *= pop**2
    return variance / v_srs if v_srs > 0 else math.nan


def _wald(est: float, se: float, alpha: float, *, clip: bool) -> tuple[float, float]:
    """Return ``est ± z·se`` with the normal quantile, clipped to [0, 1] for a proportion."""
    from scipy import stats

    zq = float(stats.norm.ppf(1 - alpha / 2))
    low, high = est - zq * se, est + zq * se
    if clip:
        low, high = max(0.0, low), min(1.0, high)
    return low, high


def proportion_interval(
    p: float, variance: float, *, n_rows: int, degf: int, n_domain: int, alpha: float = 0.05,
    method: str = "beta", census: bool = False,
) -> tuple[float, float]:
    """Return the interval of a design-based proportion as R's ``svyciprop`` computes it.

    ``method="beta"`` (Korn & Graubard 1998; R ``svyciprop(method = "beta")``):
    ``n_eff = p(1 − p)/variance · (qt(α/2, n_rows − 1)/qt(α/2, degf))²`` and
    ``[qbeta(α/2, n_eff·p, n_eff·(1 − p) + 1), qbeta(1 − α/2, n_eff·p + 1, n_eff·(1 − p))]``.
    When the variance is zero outside a census (p = 0 or 1, where R returns
    NaN) ``n_domain`` replaces ``p(1 − p)/variance``: the Clopper–Pearson
    interval of the cases actually seen.  ``method="logit"`` (R
    ``svyciprop(method = "logit")``): ``expit(logit(p) ± qt(1 − α/2, degf) ·
    SE/(p(1 − p)))``; it has no interval at p = 0 or 1 (NaN).
    """
    from scipy import stats

    if math.isnan(p):
        return math.nan, math.nan
    if census and variance <= 0:
        return p, p  # every case in the population was read: no sampling error
    if method == "logit":
        if variance <= 0 or p <= 0 or p >= 1:
            return math.nan, math.nan
        se_logit = math.sqrt(variance) / (p * (1 - p))
        t = float(stats.t.ppf(1 - alpha / 2, degf)) if degf > 0 else math.inf
        centre = math.log(p / (1 - p))
        return float(_expit(centre - t * se_logit)), float(_expit(centre + t * se_logit))
    if method != "beta":
        raise InputError(f"okänt intervall {method!r}; välj bland: {', '.join(INTERVALS)}.")
    base = p * (1 - p) / variance if variance > 0 and 0 < p < 1 else float(n_domain)
    if n_rows > 1 and degf > 0:
        ratio = (float(stats.t.ppf(alpha / 2, n_rows - 1)) / float(stats.t.ppf(alpha / 2, degf))) ** 2
    else:
        ratio = 1.0
    n_eff = base * ratio
    x = n_eff * p
    low = float(stats.beta.ppf(alpha / 2, x, n_eff - x + 1)) if x > 0 else 0.0
    high = float(stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x)) if n_eff - x > 0 else 1.0
    return low, high


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
