"""enval: one of the question's choices."""

from __future__ import annotations

from granskning.checklist.types.base import ChoiceType


class SingleChoice(ChoiceType):
    """One choice among ``val``."""

    name = "enval"
    words = "ett val"


TYPE = SingleChoice()
