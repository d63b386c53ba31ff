"""``granskning checklista``: validate, show and list checklists."""

from __future__ import annotations

import json

import click

from granskning.checklist import bundled, load
from granskning.checklist.render import render, summary, to_dict
from granskning.cli.options import json_option
from granskning.errors import InputError, ManyInputErrors


@click.group(options_metavar="[FLAGGOR]", subcommand_metavar="KOMMANDO [ARGUMENT]...")
def checklista() -> None:
    """Validera och visa checklistor.

    FIL kan vara en sökväg till en YAML-fil eller id:t för en medföljande
    checklista (se "granskning checklista lista").
    """


@checklista.command(options_metavar="[FLAGGOR]")
@click.argument("filer", nargs=-1, required=True, metavar="FIL...")
def validera(filer: tuple[str, ...]) -> None:
    """Kontrollera en eller flera checklistor och visa alla fel.

    Avslutar med kod 2 om någon checklista har fel.
    """

    failed = False
    for name in filer:
        try:
            checklist = load(name)
        except ManyInputErrors as exc:
            failed = True
            for problem in exc.errors:
                click.echo(f"Fel: {problem.message}", err=True)
        except InputError as exc:
            failed = True
            click.echo(f"Fel: {exc.message}", err=True)
        else:
            click.echo(f"OK: {summary(checklist)}")
    if failed:
        raise click.exceptions.Exit(2)


@checklista.command(options_metavar="[FLAGGOR]")
@click.argument("fil", metavar="FIL")
@json_option("Skriv checklistan som ett JSON-objekt.")
@click.option("--bredd", default=80, show_default=True, type=click.IntRange(40, 200),
              help="Största radbredd i tecken.")
def visa(fil: str, as_json: bool, bredd: int) -> None:
    """Visa en checklista: områden, numrerade frågor, svar, villkor och lagrum."""

    checklist = load(fil)
    if as_json:
        click.echo(json.dumps(to_dict(checklist), ensure_ascii=False, indent=2))
    else:
        click.echo(render(checklist, width=bredd), nl=False)


@checklista.command(options_metavar="[FLAGGOR]")
@json_option("Skriv listan som ett JSON-objekt.")
def lista(as_json: bool) -> None:
    """Lista de checklistor som följer med verktyget."""

    rows, failed = [], []
    for path in bundled():
        try:
            c = load(path)
        except InputError:
            failed.append(path.name)
            continue
        rows.append({"id": c.id, "titel": c.title, "version": c.version, "slag": c.kind,
                     "antal_fragor": len(c.questions), "fil": str(path)})
    if as_json:
        click.echo(json.dumps({"checklistor": rows, "med_fel": failed}, ensure_ascii=False))
    else:
        width = max([len(r["id"]) for r in rows] + [2])
        click.echo(f"{'id':<{width}}  {'version':<8} {'frågor':>6}  titel")
        for r in rows:
            click.echo(f"{r['id']:<{width}}  {r['version']:<8} {r['antal_fragor']:>6}  {r['titel']}")
        for name in failed:
            click.echo(f'Fel: {name} har fel; kör "granskning checklista validera {name}"', err=True)
    if failed:
        raise click.exceptions.Exit(2)
