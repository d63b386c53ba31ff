"""The date reader for frames (issue 11, "Bad input"): formats Swedish exports use, and
every other value refused with file, row (as Excel numbers it) and column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from granskning.errors import InputError, ManyInputErrors
from granskning.personnummer.number import synthetic
from granskning.sampling.dates import read_dates, table_dates
from granskning.sampling.frame import read_table


def _series(values: list, first_row: int = 2) -> pd.Series:
    return pd.Series(values, index=pd.Index(range(first_row, first_row + len(values))), dtype=object)


def _read(values: list, **kw) -> pd.Series:
    kw.setdefault("file", "ram.csv")
    kw.setdefault("column", "inkom")
    return read_dates(_series(values), **kw)


def test_accepted_formats_and_blank():
    got = _read(["2024-03-01", "20240301", "", "  2024-03-01 14:30 ", "2024-03-01T14:30:15",
                 "2024-02-29 23:59:59.5", None, float("nan")], keep_time=True)
    want = pd.to_datetime(["2024-03-01", "2024-03-01", None, "2024-03-01 14:30",
                           "2024-03-01 14:30:15", "2024-02-29 23:59:59.5", None, None], format="mixed").astype("datetime64[ns]")
    assert got.dtype == "datetime64[ns]"
    assert list(got.index) == list(range(2, 10))
    pd.testing.assert_series_equal(got, pd.Series(want, index=got.index), check_names=False)


def test_time_dropped_unless_kept():
    got = _read(["2024-03-01 23:59", "2024-12-31 00:01:02"])
    assert list(got) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-12-31")]


def test_agrees_with_pandas_on_every_day_of_four_centuries_edges():
    days = pd.date_range("1899-12-25", "1900-03-05").append(pd.date_range("1999-12-20", "2001-03-05"))
    days = days.append(pd.date_range("2023-12-25", "2025-01-05"))
    iso = pd.Series(days.strftime("%Y-%m-%d").to_numpy(dtype=object))
    compact = pd.Series(days.strftime("%Y%m%d").to_numpy(dtype=object))
    assert (read_dates(iso, file="f").to_numpy() == days.to_numpy()).all()
    assert (read_dates(compact, file="f").to_numpy() == days.to_numpy()).all()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023-02-29", 'datumet "2023-02-29" finns inte: februari 2023 har 28 dagar.'),
        ("1900-02-29", 'datumet "1900-02-29" finns inte: februari 1900 har 28 dagar.'),
        ("20240431", 'datumet "20240431" finns inte: april 2024 har 30 dagar.'),
        ("2024-13-01", '"2024-13-01" är inget datum: månaden 13 finns inte.'),
        ("2024-00-10", '"2024-00-10" är inget datum: månaden 00 finns inte.'),
        ("2024-03-00", 'datumet "2024-03-00" finns inte: mars 2024 har 31 dagar.'),
        ("2024-03-01 24:00", "klockslaget finns inte"),
        ("2024-03-01 12:60", "klockslaget finns inte"),
        ("0024-03-01", "årtalet ligger utanför"),
        ("2024-3-1", "är inget datum. Skriv datum som ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD eller ÅÅÅÅ-MM-DD TT:MM."),
        ("1/3/2024", "är inget datum"),
        ("2024-03-01 14", "är inget datum"),
        ("2024-03-01 14:30:15.", "är inget datum"),
        ("2024-03-01 14:30:15.1234567", "är inget datum"),
        ("2024-03-01x", "är inget datum"),
        ("idag", "är inget datum"),
        ("２０２４-03-01", "är inget datum"),  # full-width digits are not digits here
        ("2024-03-01\x00", "är inget datum"),  # a NUL (lost in numpy's fixed-width text) is refused
    ],
)
def test_refused_with_file_row_and_column(value, message):
    with pytest.raises(InputError) as err:
        _read(["2024-01-01", value])
    assert err.value.exit_code == 2
    assert err.value.row == 3
    assert str(err.value).startswith('ram.csv, rad 3, kolumn "inkom": ')
    assert message in str(err.value)


def test_number_in_csv_is_not_a_serial_and_says_why():
    with pytest.raises(InputError) as err:
        _read(["45352"])
    assert "Ett tal i en CSV-fil läses inte som Excel-datumnummer" in str(err.value)


def test_excel_serials_when_told():
    # Excel: =DATE(2024;3;1) is 45352; 60 is Excel's non-existent 1900-02-29, 61 is 1900-03-01
    got = _read(["45352", "45352.5", "45352,75", "61", "45351"], serials=True, keep_time=True)
    assert list(got) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-01 12:00"),
                         pd.Timestamp("2024-03-01 18:00"), pd.Timestamp("1900-03-01"),
                         pd.Timestamp("2024-02-29")]
    with pytest.raises(InputError, match="inget Excel-datumnummer"):
        _read(["60"], serials=True)
    with pytest.raises(InputError, match="är inget datum"):
        _read(["-45352"], serials=True)


def test_many_errors_listed_with_total():
    values = ["2024-01-01"] + ["x"] * 30 + ["2024-02-30"]
    with pytest.raises(ManyInputErrors) as err:
        _read(values)
    text = str(err.value)
    assert text.count("är inget datum") == 20
    assert "rad 3," in text and "rad 22," in text and "rad 23," not in text
    assert 'ram.csv: totalt 31 värden i kolumnen "inkom" som inte är datum.' in text


def test_personnummer_in_a_date_column_is_masked():
    pnr = synthetic(1, seed=3, birth_from=dt.date(2012, 1, 1), birth_to=dt.date(2012, 12, 31))[0]
    with pytest.raises(InputError) as err:
        _read([pnr, pnr.replace("-", " ")])
    assert pnr not in str(err.value)
    assert pnr[-4:] not in str(err.value)


def test_table_dates_reads_xlsx_dates_and_serials(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "inkom"])
    ws.append(["1", dt.date(2024, 2, 29)])
    ws.append(["2", dt.datetime(2024, 12, 31, 14, 30)])
    ws.append(["3", 45352])  # a date cell formatted as a number: its serial
    ws.append(["4", None])
    ws.append(["5", "2024-13-01"])
    path = tmp_path / "ram.xlsx"
    wb.save(path)
    table = read_table(path)
    with pytest.raises(InputError) as err:
        table_dates(table, "inkom")
    assert str(err.value).startswith('ram.xlsx, rad 6, kolumn "inkom": ')
    got = table_dates(table.drop(index=6), "inkom", keep_time=True)
    assert list(got.iloc[:3]) == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-12-31 14:30"),
                                  pd.Timestamp("2024-03-01")]
    assert pd.isna(got.iloc[3])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-8"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_table_dates_from_csv_in_any_encoding_and_separator(tmp_path, encoding, sep):
    text = sep.join(["id", "stadsdel", "inkom"]) + "\r\n"
    text += sep.join(["1", "Södermalm", "2024-02-29"]) + "\r\n" + sep.join(["2", "Älvsjö", "20241231"]) + "\r\n"
    text += sep.join(["3", "Järva", "45352"]) + "\r\n"
    path = tmp_path / "ram.csv"
    path.write_bytes(text.encode(encoding))
    table = read_table(path)
    with pytest.raises(InputError) as err:
        table_dates(table, "inkom")
    assert str(err.value).startswith('ram.csv, rad 4, kolumn "inkom": "45352" är inget datum.')
    got = table_dates(table.drop(index=4), "inkom")
    assert list(got) == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-12-31")]


def test_large_column_is_vectorised():
    days = pd.date_range("2000-01-01", periods=200_000, freq="h")
    values = pd.Series(days.strftime("%Y-%m-%d %H:%M").to_numpy(dtype=object), index=np.arange(2, 200_002))
    got = read_dates(values, file="f", keep_time=True)
    assert (got.to_numpy() == days.to_numpy()).all()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DATETIMES = st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31, 23, 59, 59))


@settings(max_examples=200, deadline=None)
@given(_DATETIMES, st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                                    "%Y-%m-%d %H:%M:%S.%f"]))
def test_every_written_date_reads_back(moment, form):
    text = moment.strftime(form)
    got = read_dates(pd.Series([text], index=[2], dtype=object), file="f", keep_time=True).iloc[0]
    want = pd.Timestamp(dt.datetime.strptime(text, form))
    assert got == want


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_date_or_a_located_error(text):
    try:
        got = read_dates(pd.Series([text], index=[7], dtype=object), file="ram.csv", column="d")
    except InputError as err:
        assert err.row == 7 and err.column == "d" and err.exit_code == 2
    else:
        value = got.iloc[0]
        assert pd.isna(value) == (text.strip() == "")


def test_errors_beyond_the_first_chunk_name_their_own_row():
    values = np.array(["2024-01-01"] * 300_000, dtype=object)
    values[280_000] = "2024-02-30"
    values[5] = ""
    with pytest.raises(InputError) as err:
        read_dates(pd.Series(values, index=np.arange(2, 300_002)), file="ram.csv", column="d")
    assert err.value.row == 280_002
    values[280_000] = " 2024-02-28 "
    got = read_dates(pd.Series(values, index=np.arange(2, 300_002)), file="ram.csv", column="d")
    assert got.iloc[280_000] == pd.Timestamp("2024-02-28") and pd.isna(got.iloc[5])
