"""The chapters of the granskningsrapport: Sammanfattning, then the standard text's chapters filled in.

:func:`chapters` walks the chapters of ``reports/granskningsrapport.md`` in
their order and adds to each standard text what the analysis found: Metod och
urval (population, sample, margin of error, the draw record), Granskningsresultat
(one likställighet table per question, the indicators), Likställighet
(homogeneity and funnel per indicator), Jämställdhetsanalys, the inspectors'
own analysis and the checklist as an appendix.  :func:`_summary` writes the
Sammanfattning from the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from granskning.analysis import charts
from granskning.analysis.domain import outside_sentence
from granskning.analysis.gender import CHILDREN
from granskning.analysis.nonrandom import NO_CLAIM, no_claim
from granskning.fmt import heltal, procent, procentenheter
from granskning.report.document import Block, Bullets, Chart, Heading, Paragraph
from granskning.report.numeric import numeric_sections, numeric_summary_items
from granskning.report.sentences import (
    _ci,
    _disclosure_text,
    _funnel_sentence,
    _gender_conclusion,
    _gender_hidden,
    _homogeneity_sentence,
    _indicator_sentence,
    _margin_text,
    _record_text,
    _short,
    _shown,
)
from granskning.report.tables import (
    WIDE,
    _words,
    checklist_table,
    gender_table,
    indicator_table,
    likstallighet_table,
    per_stratum_table,
    strata_table,
)
from granskning.report.text import escape, inline, standard_text
from granskning.report.timelimits import register_section, summary_items
from granskning.sampling.precision import margin_of_error
from granskning.wording import antal, level_text

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask
    from granskning.audit.protocol import Protocol
    from granskning.checklist.model import Checklist

LABELLED = 30  # more strata than this: funnel points without names


@dataclass(frozen=True, slots=True)
class Contents:
    """What the chapters are written from: the analysis, the audit's design and the protocol's choices."""

    analysis: Analysis
    protocol: Protocol | None
    checklist: Checklist
    record: dict[str, Any] | None
    tables: list[str]  # questions with a likställighet table
    indicators: list[str]  # indicators in the indicator table
    funnels: list[str]  # indicators with homogeneity test and funnel plot
    genders: list[str]  # indicators in the gender analysis
    estimate: bool  # whether the design allows a population estimate (OpenedAudit.estimate)
    mask: ReportMask | None
    inspector_text: list[Block] | None
    taken: set[str] = field(default_factory=set)  # sheet names in use


def chapters(c: Contents) -> list[Block]:
    """Return the blocks of every chapter of the standard text, in its order."""
    blocks: list[Block] = []
    for title, standard in standard_text("granskningsrapport"):
        blocks.append(Heading(title, 1))
        blocks += _introduction(c, title, standard)
        chapter = _appendix if title.startswith("Bilaga") else CHAPTERS.get(title)
        if chapter is not None:
            blocks += chapter(c)
    return blocks


# The standard text of chapters that speak of strata, for an audit without strata.
UNSTRATIFIED_TEXT = {
    "Metod och urval": (
        "Granskningen är en dokumentationsgranskning: varje ärende har lästs och bedömts med samma "
        "checklista (se bilagan). Ärendena är inte indelade i strata (till exempel "
        "stadsdelsförvaltningar eller grupper): de redovisas som en grupp."),
    "Granskningsresultat": (
        "Tabellerna redovisar antal ärenden för de granskade ärendena som helhet, eftersom de inte "
        "är indelade i strata. Andelar anges med ett 95-procentigt konfidensintervall (Wilson). Svar "
        "som innebär hinder för delaktighet, eller att frågan inte är tillämplig, räknas inte i "
        "nämnaren."),
    "Likställighet": (
        "Ärendena är inte indelade i strata, så det finns inga grupper att jämföra: den här "
        "granskningen kan inte visa om stadsdelsförvaltningar, enheter eller grupper skiljer sig åt. "
        "Därför redovisas varken homogenitetstest eller trattdiagram. Resultaten gäller de granskade "
        "ärendena som helhet."),
}
RANDOM_DRAW = (" Urvalet är ett obundet slumpmässigt urval ur hela populationen, draget med ett "
               "verktyg som gör dragningen reproducerbar: den beror bara på startvärdet (seed), "
               "ärendenas id och urvalsdesignen.")


def _introduction(c: Contents, title: str, standard: list[Block]) -> list[Block]:
    """Return the chapter's standard text (the protocol's description first in Metod och urval)."""
    out: list[Block] = []
    if not c.analysis.stratified and title in UNSTRATIFIED_TEXT:
        text = UNSTRATIFIED_TEXT[title]
        if title == "Metod och urval" and c.record and c.record.get("strata"):
            text += RANDOM_DRAW
        standard = [Paragraph(text)]
    if title == "Jämställdhetsanalys":
        standard = _in_sex_words(standard, c.analysis.sex_words)
    if title == "Metod och urval" and c.protocol is not None and c.protocol.description:
        out.append(Paragraph(inline(c.protocol.description)))
    if not c.analysis.random_sample:
        # Hand-picked cases: the standard text's random draw, intervals and tests do not apply.
        standard = [b for b in standard
                    if not (isinstance(b, Paragraph) and any(w in b.text for w in RANDOM_WORDS))]
    out.extend(standard)
    return out


# A standard paragraph with one of these words describes a random draw, an interval or a test.
RANDOM_WORDS = ("slumpmässigt", "konfidensintervall", "test", "felmarginal", "slumpen")


def _method_chapter(c: Contents) -> list[Block]:
    return _method(c.analysis, c.protocol, c.record, c.taken, c.estimate, c.mask)


def _results_chapter(c: Contents) -> list[Block]:
    blocks: list[Block] = []
    for qid in c.tables:
        blocks += _question_section(c, qid)
    blocks += numeric_sections(c.analysis, c.taken, c.estimate, c.mask, c.indicators)
    if c.indicators:
        blocks.append(Heading("Indikatorer", 2))
        blocks.append(indicator_table(c.analysis, c.indicators, c.taken, c.estimate, c.mask))
    blocks += register_section(c.analysis, c.record, c.taken, c.mask)
    return blocks


def _question_section(c: Contents, qid: str) -> list[Block]:
    """Return one question's table, its indicator sentence and its bar chart."""
    analysis, mask = c.analysis, c.mask
    one = _words(analysis.strata_column)[0]
    t = analysis.tables[qid]
    blocks: list[Block] = [Heading(t.text, 2), likstallighet_table(analysis, qid, c.taken, mask)]
    if qid in analysis.indicators:
        blocks.append(Paragraph(_indicator_sentence(analysis, qid, mask)))
    if len(analysis.strata) > WIDE:
        pass  # one bar per stratum would not be readable
    elif not analysis.stratified:
        pass  # one bar for the whole sample shows nothing the table does not
    elif mask is not None and mask.table_any(qid):
        blocks.append(Paragraph("Diagrammet utelämnas eftersom tabellen har dolda antal.", style="small"))
    elif not t.multiple:
        blocks.append(Chart(_chart_stacked(analysis, qid), f"Fördelning per {one}: {t.text}", width=0.95))
    return blocks


