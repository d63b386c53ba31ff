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
_IN_TEXT = re.compile(r"(?<![0-9])((?:[0-9]{2})?[0-9]{6})([-+]?)[0-9]{4}(?![0-9])")
MIN_YEAR = 1800  # nobody alive in 1947, when numbers were introduced, was born earlier

# Reasons a number is invalid, shared by parse() and parse_series() so they agree.
SAKNAS = "saknas"
FEL_FORMAT = "fel format (ska vara ÅÅMMDD-NNNN eller ÅÅÅÅMMDD-NNNN)"
FEL_DATUM = "ogiltigt födelsedatum"
FEL_FRAMTID = "födelsedatumet ligger efter referensdatumet"
FEL_SERIE = "födelsenumret 000 används inte"
FEL_KONTROLL = "fel kontrollsiffra"

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




# ---------------------------------------------------------------- finding numbers in text
#
# People type personnummer in many ways: "19121212-1212", "191212-1212", "19121212 1212",
# "1912-12-12-1212", "191212–1212" (en dash), "19121212\u20111212" (non-breaking hyphen),
# "19121212\u00a01212" (no-break space), full-width "１９１２１２１２－１２１２", with an
# invisible soft hyphen or zero-width space pasted from a web page.  The text is first
# mapped character by character (so positions stay those of the original): every
# Unicode digit becomes its ASCII digit, every dash-like character "-", every plus "+",
# every space "  ", and invisible format characters are dropped.  On that text one
# pattern finds the candidates:
#
#     [CC]YY <d> MM <d> DD <s> NNNN   not preceded or followed by a digit
#
# where <d> is nothing, a space, or one of - . / (with a space on either side), and
# <s> is nothing or up to two spaces, or one of - + . / _ : , ; | * (with up to two
# spaces around it).
#
# The rule (documented in docs/sekretess.md):
#   * a candidate is a personnummer when its date is valid (a samordningsnummer has
#     60 added to the day), the birth number is not 000 and the check digit is right;
#   * a candidate whose date is valid but whose check digit is wrong (a typo still
#     points at a person) is flagged too when it is written in a personnummer layout
#     that ordinary numbers do not have: twelve digits beginning 18, 19 or 20, or a
#     six- or eight-digit date block followed by "-", "+" or a space and four digits;
#   * a wrong check digit is NOT flagged in the other layouts: ten digits in a row
#     (phone numbers such as 0701234567, amounts, case ids) and dates written with
#     separators followed by four digits ("2024-03-12 1500 kr").
# The trade-off: a twelve-digit timestamp such as 202403121430 or a journal number
# written 240312-0042 is flagged (a false positive the user can rewrite), while a
# mistyped personnummer written as ten digits in a row with a wrong check digit is
# not (nine in ten random ten-digit numbers fail the check digit; flagging them
# would refuse every phone number).

