"""``granskning historik``: who changed what and when in an audit."""

from __future__ import annotations

import json

import click

from granskning.audit.pseudonym import find_case
from granskning.cli.options import audit_option, db_option, json_option, reviewer_option
from granskning.personnummer.number import scrub
from granskning.store import identity, trail
from granskning.store.database import Store

HELP = """Visa historiken för en granskning: varje svar som sparats, ändrats eller
tagits bort, varje tilldelning och varje ärende som markerats som klart, med
vem, när, före och efter.

Historiken kan bara utökas; ingen kan ändra eller ta bort rader i den. På en
PostgreSQL-databas ser en granskare bara historiken för sina egna ärenden.

\b
  granskning historik --granskning 1
  granskning historik --granskning 1 --arende Ä-K7QX2MBD4N
"""


@click.command(name="historik", help=HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--arende", "case", metavar="ÄRENDE", default=None,
              help="Bara ett ärende: pseudonymen (Ä-…), eller det verkliga id:t om du har "
                   "nyckeln.")
@reviewer_option("Vem du är (SQLite; på PostgreSQL den du loggar in som).")
@db_option
@json_option("Skriv historiken som JSON.")
def historik(audit_id: int, case: str | None, reviewer: str | None, url: str | None,
             as_json: bool) -> None:
    with Store.open(url) as store:
        identity.current(store, reviewer)  # refuses a --granskare that is not you
        audit = store.audit(audit_id)
        case_id = None if case is None else find_case(store, audit_id, case)
        frame = trail.history(store, audit_id, case_id)

    if as_json:
        shown = None if case_id is None else scrub(case_id)  # a database from before pseudonyms
        click.echo(json.dumps({"granskning": audit_id, "titel": scrub(audit.title), "ärende": shown,
                               "händelser": trail.as_json(frame)}, ensure_ascii=False))
        return

    title = f"Historik för granskning {audit_id}: {audit.title}"
    if case_id is not None:
        title += f", ärende {case_id}"
    click.echo(trail.render(frame, title=scrub(title)))
