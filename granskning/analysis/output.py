"""Writing an :class:`~granskning.analysis.analyse.Analysis`: XLSX workbook, Swedish summary, charts.

The workbook has a sheet per choice question in the layout of the published
likställighet tables (counts, then a second block of column shares formatted
as percent), then "Indikatorer" (one row per indicator × stratum),
"Skattningar", "Homogenitet", "Jämställdhet" (with age bands and logistic
regression), "Om analysen" and, for an audit from the database, the draw
record.  It is written to a temporary file and moved into place, so a failed
run leaves nothing behind.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.analysis import charts
from granskning.analysis.analyse import Analysis
from granskning.analysis.domain import outside_sentence
from granskning.analysis.estimation import INTERVAL_NAMES
from granskning.analysis.gender import CHILDREN, SexWords, band_label
from granskning.analysis.nonrandom import no_claim
from granskning.analysis.numeric import NO_POPULATION, QUANTILE_RULE, numeric_frame, show
from granskning.errors import InputError
from granskning.files import atomic_write, make_directory
from granskning.fmt import heltal, procent, tal
from granskning.wording import antal, format_p, significant, simulation_borderline
from granskning.workbook import save_workbook

if TYPE_CHECKING:
    import pandas as pd


SECRECY = "Sekretess enligt OSL 26 kap. gäller akterna; arbetsboken innehåller bara antal och andelar."
PERCENT = "0.0 %"
RESERVED_SHEETS = ("Indikatorer", "Skattningar", "Homogenitet", "Jämställdhet", "Jämställdhet ålder",
                   "Logistisk regression", "Om analysen", "Urvalsprotokoll", "Tal")

COUNTED_HEADER = "Räknas i täljaren"
INDICATOR_HEADERS = {
    "question": "Fråga", "text": "Frågetext", "counted": COUNTED_HEADER, "stratum": "Stratum", "numerator": "Täljare",
    "denominator": "Nämnare", "rate": "Andel", "low": "KI nedre", "high": "KI övre",
    "method": "Intervallmetod", "funnel_95": "Tratt 95 %", "funnel_99_8": "Tratt 99,8 %",
}
# What a hand-picked sample's workbook leaves out (analysis.nonrandom).
INFERENCE_COLUMNS = ("low", "high", "method", "funnel_95", "funnel_99_8")
ESTIMATE_HEADERS = {
    "question": "Fråga", "text": "Frågetext", "counted": COUNTED_HEADER, "estimate": "Skattad andel",
    "se": "Standardfel", "low": "KI nedre", "high": "KI övre", "interval": "Intervall", "deff": "Designeffekt",
    "n": "Ärenden i nämnaren",
    "population": "Skattad population i nämnaren", "strata": "Antal strata",
}
HOMOGENEITY_HEADERS = {
    "question": "Fråga", "text": "Frågetext", "test": "Test", "statistic": "Chi-två", "df": "Frihetsgrader",
    "p": "p-värde", "method": "Metod för p", "cramers_v": "Cramérs V", "n": "Antal ärenden",
    "min_expected": "Minsta förväntade antal", "n_sim": "Simuleringar", "seed": "Seed",
}
def gender_headers(words: SexWords) -> dict[str, str]:
    """Return the Jämställdhet sheet's headers in the words of the data (flickor/pojkar, kvinnor/män)."""
    f, m = words.female, words.male
    F, M = f[:1].upper() + f[1:], m[:1].upper() + m[1:]
    return {
        "question": "Fråga", "text": "Frågetext", "counted": COUNTED_HEADER,
        "girls_numerator": f"{F} täljare", "girls_denominator": f"{F} nämnare",
        "girls_rate": f"Andel {f}", "girls_low": f"{F} KI nedre", "girls_high": f"{F} KI övre",
        "boys_numerator": f"{M} täljare", "boys_denominator": f"{M} nämnare",
        "boys_rate": f"Andel {m}", "boys_low": f"{M} KI nedre", "boys_high": f"{M} KI övre",
        "difference": f"Skillnad ({f} − {m})", "difference_low": "Skillnad KI nedre",
        "difference_high": "Skillnad KI övre", "fisher_p": "Fishers exakta test p",
        "cmh_statistic": "CMH (åldersjusterat)", "cmh_p": "CMH p", "or_mh": f"Oddskvot MH ({f}/{m})",
        "or_mh_low": "OR MH KI nedre", "or_mh_high": "OR MH KI övre",
        "breslow_day_statistic": "Breslow–Day", "breslow_day_p": "Breslow–Day p",
        "min_detectable_difference": "Minsta upptäckbara skillnad (80 % styrka)",
        "unknown_sex": "Okänt kön", "unknown_age": "Ålder utanför grupperna", "conclusion": "Slutsats",
    }

