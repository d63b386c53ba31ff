"""``granskning analys``: likställighet tables, indicators, tests and gender analysis."""

from __future__ import annotations

import json
from pathlib import Path

import click

from granskning.analysis.analyse import parse_bands
from granskning.analysis.inputs import analyse_table
from granskning.analysis.output import summary_text, write_charts, write_workbook
from granskning.audit.opened import analyse_audit
from granskning.cli.options import audit_option, db_option, json_option
from granskning.errors import InputError
from granskning.numbers import Confidence, Integer
from granskning.store import identity
from granskning.store.database import Store
from granskning.store.values import refuse_personnummer

HELP = """Analysera en gransknings svar: tabeller, indikatorer, tester och jämställdhet.

Svaren hämtas ur databasen (--granskning ID) eller ur en tabell DATA (CSV
eller Excel, ett ärende per rad, en kolumn per fråga med frågans id som
namn, flerval som "a; b") tillsammans med checklistan som definierar
frågorna, svarsalternativen och vilka svar som lämnar nämnaren.

\b
  granskning analys --granskning 3 --ut tabeller.xlsx
  granskning analys svar.csv --checklista forhandsbedomning-0-12 \\
      --strata stadsdel --kon kon --alder alder --populationsfil N.csv \\
      --ut tabeller.xlsx --diagram diagram

För varje fråga med svarsalternativ: en likställighetstabell (svar ×
strata med Total, antal och kolumnprocent). För varje indikator: andel per
stratum och totalt med 95 % konfidensintervall, designbaserad skattning
(vikter N_h/n_h med ändlighetskorrektion) när populationsstorlekarna är
kända, homogenitetstest mellan strata (chi-två, Monte Carlo när de
förväntade antalen är små), trattdiagram och jämställdhetsanalys
(flickor/pojkar eller kvinnor/män efter vad data anger, Fishers test, CMH
per åldersgrupp, logistisk regression, minsta upptäckbara skillnad).
Varje andel anges med vad som räknas i täljaren (checklistans raknas).

Populationsstorlekarna hämtas ur urvalsprotokollet (databasen), en kolumn
(--population) eller en fil med kolumnerna stratum och N (--populationsfil).

En granskning i databasen öppnas som i granskning rapport: dess egen
checklista (en ändrad checklista vägras), och för en granskning ur ett
protokoll protokollets strata, åldersgrupper och om populationen skattas.
"""


@click.command(name="analys", help=HELP, options_metavar="[FLAGGOR]")
@click.argument("data", required=False, metavar="[DATA]", type=click.Path(dir_okay=False, path_type=Path))
@audit_option("Granskningens id i databasen.", required=False)
@db_option
@click.option("--checklista", "checklist", metavar="ID|FIL",
              help="Checklistans id (medföljande) eller en YAML-fil (standard för --granskning: "
                   "granskningens egen).")
@click.option("--strata", metavar="KOLUMN",
              help="Kolumnen med stratum (stadsdel, enhet). Utan --strata analyseras tabellen som en grupp.")
@click.option("--kon", "sex", metavar="KOLUMN", help="Kolumnen med kön (flicka/pojke eller kvinna/man).")
@click.option("--alder", "age", metavar="KOLUMN", help="Kolumnen med ålder i hela år.")
@click.option("--id", "id_column", metavar="KOLUMN", help="Kolumnen med ärende-id (för felmeddelanden).")
@click.option("--population", metavar="KOLUMN", help="Kolumnen med stratumets populationsstorlek N_h.")
@click.option("--populationsfil", "population_file", metavar="FIL",
              type=click.Path(dir_okay=False, path_type=Path),
              help="CSV/Excel med kolumnerna stratum och N.")
@click.option("--ovriga", "ignore", metavar="KOLUMN", multiple=True,
              help="Kolumn som ser ut som en fråga men inte är det; lämnas utanför (kan upprepas).")
@click.option("--blad", "sheet", metavar="NAMN", help="Bladet att läsa i en Excel-fil.")
@click.option("--aldersband", "bands", default=None, metavar="BAND",
              help="Åldersgrupper för jämställdhetsanalysen, t.ex. 0-3,4-6,7-12 (standard: protokollets för "
                   "--granskning, annars 0-3,4-6,7-12 för barn och 18-29,30-49,50-64,65-120 för vuxna).")
