"""Reading and validating case exports (sampling frames) from CSV and XLSX.

Case systems and Swedish Excel export CSV with ``;`` separators in Windows-1252;
others give UTF-8 with or without a byte-order mark, commas or tabs.  The reader
detects all of these without being told, reads every column as text (ids such
as ``0012`` keep their zeros) and reports problems as :class:`InputError` with
the file, the row as Excel numbers it (header = row 1) and the column.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError, ManyInputErrors

if TYPE_CHECKING:
    import pandas as pd

SEPARATORS = {";": "semikolon", ",": "komma", "\t": "tabb"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
MAX_ERRORS = 20


@dataclass(frozen=True, slots=True)
class Source:
    """Where a table came from: enough to record and re-verify a draw."""

    path: str
    name: str
    sha256: str
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None

    def describe(self) -> str:
        """Return a short Swedish description such as ``CSV, Windows-1252, semikolon``."""
        if self.kind == "xlsx":
            return f"Excel, blad {self.sheet}"
        enc = {"cp1252": "Windows-1252", "utf-8": "UTF-8", "utf-8-sig": "UTF-8 med BOM",
               "utf-16": "UTF-16"}.get(self.encoding or "", self.encoding or "")
        return f"CSV, {enc}, {SEPARATORS.get(self.separator or '', self.separator)}"


@dataclass(frozen=True, slots=True)
class Frame:
    """A validated sampling frame: the data plus the record of how it was read."""

    data: pd.DataFrame
    source: Source
    id_column: str
    strata_column: str | None
    rows_read: int
    rows_kept: int
    filter: str | None = None
    excluded: int = 0
    seed: int | str | None = None
    keys: Any = None  # uint64 draw keys of the ids under ``seed`` (see granskning.draw)
    population: Mapping[str, int] | None = None  # stratum sizes when ``data`` holds candidates only


def file_sha256(data: bytes) -> str:
    """Return the hex SHA-256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes:
    """Return the file's bytes; InputError (in Swedish) when it is missing or unreadable."""
    if not path.exists():
        raise InputError("filen finns inte.", file=path)
    if path.is_dir():
        raise InputError("är en katalog, inte en fil.", file=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"filen kunde inte läsas ({exc.strerror}).", file=path) from None


