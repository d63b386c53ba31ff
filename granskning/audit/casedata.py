"""Case data from the frame: which columns travel with each case, checked and typed.

A checklist declares the case data it reads (``arendedata: {inkom_datum: datum,
alder: tal}``, :attr:`Checklist.case_fields`); the protocol (``ram.arendedata``)
or ``granskning ny --arendedata`` says which frame columns supply them.  When
neither names them, each declared name is read from the frame column of the
same name.  ``alder`` and ``kon`` are the case's own age and sex, from
``ram.alder``/``ram.kon`` or derived from the personnummer as before; a
personnummer never travels (its column, and any cell shaped like one, is refused).

Values are typed by the checklist: ``datum`` through the shared date reader
(:func:`granskning.sampling.dates.read_dates`: ``2024-03-01``, ``20240301``,
``2024-03-01 14:30``, Excel serials in XLSX), ``tal`` through the one number
reader, ``text`` as stripped text; a value that is not of its type is a Swedish
error naming the file, the row and the column.  A column the checklist does not
declare travels as text.

The age can be computed at each case's own date (``ram.aldersdatum`` /
``--aldersdatum``: a date column) instead of one reference date for all; this
needs the personnummer, the only source of a birth date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.numbers import parse_decimal
from granskning.sampling.dates import read_dates
from granskning.store.values import CASE_DATA_NAME, refuse_personnummer

if TYPE_CHECKING:
    from granskning.checklist.model import Checklist

__all__ = ["DERIVED", "CaseDataSpec", "case_values", "check_spec", "spec_of"]

# Names a checklist may declare that come from the case's own age and sex.
DERIVED = {"alder": "ålder", "kon": "kön"}
NOT_PERSONNUMMER = ("ange en annan kolumn som ärendedata (ett personnummer får inte sparas; "
                    "kön och ålder räknas fram ur personnummerkolumnen)")


@dataclass(frozen=True, slots=True)
class CaseDataSpec:
    """Which frame columns travel with each case, under which names, and the age's date column."""

    columns: Mapping[str, str] = field(default_factory=dict)  # name -> frame column
    age_date: str | None = None  # frame column: the age is computed at this date of each case

    def wanted(self) -> list[str]:
        """Return the frame columns to read, without duplicates."""
        names = [*self.columns.values(), self.age_date]
        return list(dict.fromkeys(n for n in names if n))

    def record(self) -> dict[str, Any]:
        """Return the spec as stored in the sample record (``arendedata``, ``aldersdatum``)."""
        return {"arendedata": dict(self.columns), "aldersdatum": self.age_date}


def spec_of(
    given: Mapping[str, str] | Sequence[str] | None,
    age_date: str | None,
    checklist: Checklist | None,
    *,
    where: str | Path | None = None,
    key: str = "ram.arendedata",
) -> CaseDataSpec:
    """Return the spec from the protocol's/option's names (a list or name -> column).

    ``given`` None: the checklist's declared names except ``alder`` and ``kon``,
    each from the column of the same name.
    """
    if given is None:
        declared = checklist.case_fields if checklist is not None else {}
        return CaseDataSpec({n: n for n in declared if n not in DERIVED}, age_date)
    pairs = list(given.items()) if isinstance(given, Mapping) else [(n, n) for n in given]
    columns: dict[str, str] = {}
    for name, column in pairs:
        name, column = str(name).strip(), str(column).strip()
        if not CASE_DATA_NAME.fullmatch(name) or "__" in name:
            raise InputError(f'"{key}": "{name[:40]}" duger inte som namn på ärendedata (börja med en '
                             "bokstav; a–z, A–Z, siffror och enkla _). Ge kolumnen ett namn: "
                             f"{{namn: {column[:40]}}}.", file=where)
        if name in columns:
            raise InputError(f'"{key}": "{name}" står två gånger.', file=where)
        if not column:
            raise InputError(f'"{key}": kolumnen för "{name}" saknas.', file=where)
        columns[name] = column
    return CaseDataSpec(columns, age_date)


