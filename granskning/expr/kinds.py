"""Static kinds of an expression: refuse date/number mix-ups before any value is read.

Each name gets a kind from what the caller knows (a checklist's question types and
case data, a frame's column types): ``date``, ``number``, ``bool``, ``text``,
``multi`` (a multiple-choice answer), or ``any`` when unknown.  :func:`check` walks
the tree once and returns every problem with its position, so that
``dagar(F1, 3)``, ``F1 + F2`` for two dates and ``F1 * 2`` for a date are refused
when a checklist is validated or a filter is read, not when the 200th case is
answered.  Values of unknown kind (``any``) are still checked row by row.

The rules of arithmetic: ``number + - * number`` is a number; ``date + number``,
``number + date`` and ``date - number`` are dates (the number is days); two dates
are never added or subtracted (the days between them are ``dagar(A, B)``); a date
is never multiplied; text, sant/falskt and flerval are not computed with.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from granskning.expr.nodes import (
    _COERCE,
    SIGNATURES,
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
    _kind,
    unparse,
)

KINDS = ("date", "number", "bool", "text", "multi", "any")
WORDS = {
    "date": "ett datum",
    "number": "ett tal",
    "bool": "ett villkor (sant/falskt)",
    "text": "en text",
    "multi": "ett flervalssvar",
    "list": "en lista",
    "any": "ett värde",
}
_COMPUTABLE = ("date", "number", "any")


@dataclass(frozen=True, slots=True)
class KindProblem:
    """One misuse of kinds, at character ``pos`` (0-based) of the expression."""

    pos: int
    message: str


class _Checker:
    def __init__(self, kinds: Mapping[str, str], literal_checked: Collection[str]) -> None:
        self.kinds = kinds
        self.literal_checked = literal_checked
        self.problems: list[KindProblem] = []

    def fail(self, node: Node, message: str) -> None:
        self.problems.append(KindProblem(node.pos, message))

    def kind(self, node: Node) -> str:
        if isinstance(node, Literal):
            return _kind(node.value)
        if isinstance(node, ListOf):
            return "list"
        if isinstance(node, Name):
            return self.kinds.get(node.name, "any")
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Compare):
            self.compare(node)
        elif isinstance(node, Membership):
            self.kind(node.item)
            self.kind(node.container)
        elif isinstance(node, Not):
            self.kind(node.operand)
        elif isinstance(node, BoolOp):
            for operand in node.operands:
                self.kind(operand)
        return "bool"

    def call(self, node: Call) -> str:
        wanted, gives = SIGNATURES[node.func]
        for arg, want in zip(node.args, wanted, strict=True):
            have = self.kind(arg)
            if want == "multi" and isinstance(arg, Name) and arg.name in self.literal_checked:
                continue  # a checklist names the question's type itself
            if not self.fits(arg, have, want):
                self.fail(
                    arg,
                    f"{node.func}() tar {_args_words(wanted)}, men {unparse(arg)} "
                    f"är {WORDS.get(have, have)}",
                )
        return gives

    @staticmethod
    def fits(node: Node, have: str, want: str) -> bool:
        if want == "any" or have in (want, "any"):
            return True
        if have == "text" and isinstance(node, Literal) and want in _COERCE:
            return _COERCE[want](node.value) is not None  # type: ignore[arg-type]
        return False

    def arith(self, node: Arith) -> str:
        left, right = self.kind(node.left), self.kind(node.right)
        for side, kind in ((node.left, left), (node.right, right)):
            if kind not in _COMPUTABLE:
                self.fail(
                    side,
                    f"{unparse(side)} är {WORDS.get(kind, kind)} och kan inte "
                    f"räknas med ({_op_words(node.op)})",
                )
                return "any"
        shown = unparse(node)
        if node.op == "*":
            if "date" in (left, right):
                self.fail(node, f"{shown}: ett datum kan inte multipliceras")
                return "any"
            return "number"
        if right == "date" and (left == "date" or node.op == "-"):
            self.fail(node, self.date_misuse(node, left))
            return "any"
        if "date" in (left, right):
            return "date"
        return "number" if left == right == "number" else "any"

    @staticmethod
    def date_misuse(node: Arith, left: str) -> str:
        shown, a, b = unparse(node), unparse(node.left), unparse(node.right)
        if node.op == "+":
            return f"{shown}: två datum kan inte adderas"
        if left == "date":
            return (
                f"{shown}: två datum kan inte dras från varandra; antalet dagar från "
                f"{b} till {a} skrivs dagar({b}, {a})"
            )
        return f"{shown}: ett datum kan inte dras från ett tal"

    def compare(self, node: Compare) -> None:
        left, right = self.kind(node.left), self.kind(node.right)
        if "any" in (left, right) or "multi" in (left, right) or "list" in (left, right):
            return
        if self.skip_literal(node.left, node.right) or self.skip_literal(node.right, node.left):
            return
        if left == right:
            if left == "bool" and node.op not in ("==", "!="):
                self.fail(node, f"{unparse(node)}: sant/falskt kan inte storleksjämföras")
            return
        for side, kind, other in ((node.left, left, right), (node.right, right, left)):
            if kind == "text" and isinstance(side, Literal) and other in _COERCE:
                if _COERCE[other](side.value) is None:  # type: ignore[arg-type]
                    self.fail(
                        side,
                        f"{unparse(side)} är inte {WORDS[other]} och kan inte "
                        f"jämföras med {unparse(node.right if side is node.left else node.left)}",
                    )
                return
        self.fail(
            node, f"{unparse(node)} jämför {WORDS.get(left, left)} med {WORDS.get(right, right)}"
        )

    def skip_literal(self, side: Node, other: Node) -> bool:
        """A question compared with a fixed value is checked against its choices elsewhere."""
        return (
            isinstance(side, Name)
            and side.name in self.literal_checked
            and isinstance(other, Literal)
        )


def _args_words(wanted: tuple[str, ...]) -> str:
    words = [WORDS[w] for w in wanted]
    if len(words) == 2 and words[0] == words[1]:
        return "två datum" if wanted[0] == "date" else f"två {words[0]}"
    return " och ".join(words)


def _op_words(op: str) -> str:
    return {"+": "addition", "-": "subtraktion", "*": "multiplikation"}[op]


def check(
    root: Node, kinds: Mapping[str, str], *, literal_checked: Collection[str] = ()
) -> tuple[str, list[KindProblem]]:
    """Return the kind of ``root`` and every misuse of kinds in it (empty when none).

    ``kinds`` maps names to one of :data:`KINDS` (absent names are ``any``);
    comparisons of a name in ``literal_checked`` with a fixed value are left to the
    caller (a checklist checks them against the question's choices and type).
    """
    checker = _Checker(kinds, literal_checked)
    kind = checker.kind(root)
    return kind, checker.problems


def frame_kinds(df) -> dict[str, str]:
    """Return the kinds of a DataFrame's columns that their dtype settles (others are ``any``)."""
    out: dict[str, str] = {}
    for name, dtype in df.dtypes.items():
        kind = getattr(dtype, "kind", "O")
        if kind == "M":
            out[str(name)] = "date"
        elif kind in "iuf":
            out[str(name)] = "number"
        elif kind == "b":
            out[str(name)] = "bool"
    return out