NUMERIC_HEADERS = {
    "question": "Fråga", "text": "Frågetext", "stratum": "Stratum", "n": "Antal med värde", "missing": "Saknas",
    "mean": "Medelvärde", "sd": "Standardavvikelse", "median": "Median", "q1": "Nedre kvartil",
    "q3": "Övre kvartil", "min": "Min", "max": "Max", "design_mean": "Skattat medelvärde (designbaserat)",
    "se": "Standardfel", "low": "KI nedre", "high": "KI övre", "no_estimate": "Ingen skattning",
}
BAND_HEADERS = {"question": "Fråga", "band": "Åldersgrupp", "sex": "Kön", "numerator": "Täljare",
                "denominator": "Nämnare", "rate": "Andel"}
LOGISTIC_HEADERS = {"question": "Fråga", "term": "Term", "odds_ratio": "Oddskvot", "low": "KI nedre",
                    "high": "KI övre", "p": "p-värde"}
PERCENT_COLUMNS = {"rate", "low", "high", "estimate", "se", "girls_rate", "girls_low", "girls_high",
                   "boys_rate", "boys_low", "boys_high", "difference", "difference_low",
                   "difference_high", "min_detectable_difference"}


def cell_value(value: Any) -> Any:
    """Return a value openpyxl can store: numpy scalars as Python, NaN as an empty cell."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is not None and not isinstance(value, (int, float, str, bool)):
        return str(value)
    return value


def sheet_names(analysis: Analysis) -> dict[str, str]:
    """Return the sheet name of each question table (the question id, made unique and valid)."""
    taken = {s.casefold() for s in RESERVED_SHEETS}
    out = {}
    for qid in analysis.tables:
        name = "".join(ch for ch in qid if ch not in "[]:*?/\\")[:31] or "Fråga"
        base, k = name, 2
        while name.casefold() in taken:
            name = f"{base[:28]}_{k}"
            k += 1
        taken.add(name.casefold())
        out[qid] = name
    return out


def write_workbook(analysis: Analysis, path: str | Path) -> Path:
    """Write every table of the analysis to an XLSX workbook (atomically) and return its path."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"--ut ska vara en .xlsx-fil, fick {path.name!r}.", file=path)
    atomic_write(path, lambda tmp: _write(analysis, tmp))
    return path


