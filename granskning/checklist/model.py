"""Checklists: the model, the answer logic and where checklist files are found.

A checklist is a YAML file written by inspectors (format in
``docs/checklistformat.md``, validation in :mod:`granskning.checklist.format`).
Answers are a mapping from question id to a normalised value (see
:meth:`Question.coerce`); unanswered questions are missing or ``None``.  A
motivation is stored under its own key ``<id>__motivering``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from granskning import resources as bundled_files
from granskning.checklist import types as answer_types
from granskning.checklist.threshold import Threshold
from granskning.checklist.types.base import AnswerType
from granskning.checklist.types.janej import NO as NO  # re-exported: the janej choices
from granskning.checklist.types.janej import YES as YES
from granskning.errors import InputError

TYPES = answer_types.NAMES
KINDS = ("granskning", "enkat", "egenkontroll")
CASE_FIELD_TYPES = ("datum", "tal", "text")  # ``arendedata``: the types of case data
MOTIVATION_SUFFIX = "__motivering"
MAX_BYTES = 1_000_000
MAX_QUESTIONS = 2_000

__all__ = [
    "Area",
    "Checklist",
    "Question",
    "bundled",
    "bundled_dir",
    "counted_words",
    "motivation_key",
    "resolve",
]


def counted_words(categories) -> str:
    """Return counted answer categories as one phrase: ``"Ja"``, ``"A eller B"``, ``"A, B eller C"``."""
    items = [str(c) for c in categories]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " eller " + items[-1]


def motivation_key(question_id: str) -> str:
    """Return the answer key under which the motivation for a question is stored."""
    return question_id + MOTIVATION_SUFFIX


@dataclass(frozen=True, slots=True)
class Question:
    """One control point: its text, answer type, choices and logic."""

    id: str
    text: str
    type: str
    area_id: str
    line: int
    help: str | None = None
    legal_ref: str | None = None
    choices: tuple[str, ...] = ()
    required: bool = True
    condition: Any = field(default=None, compare=False, repr=False)  # expr.Expression | None
    condition_text: str | None = None
    hindrances: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()
    positive: tuple[str, ...] = ()  # ``raknas`` (older name ``positiva``): counted in the numerator
    indicator: bool = False
    counted_label: str | None = None  # ``raknas_som``: what the counted answers mean, in words
    motivation_required: tuple[str, ...] = ()
    minimum: float | int | None = None
    maximum: float | int | None = None
    # ``berakna``: the question is never asked; its value is computed from earlier answers
    # and case data (expr.Expression); ``giltig_om``: a check an answer must pass, with the
    # message ``felmeddelande`` (see granskning.checklist.computed)
    calculation: Any = field(default=None, compare=False, repr=False)
    calculation_text: str | None = None
    validity: Any = field(default=None, compare=False, repr=False)
    validity_text: str | None = None
    validity_message: str | None = None
    threshold: Threshold | None = None  # ``troskel`` on a tal question: the share meeting it is reported

    @property
    def computed(self) -> bool:
        """Return True for a computed question (``berakna``): never asked, computed instead."""
        return self.calculation_text is not None

    @property
    def answer_type(self) -> AnswerType:
        """Return the entry of the answer-type registry for this question's ``type``."""
        return answer_types.get(self.type)

    @property
    def has_choices(self) -> bool:
        return self.answer_type.has_choices

    @property
    def denominator_categories(self) -> tuple[str, ...]:
        """Return the choices that count in an indicator's denominator.

        Hindrances and not-applicable categories leave the denominator: the
        published 25 % for "Har barnet kommit till tals om anmälan?" is
        Ja / (Ja + Nej) = 52 / 208.
        """
        left_out = set(self.hindrances) | set(self.not_applicable)
        return tuple(c for c in self.choices if c not in left_out)

    @property
    def numerator_categories(self) -> tuple[str, ...]:
        """Return the choices an indicator counts in its numerator (``raknas``; Ja for janej).

        Counted is not the same as good: "Fanns kvarstående oro …?" counts the
        cases *with* remaining concern, the direction the published report uses.
        """
        if self.positive:
            return self.positive
        return self.answer_type.default_counted()

    @property
    def counted(self) -> str:
        """Return what an indicator counts, in words, for every output to name beside its number.

        ``raknas_som`` when the checklist gives it, otherwise the counted choices
        themselves (``"Ja"``; ``"Ja eller Delvis"``).
        """
        return self.counted_label or counted_words(self.numerator_categories)

    def needs_motivation(self, value: object) -> bool:
        """Return True when this (normalised) answer requires a written motivation."""
        if value is None or not self.motivation_required:
            return False
        values = value if isinstance(value, (list, tuple)) else (value,)
        return any(v in self.motivation_required for v in values)

    def coerce(
        self,
        value: object,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> object:
        """Return the answer normalised for this question; None means unanswered.

        janej/enval give the choice as written in the checklist (matched without
        regard to case), flerval a tuple of choices in checklist order (from a
        list or a string separated by ``;``), tal an int or float within
        min/max (decimal comma accepted), datum a ``datetime.date``, fritext a
        string.  Raises a Swedish :class:`InputError` otherwise.
        """
        where = {"file": file, "row": row, "column": column}
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, str) and not value.strip():
            return None
        return self.answer_type.coerce(self, value, where)


