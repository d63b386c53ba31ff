"""Computed questions (``berakna``) and cross-field checks (``giltig_om``), checked when a file is read.

``berakna: dagar(inkom_datum, F3) <= 14`` makes a question that is never asked: its
value is computed from earlier answers and case data whenever an input changes
(:meth:`granskning.checklist.model.Checklist.computed`).  A ``janej`` question takes a
condition (Ja, Nej, blank when unknown), a ``tal`` question a number, a ``datum``
question a date.  ``giltig_om: F3 >= F1`` is a check an answer to the question
must pass, with ``felmeddelande`` as the message
(:meth:`~granskning.checklist.model.Checklist.violations`).

Both may only name earlier questions, the question itself (``giltig_om``) and case
data, and both are type-checked here (a date where a number belongs is refused
with file, line and key), so that a checklist that validates never fails while
answering.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping

from granskning.checklist.conditions import case_stand_ins, expression_kinds, value_problems
from granskning.checklist.model import Question
from granskning.expr import expression as expr

KEYS = ("berakna", "giltig_om", "felmeddelande")
# what a computed question of each type takes from its calculation
_GIVES = {"janej": "bool", "tal": "number", "datum": "date"}
_GIVES_WORDS = {"bool": "ett villkor (sant/falskt)", "number": "ett tal", "date": "ett datum"}
# keys about answering that a computed question cannot have
_ANSWER_KEYS = (
    "kravs",
    "hinder",
    "ej_tillampligt",
    "motivering_kravs",
    "min",
    "max",
    "giltig_om",
    "felmeddelande",
)


def attach_rules(
    chk,
    questions: tuple[Question, ...],
    order: dict[str, int],
    lines: dict[str, dict[str, int]],
    case_fields: Mapping[str, str],
) -> tuple[Question, ...]:
    """Return the questions with ``berakna`` and ``giltig_om`` parsed; problems go to ``chk.error``.

    ``lines`` maps a question id to the line of each of its keys.
    """
    by_id = {**case_stand_ins(case_fields), **{q.id: q for q in questions}}
    order = {**{name: -1 for name in case_fields}, **order}
    kinds = expression_kinds(by_id.values())
    out: list[Question] = []
    for q in questions:
        where = lines.get(q.id, {})
        changes: dict[str, object] = {}
        if q.calculation_text is not None:
            changes["calculation"] = _calculation(chk, q, where, by_id, order, kinds)
        elif q.validity_message is not None and q.validity_text is None:
            chk.error(
                where.get("felmeddelande", q.line),
                "felmeddelande hör till en kontroll; ange giltig_om också",
                "felmeddelande",
            )
        if q.validity_text is not None and q.calculation_text is None:
            changes["validity"] = _validity(chk, q, where, by_id, order, kinds)
        out.append(dataclasses.replace(q, **changes) if changes else q)
    return tuple(out)


def _calculation(chk, q: Question, where: dict[str, int], by_id, order, kinds):
    line = where.get("berakna", q.line)
    for key in _ANSWER_KEYS:
        if key in where:
            chk.error(where[key], f"{q.id} beräknas och besvaras aldrig; ta bort {key}", key)
    gives = _GIVES.get(q.type)
    if gives is None:
        chk.error(
            line,
            f"berakna gäller frågor av typ {', '.join(_GIVES)} (janej för ett "
            f"villkor, tal för ett tal, datum för ett datum), inte {q.type}",
            "berakna",
        )
        return None
    parsed = _parse(
        chk, q.calculation_text or "", line, "berakna", q.id, by_id, order, kinds, own=False
    )
    if parsed is None:
        return None
    got = parsed.kind(kinds)
    if got not in (gives, "any"):
        example = (
            "dagar(inkom_datum, F3) <= 14"
            if gives == "bool"
            else "dagar(inkom_datum, F3)"
            if gives == "number"
            else "plus_manader(inkom_datum, 4)"
        )
        chk.error(
            line,
            f"{q.id} är av typ {q.type} och behöver {_GIVES_WORDS[gives]}, men "
            f"{parsed.canonical} ger {_GIVES_WORDS.get(got, 'en text')} (till exempel "
            f"berakna: {example})",
            "berakna",
        )
        return None
    return parsed


def _validity(chk, q: Question, where: dict[str, int], by_id, order, kinds):
    line = where.get("giltig_om", q.line)
    parsed = _parse(
        chk, q.validity_text or "", line, "giltig_om", q.id, by_id, order, kinds, own=True
    )
    if parsed is None:
        return None
    if not parsed.is_condition:
        chk.error(line, f"{parsed.canonical} är inget villkor (sant/falskt)", "giltig_om")
        return None
    if q.id not in parsed.names:
        chk.error(
            line,
            f"kontrollen för {q.id} nämner inte {q.id}; skriv till exempel giltig_om: {q.id} >= F1",
            "giltig_om",
        )
        return None
    return parsed


def _parse(
    chk, text: str, line: int, key: str, qid: str, by_id, order, kinds, *, own: bool
) -> expr.Expression | None:
    """Parse and check one expression; None (with the problems reported) when it is wrong."""
    try:
        parsed = expr.parse(text)
    except expr.ExprError as exc:
        chk.error(line, f"uttrycket går inte att tolka. {exc.message}", key)
        return None
    problems = _name_problems(parsed, qid, order, own)
    if not isinstance(parsed.root, expr.Name):  # berakna: F5 copies a number, no condition
        problems += value_problems(parsed.root, by_id)
    problems += parsed.kind_problems(kinds, literal_checked=by_id)
    for problem in problems:
        chk.error(line, problem, key)
    return None if problems else parsed


def _name_problems(
    parsed: expr.Expression, qid: str, order: dict[str, int], own: bool
) -> list[str]:
    here = order.get(qid, len(order))
    problems = []
    for name in sorted(parsed.names):
        if name == qid:
            if not own:
                problems.append(f"{qid} kan inte beräknas ur sig själv")
        elif name not in order:
            close = difflib.get_close_matches(name, list(order), n=1, cutoff=0.6)
            hint = f' (menade du "{close[0]}"?)' if close else ""
            problems.append(
                f'uttrycket nämner "{name}", som varken är en fråga eller ärendedata '
                f"i checklistan{hint}"
            )
        elif order[name] > here:
            problems.append(
                f"uttrycket för {qid} bygger på {name}, som kommer senare i "
                "checklistan; det får bara bygga på tidigare frågor och ärendedata"
            )
    return problems
