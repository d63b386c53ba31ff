"""Reading case exports: encodings, separators, Excel, and every bad-input message."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from granskning.errors import InputError
from granskning.sampling.frame import detect_encoding, read_frame, read_table_with_source

ROWS = [
    ("arende_id", "stadsdel", "ålder", "beslut"),
    ("FB-0001", "Farsta", "3", "Ingen utredning inleds"),
    ("FB-0002", "Järva", "11", "Utredning inleds"),
    ("FB-0003", "Skärholmen", "7", "Ingen utredning inleds"),
    ("FB-0004", "Södermalm", "12", "Ingen utredning inleds"),
]


def write_csv(path: Path, rows, sep=";", encoding="cp1252", newline="\r\n", bom=False) -> Path:
    text = newline.join(sep.join(r) for r in rows) + newline
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, rows, sheet="Blad1", extra_sheet=None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(list(r))
    if extra_sheet:
        ws2 = wb.create_sheet(extra_sheet)
        for r in rows[:2]:
            ws2.append(list(r))
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("sep", "encoding", "bom", "expect_enc"),
    [
        (";", "cp1252", False, "cp1252"),
        (",", "utf-8", False, "utf-8"),
        ("\t", "utf-8", True, "utf-8-sig"),
        (";", "utf-8", True, "utf-8-sig"),
        (",", "cp1252", False, "cp1252"),
    ],
)
def test_csv_variants_detected(tmp_path, sep, encoding, bom, expect_enc):
    path = write_csv(tmp_path / "ram.csv", ROWS, sep=sep, encoding=encoding, bom=bom)
    table, source = read_table_with_source(path)
    assert list(table.columns) == list(ROWS[0])
    assert table["stadsdel"].tolist() == ["Farsta", "Järva", "Skärholmen", "Södermalm"]
    assert source.encoding == expect_enc and source.separator == sep
    assert list(table.index) == [2, 3, 4, 5]  # Excel row numbers


def test_utf16_export_from_excel(tmp_path):
    path = tmp_path / "ram.txt"
    path.write_bytes(("\r\n".join("\t".join(r) for r in ROWS) + "\r\n").encode("utf-16"))
    table, source = read_table_with_source(path)
    assert table["stadsdel"].iloc[1] == "Järva" and source.separator == "\t"


def test_ids_keep_leading_zeros_and_quoted_separators(tmp_path):
    path = tmp_path / "ram.csv"
    path.write_text('id;namn\n0012;"Svensson; Anna"\n0013;Berg\n', encoding="utf-8")
    table, _ = read_table_with_source(path)
    assert table["id"].tolist() == ["0012", "0013"]
    assert table["namn"].iloc[0] == "Svensson; Anna"


def test_xlsx_first_sheet_and_named_sheet(tmp_path):
    path = write_xlsx(tmp_path / "ram.xlsx", ROWS, extra_sheet="Andra")
    frame = read_frame(path, id_column="arende_id", strata_column="stadsdel")
    assert frame.rows_read == 4 and frame.source.kind == "xlsx" and frame.source.sheet == "Blad1"
    frame2 = read_frame(path, id_column="arende_id", sheet="Andra")
    assert frame2.rows_read == 1
    with pytest.raises(InputError, match='bladet "Saknas" finns inte.*"Blad1", "Andra"'):
        read_frame(path, id_column="arende_id", sheet="Saknas")


def test_xlsx_numbers_and_dates_become_text(tmp_path):
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "datum", "alder"])
    ws.append([12, dt.datetime(2024, 3, 1), 7.0])
    wb.save(tmp_path / "r.xlsx")
    table, _ = read_table_with_source(tmp_path / "r.xlsx")
    assert table.iloc[0].tolist() == ["12", "2024-03-01", "7"]


def test_missing_column_names_file_row_and_suggestion(tmp_path):
    path = write_csv(tmp_path / "ram.csv", ROWS)
    with pytest.raises(InputError) as err:
        read_frame(path, id_column="arende_id", strata_column="Stadsdel")
    msg = str(err.value)
    assert 'ram.csv, rad 1, kolumn "Stadsdel"' in msg and 'Menade du "stadsdel"?' in msg


def test_wrong_separator_hint(tmp_path):
    path = tmp_path / "ram.csv"
    path.write_text("arende_id|stadsdel\nA|B\n", encoding="utf-8")
    with pytest.raises(InputError, match="avgränsaren"):
        read_frame(path, id_column="arende_id", strata_column="stadsdel")


def test_duplicate_and_empty_ids_and_empty_strata_all_reported(tmp_path):
    rows = [
        ("id", "stadsdel"),
        ("A", "Farsta"),
        ("B", "Järva"),
        ("A", "Bromma"),
        ("", "Bromma"),
        ("C", ""),
    ]
    path = write_csv(tmp_path / "ram.csv", rows)
    with pytest.raises(InputError) as err:
        read_frame(path, id_column="id", strata_column="stadsdel")
    assert err.value.exit_code == 2
    msg = str(err.value)
    assert 'rad 4, kolumn "id": samma ärende-id som på rad 2' in msg
    assert 'rad 5, kolumn "id": ärende-id saknas' in msg
    assert 'rad 6, kolumn "stadsdel": stratum saknas' in msg


def test_blank_lines_are_ignored_but_row_numbers_kept(tmp_path):
    path = tmp_path / "ram.csv"
    path.write_text("id;s\nA;x\n\nB;y\n;\nC;\n", encoding="utf-8")
    with pytest.raises(InputError, match='rad 6, kolumn "s"'):
        read_frame(path, id_column="id", strata_column="s")


def test_ragged_row_reported_with_line(tmp_path):
    path = tmp_path / "ram.csv"
    path.write_text("id;s\nA;x\nB;y;z;w\n", encoding="utf-8")
    with pytest.raises(InputError, match="rad 3: raden har 4 fält men rubrikraden har 2"):
        read_frame(path, id_column="id", strata_column="s")


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "filen är tom"),
        (b"id;s\n", "inga ärenden"),
        (b"id;id\nA;B\n", "förekommer två gånger"),
    ],
)
def test_degenerate_files(tmp_path, content, pattern):
    path = tmp_path / "ram.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=pattern):
        read_frame(path, id_column="id")


def test_missing_file_and_directory_and_old_xls(tmp_path):
    with pytest.raises(InputError, match="finns inte"):
        read_frame(tmp_path / "nej.csv", id_column="id")
    with pytest.raises(InputError, match="katalog"):
        read_frame(tmp_path, id_column="id")
    (tmp_path / "gammal.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=".xlsx"):
        read_frame(tmp_path / "gammal.xls", id_column="id")


def test_broken_xlsx(tmp_path):
    (tmp_path / "trasig.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="Excel"):
        read_frame(tmp_path / "trasig.xlsx", id_column="id")


def test_detect_encoding():
    assert detect_encoding("Järva".encode("cp1252")) == "cp1252"
    assert detect_encoding("Järva".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfid") == "utf-8-sig"


def test_sha256_is_of_file_bytes(tmp_path):
    import hashlib

    path = write_csv(tmp_path / "ram.csv", ROWS)
    _, source = read_table_with_source(path)
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_exclusion_and_empty_result(tmp_path):
    path = write_csv(tmp_path / "ram.csv", ROWS)
    frame = read_frame(path, id_column="arende_id", strata_column="stadsdel", exclude_ids=["FB-0001"])
    assert frame.excluded == 1 and len(frame.data) == 3
    with pytest.raises(InputError, match="inga ärenden återstår"):
        read_frame(path, id_column="arende_id", exclude_ids=[r[0] for r in ROWS[1:]])
