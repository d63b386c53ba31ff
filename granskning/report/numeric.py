"""The numeric questions of the granskningsrapport: a table, a sentence and a box chart per question.

For every ``tal`` question of the analysis (answered or computed):
per stratum and in total the number of cases with a value and without, mean,
median, quartiles, min and max; with population sizes the standard error and
interval of each stratum's mean and a last row with the design-based mean for
the population (:mod:`granskning.analysis.numeric`).  A question with a
``troskel`` adds the share that meets it (the indicator sentence; its rates are
in the indicator tables like any indicator's).

With ``--maskera-under N`` a stratum with fewer than N values keeps its counts
but not its mean, spread, quartiles, min or max, and so does one more stratum
when a single stratum would otherwise follow from the total
(:func:`granskning.analysis.numeric.numeric_mask`); the chart leaves those
strata out and shows no single values.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from granskning.analysis import charts
from granskning.analysis.disclosure import protect, table_problem
from granskning.analysis.numeric import (
    QUANTILE_RULE,
    NumberSummary,
    NumericMask,
    numeric_mask,
    show,
)
from granskning.fmt import tal
from granskning.report.document import (
    SUPPRESSED,
    SUPPRESSED_NOTE,
    Block,
    Chart,
    Heading,
    Paragraph,
    Table,
    unique_sheet,
)
from granskning.report.sentences import _indicator_sentence, _short
from granskning.report.tables import _words
from granskning.report.text import escape
from granskning.wording import antal, level_text

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask
    from granskning.analysis.numeric import NumericAnalysis

__all__ = ["numeric_sections", "numeric_summary_items", "numeric_table"]

CHARTED = 40  # more strata than this: no chart (one box per stratum would not be readable)
POPULATION_ROW = "Populationen (skattning)"


def _mask_of(num: NumericAnalysis, mask: ReportMask | None) -> NumericMask | None:
    return numeric_mask(num, mask.threshold) if mask is not None else None


def count_mask(analysis: Analysis, num: NumericAnalysis, mask: ReportMask | None) -> tuple[frozenset[str], bool]:
    """Return the strata whose counts with and without a value are withheld, and whether the total's are.

    The two counts per stratum are a table whose column sums (the cases per
    stratum) are printed elsewhere; it gets the report's frequency rule and
    secondary suppression (:func:`granskning.analysis.disclosure.protect`).  A
    question with a threshold also withholds what its indicator withholds (the
    indicator's denominator is the count with a value); a stratum's two counts
    are always withheld together (each follows from the other).
    """
    if mask is None or not num.per_stratum:
        return frozenset(), False
    strata = list(num.per_stratum)
    counts = [[num.per_stratum[s].n for s in strata], [num.per_stratum[s].missing for s in strata]]
    p = protect(table_problem(counts, fixed_columns=True), mask.threshold)
    hidden = {s for j, s in enumerate(strata) if ("cell", 0, j) in p or ("cell", 1, j) in p}
    total = ("row", 0) in p or ("row", 1) in p
    if num.question in analysis.indicators and num.question in mask.indicators:
        hidden |= {s for s in strata if mask.denominator(num.question, s)}
        total = total or mask.denominator(num.question)
    return frozenset(hidden), total


def numeric_sections(
    analysis: Analysis,
    taken: set[str],
    estimate: bool,
    mask: ReportMask | None,
    indicators: list[str],
) -> list[Block]:
    """Return a section per numeric question: heading, sentences, table and box chart.

    ``estimate``: whether the design allows a population estimate; ``indicators``:
    the indicators the report prints (a threshold's share is written only for those).
    """
    blocks: list[Block] = []
    for qid, num in analysis.numeric.items():
        nmask = _mask_of(num, mask)
        counts = count_mask(analysis, num, mask)
        blocks.append(Heading(num.text, 2))
        blocks.append(Paragraph(_sentence(analysis, num, nmask, estimate, counts[1])))
        if num.threshold is not None and qid in analysis.indicators and qid in indicators:
            blocks.append(Paragraph(_indicator_sentence(analysis, qid, mask)))
        blocks.append(numeric_table(analysis, num, taken, estimate, nmask, counts))
        blocks += _chart(analysis, num, nmask)
    return blocks


def _sentence(
    analysis: Analysis,
    num: NumericAnalysis,
    nmask: NumericMask | None,
    estimate: bool,
    hidden_counts: bool = False,
) -> str:
    """Return what the question shows overall, in one or two sentences (counts left out when withheld)."""
    o = num.overall
    if o.n == 0:
        return f"Inget ärende har ett värde ({antal(o.missing, 'ärende')} saknar värde)."
    if nmask is not None and nmask.overall:
        return "Medelvärde, median och spridning redovisas inte (sekretess: för få ärenden med värde)."
    missing = f" ({antal(o.missing, 'ärende')} saknar värde)" if o.missing else ""
    among = "" if hidden_counts else f" bland {antal(o.n, 'ärende')} med värde{missing}"
    text = (
        f"<b>Medelvärde {tal(o.mean, 1)}</b>, median {show(o.median)} (hälften av ärendena mellan "
        f"{show(o.q1)} och {show(o.q3)}){among}."
    )
    if nmask is None or not nmask.extremes:
        text += f" Lägst {show(o.minimum)}, högst {show(o.maximum)}."
    e = o.estimate
    if estimate and e is not None:
        text += (
            f" Designbaserat medelvärde för populationen: {tal(e.estimate, 1)} "
            f"({level_text(e.alpha)} konfidensintervall {tal(e.low, 1)}–{tal(e.high, 1)}, "
            f"standardfel {tal(e.se, 2)})."
        )
    elif estimate and o.no_estimate and analysis.has_population:
        text += f" Inget designbaserat medelvärde: {escape(o.no_estimate)}."
    return text


def _cells(s: NumberSummary, hidden: bool, with_se: bool, hidden_counts: bool = False) -> list[Any]:
    """Return a row's cells after the stratum: n, missing, mean, (SE, interval), median, quartiles, min, max."""

    def v(x: float) -> Any:
        return SUPPRESSED if hidden else ("–" if x is None or math.isnan(x) else float(x))

    e = s.estimate
    counts = [SUPPRESSED, SUPPRESSED] if hidden_counts else [s.n, s.missing]
    cells: list[Any] = [*counts, v(s.mean)]
    if with_se:
        if e is None:
            cells += [SUPPRESSED if hidden and s.n else "–"] * 3
        else:
            cells += [v(e.se), v(e.low), v(e.high)]
    return cells + [v(s.median), v(s.q1), v(s.q3), v(s.minimum), v(s.maximum)]


def numeric_table(
    analysis: Analysis,
    num: NumericAnalysis,
    taken: set[str],
    estimate: bool,
    nmask: NumericMask | None = None,
    counts: tuple[frozenset[str], bool] = (frozenset(), False),
) -> Table:
    """Return a numeric question's summary per stratum, the total and the population estimate.

    ``nmask`` withholds statistics, ``counts`` the counts with and without a value
    (strata, total) under ``--maskera-under``.
    """
    word = _words(analysis.strata_column)[2]
    with_se = estimate and analysis.has_population
    level = level_text(analysis.alpha)
    columns = [word, "Med värde", "Saknar värde", "Medelvärde"]
    kinds = ["text", "count", "count", "number"]
    if with_se:
        columns += ["Standardfel", f"{level} KI nedre", f"{level} KI övre"]
        kinds += ["decimal", "number", "number"]
    columns += ["Median", "Nedre kvartil", "Övre kvartil", "Min", "Max"]
    kinds += ["decimal"] * 5
    rows = []
    for stratum, s in num.per_stratum.items():
        hidden = nmask is not None and stratum in nmask.strata
        rows.append((stratum, *_cells(s, hidden, with_se, stratum in counts[0])))
    total = _cells(num.overall, nmask is not None and nmask.overall, with_se, counts[1])
    if with_se:
        total[3:6] = [
            "–"
        ] * 3  # the total row is the cases read; the population's mean is the next row
    if nmask is not None and nmask.extremes:
        total[-2:] = [SUPPRESSED, SUPPRESSED]
    rows.append((analysis.total_label, *total))
    e = num.overall.estimate
    if with_se and e is not None:
        hide = nmask is not None and nmask.overall
        pop = [
            v if not hide else SUPPRESSED
            for v in (float(e.estimate), float(e.se), float(e.low), float(e.high))
        ]
        rows.append((POPULATION_ROW, "–", "–", pop[0], *pop[1:], "–", "–", "–", "–", "–"))
    hidden_any = any(c is SUPPRESSED for r in rows for c in r)
    return Table(
        sheet=unique_sheet(f"{num.question} {num.text}", taken),
        title=f"{num.text} per {word.lower()}",
        columns=tuple(columns),
        kinds=tuple(kinds),
        rows=tuple(rows),
        total_rows=(len(num.per_stratum),),
        note=_note(analysis, num, nmask, with_se, hidden_any),
        first_column_width=0.26,
    )


def _note(
    analysis: Analysis,
    num: NumericAnalysis,
    nmask: NumericMask | None,
    with_se: bool,
    hidden_any: bool,
) -> str:
    one, many, _ = _words(analysis.strata_column)
    parts = [f"Median och kvartiler: {QUANTILE_RULE}."]
    if with_se:
        parts.append(
            f"Standardfel och konfidensintervall per {one}: medelvärdet som skattning för alla ärenden "
            f"i populationen i varje {one}, med ändlighetskorrektion. Populationens medelvärde väger samman "
            f"{many} med N/n (designbaserat), så det skiljer sig från medelvärdet av de granskade "
            "ärendena."
        )
        reasons = sorted({s.no_estimate for s in num.per_stratum.values() if s.n and s.no_estimate})
        if reasons:
            parts.append("– = kan inte skattas (" + "; ".join(reasons) + ").")
    if nmask is not None and hidden_any:
        parts.append(
            "Medelvärde, spridning, median, kvartiler, min och max visas inte där färre än "
            f"{antal(nmask.threshold, 'ärende')} har ett värde, och inte heller på ytterligare en rad när "
            "den första annars kunde räknas fram ur totalen; då visas inte heller totalens min och max. "
            "Antalen med och utan värde följer rapportens regel för små antal (primär och sekundär "
            "undertryckning). "
            f"{SUPPRESSED_NOTE}"
        )
    return " ".join(parts)


def _chart(analysis: Analysis, num: NumericAnalysis, nmask: NumericMask | None) -> list[Block]:
    """Return the box chart (and a note when strata are left out), or nothing."""
    if num.overall.n == 0 or len(num.per_stratum) > CHARTED:
        return []
    shown = {s: v for s, v in num.values.items() if nmask is None or s not in nmask.strata}
    if nmask is not None and (nmask.overall or not any(shown.values())):
        return [
            Paragraph(
                "Diagrammet utelämnas eftersom det skulle visa uppgifter som inte redovisas.",
                style="small",
            )
        ]
    t = num.threshold
    values = dict(shown)

    def draw():
        return charts.box_figure(
            values,
            xlabel=_short(num.text, 70),
            dots=nmask is None,
            threshold=t.value if t else None,
            threshold_label=t.words if t else None,
        )

    one = _words(analysis.strata_column)[0]
    caption = (
        f"{num.text} per {one}: lådan visar kvartilerna, strecket i lådan medianen, ◆ medelvärdet och "
        "linjerna lägsta och högsta värde"
    )
    caption += "; punkterna är ärendena." if nmask is None else "."
    out: list[Block] = [Chart(draw, caption, width=0.9)]
    if nmask is not None and len(shown) < len(num.values):
        out.append(
            Paragraph(
                f"{many_word(analysis)} med dolda uppgifter visas inte i diagrammet.", style="small"
            )
        )
    return out


def many_word(analysis: Analysis) -> str:
    many = _words(analysis.strata_column)[1]
    return many[:1].upper() + many[1:]


def numeric_summary_items(analysis: Analysis, mask: ReportMask | None, estimate: bool) -> list[str]:
    """Return a Sammanfattning bullet per numeric question with values (withheld overall: none)."""
    items = []
    for num in analysis.numeric.values():
        o = num.overall
        nmask = _mask_of(num, mask)
        if o.n == 0 or (nmask is not None and nmask.overall):
            continue
        among = "" if count_mask(analysis, num, mask)[1] else f", bland {antal(o.n, 'ärende')} med värde"
        item = f"{escape(_short(num.text))}: medelvärde {tal(o.mean, 1)}, median {show(o.median)}{among}"
        e = o.estimate
        if estimate and e is not None:
            item += (
                f" (för populationen {tal(e.estimate, 1)}, {level_text(e.alpha)} KI "
                f"{tal(e.low, 1)}–{tal(e.high, 1)})"
            )
        items.append(item + ".")
    return items
