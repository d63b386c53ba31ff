"""One reader for the numbers a user types: options, strata files, checklists.

Every number option of the command line goes through here, so that ``0,95`` and
``0.95`` mean the same everywhere, and so that no input (``nan``, ``inf``,
``1e999``, a 5 000-digit integer, ``-5``, ``²``) reaches the arithmetic: each is
an :class:`~granskning.errors.InputError` in Swedish (exit 2).

Limits, and why:

* :data:`MAX_TEXT` characters in a number: no meaningful number is longer, and
  Python refuses to convert integers of more than 4 300 digits at all.
* :data:`MAX_POPULATION` (10⁹) cases in a population or stratum: far above any
  Swedish municipality's case register, and small enough that every size and
  margin is exact in floating point.
* :data:`MAX_FINITE` (10¹⁵) for any other decimal number (checklist ``min``/``max``):
  every integer up to it is exact as a float.

Only the standard library is imported here: the CLI's ``--help`` stays light.
"""

from __future__ import annotations

import math
import re
from typing import Any

import click

from granskning.errors import InputError

MAX_TEXT = 40
MAX_POPULATION = 10**9
MAX_FINITE = 1e15

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")  # thousands separators people type
_INTEGER = re.compile(r"[+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][-+]?[0-9]{1,3})?")


def _clean(text: object, what: str) -> str:
    raw = str(text).strip().translate(_SPACES)
    if not raw:
        raise InputError(f"{what}: värdet saknas (skriv ett tal).")
    if len(raw) > MAX_TEXT:
        raise InputError(f"{what}: talet är för långt ({len(raw)} tecken; högst {MAX_TEXT}).")
    return raw


def show(text: object) -> str:
    """Return ``text`` shortened for an error message.

    >>> show("0,95")
    "'0,95'"
    >>> show("9" * 50)
    "'9999999999999999999999999999999999999999…'"
    """
    raw = str(text)
    return repr(raw if len(raw) <= MAX_TEXT else raw[:MAX_TEXT] + "…")


def parse_integer(
    text: object, what: str, *, minimum: int = 0, maximum: int = MAX_POPULATION
) -> int:
    """Return a whole number typed as text (``"1 200"`` is 1200) within [minimum, maximum].

    >>> parse_integer("1 200", "--population")
    1200
    >>> parse_integer("26.0", "Antal")  # as a spreadsheet writes it
    26
    >>> parse_integer("-5", "--population")
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: --population måste vara ett heltal, inte negativt (fick '-5').
    >>> parse_integer("2000000000", "--population")
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: --population får vara högst 1 000 000 000 (fick 2 000 000 000).
    """
    if isinstance(text, bool):
        raise InputError(f"{what} måste vara ett heltal (fick {text!r}).")
    if isinstance(text, int):
        value = text
    else:
        raw = _clean(text, what)
        if re.fullmatch(r"[0-9]+[.,]0*", raw):  # "26.0" from a spreadsheet
            raw = re.split(r"[.,]", raw)[0]
        if not _INTEGER.fullmatch(raw):
            hint = "inte negativt" if raw.startswith("-") else "med siffrorna 0–9"
            raise InputError(f"{what} måste vara ett heltal, {hint} (fick {show(text)}).")
        value = int(raw)
    if value < minimum:
        raise InputError(f"{what} måste vara minst {_thousands(minimum)} (fick {_thousands(value)}).")
    if value > maximum:
        raise InputError(
            f"{what} får vara högst {_thousands(maximum)} (fick {_short_int(value)})."
        )
    return value


