"""Checklists for people: a Swedish text rendering, conditions in words, and a JSON form."""

from __future__ import annotations

import textwrap

from granskning.checklist import types as answer_types
from granskning.checklist.model import Checklist, Question
from granskning.expr import expression as expr

TYPE_WORDS = {name: t.words for name, t in answer_types.TYPES.items()}
_OPS = {
    "==": "är", "!=": "är inte", "<": "är mindre än", "<=": "är högst",
    ">": "är större än", ">=": "är minst",
}  # fmt: skip


def count_words(n_questions: int, n_areas: int) -> str:
    """Return "26 frågor i 7 områden" with the right singular forms."""
    q = "fråga" if n_questions == 1 else "frågor"
    a = "område" if n_areas == 1 else "områden"
    return f"{n_questions} {q} i {n_areas} {a}"


def summary(checklist: Checklist) -> str:
    """Return a one-line description: ``titel (version …, N frågor i M områden)``."""
    counts = count_words(len(checklist.questions), len(checklist.areas))
    return f"{checklist.title} (version {checklist.version}, {counts})"


def condition_words(condition: expr.Expression) -> str:
    """Return a condition in Swedish words, e.g. ``F13 är inte ”Nej”``."""
    return _words(condition.root, top=True)


def _value(v: object) -> str:
    if isinstance(v, str):
        return f"”{v}”"
    if isinstance(v, bool):
        return "sant" if v else "falskt"
    if isinstance(v, float):
        return str(v).replace(".", ",")
    return str(v) if not hasattr(v, "isoformat") else v.isoformat()


