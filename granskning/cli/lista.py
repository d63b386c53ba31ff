"""``granskning lista``: the coordinator's list of pseudonyms and real case ids."""

from __future__ import annotations

import json
from pathlib import Path

import click

from granskning.audit import pseudonym
from granskning.audit.create import SECRECY, pseudonym_list
from granskning.cli.options import audit_option, db_option, json_option
from granskning.errors import InputError
from granskning.files import atomic_write
from granskning.store import identity
from granskning.store.database import Store
from granskning.wording import antal
from granskning.workbook import save_workbook

HELP = """Skriv samordnarens lista: varje ärendes pseudonym (Ä-…) och verkliga id.

Databasen har bara pseudonymer. Listan behövs för att hitta akterna och görs
av urvalsarbetsboken från granskning urval (eller, för en granskning som drogs
ur ett protokoll, av ramen) och nyckeln. Listan omfattas av sekretess enligt
OSL 26 kap.: skriv ut den bara för den som ska ta fram akterna.

\b
  granskning lista --granskning 1 --urval urval.xlsx
  granskning lista --granskning 1 --urval urval.xlsx --ut lista.xlsx
"""


@click.command(name="lista", help=HELP, options_metavar="[FLAGGOR]")
@audit_option()
@click.option("--urval", "source", required=True, metavar="FIL",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Urvalsarbetsboken (eller ramen, om granskningen drogs ur ett protokoll).")
@click.option("--nyckel", "key_path", metavar="FIL", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Nyckelfilen (standard: GRANSKNING_NYCKEL, annars ~/.config/granskning/nyckel).")
@click.option("--ut", "out", metavar="FIL.xlsx", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Skriv listan som en arbetsbok i stället för på skärmen.")
@db_option
@json_option("Skriv listan som JSON.")
def lista(audit_id: int, source: Path, key_path: Path | None, out: Path | None,
          url: str | None, as_json: bool) -> None:
    with Store.open(url) as store:
        identity.require_coordinator(store, "skriva ut listan med verkliga ärende-id")
        frame = pseudonym_list(store, audit_id, source, key=pseudonym.key(key_path))
    rows = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
    if out is not None:
        _write_xlsx(out, audit_id, rows)
        click.echo(f"Skrev {out}: {antal(len(rows), 'ärende')} ({SECRECY}).")
        return
    if as_json:
        click.echo(json.dumps({
            "sekretess": SECRECY, "granskning": audit_id,
            "ärenden": [{"pseudonym": r["pseudonym"], "ärende_id": r["case_id"],
                         "stratum": r["stratum"], "dragordning": r["draw_order"],
                         "reserv": bool(r["reserve"]), "granskare": r["reviewer"],
                         "status": r["status"]} for r in rows],
        }, ensure_ascii=False, allow_nan=False))
        return
    click.echo(f"{SECRECY.upper()}")
    click.echo(f"Granskning {audit_id}: pseudonym och verkligt ärende-id")
    width = max([len("Ärende-id"), *(len(str(r["case_id"])) for r in rows)])
    width = min(width, 24)
    click.echo(f"{'Pseudonym':<12}  {'Ärende-id':<{width}}  {'Stratum':<16}  {'Nr':>4}  Granskare")
    for r in rows:
        nr = "" if r["draw_order"] is None else str(int(r["draw_order"]))
        who = (r["reviewer"] or "") + (" (reserv)" if r["reserve"] else "")
        line = (f"{r['pseudonym']:<12}  {str(r['case_id']):<{width}}  "
                f"{(r['stratum'] or '')[:16]:<16}  {nr:>4}  {who}")
        click.echo(line.rstrip())
    click.echo(SECRECY)


def _plain(value: object) -> object:
    """Return ``value`` with a missing value (None, NaN, pandas NA) as None and numpy scalars
    as Python ones, so that the text, JSON and Excel lists never see a float NaN."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _write_xlsx(path: Path, audit_id: int, rows: list[dict]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    if path.suffix.lower() != ".xlsx":
        raise InputError("listan ska sparas som .xlsx", file=path)
    wb = Workbook()
    wb.properties.title = f"Pseudonymer, granskning {audit_id}"
    wb.properties.keywords = SECRECY
    ws = wb.active
    ws.title = "Lista"
    ws.append([SECRECY])
    ws["A1"].font = Font(bold=True)
    ws.append(["Pseudonym", "Ärende-id", "Stratum", "Dragordning", "Reserv", "Granskare",
               "Status"])
    for r in rows:
        ws.append([r["pseudonym"], r["case_id"], r["stratum"], r["draw_order"],
                   "ja" if r["reserve"] else "nej", r["reviewer"], r["status"]])
    ws.oddHeader.center.text = SECRECY
    ws.oddFooter.center.text = SECRECY
    for letter, width in zip("ABCDEFG", (15, 22, 18, 12, 8, 16, 10), strict=True):
        ws.column_dimensions[letter].width = width
    atomic_write(path, lambda tmp: save_workbook(wb, tmp))
    path.chmod(0o600)
