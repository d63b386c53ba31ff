"""``granskning felmarginal``, ``storlek`` and ``stickprov``: precision and sample sizes.

Thin layer over :mod:`granskning.sampling.precision`; the heavy imports happen inside
the commands so that ``granskning --help`` stays fast.
"""

from __future__ import annotations

import json

import click

from granskning.analysis.tables import sv_key
from granskning.cli.options import json_option
from granskning.errors import InputError
from granskning.expr import expression as expr
from granskning.fmt import heltal, procent, tal
from granskning.numbers import Integer, parse_confidence, parse_rate
from granskning.sampling.allocation import allocate
from granskning.sampling.frame import filter_mask, read_table
from granskning.sampling.precision import (
    attribute_sample_size,
    evaluate_attribute_sample,
    margin_of_error,
    read_strata,
    sample_size,
    stratified_margin,
    stratified_sample_size,
)
from granskning.wording import antal

CONTEXT = {"help_option_names": ["-h", "--help"]}
PERCENT_RULE = (
    "Tal från 1 och uppåt läses som procent (5 = 5 %), tal under 1 som andel (0.05 = 5 %)."
)


def _rate(text: str | None, option: str, *, default: float | None = None) -> float | None:
    """Read a rate given as a fraction (0.05, 0,05) or as percent (5, 5 %): see numbers.parse_rate."""
    if text is None:
        return default

    return parse_rate(text, option)


def _confidence(text: str) -> float:
    return parse_confidence(text, "--konfidens")


def _level(confidence: float) -> str:
    pct = 100 * confidence
    return f"{tal(pct, 0 if abs(pct - round(pct)) < 1e-9 else 1)} %"


def _pp(x: float) -> str:
    return f"±{tal(100 * x, 1)} procentenheter"


def _share(p: float) -> str:
    return procent(p, 0 if round(100 * p, 6).is_integer() else 1)


def _echo_json(obj: dict) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _records(df, columns: dict[str, str]) -> list[dict]:
    out = []
    for row in df.to_dict("records"):
        item = {}
        for src, dst in columns.items():
            value = row[src]
            item[dst] = value.item() if hasattr(value, "item") else value
        out.append(item)
    return out


# --- felmarginal ----------------------------------------------------------------------


def _population_and_confidence(f):
    """Add the --population and --konfidens options shared by felmarginal and storlek."""
    f = click.option(
        "--konfidens",
        default="0.95",
        show_default=True,
        metavar="NIVÅ",
        help="Konfidensnivå som andel mellan 0 och 1.",
    )(f)
    return click.option(
        "--population",
        type=Integer(minimum=1),
        default=None,
        metavar="N",
        help="Populationens storlek (ger ändlighetskorrektion).",
    )(f)


@click.command(context_settings=CONTEXT, options_metavar="[FLAGGOR]")
@click.argument("ram", required=False, type=click.Path(dir_okay=False))
@click.option("--n", "n", type=Integer(minimum=1), default=None, metavar="N", help="Urvalets storlek.")
@_population_and_confidence
@click.option(
    "--andel",
    default=None,
    metavar="P",
    help="Förväntad andel (standard 50 %, som ger största felmarginalen). " + PERCENT_RULE,
)
@click.option(
    "--strata-fil",
    "strata_fil",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FIL",
    help="CSV/XLSX med kolumnerna stratum, N, n (och gärna p).",
)
@click.option(
    "--strata",
    "strata_col",
    default=None,
    metavar="KOLUMN",
    help="Med RAM: kolumnen som anger stratum; N_h räknas ur ramen.",
)
@click.option(
    "--per-stratum",
    "per_stratum",
    type=Integer(minimum=1),
    default=None,
    metavar="N",
    help="Med RAM: antal ärenden per stratum.",
)
@click.option("--filter", "filter_text", default=None, metavar="UTTRYCK",
              help="Med RAM: avgränsa populationen, t.ex. \"alder <= 12\".")
