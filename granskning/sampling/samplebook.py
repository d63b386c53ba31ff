"""Writing a drawn sample to XLSX (sheets Urval, Reserver, Urvalsprotokoll), CSV or JSON,
and the short summary of a draw; reading it back (``urval --verifiera``, ``ny --urval``,
``lista``) is in :mod:`granskning.sampling.stored`.

Files are written through :mod:`granskning.files`: all or nothing (a CSV
sample and its ``.protokoll.json`` together), Swedish errors for a full or
read-only disk, no temporary file left behind.

**Integrity.**  Everything a later step reads (the record, and every cell of
the sample and reserve lists and of the excluded ids) is written in one
canonical text form (:func:`canonical_text`), and the SHA-256 of that content
is stored in the record as ``innehall_sha256``.  Reading a sample
(:func:`read_stored`) recomputes it from what is in the file, checks that the
record's visible rows on the sheet Urvalsprotokoll still say what the record
says, and that every case's stratum, weight and inclusion probability agree
with the record's allocation.  ``urval --verifiera`` reports any difference;
``ny --urval`` and ``lista`` refuse such a file.  ``urval --verifiera`` also
re-draws the sample from the frame and compares every column.

**Excel.**  Every string is written as text, never as a formula (see
:mod:`granskning.workbook`).  A value longer than an Excel cell holds
(32 767 characters) is refused for .xlsx with a message naming the cell; JSON
and CSV hold it whole.  The record (JSON) is split over as many cells as it
needs, so hundreds of strata fit.

**CSV** holds the values exactly as drawn, without any quoting against
spreadsheet formulas: it is a data-exchange format whose ids must match the
frame to the character.  A CSV value starting with ``=`` can therefore act as a
formula if the file is opened in a spreadsheet program; write .xlsx to read the
sample in Excel.  Its record travels beside it as ``<namn>.protokoll.json``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.files import atomic_write, atomic_write_many
from granskning.fmt import heltal
from granskning.sampling.stored import (
    CONTENT_KEY,
    RECORD_JSON_LABEL,
    RECORD_JSON_MORE,
    SAMPLE_FORMAT,
    SECRECY,
    TYPE_COLUMN,
    Stored,
    content_digest,
    read_stored,
    record_path_for,
    table_rows,
    visible_rows,
)
from granskning.wording import antal
from granskning.workbook import append, save_workbook

if TYPE_CHECKING:
    import pandas as pd

    from granskning.sampling.design import Sample

__all__ = ["SECRECY", "Stored", "atomic_write", "output_format", "read_stored", "record_path_for",
           "summary_text", "write_sample"]

FORMATS = ("xlsx", "csv", "json")
JSON_CHUNK = 30_000  # characters of the record per cell (an Excel cell holds 32 767)


def output_format(path: Path) -> str:
    """Return the output format implied by the file name's suffix."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(
            f"okänt filformat \"{path.suffix or '(inget)'}\" för --ut; använd .xlsx, .csv eller .json.",
            file=path,
        )
    return fmt



def _sealed_record(sample: Sample) -> dict[str, Any]:
    record = {k: v for k, v in sample.record.items() if k != CONTENT_KEY}
    record["format"] = max(int(record.get("format", 1)), SAMPLE_FORMAT)
    record[CONTENT_KEY] = content_digest(
        record, table_rows(sample.cases), table_rows(sample.reserves), sample.excluded_ids)
    return record


# -- writing ------------------------------------------------------------------------------


def write_sample(sample: Sample, path: str | Path) -> str:
    """Write the sample in the format given by the suffix of ``path``; return the format."""
    path = Path(path)
    fmt = output_format(path)
    record = _sealed_record(sample)
    if fmt == "csv":  # a CSV cannot hold the record: it travels beside it as JSON
        # The record, and the ids excluded with --uteslut (real ids: they stay beside the CSV
        # and never enter the record, which ny copies into the database).
        text = json.dumps({"urvalsprotokoll": record, "uteslutna": list(sample.excluded_ids)},
                          ensure_ascii=False, indent=2)
        atomic_write_many([
            (record_path_for(path), lambda tmp: tmp.write_text(text, encoding="utf-8")),
            (path, lambda tmp: _write_csv(sample, tmp)),
        ])
    elif fmt == "json":
        atomic_write(path, lambda tmp: _write_json(sample, record, tmp))
    else:
        wb = _build_xlsx(sample, record, path)  # checks every cell before anything is written
        atomic_write(path, lambda tmp: save_workbook(wb, tmp))
    return fmt



def _build_xlsx(sample: Sample, record: dict[str, Any], path: Path) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    wb.properties.title = "Urval"
    wb.properties.creator = f"granskning {sample.record['version']}"
    wb.properties.keywords = SECRECY

    ws = wb.active
    ws.title = "Urval"
    _table_sheet(ws, sample.cases, {"Inklusionssannolikhet": "0.0000", "Vikt": "0.00"}, path, bold)
    _table_sheet(wb.create_sheet("Reserver"), sample.reserves, {}, path, bold)
    _record_sheet(wb.create_sheet("Urvalsprotokoll"), record, path, bold)
    if sample.excluded_ids:
        ws = wb.create_sheet("Uteslutna")
        append(ws, [sample.design.id_column], file=path)
        ws["A1"].font = bold
        for v in sample.excluded_ids:
            append(ws, [v], file=path, headers=[sample.design.id_column])
    return wb


