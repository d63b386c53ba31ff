"""Stratified random sampling of case files: design, draw, record and verification.

The public names of :mod:`granskning.sampling.design`, importable as before from
``granskning.sampling``.
"""

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

__all__ = [
    "RECORD_FORMAT",
    "RECORD_FORMAT_READ",
    "Design",
    "Sample",
    "parse_seed",
    "draw_sample",
    "make_record",
    "read_exclusions",
    "RECORD_JSON_LABEL",
    "read_record",
    "Verification",
    "stored_sample",
    "verify",
]
