"""Frames that used to be read silently wrong, or crash: each is read correctly or refused
with a Swedish error naming file, row (as Excel numbers it) and column (issue 9, items 8, 17)."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest

from granskning.errors import InputError
from granskning.sampling.frame import read_frame, read_table_with_source

NFC = unicodedata.normalize("NFC", "Järva")
NFD = unicodedata.normalize("NFD", "Järva")


def _write(tmp_path, content: bytes | str, name: str = "ram.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- short rows -------------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize("filter_text", [None, 'stadsdel == "Järva"', 'stadsdel == "Farsta"'])
def test_short_row_is_an_error_whether_or_not_it_passes_the_filter(tmp_path, quoted, filter_text):
    q = '"' if quoted else ""
    path = _write(tmp_path, f"id;stadsdel;alder\n1;{q}Järva{q};5\n2;Järva\n3;Farsta;7\n")
    with pytest.raises(InputError) as err:
        read_frame(path, id_column="id", strata_column="stadsdel", filter=filter_text, seed=1)
    assert err.value.row == 3
    assert "ram.csv, rad 3: raden har 2 fält men rubrikraden har 3" in str(err.value)


def test_short_row_missing_only_unread_columns_is_still_an_error(tmp_path):
    path = _write(tmp_path, "id;stadsdel;alder;kommentar\n1;A;5;x\n2;A;6\n3;B;7;y\n")
    with pytest.raises(InputError, match="rad 3: raden har 3 fält men rubrikraden har 4"):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_short_and_long_row_that_balance_each_other_are_both_reported(tmp_path):
    # the old total-separator check let one surplus and one missing field cancel out
    path = _write(tmp_path, "id;stadsdel;alder\n1;A;5;extra\n2;A\n3;B;7\n")
    with pytest.raises(InputError) as err:
        read_frame(path, id_column="id", strata_column="stadsdel")
    text = str(err.value)
    assert "rad 2: raden har 4 fält" in text and "rad 3: raden har 2 fält" in text


def test_row_with_text_only_in_unread_columns_is_not_dropped_as_blank(tmp_path):
    path = _write(tmp_path, "id;stadsdel;namn\n1;A;x\n;;Anna\n;;\n3;B;y\n")
    with pytest.raises(InputError, match=r'rad 3, kolumn "id": ärende-id saknas'):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_blank_lines_and_all_empty_records_are_skipped_keeping_row_numbers(tmp_path):
    path = _write(tmp_path, "id;s\n1;A\n\n;\n  \n2;B\n")
    frame = read_frame(path, id_column="id", strata_column="s")
    assert list(frame.data.index) == [2, 6]


# --- encodings --------------------------------------------------------------------------


def test_utf8_with_one_stray_windows_1252_byte_names_row_and_column(tmp_path):
    data = "id;stadsdel\n1;Järva\n2;Järva\n".encode() + b"3;Sp\xe5nga\n"
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as err:
        read_frame(path, id_column="id", strata_column="stadsdel")
    assert (err.value.row, err.value.column) == (4, "stadsdel")
    assert "0xE5" in str(err.value) and "UTF-8" in str(err.value)


def test_utf8_with_bom_and_a_stray_byte_is_refused_too(tmp_path):
    data = b"\xef\xbb\xbf" + "id;stadsdel\n1;Järva\n".encode() + b"2;Sp\xe5nga\n"
    with pytest.raises(InputError, match="rad 3"):
        read_frame(_write(tmp_path, data), id_column="id", strata_column="stadsdel")


def test_genuine_windows_1252_still_read(tmp_path):
    path = _write(tmp_path, "id;stadsdel\n1;Järva\n2;Skärholmen\n3;Spånga\n".encode("cp1252"))
    table, source = read_table_with_source(path)
    assert source.encoding == "cp1252"
    assert list(table["stadsdel"]) == ["Järva", "Skärholmen", "Spånga"]


def test_windows_1252_undefined_byte_names_row(tmp_path):
    path = _write(tmp_path, "id;stadsdel\n1;Järva\n".encode("cp1252") + b"2;A\x81\n")
    with pytest.raises(InputError, match=r'rad 3, kolumn "stadsdel": byte 0x81'):
        read_frame(path, id_column="id", strata_column="stadsdel")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path, codec):
    path = _write(tmp_path, "id;stadsdel\n1;Järva\n2;Farsta\n".encode(codec))
    table, source = read_table_with_source(path)
    assert source.encoding == codec
    assert list(table["stadsdel"]) == ["Järva", "Farsta"]


def test_truncated_utf16_is_a_swedish_error(tmp_path):
    path = _write(tmp_path, b"\xff\xfei\x00d\x00;")
    with pytest.raises(InputError, match="UTF-16"):
        read_frame(path, id_column="id")


# --- Unicode normalisation --------------------------------------------------------------


def test_nfc_and_nfd_spellings_are_one_stratum(tmp_path):
    path = _write(tmp_path, f"id;stadsdel\n1;{NFC}\n2;{NFD}\n3;Farsta\n")
    frame = read_frame(path, id_column="id", strata_column="stadsdel")
    assert sorted(set(frame.data["stadsdel"])) == ["Farsta", NFC]


def test_nfc_and_nfd_spellings_of_an_id_are_duplicates(tmp_path):
    path = _write(tmp_path, f"id;stadsdel\n{NFC}-1;A\n{NFD}-1;A\n")
    with pytest.raises(InputError, match=r'rad 3, kolumn "id": samma ärende-id som på rad 2'):
        read_frame(path, id_column="id", strata_column="stadsdel", seed=1)


def test_nfd_filter_and_column_names_match_nfc_data(tmp_path):
    col = unicodedata.normalize("NFD", "ålder")
    path = _write(tmp_path, f"id;stadsdel;ålder\n1;{NFC};5\n2;Farsta;6\n")
    frame = read_frame(path, id_column="id", strata_column="stadsdel", keep=[col],
                       filter=f'stadsdel == "{NFD}" and {col} < 9')
    assert list(frame.data["id"]) == ["1"]


def test_nfd_in_excel_frame_is_one_stratum(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in (["id", "stadsdel"], ["1", NFC], ["2", NFD]):
        ws.append(row)
    wb.save(tmp_path / "ram.xlsx")
    frame = read_frame(tmp_path / "ram.xlsx", id_column="id", strata_column="stadsdel")
    assert set(frame.data["stadsdel"]) == {NFC}


# --- line endings, control characters, odd layouts --------------------------------------


def test_cr_only_line_endings_are_read(tmp_path):
    path = _write(tmp_path, "id;stadsdel\r1;Järva\r2;Farsta\r\r3;Farsta\r".encode("cp1252"))
    frame = read_frame(path, id_column="id", strata_column="stadsdel")
    assert list(frame.data["id"]) == ["1", "2", "3"]
    assert list(frame.data.index) == [2, 3, 5]


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0b", "\x7f"])
def test_control_character_names_row_and_column(tmp_path, char):
    path = _write(tmp_path, f"id;stadsdel\n1;A\n2;B{char}x\n")
    with pytest.raises(InputError, match=r'rad 3, kolumn "stadsdel": värdet innehåller ett otillåtet'):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_control_character_in_a_column_not_read_is_harmless(tmp_path):
    path = _write(tmp_path, "id;stadsdel;anteckning\n1;A;rad\x0bbrytning\n2;B;x\n")
    assert len(read_frame(path, id_column="id", strata_column="stadsdel").data) == 2


@pytest.mark.parametrize("value", ["1\u200b", "\ufeff1", '"1\n2"'])
def test_invisible_characters_and_line_breaks_in_ids_are_refused(tmp_path, value):
    path = _write(tmp_path, f"id;stadsdel\n{value};A\n1;A\n")
    with pytest.raises(InputError, match=r'rad 2, kolumn "id": värdet innehåller ett otillåtet'):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_concatenated_exports_header_repeated_is_refused(tmp_path):
    path = _write(tmp_path, "id;stadsdel\n1;A\n\ufeffid;stadsdel\n2;B\n")
    with pytest.raises(InputError, match="rad 3"):
        read_frame(path, id_column="id", strata_column="stadsdel")
    path = _write(tmp_path, "id;stadsdel\n1;A\nid;stadsdel\n2;B\n")
    with pytest.raises(InputError, match="rad 3.*upprepar rubrikraden"):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_empty_header_cells_are_not_duplicate_columns(tmp_path):
    path = _write(tmp_path, "id;stadsdel;;\n1;A;;\n2;B;;\n")
    frame = read_frame(path, id_column="id", strata_column="stadsdel")
    assert len(frame.data) == 2


def test_very_long_header_and_lines(tmp_path):
    path = _write(tmp_path, "id;stadsdel;" + "x" * 200_000 + "\n1;A;b\n2;B;" + "y" * 300_000 + "\n")
    assert len(read_frame(path, id_column="id", strata_column="stadsdel").data) == 2
    path = _write(tmp_path, '"id";"stadsdel";"c"\n1;A;"' + "y" * 300_000 + '"\n')
    assert len(read_frame(path, id_column="id", strata_column="stadsdel").data) == 1


def test_separator_inside_quotes_and_quoted_newline(tmp_path):
    path = _write(tmp_path, 'id;stadsdel;text\n1;A;"a;b"\n2;B;"rad\nny rad"\n3;B;c\n')
    frame = read_frame(path, id_column="id", strata_column="stadsdel", keep=["text"])
    assert list(frame.data["text"]) == ["a;b", "rad\nny rad", "c"]
    assert list(frame.data.index) == [2, 3, 4]


# --- Excel --------------------------------------------------------------------------------


def _xlsx_with_big_sheet(size: int) -> bytes:
    """A valid workbook whose sheet XML is padded with ``size`` bytes of whitespace."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "stadsdel"])
    wb.active.append(["1", "A"])
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * size, 1)
            dst.writestr(info.filename, data, compresslevel=9)
    return out.getvalue()


