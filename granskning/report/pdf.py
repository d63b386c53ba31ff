"""Rendering a report :class:`~granskning.report.document.Document` as PDF with reportlab.

Typography a Swedish reader expects: DejaVu Sans embedded (it has å ä ö, "–",
"−", "±" and "≤"; reportlab's built-in Helvetica does not reliably), numbers in
Swedish format, tables that break across pages with the header row repeated,
charts rendered at 300 dpi, a table of contents with page numbers, PDF
bookmarks, page numbers in the footer and title/author metadata.

The font files come with matplotlib (a dependency: ``mpl-data/fonts/ttf``); the
Debian package ``fonts-dejavu-core`` (``/usr/share/fonts/truetype/dejavu``) is
the fallback.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from granskning import __version__
from granskning.analysis.numeric import show
from granskning.errors import GranskningError
from granskning.fmt import heltal, procent, tal
from granskning.report.document import Bullets, Chart, Document, Heading, Paragraph, Table
from granskning.report.text import escape
from granskning.wording import format_p

FONT = "DejaVuSans"
FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    f"{FONT}-Bold": "DejaVuSans-Bold.ttf",
    f"{FONT}-Oblique": "DejaVuSans-Oblique.ttf",
    f"{FONT}-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"))
DPI = 300
ACCENT = "#1f4e79"
GRID = "#b0b7bf"
HEAD_BG = "#e8edf3"


def font_dir() -> Path:
    """Return a directory holding the DejaVu Sans font files; GranskningError if there is none."""
    candidates = []
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf")
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    candidates += list(SYSTEM_FONT_DIRS)
    for d in candidates:
        if all((d / f).is_file() for f in FONT_FILES.values()):
            return d
    raise GranskningError(
        "typsnittet DejaVu Sans hittas inte (det följer med matplotlib). Installera om matplotlib "
        "eller Debian-paketet fonts-dejavu-core.")


def register_fonts() -> str:
    """Register DejaVu Sans (regular, bold, italic) with reportlab once; return the family name."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    d = font_dir()
    for name, file in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(d / file)))
    for bold, italic, name in ((0, 0, FONT), (1, 0, f"{FONT}-Bold"), (0, 1, f"{FONT}-Oblique"),
                               (1, 1, f"{FONT}-BoldOblique")):
        addMapping(FONT, bold, italic, name)
    return FONT


def styles() -> dict[str, Any]:
    """Return the paragraph styles of the report."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    f = register_fonts()
    base = ParagraphStyle("body", fontName=f, fontSize=10, leading=14.2, spaceAfter=6)
    accent = colors.HexColor(ACCENT)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=f"{f}-Bold", fontSize=26, leading=31,
                                textColor=accent, spaceAfter=14),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=14, leading=18, spaceAfter=28,
                                   textColor=colors.HexColor("#404040")),
        "meta": ParagraphStyle("meta", parent=base, fontSize=10.5, leading=15, spaceAfter=2),
        "h1": ParagraphStyle("h1", parent=base, fontName=f"{f}-Bold", fontSize=17, leading=21,
                             spaceBefore=4, spaceAfter=10, textColor=accent),
        "h2": ParagraphStyle("h2", parent=base, fontName=f"{f}-Bold", fontSize=12.5, leading=16,
                             spaceBefore=12, spaceAfter=6),
        "h3": ParagraphStyle("h3", parent=base, fontName=f"{f}-Bold", fontSize=10.5, leading=14,
                             spaceBefore=8, spaceAfter=4),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5,
                                textColor=colors.HexColor("#404040")),
        "quote": ParagraphStyle("quote", parent=base, leftIndent=18, rightIndent=18,
                                fontName=f"{f}-Oblique"),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8.5, leading=11, spaceBefore=2,
                                  spaceAfter=12, fontName=f"{f}-Oblique",
                                  textColor=colors.HexColor("#404040")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.6, leading=9.4, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontName=f"{f}-Bold", fontSize=7.6, leading=9.4,
                               spaceAfter=0),
        "toc1": ParagraphStyle("toc1", parent=base, fontName=f"{f}-Bold", fontSize=10.5, leading=16),
        "toc2": ParagraphStyle("toc2", parent=base, fontSize=9.5, leading=13, leftIndent=14),
    }


def nobreak(text: str) -> str:
    """Return text where a number never parts from its "%" or its thousands group at a line end."""
    import re

    text = re.sub(r"(\d) (?=\d{3}\b)", "\\1\u00a0", text)
    return re.sub(r"(\d) (%|procent)", "\\1\u00a0\\2", text)


def format_cell(value: Any, kind: str) -> str:
    """Return a cell value as Swedish text by its column kind (text, count, percent, number, p)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        return value
    if kind == "count":
        return heltal(int(value))
    if kind == "percent":
        return procent(float(value))
    if kind == "number":
        return tal(float(value), 1)
    if kind == "decimal":
        return show(float(value))
    if kind == "p":
        return format_p(float(value)).removeprefix("p = ")
    return str(value)


