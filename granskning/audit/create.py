"""Creating an audit from a drawn sample: the record, the checklist and the cases.

:func:`cases_from_sample` turns the workbook written by ``granskning urval``
into case rows for :meth:`Store.add_cases`: stratum, design weight, inclusion
probability and draw order come from the sample; sex, age and case worker from
columns of the sample (kept with ``urval --kolumner``) or, failing that, looked
up by id in the frame.  Given a personnummer column, sex and age are derived
from it at a reference date and the number itself is dropped: it is never
returned, stored or shown whole in a message.

The cases are stored under pseudonyms (:mod:`granskning.audit.pseudonym`); the
coordinator's list back to the real ids is :func:`pseudonym_list`.

Sex derived from a personnummer is written as the published reports write it:
``flicka``/``pojke`` under 18 on the reference date, ``kvinna``/``man`` from 18.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.audit import pseudonym
from granskning.audit.casedata import CaseDataSpec, case_values, check_spec, spec_of
from granskning.checklist import Checklist, load
from granskning.errors import InputError, ManyInputErrors
from granskning.personnummer import number as pnr
from granskning.sampling import design as sampling
from granskning.sampling.frame import read_table
from granskning.store import identity
from granskning.store.values import case_row, refuse_personnummer, show_case_id
from granskning.wording import antal

if TYPE_CHECKING:
    import pandas as pd

    from granskning.checklist.model import Checklist
    from granskning.store.database import Store

__all__ = [
    "SECRECY",
    "CaseColumns",
    "cases_from_sample",
    "create_from_sample",
    "pseudonym_list",
    "reference_date_of",
]

ADULT_AGE = 18
MAPPED_WRONG = ("ange rätt kolumn (ett personnummer får inte sparas; en kolumn med "
                "personnummer anges som personnummerkolumn, --personnummer eller ram.personnummer "
                "i protokollet, och används bara för att räkna fram kön och ålder)")
SECRECY = "Sekretess enligt OSL 26 kap."
LIST_COLUMNS = ["pseudonym", "case_id", "stratum", "draw_order", "reserve", "reviewer", "status"]


@dataclass(frozen=True, slots=True)
class CaseColumns:
    """Column names (in the sample or the frame) holding case attributes; None = not used."""

    sex: str | None = None
    age: str | None = None
    personnummer: str | None = None
    case_worker: str | None = None
    # Case data (granskning.audit.casedata): names or name -> column; None: the checklist's names.
    case_data: Mapping[str, str] | tuple[str, ...] | None = None
    age_date: str | None = None  # a date column: the age at each case's own date

    def __post_init__(self) -> None:
        if self.personnummer and (self.sex or self.age):
            raise InputError(
                "ange antingen --personnummer (kön och ålder räknas fram) eller --kon/--alder, "
                "inte båda."
            )

    def wanted(self) -> list[str]:
        """Return the named columns, in a fixed order, without duplicates."""
        names = (self.sex, self.age, self.personnummer, self.case_worker)
        return list(dict.fromkeys(n for n in names if n))


def reference_date_of(record: Mapping[str, Any]) -> dt.date:
    """Return the draw date of a sample record (its ``tidpunkt``, local date)."""
    try:
        return dt.datetime.fromisoformat(str(record["tidpunkt"])).date()
    except (KeyError, ValueError):
        raise InputError(
            "urvalsprotokollet saknar dragningens tidpunkt; ange --referensdatum ÅÅÅÅ-MM-DD."
        ) from None


def cases_from_sample(
    sample_path: str | Path,
    *,
    columns: CaseColumns = CaseColumns(),
    frame_path: str | Path | None = None,
    reference_date: dt.date | None = None,
    case_data: CaseDataSpec | None = None,
    kinds: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (record, case rows) for :meth:`Store.add_cases` from a sample workbook.

    Sampled cases come first (``reserve`` False), then the reserves (``reserve``
    True, no weight or inclusion probability: they only count once they replace
    a case).  ``case_data`` names the columns that travel with each case, typed
    by ``kinds`` (the checklist's ``arendedata``); with ``case_data.age_date``
    the age is computed at that date of each case.  Every problem is collected
    and raised together, each naming the file, the row as Excel numbers it and
    the column.
    """

    sample_path = Path(sample_path)
    record, cases, reserves, _excluded = sampling.stored_sample(sample_path)
    design = record["design"]
    id_col, strata_col = design["id_kolumn"], design.get("strata_kolumn")
    ref = reference_date or reference_date_of(record)
    case_data = case_data or CaseDataSpec()
    wanted = list(dict.fromkeys([*columns.wanted(), *case_data.wanted()]))
    in_sample = [c for c in wanted if c in cases.columns]
    missing = [c for c in wanted if c not in in_sample]
    lookup: dict[str, tuple[dict[str, Any], int]] = {}
    frame_name = None
    if missing:
        if frame_path is None:
            listed = ", ".join(f'"{c}"' for c in missing)
            raise InputError(
                f"kolumnen {listed} finns inte i urvalet; ange ramen med --ram RAM så hämtas "
                "den därifrån (eller dra urvalet med --kolumner).",
                file=sample_path,
            )
        frame_name = str(frame_path)
        lookup = _frame_lookup(frame_path, id_col, missing, design.get("blad"))

    rows: list[dict[str, Any]] = []
    errors: list[InputError] = []
    for table, reserve, sheet in ((cases, False, "Urval"), (reserves, True, "Reserver")):
        where = f"{sample_path} (bladet {sheet})"
        for excel_row, rec in zip(table.index, table.to_dict(orient="records"), strict=True):
            case_id = _text(rec.get(id_col))
            if case_id is None:
                errors.append(InputError("ärende-id saknas", file=where, row=int(excel_row),
                                         column=id_col))
                continue
            values: dict[str, tuple[Any, str, int]] = {
                c: (rec.get(c), where, int(excel_row)) for c in in_sample
            }
            if missing:
                found = lookup.get(case_id)
                if found is None:
                    errors.append(InputError(
                        f"ärendet {show_case_id(case_id)} finns inte i ramen {frame_name}",
                        file=where, row=int(excel_row), column=id_col))
                    continue
                frame_rec, frame_row = found
                values.update({c: (frame_rec.get(c), frame_name, frame_row) for c in missing})
            try:
                data, age_date = case_values(case_data, kinds or {}, values)
                row = {
                    "case_id": case_id,
                    "stratum": _stratum(rec, strata_col, where, excel_row),
                    "design_weight": None if reserve else _number(rec, "Vikt", where, excel_row),
                    "inclusion_probability": None if reserve else _number(
                        rec, "Inklusionssannolikhet", where, excel_row),
                    "draw_order": _integer(rec.get("Dragordning"), where, excel_row,
                                           "Dragordning"),
                    "reserve": reserve,
                    **_attributes(columns, values, age_date or ref),
                    "case_data": data,
                }
            except InputError as exc:
                errors.append(exc)
                continue
            rows.append(row)
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    return record, rows