def test_xlsx_zip_bomb_refused_before_parsing(tmp_path, monkeypatch):
    import openpyxl

    def no_parse(*args, **kwargs):
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", no_parse)
    path = _write(tmp_path, _xlsx_with_big_sheet(50_000_000), "ram.xlsx")
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match="zip-bomb"):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_xlsx_unpacked_size_limit(tmp_path, monkeypatch):
    from granskning.sampling import xlsxframe as frame_mod

    monkeypatch.setattr(frame_mod, "MAX_XLSX_UNPACKED", 100_000)
    path = _write(tmp_path, _xlsx_with_big_sheet(200_000), "ram.xlsx")
    with pytest.raises(InputError, match="packas upp till"):
        read_frame(path, id_column="id", strata_column="stadsdel")


def test_ordinary_xlsx_frame_passes_the_size_check(tmp_path):
    path = _write(tmp_path, _xlsx_with_big_sheet(1000), "ram.xlsx")
    assert list(read_frame(path, id_column="id", strata_column="stadsdel").data["id"]) == ["1"]


def test_xlsx_row_with_text_only_in_unread_columns_is_not_dropped(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in (["id", "stadsdel", "namn"], ["1", "A", "x"], [None, None, "Anna"], ["3", "B", "y"]):
        wb.active.append(row)
    wb.save(tmp_path / "ram.xlsx")
    with pytest.raises(InputError, match=r'rad 3, kolumn "id": ärende-id saknas'):
        read_frame(tmp_path / "ram.xlsx", id_column="id", strata_column="stadsdel")


# --- the command line: exit 2, Swedish, nothing written ----------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "id;stadsdel;alder\n1;A;5\n2;A\n",
        b"id;stadsdel\n1;J\xc3\xa4rva\n2;Sp\xe5nga\n",
        b"id;stadsdel\n1;A\x00\n",
        b"id;stadsdel\n1;A\x1b\n",
    ],
)
def test_cli_refuses_with_exit_2_and_writes_nothing(tmp_path, content):
    from click.testing import CliRunner

    from granskning.cli import cli

    path = _write(tmp_path, content)
    out = tmp_path / "urval.xlsx"
    result = CliRunner().invoke(
        cli, ["urval", str(path), "--id", "id", "--strata", "stadsdel", "--per-stratum", "1",
              "--seed", "1", "--ut", str(out)],
    )
    assert result.exit_code == 2, result.output
    assert "Fel: " in result.output and "Oväntat" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ram.csv"]