def _vertical(text: str, size: float):
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Flowable

    font = f"{FONT}-Bold"

    class Vertical(Flowable):
        """A header label written bottom to top, for tables with many columns."""

        def wrap(self, aw, ah):
            self.width = size * 1.35
            self.height = stringWidth(text, font, size) + 4
            return self.width, self.height

        def draw(self):
            c = self.canv
            c.saveState()
            c.setFont(font, size)
            c.rotate(90)
            c.drawString(2, -size * 1.0, text)
            c.restoreState()

    return Vertical()


def table_flowable(t: Table, width: float, st: dict[str, Any]):
    """Return a reportlab table for ``t``: header repeated on each page, Total rows bold."""
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph as P
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    n = len(t.columns)
    vertical = n > 9
    first = width * t.first_column_width
    if n > 1 and all(k == "text" for k in t.kinds):  # text tables: widths by content
        lengths = [max([len(str(c))] + [len(str(r[i])) for r in t.rows]) for i, c in enumerate(t.columns)]
        rest = width - first
        weights = [min(60, max(6, v)) for v in lengths[1:]]
        widths = [first] + [rest * w / sum(weights) for w in weights]
    else:
        widths = [first] + [(width - first) / (n - 1)] * (n - 1) if n > 1 else [width]
    head = []
    for i, c in enumerate(t.columns):
        if vertical and i > 0:
            head.append(_vertical(c, 7.2))
        else:
            head.append(P(escape(c), st["head"]))
    body = []
    for r_i, row in enumerate(t.rows):
        style = st["head"] if r_i in t.total_rows else st["cell"]
        cells = []
        for value, kind in zip(row, t.kinds, strict=True):
            text = nobreak(format_cell(value, kind))
            cells.append(P(escape(text), style) if kind == "text" else text)  # plain strings are drawn as is
        body.append(cells)
    table = RLTable([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    cmds = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 7.6),
        ("LEADING", (0, 0), (-1, -1), 9.4),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEAD_BG)),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(ACCENT)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor(GRID)),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, kind in enumerate(t.kinds):
        if kind != "text":
            cmds.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
            if vertical:
                cmds.append(("ALIGN", (i, 0), (i, 0), "CENTER"))
    for r in t.total_rows:
        cmds.append(("FONTNAME", (0, r + 1), (-1, r + 1), f"{FONT}-Bold"))
        cmds.append(("LINEABOVE", (0, r + 1), (-1, r + 1), 0.6, colors.HexColor("#404040")))
    table.setStyle(TableStyle(cmds))
    return table


def chart_flowable(chart: Chart, width: float):
    """Return the chart rendered at 300 dpi as an image ``width`` points wide."""
    from PIL import Image as PILImage
    from reportlab.platypus import Image

    fig = chart.draw()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    w, h = fig.get_size_inches()
    buf.seek(0)
    rgb = io.BytesIO()  # no alpha channel: reportlab need not write a soft mask for every chart
    PILImage.open(buf).convert("RGB").save(rgb, format="PNG")
    rgb.seek(0)
    shown = width * chart.width
    return Image(rgb, width=shown, height=shown * h / w)


