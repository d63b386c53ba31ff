"""Writing a report :class:`~granskning.report.document.Document`'s tables as one JSON object.

The same cells as the PDF and the workbook: counts as JSON integers, proportions
as fractions, text as text.  A cell withheld by disclosure control is ``null``
and listed in the table's ``"maskerade"`` as ``[rad, kolumn]`` (0-based, over
``"rader"``), so that a reader can tell a withheld figure from one that does
not exist ("–" is text).  ``"undertryckning"`` states the rule applied.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from granskning.report.document import SUPPRESSED_NOTE, Document, Table, suppressed


def _cell(value: Any) -> Any:
    if suppressed(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is not None and not isinstance(value, (int, float, str, bool)):
        return str(value)
    return value


def table_json(t: Table) -> dict[str, Any]:
    """Return one table as a JSON-able dict."""
    hidden = [[i, j] for i, row in enumerate(t.rows) for j, v in enumerate(row) if suppressed(v)]
    return {
        "blad": t.sheet, "titel": t.title, "kolumner": list(t.columns), "typer": list(t.kinds),
        "rader": [[_cell(v) for v in row] for row in t.rows],
        "summarader": list(t.total_rows), "maskerade": hidden, "not": t.note,
    }


def document_json(doc: Document) -> dict[str, Any]:
    """Return the document's title, disclosure control and tables as a JSON-able dict."""
    control = None
    if doc.disclosure is not None:
        control = {**doc.disclosure, "symbol": "..", "forklaring": SUPPRESSED_NOTE}
    return {"titel": doc.title, "undertitel": doc.subtitle, "metadata": dict(doc.metadata),
            "undertryckning": control, "tabeller": [table_json(t) for t in doc.tables()]}


def write_json(doc: Document, path: str | Path) -> Path:
    """Write the document's tables as JSON (UTF-8) and return the path."""
    Path(path).write_text(json.dumps(document_json(doc), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Path(path)
