"""``granskning tilldela``: distribute an audit's sampled cases among reviewers."""

from __future__ import annotations

import json

import click

from granskning.audit.assignment import assign_cases, parse_reviewers
from granskning.cli.options import audit_option, db_option, json_option, reviewers_option
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal


@click.command(name="tilldela", options_metavar="[FLAGGOR]")
@audit_option("Granskningens id (från granskning ny).")
@reviewers_option('Granskarna, kommaseparerade: "Anna,Bo,Cecilia".', required=True)
@click.option(
    "--per-stratum",
    is_flag=True,
    help="Ge hela strata till granskarna (största först) i stället för en jämn blandning.",
)
@click.option(
    "--kollegial",
    is_flag=True,
    help="Kollegial granskning: ingen får granska ärenden där hen själv är handläggare.",
)
@click.option(
    "--om",
    "reassign",
    is_flag=True,
    help="Fördela om ärenden som redan är tilldelade (färdiggranskade ärenden flyttas aldrig).",
)
@db_option
@json_option()
def tilldela(
    audit_id: int,
    reviewers: str,
    per_stratum: bool,
    kollegial: bool,
    reassign: bool,
    url: str | None,
    as_json: bool,
) -> None:
    """Fördela urvalets ärenden (utom reserver) mellan granskare.

    Som standard sorteras ärendena efter stratum och dragningsordning och delas
    ut i tur och ordning, så att alla får ärenden från alla strata. Redan
    tilldelade ärenden behålls om inte --om anges.
    """

    names = parse_reviewers(reviewers)
    with Store.open(url) as store:
        identity.require_coordinator(store, "tilldela ärenden")
        result = assign_cases(
            store, audit_id, names, per_stratum=per_stratum, peer=kollegial, reassign=reassign,
            who=identity.current(store),
        )
        for name in store.unknown_logins(names):
            click.echo(f'Obs! "{name}" är ingen inloggning i databasen och kan inte se sina '
                       f"ärenden förrän den finns: granskning db anvandare NAMN --roll granskare",
                       err=True)
    if as_json:
        payload = {
            "granskning": result.audit_id,
            "nya_tilldelningar": result.n_assigned,
            "behållna": result.n_kept,
            "granskare": [
                {
                    "granskare": load.reviewer,
                    "antal_ärenden": load.n_cases,
                    "per_stratum": dict(load.per_stratum),
                }
                for load in result.loads
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    total = sum(load.n_cases for load in result.loads)
    click.echo(
        f"Granskning {result.audit_id}: {antal(result.n_assigned, 'ärende')} {'tilldelat' if result.n_assigned == 1 else 'tilldelade'}, "
        f"{result.n_kept} behållna sedan tidigare."
    )
    width = max(len("Granskare"), len("Totalt"), *(len(load.reviewer) for load in result.loads))
    click.echo(f"{'Granskare':<{width}}  {'Ärenden':>7}  Per stratum")
    for load in result.loads:
        strata = ", ".join(f"{s} {n}" for s, n in load.per_stratum)
        click.echo(f"{load.reviewer:<{width}}  {load.n_cases:>7}  {strata}".rstrip())
    click.echo(f"{'Totalt':<{width}}  {total:>7}")