def parse_decimal(
    text: object,
    what: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """Return a finite decimal number; decimal comma or point, within the bounds given.

    ``open_low``/``open_high`` make the bound exclusive.  ``nan``, ``inf``,
    ``1e999`` and text that is no number are refused.

    >>> parse_decimal("0,95", "min"), parse_decimal("0.95", "min"), parse_decimal(" 1 234,5 ", "max")
    (0.95, 0.95, 1234.5)
    >>> parse_decimal("nan", "min")
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: min: 'nan' är inget tal (skriv t.ex. 0,95 eller 0.95).
    >>> parse_decimal("1e999", "max")
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: max: talet '1e999' är för stort.
    >>> parse_decimal("0", "--andel", minimum=0, maximum=1, open_low=True)
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: --andel måste ligga över 0 och till och med 1 (fick 0).
    """
    if isinstance(text, bool):
        raise InputError(f"{what} måste vara ett tal (fick {text!r}).")
    if isinstance(text, int | float):
        value = float(text)
        shown = text
    else:
        raw = _clean(text, what)
        if not _DECIMAL.fullmatch(raw) or raw.count(",") + raw.count(".") > 1:
            raise InputError(f"{what}: {show(text)} är inget tal (skriv t.ex. 0,95 eller 0.95).")
        value = float(raw.replace(",", "."))
        shown = str(text).strip()
    if not math.isfinite(value) or abs(value) > MAX_FINITE:
        raise InputError(f"{what}: talet {show(shown)} är för stort.")
    low_bad = minimum is not None and (value <= minimum if open_low else value < minimum)
    high_bad = maximum is not None and (value >= maximum if open_high else value > maximum)
    if low_bad or high_bad:
        raise InputError(f"{what} måste {_range(minimum, maximum, open_low, open_high)} "
                         f"(fick {shown}).")
    return value


def parse_rate(text: object, what: str) -> float:
    """Return a rate typed as a fraction (0.05, 0,05) or as percent (5, 5 %): 1 and up is percent.

    >>> parse_rate("0,05", "--felmarginal"), parse_rate("5", "--felmarginal")
    (0.05, 0.05)
    >>> parse_rate("0,5 %", "--felmarginal")
    0.005
    """
    raw = _clean(text, what)
    percent = raw.endswith("%")
    value = parse_decimal(raw.rstrip("%"), what, minimum=0.0)
    if percent or value >= 1:
        value /= 100.0
    if value > 1:
        raise InputError(f"{what} kan inte vara över 100 % (fick {str(text).strip()}).")
    return value


def parse_confidence(text: object, what: str = "--konfidens") -> float:
    """Return a confidence level given as a fraction strictly between 0 and 1 (0,95 or 0.95).

    >>> parse_confidence("0,95")
    0.95
    >>> parse_confidence("95")
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: --konfidens måste ligga mellan 0 och 1, t.ex. 0,95 eller 0.95 (fick 95).
    """
    raw = _clean(text, what)
    value = parse_decimal(raw, what)
    if not 0.0 < value < 1.0:
        raise InputError(
            f"{what} måste ligga mellan 0 och 1, t.ex. 0,95 eller 0.95 (fick {str(text).strip()})."
        )
    return value


def _range(lo: float | None, hi: float | None, open_low: bool, open_high: bool) -> str:
    def num(x: float) -> str:
        return f"{x:g}".replace(".", ",")

    if lo is not None and hi is not None:
        left = "över" if open_low else "från"
        right = "under" if open_high else "till och med"
        return f"ligga {left} {num(lo)} och {right} {num(hi)}"
    if lo is not None:
        return f"vara {'större än' if open_low else 'minst'} {num(lo)}"
    return f"vara {'mindre än' if open_high else 'högst'} {num(hi)}"  # type: ignore[arg-type]


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _short_int(n: int) -> str:
    digits = len(str(abs(n)))
    return _thousands(n) if digits <= 15 else f"ett tal med {digits} siffror"


# -- click parameter types: the same rules for every option ---------------------------


class Integer(click.ParamType):
    """A whole number option, e.g. ``--population``: spaces allowed, bounded."""

    name = "heltal"

    def __init__(self, minimum: int = 0, maximum: int = MAX_POPULATION) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        return parse_integer(value, _name(param), minimum=self.minimum, maximum=self.maximum)


class Confidence(click.ParamType):
    """A confidence level option (``--konfidens``): 0,95, 0.95, 95 or 95 %."""

    name = "nivå"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        return parse_confidence(value, _name(param))


def _name(param: click.Parameter | None) -> str:
    if param is None or not getattr(param, "opts", None):
        return "Talet"
    return max(param.opts, key=len)


def parse_seed(text: str | int) -> int | str:
    """Return the seed as an int when it is one, else as the stripped text."""
    if isinstance(text, int):
        return text
    text = str(text).strip()
    if not text:
        raise InputError("seed får inte vara tomt.")
    try:
        return int(text)
    except ValueError:
        return text
