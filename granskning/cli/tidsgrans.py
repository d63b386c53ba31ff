"""``granskning tidsgrans``: how many cases in the register met a time limit."""

from __future__ import annotations

import json
from pathlib import Path

import click

from granskning.cli.options import json_option
from granskning.sampling.timelimits import TimeLimit, time_limits

HELP = """Andel ärenden i registret som klarade en tidsgräns, totalt och per stratum.

RAM är ärendeförteckningen (CSV eller .xlsx, läses som vid urval). Dagarna räknas
från datumet i --fran till datumet i --till (kalenderdagar; samma dag = 0 dagar)
och ett ärende är inom gränsen när dagarna är högst --dagar: dag 14 räknas som
inom 14 dagar. Ärenden som saknar något av datumen, och ärenden där --till ligger
före --fran (fel i registret), räknas och redovisas men ingår inte i andelen.

Datum skrivs ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller ÅÅÅÅ-MM-DD TT:MM (i Excel även
datumceller); tomt = datum saknas. Andra värden ger ett fel med fil, rad och kolumn.

Exempel (förhandsbedömningar inom 14 dagar, per stadsdel):

\b
  granskning tidsgrans ram.csv --fran inkom_datum --till beslut_datum \\
      --dagar 14 --strata stadsdel --filter 'arendetyp == "förhandsbedömning"'
"""


@click.command(help=HELP, options_metavar="[FLAGGOR]", context_settings={"max_content_width": 100})
@click.argument("ram", type=click.Path(dir_okay=False, path_type=Path), metavar="RAM")
@click.option("--fran", required=True, metavar="KOLUMN", help="Kolumnen med startdatumet (t.ex. inkom_datum).")
@click.option("--till", required=True, metavar="KOLUMN", help="Kolumnen med slutdatumet (t.ex. beslut_datum).")
@click.option("--dagar", required=True, type=click.IntRange(min=0), metavar="N",
              help="Tidsgränsen i dagar (högst N dagar räknas som inom gränsen).")
@click.option("--strata", metavar="KOLUMN", help="Redovisa också per värde i KOLUMN, t.ex. stadsdel.")
@click.option("--filter", "filter_text", metavar="UTTRYCK",
              help="Avgränsa populationen som vid urval, t.ex. \"alder <= 12\".")
@click.option("--namn", metavar="TEXT", help="Rubrik för tidsgränsen, t.ex. \"Förhandsbedömning inom 14 dagar\".")
@click.option("--benamning", metavar="TEXT",
              help="Vad ärendena kallas i meningen, i bestämd form plural (t.ex. \"förhandsbedömningarna\").")
@click.option("--blad", metavar="NAMN", help="Bladet i en Excel-ram (standard: första bladet).")
@json_option("Skriv resultatet som JSON på stdout (andelar som bråktal).")
def tidsgrans(ram: Path, fran: str, till: str, dagar: int, strata: str | None, filter_text: str | None,
              namn: str | None, benamning: str | None, blad: str | None, as_json: bool) -> None:
    (result,) = time_limits(ram, [TimeLimit(fran, till, dagar, namn, benamning)], strata=strata,
                            filter=filter_text, sheet=blad)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        click.echo(result.text())
