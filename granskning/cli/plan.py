"""``granskning plan``: check an internal-control plan, show the year's calendar and risk matrix."""

from __future__ import annotations

import datetime as dt
import json

import click

from granskning.cli.options import db_option, json_option
from granskning.plan.overview import to_json, year_overview
from granskning.plan.text import render

HELP = """Kontrollera en internkontrollplan och visa årets kalender och riskmatris.

PLAN är en YAML-fil (se docs/plan.md) eller en medföljande plan
(ikp-familjehem). Planen kontrolleras först: ett fel visas med fil, rad och
nyckel. Kalendern visar när varje kontroll ska vara gjord och av vem, per
period (T1 januari–april, T2 maj–augusti, VB september–december). En kontroll
är genomförd när en granskning har skapats för den (granskning ny --plan PLAN
--kontroll ID); ett tillfälle vars dag har passerat utan granskning är
försenat.

\b
  granskning plan ikp-familjehem --ar 2026
  granskning plan min-plan.yaml --idag 2026-09-15 --json
"""


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f'"{value}" är inget datum (skriv ÅÅÅÅ-MM-DD).') from None


@click.command(name="plan", help=HELP, options_metavar="[FLAGGOR]")
@click.argument("path", metavar="PLAN")
@click.option("--ar", "year", type=click.IntRange(2000, 2100), default=None, metavar="ÅR",
              help="Året att visa (standard: planens ar, annars i år).")
@click.option("--idag", "today", metavar="ÅÅÅÅ-MM-DD", callback=_date, default=None,
              help="Dagen som försenade kontroller räknas mot (standard: i dag).")
@db_option
@json_option("Skriv planen, kalendern och riskmatrisen som JSON.")
def plan(path: str, year: int | None, today: dt.date | None, url: str | None,
         as_json: bool) -> None:
    view = year_overview(path, year=year, today=today, url=url)
    if as_json:
        click.echo(json.dumps(to_json(view), ensure_ascii=False, allow_nan=False))
    else:
        click.echo(render(view))
