"""The document model shared by the PDF and the workbook.

A report is built once as a :class:`Document`: metadata and sections of blocks
(paragraphs, bullet lists, tables, charts).  The PDF renders every block; the
workbook writes every :class:`Table` of the same document on its own sheet.
Both read the same cell values, so the two can never disagree.

Table cells hold numbers (int or float) or text; a cell withheld by disclosure
control (:mod:`granskning.analysis.disclosure`) is :data:`SUPPRESSED`, the text ``".."``
that the PDF and the workbook print as it is and the JSON writes as null.  Each column has a kind
that says how a number is shown: ``count`` (heltal), ``percent`` (a fraction
shown as "25,0 %"), ``number`` (one decimal), ``decimal`` (as many decimals as
it has, at most two: a median 29,5 or a quartile 555,25), ``p`` (p-value) or ``text``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KINDS = ("text", "count", "percent", "number", "decimal", "p")


@dataclass(frozen=True, slots=True)
class Table:
    """A table as printed: a title, column headers and kinds, rows of cells."""

    sheet: str  # the workbook sheet name (≤ 31 characters, unique in a document)
    title: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str | None = None
    total_rows: tuple[int, ...] = ()  # row indices printed in bold (Total)
    first_column_width: float = 0.3  # share of the text width for the first column

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.kinds):
            raise ValueError("one kind per column")
        for kind in self.kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown column kind {kind!r}")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"row {row!r} does not have {len(self.columns)} cells")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Running text; ``style`` is body, small or quote.  Markup: <b>, <i> only (escaped otherwise)."""

    text: str
    style: str = "body"


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart drawn when rendered (matplotlib figure factory), with a caption."""

    draw: Callable[[], Figure] = field(compare=False)
    caption: str
    width: float = 1.0  # share of the text width


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int  # 1 chapter, 2 section, 3 subsection
    toc: bool = True


Block = Table | Paragraph | Bullets | Chart | Heading


@dataclass(frozen=True, slots=True)
class Document:
    """A whole report: metadata for the title page and PDF properties, then blocks in order."""

    title: str
    subtitle: str | None
    metadata: tuple[tuple[str, str], ...]  # (label, value) on the title page
    author: str
    blocks: tuple[Block, ...]
    record: dict[str, Any] | None = None  # the draw record, written to the workbook
    summary: tuple[Block, ...] = ()  # Sammanfattning, on the title page's heels
    disclosure: dict[str, Any] | None = None  # the disclosure control applied (None: none)

    def tables(self) -> list[Table]:
        """Return every table of the document, in order."""
        return [b for b in (*self.summary, *self.blocks) if isinstance(b, Table)]


def unique_sheet(name: str, taken: set[str]) -> str:
    """Return a valid, unique Excel sheet name based on ``name`` and add it to ``taken``."""
    base = "".join(ch for ch in name if ch not in "[]:*?/\\").strip()[:31] or "Tabell"
    out, k = base, 2
    while out.casefold() in taken:
        out = f"{base[:27]} ({k})"
        k += 1
    taken.add(out.casefold())
    return out


class Suppressed(str):
    """A withheld cell: prints as ``..`` (the symbol of official statistics for a figure not shown)."""

    __slots__ = ()

    def __new__(cls) -> Suppressed:
        return super().__new__(cls, "..")


SUPPRESSED = Suppressed()
SUPPRESSED_NOTE = (".. = uppgiften visas inte (sekretess): antalet är mindre än gränsen eller skulle "
                   "kunna räknas fram ur andra siffror i rapporten.")


def suppressed(value: Any) -> bool:
    """Return True for a withheld cell."""
    return isinstance(value, Suppressed)