def test_cli_reads_cr_only_file(tmp_path):
    from click.testing import CliRunner

    from granskning.cli import cli

    path = _write(tmp_path, b"id;stadsdel\r1;A\r2;B\r")
    result = CliRunner().invoke(
        cli, ["urval", str(path), "--id", "id", "--strata", "stadsdel", "--per-stratum", "1",
              "--seed", "1", "--json"],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("content", "row"), [('id;s\n1;"A\n2;B\n', 2), ('id;s\n1;A\n2;"B\n3;C\n', 3)])
def test_unclosed_quote_names_its_row_in_swedish(tmp_path, content, row):
    with pytest.raises(InputError) as err:
        read_frame(_write(tmp_path, content), id_column="id", strata_column="s")
    assert err.value.row == row and "citattecken öppnas" in str(err.value)
    assert "EOF" not in str(err.value) and "Error" not in str(err.value)


def test_nul_in_a_quoted_file_names_row_and_column(tmp_path):
    path = _write(tmp_path, b'"id";"s"\n1;"A"\n2;"B\x00"\n')
    with pytest.raises(InputError, match=r'rad 3, kolumn "s": värdet innehåller ett otillåtet'):
        read_frame(path, id_column="id", strata_column="s")


def test_cli_nfd_column_names_select_the_nfc_columns(tmp_path):
    from click.testing import CliRunner

    from granskning.cli import cli

    col = unicodedata.normalize("NFD", "ålder")
    path = _write(tmp_path, f"id;{NFD};ålder\n1;A;5\n2;B;6\n")
    out = tmp_path / "urval.xlsx"
    result = CliRunner().invoke(
        cli, ["urval", str(path), "--id", "id", "--strata", NFD, "--kolumner", col,
              "--per-stratum", "1", "--seed", "1", "--ut", str(out)],
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["urval", "--verifiera", str(out), str(path)])
    assert result.exit_code == 0 and "Identiskt" in result.output, result.output


