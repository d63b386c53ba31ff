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
        enc = _ENCODING_NAMES.get(self.encoding or "", self.encoding or "")
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
    keys: Any = None  # uint64 draw keys of the ids under ``seed`` (see granskning.sampling.draw)
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
    """Return the encoding of a CSV export: UTF-8 (with/without BOM), UTF-16 or Windows-1252.

    Windows-1252 is chosen only when no byte sequence in the file is valid
    multi-byte UTF-8; a file mixing the two is neither (:func:`decode_csv`
    reports where).  UTF-16 without a byte-order mark is recognised by its
    zero bytes.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            data[3:].decode("utf-8")
        except UnicodeDecodeError:
            return "mixed"  # the byte-order mark says UTF-8
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) >= len(odd) * 0.6 and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) >= len(even) * 0.6 and odd.count(0) == 0:
            return "utf-16-be"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
        return "mixed" if _VALID_NON_ASCII.search(text) else "cp1252"
    return "utf-8"


# A decoded non-ASCII character that is not an escaped invalid byte (U+DC80–U+DCFF).
_VALID_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
_ENCODING_NAMES = {
    "cp1252": "Windows-1252", "utf-8": "UTF-8", "utf-8-sig": "UTF-8 med BOM", "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 (little-endian, utan BOM)", "utf-16-be": "UTF-16 (big-endian, utan BOM)",
}


def _byte_location(data: bytes, pos: int) -> tuple[int, int]:
    """Return (Excel row, 1-based character position in that line) of byte ``pos``."""
    row = data.count(b"\n", 0, pos) + 1
    line_start = data.rfind(b"\n", 0, pos) + 1
    return row, len(data[line_start:pos].decode("utf-8", "replace")) + 1


def _field_at(data: bytes, pos: int) -> int | None:
    """Return the 0-based field of the header-separated line that holds byte ``pos``."""
    header_end = data.find(b"\n")
    header = data[: header_end if header_end >= 0 else len(data)].decode("utf-8", "replace")
    sep = detect_separator(header.rstrip("\r").lstrip("\ufeff"))
    line_start = data.rfind(b"\n", 0, pos) + 1
    prefix = data[line_start:pos].decode("utf-8", "replace")
    try:
        return len(next(csv.reader([prefix], delimiter=sep))) - 1 if prefix else 0
    except (csv.Error, StopIteration):
        return None


def _header_name(data: bytes, field: int | None) -> str | None:
    if field is None:
        return None
    header_end = data.find(b"\n")
    header = data[: header_end if header_end >= 0 else len(data)].decode("utf-8", "replace")
    header = header.rstrip("\r").lstrip("\ufeff")
    try:
        names = next(csv.reader([header], delimiter=detect_separator(header)))
    except (csv.Error, StopIteration):
        return None
    return names[field].strip() if field < len(names) else None


def decode_csv(path: Path, data: bytes) -> tuple[str, bytes]:
    """Return (detected encoding, the file as NFC-normalised UTF-8 bytes without BOM).

    Raises InputError naming row and column when the bytes are not one encoding:
    valid UTF-8 with a few stray Windows-1252 bytes (an edited export) is never
    read as Windows-1252, which would change every å, ä and ö.  Text is
    normalised to Unicode NFC, so a name spelt with a combining diaeresis
    (macOS, some web forms) is the same value as the precomposed one.  Old Mac
    exports with CR-only line endings get LF endings.
    """
    import unicodedata

    encoding = detect_encoding(data)
    if encoding in ("utf-8", "utf-8-sig"):
        text = data.decode("utf-8-sig") if encoding == "utf-8-sig" else data.decode("utf-8")
    elif encoding == "mixed":
        text = ""
    elif encoding.startswith("utf-16"):
        try:
            text = data.decode("utf-16" if encoding == "utf-16" else encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"filen ser ut att vara UTF-16 men byte {exc.start + 1} går inte att läsa "
                "(filen är avkortad eller har fel teckenkodning). Spara den på nytt som "
                "CSV UTF-8.",
                file=path,
            ) from None
    else:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            row, char = _byte_location(data, exc.start)
            raise InputError(
                f"byte 0x{data[exc.start]:02X} (tecken {char} på raden) finns varken i "
                "UTF-8 eller Windows-1252: filen har fel teckenkodning eller är skadad.",
                file=path, row=row, column=_header_name(data, _field_at(data, exc.start)),
            ) from None
    if encoding == "mixed":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            pos = exc.start
        row, char = _byte_location(data, pos)
        raise InputError(
            f"filen är UTF-8 men byte 0x{data[pos]:02X} (tecken {char} på raden) är inte "
            "giltig UTF-8 (troligen ett å, ä eller ö i Windows-1252 från en redigering). "
            "Rätta tecknet eller spara hela filen på nytt i en och samma teckenkodning "
            "(CSV UTF-8).",
            file=path, row=row, column=_header_name(data, _field_at(data, pos)),
        )
    changed = encoding != "utf-8"
    text = text.lstrip("\ufeff")
    if "\r" in text:
        if "\n" not in text:
            text = text.replace("\r", "\n")  # old Mac: CR-only line endings
            changed = True
        elif '"' not in text and re.search("\r(?!\n)", text):
            text = re.sub("\r(?!\n)", "\n", text)  # a lone CR ends a line, as in Excel
            changed = True
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
        changed = True
    return encoding, (text.encode("utf-8") if changed else data)


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
        if _nfc(col) in header:
            suggestion = None
            msg = ("kolumnnamnet är skrivet med kombinerande tecken (Unicode NFD); skriv det med "
                   "vanliga å, ä och ö.")
        if suggestion:
            msg += f' Menade du "{suggestion}"?'
        msg += " Kolumner i filen: " + ", ".join(f'"{h}"' for h in header[:30])
        if len(header) > 30:
            msg += f" … ({len(header)} st)"
        msg += hint
        errors.append(InputError(msg, file=path, row=1, column=col))
    raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)


def _check_header(path: Path, header: Sequence[str]) -> list[str]:
    """Return the cleaned column names; empty ones get a placeholder such as ``(kolumn 3)``.

    Exports often end their header with empty cells; those columns cannot be
    chosen but must not be mistaken for duplicates of each other.
    """
    import unicodedata

    cleaned = [unicodedata.normalize("NFC", str(h).strip().lstrip("\ufeff")) for h in header]
    if not any(cleaned):
        raise InputError(
            "rubrikraden är tom: den första raden ska innehålla kolumnnamnen (ta bort tomma rader "
            "ovanför dem).",
            file=path, row=1,
        )
    bad = next((i for i, name in enumerate(cleaned) if _CONTROL.search(name)), None)
    if bad is not None:
        raise InputError(
            f"rubriken i kolumn {bad + 1} innehåller ett styrtecken "
            f"({_describe_char(_CONTROL.search(cleaned[bad]).group())}).",
            file=path, row=1,
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(cleaned):
        if not name:
            cleaned[i] = name = f"(kolumn {i + 1})"
        if name in seen:
            raise InputError(
                f"kolumnnamnet förekommer två gånger (kolumn {seen[name] + 1} och {i + 1}).",
                file=path, row=1, column=name,
            )
        seen[name] = i
    return cleaned


# Characters no case export means to contain: C0 controls other than tab, LF and CR,
# DEL and the C1 controls (they break the Excel workbook a draw writes, and are
# invisible on screen).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Also refused in ids and strata: line breaks, tabs and invisible characters, which
# make two values that look the same on screen different (or one value look like two).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\ufffd]")


def _describe_char(ch: str) -> str:
    names = {"\t": "tabb", "\n": "radbrytning", "\r": "vagnretur (CR)", "\x00": "nolltecken",
             "\ufeff": "byte-order mark U+FEFF, osynligt", "\ufffd": "ersättningstecknet \ufffd"}
    return names.get(ch, f"U+{ord(ch):04X}" + (", osynligt" if ord(ch) >= 0x200B else ""))


def check_text(table: pd.DataFrame, name: str | Path, strict: Sequence[str] = ()) -> None:
    """Raise InputError at the first cell holding a control character.

    Columns in ``strict`` (ids and strata) also refuse tabs, line breaks and
    invisible characters such as U+FEFF and zero-width spaces.
    """
    for col in table.columns:
        values = table[col].to_numpy(dtype=object)
        pattern = _INVISIBLE if col in strict else _CONTROL
        if not values.size or pattern.search(" ".join(values)) is None:  # neither matches a space
            continue
        for row, value in zip(table.index, values, strict=True):
            m = pattern.search(value)
            if m:
                raise InputError(
                    f"värdet innehåller ett otillåtet tecken ({_describe_char(m.group())}, "
                    f"tecken {m.start() + 1} i värdet). Ta bort det i filen och försök igen.",
                    file=name, row=int(row), column=str(col),
                )


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
    header = _check_header(path, fields)
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
            f"värdet innehåller ett otillåtet tecken ({_describe_char(chr(0xFEFF))}, tecken 1 i "
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


_BROKEN_XLSX = (
    "filen kunde inte läsas som Excel-arbetsbok (.xlsx): den är skadad eller ingen arbetsbok. "
    "Öppna den i Excel och spara den på nytt, eller spara ramen som CSV."
)
MAX_XLSX_UNPACKED = 1_000_000_000  # bytes of XML in a frame workbook (a full sheet is ~300 MB)
MAX_XLSX_RATIO = 300  # unpacked/packed of one large part; real sheets compress 5-30 times


def check_xlsx_size(path: Path | str, data: bytes) -> None:
    """Refuse a workbook that would unpack to more than we agree to parse (a zip bomb)."""
    from zipfile import BadZipFile, ZipFile

    try:
        with ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (BadZipFile, OSError, ValueError):
        raise InputError(_BROKEN_XLSX, file=path) from None
    size = sum(i.file_size for i in infos)
    if size > MAX_XLSX_UNPACKED:
        raise InputError(
            f"arbetsboken packas upp till {size // 1_000_000} MB, mer än de "
            f"{MAX_XLSX_UNPACKED // 1_000_000} MB en ram får vara. Spara ramen som CSV "
            "eller dela upp den.",
            file=path,
        )
    for info in infos:
        if info.file_size > 10_000_000 and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f'delen "{info.filename}" packas upp {info.file_size // max(info.compress_size, 1)} '
                "gånger (en så hög packningsgrad har ingen riktig arbetsbok; filen kan vara en "
                "zip-bomb). Öppna den i Excel och spara som ny arbetsbok eller som CSV.",
                file=path,
            )


def _read_excel(
    path: Path, data: bytes, sheet: str | None, usecols: Sequence[str] | None
) -> tuple[pd.DataFrame, str]:
    import pandas as pd
    from openpyxl import load_workbook

    check_xlsx_size(path, data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise InputError(_BROKEN_XLSX, file=path) from None
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
        ws = wb[sheet_name]
        try:
            raw_header = next(ws.iter_rows(max_row=1, values_only=True))
        except StopIteration:
            raise InputError(f'bladet "{sheet_name}" är tomt.', file=path) from None
        width = len(raw_header)
        while width and (raw_header[width - 1] is None or str(raw_header[width - 1]).strip() == ""):
            width -= 1
        # max_col: a sheet with one far-away cell (XFD) would pad every row to 16 384 cells
        rows = ws.iter_rows(min_row=2, max_col=max(width, 1), values_only=True)
        header = _check_header(path, ["" if h is None else str(h) for h in raw_header[:width]])
        if usecols is not None:
            check_columns(path, header, usecols)
            positions = sorted({header.index(c) for c in usecols})
        else:
            positions = list(range(width))
        records = []
        index = []
        for n, r in enumerate(rows, start=2):
            # a row is blank when every cell is, not only the cells read
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in r):
                continue
            records.append([_cell_text(r[p]) if p < len(r) else "" for p in positions])
            index.append(n)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl parses lazily: broken XML shows up here
        raise InputError(_BROKEN_XLSX, file=path) from None
    finally:
        wb.close()
    table = pd.DataFrame(records, columns=[header[p] for p in positions], dtype=object)
    table.index = pd.Index(index, dtype="int64", name="rad")
    check_text(table, path.name)
    return table, sheet_name


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
    text = str(value).strip()
    return _nfc(text)


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
        from granskning.sampling.framescan import scan_parallel

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
            from granskning.expr import expression as expr

            expression = expr.parse(filter, source="--filter")
            wanted.extend(sorted(expression.names))
        exclude = frozenset(map(_nfc, exclude_ids)) if exclude_ids is not None else None
        wanted = [_nfc(c) for c in wanted]
        return cls(
            _nfc(id_column), _nfc(strata_column) if strata_column else strata_column,
            list(dict.fromkeys(wanted)), filter, expression, exclude, seed,
        )


def _nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form every value read from a frame has."""
    if text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize("NFC", text)


def validate(table: pd.DataFrame, spec: FrameSpec, name: str) -> Any:
    """Raise for empty or duplicate ids and empty strata; return the draw keys (or None)."""
    id_column, strata_column = spec.id_column, spec.strata_column
    key_columns = [id_column] + ([strata_column] if strata_column else [])
    check_text(table[key_columns], name, strict=key_columns)
    ids = table[id_column]  # the readers strip surrounding spaces
    repeated = ids == id_column
    if strata_column:
        repeated &= table[strata_column] == strata_column
    if repeated.any():
        raise InputError(
            "raden upprepar rubrikraden (två exporter sammanfogade?). Ta bort den: annars "
            "blir den ett ärende.",
            file=name, row=int(ids.index[repeated.to_numpy()][0]), column=id_column,
        )
    errors: list[InputError] = []
    empty = (ids == "").to_numpy()
    for row in ids.index[empty][:MAX_ERRORS]:
        errors.append(InputError("ärende-id saknas.", file=name, row=int(row), column=id_column))
    keys = None
    if spec.seed is not None:
        from granskning.sampling.draw import hash_ids

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
        from granskning.expr import expression as expr

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
    from granskning.sampling.draw import rank

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
