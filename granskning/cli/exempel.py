"""``granskning exempel``: write the example frame and analysis text to start from."""

from __future__ import annotations

from pathlib import Path

import click

from granskning.demo.examples import write_examples

HELP = """Skriv exempelfilerna som kedjan i README.md börjar med:

\b
  ram.csv    en syntetisk ärendeförteckning (förhandsbedömningar 2023–2024 från
             11 stadsdelar, inga verkliga personer), ramen som
             granskning ny forhandsbedomningar-2024 --ram ram.csv drar urvalet ur
  analys.md  ett exempel på inspektörernas egen analys i Markdown (en rubrik per
             kvalitetsområde), som granskning rapport --analys-text analys.md
             tar med i rapporten som den är skriven

En fil som redan finns skrivs aldrig över.

\b
  granskning exempel
  granskning exempel --ut prov
"""


@click.command(name="exempel", help=HELP, options_metavar="[FLAGGOR]")
@click.option("--ut", "out_dir", metavar="KATALOG", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Katalogen filerna skrivs i.")
def exempel(out_dir: Path) -> None:
    for path in write_examples(out_dir):
        click.echo(f"Skrev {path}")
