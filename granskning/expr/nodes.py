"""The expression language's AST and value rules (see :mod:`granskning.expr.expression`).

The node classes, how values are normalised, coerced and compared, how a tree is
evaluated for one record and written back as text (:func:`unparse`).  The parser
(:mod:`granskning.expr.parse`) and the vectorised mask (:mod:`granskning.expr.mask`)
build on this module; :mod:`granskning.expr.expression` holds the public API.
"""

from __future__ import annotations

import datetime as _dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Arith",
    "BoolOp",
    "Call",
    "Compare",
    "ExprError",
    "ListOf",
    "Literal",
    "MaskReport",
    "Membership",
    "Name",
    "Node",
    "Not",
    "ValueProblem",
    "unparse",
]

MAX_LENGTH = 2000
MAX_DEPTH = 50
PROBLEM_LIMIT = 1000


class ExprError(InputError):
    """An expression that cannot be parsed or evaluated (exit code 2)."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        position: int | None = None,
        name: str | None = None,
        value: object = None,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source = source
        self.position = position
        self.name = name
        self.value = value
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + message, file=file, row=row, column=column)


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Literal:
    value: object
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ListOf:
    values: tuple[object, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Arith:
    op: str  # one of + - *
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # one of == != < <= > >=
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Membership:
    item: Node
    container: Node
    negated: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" or "or"
    operands: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


Node = Literal | ListOf | Name | Call | Arith | Compare | Membership | Not | BoolOp


# ------------------------------------------------------------------ value rules

_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_DATE_TEXT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?|(\d{4})(\d{2})(\d{2})",
    re.ASCII,
)
_TRUE = frozenset({"sant", "true", "ja", "1"})
_FALSE = frozenset({"falskt", "false", "nej", "0"})
_PNR_SHAPE = re.compile(r"(?<!\d)(\d{6}|\d{8})([-+]?)(\d{4})(?!\d)")

_KIND_TEXT = {"number": "ett tal", "date": "ett datum", "bool": "sant eller falskt"}


def _mask_pnr(text: str) -> str:
    """Hide the last four digits of anything shaped like a personnummer (same length)."""
    return _PNR_SHAPE.sub(lambda m: m.group(1) + m.group(2) + "****", text)


def _show(value: object) -> str:
    """Quote a value for a message: shortened and with personnummer masked."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "…"
        return '"' + _mask_pnr(text) + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value[:5]) + (", …]" if len(value) > 5 else "]")
    if isinstance(value, bool):
        return "sant" if value else "falskt"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return _mask_pnr(str(value))


def _norm(value: object) -> object:
    """Normalise one record value: missing -> None, numpy scalars -> Python, lists -> tuple."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(_norm(v) for v in value)
        return tuple(v for v in items if v is not None)
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    return value


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, _dt.date):
        return "date"
    if isinstance(value, str):
        return "text"
    if isinstance(value, tuple):
        return "multi"
    return "other"


def _text_to_number(text: str) -> int | float | None:
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    return float(text.replace(",", ".")) if ("," in text or "." in text) else int(text)


def _text_to_date(text: str) -> _dt.date | None:
    m = _DATE_TEXT.fullmatch(text)
    if not m:
        return None
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
    try:
        return _dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None


def _text_to_bool(text: str) -> bool | None:
    low = text.casefold()
    return True if low in _TRUE else False if low in _FALSE else None


_COERCE: dict[str, Callable[[str], object]] = {
    "number": _text_to_number,
    "date": _text_to_date,
    "bool": _text_to_bool,
}


class _BadValue(Exception):
    """A record value that does not fit where it is used (a data problem, not a syntax error)."""

    def __init__(self, name: str | None, value: object, expected: str) -> None:
        super().__init__(expected)
        self.name = name
        self.value = value
        self.expected = expected

    def message(self, context: Node | None) -> str:
        where = f" i {_show(self.name)}" if self.name else ""
        text = f"Värdet {_show(self.value)}{where} är inte {self.expected}"
        if context is not None:
            text += f" (i villkoret {unparse(context)})"
        return text + "."


def _origin(node: Node) -> str | None:
    """The data name a node's value comes from, for messages."""
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call) and node.args:
        return _origin(node.args[0])
    if isinstance(node, Arith):
        return _origin(node.left) or _origin(node.right)
    return None


_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, a: object, b: object, lnode: Node, rnode: Node) -> bool:
    if a is None or b is None:
        return False
    ka, kb = _kind(a), _kind(b)
    for value, kind, node in ((a, ka, lnode), (b, kb, rnode)):
        if kind in ("multi", "other"):
            raise _BadValue(_origin(node), value, "ett enskilt värde (jämför flerval med in)")
    if ka != kb:
        if ka == "text":
            a = _coerce_or_fail(a, kb, lnode)
        elif kb == "text":
            b = _coerce_or_fail(b, ka, rnode)
        else:
            blame, value, other = (lnode, a, kb) if _origin(lnode) else (rnode, b, ka)
            raise _BadValue(_origin(blame), value, _KIND_TEXT[other])
        ka = kb if ka == "text" else ka
    if ka == "bool" and op not in ("==", "!="):
        raise _BadValue(_origin(lnode) or _origin(rnode), a, "ett värde som kan storleksjämföras")
    return bool(_ORDER_OPS[op](a, b))


def _coerce_or_fail(text: Any, kind: str, node: Node) -> object:
    value = _COERCE[kind](text)
    if value is None:
        raise _BadValue(_origin(node), text, _KIND_TEXT[kind])
    return value


def _truth(value: object, node: Node) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        flag = _text_to_bool(value)
        if flag is not None:
            return flag
    raise _BadValue(_origin(node), value, "sant eller falskt")


