"""The parameters of a precision or attribute-sampling calculation, checked.

Each reader takes what a user or a strata file gave (an int, a float, a numpy
number, a string from a table) and returns it as the number the formula needs,
or raises :class:`InputError` in Swedish naming the parameter.
"""

from __future__ import annotations

import math
import operator

from granskning.errors import InputError
from granskning.numbers import MAX_POPULATION, parse_integer

# The smallest margin of error worth asking for: 0,01 percentage points already needs
# about 96 million cases; anything smaller is a typing error (1e-300 used to crash).
MIN_MARGIN = 0.0001


def integer(value: object, what: str, *, minimum: int, maximum: int = MAX_POPULATION) -> int:
    if isinstance(value, bool):
        raise InputError(f"{what} måste vara ett heltal (fick {value!r}).")
    try:
        number = operator.index(value)  # int and numpy integers, not floats
    except TypeError:
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise InputError(f"{what} måste vara ett heltal (fick {value!r}).") from None
    return parse_integer(number, what, minimum=minimum, maximum=maximum)


def fraction_open(value: object, what: str) -> float:
    x = real(value, what)
    if not 0.0 < x < 1.0:
        raise InputError(f"{what} måste ligga mellan 0 och 1 (fick {value}).")
    return x


def real(value: object, what: str) -> float:
    if isinstance(value, bool):
        raise InputError(f"{what} måste vara ett tal (fick {value!r}).")
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} måste vara ett tal (fick {value!r}).") from None
    if math.isnan(x):
        raise InputError(f"{what} saknas (NaN).")
    return x


def margin_target(value: object) -> float:
    x = fraction_open(value, "Felmarginalen")
    if x < MIN_MARGIN:
        raise InputError(
            f"Felmarginalen måste vara minst {MIN_MARGIN:g} (0,01 procentenheter) ".replace(".", ",")
            + f"(fick {x:g}); en mindre felmarginal kräver fler ärenden än någon population har."
        )
    return x


def proportion(value: object, what: str = "Andelen") -> float:
    x = real(value, what)
    if not 0.0 <= x <= 1.0:
        raise InputError(f"{what} måste ligga mellan 0 och 1 (fick {value}).")
    return x


def population_size(population: object, n: int) -> int | None:
    if population is None:
        return None
    N = integer(population, "Populationen", minimum=1)
    if N < n:
        raise InputError(f"Populationen ({N}) är mindre än urvalet (n = {n}).")
    return N
