"""Hand-picked samples (``granskning ny --urval LISTA --handplockat``): no claim on the population.

Some audits read cases that someone chose, not cases drawn at random (the
inspectors' 2024 open-care audit did not say its cases were random).  Such an
audit is created from a plain list of case ids: a CSV or Excel file with a
header row and one case per row, read like a sampling frame (encoding,
separators, hidden characters, NFC; :func:`granskning.sampling.frame.read_table`).
The id column is ``--id`` or, in a one-column file, that column; an optional
``--strata`` column gives each case's district or unit.

The audit's record says ``"slumpmassigt": false``.  Every output of the
audit then says that no claim is made about the population and gives no
margin of error, interval, test or design-based estimate: counts and shares
of the examined cases only (:attr:`granskning.audit.opened.OpenedAudit.random`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.audit import pseudonym
from granskning.errors import InputError, ManyInputErrors
from granskning.sampling.frame import read_table
from granskning.store import identity
from granskning.store.values import refuse_personnummer, show_case_id
from granskning.wording import antal

if TYPE_CHECKING:
    from granskning.checklist.model import Checklist
    from granskning.store.database import Store

__all__ = ["HANDPICKED", "create_from_list", "is_random", "read_list"]

HANDPICKED = "handplockat"
MAX_CASES = 100_000


def is_random(record: dict[str, Any] | None) -> bool:
    """Return False for an audit whose record says its cases were not drawn at random."""
    return (record or {}).get("slumpmassigt") is not False


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def read_list(path: str | Path, *, id_column: str | None = None,
              strata_column: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Return (case rows in list order, the id column) from a list of case ids.

    Every problem is collected and raised together, naming the file, the row
    as Excel numbers it and the column: a missing id, an id twice, a
    personnummer as stratum (it would be published), a missing column.
    """
    table = read_table(path)
    name = Path(path).name
    columns = [str(c) for c in table.columns]
    if id_column is None:
        if len(columns) != 1:
            listed = ", ".join(f'"{c}"' for c in columns)
            raise InputError(f"listan har flera kolumner ({listed}); ange ärende-id-kolumnen med --id.",
                             file=name, row=1)
        id_column = columns[0]
    for wanted in (id_column, strata_column):
        if wanted is not None and wanted not in columns:
            listed = ", ".join(f'"{c}"' for c in columns)
            raise InputError(f"kolumnen finns inte. Kolumner: {listed}", file=name, row=1, column=wanted)
    if len(table) > MAX_CASES:
        raise InputError(f"listan har {antal(len(table), 'rad', 'rader')}; högst {antal(MAX_CASES, 'ärende')}.",
                         file=name)
    rows: list[dict[str, Any]] = []
    errors: list[InputError] = []
    first: dict[str, int] = {}
    for order, (excel_row, rec) in enumerate(zip(table.index, table.to_dict(orient="records"),
                                                 strict=True), start=1):
        case_id = _text(rec.get(id_column))
        if case_id is None:
            errors.append(InputError("ärende-id saknas", file=name, row=int(excel_row), column=id_column))
            continue
        if case_id in first:
            errors.append(InputError(f"ärende-id {show_case_id(case_id)} står redan på rad "
                                     f"{first[case_id]}", file=name, row=int(excel_row),
                                     column=id_column))
            continue
        first[case_id] = int(excel_row)
        stratum = _text(rec.get(strata_column)) if strata_column else None
        try:
            refuse_personnummer(stratum, "kolumnen används som strata men", file=name,
                                row=int(excel_row), column=strata_column)
        except InputError as exc:
            errors.append(exc)
            continue
        rows.append({"case_id": case_id, "stratum": stratum, "draw_order": order, "reserve": False})
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    if not rows:
        raise InputError("listan har inga ärenden.", file=name)
    return rows, id_column


def create_from_list(
    store: Store,
    path: str | Path,
    checklist: Checklist,
    title: str,
    kind: str = "granskning",
    *,
    id_column: str | None = None,
    strata_column: str | None = None,
    created_by: str | None = None,
    key: bytes | None = None,
) -> int:
    """Store a new audit of hand-picked cases (not a random sample) and return its id.

    The cases are stored under pseudonyms made with ``key``; the record holds
    the list's name, its columns, the number of cases per stratum and
    ``"slumpmassigt": false``.
    """
    rows, id_column = read_list(path, id_column=id_column, strata_column=strata_column)
    per_stratum: dict[str, int] = {}
    for r in rows:
        if r["stratum"] is not None:
            per_stratum[r["stratum"]] = per_stratum.get(r["stratum"], 0) + 1
    record = {
        "urval": HANDPICKED,
        "slumpmassigt": False,
        "lista": Path(path).name,
        "tidpunkt": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "n_totalt": len(rows),
        "antal_per_stratum": dict(sorted(per_stratum.items())),
        "design": {"id_kolumn": id_column, "strata_kolumn": strata_column},
    }
    secret = key if key is not None else pseudonym.key(create=True)
    who = created_by or identity.current(store)
    audit_id = store.create_audit(
        title=title, kind=kind, checklist_id=checklist.id, checklist_version=checklist.version,
        checklist_sha256=checklist.sha256, protocol_text=None, sample_record=record, created_by=who,
    )
    store.add_cases(audit_id, pseudonym.pseudonymise(secret, rows), who=who)
    return audit_id
