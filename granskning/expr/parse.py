"""Tokenizer and recursive-descent parser of the expression language (see :mod:`granskning.expr.expression`).

Hand-written on purpose: nothing here calls ``eval``, ``compile`` or
``ast.literal_eval``.  Tokens are produced lazily so that errors come in reading
order, and nesting deeper than ``MAX_DEPTH`` is refused before Python's own
recursion limit could be reached.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from granskning.expr.nodes import (
    _CLOCK_FUNCTIONS,
    _FUNCTIONS,
    _KEYWORDS,
    MAX_DEPTH,
    Arith,
    BoolOp,
    Call,
    Compare,
    ListOf,
    Literal,
    Membership,
    Name,
    Node,
    Not,
    _BadValue,
    _compare,
    _is_condition,
    _kind,
    _show,
    _text_to_date,
    unparse,
)


class Failure(Exception):
    """A syntax error at character ``pos`` (0-based)."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


def parse_tree(text: str) -> Node:
    """Return the AST of ``text``; raise :class:`Failure` with the position if invalid."""
    return _Parser(text).parse()


_OPERATORS = ("==", "!=", "<>", "<=", ">=", "<", ">", "=")
_QUOTES = {"'": "'", '"': '"', "‘": "’", "’": "’", "“": "”", "”": "”"}
_DATE_TOKEN = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?![\w.])")
_NUMBER_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number string date name kw op ( ) [ ] , - + * end
    value: Any
    pos: int


