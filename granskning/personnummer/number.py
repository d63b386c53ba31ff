"""Swedish personal identity numbers (personnummer and samordningsnummer, SKV 704).

Accepted forms: ``YYMMDD-NNNC``, ``YYMMDD+NNNC``, ``YYMMDDNNNC``, ``YYYYMMDD-NNNC``,
``YYYYMMDDNNNC`` (and ``YYYYMMDD+NNNC``).  A samordningsnummer has 60 added to the
day.  The birth number NNN runs 001–999.  The check digit C is the Luhn (mod 10, weights 2-1-2-…) digit of the ten-digit
form.  The second-to-last digit is odd for men and even for women.

A ten-digit number has no century: it is resolved against an explicit ``reference``
date (never the wall clock here; the CLI passes today's date).  With ``-`` or no
separator the person is under 100 on the reference date, with ``+`` 100 or older.

Nothing in this module puts a full number into a message or ``repr``: the last four
digits are always masked (``20150315-****``).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning.errors import InputError
from granskning.personnummer.reasons import (
    FEL_DATUM,
    FEL_FORMAT,
    FEL_FRAMTID,
    FEL_KONTROLL,
    FEL_SERIE,
    SAKNAS,
)
from granskning.personnummer.series import parse_series as _vector_parse
from granskning.secrecy import (
    MIN_YEAR,
    Hit,
    _luhn,
    contains_personnummer,
    find_personnummer,
    scrub,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Hit",
    "Personnummer",
    "PersonnummerError",
    "age",
    "as_child",
    "contains_personnummer",
    "find_personnummer",
    "is_valid",
    "mask",
    "parse",
    "parse_series",
    "scrub",
    "sex",
    "synthetic",
]

_SHAPE = re.compile(r"([0-9]{2})?([0-9]{6})([-+]?)([0-9]{4})")


_CHILD = {"kvinna": "flicka", "man": "pojke"}


class PersonnummerError(InputError):
    """An invalid personnummer (exit code 2); the message never holds the full number.

    ``reason`` is the short Swedish reason (one of the ``FEL_*``/``SAKNAS`` texts,
    the same as the ``reason`` column of :func:`parse_series`) when there is one.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True, repr=False)
class Personnummer:
    """A valid personnummer or samordningsnummer.

    ``canonical`` is the twelve-digit form as written (``YYYYMMDDNNNC``; for a
    samordningsnummer the day includes the +60); ``birth_date`` is the real date.
    ``repr`` and ``str`` show only the masked form.
    """

    canonical: str
    birth_date: _dt.date
    serial: str
    check_digit: int
    is_samordningsnummer: bool

    @property
    def masked(self) -> str:
        """``YYYYMMDD-****``: safe to show in messages and logs."""
        return f"{self.canonical[:8]}-****"

    @property
    def sex(self) -> str:
        """``"man"`` when the second-to-last digit is odd, otherwise ``"kvinna"``."""
        return "man" if int(self.serial[2]) % 2 else "kvinna"

    def age(self, on: _dt.date) -> int:
        """Completed years on ``on`` (see :func:`age`)."""
        return age(self, on)

    def __repr__(self) -> str:
        return f"Personnummer({self.masked})"

    def __str__(self) -> str:
        return self.masked


def mask(text: str) -> str:
    """Return ``text`` with the last four digits hidden: ``811218-****``.

    A personnummer-shaped text keeps its date part and separator; any other text
    keeps only its first six digits (so a mistyped number is not leaked either).
    """
    raw = str(text).strip()
    m = _SHAPE.fullmatch(raw)
    if m:
        return f"{m.group(1) or ''}{m.group(2)}{m.group(3) or '-'}****"
    seen = 0
    out = []
    for ch in raw[:20]:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 6 else "*")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(raw) > 20 else "")


def _century_year(yy: int, month: int, day: int, plus: bool, reference: _dt.date) -> int:
    """The birth year for a ten-digit number: under 100 on ``reference`` (100+ with ``+``)."""
    year = reference.year // 100 * 100 + yy
    if (year, month, day) > (reference.year, reference.month, reference.day):
        year -= 100
    return year - 100 if plus else year


def _fail(text: str, reason: str) -> PersonnummerError:
    return PersonnummerError(f"Ogiltigt personnummer {mask(text)}: {reason}.", reason=reason)