# ----------------------------------------------------------------- functions

# name (case-folded, also with å) -> (returns a condition, canonical name, number of
# arguments); the implementations are in granskning.expr.functions
_FUNCTIONS: dict[str, tuple[bool, str, int]] = {
    "tom": (True, "tom", 1),
    "besvarad": (True, "besvarad", 1),
    "antal": (False, "antal", 1),
    "datum": (False, "datum", 1),
    "ar": (False, "ar", 1),
    "år": (False, "ar", 1),
    "dagar": (False, "dagar", 2),
    "manader": (False, "manader", 2),
    "månader": (False, "manader", 2),
    "plus_dagar": (False, "plus_dagar", 2),
    "plus_manader": (False, "plus_manader", 2),
    "plus_månader": (False, "plus_manader", 2),
}
# the kinds each function's arguments take and the kind it gives (granskning.expr.kinds)
SIGNATURES: dict[str, tuple[tuple[str, ...], str]] = {
    "tom": (("any",), "bool"),
    "besvarad": (("any",), "bool"),
    "antal": (("multi",), "number"),
    "datum": (("date",), "date"),
    "ar": (("date",), "number"),
    "dagar": (("date", "date"), "number"),
    "manader": (("date", "date"), "number"),
    "plus_dagar": (("date", "number"), "date"),
    "plus_manader": (("date", "number"), "date"),
}


_CLOCK_FUNCTIONS = frozenset({"idag", "today", "now", "nu"})

# keyword (case-insensitive) -> token; shared with the parser in _exprparse
_KEYWORDS = {
    "and": "and", "och": "and",
    "or": "or", "eller": "or",
    "not": "not", "inte": "not",
    "in": "in",
    "sant": "true", "true": "true",
    "falskt": "false", "false": "false",
}  # fmt: skip

_CONDITION_NODES = (Compare, Membership, Not, BoolOp, Name)


def _is_condition(node: Node) -> bool:
    if isinstance(node, _CONDITION_NODES):
        return True
    if isinstance(node, Literal):
        return isinstance(node.value, bool)
    if isinstance(node, Call):
        return _FUNCTIONS[node.func][0]
    return False


# ---------------------------------------------------------------- unparse


def _quote_name(name: str) -> str:
    plain = (name[:1].isalpha() or name[:1] == "_") and all(c.isalnum() or c == "_" for c in name)
    return name if plain and name.casefold() not in _KEYWORDS else f"`{name}`"


def _literal_text(value: object) -> str:
    if isinstance(value, bool):
        return "sant" if value else "falskt"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return repr(value)


def unparse(node: Node) -> str:
    """Return a canonical text for ``node`` that parses back to an equal AST."""
    if isinstance(node, Literal):
        return _literal_text(node.value)
    if isinstance(node, ListOf):
        return "[" + ", ".join(_literal_text(v) for v in node.values) + "]"
    if isinstance(node, Name):
        return _quote_name(node.name)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(unparse(a) for a in node.args)})"
    if isinstance(node, Arith):
        return _arith_text(node)
    if isinstance(node, Compare):
        return f"{_operand_text(node.left)} {node.op} {_operand_text(node.right)}"
    if isinstance(node, Membership):
        op = "not in" if node.negated else "in"
        return f"{_operand_text(node.item)} {op} {_operand_text(node.container)}"
    if isinstance(node, Not):
        inner = unparse(node.operand)
        return (
            f"not {inner}" if isinstance(node.operand, (Name, Literal, Call)) else f"not ({inner})"
        )
    parts = []
    for operand in node.operands:
        text = unparse(operand)
        parts.append(f"({text})" if isinstance(operand, BoolOp) else text)
    return f" {node.op} ".join(parts)


def _arith_text(node: Arith) -> str:
    # + and - bind looser than *; the right side of - and of * needs parentheses when
    # it is itself a sum (a - (b + c)), the left side only when it binds looser
    def side(child: Node, right: bool) -> str:
        text = _operand_text(child)
        if isinstance(child, Arith) and (
            (child.op in "+-" and (node.op == "*" or right)) or (right and node.op == "*")
        ):
            return f"({text})"
        return text

    return f"{side(node.left, False)} {node.op} {side(node.right, True)}"


def _operand_text(node: Node) -> str:
    text = unparse(node)
    return f"({text})" if isinstance(node, (Compare, Membership, Not, BoolOp)) else text


def _names(node: Node) -> frozenset[str]:
    if isinstance(node, Name):
        return frozenset({node.name})
    if isinstance(node, Call):
        return frozenset().union(*(_names(a) for a in node.args))
    if isinstance(node, (Compare, Arith)):
        return _names(node.left) | _names(node.right)
    if isinstance(node, Membership):
        return _names(node.item) | _names(node.container)
    if isinstance(node, Not):
        return _names(node.operand)
    if isinstance(node, BoolOp):
        return frozenset().union(*(_names(o) for o in node.operands))
    return frozenset()


# ---------------------------------------------------------------- results over a frame


@dataclass(frozen=True, slots=True)
class ValueProblem:
    """A value in a frame that does not fit the expression (the comparison counted as False).

    ``row`` is the row as Excel numbers it (header = 1); ``value`` is shown with any
    personnummer masked.
    """

    column: str
    row: int
    row_index: object
    value: str
    expected: str
    condition: str


@dataclass(frozen=True, slots=True)
class MaskReport:
    """A boolean mask over a frame, with the values that could not be compared."""

    mask: pd.Series
    problems: tuple[ValueProblem, ...]  # the first PROBLEM_LIMIT, in row order
    problem_count: int