def create_from_sample(
    store: Store,
    sample_path: str | Path,
    checklist: Checklist | str | Path,
    title: str,
    kind: str = "granskning",
    *,
    columns: CaseColumns = CaseColumns(),
    frame_path: str | Path | None = None,
    reference_date: dt.date | None = None,
    created_by: str | None = None,
    key: bytes | None = None,
    plan_run: tuple[str, str] | None = None,
) -> int:
    """Store a new audit with the sample's cases and return its id.

    ``plan_run`` (plan id, control id) records the audit as a run of a control of an
    internal-control plan (``granskning ny --plan PLAN --kontroll ID``).

    ``checklist`` is a loaded checklist, a checklist file or a bundled id; its
    id, version and SHA-256 are stored with the audit so that a session can
    refuse a checklist that has changed since.  All cases are read and checked
    before anything is written.  Cases are stored under their pseudonyms
    (:mod:`granskning.audit.pseudonym`) made with ``key`` (default: the unit's key,
    created on first use); the real ids stay in the sample workbook.
    """

    chk = checklist if isinstance(checklist, Checklist) else load(checklist)
    spec = spec_of(columns.case_data, columns.age_date, chk, key="--arendedata")
    check_spec(spec, chk, age=bool(columns.age or columns.personnummer),
               sex=bool(columns.sex or columns.personnummer),
               personnummer_column=columns.personnummer, key="--arendedata")
    record, rows = cases_from_sample(
        sample_path, columns=columns, frame_path=frame_path, reference_date=reference_date,
        case_data=spec, kinds=chk.case_fields,
    )
    if spec.columns or spec.age_date:
        record = {**record, "arendedata": spec.record()}
    secret = key if key is not None else pseudonym.key(create=True)
    errors = []
    for i, rec in enumerate(rows):
        try:
            case_row(rec, i + 2)
        except InputError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    who = created_by or identity.current(store)
    audit_id = store.create_audit(
        title=title,
        kind=kind,
        checklist_id=chk.id,
        checklist_version=chk.version,
        checklist_sha256=chk.sha256,
        protocol_text=None,
        sample_record=record,
        created_by=who,
        plan_run=plan_run,
    )
    store.add_cases(audit_id, pseudonym.pseudonymise(secret, rows), who=who)
    return audit_id


