"""``granskning ny``: create an audit from a drawn sample and a checklist."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from granskning.audit import pseudonym
from granskning.audit.create import CaseColumns, create_from_sample
from granskning.audit.handpicked import create_from_list
from granskning.checklist import load
from granskning.cli._protocol import ny_from_protocol
from granskning.cli.options import db_option, json_option
from granskning.plan.files import run_of
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal

HELP = """Skapa en ny granskning av ett urval med en checklista, eller ur ett protokoll.

Med ett PROTOKOLL (fil eller medföljande id, se protocols/) dras urvalet ur
ramen (--ram) enligt protokollets design och granskningen skapas med
protokollets checklista och titel:

\b
  granskning ny forhandsbedomningar-2024 --ram ram.csv
  granskning ny forhandsbedomningar-2024 --ram ram.csv --kontrollera-urval

Med --plan PLAN --kontroll ID blir granskningen en körning av en kontroll i
enhetens internkontrollplan; granskning plan visar den då som genomförd.

Med --kontrollera-urval dras urvalet bara och dess fingeravtryck skrivs ut,
för att jämföra med fingeravtrycket i rapporten; inget sparas.

Utan protokoll:

Urvalets ärenden (och reserver) läggs in med stratum, vikt,
inklusionssannolikhet och dragordning. Kön, ålder och handläggare hämtas ur
urvalets kolumner (om urvalet drogs med --kolumner) eller ur ramen (--ram),
där ärendet letas upp på sitt id.

Med --personnummer räknas kön och ålder fram ur personnumret (åldern vid
referensdatumet, standard: dagen då urvalet drogs, eller med --aldersdatum
vid varje ärendes eget datum). Personnumret sparas aldrig.

Ärendedata (--arendedata, annars checklistans arendedata) följer med varje
ärende: datum, tal eller text som checklistans villkor kan använda och som
granskaren ser i ärendets rubrik.

Ärendena sparas under pseudonymer (Ä-…), gjorda med enhetens nyckel
(GRANSKNING_NYCKEL eller nyckelfilen, som skapas med rättigheterna 0600 första
gången). Samordnaren skriver ut listan tillbaka till de verkliga id:na med
granskning lista.

Handplockade ärenden (inget slumpmässigt urval): --urval LISTA --handplockat,
där LISTA är en CSV- eller Excelfil med en rubrikrad och ett ärende per rad
(en kolumn, eller ange ärende-id-kolumnen med --id; stratum med --strata).
Granskningen märks som inte slumpmässig, och varje utdata säger att den inte
gör anspråk på populationen: bara antal och andelar av de granskade
ärendena, ingen felmarginal, inga intervall, tester eller skattningar.

Exempel:

\b
  granskning ny --urval urval.xlsx --checklista forhandsbedomning-0-12 \\
      --titel "Förhandsbedömningar våren 2024" --ram ram.csv \\
      --personnummer personnr --handlaggare handlaggare
  granskning ny --urval utvalda.csv --handplockat --strata enhet \\
      --checklista forhandsbedomning-0-12 --titel "Öppenvården 2024"
