"""Swedish number formatting for everything a user reads ("25,0 %", "1 234,5")."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"


def tal(x: float | int, decimaler: int = 1, *, tusental: str = " ") -> str:
    """Return ``x`` with decimal comma and a space as thousands separator: ``1 234,5``.

    Halves are rounded away from zero, as a reader (and Excel) rounds; a minus is a real
    minus sign (−); a missing value is a dash.

    >>> tal(1234.5)
    '1 234,5'
    >>> tal(6.25), tal(6.35), tal(2.675, 2)
    ('6,3', '6,4', '2,68')
    >>> tal(-0.5, 0)
    '−1'
    >>> tal(1234567, 0)
    '1 234 567'
    >>> tal(float("nan"))
    '–'
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, int) and decimaler == 0:
        s = f"{x:,d}"
    else:
        # Round halves away from zero, as readers (and Excel) do: 6,25 -> 6,3, not 6,2.
        # The shortest repr of the float is the number the reader would write down.
        q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimaler), rounding=ROUND_HALF_UP)
        s = f"{q:,.{decimaler}f}"
    s = s.replace(",", "\x00").replace(".", ",").replace("\x00", tusental)
    return s.replace("-", "−") if s.startswith("-") else s


def heltal(x: int) -> str:
    """Return an integer with a space as thousands separator: ``2 000 000``.

    >>> heltal(2_000_000)
    '2 000 000'
    >>> heltal(999)
    '999'
    """
    return tal(int(x), 0)


def procent(andel: float, decimaler: int = 1) -> str:
    """Return a proportion as Swedish percent: ``0.25 -> "25,0 %"``.

    >>> procent(0.25)
    '25,0 %'
    >>> procent(0.0125, 2)
    '1,25 %'
    >>> procent(1)
    '100,0 %'
    >>> procent(None)
    '–'
    """
    if andel is None or (isinstance(andel, float) and math.isnan(andel)):
        return "–"
    return f"{tal(100 * andel, decimaler)} %"


def procentenheter(andel: float, decimaler: int = 1) -> str:
    """Return a difference of proportions in percentage points: ``"5,8 procentenheter"``.

    >>> procentenheter(0.058)
    '5,8 procentenheter'
    """
    return f"{tal(100 * andel, decimaler)} procentenheter"
