"""Vectorised comparisons of computed values: ``dagar(inkom_datum, beslut_datum) > 14`` over a frame.

A comparison whose sides compute with dates and numbers (``dagar``, ``manader``,
``plus_dagar``, ``plus_manader``, ``ar``, ``datum``, ``+ - *``) is evaluated with numpy
over whole columns: dates as days since 1970-01-01, numbers as floats, missing as
NaN.  Each column is converted once per distinct value with exactly the row-wise
rules of :mod:`granskning.expr.functions` and :mod:`granskning.expr.nodes`, and a value
that does not fit is reported for exactly the rows where the row-wise evaluation
would fail (a text that is no date, in a row whose other operand is present).
Whatever this module does not cover (a column mixing dates and numbers, a text
compared with a computed date …) returns None, and :mod:`granskning.expr.mask` falls
back to evaluating each distinct combination of values row-wise.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.expr import calendar
from granskning.expr.nodes import (
    _COERCE,
    _KIND_TEXT,
    Arith,
    Call,
    Compare,
    Literal,
    Name,
    Node,
    _BadValue,
    _kind,
    _text_to_date,
)

if TYPE_CHECKING:
    import numpy as np

_EPOCH = _dt.date(1970, 1, 1).toordinal()
_LOW = calendar.MIN_ORDINAL - _EPOCH
_HIGH = calendar.MAX_ORDINAL - _EPOCH
_COMPUTED = frozenset({"dagar", "manader", "plus_dagar", "plus_manader", "ar", "datum"})


class _NoVector(Exception):
    """This comparison is left to the row-wise path."""


@dataclass
class _Vec:
    """One side's values over the rows.

    ``values`` is NaN where missing or failed; ``present`` says the value was there
    (not missing); ``who`` is -1 or the problem that evaluating it raised; ``lazy`` is
    -1 or the problem converting a bare column value raises when it is used.
    """

    values: np.ndarray
    kind: str  # date or number
    present: np.ndarray
    who: np.ndarray
    lazy: np.ndarray


def computes(node: Node) -> bool:
    """True when ``node`` is a comparison with arithmetic or a date function on a side."""
    return isinstance(node, Compare) and (_computes(node.left) or _computes(node.right))


def _computes(node: Node) -> bool:
    return isinstance(node, Arith) or (isinstance(node, Call) and node.func in _COMPUTED)


class NumericLeaf:
    """Evaluate one comparison over the factorized columns of a frame (see the module doc)."""

    def __init__(self, columns: Any, n: int) -> None:
        self.columns = columns  # granskning.expr.mask._Columns
        self.n = n
        self.entries: list[tuple[str, _BadValue]] = []

    def run(self, node: Compare) -> tuple[np.ndarray, np.ndarray, list] | None:
        """Return (result per row, problem id per row or -1, problems), or None to fall back."""
        import numpy as np

        try:
            left, right = self.sides(node.left, node.right)
        except _NoVector:
            return None
        if left.kind != right.kind:
            return None
        who = _first(left.who, right.who)
        both = left.present & right.present
        who = _first(who, np.where(both, left.lazy, -1), np.where(both, right.lazy, -1))
        with np.errstate(invalid="ignore"):
            result = _OPS[node.op](left.values, right.values)
        result &= both & (who < 0) & ~np.isnan(left.values) & ~np.isnan(right.values)
        return result, who, self.entries

    # -- sides ---------------------------------------------------------------
    def sides(self, left: Node, right: Node) -> tuple[_Vec, _Vec]:
        """Both sides; a bare name is converted to the kind of the computed side it meets."""
        if isinstance(left, Name):
            vec = self.vec(right)
            return self.column(left.name, "compare", vec.kind), vec
        vec = self.vec(left)
        if isinstance(right, Name):
            return vec, self.column(right.name, "compare", vec.kind)
        return vec, self.vec(right)

    def vec(self, node: Node) -> _Vec:
        import numpy as np

        if isinstance(node, Literal):
            kind = _kind(node.value)
            if kind == "date":
                value = float(node.value.toordinal() - _EPOCH)  # type: ignore[union-attr]
            elif kind == "number":
                value = float(node.value)  # type: ignore[arg-type]
            else:
                raise _NoVector
            return _Vec(np.full(self.n, value), kind, np.ones(self.n, bool), *self.none(2))
        if isinstance(node, Name):
            return self.column(node.name, "arith", None)
        if isinstance(node, Call) and node.func in _COMPUTED:
            return self.call(node)
        if isinstance(node, Arith):
            return self.arith(node)
        raise _NoVector

    def none(self, k: int) -> list[np.ndarray]:
        import numpy as np

        return [np.full(self.n, -1, dtype=np.int64) for _ in range(k)]

    def column(self, name: str, mode: str, kind: str | None) -> _Vec:
        """A column's values converted per distinct value with the row-wise rule of ``mode``."""
        import numpy as np

        codes, distinct = self.columns.get(name)
        values = np.full(len(distinct), np.nan)
        present = np.array([v is not None for v in distinct], dtype=bool)
        lazy = np.full(len(distinct), -1, dtype=np.int64)
        kinds: set[str] = set()
        for j, value in enumerate(distinct):
            if value is None:
                continue
            try:
                number, got = _convert(value, mode, kind, name)
            except _BadValue as exc:
                lazy[j] = len(self.entries)
                self.entries.append((name, exc))
                continue
            values[j] = number
            kinds.add(got)
        if len(kinds) > 1:
            raise _NoVector
        got_kind = kinds.pop() if kinds else (kind or ("date" if mode == "date" else "number"))
        return _Vec(values[codes], got_kind, present[codes], self.none(1)[0], lazy[codes])

    def call(self, node: Call) -> _Vec:
        import numpy as np

        modes = {"dagar": ("date", "date"), "manader": ("date", "date"),
                 "plus_dagar": ("date", "whole"), "plus_manader": ("date", "whole"),
                 "ar": ("date",), "datum": ("date",)}[node.func]  # fmt: skip
        args = [self.argument(a, mode) for a, mode in zip(node.args, modes, strict=True)]
        # every argument is evaluated before any is converted (functions._dates)
        who = _first(*(a.who for a in args), *(a.lazy for a in args))
        present = np.logical_and.reduce([a.present for a in args]) & (who < 0)
        ok = present & np.logical_and.reduce([~np.isnan(a.values) for a in args])
        first = args[0].values
        if node.func == "dagar":
            values, kind = args[1].values - first, "number"
        elif node.func == "manader":
            values, kind = _on(ok, calendar.whole_months_vector, first, args[1].values), "number"
        elif node.func == "plus_dagar":
            values, kind = first + args[1].values, "date"
        elif node.func == "plus_manader":
            values, kind = _on(ok, calendar.add_months_vector, first, args[1].values), "date"
        elif node.func == "ar":
            values, kind = _on(ok, lambda a: calendar.split_days(a)[0], first), "number"
        else:
            values, kind = first, "date"
        return self.result(values, kind, present, who)

    def argument(self, node: Node, mode: str) -> _Vec:
        if isinstance(node, Name):
            return self.column(node.name, mode, None)
        vec = self.vec(node)
        want = "date" if mode == "date" else "number"
        if vec.kind != want:
            raise _NoVector
        if mode == "whole":
            self.require_whole(vec, node)
        return vec

    def require_whole(self, vec: _Vec, node: Node) -> None:
        """A computed number of days or months must be whole (functions._as_whole)."""
        import numpy as np

        with np.errstate(invalid="ignore"):
            broken = vec.present & ~np.isnan(vec.values) & (vec.values != np.floor(vec.values))
        if broken.any():
            raise _NoVector  # rare: the row-wise path names the value

    def arith(self, node: Arith) -> _Vec:
        import numpy as np

        left, right = self.vec(node.left), self.vec(node.right)
        who = _first(left.who, right.who)
        present = left.present & right.present & (who < 0)
        who = _first(who, np.where(present, left.lazy, -1), np.where(present, right.lazy, -1))
        present &= who < 0
        kinds = (left.kind, right.kind)
        a, b = left.values, right.values
        if kinds == ("number", "number"):
            values = a + b if node.op == "+" else a - b if node.op == "-" else a * b
            return self.result(values, "number", present, who)
        if node.op == "*" or kinds == ("date", "date") or (node.op == "-" and kinds[1] == "date"):
            raise _NoVector  # refused row by row with the value named
        days = b if kinds[0] == "date" else a
        with np.errstate(invalid="ignore"):
            if (present & ~np.isnan(days) & (days != np.floor(days))).any():
                raise _NoVector
        start = a if kinds[0] == "date" else b
        values = start + days if node.op == "+" else start - days
        return self.result(values, "date", present, who)

    def result(self, values: np.ndarray, kind: str, present: np.ndarray, who: np.ndarray) -> _Vec:
        import numpy as np

        values = np.where(present, values, np.nan)
        if kind == "date":
            with np.errstate(invalid="ignore"):
                values = np.where((values < _LOW) | (values > _HIGH), np.nan, values)
        # a computed value that is missing counts as missing further up (functions return None)
        missing = np.isnan(values)
        return _Vec(values, kind, present & ~missing, who, self.none(1)[0])


