"""Stratified random sampling of case files: design, draw, record and verification.

The public names of :mod:`granskning.sampling.design`, importable as before from
``granskning.sampling``. They are loaded on first use (PEP 562 ``__getattr__``, as
scientific Python's lazy loading does): importing one light module of the wing, such as
``granskning.sampling.dates`` for reading a date, must not load the whole draw machinery
before the first prompt of ``granskning kontroll``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from granskning.sampling.design import (
        RECORD_FORMAT,
        RECORD_FORMAT_READ,
        Design,
        Sample,
        Verification,
        draw_sample,
        make_record,
        parse_seed,
        read_exclusions,
        read_record,
        stored_sample,
        verify,
    )
    from granskning.sampling.stored import RECORD_JSON_LABEL

# public name -> the module that defines it
_PUBLIC = {
    **dict.fromkeys(
        ("RECORD_FORMAT", "RECORD_FORMAT_READ", "Design", "Sample", "Verification", "draw_sample",
         "make_record", "parse_seed", "read_exclusions", "read_record", "stored_sample", "verify"),
        "granskning.sampling.design",
    ),
    "RECORD_JSON_LABEL": "granskning.sampling.stored",
}

__all__ = [
    "Design",
    "RECORD_FORMAT",
    "RECORD_FORMAT_READ",
    "RECORD_JSON_LABEL",
    "Sample",
    "Verification",
    "draw_sample",
    "make_record",
    "parse_seed",
    "read_exclusions",
    "read_record",
    "stored_sample",
    "verify",
]


def __getattr__(name: str) -> Any:
    """Return a public name of the wing, importing its module on first use."""
    try:
        module = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'granskning.sampling' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