def _alternatives(values: tuple[object, ...], last: str = "eller") -> str:
    shown = [_value(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" {last} " + shown[-1]


def expression_words(expression: expr.Expression) -> str:
    """Return a calculation in words (``antalet dagar från inkom_datum till F3 är högst 14``)."""
    return _words(expression.root, top=True)


def _words(node: expr.Node, top: bool = False) -> str:
    if isinstance(node, expr.Literal):
        return _value(node.value)
    if isinstance(node, expr.ListOf):
        return _alternatives(node.values)
    if isinstance(node, expr.Name):
        return node.name
    if isinstance(node, expr.Call):
        args = [_words(a) for a in node.args]
        arg = args[0]
        return {
            "tom": lambda: f"{arg} är obesvarad",
            "besvarad": lambda: f"{arg} är besvarad",
            "antal": lambda: f"antalet val i {arg}",
            "datum": lambda: f"datumet {arg}",
            "ar": lambda: f"året i {arg}",
            "dagar": lambda: f"antalet dagar från {arg} till {args[1]}",
            "manader": lambda: f"antalet hela månader från {arg} till {args[1]}",
            "plus_dagar": lambda: f"{arg} plus {args[1]} dagar",
            "plus_manader": lambda: f"{arg} plus {args[1]} månader",
        }[node.func]()
    if isinstance(node, expr.Arith):
        return expr.unparse(node)  # arithmetic as written: F1 + 14
    if isinstance(node, expr.Compare):
        return f"{_words(node.left)} {_OPS[node.op]} {_words(node.right)}"
    if isinstance(node, expr.Membership):
        if isinstance(node.container, expr.ListOf):
            verb = "är inte" if node.negated else "är"
            alts = _alternatives(node.container.values)
            return f"{_words(node.item)} {verb} {alts}" if len(node.container.values) < 2 \
                else f"{_words(node.item)} {verb} {'något av ' if node.negated else ''}{alts}"
        verb = "inte valt" if node.negated else "valt"
        return f"{_words(node.item)} är {verb} i {_words(node.container)}"
    if isinstance(node, expr.Not):
        return f"det inte gäller att {_words(node.operand)}"
    joiner = " och " if node.op == "and" else " eller "
    parts = [f"({_words(o)})" if isinstance(o, expr.BoolOp) else _words(o) for o in node.operands]
    return joiner.join(parts)


def render(checklist: Checklist, width: int = 80) -> str:
    """Return the checklist as readable Swedish text, lines at most ``width`` characters."""
    out: list[str] = []

    def para(text: str, indent: str = "", first: str | None = None) -> None:
        out.extend(textwrap.wrap(text, width=width, initial_indent=first if first is not None
                                 else indent, subsequent_indent=indent, break_on_hyphens=False)
                   or [indent.rstrip()])

    para(checklist.title)
    out.append("=" * min(width, len(checklist.title)))
    para(f"{checklist.id} · version {checklist.version} · {checklist.kind} · "
         + count_words(len(checklist.questions), len(checklist.areas)))
    if checklist.source:
        para(f"Källa: {checklist.source}", "       ", "")
    if checklist.description:
        out.append("")
        para(checklist.description)
    if checklist.case_fields:
        out.append("")
        para("Ärendedata (från urvalsramen): " + ", ".join(
            f"{name} ({kind})" for name, kind in checklist.case_fields.items()))
    number = 0
    for i, area in enumerate(checklist.areas, start=1):
        out.append("")
        para(f"{i}. {area.title}")
        out.append("-" * min(width, len(out[-1])))
        if area.description:
            para(area.description)
        for q in area.questions:
            number += 1
            out.append("")
            head = f"{number:>3}. {q.id}  "
            para(q.text + ("" if q.required else " (frivillig)"), " " * 6, head)
            for label, text in _details(q):
                para(text, " " * 8, f"      {label}: ")
    return "\n".join(line.rstrip() for line in out) + "\n"


def _details(q: Question) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    rows.append(q.answer_type.answer_row(q))
    if q.condition is not None:
        rows.append(("Visas om", condition_words(q.condition)))
    if q.calculation is not None:
        rows.append(("Beräknas (besvaras inte)", f"{q.calculation_text} – "
                     f"{expression_words(q.calculation)}"))
    if q.validity is not None:
        message = f" – annars: {q.validity_message}" if q.validity_message else ""
        rows.append(("Kontroll", f"{condition_words(q.validity)}{message}"))
    if q.hindrances:
        rows.append(("Hinder (räknas inte i nämnaren)", " · ".join(q.hindrances)))
    if q.not_applicable:
        rows.append(("Ej tillämpligt (räknas inte i nämnaren)", " · ".join(q.not_applicable)))
    if q.indicator:
        label = f" (räknas som {q.counted_label})" if q.counted_label else ""
        rows.append(("Indikator, räknas i täljaren", " · ".join(q.numerator_categories) + label))
    if q.threshold is not None:
        label = f" (räknas som {q.counted_label})" if q.counted_label else ""
        rows.append(("Tröskel, andelen som når den redovisas", q.threshold.words + label))
    if q.motivation_required:
        rows.append(("Motivering krävs vid", " · ".join(q.motivation_required)))
    if q.legal_ref:
        rows.append(("Lagrum", q.legal_ref))
    if q.help:
        rows.append(("Hjälp", q.help))
    return rows


def to_dict(checklist: Checklist) -> dict:
    """Return the checklist as a JSON-ready dict with the Swedish keys of the file format."""
    def question(q: Question, number: int) -> dict:
        return {
            "nummer": number, "id": q.id, "text": q.text, "hjalp": q.help, "lagrum": q.legal_ref,
            "typ": q.type, "val": list(q.choices), "kravs": q.required,
            "visas_om": q.condition_text,
            "visas_om_i_ord": condition_words(q.condition) if q.condition is not None else None,
            "hinder": list(q.hindrances), "ej_tillampligt": list(q.not_applicable),
            "raknas": list(q.numerator_categories), "raknas_som": q.counted if q.indicator else (
                q.counted_label or q.threshold.words if q.threshold is not None else None),
            "troskel": q.threshold.text if q.threshold is not None else None,
            "positiva": list(q.numerator_categories), "indikator": q.indicator,
            "namnare": list(q.denominator_categories) if q.has_choices else [],
            "motivering_kravs": list(q.motivation_required), "min": q.minimum, "max": q.maximum,
            "berakna": q.calculation_text, "giltig_om": q.validity_text,
            "felmeddelande": q.validity_message, "rad": q.line,
        }

    numbers = {q.id: i for i, q in enumerate(checklist.questions, start=1)}
    return {
        "id": checklist.id, "titel": checklist.title, "version": checklist.version,
        "slag": checklist.kind, "beskrivning": checklist.description, "kalla": checklist.source,
        "sha256": checklist.sha256, "arendedata": dict(checklist.case_fields),
        "antal_fragor": len(checklist.questions),
        "antal_omraden": len(checklist.areas),
        "omraden": [
            {"id": a.id, "titel": a.title, "beskrivning": a.description,
             "fragor": [question(q, numbers[q.id]) for q in a.questions]}
            for a in checklist.areas
        ],
    }