@click.option("--metod", "method", type=click.Choice(["wilson", "clopper-pearson"]), default="wilson",
              show_default=True, help="Konfidensintervall för andelar.")
@click.option("--intervall", "interval", type=click.Choice(["beta", "logit", "wald"]), default="beta", show_default=True,
              help="Intervall för den designbaserade andelen: Korn–Graubard (beta), logit eller Wald.")
@click.option("--konfidens", type=Confidence(), default="0.95", show_default=True,
              help="Konfidensnivå som andel mellan 0 och 1 (0,95 eller 0.95).")
@click.option("--seed", type=Integer(minimum=0, maximum=2**63 - 1), default=1, show_default=True,
              help="Seed för Monte Carlo-testerna.")
@click.option("--simuleringar", "n_sim", type=click.IntRange(100, 1_000_000), default=2000, metavar="ANTAL",
              show_default=True, help="Antal simuleringar i Monte Carlo-testerna.")
@click.option("--total-etikett", "total_label", default="Total", show_default=True, metavar="TEXT",
              help='Etiketten för summaraden och summakolumnen (t.ex. "Totalt").')
@click.option("--ut", "out", metavar="FIL.xlsx", type=click.Path(dir_okay=False, path_type=Path),
              help="Skriv alla tabeller till en Excel-arbetsbok.")
@click.option("--diagram", "chart_dir", metavar="KATALOG", type=click.Path(file_okay=False, path_type=Path),
              help="Rita diagram (staplar, trattdiagram, kön) i katalogen.")
@click.option("--diagramformat", "chart_format", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="Bildformat för diagrammen.")
@json_option()
def analys(data, audit_id, url, checklist, strata, sex, age, id_column, population, population_file,
           ignore, sheet, bands, method, interval, konfidens, seed, n_sim, total_label, out, chart_dir, chart_format,
           as_json):
    if (data is None) == (audit_id is None):
        raise click.UsageError("ange antingen DATA (en tabell) eller --granskning ID.")
    if not 0 < konfidens < 1:
        raise InputError(f"--konfidens måste ligga mellan 0 och 1, fick {konfidens}.")
    if out is not None:
        if out.suffix.lower() != ".xlsx":
            raise InputError("--ut ska vara en .xlsx-fil.", file=out)
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            raise InputError("katalogen finns inte.", file=out.parent)
    options = {"bands": parse_bands(bands) if bands else None, "method": method, "alpha": 1 - konfidens,
               "seed": seed, "n_sim": n_sim, "total_label": total_label, "interval": interval}
    if audit_id is not None:
        given = [name for name, value in (("--strata", strata), ("--kon", sex), ("--alder", age),
                                          ("--id", id_column), ("--population", population),
                                          ("--populationsfil", population_file), ("--blad", sheet))
                 if value]
        if given or ignore:
            raise click.UsageError(f"{', '.join(given) or '--ovriga'} kan inte användas med --granskning "
                                   "(stratum, kön, ålder och populationsstorlekar finns i databasen).")

        with Store.open(url) as store:
            # A reviewer sees only their own cases (PostgreSQL): no partial analyses.
            identity.require_coordinator(store, "analysera en granskning")
            result = analyse_audit(store, audit_id, checklist=checklist, **options)
    else:
        if not checklist:
            raise click.UsageError("med DATA krävs --checklista (och --strata för en tabell med strata).")

        result = analyse_table(data, checklist, strata=strata, sheet=sheet, population_file=population_file,
                               sex=sex, age=age, population=population, id_column=id_column,
                               ignore=tuple(ignore), **options)

    # every label of every output (strata, categories, texts) is in the JSON form
    refuse_personnummer(result.to_json_dict(), "analysen", numbers=False,
                        advice="inget skrivs. Ta bort numret ur indata (välj en annan kolumn)")
    if out is not None:
        write_workbook(result, out)
    charts = write_charts(result, chart_dir, suffix=f".{chart_format}") if chart_dir is not None else []
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), ensure_ascii=False, allow_nan=False))
        return
    click.echo(summary_text(result))
    if out is not None:
        click.echo(f"\nTabellerna finns i {out}.")
    if charts:
        click.echo(f"{len(charts)} diagram finns i {chart_dir}.")
