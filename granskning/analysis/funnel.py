"""Funnel plots for comparing districts (Spiegelhalter 2005).

Each stratum's rate is plotted against its denominator with the city rate as
the centre line and control limits from the exact binomial distribution.  The
limits are smoothed by Spiegelhalter's interpolation (Stat Med 24:1185–1202,
appendix A.1.1): with ``r_p`` the smallest count whose binomial cdf reaches
``p``,

    α = (P(R ≤ r_p) − p) / P(R = r_p),    limit = (r_p − α) / n,

so the limit moves continuously between the attainable rates.  The default
levels are 95 % (two-sided p = 0.025, 0.975) and 99.8 % (p = 0.001, 0.999).

The interpolated limit is a drawing aid: at the boundary it lies strictly
inside the attainable rates (for 1 of 1 against a centre of 80 % the upper
limit is 97,5 %), so a stratum is counted as outside a limit only when the
exact one-sided binomial test against the centre also rejects at that level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

LEVELS = (0.95, 0.998)


def binomial_limit(n, p0: float, p: float) -> np.ndarray:
    """Return Spiegelhalter's interpolated exact binomial quantile of a rate, ``(r_p − α)/n``."""
    import numpy as np
    from scipy import stats
    n = np.asarray(n, dtype=float)
    if not 0 <= p0 <= 1:
        raise InputError(f"mittvärdet måste vara en andel mellan 0 och 1, fick {p0}.")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = stats.binom.ppf(p, n, p0)
        cdf = stats.binom.cdf(r, n, p0)
        pmf = stats.binom.pmf(r, n, p0)
        alpha = np.where(pmf > 0, (cdf - p) / pmf, 0.0)
        out = np.clip((r - alpha) / n, 0.0, 1.0)
    return np.where(n > 0, out, np.nan)


def limits(denominators, p0: float, levels: Sequence[float] = LEVELS) -> pd.DataFrame:
    """Return a tidy table of lower and upper limits per denominator and level."""
    import numpy as np
    import pandas as pd

    n = np.asarray(denominators, dtype=float)
    parts = []
    for level in levels:
        if not 0 < level < 1:
            raise InputError(f"nivån måste ligga mellan 0 och 1, fick {level}.")
        tail = (1 - level) / 2
        parts.append(pd.DataFrame({
            "denominator": n, "level": level,
            "lower": binomial_limit(n, p0, tail), "upper": binomial_limit(n, p0, 1 - tail),
        }))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True, slots=True)
class Funnel:
    """Strata placed against the funnel limits of a common centre rate."""

    centre: float
    levels: tuple[float, ...]
    points: pd.DataFrame  # stratum, numerator, denominator, rate, level, lower, upper, position

    def outside(self, level: float) -> dict[str, list[str]]:
        """Return the strata above and below the limits at ``level``."""
        import numpy as np
        rows = self.points[np.isclose(self.points["level"], level)]
        return {
            "over": rows.loc[rows["position"] == "över", "stratum"].tolist(),
            "under": rows.loc[rows["position"] == "under", "stratum"].tolist(),
        }

    def curve(self, n_max: int | None = None, levels: Sequence[float] | None = None) -> pd.DataFrame:
        """Return the limits on every denominator 1…n_max, for drawing the funnel."""
        import numpy as np
        top = int(n_max or max(1, self.points["denominator"].max()))
        return limits(np.arange(1, top + 1), self.centre, levels or self.levels)

    def to_json_dict(self) -> dict:
        return {
            "mittvarde": self.centre,
            "nivaer": {
                f"{100 * lv:g}": {"over": v["over"], "under": v["under"]}
                for lv in self.levels
                for v in [self.outside(lv)]
            },
        }


def funnel(
    numerators, denominators, labels, *, centre: float | None = None, levels: Sequence[float] = LEVELS
) -> Funnel:
    """Return each stratum's rate with its funnel limits and whether it lies outside.

    ``centre`` defaults to the pooled rate ``Σ numerators / Σ denominators``
    (the city rate).  A rate strictly above the upper limit is ``"över"`` and
    strictly below the lower limit ``"under"`` only if the exact one-sided
    binomial test against the centre also rejects at that level (p below the
    tail ``(1 − level)/2``, strictly, as every significance statement in the
    reports); otherwise ``"inom"``.  Strata with no denominator are
    ``"okänd"``.  ``p_over`` and ``p_under`` hold the one-sided p-values.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    x = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    labels = [str(v) for v in labels]
    if not (len(x) == len(n) == len(labels)):
        raise InputError("täljare, nämnare och namn måste vara lika många.")
    if np.any(x < 0) or np.any(x > n):
        raise InputError("täljaren måste ligga mellan 0 och nämnaren.")
    if centre is None:
        centre = float(x.sum() / n.sum()) if n.sum() > 0 else math.nan
    if math.isnan(centre):
        raise InputError("mittvärdet kan inte beräknas: alla nämnare är noll.")
    lim = limits(n, centre, levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
    base = pd.DataFrame({"stratum": labels, "numerator": x.astype(int), "denominator": n.astype(int),
                         "rate": rate})
    points = pd.concat([base] * len(levels), ignore_index=True)
    points[["level", "lower", "upper"]] = lim[["level", "lower", "upper"]].to_numpy()
    # Outside a limit only if the exact one-sided binomial test agrees at the same level: the
    # interpolated limit of a tiny or full unit (1 of 1, 26 of 26) lies just inside the
    # attainable rates, so the rate alone would flag a unit that no test can tell from the centre.
    k, m = points["numerator"].to_numpy(), points["denominator"].to_numpy()
    tail = (1 - points["level"].to_numpy()) / 2
    p_over = stats.binom.sf(k - 1, m, centre)   # P(R >= k): binomtest(k, m, centre, "greater")
    p_under = stats.binom.cdf(k, m, centre)     # P(R <= k): binomtest(k, m, centre, "less")
    points["p_over"], points["p_under"] = p_over, p_under
    over = (points["rate"] > points["upper"]).to_numpy() & (p_over < tail)
    under = (points["rate"] < points["lower"]).to_numpy() & (p_under < tail)
    position = np.where(over, "över", np.where(under, "under", "inom"))
    points["position"] = np.where(points["denominator"] > 0, position, "okänd")
    return Funnel(float(centre), tuple(levels), points)
