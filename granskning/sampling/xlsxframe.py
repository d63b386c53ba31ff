"""Reading a frame from an Excel workbook (.xlsx): zip-bomb check, sheet, cells as text."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from granskning.errors import InputError
from granskning.sampling.cells import check_columns, check_header, check_text
from granskning.sampling.encoding import nfc

if TYPE_CHECKING:
    import pandas as pd

_BROKEN_XLSX = (
    "filen kunde inte läsas som Excel-arbetsbok (.xlsx): den är skadad eller ingen arbetsbok. "
    "Öppna den i Excel och spara den på nytt, eller spara ramen som CSV."
)
MAX_XLSX_UNPACKED = 1_000_000_000  # bytes of XML in a frame workbook (a full sheet is ~300 MB)
MAX_XLSX_RATIO = 300  # unpacked/packed of one large part; real sheets compress 5-30 times


def check_xlsx_size(path: Path | str, data: bytes) -> None:
    """Refuse a workbook that would unpack to more than we agree to parse (a zip bomb)."""
    from zipfile import BadZipFile, ZipFile

    try:
        with ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (BadZipFile, OSError, ValueError):
        raise InputError(_BROKEN_XLSX, file=path) from None
    size = sum(i.file_size for i in infos)
    if size > MAX_XLSX_UNPACKED:
        raise InputError(
            f"arbetsboken packas upp till {size // 1_000_000} MB, mer än de "
            f"{MAX_XLSX_UNPACKED // 1_000_000} MB en ram får vara. Spara ramen som CSV "
            "eller dela upp den.",
            file=path,
        )
    for info in infos:
        if info.file_size > 10_000_000 and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f'delen "{info.filename}" packas upp {info.file_size // max(info.compress_size, 1)} '
                "gånger (en så hög packningsgrad har ingen riktig arbetsbok; filen kan vara en "
                "zip-bomb). Öppna den i Excel och spara som ny arbetsbok eller som CSV.",
                file=path,
            )


def read_excel(
    path: Path, data: bytes, sheet: str | None, usecols: Sequence[str] | None
) -> tuple[pd.DataFrame, str]:
    import pandas as pd
    from openpyxl import load_workbook

    check_xlsx_size(path, data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InputError(_BROKEN_XLSX, file=path) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            sheet_name = names[0]
        elif sheet in names:
            sheet_name = sheet
        else:
            raise InputError(
                f'bladet "{sheet}" finns inte. Blad i filen: ' + ", ".join(f'"{n}"' for n in names),
                file=path,
            )
        ws = wb[sheet_name]
        try:
            raw_header = next(ws.iter_rows(max_row=1, values_only=True))
        except StopIteration:
            raise InputError(f'bladet "{sheet_name}" är tomt.', file=path) from None
        width = len(raw_header)
        while width and (raw_header[width - 1] is None or str(raw_header[width - 1]).strip() == ""):
            width -= 1
        # max_col: a sheet with one far-away cell (XFD) would pad every row to 16 384 cells
        rows = ws.iter_rows(min_row=2, max_col=max(width, 1), values_only=True)
        header = check_header(path, ["" if h is None else str(h) for h in raw_header[:width]])
        if usecols is not None:
            check_columns(path, header, usecols)
            positions = sorted({header.index(c) for c in usecols})
        else:
            positions = list(range(width))
        records = []
        index = []
        for n, r in enumerate(rows, start=2):
            # a row is blank when every cell is, not only the cells read
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in r):
                continue
            records.append([_cell_text(r[p]) if p < len(r) else "" for p in positions])
            index.append(n)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl parses lazily: broken XML shows up here
        raise InputError(_BROKEN_XLSX, file=path) from None
    finally:
        wb.close()
    table = pd.DataFrame(records, columns=[header[p] for p in positions], dtype=object)
    table.index = pd.Index(index, dtype="int64", name="rad")
    check_text(table, path.name)
    return table, sheet_name


def _cell_text(value: object) -> str:
    """Return an Excel cell as the text a user sees (dates as ISO, 12.0 as 12)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return nfc(text)
