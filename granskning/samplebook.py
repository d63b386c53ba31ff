"""Writing a drawn sample to XLSX (sheets Urval, Reserver, Urvalsprotokoll), CSV or JSON.

Files are written to a temporary file beside the target and moved into place,
so an interrupted run never leaves a half-written sample behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.fmt import heltal
from granskning.sampling import RECORD_JSON_LABEL

if TYPE_CHECKING:
    from granskning.sampling import Sample

SECRECY = "Sekretess enligt OSL 26 kap."
FORMATS = ("xlsx", "csv", "json")


def output_format(path: Path) -> str:
    """Return the output format implied by the file name's suffix."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(
            f"okänt filformat \"{path.suffix or '(inget)'}\" för --ut; använd .xlsx, .csv eller .json.",
            file=path,
        )
    return fmt


def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Run ``writer`` on a temporary file and move it to ``path`` when it succeeded."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.exists():
        raise InputError("katalogen finns inte.", file=directory)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_sample(sample: Sample, path: str | Path) -> str:
    """Write the sample in the format given by the suffix of ``path``; return the format."""
    path = Path(path)
    fmt = output_format(path)
    writer = {"xlsx": _write_xlsx, "csv": _write_csv, "json": _write_json}[fmt]
    if fmt == "csv":  # a CSV cannot hold the record: it travels beside it as JSON
        record_path = record_path_for(path)
        atomic_write(
            record_path,
            lambda tmp: tmp.write_text(json.dumps(sample.record, ensure_ascii=False, indent=2), encoding="utf-8"),
        )
    atomic_write(path, lambda tmp: writer(sample, tmp))
    return fmt


def record_path_for(path: Path) -> Path:
    """Return where the record of a CSV sample is written: ``urval.csv`` -> ``urval.protokoll.json``."""
    return path.with_name(path.stem + ".protokoll.json")


def _record_rows(sample: Sample) -> list[tuple[str, Any]]:
    rec = sample.record
    design = rec["design"]
    ram = rec["ram"]
    rows: list[tuple[str, Any]] = [
        ("Urvalsprotokoll", SECRECY),
        ("Verktyg", f"granskning {rec['version']}"),
        ("Tidpunkt", rec["tidpunkt"]),
        ("Ramfil", ram["fil"]),
        ("Ramfilens SHA-256", ram["sha256"]),
        ("Ramfilens format", ram["format"]),
        ("Rader lästa", rec["rader_lasta"]),
        ("Rader efter filter", rec["rader_efter_filter"]),
        ("Filter", design["filter"] or "(inget)"),
        ("Uteslutna från tidigare urval", rec["uteslutna"]["antal"]),
    ]
    if rec["uteslutna"].get("fil"):
        rows.append(("Fil med tidigare urval", rec["uteslutna"]["fil"]))
        rows.append(("Dess SHA-256", rec["uteslutna"]["sha256"]))
    rows += [
        ("Id-kolumn", design["id_kolumn"]),
        ("Strata-kolumn", design["strata_kolumn"] or "(inga strata)"),
        ("Seed", str(design["seed"])),
        ("Fördelning", design["fordelning"]),
        ("Per stratum", design["per_stratum"] if design["per_stratum"] is not None else "–"),
        ("Totalt", design["totalt"] if design["totalt"] is not None else "–"),
        ("Minsta antal per stratum", design["minimum"]),
        ("Reserver per stratum", design["reserver"]),
        ("Populationens storlek (N)", rec["N_totalt"]),
        ("Urvalets storlek (n)", rec["n_totalt"]),
        ("Algoritm", f"{rec['algoritm']}: {rec['algoritm_beskrivning']}"),
        ("Kommando", rec["kommando"]),
        (
            "Verifiera",
            f"granskning urval --verifiera <denna fil> {ram['fil']}",
        ),
    ]
    return rows


