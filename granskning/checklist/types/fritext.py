"""fritext: any text (checked for personnummer before it is stored)."""

from __future__ import annotations

from typing import Any

from granskning.checklist.types.base import AnswerType, Question


class FreeText(AnswerType):
    """A free text; not analysed in tables."""

    name = "fritext"
    words = "fritext"
    free_text = True
    excel_wide = True

    def prompt_check(self, prompter: Any, q: Question) -> Any:
        return prompter.check_free_text


TYPE = FreeText()
