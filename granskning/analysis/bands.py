"""The sexes and age bands of a gender analysis: their Swedish words and their rules.

Apart from :mod:`granskning.analysis.gender` (the analysis itself) so that reading a protocol
can check its bands and words without loading the statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_BANDS: tuple[tuple[int, int], ...] = ((0, 3), (4, 6), (7, 12))
ADULT_BANDS: tuple[tuple[int, int], ...] = ((18, 29), (30, 49), (50, 64), (65, 120))
ALL_AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 12), (13, 17), (18, 29), (30, 49), (50, 64), (65, 120))
OPEN_END = 120  # a band ending here is shown as "65 år och äldre"
ADULT_AGE = 18
CHILD_SEX_VALUES = frozenset({"flicka", "flickor", "pojke", "pojkar", "girl", "boy"})
ADULT_SEX_VALUES = frozenset({"kvinna", "kvinnor", "man", "män", "woman", "women", "men"})
GIRL_VALUES = frozenset({"flicka", "flickor", "f", "k", "kvinna", "kvinnor", "girl", "female", "woman", "women"})
BOY_VALUES = frozenset({"pojke", "pojkar", "p", "m", "man", "män", "boy", "male", "men"})


@dataclass(frozen=True, slots=True)
class SexWords:
    """The Swedish words for the two sexes of one analysis (plural, definite plural, singular)."""

    key: str  # "barn", "vuxna" or "alla" (the protocol's benamning)
    female: str
    male: str
    female_the: str
    male_the: str
    female_one: str
    male_one: str
    age_of: str  # "barnens ålder"

    @property
    def pair(self) -> str:
        """Return ``"flickor och pojkar"``."""
        return f"{self.female} och {self.male}"


CHILDREN = SexWords("barn", "flickor", "pojkar", "flickorna", "pojkarna", "flicka", "pojke", "barnens ålder")
ADULTS = SexWords("vuxna", "kvinnor", "män", "kvinnorna", "männen", "kvinna", "man", "personernas ålder")
ALL_AGES = SexWords("alla", "kvinnor och flickor", "män och pojkar", "kvinnorna och flickorna",
                    "männen och pojkarna", "kvinna eller flicka", "man eller pojke", "ålder")
SEX_WORDS = {w.key: w for w in (CHILDREN, ADULTS, ALL_AGES)}


def sex_words(sex: pd.Series, age: pd.Series | None = None, given: str | SexWords | None = None) -> SexWords:
    """Return the words for the sexes in the data: children, adults or both.

    ``given`` (the protocol's ``benamning``: barn, vuxna or alla) decides when
    set.  Otherwise the recognised sex values decide (flicka/pojke are children,
    kvinna/man adults, both kinds together all ages); when they are codes that
    say nothing about age (F/P, K/M, female/male) the ages decide (all under
    18: children; all 18 or over: adults; otherwise all ages).
    """
    if isinstance(given, SexWords):
        return given
    if given is not None:
        if given not in SEX_WORDS:
            raise InputError(f'okänd benämning "{given}" för kön; välj bland {", ".join(SEX_WORDS)}.')
        return SEX_WORDS[given]
    text = sex.astype("string").str.strip().str.casefold().dropna()
    known = set(text[text.isin(GIRL_VALUES | BOY_VALUES)])
    child, adult = bool(known & CHILD_SEX_VALUES), bool(known & ADULT_SEX_VALUES)
    if known and known <= CHILD_SEX_VALUES | ADULT_SEX_VALUES:
        return ALL_AGES if child and adult else CHILDREN if child else ADULTS
    if child and adult:
        return ALL_AGES
    if age is not None:
        import pandas as pd

        years = pd.to_numeric(age.astype("string").str.strip().str.replace(",", ".", regex=False),
                              errors="coerce").dropna()
        if len(years):
            if (years < ADULT_AGE).all():
                return CHILDREN
            if (years >= ADULT_AGE).all():
                return ADULTS
            return ALL_AGES
    return CHILDREN if child else ADULTS if adult else ALL_AGES


def default_bands(words: SexWords) -> tuple[tuple[int, int], ...]:
    """Return the age bands used when the protocol gives none: 0–3/4–6/7–12 for children."""
    return {"barn": DEFAULT_BANDS, "vuxna": ADULT_BANDS}.get(words.key, ALL_AGE_BANDS)


def band_label(band: tuple[int, int]) -> str:
    """Return a band as Swedish text, ``(4, 6) -> "4–6 år"``, ``(65, 120) -> "65 år och äldre"``."""
    lo, hi = band
    if hi >= OPEN_END and lo < hi:
        return f"{lo} år och äldre"
    return f"{lo} år" if lo == hi else f"{lo}–{hi} år"


def check_bands(bands: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Return the age bands as int pairs; InputError when empty, reversed or overlapping."""
    out = tuple((int(lo), int(hi)) for lo, hi in bands)
    if not out:
        raise InputError("minst en åldersgrupp behövs.")
    for lo, hi in out:
        if lo > hi:
            raise InputError(f"åldersgruppen {lo}–{hi} är bakvänd.")
    ordered = sorted(out)
    for (_, hi1), (lo2, _) in zip(ordered, ordered[1:], strict=False):
        if lo2 <= hi1:
            raise InputError("åldersgrupperna överlappar varandra.")
    return out