def _tokenize(text: str) -> Iterator[_Token]:
    """Yield tokens lazily, so that errors are reported in reading order."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        yield from tokens
        tokens.clear()
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "0123456789":
            m = _DATE_TOKEN.match(text, i)
            if m:
                try:
                    day = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    raise Failure(i, f"ogiltigt datum {m.group(0)}") from None
                tokens.append(_Token("date", day, i))
                i = m.end()
                continue
            end = _NUMBER_TOKEN.match(text, i).end()  # type: ignore[union-attr]
            if end < n and (text[end].isalnum() or text[end] in "_.-"):
                hint = (
                    " (skriv mellanslag runt minustecknet i en räkning)" if text[end] == "-" else ""
                )
                raise Failure(i, f"ogiltigt tal eller datum {_show(text[i : end + 1])}{hint}")
            raw = text[i:end]
            tokens.append(_Token("number", float(raw) if "." in raw else int(raw), i))
            i = end
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            kw = _KEYWORDS.get(word.casefold())
            tokens.append(_Token("kw", kw, i) if kw else _Token("name", word, i))
            i = j
        elif ch in _QUOTES:
            i = _read_string(text, i, tokens)
        elif ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise Failure(i, "namnet inom ` avslutas aldrig")
            if not text[i + 1 : j].strip():
                raise Failure(i, "tomt namn inom ` `")
            tokens.append(_Token("name", text[i + 1 : j].strip(), i))
            i = j + 1
        elif ch in "()[],-+*":
            tokens.append(_Token(ch, ch, i))
            i += 1
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise Failure(i, f"oväntat tecken {_show(ch)}" + _hint(ch))
            tokens.append(_Token("op", {"=": "==", "<>": "!="}.get(op, op), i))
            i += len(op)
    yield from tokens
    yield _Token("end", None, n)


def _hint(ch: str) -> str:
    if ch == ".":
        return " (punkt används bara i decimaltal; attribut stöds inte)"
    if ch == ":":
        return " (kolon är inte tillåtet i ett uttryck)"
    return ""


def _read_string(text: str, start: int, tokens: list[_Token]) -> int:
    close = _QUOTES[text[start]]
    parts: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "\\'\"’”":
            parts.append(text[i + 1])
            i += 2
        elif ch == close:
            tokens.append(_Token("string", "".join(parts), start))
            return i + 1
        else:
            parts.append(ch)
            i += 1
    raise Failure(start, "texten avslutas aldrig (citattecknet stängs inte)")


class _Parser:
    def __init__(self, text: str) -> None:
        self.stream = _tokenize(text)
        self.ahead: list[_Token] = []
        self.depth = 0

    def peek(self, k: int = 0) -> _Token:
        while len(self.ahead) <= k:
            tok = next(self.stream, None)
            self.ahead.append(tok or _Token("end", None, self.ahead[-1].pos if self.ahead else 0))
        return self.ahead[k]

    @property
    def tok(self) -> _Token:
        return self.peek()

    def advance(self) -> _Token:
        tok = self.peek()
        if tok.kind != "end":
            self.ahead.pop(0)
        return tok

    def at_kw(self, *words: str) -> bool:
        return self.tok.kind == "kw" and self.tok.value in words

    def unexpected(self, tok: _Token | None = None) -> Failure:
        tok = tok or self.tok
        if tok.kind == "end":
            return Failure(tok.pos, "uttrycket tar slut för tidigt")
        return Failure(tok.pos, f"oväntat {_describe(tok)}")

    def expect(self, kind: str) -> _Token:
        if self.tok.kind != kind:
            raise self.unexpected()
        return self.advance()

    def nest(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Failure(pos, f"uttrycket är för djupt nästlat (högst {MAX_DEPTH} nivåer)")

    def parse(self) -> Node:
        node = self.expression()
        if self.tok.kind != "end":
            raise self.unexpected()
        return node

    def expression(self) -> Node:
        return self.boolean("or", self.conjunction)

    def conjunction(self) -> Node:
        return self.boolean("and", self.negation)

    def boolean(self, op: str, operand: Callable[[], Node]) -> Node:
        first = operand()
        if not self.at_kw(op):
            return first
        operands = [first]
        while self.at_kw(op):
            self.advance()
            operands.append(operand())
        for node in operands:
            self.require_condition(node)
        return BoolOp(op, tuple(operands), first.pos)

    def negation(self) -> Node:
        if self.at_kw("not"):
            tok = self.advance()
            self.nest(tok.pos)
            operand = self.negation()
            self.depth -= 1
            self.require_condition(operand)
            return Not(operand, tok.pos)
        return self.comparison()

    def require_condition(self, node: Node) -> None:
        if not _is_condition(node):
            raise Failure(node.pos, f"{unparse(node)} är inget villkor (sant/falskt)")

    def comparison(self) -> Node:
        left = self.arith()
        tok = self.tok
        if tok.kind == "op":
            self.advance()
            right = self.arith()
            node: Node = Compare(tok.value, left, right, tok.pos)
        elif self.at_kw("in") or (self.at_kw("not") and self._next_is_in()):
            negated = self.at_kw("not")
            self.advance()
            if negated:
                self.advance()
            right = self.operand()
            if not isinstance(right, (ListOf, Name)):
                raise Failure(right.pos, "efter in krävs en lista [ … ] eller ett flervalssvar")
            node = Membership(left, right, negated, tok.pos)
        else:
            return left
        if self.tok.kind == "op" or self.at_kw("in"):
            raise Failure(self.tok.pos, "kedjade jämförelser stöds inte; skriv dem med and")
        _static_check(node)
        return node

    def arith(self) -> Node:
        """A sum or difference of terms: ``a + b - c`` (left to right)."""
        return self.chain(("+", "-"), self.term)

    def term(self) -> Node:
        """A product of operands: ``a * b``."""
        return self.chain(("*",), self.operand)

    def chain(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        depth = self.depth
        while self.tok.kind in ops:
            tok = self.advance()
            self.nest(tok.pos)  # a chain of n operators is a tree n levels deep
            right = operand()
            for side in (node, right):
                if _is_condition(side) and not isinstance(side, Name):
                    raise Failure(
                        tok.pos,
                        f"{unparse(side)} är ett villkor (sant/falskt) och kan inte räknas med",
                    )
            node = Arith(tok.kind, node, right, tok.pos)
        self.depth = depth
        return node

    def _next_is_in(self) -> bool:
        nxt = self.peek(1)
        return nxt.kind == "kw" and nxt.value == "in"

    def operand(self) -> Node:
        tok = self.tok
        if tok.kind in ("number", "string", "date", "-") or self.at_kw("true", "false"):
            return Literal(self.literal(), tok.pos)
        if tok.kind == "[":
            return self.list_literal()
        if tok.kind == "(":
            self.advance()
            self.nest(tok.pos)
            node = self.expression()
            self.depth -= 1
            self.expect(")")
            return node
        if tok.kind == "name":
            self.advance()
            if self.tok.kind == "(":
                return self.call(tok)
            return Name(tok.value, tok.pos)
        raise self.unexpected()

    def literal(self) -> object:
        tok = self.advance()
        if tok.kind == "-":
            num = self.tok
            if num.kind != "number":
                raise self.unexpected(tok)
            self.advance()
            return -num.value
        if tok.kind == "kw":
            return tok.value == "true"
        if tok.kind == "name" and self.tok.kind == "(":
            node = self.call(tok)
            if isinstance(node, Literal):
                return node.value
            raise Failure(tok.pos, "en lista får bara innehålla fasta värden")
        if tok.kind not in ("number", "string", "date"):
            raise self.unexpected(tok)
        return tok.value

    def list_literal(self) -> ListOf:
        start = self.advance()
        self.nest(start.pos)
        values: list[object] = []
        while self.tok.kind != "]":
            values.append(self.literal())
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != "]":
                raise self.unexpected()
        self.advance()
        self.depth -= 1
        kinds = {_kind(v) for v in values}
        if len(kinds) > 1:
            raise Failure(start.pos, "listan blandar olika sorters värden (text, tal, datum)")
        return ListOf(tuple(values), start.pos)

    def call(self, name_tok: _Token) -> Node:
        fname = name_tok.value
        key = fname.casefold()
        if key in _CLOCK_FUNCTIONS:
            raise Failure(
                name_tok.pos,
                f"{fname}() är inte tillåtet: resultatet måste gå att återskapa senare; "
                "skriv datumet i stället, t.ex. 2024-01-01",
            )
        if key not in _FUNCTIONS:
            allowed = ", ".join(sorted(k for k in _FUNCTIONS if k != "år"))
            raise Failure(name_tok.pos, f"okänd funktion {_show(fname)} (tillåtna: {allowed})")
        canonical, arity = _FUNCTIONS[key][1], _FUNCTIONS[key][2]
        open_tok = self.advance()
        self.nest(open_tok.pos)
        args: list[Node] = []
        while self.tok.kind != ")":
            args.append(self.expression())
            if self.tok.kind == ",":
                self.advance()
            elif self.tok.kind != ")":
                raise self.unexpected()
        self.advance()
        self.depth -= 1
        if len(args) != arity:
            words = {1: "ett argument", 2: "två argument"}[arity]
            raise Failure(name_tok.pos, f"{canonical}() tar exakt {words}")
        if arity == 2:
            return Call(canonical, tuple(args), name_tok.pos)
        arg = args[0]
        if canonical in ("tom", "besvarad", "antal") and not isinstance(arg, Name):
            raise Failure(arg.pos, f"{canonical}() tar ett namn, t.ex. {canonical}(F5)")
        if isinstance(arg, Literal):
            if canonical == "datum" and isinstance(arg.value, str):
                day = _text_to_date(arg.value)
                if day is None:
                    raise Failure(arg.pos, f"ogiltigt datum {_show(arg.value)}")
                return Literal(day, name_tok.pos)
            if not isinstance(arg.value, (str, _dt.date)):
                raise Failure(arg.pos, f"{canonical}() tar ett datum")
        return Call(canonical, (arg,), name_tok.pos)


def _describe(tok: _Token) -> str:
    if tok.kind == "string":
        return f"text {_show(tok.value)}"
    if tok.kind == "name":
        return f"namn {_show(tok.value)}"
    if tok.kind == "kw":
        return f"nyckelord {_show(tok.value)}"
    if tok.kind in ("number", "date"):
        return _show(tok.value)
    return f'"{tok.value}"'


def _static_check(node: Compare | Membership) -> None:
    """Reject comparisons between literals of incompatible kinds while we know the position."""
    if isinstance(node, Compare):
        pairs = [(node.left, node.right)]
    elif isinstance(node.container, ListOf) and node.container.values:
        pairs = [(node.item, Literal(node.container.values[0], node.container.pos))]
    else:
        pairs = []
    for left, right in pairs:
        if isinstance(left, Literal) and isinstance(right, Literal):
            try:
                _compare(getattr(node, "op", "=="), left.value, right.value, left, right)
            except _BadValue:
                raise Failure(
                    node.pos, f"kan inte jämföra {unparse(left)} med {unparse(right)}"
                ) from None
