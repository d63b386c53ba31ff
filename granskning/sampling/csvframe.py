"""Reading a frame from CSV: layout (encoding, separator, header), body, field counts.

The reader reads every column as text (ids such as ``0012`` keep their zeros)
and reports a row with too many or too few fields, a broken quote or a control
character with the file, the row as Excel numbers it (header = row 1) and the
column.  :func:`parse_csv_body` parses any run of whole lines, so the parallel
scan (:mod:`granskning.sampling.framescan`) reads a chunk exactly as the serial
reader reads the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError, ManyInputErrors
from granskning.sampling.cells import (
    MAX_ERRORS,
    check_columns,
    check_header,
    check_text,
    describe_char,
)
from granskning.sampling.encoding import decode_csv, detect_separator

if TYPE_CHECKING:
    import pandas as pd

@dataclass(frozen=True, slots=True)
class CsvLayout:
    """How a CSV file is laid out: encoding, separator, header and where the data start."""

    encoding: str  # as detected (reported in the record)
    encoding_read: str  # what the parser is given (always UTF-8: the text is transcoded)
    data: bytes  # the bytes to parse: NFC UTF-8 without BOM, LF or CRLF line endings
    sep: str
    header: list[str]
    body_start: int  # byte offset of the first data line
    quoted: bool  # the file contains quote characters


MAX_HEADER = 1 << 20  # bytes of a header line


def csv_layout(path: Path, data: bytes) -> CsvLayout:
    """Return the layout of a CSV export; raise InputError for empty or unreadable files."""
    if re.search(rb"\S", data[: 1 << 16]) is None and not data[1 << 16 :].strip():
        raise InputError("filen är tom.", file=path)
    encoding, data = decode_csv(path, data)
    first_line_end = data.find(b"\n", 0, MAX_HEADER)
    if first_line_end < 0 and len(data) > MAX_HEADER:
        raise InputError(
            f"rubrikraden är längre än {MAX_HEADER // 1024} kB eller filen saknar radbrytningar: "
            "det är ingen ärendeförteckning i CSV-format.",
            file=path, row=1,
        )
    head = data[: first_line_end if first_line_end >= 0 else len(data)]
    header_text = head.decode("utf-8").rstrip("\r")
    sep = detect_separator(header_text)
    old_limit = csv.field_size_limit(max(MAX_HEADER, csv.field_size_limit()))
    try:
        fields = next(csv.reader([header_text], delimiter=sep))
    except csv.Error as exc:
        raise InputError(f"rubrikraden kunde inte tolkas ({exc}).", file=path, row=1) from None
    finally:
        csv.field_size_limit(old_limit)
    header = check_header(path, fields)
    body_start = first_line_end + 1 if first_line_end >= 0 else len(data)
    return CsvLayout(encoding, "utf-8", data, sep, header, body_start, b'"' in data)


def parse_csv_body(
    path: Path, layout: CsvLayout, start: int, end: int, positions: Sequence[int], first_row: int
) -> pd.DataFrame:
    """Return the records in ``layout.data[start:end]`` (whole lines) as stripped text columns.

    The index holds Excel row numbers starting at ``first_row``; blank lines
    are dropped but keep their numbers.  A record with more or fewer fields
    than the header, or a control character in a read column, raises
    InputError with its row.
    """
    import numpy as np
    import pandas as pd

    header = layout.header
    data = layout.data
    blank = check_field_counts(path, layout, start, end, first_row)
    # pandas cannot start a headerless read at a blank line: skip them, keeping row numbers.
    while start < end and data[start : start + 1] in (b"\n", b"\r"):
        if data[start : start + 1] == b"\n":
            first_row += 1
        start += 1
    if start >= end:
        return pd.DataFrame({header[p]: [] for p in positions}, dtype=object).set_axis(
            pd.RangeIndex(first_row, first_row, name="rad")
        )
    if data.startswith(b"\xef\xbb\xbf", start):  # pandas would drop it silently here only
        raise InputError(
            f"värdet innehåller ett otillåtet tecken ({describe_char(chr(0xFEFF))}, tecken 1 i "
            "värdet): en byte-order mark mitt i filen (två exporter sammanfogade?).",
            file=path.name, row=first_row, column=header[0],
        )
    try:
        table = pd.read_csv(
            io.BytesIO(data[start:end]),
            sep=layout.sep,
            encoding="utf-8",
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
        raise _parser_error(path, exc, first_row - 1) from None
    table.index = pd.RangeIndex(first_row, first_row + len(table), name="rad")
    table.columns = [header[p] for p in positions]
    for col in table.columns:  # cheaper than scanning the bytes for stray spaces first
        table[col] = np.array([v.strip() for v in table[col].to_numpy(dtype=object)], dtype=object)
    if len(blank):
        table = table[~table.index.isin(blank)]
    check_text(table, path.name if isinstance(path, Path) else path)
    return table


def check_field_counts(path: Path, layout: CsvLayout, start: int, end: int, first_row: int) -> Any:
    """Return the Excel rows of blank records; raise InputError for rows with the wrong field count.

    pandas fills a short row with empty values and, when only some columns
    are read, ignores surplus fields: either would silently change the frame.
    A blank record (every field empty, whichever columns are read) is
    skipped; a record with text in any field is a case.  Files without quotes
    are checked by counting bytes per line (vectorised); files with quotes
    record by record.
    """
    import numpy as np

    columns = len(layout.header)
    data = layout.data
    bad: list[tuple[int, int]] = []  # (Excel row, fields)
    if not layout.quoted:
        chunk = memoryview(data)[start:end]
        buf = np.frombuffer(chunk, dtype=np.uint8)
        if not len(buf):
            return np.zeros(0, dtype=np.int64)
        ends = np.flatnonzero(buf == 10)
        if buf[-1] != 10:
            ends = np.append(ends, len(buf))
        seps = np.flatnonzero(buf == ord(layout.sep))
        per_line = np.diff(np.searchsorted(seps, ends), prepend=0)
        # a line is blank when nothing but separators and spaces remain of it
        rest = np.frombuffer(bytes(chunk).translate(None, b" \t\r" + layout.sep.encode()), dtype=np.uint8)
        rest_ends = np.flatnonzero(rest == 10)
        if len(rest_ends) < len(ends):
            rest_ends = np.append(rest_ends, len(rest))
        blank_lines = np.diff(rest_ends, prepend=-1) == 1
        wrong = np.flatnonzero((per_line != columns - 1) & ~blank_lines)
        bad = [(first_row + int(i), int(per_line[i]) + 1) for i in wrong[:MAX_ERRORS]]
        blank = first_row + np.flatnonzero(blank_lines)
    else:
        text = data[start:end].decode("utf-8")
        name = path.name if isinstance(path, Path) else path
        blank_list: list[int] = []
        old_limit = csv.field_size_limit(max(len(text), csv.field_size_limit()))
        i = -1
        try:
            for i, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=layout.sep)):
                if not any(f.strip() for f in record):
                    blank_list.append(first_row + i)
                elif len(record) != columns and len(bad) < MAX_ERRORS:
                    bad.append((first_row + i, len(record)))
        except csv.Error:
            raise InputError(
                "raden kunde inte tolkas som CSV (ett nolltecken eller ett citattecken på fel "
                "ställe?).", file=name, row=first_row + i + 1,
            ) from None
        finally:
            csv.field_size_limit(old_limit)
        blank = np.array(blank_list, dtype=np.int64)
    if bad:
        name = path.name if isinstance(path, Path) else path
        errors = [
            InputError(
                f"raden har {n} fält men rubrikraden har {columns}"
                + (" (raden är avkortad; rätta den så att inget ärende tappas)" if n < columns
                   else " (ett avgränsningstecken i ett värde utan citattecken?)") + ".",
                file=name, row=row,
            )
            for row, n in bad
        ]
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    return blank


def read_csv(
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
        positions = sorted({header.index(c) for c in usecols})
    table = parse_csv_body(path, layout, layout.body_start, len(layout.data), positions, 2)
    if usecols is not None and len(table.columns) > len(set(usecols)):
        table = table[list(dict.fromkeys(usecols))]
    return table, layout.encoding, layout.sep


def _parser_error(path: Path, exc: Exception, offset: int = 1) -> InputError:
    """Return pandas' tokenizer error in Swedish; ``offset`` records precede the parsed text."""
    text = str(exc)
    name = path.name if isinstance(path, Path) else path
    # pandas: "Error tokenizing data. C error: Expected 3 fields in line 7, saw 4"
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return InputError(f"raden har {m.group(3)} fält men rubrikraden har {m.group(1)}.",
                          file=name, row=int(m.group(2)) + offset)
    m = re.search(r"EOF inside string starting at row (\d+)", text)
    if m:
        return InputError(
            "ett citattecken öppnas i ett fält men stängs aldrig, så resten av filen blir ett "
            "enda värde. Kontrollera citattecknen på raden.",
            file=name, row=int(m.group(1)) + offset + 1,
        )
    return InputError("filen kunde inte tolkas som CSV: kontrollera citattecken och avgränsare.",
                      file=name)
