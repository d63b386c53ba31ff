"""The answer types: one registry, one module per type.

In the manner of questionary's ``prompts/`` and ``AVAILABLE_PROMPTS``: a
checklist's ``typ`` names one entry of :data:`TYPES`, and everything that
depends on the type (reading an answer, the rendered checklist, conditions,
the terminal prompt, the Excel template, indicators, analysis) asks that
entry.  Adding a type is one module here and one line below.
"""

from __future__ import annotations

import difflib

from granskning.checklist.types import datum, enval, flerval, fritext, janej, tal
from granskning.checklist.types.base import AnswerType, ChoiceType
from granskning.errors import InputError

TYPES: dict[str, AnswerType] = {t.name: t for t in (
    janej.TYPE, enval.TYPE, flerval.TYPE, tal.TYPE, datum.TYPE, fritext.TYPE,
)}
NAMES: tuple[str, ...] = tuple(TYPES)

__all__ = ["NAMES", "TYPES", "AnswerType", "ChoiceType", "get", "unknown"]


def unknown(name: str) -> str:
    """Return the Swedish message for an unknown type name, with the nearest valid name."""
    close = difflib.get_close_matches(name, NAMES, n=1)
    hint = f' (menade du "{close[0]}"?)' if close else ""
    return f'okänd typ "{name}"{hint}; välj bland {", ".join(NAMES)}'


def get(name: str) -> AnswerType:
    """Return the answer type called ``name``; InputError listing the valid names otherwise.

    >>> get("janej").words
    'Ja/Nej'
    >>> get("flerval").multiple
    True
    >>> get("jannej")
    Traceback (most recent call last):
    ...
    granskning.errors.InputError: okänd typ "jannej" (menade du "janej"?); välj bland janej, enval, flerval, tal, datum, fritext
    """
    try:
        return TYPES[name]
    except KeyError:
        raise InputError(unknown(name)) from None