def check_spec(
    spec: CaseDataSpec,
    checklist: Checklist,
    *,
    age: bool,
    sex: bool,
    personnummer_column: str | None,
    where: str | Path | None = None,
    key: str = "ram.arendedata",
) -> None:
    """Refuse a spec that would store a personnummer or leave the checklist's case data unsupplied.

    ``age``/``sex``: whether the case's age and sex are known (a column or the
    personnummer), which supply ``alder`` and ``kon``.
    """
    for name, column in spec.columns.items():
        if personnummer_column and column == personnummer_column:
            raise InputError(f'"{key}": kolumnen "{column}" är personnummerkolumnen; ett personnummer '
                             "följer aldrig med ärendet (kön och ålder räknas fram ur det).", file=where)
        if name in DERIVED:
            raise InputError(f'"{key}": {name} är ärendets {DERIVED[name]}; den hämtas med ram.{name} '
                             f"(--{name}) eller räknas fram ur personnumret. Ta bort {name} ur "
                             f"{key}.", file=where)
    if spec.age_date and not personnummer_column:
        raise InputError("åldern kan bara räknas vid ärendets datum (aldersdatum) när den räknas fram "
                         "ur personnumret; ange ram.personnummer (--personnummer) eller ta bort "
                         "aldersdatum.", file=where)
    supplied = set(spec.columns) | ({"alder"} if age else set()) | ({"kon"} if sex else set())
    missing = [n for n in checklist.case_fields if n not in supplied]
    if missing:
        listed = ", ".join(f"{n} ({checklist.case_fields[n]})" for n in missing)
        how = "; ".join(_how(n, key) for n in missing)
        raise InputError(f"checklistan {checklist.id} läser ärendedata som inte hämtas ur ramen: "
                         f"{listed}. {how}.", file=where)


def _how(name: str, key: str) -> str:
    if name in DERIVED:
        return f"{name} hämtas med ram.{name} (--{name}) eller ram.personnummer (--personnummer)"
    return f'{name} hämtas ur kolumnen med samma namn eller den som anges i {key}'


def case_values(
    spec: CaseDataSpec,
    kinds: Mapping[str, str],
    cells: Mapping[str, tuple[Any, Any, int | None]],
) -> tuple[dict[str, Any], dt.date | None]:
    """Return (name -> typed value, the case's age date) from its cells.

    ``cells`` maps each wanted column to (value, file, Excel row).  Dates become
    ISO text, numbers int or float, text stripped; a blank cell is None.
    """
    data: dict[str, Any] = {}
    for name, column in spec.columns.items():
        value, file, row = cells[column]
        data[name] = _typed(kinds.get(name, "text"), value, file, row, column)
    age_date = None
    if spec.age_date:
        value, file, row = cells[spec.age_date]
        iso = _typed("datum", value, file, row, spec.age_date)
        if iso is None:
            raise InputError("datumet saknas; åldern räknas vid ärendets datum i den här kolumnen "
                             "(aldersdatum)", file=file, row=row, column=spec.age_date)
        age_date = dt.date.fromisoformat(iso)
    return data, age_date


def _typed(kind: str, value: Any, file: Any, row: int | None, column: str) -> Any:
    """Return one cell typed as ``kind`` (datum: ISO text); InputError naming file, row, column."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    text = " ".join(str(value).split())
    if not text:
        return None
    # Before anything quotes the cell: a personnummer is never shown or stored.
    refuse_personnummer(text, "kolumnen används som ärendedata men", file=file, row=row, column=column,
                        advice=NOT_PERSONNUMMER)
    if kind == "datum":
        return _date(text, file, row, column)
    if kind == "tal":
        try:
            number = parse_decimal(text, f'"{column}"')
        except InputError as exc:
            raise InputError(exc.message, file=file, row=row, column=column) from None
        return int(number) if number.is_integer() else number
    if len(text) > 500:
        raise InputError(f"texten är för lång för ärendedata ({len(text)} tecken; högst 500)",
                         file=file, row=row, column=column)
    return text


def _date(text: str, file: Any, row: int | None, column: str) -> str:
    import pandas as pd

    serials = str(file or "").split(" (")[0].lower().endswith((".xlsx", ".xlsm"))
    parsed = read_dates(pd.Series([text], index=[row if row is not None else "?"]), file=file,
                        column=column, serials=serials)
    return parsed.iloc[0].date().isoformat()