@click.option("--blad", default=None, metavar="NAMN", help="Bladet att läsa i en Excel-fil.")
@json_option("Skriv resultatet som ett JSON-objekt.")
def felmarginal(
    ram, n, population, konfidens, andel, strata_fil, strata_col, per_stratum, filter_text, blad, as_json
):
    """Felmarginal för en andel skattad ur ett urval av given storlek.

    \b
    Tre sätt:
      granskning felmarginal --n 286
      granskning felmarginal --strata-fil strata.csv      (kolumner stratum, N, n)
      granskning felmarginal RAM --strata stadsdel --per-stratum 26

    Felmarginalen är halva bredden av ett tvåsidigt konfidensintervall
    (normalapproximation), med ändlighetskorrektion när populationen är känd.
    För ett stratifierat urval visas felmarginalen per stratum, för hela
    populationen (vägd efter N_h) och som om urvalet vore ett obundet
    slumpmässigt urval, samt designeffekten.
    """

    confidence = _confidence(konfidens)
    p = _rate(andel, "--andel", default=0.5)
    modes = sum(x is not None for x in (n, strata_fil, ram))
    if modes != 1:
        raise InputError(
            "Ange precis ett av --n, --strata-fil eller en ram (RAM --strata … --per-stratum …)."
        )
    if ram is None and (strata_col or per_stratum is not None or filter_text):
        raise InputError("--strata, --per-stratum och --filter kräver en ram (RAM) som argument.")
    if n is not None:
        r = margin_of_error(n, population=population, confidence=confidence, p=p)
        if as_json:
            _echo_json(
                {
                    "n": r.n,
                    "felmarginal": r.margin,
                    "population": r.population,
                    "konfidens": r.confidence,
                    "andel": r.p,
                    "z": r.z,
                    "fpc": r.fpc,
                }
            )
            return
        _print_simple_margin(r)
        return
    if population is not None:
        raise InputError(
            "--population används bara med --n; i stratifierade urval ger N-kolumnen populationen."
        )
    strata = (
        _strata_from_frame(ram, strata_col, per_stratum, blad, filter_text)
        if ram
        else _read_strata(strata_fil, blad, need_n=True)
    )
    if andel is not None:
        if "p" in strata.columns:
            raise InputError("Ange andelen antingen med --andel eller i kolumnen p i strata-filen.")
        strata["p"] = p
    _stratified_margin_output(strata, confidence, as_json)


def _print_simple_margin(r) -> None:
    parts = [f"{_level(r.confidence)} konfidens", f"n = {heltal(r.n)}"]
    if r.population is not None:
        parts.append(f"population {heltal(r.population)}")
    parts.append(f"andel {_share(r.p)}")
    click.echo(f"Felmarginal: {_pp(r.margin)} ({', '.join(parts)})")


def _read_strata(path, blad, *, need_n):
    return read_strata(path, sheet=blad, need_n=need_n)


def _strata_from_frame(ram, strata_col, per_stratum, blad, filter_text=None):
    from pathlib import Path

    import pandas as pd

    if not strata_col or per_stratum is None:
        raise InputError("Med en ram behövs både --strata KOLUMN och --per-stratum N.")
    columns = [strata_col]
    expression = None
    if filter_text:
        expression = expr.parse(filter_text, source="--filter")
        columns += sorted(expression.names - {strata_col})
    table = read_table(ram, sheet=blad, usecols=columns)
    values = table[strata_col].astype(str).str.strip()
    empty = values == ""
    if empty.any():
        raise InputError(
            "stratum saknas (tomt värde).",
            file=ram,
            row=int(values.index[empty][0]),
            column=strata_col,
        )
    if expression is not None:
        values = values[filter_mask(table, expression, Path(ram).name)]
    if values.empty:
        raise InputError("ramen innehåller inga ärenden" + (" efter filtret." if expression else "."), file=ram)
    counts = values.value_counts(sort=False)
    population = {str(h): int(counts[h]) for h in sorted(counts.index, key=sv_key)}
    alloc = allocate(population, per_stratum=per_stratum)
    return pd.DataFrame({"stratum": alloc["stratum"], "N": alloc["N"], "n": alloc["n"]})


