"""Vectorised personnummer parsing for a pandas Series (used by ``personnummer.parse_series``).

The strings are laid out as a matrix of code points (one row per value) and every
rule of :func:`granskning.personnummer.number.parse` is applied with numpy, in the same
order, so the two give the same validity and the same reason for every input.
Only values with surrounding whitespace go through Python string methods.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from granskning.personnummer.reasons import (
    FEL_DATUM,
    FEL_FORMAT,
    FEL_FRAMTID,
    FEL_KONTROLL,
    FEL_SERIE,
    SAKNAS,
)
from granskning.secrecy import MIN_YEAR

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

WIDTH = 13  # the longest valid form, YYYYMMDD-NNNC
# (start of YYMMDD, start of NNNC, position of the separator or -1) for lengths 10..13
_LAYOUT = {10: (0, 6, -1), 11: (0, 7, 6), 12: (2, 8, -1), 13: (2, 9, 8)}
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # digit sum of 2 * d
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# reason codes, in the order parse() checks them
_REASONS = ["", SAKNAS, FEL_FORMAT, FEL_DATUM, FEL_FRAMTID, FEL_SERIE, FEL_KONTROLL]


def _texts(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stripped values as a '<U13' array, their true lengths, and the missing flags."""
    import numpy as np
    import pandas as pd

    values = s.to_numpy(dtype=object).copy()
    missing = pd.isna(values)
    values[missing] = ""
    if not all(type(v) is str for v in values[: min(len(values), 1000)]):
        values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
    length = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    cells = np.asarray(values, dtype=f"<U{WIDTH}")
    codes = cells.view(np.uint32).reshape(len(values), WIDTH)
    last = codes[np.arange(len(values)), np.clip(length, 1, WIDTH) - 1]
    # only values that may carry surrounding whitespace are stripped in Python
    suspect = (length > WIDTH) | (codes[:, 0] <= 32) | (codes[:, 0] >= 127)
    suspect |= (last <= 32) | (last >= 127)
    suspect &= length > 0
    for i in np.flatnonzero(suspect):
        stripped = values[i].strip()
        length[i] = len(stripped)
        cells[i] = stripped[:WIDTH]
    missing |= length == 0
    return cells, length, missing


def _days_since_epoch(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 for proleptic Gregorian dates (H. Hinnant's days_from_civil)."""
    import numpy as np

    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_series(s: pd.Series, reference: dt.date) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    n = len(s)
    cells, length, missing = _texts(s)
    codes = cells.view(np.uint32).reshape(n, WIDTH)
    digits = codes - 48  # non-digits wrap around to huge unsigned values
    digits = np.where(digits <= 9, digits, 99).astype(np.int16)

    core = np.full((n, 10), 99, dtype=np.int16)
    century = np.zeros(n, dtype=np.int64)
    has_century = length >= 12
    plus = np.zeros(n, dtype=bool)
    format_ok = np.zeros(n, dtype=bool)
    for size, (date_at, serial_at, sep_at) in _LAYOUT.items():
        rows: slice | np.ndarray = length == size
        if not rows.any():  # type: ignore[union-attr]
            continue
        if rows.all():  # type: ignore[union-attr]
            rows = slice(None)  # the usual case: one format in the whole column
        part = digits[rows]
        core[rows, :6] = part[:, date_at : date_at + 6]
        core[rows, 6:] = part[:, serial_at : serial_at + 4]
        ok = (core[rows] <= 9).all(axis=1)
        if size >= 12:
            ok &= (part[:, :2] <= 9).all(axis=1)
            century[rows] = part[:, 0] * 10 + part[:, 1]
        if sep_at >= 0:
            sep = codes[rows, sep_at]
            ok &= (sep == ord("-")) | (sep == ord("+"))
            plus[rows] = sep == ord("+")
        format_ok[rows] = ok
    core[~format_ok] = 0
    core64 = core.astype(np.int64)

    yy = core64[:, 0] * 10 + core64[:, 1]
    month = core64[:, 2] * 10 + core64[:, 3]
    day_written = core64[:, 4] * 10 + core64[:, 5]
    coordination = day_written > 60
    day = np.where(coordination, day_written - 60, day_written)
    ref_key = reference.year * 10000 + reference.month * 100 + reference.day
    base = reference.year // 100 * 100 + yy
    base -= 100 * ((base * 10000 + month * 100 + day) > ref_key)
    base -= 100 * plus
    year = np.where(has_century, century * 100 + yy, base)

    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days_in_month = np.array(_DAYS)[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    date_ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month)
    date_ok &= year >= MIN_YEAR
    future = (year * 10000 + month * 100 + day) > ref_key
    serial_ok = (core[:, 6:9] != 0).any(axis=1)
    # Luhn: digits 1, 3, 5, 7, 9 are doubled (digit sum of the product), the others kept
    total = np.array(_DOUBLED, dtype=np.int16)[core[:, 0:9:2]].sum(axis=1) + core[:, 1:9:2].sum(axis=1)
    luhn_ok = (10 - total % 10) % 10 == core[:, 9]

    reason = np.zeros(n, dtype=np.int8)
    for code, bad in reversed(
        list(enumerate([missing, ~format_ok, ~date_ok, future, ~serial_ok, ~luhn_ok], 1))
    ):
        reason[bad] = code  # the first failing check (lowest code) wins
    valid = reason == 0

    # canonical YYYYMMDDNNNC, assembled as code points and viewed as strings
    out = np.empty((n, 12), dtype=np.uint32)
    for col, value in enumerate(
        [year // 1000 % 10, year // 100 % 10, year // 10 % 10, year % 10,
         month // 10, month % 10, day_written // 10, day_written % 10]
    ):  # fmt: skip
        out[:, col] = value + 48
    out[:, 8:] = core[:, 6:] + 48
    canonical = out.view("<U12").ravel().astype(object)
    canonical[~valid] = np.nan

    births = _days_since_epoch(np.where(valid, year, 1970), np.where(valid, month, 1),
                               np.where(valid, day, 1)).astype("datetime64[D]")  # fmt: skip
    births = births.astype("datetime64[s]")
    births[~valid] = np.datetime64("NaT")
    ref_md = reference.month * 100 + reference.day
    age = reference.year - year - (ref_md < month * 100 + day)
    sex_code = np.where(valid, core[:, 8] % 2, -1)

    index = s.index
    return pd.DataFrame(
        {
            "valid": valid,
            "canonical": pd.Series(canonical, index=index, dtype="str"),
            "birth_date": births,
            "sex": pd.Categorical.from_codes(sex_code, categories=["kvinna", "man"]),
            "age": pd.arrays.IntegerArray(age.astype(np.int64), ~valid),
            "samordningsnummer": coordination & valid,
            "reason": pd.Categorical.from_codes(reason, categories=_REASONS),
        },
        index=index,
    )
