"""The internal-control summary as a report document (PDF and XLSX from the same tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from granskning.audit.internal_control import FULL, NOT_MET, PARTLY, summarise
from granskning.audit.opened import open_audit
from granskning.audit.protocol import report_date
from granskning.fmt import tal
from granskning.report.document import (
    Block,
    Bullets,
    Document,
    Heading,
    Paragraph,
    Table,
    unique_sheet,
)
from granskning.report.text import escape, standard_text
from granskning.report.timelimits import limits_of, register_section
from granskning.sampling.timelimits import sentence_of
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.audit.internal_control import InternalControlSummary
    from granskning.audit.protocol import Protocol
    from granskning.store.database import Store


def controls_table(s: InternalControlSummary, taken: set[str]) -> Table:
    """Return one row per control, in the words units use."""
    risks = {c.risk for c in s.controls}
    level = f"{tal(100 * (1 - risks.pop()), 0)} %" if len(risks) == 1 else "vald säkerhet"
    rows = []
    for c in s.controls:
        rows.append((f"{c.id} {c.title}", c.planned if c.planned is not None else "–", c.checked, c.deviations,
                     c.rate, c.upper_bound, c.tolerable, c.status))
    return Table(
        sheet=unique_sheet("Kontroller", taken), title="Resultat per kontroll",
        columns=("Kontroll", "Planerat", "Granskade", "Avvikelser", "Andel avvikelser",
                 f"Övre gräns ({level})", "Tolerabel", "Status"),
        kinds=("text", "count", "count", "count", "percent", "percent", "percent", "text"),
        rows=tuple(rows), first_column_width=0.28,
        note="Planerat och granskade: antal akter. Tolerabel: tolerabel avvikelse.",
    )


def survey_table(s: InternalControlSummary, taken: set[str]) -> Table:
    rows = [(f"{q.id}. {q.text}", q.yes, q.no, q.answered, q.rate) for q in s.survey]
    return Table(sheet=unique_sheet("Enkät", taken), title=f"Enkät: {s.survey_title}",
                 columns=("Fråga", "Ja", "Nej", "Svar", "Andel Ja"),
                 kinds=("text", "count", "count", "count", "percent"), rows=tuple(rows), first_column_width=0.6)


def reasons_table(s: InternalControlSummary, taken: set[str]) -> Table | None:
    rows = [(q.id, reason, k) for q in s.survey for reason, k in q.reasons]
    if not rows:
        return None
    return Table(sheet=unique_sheet("Enkät orsaker", taken), title="Orsaker som angavs vid svaret Nej",
                 columns=("Fråga", "Orsak", "Antal"), kinds=("text", "text", "count"), rows=tuple(rows),
                 first_column_width=0.12)


def document(s: InternalControlSummary, protocol: Protocol | None, *, subtitle: str | None = None) -> Document:
    """Return the internal-control summary as a report document."""
    taken: set[str] = set()
    counts = {st: sum(c.status == st for c in s.controls) for st in (FULL, PARTLY, NOT_MET)}
    summary: list[Block] = [Heading("Sammanfattning", 1), Paragraph(
        f"Internkontrollen omfattade {antal(len(s.controls), 'kontroll')}: {counts[FULL]} uppfylls helt, "
        f"{counts[PARTLY]} uppfylls delvis och {counts[NOT_MET]} uppfylls ej."
        + (f" Enkäten besvarades {antal(s.survey_respondents, 'gång')}." if s.survey_id is not None else ""))]
    summary.append(Bullets(tuple(escape(c.sentence()) for c in s.controls)))
    for limit in limits_of(s.record):
        summary.append(Paragraph(escape(f"Registret ({limit.get('namn') or 'tidsgräns'}): {sentence_of(limit)}")))
    summary.append(Paragraph("Texten ovan kan klistras in i tertialrapporten (T2) och "
                             "verksamhetsberättelsen (VB).", style="small"))
    blocks: list[Block] = []
    for title, standard in standard_text("internkontroll"):
        if title == "Enkät" and s.survey_id is None:
            continue
        blocks.append(Heading(title, 1))
        blocks.extend(standard)
        if title == "Kontroller":
            blocks.append(controls_table(s, taken))
            if s.record:
                blocks.append(Paragraph(
                    f"Akterna drogs slumpmässigt ur {antal(s.record.get('N_totalt', 0), 'ärende')} i enheten "
                    f"(seed {escape(str((s.record.get('design') or {}).get('seed')))}). Den övre gränsen "
                    "tar hänsyn till enhetens antal ärenden."))
            blocks += register_section(None, s.record, taken, None)
        elif title == "Enkät":
            blocks.append(survey_table(s, taken))
            reasons = reasons_table(s, taken)
            if reasons is not None:
                blocks.append(reasons)
    meta = []
    if protocol is not None:
        for key, label in (("enhet", "Enhet"), ("utgivare", "Utgivare"), ("kontaktperson", "Kontaktperson")):
            if protocol.report.get(key):
                meta.append((label, protocol.report[key]))
        meta.append(("Datum", report_date(protocol)))
    author = (protocol.report.get("enhet") or protocol.report.get("utgivare")) if protocol else None
    return Document(title=s.title, subtitle=subtitle or "Sammanställning av internkontroll",
                    metadata=tuple(meta), author=author or "granskning", blocks=tuple(blocks),
                    record=s.record, summary=tuple(summary))


def build(store: Store, audit_id: int, *, survey_id: int | None = None, subtitle: str | None = None
          ) -> tuple[Document, InternalControlSummary]:
    """Return (document, summary) of an internal control in the store."""
    opened = open_audit(store, audit_id)
    summary = summarise(store, audit_id, survey_id=survey_id, opened=opened)
    return document(summary, opened.protocol, subtitle=subtitle), summary


__all__ = ["build", "controls_table", "document", "reasons_table", "survey_table"]