def parse(text: str, *, reference: _dt.date | None = None) -> Personnummer:
    """Return the parsed number; raise :class:`PersonnummerError` if it is not valid.

    ``reference`` is needed for ten-digit forms (to find the century) and, when
    given, a birth date after it is refused.
    """
    raw = "" if text is None else str(text).strip()
    if not raw:
        raise PersonnummerError(f"Personnummer {SAKNAS}.", reason=SAKNAS)
    m = _SHAPE.fullmatch(raw)
    if not m:
        raise _fail(raw, FEL_FORMAT)
    century, date6, sep, last4 = m.groups()
    yy, month, day_written = int(date6[:2]), int(date6[2:4]), int(date6[4:])
    coordination = day_written > 60
    day = day_written - 60 if coordination else day_written
    if century is not None:
        year = int(century) * 100 + yy
    elif reference is None:
        raise PersonnummerError(
            f"Personnummer {mask(raw)} har bara tio siffror; ett referensdatum behövs "
            "för att avgöra århundradet."
        )
    else:
        year = _century_year(yy, month, day, sep == "+", reference)
    try:
        birth = _dt.date(year, month, day)
    except ValueError:
        raise _fail(raw, FEL_DATUM) from None
    if year < MIN_YEAR:
        raise _fail(raw, FEL_DATUM)
    if reference is not None and birth > reference:
        raise _fail(raw, FEL_FRAMTID)
    if last4[:3] == "000":
        raise _fail(raw, FEL_SERIE)
    if _luhn(date6 + last4[:3]) != int(last4[3]):
        raise _fail(raw, FEL_KONTROLL)
    canonical = f"{year:04d}{month:02d}{day_written:02d}{last4}"
    return Personnummer(canonical, birth, last4[:3], int(last4[3]), coordination)


def is_valid(text: str, *, reference: _dt.date | None = None) -> bool:
    """True when ``text`` is a valid personnummer or samordningsnummer.

    Without ``reference`` a ten-digit form is valid when it is valid in either
    possible century (this only matters for 29 February of years ending in 00).
    """
    if reference is None:
        m = _SHAPE.fullmatch(str(text or "").strip())
        if m and m.group(1) is None:  # ten digits: try both centuries
            return any(is_valid(text, reference=_dt.date(y, 12, 31)) for y in (1999, 2099))
    try:
        parse(text, reference=reference)
    except PersonnummerError:
        return False
    return True


def sex(pnr: Personnummer) -> str:
    """``"kvinna"`` or ``"man"`` from the second-to-last digit (odd = man)."""
    return pnr.sex


def as_child(sex_: str) -> str:
    """The word for a child of that sex: ``"kvinna"`` -> ``"flicka"``, ``"man"`` -> ``"pojke"``."""
    try:
        return _CHILD[sex_]
    except KeyError:
        raise InputError(f'Okänt kön "{sex_}" (ska vara "kvinna" eller "man").') from None


def age(pnr: Personnummer, on: _dt.date) -> int:
    """Completed years on ``on``.

    Convention: someone born on 29 February turns a year older on 1 March in
    years that are not leap years (and on 29 February in leap years).
    """
    born = pnr.birth_date
    if on < born:
        raise PersonnummerError(
            f"Personnummer {pnr.masked}: datumet {on.isoformat()} ligger före födelsedatumet."
        )
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def parse_series(s: pd.Series, reference: _dt.date) -> pd.DataFrame:
    """Return one row per value of ``s``: valid, canonical, birth_date, sex, age, … .

    Columns: ``valid`` (bool), ``canonical`` (12 digits or missing), ``birth_date``
    (datetime64), ``sex`` ("kvinna"/"man"), ``age`` (Int64, completed years on
    ``reference``), ``samordningsnummer`` (bool) and ``reason`` (why invalid, in
    Swedish; empty when valid).  Same rules and reasons as :func:`parse`, computed
    with numpy over the whole column (no Python object per row).
    """
    return _vector_parse(s, reference)


def synthetic(
    n: int,
    *,
    seed: int,
    birth_from: _dt.date,
    birth_to: _dt.date,
    coordination: bool = False,
) -> list[str]:
    """Return ``n`` distinct synthetic numbers ``YYYYMMDD-NNNC`` for demos and tests.

    Skatteverket publishes official test personnummer as open data, but the list
    could not be fetched where this was written, so these are *synthetic*: a real
    date in ``[birth_from, birth_to]``, a serial 980–999 and a correct check digit.
    They are valid numbers and may coincide with a real person's number, so treat
    them like real ones (never publish them).  Reproducible from ``seed``.
    """
    import numpy as np

    if n < 0:
        raise InputError("Antalet personnummer kan inte vara negativt.")
    if birth_to < birth_from:
        raise InputError("Slutdatumet ligger före startdatumet.")
    if birth_from.year < MIN_YEAR:
        raise InputError(f"Födelsedatum före {MIN_YEAR} stöds inte.")
    days = (birth_to - birth_from).days + 1
    capacity = days * 20
    if n > capacity:
        raise InputError(
            f"Det går bara att skapa {capacity} olika nummer i det datumintervallet, inte {n}."
        )
    rng = np.random.default_rng(seed)
    picks = rng.choice(capacity, size=n, replace=False)
    out = []
    for pick in picks.tolist():
        born = birth_from + _dt.timedelta(days=pick // 20)
        serial = f"{980 + pick % 20}"
        day = born.day + 60 if coordination else born.day
        date6 = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
        out.append(f"{born.year // 100:02d}{date6}-{serial}{_luhn(date6 + serial)}")
    return out
