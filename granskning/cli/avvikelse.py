"""``granskning avvikelse ny|lista``: the unit's log of deviations, lex Sarah, complaints, praise."""

from __future__ import annotations

import datetime as dt
import json

import click

from granskning.cli.options import db_option, json_option
from granskning.plan import deviations as log
from granskning.plan.calendar import period_of
from granskning.plan.model import PERIODS
from granskning.wording import antal

HELP = """Enhetens logg över avvikelser, lex Sarah-rapporter, klagomål och beröm.

Kategorierna är stadens (uppföljningstabellen i verksamhetsberättelsen). Loggen
räknas per period (T1, T2, VB) och kategori. Skriv aldrig personuppgifter i
loggen: fritext med ett personnummer vägras.

\b
  granskning avvikelse ny --typ avvikelse --datum 2026-03-04 \\
      --kategori "brister i rätts" --kalla medarbetare --avser "den egna" \\
      --atgard "Rutinen för kontroll av syskon är uppdaterad."
  granskning avvikelse lista --ar 2026
"""

NY_HELP = """Lägg till en post i avvikelseloggen.

Typer: avvikelse, lex_sarah, klagomal (klagomål eller synpunkt), berom.
En kategori kan skrivas med små eller stora bokstäver eller som början av
namnet ("bemöt" för Bemötande). Utan --kategori listas kategorierna för typen.
"""


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f'"{value}" är inget datum (skriv ÅÅÅÅ-MM-DD).') from None


@click.group(name="avvikelse", help=HELP, options_metavar="[FLAGGOR]")
def avvikelse() -> None:
    pass


@avvikelse.command(name="ny", help=NY_HELP, options_metavar="[FLAGGOR]")
@click.option("--typ", "kind", required=True, metavar="TYP",
              help="avvikelse, lex_sarah, klagomal eller berom.")
@click.option("--datum", "day", metavar="ÅÅÅÅ-MM-DD", callback=_date, default=None,
              help="Dagen händelsen inträffade eller kom in (standard: i dag).")
@click.option("--kategori", "category", metavar="TEXT",
              help="Vad avvikelsen berörde, vad klagomålet gällde, eller lex Sarah-bedömningen.")
@click.option("--kalla", "source", metavar="TEXT",
              help="Vem som identifierade avvikelsen, eller vem klagomålet eller berömmet kom från.")
@click.option("--avser", "concerns", metavar="TEXT",
              help="Avvikelser: den egna verksamheten eller en annan verksamhet.")
@click.option("--enhet", "unit", metavar="TEXT", help="Enheten (till exempel Familjehemsenheten).")
@click.option("--ivo", "reported_ivo", is_flag=True,
              help="Lex Sarah: rapporten är anmäld till IVO.")
@click.option("--aterkoppling", "feedback", is_flag=True,
              help="Klagomål: återkoppling har lämnats.")
@click.option("--atgard", "measures", metavar="TEXT", help="Vidtagna eller planerade åtgärder.")
@click.option("--beskrivning", "description", metavar="TEXT",
              help="Vad som hände, utan personuppgifter.")
@db_option
@json_option("Skriv den nya posten som JSON.")
def ny(kind: str, day: dt.date | None, category: str | None, source: str | None,
       concerns: str | None, unit: str | None, reported_ivo: bool, feedback: bool,
       measures: str | None, description: str | None, url: str | None, as_json: bool) -> None:
    item = log.entry(day=day or dt.date.today(), kind=kind, category=category, source=source,
                     concerns=concerns, unit=unit, reported_ivo=reported_ivo, feedback=feedback,
                     measures=measures, description=description)
    new_id, database = log.add(url, item)
    if as_json:
        out = item.to_json() | {"id": new_id, "databas": database}
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    what = item.category or log.KINDS[item.kind]
    click.echo(f"Post {new_id} i avvikelseloggen: {log.KINDS[item.kind]} {item.day.isoformat()} "
               f"({what}), period {period_of(item.day)}.")


@avvikelse.command(name="lista", options_metavar="[FLAGGOR]",
                   help="Visa loggens poster och antalet per period (T1, T2, VB) och kategori.")
@click.option("--ar", "year", type=click.IntRange(2000, 2100), default=None, metavar="ÅR",
              help="Året (standard: i år).")
@click.option("--enhet", "unit", metavar="TEXT", help="Bara poster för den här enheten.")
@db_option
@json_option("Skriv posterna och antalen som JSON.")
def lista(year: int | None, unit: str | None, url: str | None, as_json: bool) -> None:
    year = year or dt.date.today().year
    items = log.entries(url, year, unit)
    counts = log.period_counts(items, year)
    if as_json:
        click.echo(json.dumps({"ar": year, "enhet": unit, "poster": [e.to_json() for e in items],
                               "antal": counts}, ensure_ascii=False))
        return
    scope = f", {unit}" if unit else ""
    click.echo(f"Avvikelseloggen {year}{scope}: {antal(len(items), 'post', 'poster')}")
    if not items:
        return
    for e in items:
        parts = [e.day.isoformat(), log.KINDS[e.kind], e.category or "", e.unit or ""]
        click.echo(f"  {e.id:>4}  " + "; ".join(p for p in parts if p))
        if e.source:
            click.echo(f"        källa: {e.source}")
        if e.reported_ivo:
            click.echo("        anmäld till IVO")
        if e.measures:
            click.echo(f"        åtgärd: {e.measures}")
    click.echo("")
    click.echo("Antal per period")
    click.echo(f"  {'':<60}" + "".join(f"{p:>6}" for p in PERIODS) + f"{'Totalt':>8}")
    group = None
    for row in counts:
        if row["uppdelning"] != group:
            group = row["uppdelning"]
            click.echo(f"  {group}")
        name = row["kategori"] if len(row["kategori"]) <= 56 else row["kategori"][:55] + "…"
        click.echo(f"    {name:<58}" + "".join(f"{row[p]:>6}" for p in PERIODS)
                   + f"{row['totalt']:>8}")
