"""The sentences of the granskningsrapport: what a number means, in Swedish, never more than it shows.

The margin of error of the sample, the draw record and how to check it, an
indicator's rate, the homogeneity test across strata, the funnel plot, the
gender conclusion and the statement of the disclosure control.  With a
:class:`~granskning.analysis.disclosure.ReportMask` a sentence that would quote
a withheld figure says so instead.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from granskning.audit.protocol_run import show_fingerprint
from granskning.fmt import heltal, procent, procentenheter, tal
from granskning.report.document import Block, Paragraph
from granskning.report.tables import _words
from granskning.report.text import escape
from granskning.sampling.precision import margin_of_error, stratified_margin
from granskning.wording import antal, format_p, significant, simulation_borderline

if TYPE_CHECKING:
    from granskning.analysis.analyse import Analysis
    from granskning.analysis.disclosure import ReportMask
    from granskning.audit.protocol import Protocol


def _ci(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "saknas"
    return f"{tal(100 * low, 1)}–{tal(100 * high, 1)} %"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _margin_text(record: dict[str, Any], column: str | None, per_stratum: int | None) -> list[Block]:
    import pandas as pd

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
    interval = f", {level} % konfidensintervall {_ci(o.low, o.high)}" if analysis.random_sample else ""
    return (f"<b>Andel {escape(ind.counted)}:</b> {heltal(o.count)} av {antal(o.nobs, 'ärende')} "
            f"({procent(o.estimate)}{interval}).{left}")


def _homogeneity_sentence(analysis: Analysis, qid: str, mask: ReportMask | None = None) -> str:
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
