"""``granskning svar``: answers in an Excel template (exportera, importera)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from granskning.answers.excel import export_template, import_answers
from granskning.cli import options
from granskning.cli.options import db_option
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal

IMPORT_HELP = """Läs in en ifylld svarsmall (från granskning svar exportera).

En rad med minst ett svar är ärendets alla svar: svaren sparas och tidigare
sparade svar som raden lämnar tomma tas bort (historiken behåller dem). En rad
utan svar lämnar ärendet orört. Flera val i en cell skiljs med semikolon.

Varje cell kontrolleras mot checklistan (typ, svarsalternativ, gränser, datum,
villkor, frågor som krävs och motiveringar). Finns något fel skrivs alla fel ut
och ingenting sparas; annars sparas allt i en enda transaktion.

Har någon annan ändrat ett svar sedan mallen exporterades, och filen skulle
ändra det, skrivs varje sådan cell ut med det andra svaret, vem och när, och
ingenting sparas. Exportera då en ny mall, eller läs in med --skriv-over om
filens svar ska ersätta de andras.

Ändringarna står i historiken under den som läser in filen (--granskare, ditt
användarnamn, eller på PostgreSQL den du loggar in som). Utskriften säger vems
ärenden filen ändrade: "Ärendena tillhör: Anna (3 ärenden, 12 svar)".
"""


@click.group(name="svar", options_metavar="[FLAGGOR]", subcommand_metavar="KOMMANDO [ARGUMENT]...")
def svar() -> None:
    """Exportera och importera svar i en Excel-mall."""


audit_option = options.audit_option("Granskningens id (från granskning ny).")
checklist_option = options.audit_checklist_option()
json_option = options.json_option()


@svar.command(name="exportera", options_metavar="[FLAGGOR]")
@audit_option
@click.option("--ut", "out", required=True, metavar="FIL.xlsx",
              type=click.Path(dir_okay=False, path_type=Path), help="Mallen att skriva.")
@options.reviewer_option("Bara den här granskarens ärenden.")
@checklist_option
@db_option
@json_option
def exportera(audit_id: int, out: Path, reviewer: str | None, checklist: Path | None,
              url: str | None, as_json: bool) -> None:
    """Skriv en svarsmall: en rad per ärende, en kolumn per fråga, med sparade svar ifyllda."""

    with Store.open(url) as store:
        done = export_template(store, audit_id, out, checklist=checklist, reviewer=reviewer)
    if as_json:
        click.echo(json.dumps({"granskning": audit_id, "fil": done.path, "ärenden": done.n_cases,
                               "svarskolumner": done.n_columns,
                               "ifyllda_svar": done.n_prefilled}, ensure_ascii=False))
        return
    click.echo(f"Skrev {done.path}: {antal(done.n_cases, 'ärende')}, {antal(done.n_columns, 'svarskolumn')}, "
               f"{done.n_prefilled} svar redan ifyllda.")


@svar.command(name="importera", help=IMPORT_HELP, options_metavar="[FLAGGOR]")
@click.argument("fil", type=click.Path(dir_okay=False, path_type=Path), metavar="FIL.xlsx")
@audit_option
@options.reviewer_option("Vem som för in svaren (standard: ditt användarnamn; på PostgreSQL alltid "
                         "den du loggar in som).", param="who")
@click.option("--skriv-over", "overwrite", is_flag=True,
              help="Låt filens svar ersätta svar som andra har ändrat sedan exporten.")
@checklist_option
@db_option
@json_option
def importera(fil: Path, audit_id: int, who: str | None, overwrite: bool,
              checklist: Path | None, url: str | None, as_json: bool) -> None:
    with Store.open(url) as store:
        done = import_answers(store, audit_id, fil, who=identity.current(store, who),
                              checklist=checklist, overwrite=overwrite)
    if as_json:
        owners = {name or "": {"ärenden": n, "ändrade_svar": k} for name, n, k in done.owners}
        click.echo(json.dumps({"granskning": audit_id, "ärenden": done.n_cases,
                               "ändrade_svar": done.n_changed,
                               "rader_utan_svar": done.n_skipped_rows,
                               "sparat_av": done.who, "granskare": owners},
                              ensure_ascii=False))
        return
    click.echo(f"Läste in svar för {antal(done.n_cases, 'ärende')}: {done.n_changed} svar sparade eller "
               f"borttagna ({antal(done.n_skipped_rows, 'rad')} utan svar lämnades {'orörd' if done.n_skipped_rows == 1 else 'orörda'}).")
    if done.owners:
        click.echo(done.owners_text())