def detect_encoding(data: bytes) -> str:
    """Return the encoding of a CSV export: UTF-8 (with/without BOM), UTF-16 or Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def detect_separator(header: str) -> str:
    """Return the separator that splits the header line into the most fields."""
    counts = {}
    for sep in SEPARATORS:
        try:
            counts[sep] = len(next(csv.reader([header], delimiter=sep)))
        except (csv.Error, StopIteration):
            counts[sep] = 1
    best = max(counts, key=lambda s: (counts[s], s == ";"))
    return best if counts[best] > 1 else ";"


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
        table, sheet_name = _read_excel(path, data, sheet, usecols)
        return table, {"kind": "xlsx", "sheet": sheet_name}
    if sheet is not None:
        raise InputError("--blad kan bara användas med Excel-filer (.xlsx).", file=path)
    table, encoding, sep = _read_csv(path, data, usecols)
    return table, {"kind": "csv", "encoding": encoding, "separator": sep}


def check_columns(path: Path, header: Sequence[str], wanted: Iterable[str], hint: str = "") -> None:
    """Raise InputError naming each wanted column missing from the header, with a suggestion."""
    missing = [c for c in dict.fromkeys(wanted) if c not in header]
    if not missing:
        return
    errors = []
    for col in missing:
        close = difflib.get_close_matches(col, list(header), n=1, cutoff=0.6)
        folded = [h for h in header if h.casefold() == col.casefold()]
        suggestion = folded[0] if folded else (close[0] if close else None)
        msg = "kolumnen finns inte i filen."
        if suggestion:
            msg += f' Menade du "{suggestion}"?'
        msg += " Kolumner i filen: " + ", ".join(f'"{h}"' for h in header[:30])
        if len(header) > 30:
            msg += f" … ({len(header)} st)"
        msg += hint
        errors.append(InputError(msg, file=path, row=1, column=col))
    raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)


def _check_header(path: Path, header: Sequence[str]) -> list[str]:
    cleaned = [str(h).strip().lstrip("\ufeff") for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(cleaned):
        if name in seen and name:
            raise InputError(
                f"kolumnnamnet förekommer två gånger (kolumn {seen[name] + 1} och {i + 1}).",
                file=path, row=1, column=name,
            )
        seen[name] = i
    return cleaned


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """How a CSV file is laid out: encoding, separator, header and where the data start."""

    encoding: str  # as detected (reported in the record)
    encoding_read: str  # what the parser is given (UTF-16 is transcoded to UTF-8 first)
    data: bytes  # the bytes to parse (transcoded when needed)
    sep: str
    header: list[str]
    body_start: int  # byte offset of the first data line
    quoted: bool  # the file contains quote characters


def csv_layout(path: Path, data: bytes) -> CsvLayout:
    """Return the layout of a CSV export; raise InputError for empty or unreadable files."""
    if re.search(rb"\S", data[: 1 << 16]) is None and not data[1 << 16 :].strip():
        raise InputError("filen är tom.", file=path)
    encoding = detect_encoding(data)
    if encoding == "utf-16":
        data = data.decode("utf-16").encode("utf-8")
        encoding_read = "utf-8"
    else:
        encoding_read = encoding
    first_line_end = data.find(b"\n", 0, 1 << 20)
    head = data[: first_line_end if first_line_end >= 0 else len(data)]
    try:
        header_text = head.decode(encoding_read).rstrip("\r").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise InputError("filens teckenkodning känns inte igen.", file=path) from None
    sep = detect_separator(header_text)
    header = _check_header(path, next(csv.reader([header_text], delimiter=sep)))
    body_start = first_line_end + 1 if first_line_end >= 0 else len(data)
    return CsvLayout(encoding, encoding_read, data, sep, header, body_start, b'"' in data)


def parse_csv_body(
    path: Path, layout: CsvLayout, start: int, end: int, positions: Sequence[int], first_row: int
) -> pd.DataFrame:
    """Return the records in ``layout.data[start:end]`` (whole lines) as stripped text columns.

    The index holds Excel row numbers starting at ``first_row``; blank lines
    are dropped but keep their numbers.
    """
    import numpy as np
    import pandas as pd

    header = layout.header
    data = layout.data
    # pandas cannot start a headerless read at a blank line: skip them, keeping row numbers.
    while start < end and data[start : start + 1] in (b"\n", b"\r"):
        if data[start : start + 1] == b"\n":
            first_row += 1
        start += 1
    if start >= end:
        return pd.DataFrame({header[p]: [] for p in positions}, dtype=object).set_axis(
            pd.RangeIndex(first_row, first_row, name="rad")
        )
    try:
        table = pd.read_csv(
            io.BytesIO(data[start:end]),
            sep=layout.sep,
            encoding=layout.encoding_read,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            header=None,
            names=header,
            usecols=list(positions) if len(positions) < len(header) else None,
            engine="c",
            quotechar='"',
        )
    except pd.errors.EmptyDataError:
        table = pd.DataFrame({header[p]: [] for p in positions}, dtype=object)
    except pd.errors.ParserError as exc:
        raise InputError(
            f"filen kunde inte tolkas som CSV: {_parser_message(exc, first_row - 1)}", file=path
        ) from None
    except UnicodeDecodeError:
        raise InputError("filens teckenkodning känns inte igen.", file=path) from None
    table.index = pd.RangeIndex(first_row, first_row + len(table), name="rad")
    table.columns = [header[p] for p in positions]
    for col in table.columns:  # cheaper than scanning the bytes for stray spaces first
        table[col] = np.array([v.strip() for v in table[col].to_numpy(dtype=object)], dtype=object)
    return _drop_blank_rows(table)


def _read_csv(
    path: Path, data: bytes, usecols: Sequence[str] | None
) -> tuple[pd.DataFrame, str, str]:
    layout = csv_layout(path, data)
    header = layout.header
    hint = ""
    if len(header) == 1:
        hint = " (Filen verkar bara ha en kolumn: kontrollera avgränsaren, ; , eller tabb.)"
    positions = list(range(len(header)))
    if usecols is not None:
        check_columns(path, header, usecols, hint)
        if not layout.quoted:
            # Quoted fields may hold separators, so the fast field-count check
            # below cannot be used: then every column is parsed and pandas checks rows.
            positions = sorted({header.index(c) for c in usecols})
    table = parse_csv_body(path, layout, layout.body_start, len(layout.data), positions, 2)
    if len(positions) < len(header) and not fields_consistent(
        layout.data, layout.sep, len(header), len(table) + 1
    ):
        # pandas ignores surplus fields when reading selected columns, so a row with
        # more fields than the header (an unquoted separator) would shift silently.
        # Parse every column once so such a row is reported with its line number.
        all_cols = list(range(len(header)))
        table = parse_csv_body(path, layout, layout.body_start, len(layout.data), all_cols, 2)
    if usecols is not None and len(table.columns) > len(set(usecols)):
        table = table[list(dict.fromkeys(usecols))]
    return table, layout.encoding, layout.sep


def fields_consistent(data: bytes, sep: str, columns: int, lines: int) -> bool:
    """Return True when every line surely has exactly ``columns`` fields.

    Only for files without quote characters: then the file is consistent when
    its separators add up to exactly (columns - 1) per non-blank line (``lines``
    counts them; blank lines have none).
    """
    return data.count(sep.encode()) == (columns - 1) * lines


def _parser_message(exc: Exception, offset: int = 1) -> str:
    """Return pandas' tokenizer message in Swedish; ``offset`` lines precede the parsed text."""
    text = str(exc)
    # pandas: "Error tokenizing data. C error: Expected 3 fields in line 7, saw 4"
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        row = int(m.group(2)) + offset
        return f"rad {row} har {m.group(3)} fält men rubrikraden har {m.group(1)}."
    return text.splitlines()[-1] if text else "okänt fel"


