"""The granskningsrapport: built once from the audit's analysis, written as PDF and XLSX.

:func:`build` turns an audit in the store into a :class:`~granskning.report.document.Document`
with the structure of the inspectors' annual report (SEED-004): title page with
metadata, Sammanfattning with the key figures, Innehåll, then the chapters of
``reports/granskningsrapport.md`` in their order, filled from the analysis:
Metod och urval, Granskningsresultat, Likställighet, Jämställdhetsanalys, the
inspectors' own analysis (their Markdown file, as they wrote it) and the
checklist as an appendix.  Every number comes from the one
:class:`~granskning.analysis.analyse.Analysis` of the audit; :func:`write` renders the
same document as PDF (:mod:`granskning.report.pdf`) or workbook
(:mod:`granskning.report.xlsx`).

Secrecy: the document holds aggregates only (no case ids, names or
personnummer); with ``mask_below`` the tables get disclosure control
(:mod:`granskning.analysis.disclosure`): counts between 1 and the threshold − 1 are
withheld, and so are further figures from which they could be computed
(secondary suppression), in every table, sentence and chart alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.analysis.disclosure import protect_analysis
from granskning.audit.opened import open_audit
from granskning.audit.protocol import report_date
from granskning.errors import InputError
from granskning.files import atomic_write
from granskning.report.chapters import Contents, _named, _protocol_lists, _summary, chapters
from granskning.report.document import Block, Bullets, Chart, Document, Heading, Paragraph, Table
from granskning.report.jsonfile import write_json
from granskning.report.pdf import write_pdf
from granskning.report.text import escape, read_markdown
from granskning.report.xlsx import write_xlsx
from granskning.store.values import refuse_personnummer

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask
    from granskning.audit.opened import OpenedAudit
    from granskning.audit.protocol import Protocol
    from granskning.checklist.model import Checklist
    from granskning.store.database import Audit, Store

__all__ = ["ReportOptions", "build", "write"]


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the user chose on the command line."""

    analysis_text: Path | None = None
    mask_below: int | None = None
    subtitle: str | None = None
    interval: str = "beta"  # the design-based estimate's interval (granskning.analysis.estimation.INTERVALS)

    def __post_init__(self) -> None:
        if self.mask_below is not None and self.mask_below < 2:
            raise InputError(f"--maskera-under ska vara minst 2 (fick {self.mask_below}).")


# -- the analysis ---------------------------------------------------------------------


def analyse(store: Store, audit_id: int, checklist: Checklist | str | Path | None = None,
            interval: str = "beta") -> tuple[Analysis, OpenedAudit]:
    """Return the audit's analysis, opened as for ``granskning analys`` (:mod:`granskning.audit.opened`).

    A protocol with combined strata (district × sex) is analysed by its table
    stratum (the district); a protocol without a population claim gets no
    design-based estimate: the same tables and estimates as ``analys --granskning``.
    """
    opened = open_audit(store, audit_id, checklist)
    protocol = opened.protocol
    # The report's summary says itself that a protocol makes no population claim.
    return opened.analyse(store, explain=protocol is None or protocol.estimate, interval=interval), opened


def build(store: Store, audit_id: int, options: ReportOptions = ReportOptions(),
          checklist: Checklist | str | Path | None = None) -> Document:
    """Return the granskningsrapport of an audit as a document (the PDF's and workbook's content)."""
    audit = store.audit(audit_id)
    if audit.kind == "internkontroll":
        raise InputError(f"granskning {audit_id} är en internkontroll; skriv rapporten med --typ internkontroll.")
    analysis, opened = analyse(store, audit_id, checklist, options.interval)
    inspector_text = read_markdown(options.analysis_text, base_level=2) if options.analysis_text else None
    return document(analysis, opened.audit, opened.protocol, opened.checklist, options, inspector_text,
                    estimate=opened.estimate)