def _doc_class():
    from reportlab.platypus import BaseDocTemplate

    class ReportDoc(BaseDocTemplate):
        """A document that feeds headings to the table of contents and the PDF outline."""

        _outline_level = -1

        def afterFlowable(self, flowable):
            level = getattr(flowable, "_toc_level", None)
            if level is None:
                return
            level = min(level, self._outline_level + 1)  # the outline cannot skip a level
            self._outline_level = level
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level, closed=level > 0)
            if level <= 1:
                self.notify("TOCEntry", (level, flowable.getPlainText(), self.page, key))

    return ReportDoc


class _Story:
    """The flowables of a document in order; a heading waits for the block it belongs to."""

    def __init__(self, st: dict[str, Any], width: float) -> None:
        self.st = st
        self.width = width
        self.flowables: list[Any] = []
        self.pending: list[Any] = []

    def add(self, *flowables: Any, together: bool = True) -> None:
        """Append flowables, kept on one page with the waiting heading."""
        from reportlab.platypus import KeepTogether

        # One flat KeepTogether: reportlab puts a nested KeepTogether on a page of its own.
        group = [*self.pending, *flowables]
        self.pending.clear()
        if together and len(group) > 1:
            self.flowables.append(KeepTogether(group))
        else:
            self.flowables.extend(group)

    def flush(self) -> None:
        """Append a heading still waiting for its block."""
        self.flowables.extend(self.pending)
        self.pending.clear()

    def title_page(self, doc: Document) -> None:
        """Append the title page: title, subtitle and the metadata table."""
        from reportlab.lib.units import mm
        from reportlab.platypus import NextPageTemplate, PageBreak, Spacer, TableStyle
        from reportlab.platypus import Paragraph as P
        from reportlab.platypus import Table as RLTable

        st, width = self.st, self.width
        story = self.flowables
        story += [Spacer(1, 55 * mm), P(escape(doc.title), st["title"])]
        if doc.subtitle:
            story.append(P(escape(doc.subtitle), st["subtitle"]))
        else:
            story.append(Spacer(1, 18))
        meta = [[P(f"<b>{escape(k)}:</b>", st["meta"]), P(escape(v), st["meta"])] for k, v in doc.metadata]
        if meta:
            mt = RLTable(meta, colWidths=[42 * mm, width - 42 * mm], hAlign="LEFT")
            mt.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("FONTNAME", (0, 0), (-1, -1), FONT)]))
            story.append(mt)
        story += [NextPageTemplate("normal"), PageBreak()]

    def contents(self) -> None:
        """Append the table of contents on a page of its own."""
        from reportlab.platypus import PageBreak, TableStyle
        from reportlab.platypus import Paragraph as P
        from reportlab.platypus.tableofcontents import TableOfContents

        st = self.st
        self.flowables += [PageBreak(), P("Innehåll", st["h1"])]
        toc = TableOfContents(dotsMinLevel=0)
        toc.levelStyles = [st["toc1"], st["toc2"]]
        toc.tableStyle = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0), ("FONTNAME", (0, 0), (-1, -1), FONT)])
        self.flowables.append(toc)
        self.flowables.append(PageBreak())

    def render(self, blocks) -> None:
        """Append the blocks, each by its kind."""
        for b in blocks:
            if isinstance(b, Heading):
                self.heading(b)
            elif isinstance(b, Paragraph):
                self.paragraph(b)
            elif isinstance(b, Bullets):
                self.bullets(b)
            elif isinstance(b, Table):
                self.table(b)
            elif isinstance(b, Chart):
                self.chart(b)

    def heading(self, b: Heading) -> None:
        """Start a chapter on a new page, a section where there is room; the heading waits."""
        from reportlab.lib.units import mm
        from reportlab.platypus import CondPageBreak, PageBreak
        from reportlab.platypus import Paragraph as P

        story = self.flowables
        if self.pending:
            story.extend(self.pending)
            self.pending.clear()
        if b.level == 1 and story and not isinstance(story[-1], PageBreak):
            story.append(PageBreak())
        elif b.level > 1:
            story.append(CondPageBreak(40 * mm))
        p = P(escape(b.text), self.st[f"h{min(b.level, 3)}"])
        if b.toc:
            p._toc_level = b.level - 1
        self.pending.append(p)

    def paragraph(self, b: Paragraph) -> None:
        from reportlab.platypus import Paragraph as P

        self.add(P(nobreak(b.text), self.st.get(b.style, self.st["body"])))

    def bullets(self, b: Bullets) -> None:
        from reportlab.platypus import ListFlowable, ListItem
        from reportlab.platypus import Paragraph as P

        items = [ListItem(P(nobreak(i), self.st["body"]), leftIndent=14, bulletColor="#404040")
                 for i in b.items]
        self.add(ListFlowable(items, bulletType="bullet", start="•", leftIndent=14,
                              bulletFontName=FONT, bulletFontSize=9))

    def table(self, b: Table) -> None:
        from reportlab.platypus import Paragraph as P
        from reportlab.platypus import Spacer

        st = self.st
        flow = table_flowable(b, self.width, st)
        parts = []
        if b.title and b.title != b.columns[0]:
            parts.append(P(f"<b>{escape(b.title)}</b>", st["small"]))
        parts.append(flow)
        if b.note:
            parts.append(P(escape(b.note), st["small"]))
        parts.append(Spacer(1, 8))
        if len(b.rows) <= 14:
            self.add(*parts)
        else:  # long tables break across pages, the header row repeated
            self.add(parts[0])
            self.flowables.extend(parts[1:])

    def chart(self, b: Chart) -> None:
        from reportlab.platypus import Paragraph as P

        self.add(chart_flowable(b, self.width), P(escape(b.caption), self.st["caption"]))


