"""Swedish personal identity numbers (personnummer and samordningsnummer, SKV 704).

The public names of :mod:`granskning.personnummer.number`, importable as before from
``granskning.personnummer``.
"""

from granskning.personnummer.number import (
    Hit,
    Personnummer,
    PersonnummerError,
    age,
    as_child,
    contains_personnummer,
    find_personnummer,
    is_valid,
    mask,
    parse,
    parse_series,
    scrub,
    sex,
    synthetic,
)

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
