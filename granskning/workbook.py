"""Excel cells that hold text as text: no formula injection, no silent truncation.

openpyxl turns any string that starts with ``=`` into a live formula, and
strings such as ``#N/A`` into error values; a frame value ``=HYPERLINK(…)``
or a reviewer's answer ``=ja`` would then run in the reader's Excel (and be
lost on the way back: a formula written by openpyxl has no value).  It also
cuts a string to Excel's 32 767 characters without a word, and raises an
English error (quoting the value) for control characters.

:func:`append` checks and writes one row: a string that Excel cannot hold
whole is refused with a Swedish message naming the sheet, row and column
(never the value: it may be a personnummer).  :func:`save_workbook` is the
last step for every workbook the tool writes: every string cell is stored
as a string (data type ``s``), and a string that Excel would read as a
formula when edited (starting with ``=``, ``+``, ``-``, ``@``, tab or CR;
the OWASP list for CSV injection) gets Excel's "quote prefix" so that it
stays text when a user edits the cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from granskning.errors import InputError

__all__ = ["MAX_CELL", "MAX_UNPACKED", "append", "check_unpacked_size", "check_value",
           "save_workbook"]

MAX_CELL = 32_767  # characters Excel holds in one cell
MAX_UNPACKED = 100_000_000  # bytes of XML in a workbook we agree to parse (zip bombs)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # openpyxl's ILLEGAL_CHARACTERS_RE


SAMPLE_ADVICE = "Skriv till .json eller .csv i stället, eller ändra värdet i källan."


def check_value(value: Any, *, sheet: str, row: int, column: int | str,
                file: str | Path | None = None, advice: str = SAMPLE_ADVICE) -> None:
    """Raise InputError if ``value`` is a string Excel cannot hold exactly."""
    if not isinstance(value, str):
        return
    if len(value) > MAX_CELL:
        raise InputError(
            f"bladet {sheet}: värdet har {len(value)} tecken, fler än de {MAX_CELL} som en "
            f"Excel-cell rymmer; det skulle kortas av. Inget har skrivits. {advice}",
            file=file, row=row, column=_column_name(column))
    if _ILLEGAL.search(value):
        raise InputError(
            f"bladet {sheet}: värdet innehåller ett styrtecken som en Excel-cell inte kan "
            f"innehålla. Inget har skrivits. {advice}",
            file=file, row=row, column=_column_name(column))


def _column_name(column: int | str) -> str:
    if isinstance(column, int):
        from openpyxl.utils import get_column_letter

        return get_column_letter(column)
    return column


def append(ws: Any, values: Iterable[Any], *, file: str | Path | None = None,
           headers: list[str] | None = None, advice: str = SAMPLE_ADVICE) -> None:
    """Append ``values`` as the next row of ``ws`` after checking every string."""
    values = list(values)
    row = getattr(ws, "_current_row", 0) + 1  # where ws.append puts it (never ws.cell: it creates)
    for i, v in enumerate(values):
        name: int | str = headers[i] if headers and i < len(headers) else i + 1
        check_value(v, sheet=ws.title, row=row, column=name, file=file, advice=advice)
    ws.append(values)


def text_as_text(wb: Any) -> None:
    """Make every string cell of ``wb`` a plain string, never a formula or an error value."""
    for ws in wb.worksheets:
        for cells in ws.iter_rows():
            for cell in cells:
                value = cell.value
                if not isinstance(value, str):
                    continue
                if cell.data_type != "s":
                    cell.data_type = "s"
                if value.startswith(FORMULA_START):
                    cell.quotePrefix = True


def save_workbook(wb: Any, path: str | Path) -> None:
    """Save ``wb`` to ``path`` with every string cell stored as text (see module doc)."""
    import io

    text_as_text(wb)
    # Into memory first: openpyxl leaves its ZipFile open when a write fails (a full disk),
    # and its clean-up then prints a traceback.  A plain write reports the error once.
    buf = io.BytesIO()
    wb.save(buf)
    with open(path, "wb") as out:
        out.write(buf.getbuffer())


def check_unpacked_size(path: Path) -> None:
    """Refuse a workbook whose XML would unpack to more than MAX_UNPACKED bytes."""
    from zipfile import BadZipFile, ZipFile

    try:
        with ZipFile(path) as z:
            size = sum(info.file_size for info in z.infolist())
    except (BadZipFile, OSError):
        raise InputError("filen går inte att läsa som en Excel-arbetsbok (.xlsx)",
                         file=path) from None
    if size > MAX_UNPACKED:
        raise InputError(f"arbetsboken är för stor ({size // 1_000_000} MB uppackad; högst "
                         f"{MAX_UNPACKED // 1_000_000} MB): dela upp den", file=path)
