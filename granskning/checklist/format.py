"""Checklist file format: validate a YAML node tree and build a :class:`Checklist`.

Validation collects every problem, each with file, line and key, and raises
them together as one :class:`~granskning.errors.ManyInputErrors` (exit 2).
The format is documented for inspectors in ``docs/checklistformat.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from dataclasses import dataclass, field

from granskning.checklist import types as answer_types
from granskning.checklist.computed import attach_rules
from granskning.checklist.conditions import attach_conditions
from granskning.checklist.model import (
    CASE_FIELD_TYPES,
    KINDS,
    MAX_BYTES,
    MAX_QUESTIONS,
    NO,
    YES,
    Area,
    Checklist,
    Question,
    counted_words,
)
from granskning.checklist.safeyaml import ChecklistFileError, Node, parse
from granskning.checklist.threshold import check_threshold
from granskning.checklist.types.base import AnswerType
from granskning.errors import ManyInputErrors
from granskning.numbers import MAX_FINITE
from granskning.numbers import MAX_TEXT as MAX_NUMBER_TEXT

TOP_KEYS = ("id", "titel", "version", "slag", "beskrivning", "kalla", "arendedata", "omraden")
TOP_REQUIRED = ("id", "titel", "version", "omraden")
AREA_KEYS = ("id", "titel", "beskrivning", "fragor")
AREA_REQUIRED = ("id", "titel", "fragor")
QUESTION_KEYS = (
    "id", "text", "hjalp", "lagrum", "typ", "val", "kravs", "visas_om", "hinder",
    "ej_tillampligt", "raknas", "positiva", "raknas_som", "indikator", "motivering_kravs", "min", "max",
    "berakna", "giltig_om", "felmeddelande",
    "troskel",
)
QUESTION_REQUIRED = ("id", "text", "typ")
# Category lists that must be among the choices, with their Swedish description.
CATEGORY_KEYS = {
    "hinder": "hindret",
    "ej_tillampligt": "kategorin",
    "raknas": "kategorin",
    "positiva": "kategorin",
    "motivering_kravs": "svaret",
}

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
QUESTION_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TRUE = ("true", "yes", "on", "ja")
_FALSE = ("false", "no", "off", "nej")


@dataclass
class _Draft:
    """A question's values while the file is being checked."""

    values: dict
    line: int
    area_id: str
    key_lines: dict = field(default_factory=dict)