def _drop_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty or table.shape[1] == 0:
        return table
    blank = (table == "").all(axis=1)
    return table[~blank] if blank.any() else table


def _read_excel(
    path: Path, data: bytes, sheet: str | None, usecols: Sequence[str] | None
) -> tuple[pd.DataFrame, str]:
    import pandas as pd
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InputError(f"filen kunde inte läsas som Excel-arbetsbok ({exc}).", file=path) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            sheet_name = names[0]
        elif sheet in names:
            sheet_name = sheet
        else:
            raise InputError(
                f'bladet "{sheet}" finns inte. Blad i filen: ' + ", ".join(f'"{n}"' for n in names),
                file=path,
            )
        rows = wb[sheet_name].iter_rows(values_only=True)
        try:
            raw_header = next(rows)
        except StopIteration:
            raise InputError(f'bladet "{sheet_name}" är tomt.', file=path) from None
        width = len(raw_header)
        while width and (raw_header[width - 1] is None or str(raw_header[width - 1]).strip() == ""):
            width -= 1
        header = _check_header(path, ["" if h is None else str(h) for h in raw_header[:width]])
        if usecols is not None:
            check_columns(path, header, usecols)
            positions = sorted({header.index(c) for c in usecols})
        else:
            positions = list(range(width))
        records = [[_cell_text(r[p]) if p < len(r) else "" for p in positions] for r in rows]
    finally:
        wb.close()
    table = pd.DataFrame(records, columns=[header[p] for p in positions], dtype=object)
    table.index = pd.RangeIndex(2, len(table) + 2, name="rad")
    return _drop_blank_rows(table), sheet_name


def _cell_text(value: object) -> str:
    """Return an Excel cell as the text a user sees (dates as ISO, 12.0 as 12)."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


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
    column.  ``filter`` is an expression in :mod:`granskning.expr` that
    selects the population; ``exclude_ids`` removes cases drawn earlier.
    With ``seed`` the ids' draw keys are computed once here (they also find
    duplicate ids quickly) and kept in ``Frame.keys`` for the draw.

    With ``seed`` and ``candidates`` only the first ``candidates`` cases of
    each stratum in draw order are kept in ``Frame.data`` (a draw never needs
    more), the stratum sizes go to ``Frame.population``, and a large CSV is
    scanned in parallel (:mod:`granskning.framescan`) with the same result.
    """
    spec = FrameSpec.make(id_column, strata_column, keep, filter, exclude_ids, seed)
    if candidates is not None and seed is not None and sheet is None:
        from granskning.framescan import scan_parallel

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
        id_column=id_column,
        strata_column=strata_column,
        rows_read=len(table),
        rows_kept=rows_kept,
        filter=filter,
        excluded=excluded,
        seed=seed,
        keys=keys,
        population=population,
    )


@dataclass(frozen=True, slots=True)
class FrameSpec:
    """What to read from a frame and how to select the population."""

    id_column: str
    strata_column: str | None
    columns: list[str]
    filter: str | None
    expression: Any
    exclude: frozenset[str] | None
    seed: int | str | None

    @classmethod
    def make(cls, id_column, strata_column, keep, filter, exclude_ids, seed) -> FrameSpec:
        expression = None
        wanted: list[str] = [id_column]
        if strata_column:
            wanted.append(strata_column)
        wanted.extend(keep)
        if filter:
            from granskning import expr

            expression = expr.parse(filter, source="--filter")
            wanted.extend(sorted(expression.names))
        exclude = frozenset(exclude_ids) if exclude_ids is not None else None
        return cls(id_column, strata_column, list(dict.fromkeys(wanted)), filter, expression, exclude, seed)


