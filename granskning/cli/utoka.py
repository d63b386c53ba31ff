"""``granskning utoka``: add cases to a running audit, drawn from the reserves or listed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from granskning.audit import pseudonym
from granskning.audit.additions import add_drawn, add_listed
from granskning.cli.options import audit_option, db_option, json_option
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal

HELP = """Lägg till ärenden i en pågående granskning (till exempel vid närläsning).

Dragna (--antal N): nästa N oanvända reserver i varje stratum (eller bara i
--stratum), i dragningsordning. De är precis de ärenden som en dragning av
fler ärenden med samma seed hade gett, så granskningen förblir ett
slumpmässigt urval: varje dragen akt i stratumet får vikten N/n med det nya n,
och urvalsprotokollets n ökar. Finns för få reserver ändras ingenting.

Ur en lista (--urval LISTA, som granskning ny --handplockat): ärendena läggs
till, men de har ingen urvalsvikt. Granskningen märks då som inte slumpmässig,
och alla utdata säger att den inte gör anspråk på populationen.

De nya ärendena tilldelas med granskning tilldela.

\b
  granskning utoka --granskning 1 --antal 2
  granskning utoka --granskning 1 --antal 1 --stratum Bromma
  granskning utoka --granskning 1 --urval nya.csv --id arende --strata stadsdel
"""


@click.command(name="utoka", help=HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--antal", "count", type=click.IntRange(1, 10_000), metavar="N",
              help="Dra N ärenden till i varje stratum ur reserverna.")
@click.option("--stratum", "strata", multiple=True, metavar="NAMN",
              help="Med --antal: bara detta stratum (kan upprepas).")
@click.option("--urval", "list_path", metavar="LISTA", type=click.Path(dir_okay=False, path_type=Path),
              help="Lägg till ärendena i listan (CSV eller Excel; gör granskningen icke-slumpmässig).")
@click.option("--id", "id_column", metavar="KOLUMN", help="Med --urval: kolumnen med ärende-id.")
@click.option("--strata", "strata_column", metavar="KOLUMN", help="Med --urval: kolumnen med stratum.")
@click.option("--nyckel", "key_path", metavar="FIL", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Nyckelfilen för pseudonymer (standard: GRANSKNING_NYCKEL, annars ~/.config/granskning/nyckel).")
@db_option
@json_option()
def utoka(audit_id: int, count: int | None, strata: tuple[str, ...], list_path: Path | None,
          id_column: str | None, strata_column: str | None, key_path: Path | None, url: str | None,
          as_json: bool) -> None:
    if (count is None) == (list_path is None):
        raise click.UsageError("ange antingen --antal N (dragna ur reserverna) eller --urval LISTA.")
    if count is None and strata:
        raise click.UsageError("--stratum används med --antal.")
    if list_path is None and (id_column or strata_column):
        raise click.UsageError("--id och --strata används med --urval.")
    with Store.open(url) as store:
        identity.require_coordinator(store, "lägga till ärenden")
        who = identity.current(store)
        if count is not None:
            drawn = add_drawn(store, audit_id, count, strata, who=who)
            listed = 0
        else:
            drawn = {}
            listed = add_listed(store, audit_id, list_path, id_column=id_column,
                                strata_column=strata_column, key=pseudonym.key(key_path), who=who)
        record = store.audit(audit_id).sample_record
    sizes = {str(s["stratum"]): (s["N"], s["n"]) for s in record.get("strata") or []}
    if as_json:
        click.echo(json.dumps({
            "granskning": audit_id, "dragna": drawn, "ur_listan": listed,
            "slumpmassigt_urval": record.get("slumpmassigt") is not False,
            "n_per_stratum": {h: sizes[h][1] for h in drawn},
        }, ensure_ascii=False))
        return
    if drawn:
        total = sum(map(len, drawn.values()))
        per = ", ".join(f"{h} {len(c)} (nu n = {sizes[h][1]} av N = {sizes[h][0]})"
                        for h, c in drawn.items())
        click.echo(f"Granskning {audit_id}: {antal(total, 'ärende')} till ur reserverna: {per}. "
                   "Vikterna är N/n med det nya n.")
    else:
        click.echo(f"Granskning {audit_id}: {antal(listed, 'ärende')} tillagda ur {list_path.name}. "
                   "De har ingen urvalsvikt: granskningen är inte längre ett slumpmässigt urval, och "
                   "utdata gör inget anspråk på populationen.")
    click.echo(f"Nästa steg: granskning tilldela --granskning {audit_id} --granskare NAMN,NAMN")
