"""Files shipped with the tool: checklists, protocols and report texts in ``granskning/data``."""

from __future__ import annotations

import difflib
from pathlib import Path

from granskning.errors import InputError

ROOT = Path(__file__).resolve().parent / "data"


def directory(kind: str) -> Path:
    """Return the directory of a kind of bundled file (``checklists``, ``protocols`` …)."""
    return ROOT / kind


def files(kind: str) -> list[Path]:
    """Return the bundled YAML files of a kind, sorted by name."""
    d = directory(kind)
    return sorted(d.glob("*.yaml")) if d.is_dir() else []


def resolve(kind: str, name: str | Path, *, what: str) -> Path:
    """Return the file for a path or a bundled id; InputError (naming ``what``) when neither exists."""
    p = Path(name)
    if p.is_file():
        return p
    if p.exists():
        raise InputError(f"{name} är ingen fil")
    candidate = directory(kind) / f"{name}.yaml"
    if "/" not in str(name) and "\\" not in str(name) and candidate.is_file():
        return candidate
    ids = [f.stem for f in files(kind)]
    close = difflib.get_close_matches(str(name), ids, n=1)
    hint = f' Menade du "{close[0]}"?' if close else ""
    raise InputError(f'hittar varken filen eller {what} "{name}".{hint} Medföljande: {", ".join(ids)}.')
