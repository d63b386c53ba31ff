"""The tables of the granskningsrapport, built from the analysis (every cell an aggregate).

Counts in the published likställighet layout (strata as columns, Total), the
indicators with their intervals and design estimate, one indicator per
stratum with its funnel position, girls and boys (women and men) by age band,
the strata of the draw and the checklist as an appendix.  With disclosure
control (:class:`~granskning.analysis.disclosure.ReportMask`) a withheld cell
is printed as ``SUPPRESSED``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from granskning.analysis.estimation import INTERVAL_NAMES
from granskning.checklist.render import TYPE_WORDS, condition_words
from granskning.fmt import tal
from granskning.report.document import SUPPRESSED, SUPPRESSED_NOTE, Table, unique_sheet
from granskning.sampling.precision import margin_of_error

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask
    from granskning.checklist.model import Checklist

STRATUM_WORDS = {"stadsdel": ("stadsdelsförvaltning", "stadsdelsförvaltningar", "Stadsdelsförvaltning")}
WIDE = 12  # more strata than this: strata as rows (a long table), no bar chart per stratum


def _words(column: str | None) -> tuple[str, str, str]:
    base = (column or "stratum").split(" × ")[0]
    return STRATUM_WORDS.get(base, ("stratum", "strata", base[:1].upper() + base[1:]))


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
    level = tal(100 * (1 - analysis.alpha), 0)
    with_est = estimate and any(analysis.indicators[q].result.estimate is not None for q in ids)
    columns = ["Indikator", "Räknas i täljaren", "Täljare", "Nämnare", "Andel", "KI nedre", "KI övre"]
    kinds = ["text", "text", "count", "count", "percent", "percent", "percent"]
    note = f"KI = {level} % konfidensintervall (Wilson) för andelen i de granskade ärendena."
    if not analysis.random_sample:  # hand-picked cases: shares of the examined cases only
        columns, kinds = columns[:5], kinds[:5]
        note = "Andelarna gäller de granskade, handplockade ärendena; inga konfidensintervall."
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
        row = row[:len(columns)]
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
        if q.threshold is not None:
            extra.append("tröskel: " + q.threshold.words + (f" ({q.counted_label})" if q.counted_label else ""))
        if extra:
            answers += " (" + "; ".join(extra) + ")"
        when = condition_words(q.condition) if q.condition is not None else "alltid"
        rows.append((q.id, q.text.strip(), answers, when))
    return Table(sheet=unique_sheet(f"Checklista {area.title}", taken), title=area.title,
                 columns=("Id", "Fråga", "Svar", "Ställs när"), kinds=("text",) * 4, rows=tuple(rows),
                 first_column_width=0.08)
