"""``troskel``: the threshold of a numeric question, counted like an indicator.

A ``tal`` question (answered or computed) may carry ``troskel: "minst 4"`` or
``troskel: ">= 4"``; the analysis then reports the share of cases whose number
meets it (count, n, share and intervals, per stratum and overall), with the
threshold in words beside every number ("minst 4").  The text is parsed here,
never evaluated: an operator (``>=``, ``>``, ``<=``, ``<``, ``=``) or its Swedish
word (``minst``, ``mer än``/``över``, ``högst``, ``mindre än``/``under``,
``exakt``) and a number with a decimal point or comma.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from granskning.fmt import tal as swedish_number
from granskning.numbers import MAX_FINITE

__all__ = ["Threshold", "ThresholdError", "parse_threshold"]

# operator → (what meets it in words, what does not)
_WORDS = {
    ">=": ("minst", "under"),
    ">": ("mer än", "högst"),
    "<=": ("högst", "mer än"),
    "<": ("mindre än", "minst"),
    "=": ("exakt", "inte"),
}
_ALIASES = {
    "≥": ">=",
    "≤": "<=",
    "==": "=",
    "=>": ">=",
    "=<": "<=",
    "minst": ">=",
    "högst": "<=",
    "mer än": ">",
    "fler än": ">",
    "över": ">",
    "mindre än": "<",
    "färre än": "<",
    "under": "<",
    "exakt": "=",
    "lika med": "=",
}
_PATTERN = re.compile(
    r"\s*(>=|<=|==|=>|=<|≥|≤|>|<|=|minst|högst|mer\s+än|fler\s+än|över|mindre\s+än|färre\s+än|under|"
    r"exakt|lika\s+med)\s*([-+−]?\d[\d ]*(?:[.,]\d+)?)\s*",
    re.IGNORECASE,
)


class ThresholdError(ValueError):
    """A ``troskel`` text that is not a comparison with a number (the message is Swedish)."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """A comparison ``value OP number`` that a case's number meets or not."""

    op: str  # one of >=, >, <=, <, =
    value: float | int

    @property
    def text(self) -> str:
        """Return the threshold as the operator form: ``">= 4"``."""
        return f"{self.op} {_plain(self.value)}"

    @property
    def words(self) -> str:
        """Return what meets the threshold, in words: ``"minst 4"``."""
        return f"{_WORDS[self.op][0]} {_number(self.value)}"

    @property
    def other_words(self) -> str:
        """Return what does not meet it: ``"under 4"`` for ``minst 4``."""
        return f"{_WORDS[self.op][1]} {_number(self.value)}"

    def meets(self, x: float) -> bool:
        """Return True when the number ``x`` meets the threshold (False for a missing value)."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        return {
            ">=": x >= self.value,
            ">": x > self.value,
            "<=": x <= self.value,
            "<": x < self.value,
            "=": x == self.value,
        }[self.op]

    def always_or_never(self, minimum: float | None, maximum: float | None) -> str | None:
        """Return "alltid" or "aldrig" when every allowed answer (min–max) meets it or none does."""
        lo = -math.inf if minimum is None else minimum
        hi = math.inf if maximum is None else maximum
        v, op = self.value, self.op
        always = {">=": lo >= v, ">": lo > v, "<=": hi <= v, "<": hi < v, "=": lo == hi == v}[op]
        never = {">=": hi < v, ">": hi <= v, "<=": lo > v, "<": lo >= v, "=": v < lo or v > hi}[op]
        return "alltid" if always else "aldrig" if never else None


def parse_threshold(text: object) -> Threshold:
    """Return the threshold in ``text``; ThresholdError (Swedish) when it is not one.

    >>> parse_threshold(">= 4").words
    'minst 4'
    >>> parse_threshold("högst 14").text
    '<= 14'
    >>> parse_threshold("under 2,5").other_words
    'minst 2,5'
    """
    raw = str(text)
    m = _PATTERN.fullmatch(raw) if len(raw) <= 60 else None
    if m is None:
        raise ThresholdError(
            'ska vara en jämförelse med ett tal, till exempel "minst 4", "högst 14" '
            'eller ">= 4" (operatorerna >=, >, <=, <, =)'
        )
    op = " ".join(m.group(1).lower().split())
    op = _ALIASES.get(op, op)
    number = m.group(2).replace(" ", "").replace("−", "-").replace(",", ".")
    value: float | int = float(number)
    if not math.isfinite(value) or abs(value) > MAX_FINITE:
        raise ThresholdError("talet är för stort (högst 10^15 till beloppet)")
    if value.is_integer() and "." not in number:
        value = int(value)
    return Threshold(op, value)


def _number(x: float | int) -> str:
    if isinstance(x, int) or float(x).is_integer():
        return swedish_number(int(x), 0)
    return swedish_number(x, _decimals(x))


def _plain(x: float | int) -> str:
    return str(int(x)) if isinstance(x, int) else repr(float(x))


def _decimals(x: float) -> int:
    text = repr(float(x))
    return min(6, len(text.split(".")[1])) if "." in text and "e" not in text else 2


def check_threshold(
    chk, v: dict, kind, minimum: float | None, maximum: float | None
) -> Threshold | None:
    """Return a question's ``troskel`` checked against its type and bounds; report problems to ``chk``.

    ``chk`` is the checklist file checker (:mod:`granskning.checklist.format`): its
    ``text`` reads the value and ``error`` records a problem with the line and key.
    """
    entry = v.get("troskel")
    if entry is None:
        return None
    line = entry[1].line
    if kind is not None and not kind.numeric:
        chk.error(
            line, f"troskel gäller bara frågor av typ tal (frågan är av typ {kind.name})", "troskel"
        )
        return None
    text = chk.text(entry, "troskel")
    if text is None:
        return None
    try:
        threshold = parse_threshold(text)
    except ThresholdError as exc:
        chk.error(line, str(exc), "troskel")
        return None
    verdict = threshold.always_or_never(minimum, maximum)
    if verdict is not None:
        who, share = ("varje", "100") if verdict == "alltid" else ("inget", "0")
        chk.error(
            line,
            f"{who} tillåtet svar (min och max) når tröskeln {threshold.words}; andelen blir "
            f"alltid {share} %",
            "troskel",
        )
        return None
    return threshold
