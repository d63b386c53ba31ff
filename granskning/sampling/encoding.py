"""The bytes of a case export: fingerprint, encoding, separator, Unicode NFC.

Case systems and Swedish Excel export CSV with ``;`` separators in Windows-1252;
others give UTF-8 with or without a byte-order mark, commas or tabs, or UTF-16.
:func:`decode_csv` detects the encoding without being told and returns the text
as NFC-normalised UTF-8; a file mixing two encodings is refused with its row
and column.  Every value read from a frame is in Unicode NFC (:func:`nfc`).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from pathlib import Path

from granskning.errors import InputError

SEPARATORS = {";": "semikolon", ",": "komma", "\t": "tabb"}


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
ENCODING_NAMES = {
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


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form every value read from a frame has."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)
