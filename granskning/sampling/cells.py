"""The header and cells of a frame: column names, missing columns, characters refused.

Every reader (CSV, XLSX, the parallel scan) checks its header with
:func:`check_header`, the columns a command names with :func:`check_columns`
(suggesting the closest name) and the cell text with :func:`check_text`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from granskning.errors import InputError, ManyInputErrors
from granskning.sampling.encoding import nfc

if TYPE_CHECKING:
    import pandas as pd

MAX_ERRORS = 20


def check_columns(path: Path, header: Sequence[str], wanted: Iterable[str], hint: str = "") -> None:
    """Raise InputError naming each wanted column missing from the header, with a suggestion."""
    missing = [c for c in dict.fromkeys(wanted) if c not in header]
    if not missing:
        return
    errors = []
    for col in missing:
        close = difflib.get_close_matches(col, list(header), n=1, cutoff=0.6)
        folded = [h for h in header if h.casefold() == col.casefold()]
        suggestion = folded[0] if folded else (close[0] if close else None)
        msg = "kolumnen finns inte i filen."
        if nfc(col) in header:
            suggestion = None
            msg = ("kolumnnamnet är skrivet med kombinerande tecken (Unicode NFD); skriv det med "
                   "vanliga å, ä och ö.")
        if suggestion:
            msg += f' Menade du "{suggestion}"?'
        msg += " Kolumner i filen: " + ", ".join(f'"{h}"' for h in header[:30])
        if len(header) > 30:
            msg += f" … ({len(header)} st)"
        msg += hint
        errors.append(InputError(msg, file=path, row=1, column=col))
    raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)


def check_header(path: Path, header: Sequence[str]) -> list[str]:
    """Return the cleaned column names; empty ones get a placeholder such as ``(kolumn 3)``.

    Exports often end their header with empty cells; those columns cannot be
    chosen but must not be mistaken for duplicates of each other.
    """
    cleaned = [unicodedata.normalize("NFC", str(h).strip().lstrip("\ufeff")) for h in header]
    if not any(cleaned):
        raise InputError(
            "rubrikraden är tom: den första raden ska innehålla kolumnnamnen (ta bort tomma rader "
            "ovanför dem).",
            file=path, row=1,
        )
    bad = next((i for i, name in enumerate(cleaned) if _CONTROL.search(name)), None)
    if bad is not None:
        raise InputError(
            f"rubriken i kolumn {bad + 1} innehåller ett styrtecken "
            f"({describe_char(_CONTROL.search(cleaned[bad]).group())}).",
            file=path, row=1,
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(cleaned):
        if not name:
            cleaned[i] = name = f"(kolumn {i + 1})"
        if name in seen:
            raise InputError(
                f"kolumnnamnet förekommer två gånger (kolumn {seen[name] + 1} och {i + 1}).",
                file=path, row=1, column=name,
            )
        seen[name] = i
    return cleaned



# Characters no case export means to contain: C0 controls other than tab, LF and CR,
# DEL and the C1 controls (they break the Excel workbook a draw writes, and are
# invisible on screen).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Also refused in ids and strata: line breaks, tabs and invisible characters, which
# make two values that look the same on screen different (or one value look like two).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\ufffd]")


def describe_char(ch: str) -> str:
    names = {"\t": "tabb", "\n": "radbrytning", "\r": "vagnretur (CR)", "\x00": "nolltecken",
             "\ufeff": "byte-order mark U+FEFF, osynligt", "\ufffd": "ersättningstecknet \ufffd"}
    return names.get(ch, f"U+{ord(ch):04X}" + (", osynligt" if ord(ch) >= 0x200B else ""))


def check_text(table: pd.DataFrame, name: str | Path, strict: Sequence[str] = ()) -> None:
    """Raise InputError at the first cell holding a control character.

    Columns in ``strict`` (ids and strata) also refuse tabs, line breaks and
    invisible characters such as U+FEFF and zero-width spaces.
    """
    for col in table.columns:
        values = table[col].to_numpy(dtype=object)
        pattern = _INVISIBLE if col in strict else _CONTROL
        if not values.size or pattern.search(" ".join(values)) is None:  # neither matches a space
            continue
        for row, value in zip(table.index, values, strict=True):
            m = pattern.search(value)
            if m:
                raise InputError(
                    f"värdet innehåller ett otillåtet tecken ({describe_char(m.group())}, "
                    f"tecken {m.start() + 1} i värdet). Ta bort det i filen och försök igen.",
                    file=name, row=int(row), column=str(col),
                )
