"""Running a protocol: draw its sample from a frame and create the audit in the store.

``granskning ny PROTOKOLL --ram RAM`` lands here.  The draw is the ordinary
keyed-hash draw of :mod:`granskning.sampling.design`; what a protocol adds:

* strata over several columns (``strata: [stadsdel, kon]``): the cases are
  stratified on the combined value ``"Kungsholmen | flicka"``;
* a target margin of error instead of n: the total is the smallest that reaches
  the margin under the protocol's allocation (:func:`stratified_sample_size`);
* for internal control, n from the controls: each control's attribute-sample
  size (tolerable rate, expected rate, risk, finite population), and the
  largest is drawn; a control with a smaller n uses the first n files in draw
  order, itself a simple random sample;
* a fingerprint of the draw: SHA-256 over the algorithm, the seed and the
  sorted (stratum, draw order, id) of the sample and reserves.  Re-running the
  protocol on the same frame gives the same fingerprint, which is how anyone
  checks a draw without seeing a single case id.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.audit import pseudonym
from granskning.audit.casedata import CaseDataSpec, case_values
from granskning.audit.create import CaseColumns, _attributes, reference_date_of
from granskning.audit.protocol import (
    STRATUM_JOIN,
    Protocol,
    case_data_spec,
    check_against_checklist,
    load,
)
from granskning.audit.protocol import protocol_of as protocol_of  # re-export
from granskning.checklist import load as load_checklist
from granskning.errors import InputError, ManyInputErrors
from granskning.sampling import design as sampling
from granskning.sampling.frame import read_frame
from granskning.sampling.precision import attribute_sample_size, stratified_sample_size
from granskning.sampling.timelimits import time_limits
from granskning.store.values import case_row

if TYPE_CHECKING:
    import datetime as dt

    from granskning.sampling.design import Sample
    from granskning.sampling.precision import AttributeSizeResult
    from granskning.store.database import Store

__all__ = ["ProtocolDraw", "control_sizes", "create_from_protocol", "draw", "fingerprint", "register_limits"]


@dataclass(frozen=True, slots=True)
class ProtocolDraw:
    """A protocol's sample, its fingerprint and (internal control) each control's plan."""

    protocol: Protocol
    sample: Sample
    fingerprint: str
    controls: dict[str, AttributeSizeResult]
    case_data: CaseDataSpec = field(default_factory=CaseDataSpec)
    case_kinds: Mapping[str, str] = field(default_factory=dict)  # the checklist's arendedata
    frame_rows: Mapping[str, int] = field(default_factory=dict)  # case id -> its row in the frame
    frame_file: str | None = None


def fingerprint(sample: Sample) -> str:
    """Return the SHA-256 fingerprint of a draw (hex): algorithm, seed and the drawn cases."""
    rec = sample.record
    id_col = sample.design.id_column
    strata_col = sample.design.strata_column

    def rows(table, kind: str) -> list[list[str]]:
        strata = table[strata_col].astype(str).tolist() if strata_col else [""] * len(table)
        return sorted([kind, s, str(o), str(i)] for s, o, i in
                      zip(strata, table["Dragordning"].tolist(), table[id_col].astype(str).tolist(),
                          strict=True))

    doc = {"algoritm": rec["algoritm"], "seed": str(rec["design"]["seed"]),
           "urval": rows(sample.cases, "u") + rows(sample.reserves, "r")}
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def show_fingerprint(fp: str) -> str:
    """Return the first 16 hex digits of a fingerprint in groups of four, as printed in reports."""
    return " ".join(fp[i:i + 4] for i in range(0, 16, 4))


def control_sizes(protocol: Protocol, population: int) -> dict[str, AttributeSizeResult]:
    """Return each control's attribute-sample plan for a population of ``population`` files."""

    return {
        c.id: attribute_sample_size(c.tolerable, expected=c.expected, risk=c.risk, population=population)
        for c in protocol.controls
    }


def _wanted_columns(protocol: Protocol, case_data: CaseDataSpec) -> list[str]:
    names = [*protocol.strata[1:], *protocol.keep, protocol.sex_column, protocol.age_column,
             protocol.personnummer_column, protocol.case_worker_column, *case_data.wanted()]
    skip = {protocol.id_column, protocol.strata[0] if protocol.strata else None}
    return [n for n in dict.fromkeys(names) if n and n not in skip]


