"""What every answer type has: its name, its words, and the behaviour that depends on it.

Each type is one module beside this one with one instance of a subclass of
:class:`AnswerType`; ``granskning.checklist.types`` lists them in ``TYPES``.
The methods take the question as an argument, described here only by what
they read of it (:class:`Question`), so a type knows nothing of how questions
are built and the registry imports nothing from the model.
"""

from __future__ import annotations

from typing import Any, Protocol

from granskning.errors import InputError


class Question(Protocol):
    """What a type reads of a question (:class:`granskning.checklist.model.Question`)."""

    id: str
    choices: tuple[str, ...]
    required: bool
    minimum: float | int | None
    maximum: float | int | None

    def coerce(self, value: object) -> object: ...



class AnswerType:
    """One answer type; subclasses set the flags and override what differs."""

    name: str = ""
    words: str = ""  # the type in words, in the rendered checklist and the template
    has_choices: bool = False  # answered by picking among the question's ``val``
    yes_no: bool = False  # Ja or Nej: the question's name alone is a condition
    multiple: bool = False  # several choices in one answer
    has_bounds: bool = False  # ``min`` and ``max`` apply
    free_text: bool = False  # any text; checked only for personnummer
    numeric: bool = False  # analysed as numbers
    excel_wide: bool = False  # a wide column in the answer template
    excel_number_format: str | None = None  # the cell format in the answer template
    value_kind: str = "text"  # what an answer is in an expression (granskning.expr.kinds)

    @property
    def can_be_indicator(self) -> bool:
        """Return True when a question of this type may be an indicator (``indikator: true``)."""
        return self.has_choices

    def default_counted(self) -> tuple[str, ...]:
        """Return the answers an indicator counts when the checklist gives no ``raknas``."""
        return ()

    def coerce(self, q: Question, value: object, where: dict) -> object:
        """Return a non-blank answer normalised for ``q``; a Swedish InputError otherwise."""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip()
        raise InputError(f"fråga {q.id}: svaret ska vara en text", **where)

    def answer_row(self, q: Question) -> tuple[str, str]:
        """Return the label and text of the "Svar" line in the rendered checklist."""
        return "Svar", self.words

    def literal_problem(self, q: Question, value: object) -> str | None:
        """Return why comparing ``q`` with ``value`` in a condition is wrong, or None."""
        return None

    def prompt(self, prompter: Any, q: Question, current: Any, has_help: bool) -> Any:
        """Ask ``q`` with the prompter's questionary prompts; return its raw answer."""
        hint = " (? = hjälp)" if has_help else ""
        label = f"{q.id}{self.prompt_label(q)}{hint}:"
        shown = None if current is None else prompter.show(q, current)
        return prompter.text(label, shown, required=q.required, check=self.prompt_check(prompter, q),
                             allow_help=has_help)

    def prompt_label(self, q: Question) -> str:
        """Return what the text prompt says after the question id (the expected form)."""
        return ""

    def prompt_check(self, prompter: Any, q: Question) -> Any:
        """Return the function that validates typed text (raises InputError)."""
        return lambda v: q.coerce(v)

    def excel_cell(self, value: Any) -> Any:
        """Return a stored answer (not a list) as it is written in a template cell."""
        return value

    def excel_validation(self, q: Question, choices_range: str | None) -> dict | None:
        """Return the openpyxl DataValidation arguments for the answer column, or None.

        ``choices_range`` is where the template lists the choices for a drop-down
        (given when :attr:`has_dropdown`).
        """
        return None

    has_dropdown: bool = False  # the template lists the choices on a hidden sheet


class ChoiceType(AnswerType):
    """A type answered by picking one of the question's choices."""

    has_choices = True
    has_dropdown = True

    def coerce(self, q: Question, value: object, where: dict) -> object:
        return self.choice(q, value, where)

    @staticmethod
    def choice(q: Question, value: object, where: dict) -> str:
        """Return the choice ``value`` names, matched without regard to case."""
        text = str(value).strip()
        folded = text.casefold()
        for choice in q.choices:
            if choice.casefold() == folded:
                return choice
        listed = ", ".join(f'"{c}"' for c in q.choices)
        raise InputError(f'fråga {q.id}: "{text}" är inget av svarsalternativen ({listed})',
                         **where)

    def answer_row(self, q: Question) -> tuple[str, str]:
        return f"Svar ({self.words})", " · ".join(q.choices)

    def prompt(self, prompter: Any, q: Question, current: Any, has_help: bool) -> Any:
        return prompter.answer(q, current, has_help)

    def excel_validation(self, q: Question, choices_range: str | None) -> dict | None:
        return {
            "type": "list", "formula1": choices_range, "allow_blank": True,
            "showErrorMessage": True, "errorTitle": "Ogiltigt svar",
            "error": f"Välj ett av svarsalternativen för {q.id} i listan.",
        }
