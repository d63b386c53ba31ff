"""``granskning skatta``: design-based estimate from a stratified sample table."""

from __future__ import annotations

import json

import click

from granskning.analysis.estimation import INTERVAL_NAMES, stratified_estimate
from granskning.cli.options import json_option
from granskning.errors import InputError
from granskning.fmt import procent, tal
from granskning.numbers import Confidence
from granskning.sampling.frame import read_table
from granskning.store.values import refuse_personnummer
from granskning.wording import antal

TYPES = ("medel", "total", "andel")
LABELS = {"medel": "Medelvärde", "total": "Total", "andel": "Andel"}


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, options_metavar="[FLAGGOR]")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--strata", required=True, metavar="KOLUMN", help="Kolumnen som anger stratum.")
@click.option("--population", required=True, metavar="KOLUMN",
              help="Kolumnen med stratumets populationsstorlek N_h (samma värde på alla rader i stratumet).")
@click.option("--variabel", required=True, metavar="KOLUMN", help="Kolumnen som ska skattas.")
@click.option("--typ", type=click.Choice(TYPES), default="medel", show_default=True,
              help="Vad som ska skattas.")
@click.option("--varde", default=None, metavar="VÄRDE",
              help="För --typ andel: värdet vars andel skattas (t.ex. Ja).")
@click.option("--vikt", default=None, metavar="KOLUMN",
              help="Kolumn med designvikter (standard N_h/n_h).")
@click.option("--konfidens", type=Confidence(), default="0.95", show_default=True,
              help="Konfidensnivå för intervallet (0,95 eller 0.95).")
@click.option("--intervall", "interval", type=click.Choice(["beta", "logit", "wald"]), default=None,
              help="Intervall för --typ andel: beta (Korn–Graubard, standard), logit eller wald.")
@click.option("--blad", default=None, metavar="NAMN", help="Bladet att läsa i en Excel-fil.")
@json_option()
def skatta(data, strata, population, variabel, typ, varde, vikt, konfidens, interval, blad, as_json):
    """Skatta medelvärde, total eller andel ur ett stratifierat urval.

    DATA är en CSV-fil (komma, semikolon eller tabb; UTF-8 eller Windows-1252)
    eller en Excel-fil. Tomma värden i variabeln räknas som utanför domänen
    men ligger kvar i designen. Standardfelet tar hänsyn till stratifieringen
    och ändlighetskorrektionen; designeffekten jämförs med ett obundet
    slumpmässigt urval av samma storlek.
    """

    if not 0 < konfidens < 1:
        raise InputError(f"--konfidens måste ligga mellan 0 och 1, fick {konfidens}.")
    if typ != "andel" and varde is not None:
        raise InputError("--varde kan bara användas med --typ andel.")
    if typ != "andel" and interval not in (None, "wald"):
        raise InputError("--intervall beta och logit gäller --typ andel.")
    columns = [strata, population, variabel] + ([vikt] if vikt else [])
    table = read_table(data, sheet=blad, usecols=list(dict.fromkeys(columns)))
    result = stratified_estimate(
        table, strata=strata, population=population, variable=variabel,
        kind=typ, value=varde, weights=vikt, alpha=1 - konfidens, interval=interval,
    )

    refuse_personnummer([result.to_json_dict(), varde], "skattningen", numbers=False,
                        advice="inget skrivs. Ta bort numret ur indata (välj en annan kolumn)")
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), ensure_ascii=False))
        return

    def number(x: float) -> str:
        if typ == "andel":
            return procent(x)
        return tal(x, 0 if typ == "total" and abs(x) >= 1000 else 2)

    what = f'{LABELS[typ]} för "{variabel}"' + (f" = {varde}" if typ == "andel" else "")
    level = tal(100 * konfidens, 0 if (100 * konfidens).is_integer() else 1)
    rows = [
        ("Skattning:", number(result.estimate)),
        ("Standardfel:", number(result.se)),
        (f"{level} % KI:", f"{number(result.low)} – {number(result.high)}"
         + (f" ({INTERVAL_NAMES[result.interval]})" if typ == "andel" else "")),
        ("Designeffekt:", tal(result.deff, 2)),
        ("Urval:", f"{antal(result.n, 'rad')} i {antal(result.strata, 'stratum')} "
                   f"(populationen {tal(result.population, 0)})"),
    ]
    lines = [what] + [f"  {label:<15} {value}" for label, value in rows]
    click.echo("\n".join(lines))