def _equality_chapter(c: Contents) -> list[Block]:
    if not c.analysis.random_sample:
        return [Paragraph("Ärendena valdes ut för hand, så skillnader mellan strata prövas inte och "
                          "inga trattdiagram ritas; tabellerna ovan visar antal och andelar.")]
    blocks: list[Block] = []
    for qid in c.funnels:
        blocks += _funnel_section(c, qid)
    return blocks


def _funnel_section(c: Contents, qid: str) -> list[Block]:
    """Return one indicator's homogeneity test, rates per stratum and funnel plot."""
    analysis, mask = c.analysis, c.mask
    ind = analysis.indicators[qid]
    blocks: list[Block] = [Heading(ind.text, 2), Paragraph(_homogeneity_sentence(analysis, qid, mask)),
                           per_stratum_table(analysis, qid, c.taken, mask)]
    if ind.funnel is None:
        return blocks
    blocks.append(Paragraph(_funnel_sentence(analysis, qid, mask)))
    if mask is not None and (mask.rates_any(qid) or mask.rate(qid)):
        blocks.append(Paragraph("Trattdiagrammet utelämnas eftersom det skulle visa maskerade antal.",
                                style="small"))
    else:
        blocks.append(Chart(_chart_funnel(analysis, qid), f"Trattdiagram: {ind.text}", width=0.85))
    return blocks


def _gender_chapter(c: Contents) -> list[Block]:
    analysis, mask, genders = c.analysis, c.mask, c.genders
    blocks: list[Block] = []
    if not analysis.random_sample:
        return [Paragraph("Ärendena valdes ut för hand: ingen jämställdhetsanalys görs, eftersom "
                          "dess tester förutsätter ett slumpmässigt urval.")]
    if not genders:
        blocks.append(Paragraph("Kön eller ålder saknas för ärendena; ingen jämställdhetsanalys."))
    for qid in genders:
        ind = analysis.indicators[qid]
        blocks.append(Heading(ind.text, 2))
        blocks.append(Paragraph(escape(_gender_conclusion(analysis, mask, qid))))
        blocks.append(gender_table(analysis, qid, c.taken, mask))
    shown = [q for q in genders if mask is None or not _gender_hidden(analysis, mask, q)]
    if shown != genders:
        blocks.append(Paragraph("Diagrammet visar bara frågor där antalen inte är undertryckta.",
                                style="small"))
    if shown:
        pair = analysis.indicators[shown[0]].result.gender.words.pair
        blocks.append(Chart(_chart_gender(analysis, shown),
                            f"Andel bland {pair} med 95 % konfidensintervall", width=0.85))
    return blocks


