"""Audit protocols (``protocols/*.yaml``): one file describes a whole audit.

This module currently reads the parts the draw needs: the frame's column
mapping and population filter (``ram``) and the sample design (``urval``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from granskning.errors import InputError

FRAME_KEYS = {"id", "strata", "filter", "blad", "kolumner", "kon", "alder", "personnummer", "handlaggare"}
DESIGN_KEYS = {"per_stratum", "totalt", "fordelning", "minimum", "seed", "reserver", "andelar"}


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Return the top-level mapping of a YAML file, with Swedish errors for broken files."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise InputError("filen finns inte.", file=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("filen är inte UTF-8-kodad.", file=path) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"ogiltig YAML: {problem}.", file=path, row=row) from None
    if not isinstance(doc, dict):
        raise InputError("filen ska innehålla nycklar och värden (en YAML-mappning).", file=path)
    return doc


def load_sampling_settings(path: str | Path) -> dict[str, Any]:
    """Return the frame mapping and design of a protocol as one flat dict."""
    doc = load_yaml(path)
    settings: dict[str, Any] = {}
    for section, allowed in (("ram", FRAME_KEYS), ("urval", DESIGN_KEYS)):
        part = doc.get(section) or {}
        if not isinstance(part, dict):
            raise InputError(f'"{section}" ska vara en mappning av nycklar.', file=path)
        unknown = sorted(set(part) - allowed)
        if unknown:
            raise InputError(
                f'okänd nyckel i "{section}": ' + ", ".join(unknown)
                + ". Tillåtna: " + ", ".join(sorted(allowed)) + ".",
                file=path,
            )
        settings.update(part)
    if isinstance(settings.get("kolumner"), str):
        settings["kolumner"] = [c.strip() for c in settings["kolumner"].split(",") if c.strip()]
    return settings
