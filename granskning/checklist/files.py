"""Checklist files: read and validate a checklist from text, a file or a bundled id.

The model is in :mod:`granskning.checklist.model`, the validation in
:mod:`granskning.checklist.format`; both names are importable from ``granskning.checklist``.
"""

from __future__ import annotations

from pathlib import Path

from granskning.checklist.format import build
from granskning.checklist.model import MAX_BYTES, Checklist, bundled_dir, resolve
from granskning.checklist.safeyaml import ChecklistFileError
from granskning.errors import InputError
from granskning.personnummer.number import find_personnummer

__all__ = ["load", "loads"]


def loads(text: str, *, source: str | None = None) -> Checklist:
    """Return the checklist in ``text``; raises ManyInputErrors listing every problem."""
    _refuse_personnummer(text, source)
    return build(text, source=source, path=None)


def _refuse_personnummer(text: str, source: str | None) -> None:
    """Refuse a checklist whose text holds a personnummer (it is printed in every template)."""
    hits = find_personnummer(text)
    if hits:
        line = text.count("\n", 0, hits[0].start) + 1
        raise InputError(
            f"rad {line} innehåller ett personnummer; ta bort det (checklistans text skrivs i "
            "varje svarsmall och rapport).", file=source)


def load(path: str | Path) -> Checklist:
    """Return the checklist in a YAML file, or a bundled checklist given its id."""
    p = resolve(path)
    shown = str(path) if Path(path).exists() else _display(p)
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise ChecklistFileError(
            f"filen är för stor ({size // 1000} kB; högst {MAX_BYTES // 1_000_000} MB)", file=shown)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ChecklistFileError("filen är inte sparad som UTF-8", file=shown, line=line) from None
    _refuse_personnummer(text, shown)
    return build(text, source=shown, path=str(p))


def _display(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return f"checklists/{p.name}" if p.parent == bundled_dir() else str(p)