def _inspectors_chapter(c: Contents) -> list[Block]:
    if c.inspector_text:
        return list(c.inspector_text)
    return [Paragraph("Inspektörernas analys har inte bifogats till den här utskriften "
                      "(ange den med --analys-text FIL.md).", style="small")]


def _appendix(c: Contents) -> list[Block]:
    checklist = c.checklist
    blocks: list[Block] = [Paragraph(f"{escape(checklist.title)}, version {escape(checklist.version)}.")]
    for area in checklist.areas:
        blocks.append(Heading(area.title, 2))
        blocks.append(checklist_table(checklist, area, c.taken))
    return blocks


CHAPTERS: dict[str, Callable[[Contents], list[Block]]] = {
    "Metod och urval": _method_chapter,
    "Granskningsresultat": _results_chapter,
    "Likställighet": _equality_chapter,
    "Jämställdhetsanalys": _gender_chapter,
    "Socialtjänstinspektörernas analys": _inspectors_chapter,
}


# -- Sammanfattning --------------------------------------------------------------------


def _summary(analysis: Analysis, protocol: Protocol | None, record: dict[str, Any] | None,
             tables: list[str], indicators: list[str], funnels: list[str], genders: list[str],
             estimate: bool = True, mask: ReportMask | None = None) -> list[Block]:
    # ``estimate``: OpenedAudit.estimate (True for an audit without a protocol, as here by default).
    blocks: list[Block] = [Heading("Sammanfattning", 1),
                           Paragraph(_summary_scope(analysis, protocol, record, estimate))]
    items = [*_summary_answers(analysis, tables, indicators, mask),
             *numeric_summary_items(analysis, mask, estimate),
             *_summary_rates(analysis, indicators, mask), *summary_items(analysis, record, mask)]
    if items:
        blocks.append(Paragraph("De viktigaste resultaten:"))
        blocks.append(Bullets(tuple(items)))
    blocks += _summary_funnels(analysis, funnels, mask)
    for qid in genders:
        g = analysis.indicators[qid].result.gender
        if g is not None:
            blocks.append(Paragraph(f"Jämställdhet, ”{escape(_short(analysis.indicators[qid].text))}”: "
                                    f"{escape(_gender_conclusion(analysis, mask, qid))}"))
    return blocks


def _summary_scope(analysis: Analysis, protocol: Protocol | None, record: dict[str, Any] | None,
                   estimate: bool) -> str:
    """Return the summary's first sentences: how many cases, in how many strata, what they claim."""
    one, many, _ = _words(analysis.strata_column)
    n, k = analysis.n_cases, len(analysis.strata)
    first = f"Granskningen omfattade {antal(n, 'ärende')}"
    if k > 1:
        sizes = [s["n"] for s in (record or {}).get("strata", [])]
        per = f", {sizes[0]} per {one}" if sizes and len(set(sizes)) == 1 and not (
            protocol and len(protocol.strata) > 1) else ""
        first += f" i {k} {many}{per}"
    first += "."
    if not analysis.random_sample:
        return f"{first} {no_claim(record)}"
    if record and protocol is not None and estimate:
        first += (f" Urvalet drogs slumpmässigt ur {antal(record['N_totalt'], 'ärende')} och ger för "
                  f"hela populationen en felmarginal om cirka ±{procentenheter(margin_of_error(n).margin)}.")
    elif protocol is not None and not estimate:
        first += (" Urvalet gör inte anspråk på att skatta hela populationen; andelarna gäller de "
                  "granskade ärendena.")
    return first


def _summary_answers(analysis: Analysis, tables: list[str], indicators: list[str],
                     mask: ReportMask | None) -> list[str]:
    """Return the most common answer of each single-choice question that is not an indicator."""
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
    return items


def _summary_rates(analysis: Analysis, indicators: list[str], mask: ReportMask | None) -> list[str]:
    """Return each indicator's rate with its interval (a withheld rate is left out)."""
    items = []
    for qid in indicators:
        ind = analysis.indicators[qid]
        o = ind.result.overall
        interval = f", {level_text(analysis.alpha)} KI {_ci(o.low, o.high)}" if analysis.random_sample else ""
        if o.nobs and not (mask is not None and mask.rate(qid)):
            items.append(f"{escape(_short(ind.text))} – andel {escape(ind.counted)}: {heltal(o.count)} av "
                         f"{heltal(o.nobs)} ({procent(o.estimate)}{interval}).")
    return items