def _write_xlsx(sample: Sample, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()
    wb.properties.title = "Urval"
    wb.properties.creator = f"granskning {sample.record['version']}"
    wb.properties.keywords = SECRECY

    def table_sheet(ws, df, formats: dict[str, str]) -> None:
        ws.append(list(df.columns))
        for cell in ws[1]:
            cell.font = bold
        for row in df.itertuples(index=False):
            ws.append([_py(v) for v in row])
        for i, col in enumerate(df.columns, start=1):
            letter = get_column_letter(i)
            if col in formats:
                for cell in ws[letter][1:]:
                    cell.number_format = formats[col]
            width = max([len(str(col))] + [len(str(v)) for v in df[col].head(500)]) + 2
            ws.column_dimensions[letter].width = min(max(width, 10), 50)
        ws.freeze_panes = "A2"
        if len(df):
            ws.auto_filter.ref = ws.dimensions
        ws.oddHeader.center.text = SECRECY
        ws.oddFooter.center.text = "Sida &P av &N"

    ws = wb.active
    ws.title = "Urval"
    table_sheet(ws, sample.cases, {"Inklusionssannolikhet": "0.0000", "Vikt": "0.00"})
    table_sheet(wb.create_sheet("Reserver"), sample.reserves, {})

    ws = wb.create_sheet("Urvalsprotokoll")
    for label, value in _record_rows(sample):
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = bold
    ws.cell(1, 2).font = bold
    ws.append([])
    ws.append(["Stratum", "N", "n", "Reserver", "Tas helt", "Inklusionssannolikhet"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for s in sample.record["strata"]:
        ws.append([s["stratum"], s["N"], s["n"], s["reserver"], "ja" if s["tas_helt"] else "nej",
                   s["n"] / s["N"] if s["N"] else None])
        ws.cell(ws.max_row, 6).number_format = "0.0000"
    ws.append(["Totalt", sample.record["N_totalt"], sample.record["n_totalt"]])
    ws.cell(ws.max_row, 1).font = bold
    ws.append([])
    ws.append([RECORD_JSON_LABEL, json.dumps(sample.record, ensure_ascii=False)])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 90
    for row in ws.iter_rows(min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=False, vertical="top")

    if sample.excluded_ids:
        ws = wb.create_sheet("Uteslutna")
        ws.append([sample.design.id_column])
        ws["A1"].font = bold
        for v in sample.excluded_ids:
            ws.append([v])
    wb.save(path)


def _py(value: Any) -> Any:
    """Return a plain Python value for openpyxl (numpy scalars -> int/float)."""
    if hasattr(value, "item"):
        return value.item()
    return value


def _write_csv(sample: Sample, path: Path) -> None:
    import pandas as pd

    cases = sample.cases.assign(Typ="urval")
    reserves = sample.reserves.assign(Typ="reserv")
    both = pd.concat([cases, reserves], ignore_index=True)
    both.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_json(sample: Sample, path: Path) -> None:
    doc = {
        "urval": json.loads(sample.cases.to_json(orient="records", force_ascii=False)),
        "reserver": json.loads(sample.reserves.to_json(orient="records", force_ascii=False)),
        "urvalsprotokoll": sample.record,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def summary_text(sample: Sample) -> str:
    """Return a short Swedish summary of the draw for the terminal."""
    rec = sample.record
    strata = rec["strata"]
    width = max([len("Stratum")] + [len(s["stratum"]) for s in strata])
    lines = [
        f"Ram: {rec['ram']['fil']} ({rec['ram']['format']}), {heltal(rec['rader_lasta'])} rader lästa, "
        f"{heltal(rec['rader_efter_filter'])} efter filter"
        + (f", {heltal(rec['uteslutna']['antal'])} uteslutna" if rec["uteslutna"]["antal"] else "")
        + ".",
        f"Seed: {rec['design']['seed']}   Algoritm: {rec['algoritm']}",
        "",
        f"{'Stratum':<{width}}  {'N':>9}  {'n':>5}  {'reserver':>8}",
    ]
    for s in strata:
        flag = "  (tas helt: färre ärenden än n)" if s["tas_helt"] else ""
        lines.append(f"{s['stratum']:<{width}}  {heltal(s['N']):>9}  {s['n']:>5}  {s['reserver']:>8}{flag}")
    lines.append(f"{'Totalt':<{width}}  {heltal(rec['N_totalt']):>9}  {rec['n_totalt']:>5}")
    return "\n".join(lines)
