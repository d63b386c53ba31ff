"""``granskning rapport``: the granskningsrapport or the internal-control summary, as PDF and XLSX."""

from __future__ import annotations

import json
from pathlib import Path

import click

from granskning.cli.options import audit_checklist_option, audit_option, db_option, json_option
from granskning.errors import InputError
from granskning.report import granskningsrapport as report
from granskning.report import internkontroll as report_ik
from granskning.store import identity
from granskning.store.database import Store

HELP = """Skriv rapporten för en granskning i databasen.

Granskningsrapporten (PDF) följer socialtjänstinspektörernas årsrapport:
titelsida, sammanfattning, innehåll, inledning, metod och urval,
granskningsresultat, likställighet, jämställdhetsanalys, inspektörernas egen
analys (--analys-text) och checklistan som bilaga. Med en .xlsx-fil i --ut
skrivs rapportens alla tabeller, med samma siffror, ett blad per tabell.
--ut kan ges flera gånger; rapporten beräknas en gång.

Rapporten innehåller bara antal och andelar. Med --maskera-under 3 visas
inte antal mellan 1 och 2 (primär undertryckning), och inte heller de
siffror ur vilka de skulle kunna räknas fram (sekundär undertryckning):
summor, andelar, konfidensintervall och diagram. Dolda siffror visas som
"..", i JSON som null. Med en .json-fil i --ut skrivs tabellerna som JSON.

Med --typ internkontroll skrivs internkontrollens sammanställning: per
kontroll granskade akter, avvikelser, andel, övre gräns och status (Uppfylls
helt / delvis / ej), och enkätens resultat (--enkat ID). Texten skrivs också
på skärmen, färdig att klistra in i T2 och VB.

Exempel:

\b
  granskning rapport --granskning 1 --ut rapport.pdf --ut tabeller.xlsx \\
      --analys-text analys.md
  granskning rapport --granskning 2 --typ internkontroll --enkat 3 \\
      --ut internkontroll.pdf
"""


@click.command(help=HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--ut", "outputs", multiple=True, metavar="FIL", type=click.Path(dir_okay=False, path_type=Path),
              help="Fil att skriva: .pdf (rapporten), .xlsx eller .json (tabellerna). Kan anges flera gånger.")
@click.option("--typ", "kind", type=click.Choice(["granskning", "internkontroll"]), default="granskning",
              show_default=True, help="Granskningsrapport eller internkontrollens sammanställning.")
@click.option("--analys-text", "analysis_text", metavar="FIL.md", type=click.Path(dir_okay=False, path_type=Path),
              help="Inspektörernas analys per kvalitetsområde (Markdown), tas med som den är skriven.")
@click.option("--maskera-under", "mask", type=int, metavar="N",
              help="Dölj antal från 1 till N−1 och det som de kan räknas fram ur (sekretess).")
@click.option("--intervall", "interval", type=click.Choice(["beta", "logit", "wald"]), default="beta", show_default=True,
              help="Intervall för skattade andelar: Korn–Graubard (beta), logit eller Wald.")
@click.option("--enkat", "survey", type=int, metavar="ID", help="Internkontroll: enkätens granskning.")
@click.option("--undertitel", "subtitle", metavar="TEXT", help="Undertitel på titelsidan.")
@audit_checklist_option("Checklistfilen, om den inte är en medföljande checklista (samma fil som "
                        "när granskningen skapades).")
@db_option
@json_option("Skriv nyckeltalen och filerna som JSON.")
def rapport(audit_id: int, outputs: tuple[Path, ...], kind: str, analysis_text: Path | None, mask: int | None,
            survey: int | None, subtitle: str | None, checklist: str | None, url: str | None,
            as_json: bool, interval: str = "beta") -> None:
    for out in outputs:
        if out.suffix.lower() not in (".pdf", ".xlsx", ".json"):
            raise InputError(f"okänt rapportformat {out.suffix or '(inget)'}: skriv till .pdf, .xlsx eller .json.",
                             file=out)
    if kind == "granskning" and survey is not None:
        raise InputError("--enkat hör till --typ internkontroll.")
    if kind == "internkontroll" and (analysis_text or mask or checklist):
        raise InputError("--analys-text, --maskera-under och --checklista hör till granskningsrapporten.")
    if kind == "granskning" and not outputs:
        raise InputError("ange var rapporten ska skrivas med --ut rapport.pdf (och/eller tabeller.xlsx).")

    summary = None
    with Store.open(url) as store:
        # A reviewer sees only their own cases (PostgreSQL): no report on part of the sample.
        identity.require_coordinator(store, "skriva rapporter")
        if kind == "internkontroll":
            doc, summary = report_ik.build(store, audit_id, survey_id=survey, subtitle=subtitle)
        else:
            options = report.ReportOptions(analysis_text=analysis_text, mask_below=mask, subtitle=subtitle,
                                           interval=interval)
            doc = report.build(store, audit_id, options, checklist=checklist)
    written = [report.write(doc, out) for out in outputs]
    if as_json:
        out = {"granskning": audit_id, "typ": kind, "filer": [str(p) for p in written],
               "tabeller": [t.sheet for t in doc.tables()], "undertryckning": doc.disclosure}
        if summary is not None:
            out["internkontroll"] = summary.to_json_dict()
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    if summary is not None:
        click.echo(summary.text())
        click.echo("")
    for p in written:
        click.echo(f"Skrev {p}")
