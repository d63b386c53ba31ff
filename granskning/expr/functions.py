"""The functions and the arithmetic of the expression language, evaluated for one record.

Each function takes its argument values and nodes (the nodes only for messages); a
missing argument gives a missing result, except for ``tom``, ``besvarad`` and
``antal``, which test for it.  The calendar rules are in :mod:`granskning.expr.calendar`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from granskning.expr import calendar
from granskning.expr.nodes import (
    Arith,
    Node,
    _BadValue,
    _coerce_or_fail,
    _kind,
    _origin,
    _text_to_date,
    unparse,
)


def _f_tom(values: tuple, nodes: tuple) -> bool:
    return values[0] is None


def _f_besvarad(values: tuple, nodes: tuple) -> bool:
    return values[0] is not None


def _f_antal(values: tuple, nodes: tuple) -> int:
    value = values[0]
    if value is None:
        return 0
    if isinstance(value, tuple):
        return len(value)
    raise _BadValue(_origin(nodes[0]), value, "ett flervalssvar (en lista)")


def _as_date(value: object, node: Node) -> _dt.date | None:
    if value is None or (isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)):
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        return _coerce_or_fail(value, "date", node)  # type: ignore[return-value]
    raise _BadValue(_origin(node), value, "ett datum")


def _as_number(value: object, node: Node) -> int | float | None:
    if value is None or _kind(value) == "number":
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        return _coerce_or_fail(value, "number", node)  # type: ignore[return-value]
    raise _BadValue(_origin(node), value, "ett tal")


def _as_whole(value: object, node: Node) -> int | None:
    number = _as_number(value, node)
    if number is None:
        return None
    if number != int(number):
        raise _BadValue(_origin(node), value, "ett heltal")
    return int(number)


def _f_datum(values: tuple, nodes: tuple) -> _dt.date | None:
    return _as_date(values[0], nodes[0])


def _f_ar(values: tuple, nodes: tuple) -> int | None:
    day = _as_date(values[0], nodes[0])
    return None if day is None else day.year


def _dates(values: tuple, nodes: tuple) -> tuple[_dt.date, _dt.date] | None:
    a, b = _as_date(values[0], nodes[0]), _as_date(values[1], nodes[1])
    return None if a is None or b is None else (a, b)


def _f_dagar(values: tuple, nodes: tuple) -> int | None:
    pair = _dates(values, nodes)
    return None if pair is None else calendar.days_between(*pair)


def _f_manader(values: tuple, nodes: tuple) -> int | None:
    pair = _dates(values, nodes)
    return None if pair is None else calendar.whole_months(*pair)


def _f_plus_dagar(values: tuple, nodes: tuple) -> _dt.date | None:
    day, n = _as_date(values[0], nodes[0]), _as_whole(values[1], nodes[1])
    return None if day is None or n is None else calendar.add_days(day, n)


def _f_plus_manader(values: tuple, nodes: tuple) -> _dt.date | None:
    day, n = _as_date(values[0], nodes[0]), _as_whole(values[1], nodes[1])
    return None if day is None or n is None else calendar.add_months(day, n)


IMPLEMENTATIONS: dict[str, Callable[[tuple, tuple], object]] = {
    "tom": _f_tom,
    "besvarad": _f_besvarad,
    "antal": _f_antal,
    "datum": _f_datum,
    "ar": _f_ar,
    "dagar": _f_dagar,
    "manader": _f_manader,
    "plus_dagar": _f_plus_dagar,
    "plus_manader": _f_plus_manader,
}


def _arith(node: Arith, a: object, b: object) -> object:
    """``a op b`` for numbers, and a date plus or minus a whole number of days."""
    if a is None or b is None:
        return None
    ka = "date" if isinstance(a, _dt.date) else "number"
    kb = "date" if isinstance(b, _dt.date) else "number"
    if isinstance(a, str):
        a, ka = _arith_operand(a, node.left)
    if isinstance(b, str):
        b, kb = _arith_operand(b, node.right)
    for value, kind, side in ((a, ka, node.left), (b, kb, node.right)):
        if kind == "number" and _kind(value) != "number":
            raise _BadValue(_origin(side), value, "ett tal eller datum")
    if ka == "number" and kb == "number":
        return a + b if node.op == "+" else a - b if node.op == "-" else a * b  # type: ignore[operator]
    if ka == "date" and kb == "number" and node.op in "+-":
        n = _as_whole(b, node.right)
        return calendar.add_days(a, n if node.op == "+" else -n)  # type: ignore[arg-type,operator]
    if ka == "number" and kb == "date" and node.op == "+":
        return calendar.add_days(b, _as_whole(a, node.left))  # type: ignore[arg-type]
    blame = node.left if ka == "date" else node.right
    expected = "ett tal"
    if ka == kb == "date" and node.op == "-":
        right, left = unparse(node.right), unparse(node.left)
        expected += f" (antalet dagar mellan två datum skrivs dagar({right}, {left}))"
    raise _BadValue(_origin(blame), a if blame is node.left else b, expected)


def _arith_operand(text: str, node: Node) -> tuple[object, str]:
    """A text operand of + - *: a date when it reads as one (2024-03-01, 20240301), else a number."""
    day = _text_to_date(text)
    if day is not None:
        return day, "date"
    return _coerce_or_fail(text, "number", node), "number"