class _Checker:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.problems: list[ChecklistFileError] = []

    def error(self, line: int | None, message: str, key: str | None = None) -> None:
        self.problems.append(ChecklistFileError(message, file=self.source, line=line, key=key))

    # -- structure -----------------------------------------------------------
    def mapping(self, node: Node, allowed: tuple[str, ...], required: tuple[str, ...],
                what: str) -> dict[str, tuple[Node, Node]]:
        if node.kind != "map":
            self.error(node.line, f"{what} ska vara en uppställning med nycklar (nyckel: värde)")
            return {}
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.items:
            if key_node.kind != "scalar":
                self.error(key_node.line, "en nyckel ska vara ett enkelt ord")
                continue
            key = str(key_node.value)
            if key in found:
                self.error(key_node.line, f"nyckeln förekommer två gånger i {what}", key)
                continue
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f' (menade du "{close[0]}"?)' if close else ""
                self.error(key_node.line, f"okänd nyckel i {what}{hint}", key)
                continue
            found[key] = (key_node, value_node)
        for key in required:
            if key not in found or found[key][1].is_null:
                line = found[key][0].line if key in found else node.line
                self.error(line, f"nyckeln saknas eller är tom i {what}", key)
        return found

    def text(self, entry: tuple[Node, Node] | None, key: str) -> str | None:
        if entry is None or entry[1].is_null:
            return None
        node = entry[1]
        if node.kind != "scalar":
            self.error(node.line, "ska vara en text", key)
            return None
        value = " ".join(str(node.value).split())
        if not value:
            self.error(node.line, "får inte vara tom", key)
            return None
        return value

    def flag(self, entry: tuple[Node, Node] | None, key: str, default: bool) -> bool:
        if entry is None or entry[1].is_null:
            return default
        node = entry[1]
        word = str(node.value).strip().lower() if node.kind == "scalar" else ""
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        self.error(node.line, "ska vara true eller false (ja eller nej)", key)
        return default

    def number(self, entry: tuple[Node, Node] | None, key: str) -> int | float | None:
        if entry is None or entry[1].is_null:
            return None
        node = entry[1]
        raw = str(node.value).strip().replace("_", "") if node.kind == "scalar" else ""
        if len(raw) > MAX_NUMBER_TEXT:
            self.error(node.line, f"talet är för långt ({len(raw)} tecken; högst "
                       f"{MAX_NUMBER_TEXT})", key)
            return None
        value: int | float | None = None
        if re.fullmatch(r"[-+]?[0-9]+", raw):
            value = int(raw)
        elif re.fullmatch(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?", raw):
            value = float(raw)
        else:
            self.error(node.line, "ska vara ett tal (med punkt som decimaltecken)", key)
            return None
        if not math.isfinite(value) or abs(value) > MAX_FINITE:
            self.error(node.line, "talet är för stort (högst 10^15 till beloppet)", key)
            return None
        return value

    def strings(self, entry: tuple[Node, Node] | None, key: str) -> tuple[str, ...] | None:
        """Return a list of texts; a single text counts as a list of one."""
        if entry is None or entry[1].is_null:
            return None
        node = entry[1]
        items = [node] if node.kind == "scalar" else node.items if node.kind == "seq" else None
        if items is None:
            self.error(node.line, "ska vara en lista, till exempel [Ja, Nej]", key)
            return None
        out: list[str] = []
        for item in items:
            if item.kind != "scalar" or item.is_null:
                self.error(item.line, "listan får bara innehålla texter", key)
                continue
            value = " ".join(str(item.value).split())
            if value.casefold() in (v.casefold() for v in out):
                self.error(item.line, f'"{value}" står två gånger i listan', key)
                continue
            out.append(value)
        return tuple(out)


def build(text: str, *, source: str | None, path: str | None) -> Checklist:
    """Return the validated checklist in ``text``; raises ManyInputErrors with every problem."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ManyInputErrors([ChecklistFileError(
            f"filen är för stor (högst {MAX_BYTES // 1_000_000} MB)", file=source)])
    try:
        root = parse(text, source=source)
    except ChecklistFileError as exc:
        raise ManyInputErrors([exc]) from None
    chk = _Checker(source)
    if root is None:
        chk.error(1, "filen är tom")
        raise ManyInputErrors(chk.problems)
    top = chk.mapping(root, TOP_KEYS, TOP_REQUIRED, "checklistan")
    cid = chk.text(top.get("id"), "id")
    if cid is not None and not SLUG.fullmatch(cid):
        chk.error(top["id"][1].line, "ska bestå av små bokstäver a–z, siffror och bindestreck "
                  "(till exempel forhandsbedomning-0-12)", "id")
    title = chk.text(top.get("titel"), "titel")
    version = chk.text(top.get("version"), "version")
    kind = chk.text(top.get("slag"), "slag") or "granskning"
    if kind not in KINDS:
        chk.error(top["slag"][1].line, f'okänt slag "{kind}"; välj bland {", ".join(KINDS)}', "slag")
    description = chk.text(top.get("beskrivning"), "beskrivning")
    source_text = chk.text(top.get("kalla"), "kalla")

    case_fields = _case_fields(chk, top.get("arendedata"))
    drafts, area_entries = _collect(chk, top.get("omraden"))
    if chk.problems and any("för många frågor" in p.detail for p in chk.problems):
        raise ManyInputErrors(chk.problems)
    questions = _questions(chk, drafts, case_fields)
    if chk.problems:
        raise ManyInputErrors(sorted(chk.problems, key=lambda p: p.line or 0))

    index = {q.id: i for i, q in enumerate(questions)}
    areas = tuple(
        Area(id=aid, title=atitle, description=adesc, line=aline,
             questions=tuple(q for q in questions if q.area_id == aid))
        for aid, atitle, adesc, aline in area_entries
    )
    return Checklist(
        id=cid, title=title, version=version, kind=kind, description=description,
        source=source_text, areas=areas, questions=questions, path=path,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        case_fields={name: kind for name, (kind, _line) in case_fields.items()}, _index=index,
    )


def _case_fields(chk: _Checker, entry: tuple[Node, Node] | None) -> dict[str, tuple[str, int]]:
    """Return ``arendedata`` as name -> (type, line): the case data the checklist reads."""
    if entry is None or entry[1].is_null:
        return {}
    node = entry[1]
    if node.kind != "map":
        chk.error(node.line, "ska vara en uppställning namn: typ, till exempel "
                  "{inkom_datum: datum, alder: tal}", "arendedata")
        return {}
    fields: dict[str, tuple[str, int]] = {}
    for key_node, value_node in node.items:
        name = str(key_node.value).strip() if key_node.kind == "scalar" else ""
        if not QUESTION_ID.fullmatch(name) or "__" in name:
            chk.error(key_node.line, f'"{name[:40]}" duger inte som namn på ärendedata; ett namn '
                      "ska börja med en bokstav och bara innehålla a–z, A–Z, siffror och enkla _",
                      "arendedata")
            continue
        if name in fields:
            chk.error(key_node.line, f'"{name}" står två gånger', "arendedata")
            continue
        kind = str(value_node.value).strip() if value_node.kind == "scalar" else ""
        if kind not in CASE_FIELD_TYPES:
            close = difflib.get_close_matches(kind, CASE_FIELD_TYPES, n=1)
            hint = f' (menade du "{close[0]}"?)' if close else ""
            chk.error(value_node.line, f'okänd typ "{kind[:40]}" för {name}{hint}; välj bland '
                      f'{", ".join(CASE_FIELD_TYPES)}', "arendedata")
            continue
        fields[name] = (kind, key_node.line)
    return fields


def _collect(chk: _Checker, entry: tuple[Node, Node] | None):
    """Return question drafts and (id, title, description, line) per area."""
    drafts: list[_Draft] = []
    areas: list[tuple[str, str, str | None, int]] = []
    if entry is None or entry[1].is_null:
        return drafts, areas
    node = entry[1]
    if node.kind != "seq" or not node.items:
        chk.error(node.line, "ska vara en lista med minst ett område", "omraden")
        return drafts, areas
    count = sum(len(v.items) for a in node.items if a.kind == "map"
                for k, v in a.items if k.value == "fragor" and v.kind == "seq")
    if count > MAX_QUESTIONS:
        chk.error(entry[0].line, f"för många frågor ({count}; högst {MAX_QUESTIONS} i en checklista)",
                  "omraden")
        return drafts, areas
    seen_areas: dict[str, int] = {}
    for area_node in node.items:
        area = chk.mapping(area_node, AREA_KEYS, AREA_REQUIRED, "området")
        aid = chk.text(area.get("id"), "id")
        if aid is not None:
            if not SLUG.fullmatch(aid):
                chk.error(area["id"][1].line, "ett områdes id ska bestå av små bokstäver a–z, "
                          "siffror, - och _", "id")
            if aid in seen_areas:
                chk.error(area["id"][1].line,
                          f'området "{aid}" finns redan (rad {seen_areas[aid]})', "id")
            else:
                seen_areas[aid] = area["id"][1].line
        atitle = chk.text(area.get("titel"), "titel")
        adesc = chk.text(area.get("beskrivning"), "beskrivning")
        areas.append((aid or "", atitle or "", adesc, area_node.line))
        fragor = area.get("fragor")
        if fragor is None or fragor[1].is_null:
            continue
        if fragor[1].kind != "seq" or not fragor[1].items:
            chk.error(fragor[1].line, "ska vara en lista med minst en fråga", "fragor")
            continue
        for qnode in fragor[1].items:
            found = chk.mapping(qnode, QUESTION_KEYS, QUESTION_REQUIRED, "frågan")
            drafts.append(_Draft(values=found, line=qnode.line, area_id=aid or ""))
    return drafts, areas


def _questions(chk: _Checker, drafts: list[_Draft],
               case_fields: dict[str, tuple[str, int]]) -> tuple[Question, ...]:
    seen: dict[str, int] = {}
    order: dict[str, int] = {}
    built: list[Question] = []
    condition_lines: dict[str, int] = {}
    key_lines: dict[str, dict[str, int]] = {}
    for pos, d in enumerate(drafts):
        v = d.values
        qid = chk.text(v.get("id"), "id")
        valid = False
        if qid is not None:
            line = v["id"][1].line
            if not QUESTION_ID.fullmatch(qid) or "__" in qid:
                chk.error(line, "en frågas id ska börja med en bokstav och bara innehålla "
                          "a–z, A–Z, siffror och enkla _ (till exempel F7)", "id")
            elif qid in seen:
                chk.error(line, f'frågan "{qid}" finns redan (rad {seen[qid]})', "id")
            elif qid in case_fields:
                chk.error(line, f'"{qid}" är redan namnet på ärendedata (arendedata, rad '
                          f"{case_fields[qid][1]}); ge frågan ett annat id", "id")
            else:
                seen[qid] = line
                order[qid] = pos
                valid = True
        q = _question(chk, d, qid or "")
        if q is None or not valid:
            continue
        built.append(q)
        if "visas_om" in v:
            condition_lines[q.id] = v["visas_om"][1].line
        key_lines[q.id] = {k: e[1].line for k, e in v.items()}
    fields = {name: kind for name, (kind, _line) in case_fields.items()}
    with_conditions = attach_conditions(chk, built, order, condition_lines, fields)
    return attach_rules(chk, with_conditions, order, key_lines, fields)


def _question(chk: _Checker, d: _Draft, qid: str) -> Question | None:
    v = d.values
    text = chk.text(v.get("text"), "text")
    kind = _question_type(chk, v)
    qtype = kind.name if kind is not None else None
    choices = chk.strings(v.get("val"), "val")
    lists = {k: chk.strings(v.get(k), k) for k in CATEGORY_KEYS}
    minimum, maximum = chk.number(v.get("min"), "min"), chk.number(v.get("max"), "max")
    required = chk.flag(v.get("kravs"), "kravs", True)
    indicator = chk.flag(v.get("indikator"), "indikator", False)
    condition_text = chk.text(v.get("visas_om"), "visas_om")
    line_of = {k: e[1].line for k, e in v.items()}

    choices = _check_choices(chk, d, kind, choices, lists, line_of)
    _check_range(chk, v, kind, minimum, maximum, line_of)
    threshold = check_threshold(chk, v, kind, minimum, maximum)
    canon = _categories(chk, kind, choices, lists, line_of)
    counted, counted_label = _counted(chk, v, kind, choices, canon, indicator)
    # A question with problems is still built (the file is rejected anyway) so that
    # conditions naming it can be checked too; only text and type are indispensable.
    if text is None or qtype is None:
        return None
    return Question(
        id=qid, text=text, type=qtype, area_id=d.area_id, line=d.line,
        help=chk.text(v.get("hjalp"), "hjalp"), legal_ref=chk.text(v.get("lagrum"), "lagrum"),
        choices=tuple(choices or ()), required=required, condition_text=condition_text,
        hindrances=canon["hinder"], not_applicable=canon["ej_tillampligt"],
        positive=counted, indicator=indicator, counted_label=counted_label,
        motivation_required=canon["motivering_kravs"], minimum=minimum, maximum=maximum,
        calculation_text=chk.text(v.get("berakna"), "berakna"),
        validity_text=chk.text(v.get("giltig_om"), "giltig_om"),
        validity_message=chk.text(v.get("felmeddelande"), "felmeddelande"),
        threshold=threshold,
    )


def _question_type(chk: _Checker, v: dict) -> AnswerType | None:
    """Return the question's answer type, or None when ``typ`` is missing or unknown."""
    qtype = chk.text(v.get("typ"), "typ")
    if qtype is None:
        return None
    if qtype not in answer_types.TYPES:
        chk.error(v["typ"][1].line, answer_types.unknown(qtype), "typ")
        return None
    return answer_types.TYPES[qtype]


def _check_choices(chk: _Checker, d: _Draft, kind: AnswerType | None,
                   choices: tuple[str, ...] | None, lists: dict,
                   line_of: dict[str, int]) -> tuple[str, ...] | None:
    """Check ``val`` against the type; return the choices (janej's are always Ja and Nej)."""
    v = d.values
    qtype = kind.name if kind is not None else None
    if kind is not None and kind.yes_no:
        if choices is not None:
            chk.error(line_of["val"], "typ janej har alltid valen Ja och Nej; ange inte val "
                      "(lägg extra kategorier under hinder eller ej_tillampligt)", "val")
        extra = tuple(c for k in ("hinder", "ej_tillampligt") for c in (lists[k] or ()))
        choices = (YES, NO) + tuple(c for c in extra if c.casefold() not in ("ja", "nej"))
    elif kind is not None and kind.has_choices:
        if choices is None and "val" not in v:
            chk.error(d.line, f"typ {qtype} kräver en lista med svarsalternativ", "val")
        elif not choices:
            chk.error(line_of.get("val", d.line), "listan med svarsalternativ är tom", "val")
    elif qtype is not None:
        for k in ("val", *CATEGORY_KEYS):
            if k in v:
                chk.error(line_of[k], f"typ {qtype} har inga svarsalternativ; ta bort {k}", k)
    return choices


def _check_range(chk: _Checker, v: dict, kind: AnswerType | None, minimum, maximum,
                 line_of: dict[str, int]) -> None:
    """Check ``min`` and ``max``: only for types with bounds (tal), and min not above max."""
    if kind is None or not kind.has_bounds:
        bounded = counted_words(n for n, t in answer_types.TYPES.items() if t.has_bounds)
        for k in ("min", "max"):
            if k in v and kind is not None:
                chk.error(line_of[k], f"{k} gäller bara frågor av typ {bounded}", k)
    elif minimum is not None and maximum is not None and minimum > maximum:
        chk.error(line_of["min"], f"min ({minimum}) är större än max ({maximum})", "min")


def _categories(chk: _Checker, kind: AnswerType | None, choices: tuple[str, ...] | None, lists: dict,
                line_of: dict[str, int]) -> dict[str, tuple[str, ...]]:
    """Check the category lists against the choices; return them spelt as the choices are."""
    folded = {c.casefold(): c for c in choices or ()}
    canon: dict[str, tuple[str, ...]] = {}
    for key, noun in CATEGORY_KEYS.items():
        values = lists[key] or ()
        if choices and kind is not None and kind.has_choices:
            _check_among_choices(chk, key, noun, values, folded, line_of)
        canon[key] = tuple(folded.get(x.casefold(), x) for x in values)
    if kind is not None and kind.yes_no:
        for key in ("hinder", "ej_tillampligt"):
            if any(c in (YES, NO) for c in canon[key]):
                chk.error(line_of[key], "Ja och Nej kan inte vara hinder eller ej tillämpligt", key)
    both = set(canon["hinder"]) & set(canon["ej_tillampligt"])
    if both:
        chk.error(line_of["ej_tillampligt"], f'"{sorted(both)[0]}" står både som hinder och som '
                  "ej tillämpligt", "ej_tillampligt")
    return canon


def _check_among_choices(chk: _Checker, key: str, noun: str, values: tuple[str, ...],
                         folded: dict[str, str], line_of: dict[str, int]) -> None:
    """Report each value of a category list that is not among the choices."""
    for value in values:
        if value.casefold() not in folded:
            close = difflib.get_close_matches(value, list(folded.values()), n=1)
            hint = f' (menade du "{close[0]}"?)' if close else ""
            chk.error(line_of[key], f'{noun} "{value}" finns inte bland '
                      f'svarsalternativen{hint}', key)


def _counted(chk: _Checker, v: dict, kind: AnswerType | None, choices, canon: dict[str, tuple[str, ...]],
             indicator: bool) -> tuple[tuple[str, ...], str | None]:
    """Check what an indicator counts (``raknas``/``positiva``, ``raknas_som``); return both."""
    line_of = {k: e[1].line for k, e in v.items()}
    counted_key = "raknas"
    if "positiva" in v:  # the older name of raknas
        if "raknas" in v:
            chk.error(line_of["positiva"], "positiva är det äldre namnet på raknas; ange bara raknas",
                      "positiva")
        else:
            counted_key = "positiva"
    counted = canon[counted_key]
    overlap = set(counted) & (set(canon["hinder"]) | set(canon["ej_tillampligt"]))
    if overlap:
        chk.error(line_of[counted_key], f'"{sorted(overlap)[0]}" kan inte både räknas i täljaren och '
                  "lämna nämnaren (hinder/ej_tillampligt)", counted_key)
    counted_label = chk.text(v.get("raknas_som"), "raknas_som")
    if "raknas_som" in v and not indicator and "troskel" not in v:
        chk.error(line_of["raknas_som"], "raknas_som gäller bara en fråga med indikator: true eller troskel",
                  "raknas_som")
    if indicator and kind is not None:
        if not kind.can_be_indicator:
            hint = ' (ange i stället troskel, till exempel troskel: "minst 4")' if kind.numeric else ""
            chk.error(line_of["indikator"], f"en fråga av typ {kind.name} kan inte vara indikator{hint}",
                      "indikator")
        elif not kind.default_counted() and not counted:
            chk.error(line_of["indikator"], "en indikator av typ "
                      f"{kind.name} behöver raknas (de svar som räknas i täljaren)", "indikator")
        elif counted and _in_denominator(choices, canon) and \
                set(counted) >= set(_in_denominator(choices, canon)):
            chk.error(line_of[counted_key], "alla svar som ingår i nämnaren räknas; indikatorn blir "
                      "alltid 100 %", counted_key)
    return counted, counted_label


def _in_denominator(choices, canon: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Return the choices that stay in an indicator's denominator."""
    left = set(canon["hinder"]) | set(canon["ej_tillampligt"])
    return tuple(c for c in choices or () if c not in left)


__all__ = ["build"]
