"""``granskning db``: create, migrate and inspect the answer database."""

from __future__ import annotations

import json

import click

from granskning.cli.options import db_option, json_option
from granskning.errors import StoreError
from granskning.store.database import Store

LABELS = {
    "audits": "granskningar",
    "cases": "ärenden",
    "assignments": "tilldelningar",
    "answers": "svar",
    "answer_history": "historikrader",
    "change_log": "övriga historikrader",
}


@click.group(name="db", options_metavar="[FLAGGOR]", subcommand_metavar="KOMMANDO [ARGUMENT]...")
def db() -> None:
    """Skapa, migrera och visa databasen för svar och tilldelning; roller och användare."""


INIT_HELP = """Skapa tabellerna i en ny databas (gör inget om de redan finns).

Med --roller (bara PostgreSQL) skapas också grupprollerna granskning_samordnare
och granskning_granskare, och de får sina rättigheter på tabellerna. Lägg sedan
till personer med granskning db anvandare NAMN --roll granskare|samordnare.
Se docs/server.md.
"""


@db.command(name="init", help=INIT_HELP, options_metavar="[FLAGGOR]")
@db_option
@click.option("--roller", "roles", is_flag=True,
              help="PostgreSQL: skapa rollerna för samordnare och granskare och ge dem rättigheter.")
def init(url: str | None, roles: bool) -> None:
    with Store.open(url, create=True) as store:
        before = store.schema_version()
        steps = store.init()
        if steps:
            click.echo(
                f"Databasen {store.display_url} är klar (schemaversion {steps[-1].version})."
            )
        else:
            click.echo(
                f"Databasen {store.display_url} är redan initierad (schemaversion {before})."
            )
        if roles:
            created = store.setup_roles()
            made = f" (nya: {', '.join(created)})" if created else ""
            click.echo(f"Rollerna granskning_samordnare och granskning_granskare har sina "
                       f"rättigheter{made}.")


@db.command(name="anvandare", options_metavar="[FLAGGOR]")
@click.argument("name", metavar="NAMN")
@click.option("--roll", "role", type=click.Choice(["granskare", "samordnare"]), required=True,
              help="Granskare svarar på sina tilldelade ärenden; samordnare gör allt annat.")
@click.option("--losenord", "password", is_flag=True,
              help="Fråga efter ett lösenord för inloggningen (annars sätts inget).")
@db_option
def anvandare(name: str, role: str, password: bool, url: str | None) -> None:
    """Lägg till en person som granskare eller samordnare (bara PostgreSQL).

    Skapar inloggningen NAMN (små bokstäver, siffror, understreck) i gruppen
    för rollen, eller lägger en befintlig inloggning i gruppen.
    """

    secret = None
    if password:
        secret = click.prompt("Lösenord", hide_input=True, confirmation_prompt="Upprepa lösenordet")
    with Store.open(url) as store:
        created = store.add_user(name, role, password=secret)
    what = "skapad" if created else "fanns redan och har lagts till"
    click.echo(f"Inloggningen {name} {what} som {role}.")


@db.command(name="migrera", options_metavar="[FLAGGOR]")
@db_option
def migrera(url: str | None) -> None:
    """Uppgradera databasens schema till den version verktyget använder."""

    with Store.open(url) as store:
        before = store.schema_version()
        if before == 0:
            raise StoreError(
                f"Databasen {store.display_url} saknar tabeller, så det finns inget att "
                "migrera. Skapa tabellerna med: granskning db init"
            )
        steps = store.migrate()
        if steps and store.roles_ready():
            store.setup_roles()  # rights on the tables a migration added
        if not steps:
            click.echo(f"Databasen har redan den senaste schemaversionen ({before}).")
            return
        for step in steps:
            click.echo(f"Migrering {step.version}: {step.description}")
        click.echo(f"Schemaversion {before} → {steps[-1].version}.")


@db.command(name="status", options_metavar="[FLAGGOR]")
@db_option
@json_option()
def status(url: str | None, as_json: bool) -> None:
    """Visa databasens schemaversion, migreringar och antal rader."""
    from granskning.store.migrations import LATEST

    with Store.open(url) as store:
        applied, pending = store.schema_steps()
        version = applied[-1].version if applied else 0
        counts = None
        if version == LATEST:
            counts = {LABELS[t]: n for t, n in store.table_counts().items()}
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "databas": store.display_url,
                        "typ": store.dialect,
                        "schemaversion": version,
                        "senaste_schemaversion": LATEST,
                        "tillämpade": [
                            {
                                "version": s.version,
                                "beskrivning": s.description,
                                "tidpunkt": s.applied_at.isoformat() if s.applied_at else None,
                                "verktygsversion": s.tool_version,
                            }
                            for s in applied
                        ],
                        "väntande": [
                            {"version": s.version, "beskrivning": s.description} for s in pending
                        ],
                        "antal_rader": counts,
                    },
                    ensure_ascii=False,
                )
            )
            return
        click.echo(f"Databas:        {store.display_url} ({store.dialect})")
        click.echo(f"Schemaversion:  {version} (verktyget använder {LATEST})")
        click.echo("Tillämpade migreringar:" if applied else "Tillämpade migreringar: inga")
        for s in applied:
            when = s.applied_at.astimezone().strftime("%Y-%m-%d %H:%M") if s.applied_at else ""
            click.echo(f"  {s.version}  {when}  granskning {s.tool_version}  {s.description}")
        click.echo("Väntande migreringar:" if pending else "Väntande migreringar: inga")
        for s in pending:
            click.echo(f"  {s.version}  {s.description}")
        if version == 0:
            click.echo("Databasen är tom. Kör: granskning db init")
        elif pending:
            click.echo("Kör: granskning db migrera")
        if counts is not None:
            click.echo("Innehåll:       " + ", ".join(f"{n} {t}" for t, n in counts.items()))
