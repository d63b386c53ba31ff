"""A small, safe expression language for population filters and checklist conditions.

Expressions are tokenized and parsed by hand into an immutable AST; nothing here
calls ``eval``, ``compile`` or ``ast.literal_eval`` on user text, and there is no
attribute access, indexing or arbitrary function call.  Examples::

    alder <= 12 and beslutsdatum >= 2023-01-01 and stadsdel in ['Farsta', 'Järva']
    F13 in ['Ja – diffusa uppgifter', 'Ja – konkreta uppgifter']
    not (F7 == 'Nej')
    'Våld mot barnet' in F2            # F2 is a multiple-choice answer (a list)
    besvarad(F5) och antal(F2) >= 2

Semantics (the same for :meth:`Expression.evaluate` and :meth:`Expression.mask`):

* A missing value is ``None``: an absent key, ``None``, NaN/NaT, or a string that
  is empty or only whitespace.  Other strings are stripped of surrounding spaces.
* Any comparison or membership test involving a missing value is False, also
  ``!=`` and ``not in`` (as in SQL).  ``not``/``and``/``or`` are ordinary
  two-valued logic, so ``not (x == 1)`` is True for a missing ``x`` while
  ``x != 1`` is False.  Use ``tom(x)`` / ``besvarad(x)`` to test for missing.
* Text is coerced when compared with a typed value: with a number (``"12"``,
  ``"12,5"``, ``"-3"``), a date (``"2024-03-01"``, ``"20240301"``,
  ``"2024-03-01 14:30"``) or a boolean (ja/nej, sant/falskt, true/false, 1/0).
  A value that cannot be coerced is a data problem: ``evaluate`` raises
  :class:`ExprError` naming the value and the name; ``mask`` makes that
  comparison False for the row and reports the row and column.
* ``in`` needs a list on the right: a list literal or a name whose value is a
  list/tuple/set (a multiple-choice answer).  Substring tests on text are not
  supported.
* ``and``/``or`` evaluate every operand (no short-circuit), so a bad value is
  reported wherever it occurs, and the row-wise and vectorised paths agree.

The tokenizer and parser live in :mod:`granskning.expr.parse`, the vectorised
``mask`` in :mod:`granskning.expr.mask`; this module holds the AST, the value rules
and the public API.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BoolOp",
    "Call",
    "Compare",
    "ExprError",
    "Expression",
    "ListOf",
    "Literal",
    "MaskReport",
    "Membership",
    "Name",
    "Not",
    "ValueProblem",
    "check_names",
    "parse",
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


Node = Literal | ListOf | Name | Call | Compare | Membership | Not | BoolOp


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


def _f_tom(value: object, node: Node) -> bool:
    return value is None


def _f_besvarad(value: object, node: Node) -> bool:
    return value is not None


def _f_antal(value: object, node: Node) -> int:
    if value is None:
        return 0
    if isinstance(value, tuple):
        return len(value)
    raise _BadValue(_origin(node), value, "ett flervalssvar (en lista)")


def _f_datum(value: object, node: Node) -> _dt.date | None:
    if value is None or isinstance(value, _dt.date):
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        return _coerce_or_fail(value, "date", node)  # type: ignore[return-value]
    raise _BadValue(_origin(node), value, "ett datum")


def _f_ar(value: object, node: Node) -> int | None:
    day = _f_datum(value, node)
    return None if day is None else day.year


# name -> (function, returns a condition, canonical name)
_FUNCTIONS: dict[str, tuple[Callable[[object, Node], object], bool, str]] = {
    "tom": (_f_tom, True, "tom"),
    "besvarad": (_f_besvarad, True, "besvarad"),
    "antal": (_f_antal, False, "antal"),
    "datum": (_f_datum, False, "datum"),
    "ar": (_f_ar, False, "ar"),
    "år": (_f_ar, False, "ar"),
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
        return _FUNCTIONS[node.func][1]
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


def _operand_text(node: Node) -> str:
    text = unparse(node)
    return f"({text})" if isinstance(node, (Compare, Membership, Not, BoolOp)) else text


def _names(node: Node) -> frozenset[str]:
    if isinstance(node, Name):
        return frozenset({node.name})
    if isinstance(node, Call):
        return frozenset().union(*(_names(a) for a in node.args))
    if isinstance(node, Compare):
        return _names(node.left) | _names(node.right)
    if isinstance(node, Membership):
        return _names(node.item) | _names(node.container)
    if isinstance(node, Not):
        return _names(node.operand)
    if isinstance(node, BoolOp):
        return frozenset().union(*(_names(o) for o in node.operands))
    return frozenset()


# ------------------------------------------------------------------ evaluate


def _eval(node: Node, env: Mapping[str, object]) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListOf):
        return node.values
    if isinstance(node, Name):
        return _norm(env.get(node.name))
    if isinstance(node, Call):
        return _FUNCTIONS[node.func][0](_eval(node.args[0], env), node.args[0])
    if isinstance(node, Compare):
        return _compare(
            node.op, _eval(node.left, env), _eval(node.right, env), node.left, node.right
        )
    if isinstance(node, Membership):
        return _member(node, _eval(node.item, env), _eval(node.container, env))
    if isinstance(node, Not):
        return not _truth(_eval(node.operand, env), node.operand)
    flags = [_truth(_eval(o, env), o) for o in node.operands]  # no short-circuit, see module doc
    return all(flags) if node.op == "and" else any(flags)


def _member(node: Membership, item: object, container: object) -> bool:
    if container is not None and not isinstance(container, tuple):
        raise _BadValue(_origin(node.container), container, "ett flervalssvar (en lista)")
    if item is None or container is None:
        return False
    if isinstance(item, tuple):
        raise _BadValue(_origin(node.item), item, "ett enskilt värde")
    found = any(_compare("==", item, c, node.item, node.container) for c in container)
    return found != node.negated


def _condition(node: Node, env: Mapping[str, object]) -> bool:
    return _truth(_eval(node, env), node)


# ---------------------------------------------------------------- expression


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


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression; see the module docstring for the language and its semantics."""

    text: str
    root: Node
    source: str | None = None
    names: frozenset[str] = frozenset()

    @property
    def is_condition(self) -> bool:
        """True when the expression gives sant/falskt (usable as a filter or skip condition)."""
        return _is_condition(self.root)

    @property
    def canonical(self) -> str:
        """The expression in canonical form (English keywords, ``==``, quoted names)."""
        return unparse(self.root)

    def evaluate(self, env: Mapping[str, object]) -> object:
        """Return the value of the expression for one record (a mapping name -> value).

        A condition (see :attr:`is_condition`) gives a ``bool``; a bare name used as
        a condition is read as sant/falskt (ja/nej, true/false, 1/0; missing is False).
        """
        try:
            if self.is_condition:
                return _condition(self.root, env)
            return _eval(self.root, env)
        except _BadValue as exc:
            raise ExprError(
                exc.message(_leaf_context(self.root, exc)),
                source=self.source,
                name=exc.name,
                value=exc.value,
            ) from None

    def mask(self, df: pd.DataFrame, *, strict: bool = True, file: str | None = None) -> pd.Series:
        """Return a boolean Series: which rows of ``df`` satisfy the expression.

        With ``strict`` a value that cannot be compared raises :class:`ExprError`
        naming the first such row (as Excel numbers it) and column; otherwise the
        comparison is False for that row (see :meth:`mask_report` for the list).
        """
        report = self.mask_report(df, file=file)
        if strict and report.problems:
            first = report.problems[0]
            more = report.problem_count - 1
            tail = f" ({more} fler värden har samma slags problem.)" if more else ""
            raise ExprError(
                f"Värdet {first.value} är inte {first.expected} "
                f"(i villkoret {first.condition}).{tail}",
                source=self.source,
                file=file,
                row=first.row,
                column=first.column,
            )
        return report.mask

    def mask_report(self, df: pd.DataFrame, *, file: str | None = None) -> MaskReport:
        """Return the mask over ``df`` and every value that could not be compared."""
        from granskning.expr import mask as _exprmask

        if not self.is_condition:
            raise ExprError(
                f"{self.canonical} är inget villkor (sant/falskt) och kan inte filtrera rader.",
                source=self.source,
            )
        check_names(self, [str(c) for c in df.columns], source=self.source, file=file)
        return _exprmask.mask_report(self, df)