"""


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f'"{value}" är inget datum (skriv ÅÅÅÅ-MM-DD).') from None


def _case_data(text: str | None) -> dict[str, str] | None:
    """Return ``--arendedata``: ``a,b`` or ``namn=kolumn,…`` as name -> column."""
    if text is None:
        return None
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if part:
            name, _, column = part.partition("=")
            out[name.strip()] = column.strip() or name.strip()
    return out


@click.command(name="ny", help=HELP, options_metavar="[FLAGGOR]")
@click.argument("protocol", required=False, metavar="[PROTOKOLL]")
@click.option("--kontrollera-urval", "check_only", is_flag=True,
              help="Med PROTOKOLL: dra urvalet och skriv fingeravtrycket utan att spara något.")
@click.option("--urval", "sample_path", metavar="FIL",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Arbetsboken från granskning urval (.xlsx eller .json), eller med "
                   "--handplockat en lista med ärende-id (CSV eller Excel).")
@click.option("--handplockat", "handpicked", is_flag=True,
              help="--urval är en lista med handplockade ärenden, inte ett slumpmässigt urval.")
@click.option("--id", "id_column", metavar="KOLUMN",
              help="Med --handplockat: kolumnen med ärende-id (behövs när listan har flera kolumner).")
@click.option("--strata", "strata_column", metavar="KOLUMN",
              help="Med --handplockat: kolumnen med stratum (stadsdel, enhet).")
@click.option("--checklista", "checklist", metavar="ID|FIL",
              help="Checklistans id (medföljande) eller en YAML-fil.")
@click.option("--titel", "title", metavar="TEXT", help="Granskningens titel.")
@click.option("--slag", "kind", type=click.Choice(["granskning", "internkontroll"]),
              default="granskning", show_default=True, help="Granskning eller internkontroll.")
@click.option("--ram", "frame_path", metavar="RAM", type=click.Path(dir_okay=False, path_type=Path),
              help="Ramen att hämta kolumner ur när de inte finns i urvalet.")
@click.option("--kon", "sex", metavar="KOLUMN", help="Kolumnen med kön (flicka/pojke eller kvinna/man).")
@click.option("--alder", "age", metavar="KOLUMN", help="Kolumnen med ålder.")
@click.option("--personnummer", "pnr", metavar="KOLUMN",
              help="Kolumnen med personnummer (ger kön och ålder; sparas inte).")
@click.option("--handlaggare", "case_worker", metavar="KOLUMN",
              help="Kolumnen med ärendets handläggare.")
@click.option("--arendedata", "case_data", metavar="KOLUMN[,KOLUMN…]",
              help="Kolumner som följer med varje ärende som ärendedata, t.ex. "
                   "inkom_datum,beslut_datum (eller namn=kolumn). Standard: checklistans "
                   "arendedata, ur kolumnerna med samma namn.")
@click.option("--aldersdatum", "age_date", metavar="KOLUMN",
              help="Räkna åldern vid ärendets eget datum i denna kolumn (kräver --personnummer).")
@click.option("--referensdatum", "reference", metavar="ÅÅÅÅ-MM-DD", callback=_date,
              help="Dag då åldern räknas (standard: dagen då urvalet drogs).")
@click.option("--nyckel", "key_path", metavar="FIL", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Nyckelfilen för pseudonymer (standard: GRANSKNING_NYCKEL, annars "
                   "~/.config/granskning/nyckel, som skapas första gången).")
@click.option("--urval-ut", "sample_out", metavar="FIL", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Med PROTOKOLL: skriv också urvalsarbetsboken (samordnarens lista med verkliga "
                   "ärende-id, sekretess enligt OSL 26 kap.) till FIL (.xlsx, .csv eller .json).")
@click.option("--plan", "plan_path", metavar="PLAN",
              help="Internkontrollplanen (fil eller medföljande id) som granskningen genomför.")
@click.option("--kontroll", "control_id", metavar="ID",
              help="Med --plan: id för kontrollen i planen som granskningen genomför.")
@db_option
@json_option()
def ny(
    protocol: str | None,
    check_only: bool,
    sample_path: Path | None,
    handpicked: bool,
    id_column: str | None,
    strata_column: str | None,
    checklist: str | None,
    title: str | None,
    kind: str,
    frame_path: Path | None,
    sex: str | None,
    age: str | None,
    pnr: str | None,
    case_worker: str | None,
    case_data: str | None,
    age_date: str | None,
    reference: dt.date | None,
    key_path: Path | None,
    sample_out: Path | None,
    plan_path: str | None,
    control_id: str | None,
    url: str | None,
    as_json: bool,
) -> None:
    if not handpicked and (id_column or strata_column):
        raise click.UsageError("--id och --strata används med --handplockat.")
    if handpicked:
        given = [n for n, v in (("PROTOKOLL", protocol), ("--ram", frame_path), ("--kon", sex),
                                ("--alder", age), ("--personnummer", pnr),
                                ("--handlaggare", case_worker), ("--referensdatum", reference),
                                ("--urval-ut", sample_out), ("--plan", plan_path),
                                ("--arendedata", case_data), ("--aldersdatum", age_date))
                 if v is not None]
        if given:
            raise click.UsageError(f"{', '.join(given)} kan inte användas med --handplockat.")
    if (plan_path is None) != (control_id is None):
        raise click.UsageError("--plan och --kontroll anges tillsammans.")
    plan_run = None if plan_path is None or check_only else run_of(plan_path, control_id)
    if protocol is None and sample_out is not None:
        raise click.UsageError("--urval-ut används med ett PROTOKOLL (annars finns arbetsboken redan).")
    if protocol is not None:
        given = [n for n, v in (("--urval", sample_path), ("--checklista", checklist), ("--titel", title),
                                ("--kon", sex), ("--alder", age), ("--personnummer", pnr),
                                ("--handlaggare", case_worker), ("--arendedata", case_data),
                                ("--aldersdatum", age_date)) if v is not None]
        ny_from_protocol(protocol, frame_path, given=given, check_only=check_only, reference=reference,
                         url=url, as_json=as_json, key_path=key_path, sample_out=sample_out,
                         plan_run=plan_run)
        return
    missing = [n for n, v in (("--urval", sample_path), ("--checklista", checklist), ("--titel", title))
               if v is None]
    if missing:
        raise click.UsageError("ange ett PROTOKOLL, eller " + ", ".join(missing) + ".")

    columns = CaseColumns(sex=sex, age=age, personnummer=pnr, case_worker=case_worker,
                          case_data=_case_data(case_data), age_date=age_date)
    chk = load(checklist)
    with Store.open(url) as store, pseudonym.key_for_new_cases(key_path) as key:
        store.init()
        identity.require_coordinator(store, "skapa granskningar")
        if handpicked:
            audit_id = create_from_list(
                store, sample_path, chk, title, kind, id_column=id_column,
                strata_column=strata_column, created_by=identity.current(store),
                key=key)
        else:
            audit_id = create_from_sample(
                store, sample_path, chk, title, kind,
                columns=columns, frame_path=frame_path, reference_date=reference,
                created_by=identity.current(store), key=key, plan_run=plan_run,
            )
        cases = store.cases(audit_id)
    n_cases = sum(not c.reserve for c in cases)
    n_reserves = len(cases) - n_cases
    if as_json:
        click.echo(json.dumps({
            "granskning": audit_id,
            "titel": title,
            "slag": kind,
            "ärenden": n_cases,
            "reserver": n_reserves,
            "slumpmassigt_urval": not handpicked,
            "checklista": chk.id,
            "checklistversion": chk.version,
            "checklista_sha256": chk.sha256,
            "arendedata": sorted({name for c in cases for name in c.case_data}),
            "databas": store.display_url,
        }, ensure_ascii=False))
        return
    reserv = f" och {antal(n_reserves, 'reserv')}" if n_reserves else ""
    if handpicked:
        reserv += " (handplockade, inget slumpmässigt urval: inget anspråk på populationen)"
    click.echo(
        f"Granskning {audit_id} skapad: {antal(n_cases, 'ärende')}{reserv}, "
        f"checklista {chk.id} (version {chk.version})."
    )
    if chk.kind == "enkat":
        click.echo(f"Handläggarna svarar med: granskning kontroll --granskning {audit_id} "
                   "--granskare NAMN")
    else:
        click.echo(f"Nästa steg: granskning tilldela --granskning {audit_id} --granskare NAMN,NAMN")