def _convert(value: object, mode: str, kind: str | None, name: str) -> tuple[float, str]:
    """One distinct column value as a float and its kind, by the row-wise rule of ``mode``.

    ``date`` is ``functions._as_date``, ``whole`` is ``functions._as_whole``, ``arith`` is
    how ``functions._arith`` reads an operand, ``compare`` is how ``nodes._compare``
    converts a value compared with a value of ``kind``.
    """
    got = _kind(value)
    if mode == "date":
        if got == "date":
            return _days(value), "date"
        if got == "text":
            return _days(_coerced(value, "date", name)), "date"
        raise _BadValue(name, value, "ett datum")
    if mode == "whole":
        number = (
            value if got == "number" else _coerced(value, "number", name) if got == "text" else None
        )
        if number is None:
            raise _BadValue(name, value, "ett tal")
        if number != int(number):  # type: ignore[call-overload]
            raise _BadValue(name, value, "ett heltal")
        return float(number), "number"  # type: ignore[arg-type]
    if mode == "arith":
        if got == "text":
            day = _text_to_date(value)  # type: ignore[arg-type]
            if day is not None:
                return _days(day), "date"
            return float(_coerced(value, "number", name)), "number"
        if got == "date":
            return _days(value), "date"
        if got == "number":
            return float(value), "number"  # type: ignore[arg-type]
        raise _NoVector
    if got == kind:
        return (_days(value) if kind == "date" else float(value)), kind  # type: ignore[arg-type]
    if got == "text" and kind in _COERCE:
        coerced = _coerced(value, kind, name)
        return (_days(coerced) if kind == "date" else float(coerced)), kind  # type: ignore[arg-type]
    raise _NoVector


def _coerced(value: Any, kind: str, name: str) -> Any:
    converted = _COERCE[kind](value)
    if converted is None:
        raise _BadValue(name, value, _KIND_TEXT[kind])
    return converted


def _days(day: Any) -> float:
    return float(day.toordinal() - _EPOCH)


def _first(*arrays: np.ndarray) -> np.ndarray:
    """Per row, the first problem among ``arrays`` (in evaluation order), or -1."""
    import numpy as np

    out = arrays[0].copy()
    for arr in arrays[1:]:
        out = np.where(out >= 0, out, arr)
    return out


def _on(ok: np.ndarray, func: Any, *arrays: np.ndarray) -> np.ndarray:
    """``func`` applied to the rows where every input is there; NaN elsewhere."""
    import numpy as np

    out = np.full(len(ok), np.nan)
    if ok.any():
        out[ok] = func(*(a[ok].astype(np.int64) for a in arrays))
    return out


def _lt(a, b):
    return a < b


_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": _lt,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
