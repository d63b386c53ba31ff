"""Durable storage of audits, sampled cases, assignments and answers.

The public names of :mod:`granskning.store.database`, importable as before from
``granskning.store``.
"""

from granskning.store.database import (
    Answer,
    Audit,
    Case,
    ConflictError,
    Progress,
    SchemaStep,
    Store,
    show_case_id,
)

__all__ = [
    "Answer",
    "Audit",
    "Case",
    "ConflictError",
    "Progress",
    "SchemaStep",
    "Store",
    "show_case_id",
]