def _write(analysis: Analysis, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = f"Analys av {analysis.checklist_id}"
    wb.properties.keywords = SECRECY

    for qid, name in sheet_names(analysis).items():
        _question_sheet(wb.create_sheet(name), analysis, qid, bold)
    if not analysis.random_sample:  # hand-picked: counts and shares only (analysis.nonrandom)
        shares = {k: v for k, v in INDICATOR_HEADERS.items() if k not in INFERENCE_COLUMNS}
        _frame_sheet(wb.create_sheet("Indikatorer"), analysis.indicator_frame(), shares, bold)
        if analysis.numeric:  # counts, means, medians and quartiles of the examined cases
            _frame_sheet(wb.create_sheet("Tal"), numeric_frame(analysis.numeric, analysis.total_label),
                         NUMERIC_HEADERS, bold)
        _about_sheet(wb.create_sheet("Om analysen"), analysis, bold)
        if analysis.record:
            record_sheet(wb.create_sheet("Urvalsprotokoll"), analysis.record, bold)
        _finish(wb, path)
        return
    _frame_sheet(wb.create_sheet("Indikatorer"), analysis.indicator_frame(), INDICATOR_HEADERS, bold)
    _frame_sheet(wb.create_sheet("Skattningar"), analysis.estimate_frame(), ESTIMATE_HEADERS, bold)
    if analysis.numeric:
        _frame_sheet(wb.create_sheet("Tal"), numeric_frame(analysis.numeric, analysis.total_label),
                     NUMERIC_HEADERS, bold)
    _frame_sheet(wb.create_sheet("Homogenitet"), analysis.homogeneity_frame(), HOMOGENEITY_HEADERS, bold)
    _frame_sheet(wb.create_sheet("Jämställdhet"), analysis.gender_frame(),
                 gender_headers(analysis.sex_words or CHILDREN), bold)
    _frame_sheet(wb.create_sheet("Jämställdhet ålder"), analysis.gender_band_frame(), BAND_HEADERS, bold)
    _frame_sheet(wb.create_sheet("Logistisk regression"), analysis.logistic_frame(), LOGISTIC_HEADERS,
                 bold)
    _about_sheet(wb.create_sheet("Om analysen"), analysis, bold)
    if analysis.record:
        record_sheet(wb.create_sheet("Urvalsprotokoll"), analysis.record, bold)
    _finish(wb, path)


def _finish(wb: Any, path: Path) -> None:
    for ws in wb.worksheets:
        ws.oddHeader.center.text = "Granskning: endast antal och andelar"
        ws.oddFooter.center.text = "Sida &P av &N"
    save_workbook(wb, path)


def _question_sheet(ws, analysis: Analysis, qid: str, bold) -> None:
    """Write counts and, below them, column shares in the published layout."""
    table = analysis.tables[qid]
    total = analysis.total_label

    def block(frame: pd.DataFrame, header: str, fmt: str | None) -> None:
        ws.append([header, *map(str, frame.columns)])
        for cell in ws[ws.max_row]:
            cell.font = bold
        for category, row in frame.iterrows():
            ws.append([str(category), *(cell_value(v) for v in row.to_numpy())])
            if fmt:
                for cell in ws[ws.max_row][1:]:
                    cell.number_format = fmt
            if category == total:
                for cell in ws[ws.max_row]:
                    cell.font = bold

    block(table.counts, table.text, None)
    ws.append([])
    note = "Andel av ärendena med svar i kolumnen"
    if table.multiple:
        note += " (flera svar möjliga: andelarna kan summera till mer än 100 %)"
    block(table.shares, note, PERCENT)
    ws.column_dimensions["A"].width = min(60, max(24, max(len(str(c)) for c in table.counts.index) + 2))
    for i, col in enumerate(table.counts.columns, start=2):
        from openpyxl.utils import get_column_letter

        ws.column_dimensions[get_column_letter(i)].width = max(9, min(24, len(str(col)) + 2))
    ws.freeze_panes = "B2"


def _frame_sheet(ws, frame: pd.DataFrame, headers: dict[str, str], bold) -> None:
    from openpyxl.utils import get_column_letter

    columns = [c for c in headers if c in frame.columns]
    ws.append([headers[c] for c in columns])
    for cell in ws[1]:
        cell.font = bold
    for row in frame[columns].itertuples(index=False):
        ws.append([cell_value(v) for v in row])
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        if col in PERCENT_COLUMNS:
            for cell in ws[letter][1:]:
                cell.number_format = PERCENT
        width = max([len(headers[col])] + [len(str(v)) for v in frame[col].head(200)]) + 2
        ws.column_dimensions[letter].width = min(max(width, 9), 60)
    ws.freeze_panes = "A2"
    if len(frame):
        ws.auto_filter.ref = ws.dimensions


def _about_sheet(ws, analysis: Analysis, bold) -> None:
    rows = [
        ("Checklista", f"{analysis.checklist_id} version {analysis.checklist_version}"),
        ("Källa", analysis.origin or "–"),
        ("Antal ärenden", analysis.n_cases),
        ("Strata-kolumn", analysis.strata_column),
        ("Antal strata", len(analysis.strata)),
        ("Intervallmetod", analysis.method),
        ("Konfidensnivå", 1 - analysis.alpha),
        ("Seed (Monte Carlo)", analysis.seed),
        ("Simuleringar", analysis.n_sim),
        ("Åldersgrupper", ", ".join(band_label(b) for b in analysis.bands) if analysis.bands else "–"),
        ("Kön", analysis.sex_words.pair if analysis.sex_words else "–"),
        ("Designbaserad skattning", "ja" if analysis.has_population else "nej (populationsstorlekar saknas)"),
        ("Intervall för skattningar", INTERVAL_NAMES[analysis.interval]),
    ]
    if not analysis.random_sample:  # hand-picked: no interval, test or estimate to describe
        rows = rows[:5] + [("Urval", "handplockat, inte slumpmässigt"), ("Anspråk", no_claim(analysis.record))]
    if analysis.numeric:
        rows.append(("Kvartiler (Tal)", QUANTILE_RULE))
        if analysis.random_sample:
            rows.append(("Skattat medelvärde (Tal)",
                         "designvägt (N/n) med ändlighetskorrektion, ± z · standardfel"))
    if analysis.outside is not None:
        rows.append(("Utanför granskningen", outside_sentence(
            analysis.outside, estimate=analysis.has_population)))
    rows += [("Varning", w) for w in analysis.warnings]
    for label, value in rows:
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = bold
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 80


def record_sheet(ws, record: dict[str, Any], bold, *, title: str | None = None) -> None:
    """Write a draw record (urvalsprotokoll) as key/value rows and a table of strata."""
    if title:
        ws.append([title])
        ws["A1"].font = bold
    for key, value in record.items():
        if key == "strata":
            continue
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
        ws.append([key, cell_value(shown)])
        ws.cell(ws.max_row, 1).font = bold
    strata = record.get("strata") or []
    if strata:
        with_reserves = any("reserver" in s for s in strata)
        ws.append([])
        ws.append(["Stratum", "N", "n"] + (["Reserver"] if with_reserves else []))
        for cell in ws[ws.max_row]:
            cell.font = bold
        for s in strata:
            ws.append([s.get("stratum"), s.get("N"), s.get("n")]
                      + ([s.get("reserver")] if with_reserves else []))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90


# ---------------------------------------------------------------- text


def _interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "saknas"
    return f"{tal(100 * low, 1)}–{tal(100 * high, 1)} %"


def _p(p: float, alpha: float = 0.05) -> str:
    return format_p(p, alpha)


def summary_text(analysis: Analysis) -> str:
    """Return a readable Swedish summary: one paragraph per indicator."""
    level = tal(100 * (1 - analysis.alpha), 0 if (100 * (1 - analysis.alpha)).is_integer() else 1)
    lines = [
        f"Analys av {antal(analysis.n_cases, 'ärende')} "
        + (f"i {antal(len(analysis.strata), 'stratum')} " if analysis.stratified else
           "som en grupp, utan strata ")
        + f"(checklista {analysis.checklist_id} version {analysis.checklist_version}).",
    ]
    lines += [f"Varning: {w}" for w in analysis.warnings]
    if not analysis.random_sample:
        lines.append(no_claim(analysis.record))
    if analysis.outside is not None:
        lines.append(outside_sentence(analysis.outside, estimate=analysis.has_population))
    if not analysis.indicators:
        lines.append("Checklistan har inga indikatorer bland frågorna i underlaget.")
    for num in analysis.numeric.values():
        lines += ["", *numeric_lines(num, level)]
    for qid, ind in analysis.indicators.items():
        r = ind.result
        o = r.overall
        lines.append("")
        if o.nobs == 0:
            lines.append(f"{ind.text} ({qid}): inga ärenden i nämnaren.")
            continue
        interval = f", {level} % KI {_interval(o.low, o.high)}" if analysis.random_sample else ""
        lines.append(f"{ind.text} – andel {ind.counted}: {o.count} av {o.nobs} ({procent(o.estimate)}"
                     f"{interval}) [{qid}]")
        table = analysis.tables.get(qid)
        if table is not None and not table.multiple:
            answered = int(table.counts.iloc[-1, -1])
            if answered > o.nobs:
                lines.append(f"  {antal(answered - o.nobs, 'ärende')} med hinder eller ej tillämpligt ingår "
                             "inte i nämnaren.")
        e = r.estimate
        if e is not None:
            lines.append(f"  Designbaserad skattning för populationen, andel {ind.counted}: "
                         f"{procent(e.estimate)} ({level} % KI {_interval(e.low, e.high)}, "
                         f"{INTERVAL_NAMES[e.interval]}), standardfel {tal(100 * e.se, 1)} procentenheter, "
                         f"designeffekt {tal(e.deff, 2)}.")
        h = r.homogeneity
        if h is not None and not math.isnan(h.statistic) and len(analysis.strata) > 1:
            how = (f"Monte Carlo med {antal(h.n_sim, 'simulering')}, seed {h.seed}" if h.method == "monte-carlo"
                   else "chi-två-fördelningen")
            said = ("statistiskt säkerställda" if significant(h.p, analysis.alpha)
                    else "kunde inte påvisas")
            if h.method == "monte-carlo" and simulation_borderline(h.p, h.n_sim, analysis.alpha):
                said = "gränsfall (p-värdet ligger inom simuleringens osäkerhet från gränsen)"
            lines.append(f"  Skillnader mellan strata: {said} (chi-två {tal(h.statistic, 2)}, "
                         f"{_p(h.p, analysis.alpha)}, {how}; Cramérs V {tal(h.cramers_v, 2)}).")
        if ind.funnel is not None and len(analysis.strata) > 1:
            parts = []
            for lv in ind.funnel.levels:
                out = ind.funnel.outside(lv)
                label = f"{tal(100 * lv, 1 if (100 * lv) % 1 else 0)} %"
                names = [f"{s} (över)" for s in out["over"]] + [f"{s} (under)" for s in out["under"]]
                parts.append(f"utanför {label}-gränserna: {', '.join(names) or 'inga'}")
            lines.append(f"  Trattdiagram (andel {ind.counted}, genomsnitt {procent(ind.funnel.centre)}): "
                         + "; ".join(parts) + ".")
        if r.gender is not None:
            lines.append(f"  Jämställdhet: {r.gender.conclusion}")
    return "\n".join(lines)


def numeric_lines(num, level: str) -> list[str]:
    """Return the summary's lines for one numeric question: overall figures, then one line per stratum."""
    o = num.overall
    head = f"{num.text} [{num.question}]"
    if o.n == 0:
        return [f"{head}: inget ärende har ett värde ({antal(o.missing, 'ärende')} saknar värde)."]
    lines = [f"{head}: {antal(o.n, 'ärende')} med värde"
             + (f", {heltal(o.missing)} saknar värde" if o.missing else "")
             + f". Medelvärde {tal(o.mean, 1)}, median {show(o.median)} (kvartiler {show(o.q1)}–"
             f"{show(o.q3)}), min {show(o.minimum)}, max {show(o.maximum)}."]
    e = o.estimate
    if e is not None:
        lines.append(f"  Designbaserat medelvärde för populationen: {tal(e.estimate, 1)} ({level} % KI "
                     f"{tal(e.low, 1)}–{tal(e.high, 1)}), standardfel {tal(e.se, 2)}.")
    elif o.no_estimate and o.no_estimate != NO_POPULATION:
        lines.append(f"  Ingen designbaserad skattning: {o.no_estimate}.")
    for stratum, s in num.per_stratum.items():
        if s.n == 0:
            lines.append(f"  {stratum}: inget värde ({antal(s.missing, 'ärende')} saknar värde).")
            continue
        ci = (f", {level} % KI {tal(s.estimate.low, 1)}–{tal(s.estimate.high, 1)}" if s.estimate is not None
              else f" ({s.no_estimate})" if s.no_estimate and s.no_estimate != NO_POPULATION else "")
        lines.append(f"  {stratum}: n = {heltal(s.n)}, medelvärde {tal(s.mean, 1)}{ci}, median {show(s.median)}.")
    return lines


# ---------------------------------------------------------------- charts


def write_charts(analysis: Analysis, directory: str | Path, *, suffix: str = ".png") -> list[Path]:
    """Draw stacked bars per choice question, a funnel plot per indicator and girls/boys; return the files."""
    directory = make_directory(directory)
    written = []
    for qid, table in analysis.tables.items():
        written.append(charts.stacked_bars(table.shares, directory / f"{qid}_fordelning{suffix}",
                                           title=table.text, total_label=analysis.total_label))
    for qid, ind in analysis.indicators.items():
        if ind.funnel is not None:
            written.append(charts.funnel_plot(ind.funnel, directory / f"{qid}_tratt{suffix}",
                                              title=ind.text, ylabel=f"Andel {ind.counted}"))
    for qid, num in analysis.numeric.items():
        if num.overall.n:
            t = num.threshold
            written.append(charts.box_plot(num.values, directory / f"{qid}_tal{suffix}", title=num.text,
                                           threshold=t.value if t else None, threshold_label=t.words if t else None))
    genders = {f"{qid}: andel {ind.counted}": ind.result.gender for qid, ind in analysis.indicators.items()
               if ind.result.gender is not None}
    if genders:
        words = analysis.sex_words
        written.append(charts.gender_plot(genders, directory / f"jamstalldhet{suffix}",
                                          title=f"Andel per indikator, {words.pair}", words=words))
    return written
