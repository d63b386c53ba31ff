"""Evaluating a parsed expression for one record (a mapping name -> value).

Two readings of a condition:

* :func:`_condition`, two-valued, for population filters and ``visas_om``: a
  comparison with a missing value is False (as in SQL's WHERE), and ``not``
  turns it into True.  This is the rule filters and conditions have always had.
* :func:`decide`, three-valued (Kleene), for computed questions (``berakna``) and
  cross-field checks (``giltig_om``): a comparison with a missing value is
  unknown (None); ``not`` unknown is unknown; ``and`` is False when any part is
  False, otherwise unknown when any part is unknown; ``or`` is True when any part
  is True, otherwise unknown when any part is unknown.  A computed Ja/Nej is blank
  when unknown, and a check that is unknown does not refuse the answer.

Arithmetic with a missing operand is missing in both readings.
"""

from __future__ import annotations

from collections.abc import Mapping

from granskning.expr.functions import IMPLEMENTATIONS, _arith
from granskning.expr.nodes import (
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
    _norm,
    _origin,
    _truth,
)


def _eval(node: Node, env: Mapping[str, object]) -> object:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListOf):
        return node.values
    if isinstance(node, Name):
        return _norm(env.get(node.name))
    if isinstance(node, Call):
        values = tuple(_eval(a, env) for a in node.args)
        return IMPLEMENTATIONS[node.func](values, node.args)
    if isinstance(node, Arith):
        return _arith(node, _eval(node.left, env), _eval(node.right, env))
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


def decide(node: Node, env: Mapping[str, object]) -> bool | None:
    """Return the three-valued truth of a condition: True, False or None (unknown)."""
    if isinstance(node, Not):
        inner = decide(node.operand, env)
        return None if inner is None else not inner
    if isinstance(node, BoolOp):
        parts = [decide(o, env) for o in node.operands]  # no short-circuit, as _eval
        stop = node.op == "or"  # the value that settles it: True for or, False for and
        if stop in parts:
            return stop
        return None if None in parts else not stop
    if isinstance(node, Compare):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if left is None or right is None:
            return None
        return _compare(node.op, left, right, node.left, node.right)
    if isinstance(node, Membership):
        item, container = _eval(node.item, env), _eval(node.container, env)
        if item is None or container is None:
            if container is not None and not isinstance(container, tuple):
                raise _BadValue(_origin(node.container), container, "ett flervalssvar (en lista)")
            return None
        return _member(node, item, container)
    value = _eval(node, env)
    return None if value is None else _truth(value, node)