def _stratified_margin_output(strata, confidence, as_json) -> None:
    r = stratified_margin(strata, confidence=confidence)
    if as_json:
        _echo_json(
            {
                "n": r.n,
                "population": r.population,
                "konfidens": r.confidence,
                "andel": r.p,
                "felmarginal": r.margin,
                "felmarginal_naiv": r.naive_margin,
                "designeffekt": r.design_effect,
                "strata": _records(
                    r.strata,
                    {
                        "stratum": "stratum",
                        "N": "N",
                        "n": "n",
                        "p": "andel",
                        "weight": "vikt",
                        "margin": "felmarginal",
                    },
                ),
            }
        )
        return
    lines = _strata_lines(r.strata)
    lines += [
        "",
        f"Hela populationen (vägd efter N): {_pp(r.margin)} "
        f"({_level(r.confidence)} konfidens, n = {heltal(r.n)}, population {heltal(r.population)})",
        f"Som obundet slumpmässigt urval:   {_pp(r.naive_margin)}",
        f"Designeffekt: {tal(r.design_effect, 2)}",
    ]
    click.echo("\n".join(lines))


# --- storlek ----------------------------------------------------------------------------


@click.command(context_settings=CONTEXT, options_metavar="[FLAGGOR]")
@click.option(
    "--felmarginal",
    "felmarginal_",
    required=True,
    metavar="E",
    help="Önskad felmarginal. " + PERCENT_RULE,
)
@_population_and_confidence
@click.option(
    "--andel", default=None, metavar="P", help="Förväntad andel (standard 50 %). " + PERCENT_RULE
)
@click.option(
    "--strata-fil",
    "strata_fil",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FIL",
    help="CSV/XLSX med kolumnerna stratum, N (och gärna p): fördela urvalet.",
)
@click.option(
    "--fordelning",
    type=click.Choice(["lika", "proportionell", "neyman"]),
    default="lika",
    show_default=True,
    help="Hur urvalet fördelas över strata (med --strata-fil).",
)
@click.option(
    "--minst",
    type=Integer(minimum=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Minsta antal per stratum (med --strata-fil).",
)
@click.option("--blad", default=None, metavar="NAMN", help="Bladet att läsa i en Excel-fil.")
@json_option("Skriv resultatet som ett JSON-objekt.")
def storlek(
    felmarginal_, population, konfidens, andel, strata_fil, fordelning, minst, blad, as_json
):
    """Minsta urvalsstorlek för en önskad felmarginal.

    \b
    Exempel:
      granskning storlek --felmarginal 5            (±5 procentenheter, 95 % konfidens)
      granskning storlek --felmarginal 0.05 --population 1200
      granskning storlek --felmarginal 6 --strata-fil strata.csv --fordelning lika

    Felmarginalen kan anges som andel (0.05) eller i procent (5 eller 5%):
    tal från 1 och uppåt läses som procent.
    """

    target = _rate(felmarginal_, "--felmarginal")
    confidence = _confidence(konfidens)
    p = _rate(andel, "--andel", default=0.5)
    if strata_fil is None:
        if fordelning != "lika" or minst:
            raise InputError("--fordelning och --minst används bara med --strata-fil.")
        r = sample_size(target, population=population, confidence=confidence, p=p)
        if as_json:
            _echo_json(
                {
                    "n": r.n,
                    "felmarginal": r.target,
                    "uppnadd_felmarginal": r.margin,
                    "population": r.population,
                    "konfidens": r.confidence,
                    "andel": r.p,
                    "n0": r.n0,
                }
            )
            return
        extra = f", population {heltal(r.population)}" if r.population is not None else ""
        click.echo(
            f"Minsta urvalsstorlek: {heltal(r.n)}\n"
            f"  för felmarginal {_pp(r.target)} ({_level(r.confidence)} konfidens, "
            f"andel {_share(r.p)}{extra}); med n = {heltal(r.n)} blir den {_pp(r.margin)}"
        )
        return
    if population is not None:
        raise InputError("--population används inte med --strata-fil; N-kolumnen ger populationen.")
    strata = _read_strata(strata_fil, blad, need_n=False)
    if andel is not None:
        if "p" in strata.columns:
            raise InputError("Ange andelen antingen med --andel eller i kolumnen p i strata-filen.")
        strata["p"] = p
    r = stratified_sample_size(
        target, strata, allocation=fordelning, confidence=confidence, minimum=minst
    )
    if as_json:
        _echo_json(
            {
                "n": r.n,
                "fordelning": r.method,
                "felmarginal": r.target,
                "uppnadd_felmarginal": r.margin,
                "felmarginal_naiv": r.naive_margin,
                "designeffekt": r.design_effect,
                "konfidens": r.confidence,
                "strata": _records(
                    r.allocation,
                    {
                        "stratum": "stratum",
                        "N": "N",
                        "n": "n",
                        "takes_all": "hela_stratumet",
                        "p": "andel",
                        "margin": "felmarginal",
                    },
                ),
            }
        )
        return

    lines = _strata_lines(r.allocation)
    lines += [
        "",
        f"Minsta urvalsstorlek: {heltal(r.n)} ({r.method} fördelning)",
        f"  för felmarginal {_pp(r.target)} i hela populationen ({_level(r.confidence)} konfidens); "
        f"uppnådd {_pp(r.margin)}, designeffekt {tal(r.design_effect, 2)}",
    ]
    click.echo("\n".join(lines))


def _strata_lines(strata) -> list[str]:
    """Return the per-stratum table (Stratum, N, n, Felmarginal) as text lines.

    A ``takes_all`` column, when present, marks strata taken whole.
    """

    width = max(7, *(len(str(s)) for s in strata["stratum"]))
    lines = [f"{'Stratum':<{width}}  {'N':>7}  {'n':>5}  Felmarginal"]
    for row in strata.itertuples():
        note = "  (hela stratumet)" if getattr(row, "takes_all", False) else ""
        lines.append(
            f"{row.stratum!s:<{width}}  {heltal(row.N):>7}  {heltal(row.n):>5}  {_pp(row.margin)}{note}"
        )
    return lines


# --- stickprov ----------------------------------------------------------------------------


@click.command(context_settings=CONTEXT, options_metavar="[FLAGGOR]")
@click.option(
    "--tolerabel",
    default=None,
    metavar="T",
    help="Tolerabel avvikelsefrekvens (krävs vid planering). " + PERCENT_RULE,
)
@click.option(
    "--forvantad", default=None, metavar="E", help="Förväntad avvikelsefrekvens (standard 0)."
)
@click.option(
    "--risk",
    default=None,
    metavar="R",
    help="Risk för överförtroende (standard 5 %, dvs. 95 % säkerhet).",
)
@click.option(
    "--population",
    type=Integer(minimum=1),
    default=None,
    metavar="N",
    help="Populationens storlek: ger exakt hypergeometrisk beräkning (över 1 000 000: "
    "binomial, som då ger samma eller ett något större stickprov).",
)
@click.option(
    "--utvardera",
    is_flag=True,
    help="Utvärdera ett genomfört stickprov (kräver --n och --avvikelser).",
)
@click.option(
    "--n", "n", type=Integer(minimum=1), default=None, metavar="N",
    help="Med --utvardera: stickprovets storlek."
)
@click.option(
    "--avvikelser",
    type=Integer(minimum=0),
    default=None,
    metavar="K",
    help="Med --utvardera: antal avvikelser som hittades.",
)
@json_option("Skriv resultatet som ett JSON-objekt.")
def stickprov(tolerabel, forvantad, risk, population, utvardera, n, avvikelser, as_json):
    """Attributurval för internkontroll: stickprovsstorlek eller utvärdering.

    \b
    Planera:    granskning stickprov --tolerabel 5 --forvantad 1
    Utvärdera:  granskning stickprov --utvardera --n 93 --avvikelser 1 --tolerabel 5

    Stickprovet är det minsta n där den ensidiga övre gränsen för
    avvikelsefrekvensen (med 1 − risk säkerhet) ligger under den tolerabla
    när högst ceil(förväntad · n) avvikelser hittas (AICPA:s konvention,
    binomialfördelning; med --population exakt hypergeometrisk). Kontrollen
    är godkänd när den övre gränsen är lägre än den tolerabla frekvensen.
    Procentsatser: tal från 1 och uppåt läses som procent (5 = 5 %), tal
    under 1 som andel (0.05 = 5 %).
    """

    tol = _rate(tolerabel, "--tolerabel")
    risk_value = _rate(risk, "--risk", default=0.05)
    if utvardera:
        if n is None or avvikelser is None:
            raise InputError("--utvardera kräver både --n och --avvikelser.")
        if forvantad is not None:
            raise InputError(
                "--forvantad används bara när stickprovet planeras, inte vid --utvardera."
            )
        ev = evaluate_attribute_sample(
            n, avvikelser, risk=risk_value, tolerable=tol, population=population
        )
        if as_json:
            _echo_json(
                {
                    "n": ev.n,
                    "avvikelser": ev.deviations,
                    "avvikelsefrekvens": ev.sample_rate,
                    "ovre_grans": ev.upper_bound,
                    "godkand": ev.passes,
                    "risk": ev.risk,
                    "tolerabel": ev.tolerable,
                    "population": ev.population,
                    "metod": ev.method,
                }
            )
            return
        _print_evaluation(ev)
        return
    if n is not None or avvikelser is not None:
        raise InputError("--n och --avvikelser används bara med --utvardera.")
    if tol is None:
        raise InputError("Ange --tolerabel (tolerabel avvikelsefrekvens), t.ex. --tolerabel 5.")
    plan = attribute_sample_size(
        tol,
        expected=_rate(forvantad, "--forvantad", default=0.0),
        risk=risk_value,
        population=population,
    )
    if as_json:
        _echo_json(
            {
                "n": plan.n,
                "tillatna_avvikelser": plan.allowed_deviations,
                "ovre_grans": plan.upper_bound,
                "tolerabel": plan.tolerable,
                "forvantad": plan.expected,
                "risk": plan.risk,
                "population": plan.population,
                "metod": plan.method,
            }
        )
        return

    k = plan.allowed_deviations
    allowed = (
        "inga avvikelser"
        if k == 0
        else ("högst 1 avvikelse" if k == 1 else f"högst {k} avvikelser")
    )
    click.echo(
        f"Stickprov: {antal(plan.n, 'ärende')}; kontrollen godkänns vid {allowed}.\n"
        f"  Tolerabel avvikelse {procent(plan.tolerable, 2)}, förväntad {procent(plan.expected, 2)}, "
        f"säkerhet {_level(1 - plan.risk)} ({plan.method}"
        + (f", population {heltal(plan.population)}" if plan.population else "")
        + ").\n"
        f"  Övre gräns vid {k} {'avvikelse' if k == 1 else 'avvikelser'}: {procent(plan.upper_bound, 3)}"
    )


def _print_evaluation(ev) -> None:
    import math

    # rounded up, as the AICPA evaluation tables do: never shows a bound lower than it is
    shown = math.ceil(round(ev.upper_bound * 10_000, 6)) / 10_000
    lines = [
        f"Avvikelser: {ev.deviations} av {ev.n} ({procent(ev.sample_rate, 1)})",
        f"Övre gräns för avvikelsefrekvensen: {procent(shown, 2)} "
        f"({_level(1 - ev.risk)} säkerhet, {ev.method})",
    ]
    if ev.passes is True:
        lines.append(
            f"Godkänd: den övre gränsen är lägre än tolerabel avvikelse {procent(ev.tolerable, 2)}."
        )
    elif ev.passes is False:
        lines.append(
            f"Ej godkänd: den övre gränsen är inte lägre än tolerabel avvikelse {procent(ev.tolerable, 2)}."
        )
    click.echo("\n".join(lines))
