"""Checklists: the model, the answer logic and where checklist files are found.

The public names of :mod:`granskning.checklist.model` and
:mod:`granskning.checklist.files`, importable as before from ``granskning.checklist``.
"""

from granskning.checklist.files import load, loads
from granskning.checklist.model import (
    Area,
    Checklist,
    Question,
    bundled,
    bundled_dir,
    counted_words,
    motivation_key,
    resolve,
)

__all__ = [
    "Area",
    "Checklist",
    "Question",
    "bundled",
    "bundled_dir",
    "counted_words",
    "load",
    "loads",
    "motivation_key",
    "resolve",
]
