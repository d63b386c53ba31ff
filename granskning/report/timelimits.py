"""The register's time limits in the granskningsrapport, beside the sample's judgement.

A protocol's ``tidsgranser:`` are measured over the whole frame at ``granskning ny``
(:func:`granskning.audit.protocol_run.register_limits`) and stored in the sample
record; this module reads them from there (the frame is not needed again) and
writes a Sammanfattning item per limit, such as "Registret: 78,9 % inom 14 dagar
(2 583 av 3 272 ärenden, hela populationen)", and a section in
Granskningsresultat with one table per limit.  When the limit names the checklist
question that judges the same limit (``fraga``), the sample's share is shown
beside the register's, overall and per stratum.

Disclosure control (``--maskera-under``): the register's within/over counts per
stratum are protected like any two-way table (:func:`granskning.analysis.disclosure.table_problem`);
a withheld row shows ``..`` for its counts and share.  The sample's shares follow the
analysis' own mask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from granskning.analysis.disclosure import protect, table_problem
from granskning.fmt import heltal, procent, tal
from granskning.report.document import (
    SUPPRESSED,
    SUPPRESSED_NOTE,
    Block,
    Heading,
    Paragraph,
    Table,
    unique_sheet,
)
from granskning.report.text import escape
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask

__all__ = ["limits_of", "register_section", "summary_items"]


def limits_of(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the register's time limits stored in a sample record (``[]`` when none)."""
    limits = (record or {}).get("tidsgranser") or []
    return [lim for lim in limits if isinstance(lim, dict) and isinstance(lim.get("totalt"), dict)]


def _label(lim: dict[str, Any]) -> str:
    return lim.get("namn") or f"Högst {antal(lim['dagar'], 'dag', 'dagar')} från {lim['fran']} till {lim['till']}"


def _sample(analysis: Analysis | None, lim: dict[str, Any], mask: ReportMask | None,
            stratum: str | None = None):
    """Return the sample's Proportion for the limit's question (None when not shown)."""
    qid = lim.get("fraga")
    ind = analysis.indicators.get(qid) if qid and analysis is not None else None
    if ind is None or (mask is not None and mask.rate(qid, stratum)):
        return None
    p = ind.result.overall if stratum is None else ind.result.per_stratum.get(stratum)
    return p if p is not None and p.nobs else None


def summary_items(analysis: Analysis, record: dict[str, Any] | None, mask: ReportMask | None) -> list[str]:
    """Return one Sammanfattning item per limit: the register's share and, if judged, the sample's."""
    items = []
    for lim in limits_of(record):
        t = lim["totalt"]
        names = list(lim.get("per_stratum") or {})
        if any(_withheld(lim, names, mask).get(len(names), (False, False))):
            continue  # the register's total is withheld in the table: not printed here either
        if not t.get("bedomda"):
            text = (f"Registret: ingen av {antal(t['antal'], 'ärende')} kunde bedömas mot "
                    f"gränsen {lim['dagar']} dagar (datum saknas)")
        else:
            text = (f"Registret: {procent(t['andel'])} inom {lim['dagar']} dagar ({heltal(t['inom'])} av "
                    f"{antal(t['bedomda'], 'ärende')}, hela populationen)")
        if t.get("saknar_datum"):
            text += f"; {heltal(t['saknar_datum'])} saknade datum"
        p = _sample(analysis, lim, mask)
        if p is not None:  # named like every sample figure: what is counted, beside the number
            counted = analysis.indicators[lim["fraga"]].counted
            text += (f". De granskade ärendena (fråga {lim['fraga']}) – andel {counted}: {heltal(p.count)} av "
                     f"{heltal(p.nobs)} ({procent(p.estimate)})")
        items.append(f"{escape(_label(lim))} – {escape(text)}.")
    return items


