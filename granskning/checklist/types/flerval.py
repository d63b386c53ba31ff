"""flerval: one or more of the question's choices, stored in checklist order."""

from __future__ import annotations

from typing import Any

from granskning.checklist.types.base import ChoiceType, Question


class MultipleChoice(ChoiceType):
    """One or more choices among ``val`` (from a list, or a text separated by ``;``)."""

    name = "flerval"
    value_kind = "multi"
    words = "ett eller flera val"
    multiple = True
    has_dropdown = False
    excel_wide = True

    def coerce(self, q: Question, value: object, where: dict) -> object:
        if isinstance(value, str):
            parts = [p for p in (s.strip() for s in value.split(";")) if p]
        elif isinstance(value, (list, tuple, set, frozenset)):
            parts = list(value)
        else:
            parts = [value]
        picked = {self.choice(q, p, where) for p in parts}
        return tuple(c for c in q.choices if c in picked) or None

    def prompt(self, prompter: Any, q: Question, current: Any, has_help: bool) -> Any:
        return prompter.checkbox(q, current, has_help)

    def excel_validation(self, q: Question, choices_range: str | None) -> dict | None:
        return {
            "type": None, "showInputMessage": True, "promptTitle": q.id[:32],
            "prompt": ("Ett eller flera, åtskilda med ; : " + "; ".join(q.choices))[:255],
        }


TYPE = MultipleChoice()
