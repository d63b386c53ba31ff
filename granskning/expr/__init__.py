"""A small, safe expression language for population filters and checklist conditions.

The public names of :mod:`granskning.expr.expression`, importable as before from
``granskning.expr``.
"""

from granskning.expr.expression import (
    MAX_DEPTH,
    MAX_LENGTH,
    Arith,
    BoolOp,
    Call,
    Compare,
    ExprError,
    Expression,
    ListOf,
    Literal,
    MaskReport,
    Membership,
    Name,
    Not,
    ValueProblem,
    check_names,
    parse,
    unparse,
)

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
