"""Case data on cases (migration 6): stored as typed JSON, refused when it holds a personnummer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_secrecy import FORMS, database_text, leaks

from granskning.errors import InputError, ManyInputErrors
from granskning.store.values import case_data_text

# Skatteverket's published test personnummer (see tests/test_secrecy.py).
TEST_NUMBER = "19121212-1212"


def new_audit(store) -> int:
    return store.create_audit("T", "granskning", None, None, None, None, {}, "sam")


def test_case_data_round_trip(store, db_url) -> None:
    audit = new_audit(store)
    store.add_cases(audit, [
        {"case_id": "A1", "stratum": "Bromma", "age": 5, "sex": "flicka",
         "case_data": {"inkom_datum": dt.date(2024, 2, 29), "beslut_datum": dt.datetime(2024, 3, 12, 14, 30),
                       "antal_besok": 4, "vikt": 2.5, "hel": 3.0, "enhet": "  Mottagningen   Väst ",
                       "saknas": None}},
        {"case_id": "A2", "stratum": "Bromma"},
        {"case_id": "A3", "stratum": "Bromma", "case_data": {}},
    ])
    by_id = {c.case_id: c for c in store.cases(audit)}
    assert by_id["A1"].case_data == {
        "inkom_datum": "2024-02-29", "beslut_datum": "2024-03-12", "antal_besok": 4, "vikt": 2.5,
        "hel": 3, "enhet": "Mottagningen Väst", "saknas": None,
    }
    assert isinstance(by_id["A1"].case_data["antal_besok"], int)
    assert by_id["A2"].case_data == {} and by_id["A3"].case_data == {}
    frame = store.cases_frame(audit)
    assert "case_data" in frame.columns
    # Stored as JSON text, sorted keys: the same bytes on SQLite and PostgreSQL.
    text = database_text(db_url)
    assert '"antal_besok": 4, "beslut_datum": "2024-03-12"' in text


@pytest.mark.parametrize("form", FORMS[:6] + ["19121212 1212", "19121212\u20131212"])
def test_case_data_holding_a_personnummer_is_refused(store, db_url, form) -> None:
    audit = new_audit(store)
    with pytest.raises(InputError) as info:
        store.add_cases(audit, [{"case_id": "A1", "case_data": {"anteckning": f"Se {form}"}}])
    message = info.value.message
    assert "ärendedata" in message and "personnummer" in message
    assert "case_data.anteckning" in message and "rad 2" in message
    assert not leaks(message)
    assert store.cases(audit) == []
    assert not leaks(database_text(db_url))


def test_a_personnummer_as_number_or_name_is_refused(store) -> None:
    audit = new_audit(store)
    with pytest.raises(InputError, match="personnummer"):
        store.add_cases(audit, [{"case_id": "A1", "case_data": {"nr": 1212121212}}])
    with pytest.raises(InputError, match="namnet på ärendedata innehåller ett personnummer"):
        store.add_cases(audit, [{"case_id": "A1", "case_data": {TEST_NUMBER: 1}}])
    assert store.cases(audit) == []


@pytest.mark.parametrize(("data", "needle"), [
    ({"x": True}, "inte sant/falskt"),
    ({"x": float("inf")}, "inget tal som kan sparas"),
    ({"x": 1e16}, "inget tal som kan sparas"),
    ({"x": "a" * 501}, "för lång"),
    ({"x": [1, 2]}, "datum, tal eller text"),
    ({"1x": 1}, "duger inte som namn"),
    ({"x y": 1}, "duger inte som namn"),
    ({f"k{i}": i for i in range(51)}, "för många ärendedata"),
    ("inkom_datum", "namn och värden"),
])
def test_bad_case_data(store, data, needle) -> None:
    audit = new_audit(store)
    with pytest.raises(InputError, match=needle) as info:
        store.add_cases(audit, [{"case_id": "A1", "case_data": data}])
    assert "rad 2" in info.value.message
    assert store.cases(audit) == []


def test_every_row_is_checked_before_any_is_stored(store) -> None:
    audit = new_audit(store)
    with pytest.raises(ManyInputErrors) as info:
        store.add_cases(audit, [{"case_id": "A1", "case_data": {"x": 1}},
                                {"case_id": "A2", "case_data": {"x": True}},
                                {"case_id": "A3", "case_data": {"y": f"Se {TEST_NUMBER}"}}])
    assert [e.row for e in info.value.errors] == [3, 4]
    assert store.cases(audit) == []


def test_case_data_text_is_canonical() -> None:
    assert case_data_text(None) is None and case_data_text({}) is None
    text = case_data_text({"b": 1, "a": dt.date(2023, 12, 31)})
    assert text == '{"a": "2023-12-31", "b": 1}'
    assert json.loads(text) == {"a": "2023-12-31", "b": 1}


def test_history_names_the_case_data_column_in_swedish() -> None:
    from granskning.store.trail import show

    # A change made outside the tool (migration 5's trigger) names the columns it changed.
    text = show({"case_data": '{"inkom_datum": "2024-03-01"}'}, "ärenden")
    assert text.startswith("ärendedata: ") and "2024-03-01" in text
