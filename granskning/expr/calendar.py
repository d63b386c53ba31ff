"""Calendar arithmetic of the expression language: days and whole months between dates.

Two rules, written once here and used by both the row-wise evaluation
(:mod:`granskning.expr.nodes`) and the vectorised mask (:mod:`granskning.expr.numeric`):

* ``add_months(d, n)``: the day with the same number ``n`` months later; when that
  month is shorter, its last day (2024-01-31 plus one month is 2024-02-29).  This is
  how a time limit in months ends under lag (1930:173) om beräkning av lagstadgad tid.
* ``whole_months(a, b)``: the completed months from ``a`` to ``b``, counted as age is
  counted in years: a month is complete when the same day number is reached
  (2024-01-15 to 2024-02-15 is one month, to 2024-02-14 none).  When the end month
  has no such day, the month is not complete until the first day of the next month:
  2024-01-31 to 2024-02-29 is 0 whole months, to 2024-03-01 one.  Negative when ``b``
  is before ``a`` (the same rule backwards: ``whole_months(b, a) == -whole_months(a, b)``).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MIN_ORDINAL = _dt.date.min.toordinal()
MAX_ORDINAL = _dt.date.max.toordinal()


def days_between(a: _dt.date, b: _dt.date) -> int:
    """Return the number of days from ``a`` to ``b`` (negative when ``b`` is earlier)."""
    return b.toordinal() - a.toordinal()


def add_days(day: _dt.date, n: int) -> _dt.date | None:
    """Return ``day`` plus ``n`` days; None when the result is outside years 1–9999."""
    ordinal = day.toordinal() + n
    if not MIN_ORDINAL <= ordinal <= MAX_ORDINAL:
        return None
    return _dt.date.fromordinal(ordinal)


def add_months(day: _dt.date, n: int) -> _dt.date | None:
    """Return ``day`` plus ``n`` calendar months (see the module docstring); None out of range."""
    total = day.year * 12 + (day.month - 1) + n
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        return None
    last = _calendar.monthrange(year, month + 1)[1]
    return _dt.date(year, month + 1, min(day.day, last))


def whole_months(a: _dt.date, b: _dt.date) -> int:
    """Return the completed months from ``a`` to ``b`` (see the module docstring)."""
    if b < a:
        return -whole_months(b, a)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    return months - 1 if b.day < a.day else months


# ------------------------------------------------------------------ vectorised


def split_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return year, month (1–12) and day arrays for integer days since 1970-01-01."""
    import numpy as np

    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def whole_months_vector(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``whole_months`` over integer-day arrays (no missing values in them)."""
    import numpy as np

    ya, ma, da = split_days(a)
    yb, mb, db = split_days(b)
    forward = (yb - ya) * 12 + (mb - ma) - (db < da)
    backward = -((ya - yb) * 12 + (ma - mb) - (da < db))
    return np.where(b >= a, forward, backward)


def add_months_vector(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``add_months`` over integer-day arrays and whole-number arrays (float, NaN when out of range)."""
    import numpy as np

    year, month, day = split_days(a)
    total = year * 12 + (month - 1) + n.astype(np.int64)
    new_year, new_month0 = np.divmod(total, 12)
    ok = (new_year >= 1) & (new_year <= 9999)
    safe_total = np.where(ok, total, 1970 * 12) - 1970 * 12
    first = safe_total.astype("datetime64[M]").astype("datetime64[D]")
    following = (safe_total + 1).astype("datetime64[M]").astype("datetime64[D]")
    length = (following - first).astype(np.int64)
    result = first.astype(np.int64) + np.minimum(day, length) - 1
    del new_month0
    return np.where(ok, result.astype(float), np.nan)
