"""``granskning kontroll``: answer the checklist case by case in the terminal."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from granskning.answers.prompts import Prompter
from granskning.answers.session import Session
from granskning.audit.double import second_reading_hint
from granskning.cli.options import audit_checklist_option, audit_option, db_option, reviewer_option
from granskning.store import identity
from granskning.store.database import Store
from granskning.store.double import SecondReadingStore

HELP = """Svara på granskningens checklista, ärende för ärende.

Du väljer bland dina tilldelade ärenden som inte är klara och svarar på
frågorna i tur och ordning; frågor som inte gäller hoppas över. Varje svar
sparas direkt. Avbryt när som helst med Ctrl-C: nästa gång fortsätter du
där du slutade.

Ärendena visas med sin pseudonym (Ä-…), stratum och dragningsnummer;
samordnarens lista (granskning lista) kopplar pseudonymen till akten.
Har någon annan ändrat ett svar sedan du läste det får du se det andra
svaret och välja vilket som gäller; inget skrivs över i tysthet.

Med --andra-lasning läser du de ärenden du har fått i en dubbelgranskning
(granskning dubbelgranska), utan att se den första granskarens svar; dina svar
sparas för sig och jämförs av samordnaren (granskning jamfor).

För en enkät (checklista med slag enkat, t.ex. delaktighetsenkat) är dina
ärenden de där du är handläggare; ingen tilldelning behövs.

\b
  granskning kontroll --granskning 1 --granskare Anna
"""


@click.command(name="kontroll", help=HELP, options_metavar="[FLAGGOR]")
@audit_option("Granskningens id (från granskning ny).")
@reviewer_option("Ditt namn som granskare (standard: ditt användarnamn). På PostgreSQL "
                 "är du alltid den du loggar in som.")
@audit_checklist_option()
@click.option("--andra-lasning", "second", is_flag=True,
              help="Läs dina ärenden i dubbelgranskningen (granskning dubbelgranska): du ser "
                   "inte den första granskarens svar, och dina svar sparas för sig.")
@db_option
def kontroll(audit_id: int, reviewer: str | None, checklist: Path | None, second: bool,
             url: str | None) -> None:
    with Store.open(url) as store:
        given = reviewer
        reviewer = identity.current(store, reviewer)
        if given is None and store.database_user() is None:
            click.echo(f"Granskare: {reviewer} (ditt användarnamn; ange ett annat namn med "
                       "--granskare NAMN).")
        hint = None if second else second_reading_hint(store, audit_id, reviewer)
        if hint:
            click.echo(hint)
        source = SecondReadingStore(store, reviewer) if second else store
        session = Session.open(source, audit_id, reviewer, checklist=checklist)
        try:
            Prompter(session).run()
            if hint:  # again at the end: the case list may have scrolled the first one away
                click.echo(hint)
        except KeyboardInterrupt:
            again = ["granskning", "kontroll", "--granskning", str(audit_id)]
            if given is not None or store.database_user() is None:
                again += ["--granskare", reviewer]
            if second:
                again += ["--andra-lasning"]
            if checklist is not None:
                again += ["--checklista", str(checklist)]
            if url is not None:  # display_url never shows a password
                again += ["--db", store.display_url]
            click.echo(f"\nAvbrutet. Dina svar är sparade. Fortsätt med: {shlex.join(again)}",
                       err=True)
            click.get_current_context().exit(130)
