"""``granskning urval``: draw a stratified random sample, or verify an earlier draw."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from granskning.audit.protocol import load_sampling_settings
from granskning.cli.options import json_option
from granskning.errors import InputError
from granskning.sampling import design as sampling
from granskning.sampling import samplebook
from granskning.sampling.design import verify
from granskning.sampling.frame import read_frame
from granskning.wording import antal

HELP = """Dra ett stratifierat obundet slumpmässigt urval ur en ärendeförteckning (RAM).

RAM är en CSV-fil (avgränsare ; , eller tabb; UTF-8 eller Windows-1252, känns igen
automatiskt) eller en Excel-fil (.xlsx, första bladet eller --blad NAMN).

Exempel (vårens förhandsbedömningar 2024, 26 ärenden per stadsdel):

\b
  granskning urval ram.csv --id arende_id --strata stadsdel \\
      --per-stratum 26 --seed 2024 --reserv 5 --ut urval.xlsx

Urvalet beror bara på seed, ärende-id:n och designen: samma ram i valfri
radordning ger samma ärenden på vilken dator som helst. Ett större n med samma
seed behåller det tidigare urvalet och lägger till ärenden.

Kontrollera ett urval i efterhand:

\b
  granskning urval --verifiera urval.xlsx ram.csv
"""


@click.command(help=HELP, options_metavar="[FLAGGOR]", context_settings={"max_content_width": 100})
@click.argument("ram", required=False, type=click.Path(dir_okay=False, path_type=Path), metavar="RAM")
@click.option("--id", "id_column", metavar="KOLUMN", help="Kolumnen med ärende-id (unikt per ärende).")
@click.option("--strata", "strata_column", metavar="KOLUMN", help="Kolumnen som anger stratum, t.ex. stadsdel.")
@click.option("--per-stratum", type=int, metavar="N", help="Lika många ärenden i varje stratum.")
@click.option("--totalt", type=int, metavar="N", help="Totalt antal ärenden att fördela över strata.")
@click.option(
    "--fordelning",
    type=click.Choice(["lika", "proportionell", "neyman"]),
    default="lika",
    show_default=True,
    help="Hur --totalt fördelas över strata.",
)
@click.option("--andelar", metavar="TEXT", help='Förväntade andelar för neyman: "Farsta=0.3,Järva=0.2" (övriga 0,5).')
@click.option("--minimum", type=int, default=0, show_default=True, help="Minsta antal per stratum.")
@click.option("--seed", metavar="TAL", help="Startvärde för slumpen. Utelämnat: ett slumpat seed som skrivs i protokollet.")
@click.option("--reserv", "reserves", type=int, default=0, show_default=True, metavar="K",
              help="Antal reserver per stratum, i dragordning.")
@click.option("--uteslut", type=click.Path(dir_okay=False, path_type=Path), metavar="FIL",
              help="Tidigare urval (arbetsbok från granskning urval, eller tabell med id-kolumnen) att utesluta.")
@click.option("--filter", "filter_text", metavar="UTTRYCK",
              help="Avgränsa populationen, t.ex. \"alder <= 12 and beslutsdatum >= 2023-01-01\".")
@click.option("--blad", metavar="NAMN", help="Bladet i en Excel-ram (standard: första bladet).")
@click.option("--kolumner", metavar="A,B", help="Fler kolumner ur ramen att ta med i urvalslistan.")
@click.option("--protokoll", type=click.Path(dir_okay=False, path_type=Path), metavar="FIL",
              help="Protokollfil (YAML) med kolumner och urvalsdesign; flaggor på kommandoraden går före.")
@click.option("--ut", type=click.Path(dir_okay=False, path_type=Path), metavar="FIL",
              help="Skriv urvalet till FIL (.xlsx, .csv eller .json).")
@click.option("--verifiera", type=click.Path(dir_okay=False, path_type=Path), metavar="URVALSFIL",
              help="Kontrollera att URVALSFIL går att återskapa ur RAM.")
@json_option("Skriv resultatet som JSON på stdout.")
def urval(
    ram: Path | None,
    id_column: str | None,
    strata_column: str | None,
    per_stratum: int | None,
    totalt: int | None,
    fordelning: str,
    andelar: str | None,
    minimum: int,
    seed: str | None,
    reserves: int,
    uteslut: Path | None,
    filter_text: str | None,
    blad: str | None,
    kolumner: str | None,
    protokoll: Path | None,
    ut: Path | None,
    verifiera: Path | None,
    as_json: bool,
) -> None:
    if ram is None:
        raise InputError("ange ramen (RAM), t.ex. granskning urval ram.csv --id arende_id ….")
    if verifiera is not None:
        _verify(verifiera, ram, as_json)
        return

    settings: dict = {}
    if protokoll is not None:
        settings = load_sampling_settings(protokoll)
    id_column = id_column or settings.get("id")
    strata_column = strata_column or settings.get("strata")
    if per_stratum is None and totalt is None:
        per_stratum = settings.get("per_stratum")
        totalt = settings.get("totalt")
        fordelning = settings.get("fordelning", fordelning)
        minimum = settings.get("minimum", minimum)
    seed = seed if seed is not None else settings.get("seed")
    reserves = reserves or settings.get("reserver", 0)
    filter_text = filter_text or settings.get("filter")
    blad = blad or settings.get("blad")
    if not id_column:
        raise InputError("ange id-kolumnen med --id KOLUMN (eller i en protokollfil).")
    if ut is not None:
        samplebook.output_format(ut)  # refuse an unknown format before any work
    if seed is None:
        import secrets

        seed = str(secrets.randbelow(10**6))
        click.echo(f"Inget seed angavs; slumpat seed {seed} används och skrivs i protokollet.", err=True)

    design = sampling.Design(
        id_column=id_column,
        strata_column=strata_column,
        seed=sampling.parse_seed(seed),
        per_stratum=per_stratum,
        total=totalt,
        method=fordelning,
        minimum=minimum,
        proportions=_parse_proportions(andelar) if andelar else settings.get("andelar"),
        reserves=reserves,
        filter=filter_text,
        sheet=blad,
        keep=tuple(c.strip() for c in kolumner.split(",") if c.strip()) if kolumner else tuple(settings.get("kolumner", ())),
    )
    excluded: list[str] = []
    exclusion_source = None
    if uteslut is not None:
        excluded, exclusion_source = sampling.read_exclusions(uteslut, id_column)
    frame = read_frame(
        ram,
        id_column=design.id_column,
        strata_column=design.strata_column,
        sheet=design.sheet,
        keep=design.keep,
        filter=design.filter,
        exclude_ids=excluded if uteslut is not None else None,
        seed=design.seed,
        candidates=design.candidates_needed(),
    )
    sample = sampling.draw_sample(
        frame, design, excluded_ids=excluded, exclusion_source=exclusion_source,
        command=["granskning", *sys.argv[1:]],
    )
    if ut is not None:
        samplebook.write_sample(sample, ut)
    if as_json:
        click.echo(json.dumps(_json_summary(sample, ut), ensure_ascii=False))
        return
    click.echo(samplebook.summary_text(sample))
    taken_whole = [s["stratum"] for s in sample.record["strata"] if s["tas_helt"]]
    if taken_whole:
        click.echo(
            "\nObs! Dessa strata har färre ärenden än sitt n och tas med i sin helhet: "
            + ", ".join(taken_whole)
        )
    if ut is not None:
        extra = ""
        if ut.suffix.lower() == ".csv":
            extra = f" (protokollet i {samplebook.record_path_for(ut).name})"
        click.echo(f"\nUrvalet är skrivet till {ut}{extra}.")
    else:
        click.echo("\nAnge --ut urval.xlsx för att spara urvalet.")


def _parse_proportions(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise InputError(f'--andelar: "{part.strip()}" saknar "=" (skriv Stratum=0.3).')
        try:
            p = float(value.strip().replace(",", "."))
        except ValueError:
            raise InputError(f'--andelar: "{value.strip()}" är inget tal.') from None
        if not 0 <= p <= 1:
            raise InputError(f"--andelar: andelen för {name.strip()} måste ligga mellan 0 och 1.")
        out[name.strip()] = p
    return out


def _json_summary(sample, ut: Path | None) -> dict:
    rec = sample.record
    return {
        "n": rec["n_totalt"],
        "N": rec["N_totalt"],
        "seed": rec["design"]["seed"],
        "algoritm": rec["algoritm"],
        "ram_sha256": rec["ram"]["sha256"],
        "rader_lasta": rec["rader_lasta"],
        "rader_efter_filter": rec["rader_efter_filter"],
        "uteslutna": rec["uteslutna"]["antal"],
        "strata": rec["strata"],
        "ut": str(ut) if ut is not None else None,
    }


def _verify(sample_path: Path, ram: Path, as_json: bool) -> None:
    result = verify(sample_path, ram)
    if as_json:
        click.echo(json.dumps({
            "identiskt": result.identical,
            "ramen_oforandrad": result.frame_unchanged,
            "skillnader": list(result.differences),
            "n": result.n,
        }, ensure_ascii=False))
    elif result.identical:
        click.echo(
            f"Identiskt: urvalet i {sample_path.name} ({antal(result.n, 'ärende')}, {antal(result.reserves, 'reserv')}) "
            f"återskapas exakt ur {ram.name}."
        )
    elif len(result.differences) == 1 and not result.frame_unchanged:
        click.echo(
            f"Samma urval återskapas ur {ram.name}, men ramfilen är inte densamma som när "
            "urvalet drogs:"
        )
        click.echo(f"  - {result.differences[0]}")
    else:
        click.echo(f"Skiljer sig: urvalet i {sample_path.name} återskapas inte exakt ur {ram.name}.")
        for d in result.differences:
            click.echo(f"  - {d}")
    if not result.identical:
        raise click.exceptions.Exit(1)