def test_read_table_names_an_nfd_column_name_as_such(tmp_path):
    from granskning.sampling.frame import read_table

    path = _write(tmp_path, "id;ålder\n1;5\n")
    with pytest.raises(InputError, match="Unicode NFD"):
        read_table(path, usecols=[unicodedata.normalize("NFD", "ålder")])


@pytest.mark.parametrize("content", ["\nid;stadsdel\n1;A\n", ";;\n1;A;x\n"])
def test_empty_header_row_is_named(tmp_path, content):
    with pytest.raises(InputError, match="rad 1: rubrikraden är tom"):
        read_frame(_write(tmp_path, content), id_column="id", strata_column="stadsdel")


def test_empty_header_row_in_excel_is_named(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([None, None])
    wb.active.append(["id", "stadsdel"])
    wb.active.append(["1", "A"])
    wb.save(tmp_path / "ram.xlsx")
    with pytest.raises(InputError, match="rad 1: rubrikraden är tom"):
        read_frame(tmp_path / "ram.xlsx", id_column="id", strata_column="stadsdel")


@pytest.mark.parametrize("kind", ["text", "zip"])
def test_broken_xlsx_message_is_swedish_only(tmp_path, kind):
    path = tmp_path / "ram.xlsx"
    if kind == "text":
        path.write_text("id;s\n1;A\n", encoding="utf-8")
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("x.xml", "hej")
    with pytest.raises(InputError) as err:
        read_frame(path, id_column="id")
    assert "skadad eller ingen arbetsbok" in str(err.value)
    assert "zip file" not in str(err.value) and "There is no item" not in str(err.value)