def validate(table: pd.DataFrame, spec: FrameSpec, name: str) -> Any:
    """Raise for empty or duplicate ids and empty strata; return the draw keys (or None)."""
    id_column, strata_column = spec.id_column, spec.strata_column
    ids = table[id_column]  # the readers strip surrounding spaces
    errors: list[InputError] = []
    empty = (ids == "").to_numpy()
    for row in ids.index[empty][:MAX_ERRORS]:
        errors.append(InputError("ärende-id saknas.", file=name, row=int(row), column=id_column))
    keys = None
    if spec.seed is not None:
        from granskning.draw import hash_ids

        keys = hash_ids(ids, spec.seed)
        dup = _duplicated_by_key(ids, keys).to_numpy() & ~empty
    else:
        dup = ids.duplicated(keep=False).to_numpy() & ~empty
    if dup.any():
        first_row: dict[str, int] = {}
        for row, value in ids[dup].items():
            if value in first_row:
                if len(errors) < MAX_ERRORS:
                    errors.append(
                        InputError(
                            f"samma ärende-id som på rad {first_row[value]} (id:n måste vara unika).",
                            file=name, row=int(row), column=id_column,
                        )
                    )
            else:
                first_row[value] = int(row)
    if strata_column:
        strata = table[strata_column]
        for row in strata.index[(strata == "").to_numpy()][: max(0, MAX_ERRORS - len(errors))]:
            errors.append(
                InputError("stratum saknas (tomt värde).", file=name, row=int(row), column=strata_column)
            )
    if errors:
        errors.sort(key=lambda e: e.row or 0)
        if len(errors) == 1:
            raise errors[0]
        summary = ManyInputErrors(errors)
        n_dup, n_empty = int(dup.sum()), int(empty.sum())
        extra = []
        if n_dup:
            extra.append(f"{n_dup} {'rad' if n_dup == 1 else 'rader'} med dubblerade id")
        if n_empty:
            extra.append(f"{n_empty} {'rad' if n_empty == 1 else 'rader'} utan id")
        if extra:
            summary.message += f"\n{name}: totalt " + " och ".join(extra) + "."
        raise summary
    return keys


def select(
    table: pd.DataFrame, keys: Any, spec: FrameSpec, name: str
) -> tuple[pd.DataFrame, Any, int, int]:
    """Apply the population filter and the exclusions; return (table, keys, kept, excluded)."""
    if spec.expression is not None:
        from granskning import expr

        expr.check_names(spec.expression, table.columns, source="--filter")
        mask = filter_mask(table, spec.expression, name)
        table = table[mask]
        if keys is not None:
            keys = keys[mask]
    rows_kept = len(table)
    excluded = 0
    if spec.exclude is not None:
        drop = table[spec.id_column].isin(spec.exclude).to_numpy()
        excluded = int(drop.sum())
        if excluded:
            table = table[~drop]
            if keys is not None:
                keys = keys[~drop]
    return table, keys, rows_kept, excluded


def filter_mask(table: pd.DataFrame, expression: Any, name: str) -> Any:
    """Return which rows of a table read here satisfy a population filter (a numpy bool array).

    The table's index holds Excel row numbers while expr adds the header offset
    itself, so the rows are renumbered from 0 for it; a value that cannot be
    compared raises with its file, row and column.
    """
    return expression.mask(table.set_axis(table.index - 2), strict=True, file=name).to_numpy()


def reduce_to_candidates(
    table: pd.DataFrame, keys: Any, spec: FrameSpec, candidates: int
) -> tuple[pd.DataFrame, Any, dict[str, int]]:
    """Keep the first ``candidates`` cases per stratum in draw order; return the stratum sizes."""
    from granskning.draw import rank

    ids = table[spec.id_column]
    strata = table[spec.strata_column] if spec.strata_column else None
    if strata is not None:
        population = {str(k): int(v) for k, v in strata.value_counts(sort=False).items()}
    else:
        population = {"": len(table)}
    ranked = rank(ids, strata, spec.seed, limit=candidates, keys=keys)
    keep = table.index.get_indexer(ranked.index)
    return table.iloc[keep], keys[keep], dict(sorted(population.items()))


def _duplicated_by_key(ids: pd.Series, keys: Any) -> pd.Series:
    """Return which ids occur more than once, using their 64-bit hash keys first.

    Equal ids have equal keys; rows whose key is unique cannot be duplicates, so
    only the (normally empty) set of rows sharing a key is compared as text.
    """
    import numpy as np
    import pandas as pd

    ordered = np.sort(keys)
    out = pd.Series(False, index=ids.index)
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        same_key = pd.Series(keys).duplicated(keep=False).to_numpy()
        candidates = ids[same_key]
        out[candidates.index] = candidates.duplicated(keep=False).to_numpy()
    return out