def _table_sheet(ws: Any, df: pd.DataFrame, formats: dict[str, str], path: Path, bold: Any) -> None:
    """Fill sheet Urval or Reserver: a bold header, one row per case, widths, filter."""
    from openpyxl.utils import get_column_letter

    headers = [str(c) for c in df.columns]
    append(ws, headers, file=path)
    for cell in ws[1]:
        cell.font = bold
    for row in df.itertuples(index=False):
        append(ws, [_py(v) for v in row], file=path, headers=headers)
    for i, col in enumerate(df.columns, start=1):
        letter = get_column_letter(i)
        if col in formats:
            for cell in ws[letter][1:]:
                cell.number_format = formats[col]
        width = max([len(str(col))] + [len(str(v)) for v in df[col].head(500)]) + 2
        ws.column_dimensions[letter].width = min(max(width, 10), 50)
    ws.freeze_panes = "A2"
    if len(df):
        ws.auto_filter.ref = ws.dimensions
    ws.oddHeader.center.text = SECRECY
    ws.oddFooter.center.text = "Sida &P av &N"


def _record_sheet(ws: Any, record: dict[str, Any], path: Path, bold: Any) -> None:
    """Fill sheet Urvalsprotokoll: the visible rows, then the record (JSON) in chunks."""
    from openpyxl.styles import Alignment, Font

    in_strata = False
    for values in visible_rows(record):
        if not values:
            ws.append([])
            continue
        append(ws, values, file=path)
        ws.cell(ws.max_row, 1).font = bold
        if values[0] == "Stratum":
            in_strata = True
            for cell in ws[ws.max_row]:
                cell.font = bold
        elif in_strata and values[0] != "Totalt":
            ws.cell(ws.max_row, 1).font = Font()
            ws.cell(ws.max_row, 6).number_format = "0.0000"
    ws.cell(1, 2).font = bold
    ws.append([])
    text = json.dumps(record, ensure_ascii=False)
    for i in range(0, max(len(text), 1), JSON_CHUNK):
        ws.append([RECORD_JSON_LABEL if i == 0 else RECORD_JSON_MORE, text[i:i + JSON_CHUNK]])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 90
    for row in ws.iter_rows(min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=False, vertical="top")


def _py(value: Any) -> Any:
    """Return a plain Python value for openpyxl (numpy scalars -> int/float, NaN -> None)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _csv_columns(sample: Sample) -> list[str]:
    cols = [str(c) for c in sample.cases.columns]
    cols += [str(c) for c in sample.reserves.columns if str(c) not in cols]
    return [*cols, TYPE_COLUMN]


def _write_csv(sample: Sample, path: Path) -> None:
    columns = _csv_columns(sample)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        w = csv.writer(out, delimiter=";", lineterminator="\r\n")
        w.writerow(columns)
        for rows, kind in ((table_rows(sample.cases), "urval"), (table_rows(sample.reserves), "reserv")):
            for r in rows:
                w.writerow([r.get(c, "") if c != TYPE_COLUMN else kind for c in columns])


def _write_json(sample: Sample, record: dict[str, Any], path: Path) -> None:
    def records(df: pd.DataFrame) -> list[dict[str, Any]]:
        cols = [str(c) for c in df.columns]
        return [dict(zip(cols, (_py(v) for v in row), strict=True)) for row in df.itertuples(index=False)]

    doc = {
        "urval": records(sample.cases),
        "reserver": records(sample.reserves),
        "uteslutna": list(sample.excluded_ids),
        "urvalsprotokoll": record,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False), encoding="utf-8")



def summary_text(sample: Sample) -> str:
    """Return a short Swedish summary of the draw for the terminal."""
    rec = sample.record
    strata = rec["strata"]
    width = max([len("Stratum")] + [len(s["stratum"]) for s in strata])
    lines = [
        f"Ram: {rec['ram']['fil']} ({rec['ram']['format']}), {antal(rec['rader_lasta'], 'rad')} {'läst' if rec['rader_lasta'] == 1 else 'lästa'}, "
        f"{heltal(rec['rader_efter_filter'])} efter filter"
        + (f", {heltal(rec['uteslutna']['antal'])} uteslutna" if rec["uteslutna"]["antal"] else "")
        + ".",
        f"Seed: {rec['design']['seed']}   Algoritm: {rec['algoritm']}",
        "",
        f"{'Stratum':<{width}}  {'N':>9}  {'n':>5}  {'reserver':>8}",
    ]
    for s in strata:
        flag = "  (tas helt: färre ärenden än n)" if s["tas_helt"] else ""
        lines.append(f"{s['stratum']:<{width}}  {heltal(s['N']):>9}  {s['n']:>5}  {s['reserver']:>8}{flag}")
    lines.append(f"{'Totalt':<{width}}  {heltal(rec['N_totalt']):>9}  {rec['n_totalt']:>5}")
    return "\n".join(lines)