def register_section(analysis: Analysis | None, record: dict[str, Any] | None, taken: set[str],
                     mask: ReportMask | None) -> list[Block]:
    """Return the section "Tidsgränser i registret": an explanation and a table per limit."""
    limits = limits_of(record)
    if not limits:
        return []
    blocks: list[Block] = [
        Heading("Tidsgränser i registret", 2),
        Paragraph("Tidsgränserna nedan är räknade ur ärendeförteckningen för hela populationen, inte "
                  "bara för urvalet: antalet kalenderdagar från det första datumet till det andra, där "
                  "den sista dagen räknas som inom gränsen. Ärenden som saknar något av datumen, eller "
                  "där det andra datumet ligger före det första, ingår inte i andelen. Siffrorna är en "
                  "totalundersökning och har ingen felmarginal."),
    ]
    for lim in limits:
        blocks.append(_table(analysis, lim, taken, mask))
    return blocks


def _withheld(lim: dict[str, Any], names: list[str], mask: ReportMask | None) -> dict[int, tuple[bool, bool]]:
    """Return, per row (strata in order, then the total as ``len(names)``), whether its within/over
    counts and whether its number of judged cases are withheld under the report's threshold."""
    if mask is None or not names:
        return {}
    counts = [[lim["per_stratum"][s]["inom"], lim["per_stratum"][s]["over"]] for s in names]
    p = protect(table_problem(counts, fixed_columns=False), mask.threshold)
    out = {i: (p.hidden(("cell", i, 0), ("cell", i, 1)), p.hidden(("row", i))) for i in range(len(names))}
    out[len(names)] = (p.hidden(("col", 0), ("col", 1)), p.hidden(("total",)))
    return {i: v for i, v in out.items() if any(v)}


def _table(analysis: Analysis | None, lim: dict[str, Any], taken: set[str], mask: ReportMask | None) -> Table:
    names = list(lim.get("per_stratum") or {})
    hidden = _withheld(lim, names, mask)
    with_sample = analysis is not None and lim.get("fraga") in analysis.indicators
    rows = []
    for i, name in enumerate([*names, None]):
        f = lim["totalt"] if name is None else lim["per_stratum"][name]
        counts, size = hidden.get(i, (False, False))
        row: list[Any] = [
            "Totalt" if name is None else name,
            SUPPRESSED if size else f["antal"],
            SUPPRESSED if size else f["bedomda"],
            SUPPRESSED if counts or size else f["inom"],
            SUPPRESSED if counts or size else (f["andel"] if f["andel"] is not None else "–"),
            f["median_dagar"] if f["median_dagar"] is not None else "–",
            f["saknar_datum"],
        ]
        if with_sample:
            p = _sample(analysis, lim, mask, name)
            row.append(p.estimate if p is not None else "–")
        rows.append(tuple(row))
    columns = [lim.get("strata") or "", "Ärenden", "Bedömda", f"Inom {lim['dagar']} dagar", "Andel inom",
               "Median dagar", "Saknar datum"]
    kinds = ["text", "count", "count", "count", "percent", "number", "count"]
    if with_sample:
        columns.append("Urvalet: andel")
        kinds.append("percent")
    t = lim["totalt"]
    note = (f"Ramen {lim['ram']['fil']}" + (f", filter: {lim['filter']}" if lim.get("filter") else "")
            + f". Kvartiler för hela populationen: {_quartiles(t)} dagar.")
    if t.get("negativa"):
        note += (f" {antal(t['negativa'], 'ärende')} hade {lim['till']} före {lim['fran']} (fel i registret) "
                 "och ingår inte.")
    if with_sample:
        note += f" Urvalet: andelen enligt fråga {lim['fraga']} i de granskade ärendena."
    if hidden:
        note += " " + SUPPRESSED_NOTE
    return Table(sheet=unique_sheet(f"Tidsgräns {lim['dagar']} d", taken), title=_label(lim),
                 columns=tuple(columns), kinds=tuple(kinds), rows=tuple(rows), note=note,
                 total_rows=(len(rows) - 1,), first_column_width=0.3)


def _quartiles(f: dict[str, Any]) -> str:
    q = f.get("kvartiler_dagar")
    return f"{tal(q[0], 1)}–{tal(q[1], 1)}" if q else "–"
