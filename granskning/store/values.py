"""Checking and converting values on their way into the store.

Case records (dicts or DataFrame rows) are validated here with errors that name
the row as Excel numbers it and the column; answers are encoded as JSON text.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from granskning.errors import InputError
from granskning.personnummer.number import find_personnummer, scrub

PNR = re.compile(r"(\d{2})?\d{6}[-+]?\d{4}")
CASE_COLUMNS = (
    "case_id",
    "stratum",
    "sex",
    "age",
    "design_weight",
    "inclusion_probability",
    "draw_order",
    "reserve",
    "case_worker",
    "case_data",
)
CASE_DATA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")
MAX_CASE_DATA = 50  # names per case
MAX_CASE_TEXT = 500  # characters of one text value


def show_case_id(case_id: str) -> str:
    """Return a case id fit for messages: a personnummer loses its last four digits."""
    text = str(case_id)
    if PNR.fullmatch(text.replace(" ", "")) or find_personnummer(text, loose=True):
        return scrub(text)
    return f'"{text}"'


REMOVE_IT = "ta bort det (personnummer får inte sparas eller visas; OSL 26 kap.)"
_DIGEST = re.compile(r"[0-9a-fA-F]{32,}")


def personnummer_at(value: Any) -> int | None:
    """Return the 1-based position of the first personnummer in ``value``'s text, or None.

    Strings and integers are searched (an integer answer or id may be one);
    floats, booleans and None are not.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    hits = find_personnummer(value)
    return hits[0].start + 1 if hits else None


def refuse_personnummer(
    value: Any,
    what: str,
    *,
    file: Any = None,
    row: int | None = None,
    column: str | None = None,
    numbers: bool = True,
    advice: str = REMOVE_IT,
) -> None:
    """Raise InputError when ``value`` holds a personnummer; the message never quotes it.

    ``what`` names the value in Swedish ("titeln", "filtret", "svaret", …).  Lists,
    tuples and dicts (keys and values) are searched all the way down; the message
    names the field where one was found.  ``numbers=False`` searches text only.
    """
    for path, leaf in _leaves(value, ()):
        if not numbers and not isinstance(leaf, str):
            continue
        at = personnummer_at(leaf)
        if at is not None:
            field = f' (fältet "{".".join(path)}")' if path else ""
            where = f" vid tecken {at}" if isinstance(leaf, str) and len(leaf) > 15 else ""
            text = f"{what}{field} innehåller ett personnummer{where}; {advice}"
            if file is None and row is None and column is None:
                text = text[:1].upper() + text[1:]
            raise InputError(text, file=file, row=row, column=column)