def document(analysis: Analysis, audit: Audit, protocol: Protocol | None, checklist: Checklist,
             options: ReportOptions, inspector_text: list[Block] | None, *, estimate: bool) -> Document:
    """Return the report document for an analysis (the part of :func:`build` after the database).

    ``estimate``: whether the audit's design allows a population estimate
    (:attr:`granskning.audit.opened.OpenedAudit.estimate`).
    """
    record = analysis.record or (dict(audit.sample_record) if audit.sample_record else None)
    tables, indicators, funnels, genders = _protocol_lists(analysis, protocol)
    if not analysis.random_sample:  # hand-picked cases: no tests, funnels or gender analysis
        funnels, genders = [], []
    column = protocol.strata[protocol.table_level] if protocol is not None and protocol.strata else None
    analysis = _named(analysis, column)
    mask = _mask(analysis, options.mask_below, tables, indicators, funnels, genders)
    blocks = chapters(Contents(analysis, protocol, checklist, record, tables, indicators, funnels, genders,
                               estimate, mask, inspector_text))
    report = protocol.report if protocol is not None else {}
    summary = _summary(analysis, protocol, record, tables, indicators, funnels, genders, estimate, mask)
    for w in analysis.warnings:
        summary.append(Paragraph(f"Observera: {escape(w)}", style="small"))
    return Document(title=protocol.title if protocol is not None else audit.title,
                    subtitle=options.subtitle or report.get("undertitel"),
                    metadata=tuple(_metadata(protocol, checklist)),
                    author=report.get("utgivare") or "granskning",
                    blocks=tuple(blocks), record=record, summary=tuple(summary),
                    disclosure=mask.to_json_dict() if mask is not None else None)


def _mask(analysis: Analysis, mask_below: int | None, tables: list[str], indicators: list[str],
          funnels: list[str], genders: list[str]) -> ReportMask | None:
    """Return the disclosure control of every figure the report prints (None without --maskera-under)."""
    if not mask_below:
        return None
    rated = [*indicators, *funnels, *(q for q in tables if q in analysis.indicators),
             *(q for q in analysis.numeric if q in analysis.indicators)]  # a tal question's troskel
    return protect_analysis(analysis, mask_below, tables, rated, genders)


def _metadata(protocol: Protocol | None, checklist: Checklist) -> list[tuple[str, str]]:
    """Return the title page's metadata: the protocol's report fields (or today), the checklist."""
    meta = []
    if protocol is not None:
        for key, label in (("diarienummer", "Dnr"), ("utgivningsdatum", "Utgivningsdatum"),
                           ("utgivare", "Utgivare"), ("kontaktperson", "Kontaktperson")):
            value = protocol.report.get(key) or (report_date(protocol) if key == "utgivningsdatum" else None)
            if value:
                meta.append((label, value))
    else:
        meta.append(("Utgivningsdatum", date.today().isoformat()))
    meta.append(("Checklista", f"{checklist.title}, version {checklist.version}"))
    return meta


def refuse_personnummer_in(doc: Document, path: str | Path | None = None) -> None:
    """Raise InputError when any text of the report holds a personnummer (nothing is written).

    The last guard before a report leaves the tool: title, subtitle, metadata,
    headings, paragraphs (the inspector's --analys-text too), lists, tables (title,
    headers, cells, note), chart captions and the draw record.
    """
    def check(value: Any, where: str, *, numbers: bool = True) -> None:
        refuse_personnummer(value, f"rapporten ({where})", file=path, numbers=numbers,
                            advice="rapporten skrivs inte. Ta bort numret ur indata")

    check([doc.title, doc.subtitle, doc.author], "titelsidan")
    check([list(m) for m in doc.metadata], "titelsidan")
    for block in (*doc.summary, *doc.blocks):
        if isinstance(block, Table):
            check([block.title, block.note], f'tabellen "{block.sheet}"')
            check(list(block.columns), f'tabellen "{block.sheet}", kolumnrubrikerna')
            check([list(r) for r in block.rows], f'tabellen "{block.sheet}"')
        elif isinstance(block, Paragraph | Heading):
            check(block.text, "texten")
        elif isinstance(block, Bullets):
            check(list(block.items), "en punktlista")
        elif isinstance(block, Chart):
            check(block.caption, "en diagramtext")
    if doc.record is not None:
        check(doc.record, "urvalsprotokollet", numbers=False)


def write(doc: Document, path: str | Path) -> Path:
    """Write the document as PDF, XLSX or JSON by the suffix of ``path`` (atomically) and return the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    refuse_personnummer_in(doc, path)
    if suffix == ".pdf":
        atomic_write(path, lambda tmp: write_pdf(doc, tmp))
    elif suffix == ".xlsx":
        atomic_write(path, lambda tmp: write_xlsx(doc, tmp))
    elif suffix == ".json":
        atomic_write(path, lambda tmp: write_json(doc, tmp))
    else:
        raise InputError(f"okänt rapportformat {path.suffix or '(inget)'}: skriv till .pdf, .xlsx eller .json.",
                         file=path)
    return path
