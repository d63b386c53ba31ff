"""janej: Ja or Nej, and any hindrance or not-applicable categories the question adds."""

from __future__ import annotations

from granskning.checklist.types.base import ChoiceType, Question

YES, NO = "Ja", "Nej"


class YesNo(ChoiceType):
    """Ja/Nej: its choices are always Ja and Nej; an indicator counts Ja unless told otherwise."""

    name = "janej"
    words = "Ja/Nej"
    yes_no = True

    def default_counted(self) -> tuple[str, ...]:
        return (YES,)

    def coerce(self, q: Question, value: object, where: dict) -> object:
        if isinstance(value, bool):
            return YES if value else NO
        return self.choice(q, value, where)

    def answer_row(self, q: Question) -> tuple[str, str]:
        return "Svar", " · ".join(q.choices)


TYPE = YesNo()