@dataclass(frozen=True, slots=True)
class Area:
    """A group of questions (område)."""

    id: str
    title: str
    questions: tuple[Question, ...]
    line: int
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Checklist:
    """A validated checklist; ``questions`` is the flat list in file order."""

    id: str
    title: str
    version: str
    kind: str
    description: str | None
    source: str | None
    areas: tuple[Area, ...]
    questions: tuple[Question, ...]
    path: str | None
    sha256: str
    # ``arendedata``: case data the checklist reads (name -> datum, tal or text), supplied
    # per case from the sampling frame; usable in conditions beside the answers.
    case_fields: Mapping[str, str] = field(default_factory=dict)
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def question(self, question_id: str) -> Question:
        """Return the question with this id (KeyError if there is none)."""
        return self.questions[self._index[question_id]]

    def case_env(self, case: Mapping[str, object] | None) -> dict[str, object]:
        """Return the case data this checklist declares (``arendedata``), missing ones as None.

        Dates given as ISO text become ``datetime.date``; the expressions see
        ``{**case_env, **answers}`` (an answer never shadows a case value: the
        names may not coincide, :mod:`granskning.checklist.format` refuses it).
        """
        case = case or {}
        return {name: _case_value(kind, case.get(name)) for name, kind in self.case_fields.items()}

    def _walk(self, answers: Mapping[str, object],
              case: Mapping[str, object] | None = None) -> dict[str, bool]:
        return self.settle(answers, case)[0]

    def settle(self, answers: Mapping[str, object], case: Mapping[str, object] | None = None,
               ) -> tuple[dict[str, bool], dict[str, object]]:
        """Return (question id -> shown, name -> value as expressions see it) for one case.

        Conditions and calculations only name earlier questions, so one pass in
        order settles visibility and every computed value; a hidden question counts
        as unanswered in later conditions, and a computed question takes its
        computed value (not the stored one) so that a changed input shows at once.
        Without ``case`` (None: the caller does not have the case data at hand) a
        computed question that has a stored value keeps it: the session and the
        import store computed values whenever an input changes, so the stored ones
        are current; with ``case`` (also ``{}``) everything is computed afresh.
        """
        env: dict[str, object] = self.case_env(case)
        shown: dict[str, bool] = {}
        for q in self.questions:
            visible = q.condition is None or _truthy(q.condition.evaluate(env))
            shown[q.id] = visible
            if not visible:
                env[q.id] = None
            elif q.calculation is not None and (case is not None or q.id not in answers):
                env[q.id] = _computed_value(q, env)
            else:
                env[q.id] = _env_value(q, answers.get(q.id))
        return shown, env

    def computed(self, answers: Mapping[str, object],
                 case: Mapping[str, object] | None = None) -> dict[str, object]:
        """Return every computed question's value as stored (None = blank: hidden or an input missing).

        ``Ja``/``Nej`` for a janej question, a number for tal, ISO text for datum.
        """
        _shown, env = self.settle(answers, case)
        return {q.id: _storable(env[q.id]) for q in self.questions if q.calculation is not None}

    def violations(self, answers: Mapping[str, object],
                   case: Mapping[str, object] | None = None,
                   keys: Collection[str] | None = None) -> list[tuple[Question, str]]:
        """Return (question, Swedish message) for each ``giltig_om`` check the answers fail.

        Only shown, answered questions are checked; a check that is unknown because
        an answer or case value it names is missing passes.  With ``keys``, only the
        checks of those questions and the checks that name them.
        """
        shown, env = self.settle(answers, case)
        out: list[tuple[Question, str]] = []
        for q in self.questions:
            if q.validity is None or not shown[q.id] or env.get(q.id) is None:
                continue
            if keys is not None and q.id not in keys and not (q.validity.names & set(keys)):
                continue
            if q.validity.decide(env) is False:
                message = q.validity_message or (
                    f"svaret uppfyller inte kontrollen {q.validity.canonical}")
                out.append((q, f"{q.id}: {message}"))
        return out

    def visible(self, question: Question | str, answers: Mapping[str, object],
                case: Mapping[str, object] | None = None) -> bool:
        """Return True when the question is shown given the answers so far (and the case data)."""
        qid = question if isinstance(question, str) else question.id
        return self._walk(answers, case)[qid]

    def visible_questions(self, answers: Mapping[str, object],
                          case: Mapping[str, object] | None = None) -> list[Question]:
        """Return the questions shown given the answers and the case data, in order."""
        shown = self._walk(answers, case)
        return [q for q in self.questions if shown[q.id]]

    def next_unanswered(self, answers: Mapping[str, object],
                        case: Mapping[str, object] | None = None) -> Question | None:
        """Return the first shown question that has no answer yet (None when all are answered)."""
        for q in self.visible_questions(answers, case):
            if not q.computed and _is_blank(answers.get(q.id)):
                return q
        return None

    def missing(self, answers: Mapping[str, object],
                case: Mapping[str, object] | None = None) -> list[str]:
        """Return the answer keys still needed: required answers and required motivations."""
        needed: list[str] = []
        for q in self.visible_questions(answers, case):
            if q.computed:  # never asked: blank when an input is missing
                continue
            value = answers.get(q.id)
            if _is_blank(value):
                if q.required:
                    needed.append(q.id)
            elif q.needs_motivation(value) and _is_blank(answers.get(motivation_key(q.id))):
                needed.append(motivation_key(q.id))
        return needed

    def is_complete(self, answers: Mapping[str, object],
                    case: Mapping[str, object] | None = None) -> bool:
        """Return True when every shown required question and required motivation is answered."""
        return not self.missing(answers, case)