_DASH_CHARS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d"
_PLUS_CHARS = "+\u207a\u208a\ufb29\ufe62\uff0b"
_CANDIDATE = re.compile(
    r"(?<![0-9])(?=("
    r"(?P<c>[0-9]{2})?(?P<y>[0-9]{2})(?P<d1>(?: ?[-./] ?| )?)(?P<m>[0-9]{2})"
    r"(?P<d2>(?: ?[-./] ?| )?)(?P<d>[0-9]{2})(?P<s>(?: {0,2}[-+./_:,;|*] {0,2}| {1,2})?)(?P<n>[0-9]{4})"
    r")(?![0-9]))"
)


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a personnummer was found in a text: ``text[start:end]``.

    ``valid`` is False for a number flagged only for its layout (wrong check digit
    or birth number 000).  ``masked`` is the found text with its last four digits
    replaced by ``*``: safe to show.
    """

    start: int
    end: int
    valid: bool
    masked: str

    def __repr__(self) -> str:
        return f"Hit({self.start}, {self.end}, {self.masked!r})"


def _normalise(text: str) -> tuple[str, list[int]]:
    """Return the mapped text (see above) and, per mapped character, its original index."""
    import unicodedata

    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if "0" <= ch <= "9" or ch.isascii() and ch not in "-+ \t\n\r\x0b\x0c":
            mapped = ch
        elif ch in _DASH_CHARS:
            mapped = "-"
        elif ch in _PLUS_CHARS:
            mapped = "+"
        elif ch.isspace():
            mapped = " "
        else:
            digit = unicodedata.digit(ch, None)
            if digit is not None:
                mapped = str(digit)
            elif unicodedata.category(ch) in ("Cf", "Mn", "Me"):  # soft hyphen, ZWSP, …
                continue
            else:
                mapped = ch
        out.append(mapped)
        where.append(i)
    return "".join(out), where


def _date_ok(century: str | None, yy: int, month: int, day_written: int) -> bool:
    day = day_written - 60 if day_written > 60 else day_written
    years = [int(century) * 100 + yy] if century is not None else [1900 + yy, 2000 + yy]
    for year in years:
        if year < MIN_YEAR:
            continue
        try:
            _dt.date(year, month, day)
        except ValueError:
            continue
        return True
    return False


def find_personnummer(text: object, *, loose: bool = False) -> list[Hit]:
    """Return every personnummer (or samordningsnummer) in ``text``, in order.

    Catches the forms people type (see the comment above this function for the
    exact rule): with or without century, separators ``-``, ``+``, dashes of every
    kind, spaces of every kind, dashes or spaces between the date parts, any
    Unicode digits (full-width ``１９１２…``), invisible characters in between, and
    numbers with a wrong check digit when written in a personnummer layout.
    With ``loose`` every candidate with a valid date counts (for masking output,
    where hiding too much does no harm).
    """
    if text is None:
        return []
    raw = text if isinstance(text, str) else str(text)
    if sum(map(str.isdigit, raw)) < 10:  # isdigit knows every script's digits
        return []  # fast path: too few digits for a number
    norm, where = _normalise(raw)
    spans: list[tuple[int, int, int, bool, bool]] = []  # start, serial, end, valid, sep
    for m in _CANDIDATE.finditer(norm):
        c, y, month, day, serial = m.group("c", "y", "m", "d", "n")
        if not 1 <= int(month) <= 12 or not (1 <= int(day) <= 31 or 61 <= int(day) <= 91):
            continue
        if not _date_ok(c, int(y), int(month), int(day)):
            continue
        valid = serial[:3] != "000" and _luhn(y + month + day + serial[:3]) == int(serial[3])
        if not valid and not loose:
            parts_apart = bool(m.group("d1") or m.group("d2"))
            sep = m.group("s").strip()
            layout = (c in ("18", "19", "20") and not m.group("s")) or (
                bool(m.group("s")) and sep in ("", "-", "+"))
            if parts_apart or not layout:
                continue
        span = (m.start(1), m.start("n"), m.end(1), valid, bool(m.group("s")))
        if spans and span[0] < spans[-1][2]:  # overlaps the previous hit: join them
            prev = spans.pop()
            span = (prev[0], span[1], span[2], prev[3] or valid, span[4])
        spans.append(span)
    hits = []
    for start, serial_at, end, valid, sep in spans:
        first, serial_first, last = where[start], where[serial_at], where[end - 1] + 1
        masked = raw[first:serial_first] + ("" if sep else "-") + "****"
        hits.append(Hit(first, last, valid, masked))
    return hits


def contains_personnummer(text: object) -> bool:
    """True when :func:`find_personnummer` finds anything in ``text``."""
    return bool(find_personnummer(text))


def scrub(text: str) -> str:
    """Return ``text`` with every personnummer masked (safe for messages and logs).

    Masks what :func:`find_personnummer` finds (last four digits hidden, the rest as
    written) and, more widely, every run of ten or twelve digits shaped like a
    personnummer even when it is not a valid one.
    """
    text = str(text)
    hits = find_personnummer(text, loose=True)
    for hit in reversed(hits):
        text = text[: hit.start] + hit.masked + text[hit.end :]
    return _IN_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2) or '-'}****", text)


def _luhn(digits: str) -> int:
    """The Luhn check digit for nine digits (weights 2, 1, 2, … from the left)."""
    total = 0
    for i, ch in enumerate(digits):
        p = int(ch) * (2 - i % 2)
        total += p // 10 + p % 10
    return (10 - total % 10) % 10


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
    from granskning.personnummer import series as _pnrvec

    return _pnrvec.parse_series(s, reference)


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
