"""datum: a date written ÅÅÅÅ-MM-DD, stored as ISO text."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from granskning.checklist.types.base import AnswerType, Question
from granskning.errors import InputError


class Date(AnswerType):
    """A ``datetime.date``; a datetime gives its date."""

    name = "datum"
    value_kind = "date"
    words = "datum (ÅÅÅÅ-MM-DD)"
    excel_number_format = "yyyy-mm-dd"

    def coerce(self, q: Question, value: object, where: dict) -> object:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise InputError(f'fråga {q.id}: "{text}" är inget giltigt datum (skriv ÅÅÅÅ-MM-DD)',
                         **where)

    def literal_problem(self, q: Question, value: object) -> str | None:
        if not isinstance(value, dt.date):
            return f"{q.id} är av typ datum och ska jämföras med ett datum (ÅÅÅÅ-MM-DD)"
        return None

    def prompt_label(self, q: Question) -> str:
        return " (ÅÅÅÅ-MM-DD)"

    def excel_cell(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        return value


TYPE = Date()