def draw(
    protocol: Protocol,
    ram: str | Path,
    *,
    command: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> ProtocolDraw:
    """Return the protocol's sample drawn from the frame ``ram``, with its fingerprint."""
    import pandas as pd

    ram = Path(ram)
    checklist = load_checklist(protocol.checklist)
    spec = case_data_spec(protocol, checklist)
    combined = len(protocol.strata) > 1
    first = protocol.strata[0] if protocol.strata else None
    keep = tuple(_wanted_columns(protocol, spec))
    per_stratum, total, method = protocol.per_stratum, protocol.total, protocol.allocation
    known_n = (per_stratum or total or 0) + protocol.reserves if (per_stratum or total) else None
    frame = read_frame(
        ram, id_column=protocol.id_column, strata_column=first, sheet=protocol.sheet, keep=keep,
        filter=protocol.filter, seed=protocol.seed,
        candidates=None if combined or known_n is None else known_n,
    )
    strata_column = protocol.strata_column
    if combined:
        data = frame.data.copy()
        parts = [data[c].astype("string").str.strip().fillna("") for c in protocol.strata]
        label = parts[0]
        for p in parts[1:]:
            label = label + STRATUM_JOIN + p
        data[strata_column] = label.astype(object)
        frame = dataclasses.replace(frame, data=data, strata_column=strata_column)
    if frame.population is not None:
        population = dict(frame.population)
    elif strata_column:
        counts = frame.data[strata_column].value_counts(sort=False)
        population = {str(k): int(v) for k, v in counts.items()}
    else:
        population = {"": len(frame.data)}
    if sum(population.values()) == 0:
        raise InputError("inga ärenden i populationen efter filtret.", file=ram)

    plans: dict[str, AttributeSizeResult] = {}
    if protocol.target_margin is not None:
        strata_table = pd.DataFrame({"stratum": list(population), "N": list(population.values())})
        plan = stratified_sample_size(protocol.target_margin, strata_table, allocation=method,
                                      confidence=protocol.confidence, minimum=protocol.minimum)
        total, per_stratum = plan.n, None
    elif per_stratum is None and total is None:  # internal control: n from the controls
        if len(population) != 1:
            raise InputError("ett internkontrollprotokoll utan n kan inte ha strata.", file=protocol.source)
        plans = control_sizes(protocol, sum(population.values()))
        total, method = max(p.n for p in plans.values()), "lika"
    elif protocol.controls:
        plans = control_sizes(protocol, sum(population.values()))

    design = sampling.Design(
        id_column=protocol.id_column, strata_column=strata_column, seed=protocol.seed,
        per_stratum=per_stratum, total=total, method=method, minimum=protocol.minimum,
        proportions=protocol.proportions, reserves=protocol.reserves, filter=protocol.filter,
        sheet=protocol.sheet, keep=(first, *keep) if combined and first else keep,
    )
    shown = protocol.source and Path(protocol.source).name
    sample = sampling.draw_sample(
        frame, design, now=now,
        command=command or ["granskning", "ny", shown or "PROTOKOLL", "--ram", ram.name],
    )
    fp = fingerprint(sample)
    record = sample.record
    record["fingeravtryck"] = fp
    record["protokoll"] = {"titel": protocol.title, "fil": shown, "sha256": protocol.sha256}
    if combined:
        record["strata_kolumner"] = list(protocol.strata)
    if plans:
        record["kontroller"] = [
            {"id": c.id, "titel": c.title, "fraga": c.question, "n": plans[c.id].n,
             "tillatna_avvikelser": plans[c.id].allowed_deviations, "tolerabel": c.tolerable,
             "forvantad": c.expected, "risk": c.risk}
            for c in protocol.controls
        ]
    if spec.columns or spec.age_date:
        record["arendedata"] = spec.record()
    limits = register_limits(protocol, ram)
    if limits:
        record["tidsgranser"] = limits
    return ProtocolDraw(protocol, sample, fp, plans, spec, dict(checklist.case_fields),
                        _frame_rows(frame.data, protocol.id_column, sample), frame.source.name)


def _frame_rows(data: Any, id_column: str, sample: Sample) -> dict[str, int]:
    """Return each sampled case's (and reserve's) row in the frame, as Excel numbers it."""
    import pandas as pd

    ids = pd.concat([sample.cases[id_column], sample.reserves[id_column]]).astype(str).str.strip()
    column = data[id_column].astype(str).str.strip()
    found = column[column.isin(set(ids))]
    return {str(i): int(r) for r, i in found.items()}


def register_limits(protocol: Protocol, ram: str | Path) -> list[dict[str, Any]]:
    """Return the protocol's ``tidsgranser`` measured over the whole frame, in the protocol's order.

    The population is the protocol's (``ram.filter``, and a limit's own ``filter``
    besides); the breakdown is the protocol's table stratum unless the limit names
    another (``strata: ""`` for none).  Each result is the JSON object of
    ``granskning tidsgrans --json`` plus ``fraga``, stored in the sample record so
    that the report needs no frame.
    """
    default = protocol.strata[protocol.table_level] if protocol.strata else None
    out: dict[int, dict[str, Any]] = {}
    groups: dict[tuple[str | None, str | None], list[int]] = {}
    for i, item in enumerate(protocol.time_limits):
        strata = default if item.strata is None else (item.strata or None)
        filters = [f for f in (protocol.filter, item.filter) if f]
        where = filters[0] if len(filters) == 1 else " and ".join(f"({f})" for f in filters) or None
        groups.setdefault((strata, where), []).append(i)
    for (strata, where), members in groups.items():
        limits = [protocol.time_limits[i].limit for i in members]
        results = time_limits(ram, limits, strata=strata, filter=where, sheet=protocol.sheet)
        for i, result in zip(members, results, strict=True):
            out[i] = {**result.as_dict(), "fraga": protocol.time_limits[i].question}
    return [out[i] for i in sorted(out)]


def case_rows(result: ProtocolDraw, *, reference_date: dt.date | None = None) -> list[dict[str, Any]]:
    """Return the sample's cases and reserves as rows for :meth:`Store.add_cases`.

    Sex, age and case worker come from the protocol's columns; a personnummer
    column gives sex and age and is then dropped (never stored).
    """

    p = result.protocol
    columns = CaseColumns(sex=None if p.personnummer_column else p.sex_column,
                          age=None if p.personnummer_column else p.age_column,
                          personnummer=p.personnummer_column, case_worker=p.case_worker_column)
    ref = reference_date or reference_date_of(result.sample.record)
    design = result.sample.design
    spec = result.case_data
    rows: list[dict[str, Any]] = []
    errors: list[InputError] = []
    for table, reserve in ((result.sample.cases, False), (result.sample.reserves, True)):
        records = table.to_dict(orient="records")
        for excel_row, rec in enumerate(records, start=2):
            values = {c: (rec.get(c), "urvalet", excel_row) for c in columns.wanted()}
            case_id = str(rec[design.id_column]).strip()
            cells = {c: (rec.get(c), result.frame_file, result.frame_rows.get(case_id))
                     for c in spec.wanted()}
            try:
                data, age_date = case_values(spec, result.case_kinds, cells)
            except InputError as exc:
                errors.append(exc)
                continue
            rows.append({
                "case_id": case_id,
                "stratum": str(rec[design.strata_column]) if design.strata_column else None,
                "design_weight": None if reserve else float(rec["Vikt"]),
                "inclusion_probability": None if reserve else float(rec["Inklusionssannolikhet"]),
                "draw_order": int(rec["Dragordning"]),
                "reserve": reserve,
                **_attributes(columns, values, age_date or ref),
                "case_data": data,
            })
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    return rows


def create_from_protocol(
    store: Store,
    protocol: Protocol | str | Path,
    ram: str | Path,
    *,
    created_by: str | None = None,
    reference_date: dt.date | None = None,
    now: dt.datetime | None = None,
    key: bytes | None = None,
    plan_run: tuple[str, str] | None = None,
) -> tuple[int, ProtocolDraw]:
    """Draw the protocol's sample from ``ram``, store the audit with its cases; return (id, draw).

    ``plan_run`` (plan id, control id) records the audit as a run of a plan's control.

    The cases are stored under pseudonyms made with ``key`` (default: the unit's
    key, created on first use; see :mod:`granskning.audit.pseudonym`).
    """

    proto = protocol if isinstance(protocol, Protocol) else load(protocol)
    check_against_checklist(proto)
    chk = load_checklist(proto.checklist)
    result = draw(proto, ram, now=now)
    rows = case_rows(result, reference_date=reference_date)

    for i, rec in enumerate(rows):  # every check add_cases makes, before anything is stored
        case_row(rec, i + 2)
    secret = key if key is not None else pseudonym.key(create=True)
    who = created_by or getpass.getuser()
    audit_id = store.create_audit(
        title=proto.title, kind=proto.kind, checklist_id=chk.id, checklist_version=chk.version,
        checklist_sha256=chk.sha256, protocol_text=proto.text, sample_record=result.sample.record,
        created_by=who, plan_run=plan_run,
    )
    store.add_cases(audit_id, pseudonym.pseudonymise(secret, rows), who=who)
    return audit_id, result
