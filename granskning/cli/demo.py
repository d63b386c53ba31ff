"""``granskning demo``: run the main job on the bundled example data."""

from __future__ import annotations

from pathlib import Path

import click

from granskning.demo.run import run


@click.command(options_metavar="[FLAGGOR]")
@click.option("--ut", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Katalog för demons filer.")
def demo(out_dir: Path) -> None:
    """Kör hela kedjan på medföljande syntetiska exempeldata: drar vårens urval 2024
    (26 förhandsbedömningar från var och en av 11 stadsdelar), skapar granskningen i en
    SQLite-databas i katalogen, sparar simulerade svar (årsrapportens tabeller 1 och 2
    återskapas exakt), skriver granskningsrapporten (PDF) och tabellerna (XLSX) samt ett
    exempel på en internkontroll."""

    result = run(out_dir, say=click.echo)
    if not result.verified:
        raise click.exceptions.Exit(1)