def _flowables(doc: Document, st: dict[str, Any], width: float) -> list[Any]:
    story = _Story(st, width)
    story.title_page(doc)
    story.render(doc.summary)
    story.flush()
    story.contents()
    story.render(doc.blocks)
    story.flush()
    return story.flowables


def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write ``doc`` as an A4 PDF to ``path`` and return the path."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Frame, PageTemplate

    st = styles()
    margin_x, top, bottom = 22 * mm, 22 * mm, 22 * mm
    width = A4[0] - 2 * margin_x

    def footer(canvas, d) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawCentredString(A4[0] / 2, 12 * mm, str(d.page))
        short = doc.title if len(doc.title) <= 90 else doc.title[:89] + "…"
        canvas.drawString(margin_x, A4[1] - 12 * mm, short)
        canvas.setStrokeColor(colors.HexColor(GRID))
        canvas.setLineWidth(0.4)
        canvas.line(margin_x, A4[1] - 13.5 * mm, A4[0] - margin_x, A4[1] - 13.5 * mm)
        canvas.restoreState()

    def title_page(canvas, d) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(ACCENT))
        canvas.rect(0, A4[1] - 18 * mm, A4[0], 18 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(f"{FONT}-Bold", 11)
        canvas.drawString(margin_x, A4[1] - 11.5 * mm, doc.author)
        canvas.restoreState()

    frame = Frame(margin_x, bottom, width, A4[1] - top - bottom, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    cls = _doc_class()
    pdf = cls(
        str(path), pagesize=A4, leftMargin=margin_x, rightMargin=margin_x, topMargin=top,
        bottomMargin=bottom, title=doc.title, author=doc.author,
        subject=doc.subtitle or "Granskningsrapport", creator=f"granskning {__version__}",
        keywords="granskning; socialtjänst; endast antal och andelar", lang="sv-SE",
        initialFontName=FONT, initialFontSize=10,  # no page refers to a font that is not embedded
    )
    pdf.addPageTemplates([PageTemplate("title", [frame], onPage=title_page),
                          PageTemplate("normal", [frame], onPage=footer)])
    pdf.multiBuild(_flowables(doc, st, width))
    return Path(path)
