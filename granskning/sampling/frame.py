"""Reading and validating case exports (sampling frames) from CSV and XLSX.

Case systems and Swedish Excel export CSV with ``;`` separators in Windows-1252;
others give UTF-8 with or without a byte-order mark, commas or tabs.  The reader
detects all of these without being told (:mod:`granskning.sampling.encoding`),
reads every column as text (ids such as ``0012`` keep their zeros; CSV in
:mod:`granskning.sampling.csvframe`, XLSX in :mod:`granskning.sampling.xlsxframe`)
and reports problems as :class:`InputError` with the file, the row as Excel
numbers it (header = row 1) and the column.  The population is selected in
:mod:`granskning.sampling.population`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from granskning.errors import InputError
from granskning.sampling.cells import check_columns
from granskning.sampling.csvframe import CsvLayout, csv_layout, read_csv
from granskning.sampling.encoding import detect_encoding, file_sha256, read_bytes
from granskning.sampling.framescan import scan_parallel
from granskning.sampling.population import (
    Frame,
    FrameSpec,
    Source,
    filter_mask,
    reduce_to_candidates,
    select,
    validate,
)
from granskning.sampling.xlsxframe import read_excel

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CsvLayout", "Frame", "FrameSpec", "Source", "check_columns", "csv_layout", "detect_encoding",
    "file_sha256", "filter_mask", "read_bytes", "read_frame", "read_table", "read_table_with_source",
]

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}


def _is_excel(path: Path, data: bytes) -> bool:
    return path.suffix.lower() in EXCEL_SUFFIXES or data[:4] == b"PK\x03\x04"


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    usecols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the table in a CSV or XLSX file with every column as text.

    ``usecols`` limits reading to those columns (faster on big exports); a
    missing column raises :class:`InputError` listing the columns that exist.
    The returned frame keeps the Excel row number of each record in its index
    (header = row 1, first record = row 2) and carries a :class:`Source` in
    ``df.attrs["source"]``.
    """
    table, _source = read_table_with_source(path, sheet=sheet, usecols=usecols)
    return table


def read_table_with_source(
    path: str | Path,
    *,
    sheet: str | None = None,
    usecols: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, Source]:
    """Return the table and a :class:`Source` describing how it was read."""
    from concurrent.futures import ThreadPoolExecutor

    path = Path(path)
    data = read_bytes(path)
    # hashlib releases the GIL on large buffers: fingerprint while pandas parses.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest_future = pool.submit(file_sha256, data)
        table, how = _read_any(path, data, sheet, usecols)
        digest = digest_future.result()
    source = Source(str(path), path.name, digest, **how)
    table.attrs["source"] = source
    return table, source


def _read_any(
    path: Path, data: bytes, sheet: str | None, usecols: Sequence[str] | None
) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """Return the table and how it was read (the :class:`Source` fields besides the file)."""
    if path.suffix.lower() == ".xls":
        raise InputError(
            "det gamla Excel-formatet .xls kan inte läsas. Spara filen som .xlsx "
            "(Arkiv > Spara som > Excel-arbetsbok) eller som CSV.",
            file=path,
        )
    if _is_excel(path, data):
        table, sheet_name = read_excel(path, data, sheet, usecols)
        return table, {"kind": "xlsx", "sheet": sheet_name}
    if sheet is not None:
        raise InputError("--blad kan bara användas med Excel-filer (.xlsx).", file=path)
    table, encoding, sep = read_csv(path, data, usecols)
    return table, {"kind": "csv", "encoding": encoding, "separator": sep}


def read_frame(
    path: str | Path,
    *,
    id_column: str,
    strata_column: str | None = None,
    sheet: str | None = None,
    keep: Sequence[str] = (),
    filter: str | None = None,
    exclude_ids: Iterable[str] | None = None,
    seed: int | str | None = None,
    candidates: int | None = None,
) -> Frame:
    """Return a validated sampling frame read from a case export.

    Checks that the named columns exist, ids are unique and non-empty and
    stratum values non-empty; every problem is reported with file, row and
    column.  ``filter`` is an expression in :mod:`granskning.expr.expression` that
    selects the population; ``exclude_ids`` removes cases drawn earlier.
    With ``seed`` the ids' draw keys are computed once here (they also find
    duplicate ids quickly) and kept in ``Frame.keys`` for the draw.

    With ``seed`` and ``candidates`` only the first ``candidates`` cases of
    each stratum in draw order are kept in ``Frame.data`` (a draw never needs
    more), the stratum sizes go to ``Frame.population``, and a large CSV is
    scanned in parallel (:mod:`granskning.sampling.framescan`) with the same result.
    """
    spec = FrameSpec.make(id_column, strata_column, keep, filter, exclude_ids, seed)
    if candidates is not None and seed is not None and sheet is None:
        frame = scan_parallel(Path(path), spec, candidates)
        if frame is not None:
            return frame
    table, source = read_table_with_source(path, sheet=sheet, usecols=spec.columns)
    if len(table) == 0:
        raise InputError("filen innehåller inga ärenden (bara en rubrikrad).", file=path)
    keys = validate(table, spec, source.name)
    selected, keys, rows_kept, excluded = select(table, keys, spec, source.name)
    if selected.empty:
        raise InputError(
            "inga ärenden återstår efter filter och uteslutning." if (filter or exclude_ids) else
            "filen innehåller inga ärenden.",
            file=source.name,
        )
    population = None
    if candidates is not None and seed is not None:
        selected, keys, population = reduce_to_candidates(selected, keys, spec, candidates)
    return Frame(
        data=selected,
        source=source,
        id_column=spec.id_column,
        strata_column=spec.strata_column,
        rows_read=len(table),
        rows_kept=rows_kept,
        filter=filter,
        excluded=excluded,
        seed=seed,
        keys=keys,
        population=population,
    )
