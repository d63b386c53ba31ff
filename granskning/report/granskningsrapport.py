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

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.fmt import heltal, procent, procentenheter, tal
from granskning.report.document import (
    SUPPRESSED,
    SUPPRESSED_NOTE,
    Block,
    Bullets,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    unique_sheet,
)
from granskning.report.text import escape, inline, read_markdown, standard_text
from granskning.wording import antal, level_text

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask
    from granskning.audit.opened import OpenedAudit
    from granskning.audit.protocol import Protocol
    from granskning.checklist.model import Checklist
    from granskning.store.database import Audit, Store

__all__ = ["ReportOptions", "build", "write"]

STRATUM_WORDS = {"stadsdel": ("stadsdelsförvaltning", "stadsdelsförvaltningar", "Stadsdelsförvaltning")}


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


def _words(column: str | None) -> tuple[str, str, str]:
    base = (column or "stratum").split(" × ")[0]
    return STRATUM_WORDS.get(base, ("stratum", "strata", base[:1].upper() + base[1:]))


def _ci(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "saknas"
    return f"{tal(100 * low, 1)}–{tal(100 * high, 1)} %"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- the analysis ---------------------------------------------------------------------


def analyse(store: Store, audit_id: int, checklist: Checklist | str | Path | None = None,
            interval: str = "beta") -> tuple[Analysis, OpenedAudit]:
    """Return the audit's analysis, opened as for ``granskning analys`` (:mod:`granskning.audit.opened`).

    A protocol with combined strata (district × sex) is analysed by its table
    stratum (the district); a protocol without a population claim gets no
    design-based estimate: the same tables and estimates as ``analys --granskning``.
    """
    from granskning.audit.opened import open_audit

    opened = open_audit(store, audit_id, checklist)
    protocol = opened.protocol
    # The report's summary says itself that a protocol makes no population claim.
    return opened.analyse(store, explain=protocol is None or protocol.estimate, interval=interval), opened


# -- tables ---------------------------------------------------------------------------


WIDE = 12  # more strata than this: strata as rows (a long table), no bar chart per stratum
LABELLED = 30  # more strata than this: funnel points without names


def _note(*parts: str | None) -> str | None:
    return " ".join(p for p in parts if p) or None


def _hide(value: Any, hidden: bool) -> Any:
    return SUPPRESSED if hidden else value


def likstallighet_table(analysis: Analysis, qid: str, taken: set[str], mask: ReportMask | None) -> Table:
    """Return a question's counts in the published layout (strata as columns, Total).

    With more than ``WIDE`` strata the table is turned: strata as rows, so that
    it breaks across pages with the header repeated instead of running off the page.
    """
    t = analysis.tables[qid]
    counts = t.counts
    total = analysis.total_label
    if counts.shape[1] - 1 > WIDE:
        return _long_table(analysis, qid, taken, mask)
    rows = []
    for category, row in counts.iterrows():
        cells = [int(v) for v in row.to_numpy()]
        if mask is not None and category != total:
            cells = [_hide(v, mask.cell(qid, category, s)) for v, s in zip(cells[:-1], counts.columns[:-1],
                                                                            strict=True)]
            cells.append(_hide(int(row.to_numpy()[-1]), mask.row_total(qid, category)))
        rows.append((str(category), *cells))
    hidden = mask is not None and mask.table_any(qid)
    return Table(
        sheet=unique_sheet(f"{qid} {t.text}", taken),
        title=t.text,
        columns=(t.text, *map(str, counts.columns)),
        kinds=("text",) + ("count",) * len(counts.columns),
        rows=tuple(rows),
        total_rows=(len(rows) - 1,),
        note=_note("Flera svar möjliga: summan kan bli större än antalet ärenden." if t.multiple else None,
                   SUPPRESSED_NOTE if hidden else None),
        first_column_width=0.22 if len(counts.columns) > 6 else 0.4,
    )


def _long_table(analysis: Analysis, qid: str, taken: set[str], mask: ReportMask | None) -> Table:
    t = analysis.tables[qid]
    turned = t.counts.T
    total = analysis.total_label
    rows = []
    for stratum, row in turned.iterrows():
        values: list[Any] = [int(v) for v in row.to_numpy()]
        if mask is not None:
            if stratum != total:
                values = [*(_hide(v, mask.cell(qid, c, stratum)) for v, c in zip(values[:-1], turned.columns[:-1],
                                                                                 strict=True)), values[-1]]
            else:
                values = [*(_hide(v, mask.row_total(qid, c)) for v, c in zip(values[:-1], turned.columns[:-1],
                                                                            strict=True)), values[-1]]
        rows.append((str(stratum), *values))
    hidden = mask is not None and mask.table_any(qid)
    word = _words(analysis.strata_column)[2]
    return Table(
        sheet=unique_sheet(f"{qid} {t.text}", taken), title=t.text,
        columns=(word, *map(str, turned.columns)), kinds=("text",) + ("count",) * turned.shape[1],
        rows=tuple(rows), total_rows=(len(rows) - 1,),
        note=_note("Flera svar möjliga: summan kan bli större än antalet ärenden." if t.multiple else None,
                   SUPPRESSED_NOTE if hidden else None),
        first_column_width=0.3,
    )


def indicator_table(analysis: Analysis, ids: list[str], taken: set[str], estimate: bool,
                    mask: ReportMask | None = None) -> Table:
    """Return the city-level rate of each indicator with its interval (and the design estimate)."""
    from granskning.analysis.estimation import INTERVAL_NAMES

    level = tal(100 * (1 - analysis.alpha), 0)
    with_est = estimate and any(analysis.indicators[q].result.estimate is not None for q in ids)
    columns = ["Indikator", "Räknas i täljaren", "Täljare", "Nämnare", "Andel", "KI nedre", "KI övre"]
    kinds = ["text", "text", "count", "count", "percent", "percent", "percent"]
    note = f"KI = {level} % konfidensintervall (Wilson) för andelen i de granskade ärendena."
    if with_est:
        columns += ["Skattad andel", "Skattad KI nedre", "Skattad KI övre"]
        kinds += ["percent", "percent", "percent"]
        note += (" Skattad andel gäller hela populationen: designvägd (N/n) med ändlighetskorrektion och "
                 f"intervall enligt {INTERVAL_NAMES[analysis.interval]}.")
    rows = []
    hidden_any = False
    for qid in ids:
        ind = analysis.indicators[qid]
        o = ind.result.overall
        num, den = (mask.numerator(qid), mask.denominator(qid)) if mask is not None else (False, False)
        row: list[Any] = [f"{qid}. {ind.text}", ind.counted, _hide(o.count, num), _hide(o.nobs, den),
                          *(_hide(v, num or den) for v in (_nan(o.estimate), _nan(o.low), _nan(o.high)))]
        hidden_any = hidden_any or num or den
        if with_est:
            e = ind.result.estimate
            # The design-weighted rate weighs each stratum's rate by its N (printed in the strata
            # table): with one stratum's numerator withheld it would give that numerator back.
            hide = mask is not None and mask.rates_any(qid)
            hidden_any = hidden_any or (hide and e is not None)
            row += ([_hide(v, hide) for v in (_nan(e.estimate), _nan(e.low), _nan(e.high))]
                    if e is not None else ["–", "–", "–"])
        rows.append(tuple(row))
    note = _note(note, SUPPRESSED_NOTE if hidden_any else None)
    return Table(sheet=unique_sheet("Indikatorer", taken), title="Indikatorer för staden",
                 columns=tuple(columns), kinds=tuple(kinds), rows=tuple(rows), note=note,
                 first_column_width=0.24 if with_est else 0.4)


def _nan(x: float) -> float | str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def per_stratum_table(analysis: Analysis, qid: str, taken: set[str], mask: ReportMask | None) -> Table:
    """Return one indicator's rate per stratum with interval and funnel position."""
    ind = analysis.indicators[qid]
    level = tal(100 * (1 - analysis.alpha), 0)
    pos = {}
    if ind.funnel is not None:
        for r in ind.funnel.points.itertuples(index=False):
            pos[(r.stratum, round(float(r.level), 4))] = r.position
    word = _words(analysis.strata_column)[2]
    rows = []
    items = [*ind.result.per_stratum.items(), (analysis.total_label, ind.result.overall)]
    hidden_any = False
    for stratum, p in items:
        key = None if stratum == analysis.total_label else stratum
        num, den = (mask.numerator(qid, key), mask.denominator(qid, key)) if mask is not None else (False, False)
        hidden_any = hidden_any or num or den
        rows.append((stratum, _hide(p.count, num), _hide(p.nobs, den),
                     *(_hide(v, num or den) for v in (_nan(p.estimate), _nan(p.low), _nan(p.high),
                                                      pos.get((stratum, 0.95), ""), pos.get((stratum, 0.998), "")))))
    return Table(
        sheet=unique_sheet(f"{qid} per {word.lower()}", taken),
        title=f"{ind.text} – andel {ind.counted} per {word.lower()}",
        columns=(word, f"Täljare ({ind.counted})", "Nämnare", f"Andel {ind.counted}", f"{level} % KI nedre",
                 f"{level} % KI övre",
                 "Tratt 95 %", "Tratt 99,8 %"),
        kinds=("text", "count", "count", "percent", "percent", "percent", "text", "text"),
        rows=tuple(rows), total_rows=(len(rows) - 1,), first_column_width=0.28,
        note=SUPPRESSED_NOTE if hidden_any else None,
    )


def gender_table(analysis: Analysis, qid: str, taken: set[str], mask: ReportMask | None) -> Table:
    """Return girls' and boys' (women's and men's) rates by age band and in total for one indicator."""
    ind = analysis.indicators[qid]
    g = ind.result.gender
    w = g.words
    rows = []
    bands = g.band_table

    def hidden(band: Any, sex: str, which: str) -> bool:
        return mask is not None and mask.gender(qid, band, sex, which)

    for band in dict.fromkeys(bands["band"]):
        part = bands[bands["band"] == band].set_index("sex")
        cells: list[Any] = [band]
        for sex in (w.female_one, w.male_one):
            x, n = int(part.at[sex, "numerator"]), int(part.at[sex, "denominator"])
            hx, hn = hidden(band, sex, "x"), hidden(band, sex, "n")
            cells += [_hide(x, hx), _hide(n, hn), _hide(_nan(x / n if n else math.nan), hx or hn)]
        rows.append(tuple(cells))
    last: list[Any] = ["Samtliga"]
    for sex, p in ((w.female_one, g.girls), (w.male_one, g.boys)):
        hx, hn = hidden(None, sex, "x"), hidden(None, sex, "n")
        last += [_hide(p.count, hx), _hide(p.nobs, hn), _hide(_nan(p.estimate), hx or hn)]
    rows.append(tuple(last))
    F, M = w.female[:1].upper() + w.female[1:], w.male[:1].upper() + w.male[1:]
    return Table(
        sheet=unique_sheet(f"{qid} {w.pair}", taken),
        title=f"{ind.text} – andel {ind.counted}, {w.pair} per åldersgrupp",
        columns=("Åldersgrupp", f"{F} täljare", f"{F} nämnare", f"Andel {w.female}",
                 f"{M} täljare", f"{M} nämnare", f"Andel {w.male}"),
        kinds=("text", "count", "count", "percent", "count", "count", "percent"),
        rows=tuple(rows), total_rows=(len(rows) - 1,), first_column_width=0.2,
        note=SUPPRESSED_NOTE if mask is not None and mask.gender_any(qid) else None,
    )


def strata_table(record: dict[str, Any], column: str | None, taken: set[str], estimate: bool) -> Table:
    """Return the strata with population N, sample n, weight and (if claimed) margin of error."""
    from granskning.sampling.precision import margin_of_error

    word = _words(column)[2]
    rows = []
    for s in record["strata"]:
        margin = margin_of_error(s["n"], population=s["N"]).margin if s["n"] and s["N"] > 1 else math.nan
        row: list[Any] = [s["stratum"], s["N"], s["n"], s["N"] / s["n"] if s["n"] else "–"]
        if estimate:
            row.append(_nan(margin))
        rows.append(tuple(row))
    total: list[Any] = ["Totalt", record["N_totalt"], record["n_totalt"], "", ]
    if estimate:
        total.append("")
    rows.append(tuple(total))
    columns = [word, "Population (N)", "Urval (n)", "Vikt (N/n)"]
    kinds = ["text", "count", "count", "number"]
    if estimate:
        columns.append("Felmarginal ±")
        kinds.append("percent")
    return Table(sheet=unique_sheet("Urval", taken), title="Population och urval per stratum",
                 columns=tuple(columns), kinds=tuple(kinds), rows=tuple(rows), total_rows=(len(rows) - 1,),
                 first_column_width=0.34,
                 note="Felmarginalen (i procentenheter) gäller en andel nära 50 % med 95 % konfidens och ändlighetskorrektion."
                 if estimate else None)


def checklist_table(checklist: Checklist, area, taken: set[str]) -> Table:
    """Return one area of the checklist: id, question, answers and when the question is asked."""
    from granskning.checklist.render import TYPE_WORDS, condition_words

    rows = []
    for q in area.questions:
        answers = ", ".join(q.choices) if q.choices else TYPE_WORDS.get(q.type, q.type)
        extra = []
        if q.hindrances:
            extra.append("hinder: " + ", ".join(q.hindrances))
        if q.not_applicable:
            extra.append("ej tillämpligt: " + ", ".join(q.not_applicable))
        if q.indicator and q.numerator_categories:
            extra.append("indikator, räknas i täljaren: " + q.counted)
        if extra:
            answers += " (" + "; ".join(extra) + ")"
        when = condition_words(q.condition) if q.condition is not None else "alltid"
        rows.append((q.id, q.text.strip(), answers, when))
    return Table(sheet=unique_sheet(f"Checklista {area.title}", taken), title=area.title,
                 columns=("Id", "Fråga", "Svar", "Ställs när"), kinds=("text",) * 4, rows=tuple(rows),
                 first_column_width=0.08)


# -- sections ------------------------------------------------------------------------


def _margin_text(record: dict[str, Any], column: str | None, per_stratum: int | None) -> list[Block]:
    import pandas as pd

    from granskning.sampling.precision import margin_of_error, stratified_margin

    n = record["n_totalt"]
    one, many, _ = _words(column)
    city = margin_of_error(n)
    lo, hi = 0.5 - city.margin, 0.5 + city.margin
    out = [Paragraph(
        f"Sett till hela urvalet om {heltal(n)} slumpvis {'valt ärende' if n == 1 else 'valda ärenden'} ger materialet en skattning "
        f"av hela populationen med en felmarginal om cirka ±{procentenheter(city.margin)} (95 % "
        f"konfidens, för en andel nära 50 %). Det betyder att om hälften av ärendena i urvalet har en "
        f"viss egenskap ligger den verkliga andelen i populationen med 95 % säkerhet mellan cirka "
        f"{tal(100 * lo, 0)} och {tal(100 * hi, 0)} procent.")]
    strata = record.get("strata") or []
    if len(strata) > 1:
        sizes = [s["n"] for s in strata]
        smallest = min(sizes)
        per = margin_of_error(max(1, smallest))
        same = "" if len(set(sizes)) > 1 else f" ({antal(smallest, 'ärende')} per {one})"
        out.append(Paragraph(
            f"För en enskild {one}{same} är felmarginalen cirka ±{procentenheter(per.margin)}. "
            f"Resultaten per {one} ska därför inte läsas som skattningar för respektive {one}, utan "
            f"som underlag för jämförelser och dialog."))
        table = pd.DataFrame([{"stratum": s["stratum"], "N": s["N"], "n": s["n"]} for s in strata if s["N"]])
        if len(table) > 1 and (table["n"] > 0).all():
            st = stratified_margin(table)
            out.append(Paragraph(
                f"Eftersom {many} är olika stora men har fått lika många ärenden i urvalet vägs "
                f"resultaten med designvikter (N/n) när de skattas för hela populationen. Felmarginalen "
                f"för en sådan vägd skattning är cirka ±{procentenheter(st.margin)} (designeffekt "
                f"{tal(st.design_effect, 2)})." if len({s['n'] for s in strata}) == 1 and table["N"].nunique() > 1 else
                f"Resultaten vägs med designvikter (N/n) när de skattas för hela populationen; "
                f"felmarginalen för en sådan skattning är cirka ±{procentenheter(st.margin)} "
                f"(designeffekt {tal(st.design_effect, 2)})."))
    return out


def _record_text(record: dict[str, Any], protocol: Protocol | None) -> list[Block]:
    from granskning.audit.protocol_run import show_fingerprint

    when = str(record.get("tidpunkt", ""))[:10]
    ram = record.get("ram") or {}
    sha = str(ram.get("sha256") or "")
    shown_sha = " ".join(sha[i:i + 4] for i in range(0, 16, 4)) + " …" if sha else "–"
    seed = (record.get("design") or {}).get("seed")
    fp = record.get("fingeravtryck")
    text = (f"Urvalet drogs {when} med startvärdet (seed) {escape(str(seed))} och algoritmen "
            f"{escape(str(record.get('algoritm')))} ur ramfilen {escape(str(ram.get('fil')))} "
            f"({antal(record.get('rader_lasta', 0), 'rad')}, varav {heltal(record.get('rader_efter_filter', 0))} "
            f"i populationen efter avgränsningen; ramfilens SHA-256 börjar {shown_sha}).")
    out = [Paragraph(text)]
    if fp:
        name = (record.get("protokoll") or {}).get("fil") or "PROTOKOLL"
        out.append(Paragraph(f"<b>Urvalets fingeravtryck: {show_fingerprint(fp)}</b>"))
        out.append(Paragraph(
            "Vem som helst med samma ramfil kan kontrollera urvalet utan att se ett enda ärende-id: "
            f"kör <i>granskning ny {escape(name)} --ram RAMFIL --kontrollera-urval</i>. Samma "
            "fingeravtryck betyder att exakt samma ärenden och reserver dras; en ändrad ramfil, ett "
            "annat startvärde eller en annan design ger ett annat fingeravtryck."))
    else:
        out.append(Paragraph(
            "Urvalet kontrolleras med urvalsarbetsboken och samma ramfil: kör <i>granskning urval "
            f"--verifiera urval.xlsx {escape(str(ram.get('fil')))}</i>."))
    filt = (record.get("design") or {}).get("filter")
    if filt:
        out.append(Paragraph(f"Populationen avgränsades med villkoret <i>{escape(str(filt))}</i>."))
    return out


def _indicator_sentence(analysis: Analysis, qid: str, mask: ReportMask | None = None) -> str:
    ind = analysis.indicators[qid]
    o = ind.result.overall
    level = tal(100 * (1 - analysis.alpha), 0)
    if mask is not None and mask.rate(qid):
        return "<b>Andel:</b> redovisas inte (sekretess: för få ärenden)."
    if o.nobs == 0:
        return f"{escape(ind.text)}: inga ärenden i nämnaren."
    table = analysis.tables.get(qid)
    left = ""
    if table is not None and not table.multiple:
        answered = int(table.counts.iloc[-1, -1])
        if answered > o.nobs:
            left = (f" {antal(answered - o.nobs, 'ärende')} med hinder eller där frågan inte var tillämplig "
                    "räknas inte i nämnaren.")
    return (f"<b>Andel {escape(ind.counted)}:</b> {heltal(o.count)} av {antal(o.nobs, 'ärende')} "
            f"({procent(o.estimate)}, "
            f"{level} % konfidensintervall {_ci(o.low, o.high)}).{left}")


def _homogeneity_sentence(analysis: Analysis, qid: str, mask: ReportMask | None = None) -> str:
    from granskning.wording import format_p, significant, simulation_borderline

    ind = analysis.indicators[qid]
    h = ind.result.homogeneity
    one, many, _ = _words(analysis.strata_column)
    if len(analysis.strata) < 2:
        return f"Med en enda {one} finns inga skillnader mellan {many} att pröva."
    if h is None or math.isnan(h.statistic):
        return f"Skillnaden mellan {many} kan inte prövas (för få ärenden i nämnaren)."
    how = (f"p-värdet beräknat med Monte Carlo-simulering, {antal(h.n_sim, 'simulering')}, seed {h.seed}"
           if h.method == "monte-carlo" else "p-värdet från chi-två-fördelningen")
    borderline = h.method == "monte-carlo" and simulation_borderline(h.p, h.n_sim, analysis.alpha)
    if borderline:
        verdict = f"Skillnaderna mellan {many} är ett gränsfall"
    elif significant(h.p, analysis.alpha):
        verdict = f"Skillnaderna mellan {many} är statistiskt säkerställda"
    else:
        verdict = f"Testet kunde inte påvisa några skillnader mellan {many}"
    if mask is not None and mask.rates_any(qid):
        # The statistic is a function of the withheld counts and could give them back.
        return f"{verdict} (chi-två-test; teststorheten redovisas inte eftersom antal är undertryckta)."
    close = ""
    if borderline:
        close = (f" P-värdet ligger så nära {tal(analysis.alpha, 2)} att ett annat startvärde för "
                 "simuleringen kan ge ett p-värde på andra sidan gränsen; skillnaderna kallas därför inte "
                 "statistiskt säkerställda, men kan inte heller avfärdas.")
    return (f"{verdict} (chi-två {tal(h.statistic, 2)} med {antal(h.df, 'frihetsgrad')}, "
            f"{format_p(h.p, analysis.alpha)}; {how}; Cramérs V {tal(h.cramers_v, 2)}).{close}")


def _shown(mask: ReportMask | None, qid: str, names: list[str]) -> list[str]:
    """Return the strata whose rate is printed (a withheld rate is not placed in the funnel either)."""
    return [s for s in names if mask is None or not mask.rate(qid, s)]


def _funnel_sentence(analysis: Analysis, qid: str, mask: ReportMask | None = None) -> str:
    f = analysis.indicators[qid].funnel
    if f is None or len(analysis.strata) < 2:
        return ""
    parts = []
    for level in f.levels:
        out = f.outside(level)
        names = ([f"{s} (över)" for s in _shown(mask, qid, out["over"])]
                 + [f"{s} (under)" for s in _shown(mask, qid, out["under"])])
        label = f"{tal(100 * level, 1 if (100 * level) % 1 else 0)} %"
        parts.append(f"utanför {label}-gränserna: {', '.join(names) if names else 'ingen'}")
    tail = ""
    if mask is not None and mask.rates_any(qid):
        _, many, _ = _words(analysis.strata_column)
        tail = f" {many[:1].upper() + many[1:]} med undertryckta antal ingår inte i uppräkningen."
    counted = escape(analysis.indicators[qid].counted)
    centre = ("" if mask is not None and mask.rate(qid)
              else f"Genomsnittet för staden (andel {counted}) är {procent(f.centre)}. ")
    return f"{centre}I trattdiagrammet ligger " + "; ".join(parts) + "." + tail


def _summary(analysis: Analysis, protocol: Protocol | None, record: dict[str, Any] | None,
             tables: list[str], indicators: list[str], funnels: list[str], genders: list[str],
             estimate: bool = True, mask: ReportMask | None = None) -> list[Block]:
    # ``estimate``: OpenedAudit.estimate (True for an audit without a protocol, as here by default).
    from granskning.sampling.precision import margin_of_error

    one, many, _ = _words(analysis.strata_column)
    n, k = analysis.n_cases, len(analysis.strata)
    blocks: list[Block] = [Heading("Sammanfattning", 1)]
    first = f"Granskningen omfattade {antal(n, 'ärende')}"
    if k > 1:
        sizes = [s["n"] for s in (record or {}).get("strata", [])]
        per = f", {sizes[0]} per {one}" if sizes and len(set(sizes)) == 1 and not (
            protocol and len(protocol.strata) > 1) else ""
        first += f" i {k} {many}{per}"
    first += "."
    if record and protocol is not None and estimate:
        first += (f" Urvalet drogs slumpmässigt ur {antal(record['N_totalt'], 'ärende')} och ger för "
                  f"hela populationen en felmarginal om cirka ±{procentenheter(margin_of_error(n).margin)}.")
    elif protocol is not None and not estimate:
        first += (" Urvalet gör inte anspråk på att skatta hela populationen; andelarna gäller de "
                  "granskade ärendena.")
    blocks.append(Paragraph(first))
    items = []
    for qid in tables:
        t = analysis.tables[qid]
        total_col = t.counts.columns[-1]
        body = t.counts.drop(index=analysis.total_label)[total_col]
        answered = int(t.counts.loc[analysis.total_label, total_col])
        if answered == 0 or t.multiple or qid in indicators:
            continue
        tops = [str(k) for k in body.index[body == body.max()]]
        top = tops[0]
        if mask is not None and any(mask.row_total(qid, k) for k in tops):
            continue
        if len(tops) > 1:  # a tie: no single answer was the most common
            names = ", ".join(f"<i>{escape(k)}</i>" for k in tops[:-1]) + f" och <i>{escape(tops[-1])}</i>"
            items.append(f"{escape(_short(t.text))}: vanligast var {names}, "
                         f"{heltal(int(body.max()))} av {heltal(answered)} var "
                         f"({procent(body.max() / answered)} var).")
            continue
        items.append(f"{escape(_short(t.text))}: vanligast var <i>{escape(top)}</i>, "
                     f"{heltal(int(body.max()))} av {heltal(answered)} ({procent(body.max() / answered)}).")
    for qid in indicators:
        ind = analysis.indicators[qid]
        o = ind.result.overall
        if o.nobs and not (mask is not None and mask.rate(qid)):
            items.append(f"{escape(_short(ind.text))} – andel {escape(ind.counted)}: {heltal(o.count)} av "
                         f"{heltal(o.nobs)} ({procent(o.estimate)}, {level_text(analysis.alpha)} KI "
                         f"{_ci(o.low, o.high)}).")
    if items:
        blocks.append(Paragraph("De viktigaste resultaten:"))
        blocks.append(Bullets(tuple(items)))
    for qid in funnels:
        f = analysis.indicators[qid].funnel
        if f is None or k < 2:  # a single stratum is the average: nothing can deviate from it
            continue
        out = f.outside(0.95)
        names = _shown(mask, qid, out["over"] + out["under"])
        if names and not (mask is not None and mask.rate(qid)):
            blocks.append(Paragraph(
                f"För frågan ”{escape(_short(analysis.indicators[qid].text))}” låg "
                + ", ".join(escape(s) for s in names)
                + " utanför trattdiagrammets 95 %-gränser kring stadens genomsnitt (andel "
                + f"{escape(analysis.indicators[qid].counted)} {procent(f.centre)}): "
                + ("andelen skilde sig" if len(names) == 1 else "andelarna skilde sig")
                + " mer från genomsnittet än slumpen brukar ge och kan vara värd"
                + ("" if len(names) == 1 else "a") + " att titta närmare på."))
    for qid in genders:
        g = analysis.indicators[qid].result.gender
        if g is not None:
            blocks.append(Paragraph(f"Jämställdhet, ”{escape(_short(analysis.indicators[qid].text))}”: "
                                    f"{escape(_gender_conclusion(analysis, mask, qid))}"))
    return blocks


def _gender_hidden(analysis: Analysis, mask: ReportMask, qid: str) -> bool:
    """Return True when a sex's total for the indicator is withheld (disclosure control)."""
    w = analysis.indicators[qid].result.gender.words
    return any(mask.gender(qid, None, sex, which) for sex in (w.female_one, w.male_one) for which in "xn")


def _gender_conclusion(analysis: Analysis, mask: ReportMask | None, qid: str) -> str:
    """Return the gender conclusion, or a notice when it would quote withheld totals."""
    g = analysis.indicators[qid].result.gender
    if mask is not None and _gender_hidden(analysis, mask, qid):
        return (f"Jämförelsen redovisas inte eftersom antalet {g.words.female} eller {g.words.male} är för "
                "litet (sekretess).")
    return g.conclusion


def _chart_stacked(analysis: Analysis, qid: str):
    def draw():
        from granskning.analysis import charts

        return charts.stacked_bars_figure(analysis.tables[qid].shares, total_label=analysis.total_label)
    return draw


def _chart_funnel(analysis: Analysis, qid: str):
    def draw():
        from granskning.analysis import charts

        ind = analysis.indicators[qid]
        fig = charts.funnel_figure(ind.funnel, ylabel=f"Andel {ind.counted}")
        if len(analysis.strata) > LABELLED:  # hundreds of names would hide the points
            for ax in fig.axes:
                for text in list(ax.texts):
                    text.remove()
        return fig
    return draw


def _chart_gender(analysis: Analysis, ids: list[str]):
    def draw():
        from granskning.analysis import charts

        return charts.gender_figure({f"{_short(analysis.indicators[q].text, 45)} – andel "
                                     f"{_short(analysis.indicators[q].counted, 30)}":
                                     analysis.indicators[q].result.gender for q in ids})
    return draw


def _protocol_lists(analysis: Analysis, protocol: Protocol | None) -> tuple[list[str], list[str], list[str], list[str]]:
    inds = list(analysis.indicators)
    if protocol is None:
        tables = [q for q in analysis.tables if not analysis.tables[q].multiple]
        return tables, inds, inds, [q for q in inds if analysis.indicators[q].result.gender is not None][:3]
    tables = [q for q in protocol.tables if q in analysis.tables]
    indicators = [q for q in (protocol.indicators or inds) if q in analysis.indicators]
    funnels = [q for q in (protocol.funnel or indicators) if q in analysis.indicators]
    genders = [q for q in (protocol.gender_questions or indicators) if q in analysis.indicators
               and analysis.indicators[q].result.gender is not None]
    return tables, indicators, funnels, genders


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
    from granskning.audit.protocol import report_date

    record = analysis.record or (dict(audit.sample_record) if audit.sample_record else None)
    tables, indicators, funnels, genders = _protocol_lists(analysis, protocol)
    taken: set[str] = set()
    column = protocol.strata[protocol.table_level] if protocol is not None and protocol.strata else None
    analysis = _named(analysis, column)
    one, many, word = _words(analysis.strata_column)
    mask = None
    if options.mask_below:
        from granskning.analysis.disclosure import protect_analysis

        rated = [*indicators, *funnels, *(q for q in tables if q in analysis.indicators)]
        mask = protect_analysis(analysis, options.mask_below, tables, rated, genders)
    blocks: list[Block] = []
    for title, standard in standard_text("granskningsrapport"):
        blocks.append(Heading(title, 1))
        if title == "Jämställdhetsanalys":
            standard = _in_sex_words(standard, analysis.sex_words)
        if title == "Metod och urval" and protocol is not None and protocol.description:
            blocks.append(Paragraph(inline(protocol.description)))
        blocks.extend(standard)
        if title == "Metod och urval":
            blocks += _method(analysis, protocol, record, taken, estimate, mask)
        elif title == "Granskningsresultat":
            for qid in tables:
                t = analysis.tables[qid]
                blocks.append(Heading(t.text, 2))
                table = likstallighet_table(analysis, qid, taken, mask)
                blocks.append(table)
                if qid in analysis.indicators:
                    blocks.append(Paragraph(_indicator_sentence(analysis, qid, mask)))
                if len(analysis.strata) > WIDE:
                    pass  # one bar per stratum would not be readable
                elif mask is not None and mask.table_any(qid):
                    blocks.append(Paragraph("Diagrammet utelämnas eftersom tabellen har dolda antal.",
                                            style="small"))
                elif not t.multiple:
                    blocks.append(Chart(_chart_stacked(analysis, qid),
                                        f"Fördelning per {one}: {t.text}", width=0.95))
            if indicators:
                blocks.append(Heading("Indikatorer", 2))
                blocks.append(indicator_table(analysis, indicators, taken, estimate, mask))
        elif title == "Likställighet":
            for qid in funnels:
                ind = analysis.indicators[qid]
                blocks.append(Heading(ind.text, 2))
                blocks.append(Paragraph(_homogeneity_sentence(analysis, qid, mask)))
                table = per_stratum_table(analysis, qid, taken, mask)
                blocks.append(table)
                if ind.funnel is not None:
                    blocks.append(Paragraph(_funnel_sentence(analysis, qid, mask)))
                    if mask is not None and (mask.rates_any(qid) or mask.rate(qid)):
                        blocks.append(Paragraph("Trattdiagrammet utelämnas eftersom det skulle visa "
                                                "maskerade antal.", style="small"))
                    else:
                        blocks.append(Chart(_chart_funnel(analysis, qid),
                                            f"Trattdiagram: {ind.text}", width=0.85))
        elif title == "Jämställdhetsanalys":
            if not genders:
                blocks.append(Paragraph("Kön eller ålder saknas för ärendena; ingen jämställdhetsanalys."))
            for qid in genders:
                ind = analysis.indicators[qid]
                blocks.append(Heading(ind.text, 2))
                blocks.append(Paragraph(escape(_gender_conclusion(analysis, mask, qid))))
                blocks.append(gender_table(analysis, qid, taken, mask))
            shown = [q for q in genders if mask is None or not _gender_hidden(analysis, mask, q)]
            if shown != genders:
                blocks.append(Paragraph("Diagrammet visar bara frågor där antalen inte är undertryckta.",
                                        style="small"))
            genders_charted = shown
            if genders_charted:
                pair = analysis.indicators[genders_charted[0]].result.gender.words.pair
                blocks.append(Chart(_chart_gender(analysis, genders_charted),
                                    f"Andel bland {pair} med 95 % konfidensintervall", width=0.85))
        elif title == "Socialtjänstinspektörernas analys":
            if inspector_text:
                blocks.extend(inspector_text)
            else:
                blocks.append(Paragraph("Inspektörernas analys har inte bifogats till den här utskriften "
                                        "(ange den med --analys-text FIL.md).", style="small"))
        elif title.startswith("Bilaga"):
            blocks.append(Paragraph(f"{escape(checklist.title)}, version {escape(checklist.version)}."))
            for area in checklist.areas:
                blocks.append(Heading(area.title, 2))
                blocks.append(checklist_table(checklist, area, taken))
    meta = []
    if protocol is not None:
        for key, label in (("diarienummer", "Dnr"), ("utgivningsdatum", "Utgivningsdatum"),
                           ("utgivare", "Utgivare"), ("kontaktperson", "Kontaktperson")):
            value = protocol.report.get(key) or (report_date(protocol) if key == "utgivningsdatum" else None)
            if value:
                meta.append((label, value))
    else:
        from datetime import date

        meta.append(("Utgivningsdatum", date.today().isoformat()))
    meta.append(("Checklista", f"{checklist.title}, version {checklist.version}"))
    title = protocol.title if protocol is not None else audit.title
    subtitle = options.subtitle or (protocol.report.get("undertitel") if protocol else None)
    author = (protocol.report.get("utgivare") if protocol else None) or "granskning"
    summary = _summary(analysis, protocol, record, tables, indicators, funnels, genders, estimate, mask)
    for w in analysis.warnings:
        summary.append(Paragraph(f"Observera: {escape(w)}", style="small"))
    return Document(title=title, subtitle=subtitle, metadata=tuple(meta), author=author,
                    blocks=tuple(blocks), record=record, summary=tuple(summary),
                    disclosure=mask.to_json_dict() if mask is not None else None)


def _in_sex_words(blocks: list[Block], words) -> list[Block]:
    """Return the standard text about girls and boys in the data's words (kvinnor och män for adults)."""
    from dataclasses import replace

    from granskning.analysis.gender import CHILDREN

    if words is None or words == CHILDREN:
        return blocks
    swaps = ((CHILDREN.pair, words.pair), (CHILDREN.age_of, words.age_of))
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            text = block.text
            for old, new in swaps:
                text = text.replace(old, new).replace(old[:1].upper() + old[1:], new[:1].upper() + new[1:])
            block = replace(block, text=text)
        out.append(block)
    return out


def _named(analysis: Analysis, column: str | None) -> Analysis:
    """Return the analysis with the protocol's name for its strata column (for the words used)."""
    from dataclasses import replace

    return replace(analysis, strata_column=column) if column else analysis


def _method(analysis: Analysis, protocol: Protocol | None, record: dict[str, Any] | None,
            taken: set[str], estimate: bool, mask: ReportMask | None) -> list[Block]:
    one, many, _ = _words(analysis.strata_column)
    out: list[Block] = [Heading("Population och urval", 2)]
    if record and record.get("strata"):
        n, N = record["n_totalt"], record["N_totalt"]
        strata = record["strata"]
        if protocol is not None and len(protocol.strata) > 1:
            desc = (f"Urvalet stratifierades på {' och '.join(protocol.strata)}: "
                    f"{antal(strata[0]['n'], 'ärende')} i varje kombination")
        else:
            desc = f"Urvalet stratifierades per {one}"
        out.append(Paragraph(f"Populationen bestod av {antal(N, 'ärende')}. {desc}, totalt "
                             f"{antal(n, 'ärende')} i {antal(len(strata), 'stratum')}. Tabellen visar antalet ärenden i "
                             "populationen och i urvalet per stratum."))
        out.append(strata_table(record, analysis.strata_column, taken, estimate))
        if estimate:
            out += _margin_text(record, analysis.strata_column, protocol.per_stratum if protocol else None)
        else:
            out.append(Paragraph("Granskningen av ärendena bygger på ett urval som inte med nödvändighet "
                                 "representerar samtliga ärenden och gör därför inte anspråk på att vara en "
                                 "skattning av hela populationen. Ingen felmarginal redovisas."))
        out.append(Heading("Urvalsprotokoll och kontroll av urvalet", 2))
        out += _record_text(record, protocol)
    else:
        out.append(Paragraph(f"Granskningen omfattade {antal(analysis.n_cases, 'ärende')}. Urvalsprotokoll "
                             "saknas för granskningen."))
    if analysis.n_cases and record and analysis.n_cases < record.get("n_totalt", 0):
        out.append(Paragraph(f"Svar finns för {heltal(analysis.n_cases)} av {antal(record['n_totalt'], 'ärende')} "
                             "i urvalet; resultaten gäller de besvarade ärendena."))
    if mask is not None:
        out.append(Paragraph(_disclosure_text(mask)))
    else:
        out.append(Paragraph("Sekretess: rapporten innehåller bara antal och andelar, inga uppgifter om "
                             "enskilda ärenden."))
    return out


def refuse_personnummer_in(doc: Document, path: str | Path | None = None) -> None:
    """Raise InputError when any text of the report holds a personnummer (nothing is written).

    The last guard before a report leaves the tool: title, subtitle, metadata,
    headings, paragraphs (the inspector's --analys-text too), lists, tables (title,
    headers, cells, note), chart captions and the draw record.
    """
    from granskning.store.values import refuse_personnummer

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


def _disclosure_text(mask: ReportMask) -> str:
    """Return the method statement of the disclosure control (Metod och urval)."""
    t = mask.threshold
    primary, secondary = mask.counts()
    small = "Antalet 1 ärende" if t == 2 else "Antal från 1 till " + antal(t - 1, "ärende")
    return (f"Sekretess: rapporten innehåller bara antal och andelar. {small} visas inte "
            f"(primär undertryckning, frekvensregel: färre än {antal(t, 'ärende')}); nollor visas. Eftersom ett dolt "
            "antal annars kan räknas fram ur summorna, andelarna eller konfidensintervallen har ytterligare "
            "siffror dolts (sekundär undertryckning), så att inget dolt antal kan räknas fram ur rapportens "
            "övriga siffror: varje dolt antal har kontrollerats med linjärprogrammering mot alla publicerade "
            f"summor, täljare och nämnare (metoden i τ-ARGUS och R-paketet sdcTable). Dolda siffror visas som "
            f"”..”; andelar, konfidensintervall, trattdiagram och meningar som bygger på dem utelämnas. "
            f"I den här rapporten doldes {antal(primary, 'siffra', 'siffror')} för att de var för små och "
            f"{heltal(secondary)} för att skydda dem. Statistiska test är beräknade på alla ärenden; "
            "chi-två-testets teststorhet redovisas inte när andelar är dolda.")


def write(doc: Document, path: str | Path) -> Path:
    """Write the document as PDF, XLSX or JSON by the suffix of ``path`` (atomically) and return the path."""
    from granskning.files import atomic_write

    path = Path(path)
    suffix = path.suffix.lower()
    refuse_personnummer_in(doc, path)
    if suffix == ".pdf":
        from granskning.report.pdf import write_pdf

        atomic_write(path, lambda tmp: write_pdf(doc, tmp))
    elif suffix == ".xlsx":
        from granskning.report.xlsx import write_xlsx

        atomic_write(path, lambda tmp: write_xlsx(doc, tmp))
    elif suffix == ".json":
        from granskning.report.jsonfile import write_json

        atomic_write(path, lambda tmp: write_json(doc, tmp))
    else:
        raise InputError(f"okänt rapportformat {path.suffix or '(inget)'}: skriv till .pdf, .xlsx eller .json.",
                         file=path)
    return path