def pseudonym_list(store: Store, audit_id: int, source: str | Path, *, key: bytes) -> pd.DataFrame:
    """Return the coordinator's list: each case's pseudonym and real id (secret under OSL).

    ``source`` holds the real ids: the sample workbook (or JSON) from
    ``granskning urval``, or, for an audit drawn from a protocol, the frame it
    was drawn from.  Columns: ``pseudonym``, ``case_id`` (real), ``stratum``,
    ``draw_order``, ``reserve``, ``reviewer``, ``status``; in case order.
    Refuses (InputError) a file or key that does not give every case of the
    audit.  Cases stored before pseudonyms are listed under their own id.
    """
    import pandas as pd

    audit = store.audit(audit_id)
    design = audit.sample_record.get("design") or {}
    id_col = design.get("id_kolumn")
    if not id_col:
        raise InputError(f"Granskning {audit_id} har inget urvalsprotokoll med ärende-id-kolumn; "
                         "det finns ingen lista att göra.")
    real = _real_ids(Path(source), id_col, design.get("blad"))
    by_alias = {pseudonym.case(key, r): r for r in real}
    cases = store.cases(audit_id)
    rows = []
    missing = 0
    for c in cases:
        found = by_alias.get(c.case_id) or (c.case_id if c.case_id in real else None)
        missing += found is None
        rows.append([c.case_id, found, c.stratum, c.draw_order, c.reserve, c.reviewer, c.status])
    if missing:
        raise InputError(
            f"{missing} av {antal(len(cases), 'ärende')} i granskning {audit_id} finns inte i filen: "
            "det är fel urval eller ram, eller fel nyckel (GRANSKNING_NYCKEL / --nyckel).",
            file=source,
        )
    # dtype=object keeps None as None: pandas 3 would make a text column with a missing
    # reviewer a "str" column holding NaN (a float), which is neither text nor JSON.
    return pd.DataFrame(rows, columns=LIST_COLUMNS, dtype=object)


def _real_ids(source: Path, id_col: str, sheet: str | None) -> set[str]:
    """Return the case ids in a sample workbook/JSON (cases and reserves) or in a frame."""

    try:
        # Not strict: the list only needs the ids, and each id is checked against its
        # pseudonym (a keyed hash), so an edited weight cannot mislead it.
        _record, cases, reserves, _excluded = sampling.stored_sample(source, strict=False)
        tables = [cases, reserves]
    except InputError:
        tables = [read_table(source, sheet=sheet, usecols=[id_col])]
    ids: set[str] = set()
    for table in tables:
        if id_col not in table.columns:
            raise InputError(f'kolumnen "{id_col}" med ärende-id saknas', file=source)
        ids.update(t for t in (_text(v) for v in table[id_col].tolist()) if t is not None)
    return ids


# -- helpers ---------------------------------------------------------------


def _frame_lookup(
    frame_path: str | Path, id_col: str, columns: list[str], sheet: str | None
) -> dict[str, tuple[dict[str, Any], int]]:
    """Return id -> (the wanted columns of that frame row, its Excel row number)."""

    table: pd.DataFrame = read_table(frame_path, sheet=sheet, usecols=[id_col, *columns])
    out: dict[str, tuple[dict[str, Any], int]] = {}
    for excel_row, rec in zip(table.index, table.to_dict(orient="records"), strict=True):
        key = _text(rec.get(id_col))
        if key is not None and key not in out:
            out[key] = (rec, int(excel_row))
    return out


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _number(rec: Mapping[str, Any], column: str, file: str, row: Any) -> float | None:
    text = _text(rec.get(column))
    if text is None:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise InputError(f'"{text}" är inget tal', file=file, row=int(row), column=column) from None


def _stratum(rec: Mapping[str, Any], column: str | None, file: str, row: Any) -> str | None:
    """Return a case's stratum; a personnummer as stratum is refused (it would be published)."""

    if not column:
        return None
    text = _text(rec.get(column))
    refuse_personnummer(text, "kolumnen används som strata men", file=file, row=int(row),
                        column=column, advice=MAPPED_WRONG)
    return text


def _integer(value: Any, file: str | None, row: Any, column: str) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        number = float("nan")
    if number != number or not number.is_integer():
        raise InputError(f'"{text}" är inget heltal', file=file, row=int(row), column=column)
    return int(number)


def _attributes(
    columns: CaseColumns, values: Mapping[str, tuple[Any, str | None, int]], ref: dt.date
) -> dict[str, Any]:
    """Return sex, age and case worker for one case from the gathered cell values."""

    out: dict[str, Any] = {"sex": None, "age": None, "case_worker": None}
    for key, column, role in (("case_worker", columns.case_worker, "handläggare"),
                              ("sex", columns.sex, "kön")):
        if column:
            value, file, row = values[column]
            out[key] = _text(value)
            refuse_personnummer(  # e.g. the personnummer column given as --kon by mistake
                out[key], f"kolumnen används som {role} men", file=file, row=row, column=column,
                advice=MAPPED_WRONG)
    if columns.age:
        value, file, row = values[columns.age]
        out["age"] = _integer(value, file, row, columns.age)
        if out["age"] is not None and out["age"] < 0:
            raise InputError(f"åldern {out['age']} är negativ", file=file, row=row,
                             column=columns.age)
    if columns.personnummer:
        value, file, row = values[columns.personnummer]
        text = _text(value)
        if text is not None:
            try:
                number = pnr.parse(text, reference=ref)
                age = number.age(ref)
            except pnr.PersonnummerError as exc:  # the message masks the number
                raise InputError(exc.message, file=file, row=row,
                                 column=columns.personnummer) from None
            out["age"] = age
            out["sex"] = pnr.as_child(number.sex) if age < ADULT_AGE else number.sex
    return out
