"""The words every report uses for significance, differences and counts.

One rule, used by every sentence the tool prints (PDF, text summary, XLSX):

* a result is *statistiskt säkerställd* when its p-value is strictly smaller
  than α (``p < 0,05`` at 95 % confidence); ``p = α`` is not;
* a p-value is printed with as many decimals as it takes for the printed
  number to be on the same side of α as the exact one, so "p = 0,05" is never
  printed beside "statistiskt säkerställd";
* when a confidence interval for a difference includes 0, the sentence says
  that the data *could not show* a difference ("kunde inte påvisa"), never
  that there is none, and names how large a difference the interval still
  allows;
* a Monte Carlo p-value closer to α than two simulation standard errors is
  a borderline case ("gränsfall"), neither significant nor dismissed;
* counts agree in number: "1 ärende", "2 ärenden", "1 stratum", "2 strata".
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from granskning.fmt import heltal, tal

# Swedish singular/plural of the nouns that follow a count in the reports.
PLURALS = {
    "ärende": "ärenden",
    "stratum": "strata",
    "rad": "rader",
    "akt": "akter",
    "reserv": "reserver",
    "fråga": "frågor",
    "svar": "svar",
    "simulering": "simuleringar",
    "frihetsgrad": "frihetsgrader",
    "procentenhet": "procentenheter",
    "stadsdelsförvaltning": "stadsdelsförvaltningar",
    "granskare": "granskare",
    "kontroll": "kontroller",
    "gång": "gånger",
    "område": "områden",
    "flicka": "flickor",
    "pojke": "pojkar",
    "svarskolumn": "svarskolumner",
}

# Differences (in proportion units) whose interval bound reaches this far are "stora".
LARGE_DIFFERENCE = 0.10


def plural(n: int, singular: str, many: str | None = None) -> str:
    """Return the noun in the number that agrees with ``n``: ``plural(1, "ärende") == "ärende"``.

    >>> plural(1, "ärende"), plural(2, "ärende"), plural(0, "stratum")
    ('ärende', 'ärenden', 'strata')
    >>> plural(3, "enkät", "enkäter")
    'enkäter'
    """
    if many is None:
        many = PLURALS.get(singular, singular)
    return singular if n == 1 else many


def antal(n: int, singular: str, many: str | None = None) -> str:
    """Return a count with its noun: ``antal(1, "ärende") == "1 ärende"``, ``"2 ärenden"``.

    >>> antal(1, "ärende"), antal(1200, "ärende"), antal(2, "stratum")
    ('1 ärende', '1 200 ärenden', '2 strata')
    """
    return f"{heltal(int(n))} {plural(int(n), singular, many)}"


def significant(p: float, alpha: float = 0.05) -> bool:
    """Return whether ``p`` is statistically significant at ``alpha``: strictly ``p < alpha``.

    >>> significant(0.049), significant(0.05), significant(0.009, alpha=0.01)
    (True, False, True)
    >>> significant(float("nan"))
    False
    """
    return p is not None and not math.isnan(p) and p < alpha


def format_p(p: float, alpha: float = 0.05) -> str:
    """Return a p-value as Swedish text (``p = 0,048``, ``p < 0,001``) on the right side of α.

    Two decimals (three below 0,01); more when the rounded number would land on
    the other side of ``alpha`` than ``p`` does, so the printed value always
    agrees with :func:`significant`.

    >>> format_p(0.048)  # two decimals would print 0,05 beside a significant result
    'p = 0,048'
    >>> format_p(0.0499), format_p(0.0501)
    ('p = 0,0499', 'p = 0,05')
    >>> format_p(0.2), format_p(0.004), format_p(0.0004)
    ('p = 0,20', 'p = 0,004', 'p < 0,001')
    >>> format_p(None)
    'p saknas'
    """
    if p is None or math.isnan(p):
        return "p saknas"
    if p < 0.001 and alpha > 0.001:
        return "p < 0,001"
    if p < 1e-6:
        return "p < 0,000001"
    decimals = 3 if p < 0.01 else 2
    while decimals < 8:
        shown = _rounded(p, decimals)
        if (shown < alpha) == (p < alpha):
            break
        decimals += 1
    else:
        return f"p {'<' if p < alpha else '≥'} {tal(alpha, _decimals(alpha))}"
    return f"p = {tal(p, decimals)}"


def _rounded(x: float, decimals: int) -> float:
    """Return ``x`` rounded as :func:`granskning.fmt.tal` prints it (halves away from zero)."""
    q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return float(q)


def _decimals(x: float) -> int:
    for d in range(0, 8):
        if abs(round(x, d) - x) < 1e-12:
            return d
    return 8


def simulation_borderline(p: float, n_sim: int | None, alpha: float = 0.05) -> bool:
    """Return whether a Monte Carlo p-value lies within two simulation standard errors of ``alpha``.

    The simulated p-value has standard error about ``sqrt(α(1 − α)/B)`` near α
    (B simulations): 0,0049 for B = 2 000.  Closer than two of those, another
    seed may put it on the other side of α, and the sentence says so.

    >>> simulation_borderline(0.052, 2000), simulation_borderline(0.03, 2000)
    (True, False)
    >>> simulation_borderline(0.052, None)  # an exact p-value is never borderline
    False
    """
    if not n_sim or p is None or math.isnan(p):
        return False
    return abs(p - alpha) < 2 * math.sqrt(alpha * (1 - alpha) / n_sim)


def verdict(p: float, alpha: float = 0.05) -> str:
    """Return ``"statistiskt säkerställd"`` or ``"inte statistiskt säkerställd"`` by the one rule.

    >>> verdict(0.01)
    'statistiskt säkerställd'
    >>> verdict(0.05)
    'inte statistiskt säkerställd'
    """
    return "statistiskt säkerställd" if significant(p, alpha) else "inte statistiskt säkerställd"


def level_text(alpha: float) -> str:
    """Return the confidence level of ``alpha`` as Swedish text: ``"95 %"``, ``"99,8 %"``.

    >>> level_text(0.05), level_text(0.002)
    ('95 %', '99,8 %')
    """
    level = 100 * (1 - alpha)
    return f"{tal(level, 0 if abs(level - round(level)) < 1e-9 else 1)} %"


def includes_zero(low: float, high: float) -> bool:
    """Return whether an interval for a difference includes 0 (no difference).

    >>> includes_zero(-0.02, 0.05), includes_zero(0.01, 0.05)
    (True, False)
    """
    return low <= 0 <= high


def points(x: float, decimals: int = 1) -> str:
    """Return a difference in percentage points with its noun agreeing: ``"1,0 procentenhet"``.

    >>> points(0.01), points(0.058)
    ('1,0 procentenhet', '5,8 procentenheter')
    """
    text = tal(100 * x, decimals)
    return f"{text} {'procentenhet' if text in ('1', '1,0', '1,00') else 'procentenheter'}"


def not_shown(low: float, high: float, groups: tuple[str, str], *, what: str = "någon skillnad") -> str:
    """Return the sentence for a difference whose interval includes 0.

    ``groups`` names the first and second group (the difference is first −
    second).  The sentence says what the data allow: that a difference could
    not be shown, and how large a difference in either direction the interval
    still leaves open.

    >>> not_shown(-0.03, 0.05, ("flickor", "pojkar"))
    'Granskningen kunde inte påvisa någon skillnad mellan flickor och pojkar; intervallet rymmer skillnader på upp till 5,0 procentenheter högre bland flickor eller upp till 3,0 procentenheter högre bland pojkar.'
    >>> not_shown(-0.02, 0.15, ("flickor", "pojkar"))
    'Granskningen kunde inte påvisa någon skillnad mellan flickor och pojkar, men kan inte heller utesluta stora skillnader: andelen kan vara upp till 15,0 procentenheter högre bland flickor eller upp till 2,0 procentenheter högre bland pojkar.'
    """
    a, b = groups
    text = f"Granskningen kunde inte påvisa {what} mellan {a} och {b}"
    if any(math.isnan(v) for v in (low, high)):
        return text + "."
    reach = []
    if high > 0.0005:
        reach.append(f"upp till {points(high)} högre bland {a}")
    if low < -0.0005:
        reach.append(f"upp till {points(-low)} högre bland {b}")
    if not reach:
        return text + "."
    big = max(abs(low), abs(high)) >= LARGE_DIFFERENCE
    allows = " eller ".join(reach)
    if big:
        return f"{text}, men kan inte heller utesluta stora skillnader: andelen kan vara {allows}."
    return f"{text}; intervallet rymmer skillnader på {allows}."