def _leaf_context(root: Node, exc: _BadValue) -> Node:
    """The smallest comparison in ``root`` that mentions the offending name, for messages."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, (Not,)):
            stack.append(node.operand)
        elif isinstance(node, BoolOp):
            stack.extend(reversed(node.operands))
        elif exc.name is None or exc.name in _names(node):
            return node
    return root


def parse(text: str, *, source: str | None = None) -> Expression:
    """Return the parsed expression; raise :class:`ExprError` with the position if invalid."""
    if not isinstance(text, str):
        raise ExprError(f"Ett uttryck ska vara text, inte {type(text).__name__}.", source=source)
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"Uttrycket är för långt ({len(text):,} tecken; högst {MAX_LENGTH:,}).".replace(
                ",", " "
            ),
            source=source,
        )
    if not text.strip():
        raise ExprError("Uttrycket är tomt.", source=source)
    if not text.isascii():
        import unicodedata

        # frames are read as NFC (granskning.sampling.frame): "Järva" typed with a combining
        # diaeresis must name the same column and match the same value
        text = unicodedata.normalize("NFC", text)
    from granskning.personnummer.number import find_personnummer

    hits = find_personnummer(text)
    if hits:  # the text is kept in the draw record, which every reviewer and report shows
        raise ExprError(
            f"Uttrycket innehåller ett personnummer vid tecken {hits[0].start + 1}. Ett "
            "personnummer får inte stå i ett filter: filtret sparas i urvalsprotokollet, som "
            "alla granskare och rapporter visar. Ta bort det; enskilda ärenden utesluts med "
            "--uteslut FIL.",
            source=source,
            position=hits[0].start + 1,
        )
    from granskning.expr.parse import Failure, parse_tree

    try:
        root = parse_tree(text)
    except Failure as exc:
        raise ExprError(
            f"Ogiltigt uttryck vid tecken {exc.pos + 1}: {exc.message}\n{_pointer(text, exc.pos)}",
            source=source,
            position=exc.pos + 1,
        ) from None
    return Expression(text, root, source, _names(root))


def _pointer(text: str, pos: int, width: int = 70) -> str:
    """The text (a window of it when long) on one line with a caret under ``pos``."""
    flat = "".join(" " if c in "\r\n\t" else c for c in text)
    start = max(0, min(pos - width // 2, len(flat) - width))
    window = flat[start : start + width]
    lead = "…" if start > 0 else ""
    tail = "…" if start + width < len(flat) else ""
    return f"    {lead}{_mask_pnr(window)}{tail}\n    {' ' * (len(lead) + pos - start)}^"


def check_names(
    expr: Expression,
    known: Iterable[str],
    *,
    source: str | None = None,
    file: str | None = None,
) -> None:
    """Raise :class:`ExprError` listing names in ``expr`` that are not in ``known``."""
    known = list(known)
    unknown = sorted(expr.names - set(known))
    if not unknown:
        return
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        if not close:
            folded = {k.casefold(): k for k in known}
            close = [folded[name.casefold()]] if name.casefold() in folded else []
        hint = f" (menade du {' eller '.join(_show(c) for c in close)}?)" if close else ""
        parts.append(_show(name) + hint)
    label = "Okänt namn" if len(unknown) == 1 else "Okända namn"
    raise ExprError(
        f"{label} i uttrycket {expr.canonical}: {', '.join(parts)}.",
        source=source if source is not None else expr.source,
        file=file,
    )
