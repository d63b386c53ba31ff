"""Writing a report :class:`~granskning.report.document.Document` as an XLSX workbook.

Every table of the document gets its own sheet with a bold header row, frozen
panes, counts as whole numbers and proportions as Excel percentages (the cell
holds the fraction 0.25 shown as 25,0 %), so the workbook shows exactly the
numbers of the PDF.  The draw record (urvalsprotokoll) gets the last sheet.
"""

from __future__ import annotations

from pathlib import Path

from granskning.analysis.output import cell_value, record_sheet
from granskning.report.document import Document, Table
from granskning.workbook import save_workbook

FORMATS = {"count": "0", "percent": "0.0 %", "number": "0.0", "p": "0.000"}


def _table_sheet(ws, t: Table, bold) -> None:
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([t.title])
    ws["A1"].font = bold
    ws.append(list(t.columns))
    fill = PatternFill("solid", fgColor="E8EDF3")
    for cell in ws[2]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    for i, row in enumerate(t.rows):
        ws.append([cell_value(v) for v in row])
        for cell, kind in zip(ws[ws.max_row], t.kinds, strict=True):
            if kind in FORMATS and isinstance(cell.value, (int, float)):
                cell.number_format = FORMATS[kind]
            elif isinstance(cell.value, str) and kind != "text":
                cell.alignment = Alignment(horizontal="right")
            if i in t.total_rows:
                cell.font = bold
    if t.note:
        ws.append([])
        ws.append([t.note])
    for i, col in enumerate(t.columns, start=1):
        values = [len(str(r[i - 1])) for r in t.rows[:200]]
        width = max([min(len(col), 30)] + values) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 70 if i == 1 else 40)
    ws.freeze_panes = "B3"


def write_xlsx(doc: Document, path: str | Path) -> Path:
    """Write every table of ``doc`` on its own sheet, then the draw record; return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = doc.title
    wb.properties.creator = doc.author
    wb.properties.keywords = "Endast antal och andelar; sekretess enligt OSL gäller akterna."
    names = set()
    for t in doc.tables():
        if t.sheet.casefold() in names:
            raise ValueError(f"two tables share the sheet name {t.sheet!r}")
        names.add(t.sheet.casefold())
        _table_sheet(wb.create_sheet(t.sheet), t, bold)
    if doc.record:
        record_sheet(wb.create_sheet("Urvalsprotokoll"), doc.record, bold, title="Urvalsprotokoll")
    for ws in wb.worksheets:
        ws.oddFooter.center.text = "Sida &P av &N"
    save_workbook(wb, path)
    return Path(path)
