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

The AST and the value rules live in :mod:`granskning.expr.nodes`, the tokenizer
and parser in :mod:`granskning.expr.parse`, the vectorised ``mask`` in
:mod:`granskning.expr.mask`; this module holds the :class:`Expression` object and
the public API.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning.expr import kinds as _kinds
from granskning.expr import mask as _exprmask
from granskning.expr.evaluate import _condition, _eval, decide
from granskning.expr.nodes import (
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    BoolOp,
    Call,
    Compare,
    ExprError,
    ListOf,
    Literal,
    MaskReport,
    Membership,
    Name,
    Node,
    Not,
    ValueProblem,
    _BadValue,
    _is_condition,
    _mask_pnr,
    _names,
    _show,
    unparse,
)
from granskning.expr.parse import Failure, parse_tree
from granskning.secrecy import find_personnummer

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

    def value(self, env: Mapping[str, object]) -> object:
        """Return the expression's value for one record, a bare name read as its value.

        (:meth:`evaluate` reads a bare name as sant/falskt; a calculation such as
        ``berakna: F5`` wants the number.)  Missing is None.
        """
        try:
            return _eval(self.root, env)
        except _BadValue as exc:
            raise ExprError(
                exc.message(_leaf_context(self.root, exc)),
                source=self.source,
                name=exc.name,
                value=exc.value,
            ) from None

    def decide(self, env: Mapping[str, object]) -> bool | None:
        """Return a condition's three-valued truth for one record: True, False or None.

        None (unknown) when a comparison meets a missing value; used for computed
        questions and cross-field checks (see :mod:`granskning.expr.evaluate`).
        """
        try:
            return decide(self.root, env)
        except _BadValue as exc:
            raise ExprError(
                exc.message(_leaf_context(self.root, exc)),
                source=self.source,
                name=exc.name,
                value=exc.value,
            ) from None

    def kind(self, kinds: Mapping[str, str] | None = None) -> str:
        """Return what the expression gives: ``bool``, ``number``, ``date``, ``text`` … or ``any``."""
        return _kinds.check(self.root, kinds or {})[0]

    def kind_problems(
        self, kinds: Mapping[str, str], *, literal_checked: Iterable[str] = ()
    ) -> list[str]:
        """Return every misuse of kinds (a date where a number belongs …) in Swedish, or []."""
        problems = _kinds.check(self.root, kinds, literal_checked=frozenset(literal_checked))[1]
        return [p.message for p in problems]

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
        if not self.is_condition:
            raise ExprError(
                f"{self.canonical} är inget villkor (sant/falskt) och kan inte filtrera rader.",
                source=self.source,
            )
        check_names(self, [str(c) for c in df.columns], source=self.source, file=file)
        problems = self.kind_problems(_kinds.frame_kinds(df))
        if problems:
            raise ExprError(f"{problems[0]}.", source=self.source, file=file)
        return _exprmask.mask_report(self.root, df, source=self.source)


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
        # frames are read as NFC (granskning.sampling.frame): "Järva" typed with a combining
        # diaeresis must name the same column and match the same value
        text = unicodedata.normalize("NFC", text)
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
    try:
        root = parse_tree(text)
    except Failure as exc:
        raise ExprError(
            f"Ogiltigt uttryck vid tecken {exc.pos + 1}: {exc.message}\n{_pointer(text, exc.pos)}",
            source=source,
            position=exc.pos + 1,
        ) from None
    problems = _kinds.check(root, {})[1]
    if problems:
        pos = problems[0].pos
        raise ExprError(
            f"Ogiltigt uttryck vid tecken {pos + 1}: {problems[0].message}\n{_pointer(text, pos)}",
            source=source,
            position=pos + 1,
        )
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