def _summary_funnels(analysis: Analysis, funnels: list[str], mask: ReportMask | None) -> list[Block]:
    """Return a paragraph per indicator where strata lie outside the funnel's 95 % limits."""
    blocks: list[Block] = []
    for qid in funnels:
        f = analysis.indicators[qid].funnel
        if f is None or len(analysis.strata) < 2:  # a single stratum is the average: nothing can deviate
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
    return blocks


# -- charts (drawn when the PDF is written) ----------------------------------------------


def _chart_stacked(analysis: Analysis, qid: str):
    def draw():
        return charts.stacked_bars_figure(analysis.tables[qid].shares, total_label=analysis.total_label)
    return draw


def _chart_funnel(analysis: Analysis, qid: str):
    def draw():
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
        return charts.gender_figure({f"{_short(analysis.indicators[q].text, 45)} – andel "
                                     f"{_short(analysis.indicators[q].counted, 30)}":
                                     analysis.indicators[q].result.gender for q in ids})
    return draw


# -- the protocol's choices and words ------------------------------------------------------


def _protocol_lists(analysis: Analysis, protocol: Protocol | None) -> tuple[list[str], list[str], list[str], list[str]]:
    inds = list(analysis.indicators)
    if not analysis.stratified:  # nothing to compare: no homogeneity test, no funnel
        tables, inds, _, genders = _protocol_lists(replace(analysis, stratified=True), protocol)
        return tables, inds, [], genders
    if protocol is None:
        tables = [q for q in analysis.tables if not analysis.tables[q].multiple]
        return tables, inds, inds, [q for q in inds if analysis.indicators[q].result.gender is not None][:3]
    tables = [q for q in protocol.tables if q in analysis.tables]
    indicators = [q for q in (protocol.indicators or inds) if q in analysis.indicators]
    funnels = [q for q in (protocol.funnel or indicators) if q in analysis.indicators]
    genders = [q for q in (protocol.gender_questions or indicators) if q in analysis.indicators
               and analysis.indicators[q].result.gender is not None]
    return tables, indicators, funnels, genders


def _in_sex_words(blocks: list[Block], words) -> list[Block]:
    """Return the standard text about girls and boys in the data's words (kvinnor och män for adults)."""
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
    return replace(analysis, strata_column=column) if column else analysis


def _method(analysis: Analysis, protocol: Protocol | None, record: dict[str, Any] | None,
            taken: set[str], estimate: bool, mask: ReportMask | None) -> list[Block]:
    one, many, _ = _words(analysis.strata_column)
    out: list[Block] = [Heading("Population och urval", 2)]
    if record and record.get("strata") and not analysis.stratified:
        record = {**record, "strata": [{**s, "stratum": s["stratum"] or analysis.strata[0]}
                                       for s in record["strata"]]}
    if not analysis.random_sample and record and record.get("tillagda_for_hand"):
        out.append(Paragraph(f"Granskningen omfattade {antal(analysis.n_cases, 'ärende')} med svar. "
                             f"{no_claim(record)}"))
    elif not analysis.random_sample:
        source = f" ur listan {escape(str(record['lista']))}" if record and record.get("lista") else ""
        out.append(Paragraph(f"Granskningen omfattade {antal(analysis.n_cases, 'ärende')} med svar, "
                             f"handplockade{source}. {NO_CLAIM}"))
    elif record and record.get("strata"):
        n, N = record["n_totalt"], record["N_totalt"]
        strata = record["strata"]
        if not analysis.stratified:
            out.append(Paragraph(f"Populationen bestod av {antal(N, 'ärende')}. Urvalet drogs ur hela "
                                 f"populationen utan stratifiering, totalt {antal(n, 'ärende')}. "
                                 "Tabellen visar antalet ärenden i populationen och i urvalet."))
        elif protocol is not None and len(protocol.strata) > 1:
            desc = (f"Urvalet stratifierades på {' och '.join(protocol.strata)}: "
                    f"{antal(strata[0]['n'], 'ärende')} i varje kombination")
        else:
            desc = f"Urvalet stratifierades per {one}"
        if analysis.stratified:
            out.append(Paragraph(f"Populationen bestod av {antal(N, 'ärende')}. {desc}, totalt "
                                 f"{antal(n, 'ärende')} i {antal(len(strata), 'stratum')}. Tabellen visar "
                                 "antalet ärenden i populationen och i urvalet per stratum."))
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
    if analysis.outside is not None:
        out.append(Paragraph(outside_sentence(analysis.outside, estimate=estimate)))
    if mask is not None:
        out.append(Paragraph(_disclosure_text(mask)))
    else:
        out.append(Paragraph("Sekretess: rapporten innehåller bara antal och andelar, inga uppgifter om "
                             "enskilda ärenden."))
    return out
