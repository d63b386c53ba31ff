"""``granskning utanfor``: a case outside the population, replaced by the next reserve."""

from __future__ import annotations

import json

import click

from granskning.audit.outside import mark_outside
from granskning.cli.options import audit_option, db_option, json_option
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal

HELP = """Markera ett ärende som utanför granskningen och ta in nästa reserv.

Ett draget ärende kan visa sig ligga utanför populationen (fel ålder, fel
beslut, en dubblett). Ärendet markeras med orsaken, och nästa oanvända
reserv i samma stratum (i dragningsordning) tas in och tilldelas samma
granskare. Båda ändringarna, med orsaken, syns i historiken (granskning
historik); urvalsprotokollet från dragningen ändras inte.

I analysen är ärendet varken ett svar eller ett bortfall: det räknas som
granskat och utanför populationen, och stratumets skattade
populationsstorlek minskar med den andel som låg utanför (se docs/analys.md).

Har ärendet redan svar vägras markeringen utan --ja; med --ja sparas svaren
i historiken men räknas inte i analysen. Finns ingen reserv kvar i stratumet
ändras ingenting, om inte --utan-reserv anges.

\b
  granskning utanfor --granskning 1 --arende Ä-K7QX2MBD4N --orsak "Barnet är 14 år"
"""


@click.command(name="utanfor", help=HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--arende", "case", required=True, metavar="ÄRENDE",
              help="Ärendet: pseudonymen (Ä-…), eller det verkliga id:t om du har nyckeln.")
@click.option("--orsak", "reason", required=True, metavar="TEXT",
              help="Varför ärendet ligger utanför granskningen (inga personnummer).")
@click.option("--ja", "with_answers", is_flag=True,
              help="Markera även ett ärende som redan har svar (svaren sparas men analyseras inte).")
@click.option("--utan-reserv", "no_reserve", is_flag=True,
              help="Markera ärendet utan att ta in någon reserv.")
@db_option
@json_option()
def utanfor(audit_id: int, case: str, reason: str, with_answers: bool, no_reserve: bool,
            url: str | None, as_json: bool) -> None:
    with Store.open(url) as store:
        identity.require_coordinator(store, "markera ärenden som utanför granskningen")
        result = mark_outside(store, audit_id, case, reason, with_answers=with_answers,
                              replace=not no_reserve, who=identity.current(store))
    if as_json:
        click.echo(json.dumps({
            "granskning": result.audit_id, "ärende": result.case_id, "stratum": result.stratum,
            "orsak": result.reason, "reserv": result.replacement, "granskare": result.reviewer,
            "sparade_svar": result.answers_kept,
        }, ensure_ascii=False))
        return
    where = f" i stratumet {result.stratum}" if result.stratum else ""
    click.echo(f"Ärendet {result.case_id}{where} är markerat som utanför granskningen "
               f"(orsak: {result.reason}).")
    if result.answers_kept:
        click.echo(f"Dess {antal(result.answers_kept, 'svar', 'svar')} finns kvar i historiken "
                   "men räknas inte i analysen.")
    if result.replacement is None:
        click.echo("Ingen reserv togs in.")
    elif result.reviewer:
        click.echo(f"Reserven {result.replacement} ersätter det och är tilldelad {result.reviewer}.")
    else:
        click.echo(f"Reserven {result.replacement} ersätter det; den är inte tilldelad någon ännu "
                   "(granskning tilldela).")
