"""tal: a number within the question's ``min`` and ``max`` (decimal comma accepted)."""

from __future__ import annotations

import math
import re

from granskning.checklist.types.base import AnswerType, Question
from granskning.errors import InputError
from granskning.fmt import tal as swedish_number


class Number(AnswerType):
    """An int or float, integers kept as int; analysed as numbers."""

    name = "tal"
    value_kind = "number"
    words = "tal"
    has_bounds = True
    numeric = True

    def coerce(self, q: Question, value: object, where: dict) -> object:
        if isinstance(value, bool):
            raise InputError(f"fråga {q.id}: svaret ska vara ett tal", **where)
        if isinstance(value, (int, float)):
            number: int | float = value
        else:
            text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
            text = text.replace("\u2212", "-")
            if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", text):
                raise InputError(f'fråga {q.id}: "{value}" är inget tal', **where)
            number = float(text)
        if isinstance(number, float):
            if not math.isfinite(number):
                raise InputError(f'fråga {q.id}: "{str(value)[:40]}" är inget tal', **where)
            if number.is_integer():
                number = int(number)
        if abs(number) > 1e15:  # granskning.numbers.MAX_FINITE: beyond it floats lose integers
            raise InputError(f"fråga {q.id}: talet är för stort (högst 10^15 till beloppet)",
                             **where)
        if q.minimum is not None and number < q.minimum:
            raise InputError(f"fråga {q.id}: {_num(number)} är mindre än minsta tillåtna "
                             f"värde {_num(q.minimum)}", **where)
        if q.maximum is not None and number > q.maximum:
            raise InputError(f"fråga {q.id}: {_num(number)} är större än högsta tillåtna "
                             f"värde {_num(q.maximum)}", **where)
        return number

    def answer_row(self, q: Question) -> tuple[str, str]:
        bounds = ""
        if q.minimum is not None and q.maximum is not None:
            bounds = f", från {_bound(q.minimum)} till {_bound(q.maximum)}"
        elif q.minimum is not None:
            bounds = f", minst {_bound(q.minimum)}"
        elif q.maximum is not None:
            bounds = f", högst {_bound(q.maximum)}"
        return "Svar", self.words + bounds

    def literal_problem(self, q: Question, value: object) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{q.id} är av typ tal och ska jämföras med ett tal"
        return None

    def prompt_label(self, q: Question) -> str:
        bounds = [f"minst {q.minimum}" if q.minimum is not None else "",
                  f"högst {q.maximum}" if q.maximum is not None else ""]
        rule = ", ".join(b for b in bounds if b)
        return f" (tal{', ' + rule if rule else ''})"

    def excel_validation(self, q: Question, choices_range: str | None) -> dict | None:
        if q.minimum is None and q.maximum is None:
            return None
        low = q.minimum if q.minimum is not None else -1e15
        high = q.maximum if q.maximum is not None else 1e15
        return {
            "type": "decimal", "operator": "between", "formula1": str(low), "formula2": str(high),
            "allow_blank": True, "showErrorMessage": True, "errorTitle": "Ogiltigt tal",
            "error": f"{q.id}: ett tal från {low} till {high}.",
        }


def _num(x: float | int) -> str:
    return str(x) if isinstance(x, int) else swedish_number(x, 2)


def _bound(v: float | int) -> str:
    """Return a bound as the rendered checklist writes it (decimal comma)."""
    return str(v).replace(".", ",") if isinstance(v, float) else str(v)


TYPE = Number()
