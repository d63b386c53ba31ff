"""Checklist conditions (``visas_om``): parse with :mod:`granskning.expr.expression` and check them.

A condition may only name earlier questions, which also rules out cycles; a
cycle is still named as such when one is written.  Values compared with a
question must be among its choices (``F7 == 'Jaa'`` is a typo), and the
comparison must fit the question's type (``in`` for multiple choice, numbers
for ``tal``), so that a checklist that validates never fails while answering.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping

from granskning.checklist.model import Question
from granskning.expr import expression as expr


def attach_conditions(chk, questions: list[Question], order: dict[str, int],
                      lines: dict[str, int],
                      case_fields: Mapping[str, str] | None = None) -> tuple[Question, ...]:
    """Return the questions with parsed conditions; problems go to ``chk.error``.

    ``order`` maps every question id in the file to its position (also ids of
    questions that had other problems), so references are judged by position;
    ``lines`` gives the line of each question's ``visas_om``.  ``case_fields``
    (``arendedata``: name -> datum, tal or text) are known before any question,
    so every condition may name them; their comparisons are checked by type.
    """
    case_fields = case_fields or {}
    by_id = {**case_stand_ins(case_fields), **{q.id: q for q in questions}}
    order = {**{name: -1 for name in case_fields}, **order}
    kinds = expression_kinds(by_id.values())
    refs: dict[str, list[str]] = {}
    out: list[Question] = []
    for q in questions:
        if q.condition_text is None:
            out.append(q)
            continue
        line = lines.get(q.id, q.line)
        parsed = _parse(chk, q, line)
        if parsed is None:
            out.append(q)
            continue
        refs[q.id] = sorted(parsed.names)
        _check_names(chk, q, parsed, order, line, bool(case_fields))
        for problem in value_problems(parsed.root, by_id):
            chk.error(line, problem, "visas_om")
        for problem in parsed.kind_problems(kinds, literal_checked=by_id):
            chk.error(line, problem, "visas_om")
        out.append(dataclasses.replace(q, condition=parsed))
    for cycle in _cycles(refs):
        chk.error(lines.get(cycle[0]), "villkoren bildar en cirkel: " + " → ".join(cycle + [cycle[0]])
                  + "; ett villkor får bara bygga på tidigare frågor", "visas_om")
    return tuple(out)


# The answer type whose comparison rules fit each type of case data.
_CASE_TYPE_RULES = {"datum": "datum", "tal": "tal", "text": "fritext"}


def case_stand_ins(case_fields: Mapping[str, str]) -> dict[str, Question]:
    """Return a question-like stand-in per case field, so comparisons with it are type-checked."""
    return {name: Question(id=name, text=name, type=_CASE_TYPE_RULES[kind], area_id="", line=0,
                           required=False)
            for name, kind in case_fields.items()}


def expression_kinds(questions) -> dict[str, str]:
    """Return name -> kind (date, number, text, multi) for the expression type checker."""
    return {q.id: q.answer_type.value_kind for q in questions}


def _parse(chk, q: Question, line: int) -> expr.Expression | None:
    try:
        parsed = expr.parse(q.condition_text)
    except expr.ExprError as exc:
        chk.error(line, f"villkoret går inte att tolka. {exc.message}", "visas_om")
        return None
    if not parsed.is_condition:
        chk.error(line, f"{parsed.canonical} är inget villkor (sant/falskt)", "visas_om")
        return None
    return parsed


def _check_names(chk, q: Question, parsed: expr.Expression, order: dict[str, int],
                 line: int, has_case_data: bool = False) -> None:
    what = "någon fråga eller ärendedata" if has_case_data else "någon fråga"
    here = order.get(q.id, len(order))
    for name in sorted(parsed.names):
        if name == q.id:
            chk.error(line, f"villkoret för {q.id} hänvisar till frågan själv", "visas_om")
        elif name not in order:
            close = difflib.get_close_matches(name, list(order), n=1, cutoff=0.6)
            if not close:
                folded = {k.casefold(): k for k in order}
                close = [folded[name.casefold()]] if name.casefold() in folded else []
            hint = f' (menade du "{close[0]}"?)' if close else ""
            chk.error(line, f'villkoret nämner "{name}", som inte är {what} i '
                      f"checklistan{hint}", "visas_om")
        elif order[name] > here:
            chk.error(line, f"villkoret för {q.id} bygger på {name}, som kommer senare i "
                      "checklistan; ett villkor får bara bygga på tidigare frågor", "visas_om")


def value_problems(node: expr.Node, by_id: dict[str, Question]) -> list[str]:
    """Return Swedish descriptions of comparisons that can never be true or would fail."""
    problems: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, expr.Not):
            stack.append(n.operand)
        elif isinstance(n, expr.BoolOp):
            stack.extend(n.operands)
        elif isinstance(n, expr.Name):
            q = by_id.get(n.name)
            if q is not None and not (q.answer_type.yes_no and len(q.choices) == 2):
                problems.append(f"{q.id} ensamt är inget villkor; skriv till exempel "
                                f"{q.id} == '{q.choices[0] if q.choices else '…'}'")
        elif isinstance(n, expr.Compare):
            problems += _compare_problems(n, by_id)
            stack.extend(_computing(n.left, n.right))
        elif isinstance(n, expr.Membership):
            problems += _membership_problems(n, by_id)
        elif isinstance(n, expr.Arith):
            stack.extend(_computing(n.left, n.right))
        elif isinstance(n, expr.Call):
            stack.extend(_computing(*n.args))
            q = _question(n.args[0], by_id)
            if n.func == "antal" and q is not None and not q.answer_type.multiple:
                problems.append(f"antal() gäller flervalsfrågor, men {q.id} är av typ {q.type}")
    return problems


def _computing(*nodes: expr.Node) -> list[expr.Node]:
    """The function calls and arithmetic among ``nodes`` (their names are not conditions)."""
    return [n for n in nodes if isinstance(n, (expr.Call, expr.Arith))]


def _question(node: expr.Node, by_id: dict[str, Question]) -> Question | None:
    return by_id.get(node.name) if isinstance(node, expr.Name) else None


def _compare_problems(n: expr.Compare, by_id: dict[str, Question]) -> list[str]:
    for side, other in ((n.left, n.right), (n.right, n.left)):
        q = _question(side, by_id)
        if q is None:
            continue
        if q.answer_type.multiple:
            example = f"'{q.choices[0]}' in {q.id}" if q.choices else f"'…' in {q.id}"
            return [f"{q.id} är ett flerval och jämförs med in, till exempel {example}"]
        if isinstance(other, expr.Literal):
            return _literal_problems(q, [other.value], n.op)
    return []


def _membership_problems(n: expr.Membership, by_id: dict[str, Question]) -> list[str]:
    container = _question(n.container, by_id)
    if container is not None:
        if not container.answer_type.multiple:
            return [f"{container.id} är av typ {container.type}, inte flerval; skriv till exempel "
                    f"{container.id} == '…' eller {container.id} in ['…', '…']"]
        if isinstance(n.item, expr.Literal):
            return _literal_problems(container, [n.item.value], "in")
        return []
    item = _question(n.item, by_id)
    if item is not None and isinstance(n.container, expr.ListOf):
        if item.answer_type.multiple:
            return [f"{item.id} är ett flerval; skriv ett värde i taget, till exempel "
                    f"'…' in {item.id}"]
        return _literal_problems(item, list(n.container.values), "in")
    return []


def _literal_problems(q: Question, values: list[object], op: str) -> list[str]:
    problems: list[str] = []
    for value in values:
        if q.has_choices:
            if not isinstance(value, str):
                problems.append(f"{q.id} har textsvar ({_list(q.choices)}); "
                                f"{expr.unparse(expr.Literal(value))} kan aldrig vara ett av dem")
            elif value not in q.choices:
                close = difflib.get_close_matches(value, q.choices, n=1, cutoff=0.6)
                folded = {c.casefold(): c for c in q.choices}
                if value.casefold() in folded:
                    close = [folded[value.casefold()]]
                hint = f' (menade du "{close[0]}"?)' if close else ""
                problems.append(f'"{value}" är inget av svarsalternativen för {q.id} '
                                f"({_list(q.choices)}){hint}")
            elif op not in ("==", "!=", "in"):
                problems.append(f"svarsalternativ för {q.id} kan bara jämföras med == , != "
                                "eller in")
        else:
            problem = q.answer_type.literal_problem(q, value)
            if problem is not None:
                problems.append(problem)
    return problems


def _list(choices: tuple[str, ...]) -> str:
    return ", ".join(choices)


def _cycles(refs: dict[str, list[str]]) -> list[list[str]]:
    """Return each cycle in the reference graph once (as written: question -> named question)."""
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in refs:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            targets = refs.get(node, [])
            if i < len(targets):
                stack.append((node, i + 1))
                nxt = targets[i]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt):]
                    if len(cycle) > 1 and frozenset(cycle) not in seen_sets:
                        seen_sets.add(frozenset(cycle))
                        found.append(cycle)
                elif not state.get(nxt) and nxt in refs:
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return found