def _leaves(value: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """Return (path, leaf) for every string/integer inside ``value`` (dict keys too).

    Hex digests (32+ hex digits) are skipped: digits next to letters by chance.
    """
    out: list[tuple[tuple[str, ...], Any]] = []
    stack = [(path, value)]
    while stack:
        here, v = stack.pop()
        if isinstance(v, Mapping):
            for k, item in v.items():
                name = str(k)
                stack.append((here, k) if personnummer_at(k) is not None else (here, None))
                stack.append(((*here, name) if personnummer_at(k) is None else here, item))
        elif isinstance(v, (list, tuple, set, frozenset)):
            stack.extend((here, item) for item in v)
        elif isinstance(v, str) and _DIGEST.fullmatch(v):
            continue
        elif v is not None:
            out.append((here, v))
    return list(reversed(out))


def json_default(value: Any) -> Any:
    """Return a JSON-able stand-in for numpy scalars and arrays."""
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(type(value).__name__)


def encode(value: Any, *, what: str = "svaret") -> str:
    """Return ``value`` as canonical JSON text (sorted keys, no NaN); InputError if impossible."""
    try:
        return json.dumps(
            value, ensure_ascii=False, sort_keys=True, allow_nan=False, default=json_default
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"Värdet i {what} går inte att spara som JSON ({exc}).") from None


MAX_ANSWER_CHARS = 100_000  # about 40 pages of text: no checklist answer is longer


def encode_answer(value: Any) -> str:
    """Return an answer as JSON text; InputError when it is longer than MAX_ANSWER_CHARS.

    An answer holding a personnummer (in any typed form) is refused: the answer
    history is append-only, so it would stay there for good.
    """
    refuse_personnummer(value, "svaret")
    text = encode(value)
    if len(text) > MAX_ANSWER_CHARS:
        raise InputError(
            f"Svaret är för långt ({len(text):,} tecken; högst {MAX_ANSWER_CHARS:,}).".replace(
                ",", " ")
        )
    return text


def decode(text: str | None) -> Any:
    """Return the value of stored JSON text (None stays None)."""
    return None if text is None else json.loads(text)


def required_text(value: Any, what: str, *, limit: int = 200) -> str:
    """Return ``value`` as stripped, non-empty text of at most ``limit`` characters."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise InputError(f"{what.capitalize()} saknas.")
    if len(text) > limit:
        raise InputError(f"{what.capitalize()} är för lång (högst {limit} tecken).")
    return text


def case_key(value: Any) -> str:
    """Return a case id as text (``101.0`` from a spreadsheet becomes ``"101"``)."""
    value = scalar(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return required_text(value, "ärende-id", limit=100)


def case_records(cases: Any) -> list[Mapping[str, Any]]:
    """Return the rows of a DataFrame or a list of dicts as a list of mappings."""
    if hasattr(cases, "to_dict") and hasattr(cases, "columns"):
        return cases.to_dict(orient="records")
    if isinstance(cases, Mapping) or isinstance(cases, (str, bytes)):
        raise InputError("Ärendena ska ges som en lista av rader eller en tabell.")
    records = list(cases)
    if not all(isinstance(r, Mapping) for r in records):
        raise InputError("Varje ärende ska vara en rad med kolumnnamn (dict).")
    return records


def scalar(value: Any) -> Any:
    """Return a plain Python value: numpy scalars unwrapped, NaN/NA/NaT as None."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def case_row(rec: Mapping[str, Any], row: int) -> dict[str, Any]:
    """Validate one case record; errors name the row (as Excel numbers it) and column."""
    get = {k: scalar(rec.get(k)) for k in CASE_COLUMNS}

    def fail(column: str, message: str) -> InputError:
        return InputError(message, row=row, column=column)

    if get["case_id"] is None or not str(get["case_id"]).strip():
        raise fail("case_id", "ärende-id saknas")
    out: dict[str, Any] = {"case_id": case_key(get["case_id"])}
    for col in ("stratum", "sex", "case_worker"):
        out[col] = None if get[col] is None else str(get[col]).strip() or None
        refuse_personnummer(out[col], f"värdet i kolumnen {col}", row=row, column=col)
    for col, low in (("age", 0), ("draw_order", 1)):
        v = get[col]
        if v is not None:
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not math.isfinite(v)
                or float(v) != int(v)
            ):
                raise fail(col, f"{v!r} är inget heltal")
            if int(v) < low:
                raise fail(col, f"{v!r} är mindre än {low}")
            v = int(v)
        out[col] = v
    for col, ok, rule in (
        ("design_weight", lambda x: x > 0, "större än 0"),
        ("inclusion_probability", lambda x: 0 < x <= 1, "större än 0 och högst 1"),
    ):
        v = get[col]
        if v is not None:
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not math.isfinite(v)
                or not ok(float(v))
            ):
                raise fail(col, f"{v!r} ska vara ett tal {rule}")
            v = float(v)
        out[col] = v
    out["reserve"] = flag(get["reserve"], fail)
    out["case_data"] = case_data_text(get["case_data"], row)
    return out


def case_data_text(data: Any, row: int | None = None) -> str | None:
    """Return a case's data (name -> date, number or text) as JSON text; None when empty.

    Dates are written as ISO dates (``2024-03-01``), numbers as numbers, texts
    stripped.  A value holding a personnummer, in any typed form, is refused: the
    case data are stored in the clear for every reviewer of the case to see.
    """
    if data is None or (isinstance(data, Mapping) and not data):
        return None
    if not isinstance(data, Mapping):
        raise InputError("ärendedata ska vara namn och värden", row=row, column="case_data")
    if len(data) > MAX_CASE_DATA:
        raise InputError(f"för många ärendedata ({len(data)}; högst {MAX_CASE_DATA})", row=row,
                         column="case_data")
    out: dict[str, Any] = {}
    for name, value in data.items():
        column = f"case_data.{name}"
        if not isinstance(name, str) or not CASE_DATA_NAME.fullmatch(name):
            refuse_personnummer(name, "namnet på ärendedata", row=row, column="case_data")
            raise InputError(f'"{str(name)[:40]}" duger inte som namn på ärendedata', row=row,
                             column="case_data")
        out[name] = _case_value(scalar(value), row, column)
        refuse_personnummer(out[name], "ärendedata", row=row, column=column,
                            advice="ange en annan kolumn som ärendedata (ett personnummer får "
                            "inte sparas; kön och ålder räknas fram ur det)")
    return encode(out, what="ärendedata")


def _case_value(value: Any, row: int | None, column: str) -> Any:
    """Return one case value as stored: ISO date text, int, float, text or None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        raise InputError("ärendedata ska vara datum, tal eller text (inte sant/falskt)", row=row,
                         column=column)
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) > 1e15:
            raise InputError(f"{value!r} är inget tal som kan sparas", row=row, column=column)
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, str):
        text = " ".join(value.split())
        if len(text) > MAX_CASE_TEXT:
            raise InputError(f"texten är för lång ({len(text)} tecken; högst {MAX_CASE_TEXT})",
                             row=row, column=column)
        return text or None
    raise InputError("ärendedata ska vara datum, tal eller text", row=row, column=column)


def flag(value: Any, fail: Any) -> bool:
    """Return a yes/no cell as bool (ja/nej, true/false, 1/0, x, empty = nej)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in ("ja", "j", "true", "sant", "1", "x"):
        return True
    if text in ("nej", "n", "false", "falskt", "0", ""):
        return False
    raise fail("reserve", f'"{value}" är inte ja eller nej')