def _case_value(kind: str, value: object) -> object:
    """Return a stored case value as expressions see it: dates as dates, blanks as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if kind == "datum":
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                return value
    if kind == "datum" and isinstance(value, dt.datetime):
        return value.date()
    return value


def _computed_value(q: Question, env: Mapping[str, object]) -> object:
    """A computed question's value from ``env``: Ja/Nej, a number or a date; None when unknown."""
    kind = q.answer_type.value_kind
    if kind == "text":  # janej: the calculation is a condition (checked when the file is read)
        truth = q.calculation.decide(env)
        return None if truth is None else (YES if truth else NO)
    value = q.calculation.value(env)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _storable(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _truthy(result: object) -> bool:
    # A bare janej name as condition evaluates to its answer: "Ja" shows, "Nej" hides.
    if isinstance(result, str):
        return result.casefold() in ("ja", "sant", "true")
    return result is True


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    return False


def _env_value(q: Question, value: object) -> object:
    # Answers should already be normalised; an answer that does not fit the
    # question counts as unanswered in conditions rather than failing them.
    try:
        value = q.coerce(value)
    except InputError:
        return None
    return list(value) if isinstance(value, tuple) else value


def bundled_dir() -> Path:
    """Return the directory of the checklists shipped with the tool."""
    return bundled_files.directory("checklists")


def bundled() -> list[Path]:
    """Return the bundled checklist files, sorted by name."""
    return bundled_files.files("checklists")


def resolve(name: str | Path) -> Path:
    """Return the file for a path or a bundled checklist id; InputError when neither exists."""
    return bundled_files.resolve("checklists", name, what="den medföljande checklistan")
