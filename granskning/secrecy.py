"""Finding and hiding personnummer in free text (foundation: no pandas, no project imports).

Every error message goes through :func:`scrub` (see :mod:`granskning.errors`), and
free text is checked with :func:`find_personnummer` before it is stored or printed.
The names are re-exported by :mod:`granskning.personnummer.number`, which parses
and validates single numbers.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Hit", "contains_personnummer", "find_personnummer", "scrub"]

_IN_TEXT = re.compile(r"(?<![0-9])((?:[0-9]{2})?[0-9]{6})([-+]?)[0-9]{4}(?![0-9])")
MIN_YEAR = 1800  # nobody alive in 1947, when numbers were introduced, was born earlier


# ---------------------------------------------------------------- finding numbers in text
#
# People type personnummer in many ways: ÅÅÅÅMMDD-NNNN, ÅÅMMDD-NNNN, ÅÅÅÅMMDD NNNN,
# ÅÅÅÅ-MM-DD-NNNN, ÅÅMMDD–NNNN (en dash), ÅÅÅÅMMDD\u2011NNNN (non-breaking hyphen),
# ÅÅÅÅMMDD\u00a0NNNN (no-break space), the same in full-width digits, with an
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
# written ÅÅMMDD-NNNN is flagged (a false positive the user can rewrite), while a
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
