"""Stratified random sampling of case files: design, draw, record and verification.

The draw itself (ranking by a keyed hash) lives in :mod:`granskning.sampling.draw`; the
allocation of n over strata in :mod:`granskning.sampling.allocation`.  This module ties
them to a frame, produces the sample with inclusion probabilities and design
weights, and the record (urvalsprotokoll) from which anyone can re-derive it.
"""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning import __version__
from granskning.errors import InputError
from granskning.numbers import parse_seed as parse_seed  # re-export: public name
from granskning.personnummer.number import scrub
from granskning.sampling.allocation import allocate
from granskning.sampling.draw import ALGORITHM, ALGORITHM_DESCRIPTION, rank
from granskning.sampling.encoding import file_sha256, nfc, read_bytes
from granskning.sampling.frame import read_frame, read_table_with_source
from granskning.sampling.stored import (
    NUMERIC,
    canonical_text,
    read_stored,
    same_cell,
    table_rows,
)
from granskning.store.values import refuse_personnummer
from granskning.wording import antal

if TYPE_CHECKING:
    import pandas as pd

    from granskning.sampling.frame import Frame

RECORD_FORMAT = 1
RECORD_FORMAT_READ = 2  # newest record format this version reads (2: with innehall_sha256)


@dataclass(frozen=True, slots=True)
class Design:
    """Everything that determines a draw besides the frame itself."""

    id_column: str
    strata_column: str | None
    seed: int | str
    per_stratum: int | None = None
    total: int | None = None
    method: str = "lika"
    minimum: int = 0
    proportions: Mapping[str, float] | None = None
    reserves: int = 0
    filter: str | None = None
    sheet: str | None = None
    keep: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # frames are read in Unicode NFC (granskning.sampling.frame): so are the names that select from them
        object.__setattr__(self, "id_column", nfc(self.id_column))
        if self.strata_column:
            object.__setattr__(self, "strata_column", nfc(self.strata_column))
        object.__setattr__(self, "keep", tuple(nfc(c) for c in self.keep))
        if self.proportions:
            object.__setattr__(self, "proportions", {nfc(str(k)): v for k, v in self.proportions.items()})
        if (self.per_stratum is None) == (self.total is None):
            raise InputError("ange antingen --per-stratum eller --totalt (exakt ett av dem).")
        for name, value in (("--per-stratum", self.per_stratum), ("--totalt", self.total)):
            if value is not None and value < 1:
                raise InputError(f"{name} måste vara minst 1 (fick {value}).")
        if self.reserves < 0:
            raise InputError(f"--reserv kan inte vara negativt (fick {self.reserves}).")
        if self.minimum < 0:
            raise InputError(f"--minimum kan inte vara negativt (fick {self.minimum}).")

    def candidates_needed(self) -> int:
        """Return how many cases per stratum, in draw order, a draw can ever use."""
        return (self.per_stratum if self.per_stratum is not None else self.total or 0) + self.reserves

    def to_record(self) -> dict[str, Any]:
        """Return the design as a JSON-able dict (Swedish keys, stored in the record)."""
        return {
            "id_kolumn": self.id_column,
            "strata_kolumn": self.strata_column,
            "seed": self.seed,
            "per_stratum": self.per_stratum,
            "totalt": self.total,
            "fordelning": self.method if self.total is not None else "fast per stratum",
            "minimum": self.minimum,
            "andelar": dict(self.proportions) if self.proportions else None,
            "reserver": self.reserves,
            "filter": self.filter,
            "blad": self.sheet,
            "kolumner": list(self.keep),
        }

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> Design:
        """Return the design stored in a record by :meth:`to_record`."""
        return cls(
            id_column=rec["id_kolumn"],
            strata_column=rec.get("strata_kolumn"),
            seed=rec["seed"],
            per_stratum=rec.get("per_stratum"),
            total=rec.get("totalt"),
            method=rec.get("fordelning") if rec.get("totalt") is not None else "lika",
            minimum=rec.get("minimum") or 0,
            proportions=rec.get("andelar"),
            reserves=rec.get("reserver") or 0,
            filter=rec.get("filter"),
            sheet=rec.get("blad"),
            keep=tuple(rec.get("kolumner") or ()),
        )


@dataclass(frozen=True, slots=True)
class Sample:
    """A drawn sample: the cases, the reserves, the allocation and the record."""

    cases: pd.DataFrame
    reserves: pd.DataFrame
    allocation: pd.DataFrame
    record: dict[str, Any]
    design: Design
    excluded_ids: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.cases)


def draw_sample(
    frame: Frame,
    design: Design,
    *,
    excluded_ids: Sequence[str] = (),
    exclusion_source: Mapping[str, Any] | None = None,
    command: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> Sample:
    """Return the stratified simple random sample of ``frame`` under ``design``."""
    import pandas as pd

    data = frame.data
    ids = data[design.id_column]
    strata = data[design.strata_column] if design.strata_column else None
    if frame.population is not None:  # the frame holds draw candidates only
        population = dict(frame.population)
    elif strata is not None:
        counts = strata.value_counts(sort=False)
        population = {str(k): int(v) for k, v in sorted(counts.items())}
    else:
        population = {"": len(data)}
    allocation = allocate(
        population,
        total=design.total,
        per_stratum=design.per_stratum,
        method=design.method,  # type: ignore[arg-type]
        proportions=design.proportions if design.method == "neyman" else None,
        minimum=design.minimum,
    )
    sizes = dict(zip(allocation["stratum"], allocation["n"].astype(int), strict=True))
    limit = {s: n + design.reserves for s, n in sizes.items()}
    keys = frame.keys if frame.keys is not None and frame.seed == design.seed else None
    ranked = rank(ids, strata, design.seed, limit=limit, keys=keys)
    n_map = ranked["stratum"].map(sizes).astype("int64")
    chosen = ranked[ranked["order"] <= n_map]
    spare = ranked[ranked["order"] > n_map]

    N_map = {s: population[s] for s in sizes}
    keep_cols = [c for c in design.keep if c not in (design.id_column, design.strata_column)]

    def build(part: pd.DataFrame, reserve: bool) -> pd.DataFrame:
        out = pd.DataFrame(index=part.index)
        out[design.id_column] = part["id"].to_numpy()
        if design.strata_column:
            out[design.strata_column] = part["stratum"].to_numpy()
        if reserve:
            # astype: mapping an empty text column keeps its text dtype (pandas 3 / pyarrow)
            out["Reservordning"] = (part["order"] - part["stratum"].map(sizes).astype("int64")).to_numpy()
        out["Dragordning"] = part["order"].to_numpy()
        if not reserve:
            n_h = part["stratum"].map(sizes).astype(float)
            N_h = part["stratum"].map(N_map).astype(float)
            out["Inklusionssannolikhet"] = (n_h / N_h).to_numpy()
            out["Vikt"] = (N_h / n_h).to_numpy()
        for col in keep_cols:
            out[col] = data.loc[part.index, col].to_numpy()
        out.index = pd.RangeIndex(len(out))
        return out

    cases = build(chosen, reserve=False)
    reserves = build(spare, reserve=True)
    reserve_counts = spare["stratum"].value_counts()
    allocation = allocation.copy()
    allocation["reserver"] = allocation["stratum"].map(reserve_counts).fillna(0).astype(int)

    record = make_record(
        frame, design, allocation, excluded=len(excluded_ids),
        exclusion_source=exclusion_source, command=command, now=now,
    )
    # The record is copied into the database and every report: no personnummer in a
    # stratum name, a file name or the command line (the case ids are not in it).
    refuse_personnummer(record, "urvalsprotokollet", numbers=False, advice=(
        "inget urval skrivs. Ett personnummer kan inte vara ett stratum eller stå i ett "
        "filnamn eller kommando; välj rätt kolumn med --strata eller byt namn på filen"))
    return Sample(cases, reserves, allocation, record, design, tuple(excluded_ids))


def make_record(
    frame: Frame,
    design: Design,
    allocation: pd.DataFrame,
    *,
    excluded: int,
    exclusion_source: Mapping[str, Any] | None,
    command: Sequence[str] | None,
    now: dt.datetime | None,
) -> dict[str, Any]:
    """Return the urvalsprotokoll as a JSON-able dict."""
    now = now or dt.datetime.now(dt.UTC).astimezone()
    src = frame.source
    strata = [
        {
            "stratum": str(r.stratum),
            "N": int(r.N),
            "n": int(r.n),
            "reserver": int(r.reserver),
            "tas_helt": bool(r.takes_all),
        }
        for r in allocation.itertuples(index=False)
    ]
    return {
        "format": RECORD_FORMAT,
        "verktyg": "granskning",
        "version": __version__,
        "algoritm": ALGORITHM,
        "algoritm_beskrivning": ALGORITHM_DESCRIPTION,
        "tidpunkt": now.isoformat(timespec="seconds"),
        "ram": {
            "fil": src.name,
            "sha256": src.sha256,
            "format": src.describe(),
            "typ": src.kind,
            "kodning": src.encoding,
            "avgransare": src.separator,
            "blad": src.sheet,
        },
        "rader_lasta": frame.rows_read,
        "rader_efter_filter": frame.rows_kept,
        "uteslutna": {"antal": excluded, **(dict(exclusion_source) if exclusion_source else {})},
        "design": design.to_record(),
        "strata": strata,
        "N_totalt": int(allocation["N"].sum()),
        "n_totalt": int(allocation["n"].sum()),
        "kommando": shlex.join(command) if command is not None else shlex.join(["granskning", *sys.argv[1:]]),
    }


def read_exclusions(path: str | Path, id_column: str) -> tuple[list[str], dict[str, Any]]:
    """Return the ids drawn in an earlier sample (its ``Urval``, not its reserves) or a table.

    An earlier sample file from ``granskning urval`` (.xlsx, .csv with its
    .protokoll.json, or .json) is recognised by its record and read with the id
    column named there; any other CSV or XLSX must have a column named like the
    current id column.
    """
    path = Path(path)
    stored = None
    if path.suffix.lower() in {".xlsx", ".xlsm", ".csv", ".json"} and path.is_file():
        try:
            stored = read_stored(path)
        except InputError:  # not a sample we wrote: read it as a table below
            stored = None
    if stored is not None:
        prev_id = stored.record["design"]["id_kolumn"]
        if prev_id not in stored.cases.columns and len(stored.cases):
            raise InputError(f'kolumnen "{prev_id}" med ärende-id saknas i urvalet.', file=path)
        raw = stored.cases[prev_id].tolist() if len(stored.cases) else []
        ids = [s for s in (str(v).strip() for v in raw) if s]
        return ids, {"fil": path.name, "sha256": file_sha256(read_bytes(path))}
    table, source = read_table_with_source(path, usecols=[id_column])
    ids = [s for s in table[id_column].str.strip().tolist() if s]
    return ids, {"fil": source.name, "sha256": source.sha256}


def read_record(path: str | Path) -> dict[str, Any]:
    """Return the record stored in a sample file written by ``granskning urval``."""
    return stored_sample(path, strict=False)[0]


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of re-deriving a draw from its frame and record."""

    identical: bool
    differences: tuple[str, ...]
    frame_unchanged: bool
    n: int
    reserves: int


def stored_sample(
    path: str | Path, *, strict: bool = True
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame, list[str]]:
    """Return (record, cases, reserves, excluded ids) from a sample file (XLSX, JSON or CSV).

    With ``strict`` (every step that uses the sample), a file whose content no
    longer matches its record (see :mod:`granskning.sampling.stored`) is refused.
    """
    path = Path(path)
    stored = read_stored(path)
    if stored.record.get("format", 0) > RECORD_FORMAT_READ:
        raise InputError(
            "urvalsprotokollet är skrivet av en nyare version av granskning; uppgradera verktyget.",
            file=path,
        )
    if strict and stored.problems:
        listed = "\n".join(f"  - {p}" for p in stored.problems)
        raise InputError(
            "urvalsfilen har ändrats efter att granskning urval skrev den och används inte:\n"
            f"{listed}\nAnvänd den oförändrade filen (kontrollera med granskning urval "
            "--verifiera).",
            file=path,
        )
    return stored.record, stored.cases, stored.reserves, stored.excluded


def verify(sample_path: str | Path, frame_path: str | Path) -> Verification:
    """Re-derive the draw recorded in ``sample_path`` from ``frame_path`` and compare."""
    stored = read_stored(sample_path)
    record, cases, reserves, excluded = stored.record, stored.cases, stored.reserves, stored.excluded
    if record.get("format", 0) > RECORD_FORMAT_READ:
        raise InputError(
            "urvalsprotokollet är skrivet av en nyare version av granskning; uppgradera verktyget.",
            file=sample_path,
        )
    design = Design.from_record(record["design"])
    frame = read_frame(
        frame_path,
        id_column=design.id_column,
        strata_column=design.strata_column,
        sheet=design.sheet,
        keep=design.keep,
        filter=design.filter,
        exclude_ids=excluded or None,
        seed=design.seed,
        candidates=design.candidates_needed(),
    )
    redrawn = draw_sample(frame, design, excluded_ids=excluded, command=[])
    diffs: list[str] = list(stored.problems)
    frame_unchanged = frame.source.sha256 == record["ram"]["sha256"]
    if not frame_unchanged:
        diffs.append(
            "Ramfilens innehåll har ändrats sedan urvalet drogs (SHA-256 "
            f"{record['ram']['sha256'][:12]}… i protokollet, {frame.source.sha256[:12]}… nu)."
        )
    for key, label in (("rader_lasta", "Rader lästa"), ("rader_efter_filter", "Rader efter filter")):
        if record[key] != redrawn.record[key]:
            diffs.append(f"{label}: {record[key]} i protokollet, {redrawn.record[key]} nu.")
    old_strata = {s["stratum"]: s for s in record["strata"]}
    new_strata = {s["stratum"]: s for s in redrawn.record["strata"]}
    for name in sorted(set(old_strata) | set(new_strata)):
        o, n = old_strata.get(name), new_strata.get(name)
        if o is None or n is None:
            diffs.append(f"Stratum {name}: finns bara {'nu' if o is None else 'i protokollet'}.")
            continue
        for key in ("N", "n", "reserver"):
            if o[key] != n[key]:
                diffs.append(f"Stratum {name}: {key} = {o[key]} i protokollet, {n[key]} nu.")
    diffs += _compare_lists("Urval", cases, redrawn.cases, design)
    diffs += _compare_lists("Reserver", reserves, redrawn.reserves, design)
    identical = not [d for d in diffs if not d.startswith("Ramfilens innehåll")] and frame_unchanged
    return Verification(identical, tuple(diffs), frame_unchanged, redrawn.n, len(redrawn.reserves))


def _compare_lists(sheet: str, stored: pd.DataFrame, fresh: pd.DataFrame, design: Design) -> list[str]:
    idc = design.id_column
    if idc not in stored.columns and len(stored):
        return [f'Bladet {sheet} saknar kolumnen "{idc}".']
    if not len(stored):  # an empty list (e.g. no reserves) has no columns in JSON or CSV
        return [] if not len(fresh) else [
            f"{sheet}: {antal(len(fresh), 'ärende')} dras nu men listan i filen är tom."]
    old = [str(v).strip() for v in stored[idc]]
    new = [str(v) for v in fresh[idc]]
    if old == new:
        return _compare_cells(sheet, stored, fresh, idc, scrub)  # an id may be a personnummer: never print it whole

    out: list[str] = []
    missing = [v for v in new if v not in set(old)]
    extra = [v for v in old if v not in set(new)]
    for v in missing[:10]:
        out.append(f"{sheet}: ärende {scrub(v)} dras nu men saknas i filen.")
    for v in extra[:10]:
        out.append(f"{sheet}: ärende {scrub(v)} finns i filen men dras inte nu.")
    if len(missing) + len(extra) > 20:
        out.append(f"{sheet}: … totalt {len(missing)} saknade och {len(extra)} extra ärenden.")
    if not missing and not extra:
        out.append(f"{sheet}: samma ärenden men i annan ordning.")
    return out


def _compare_cells(sheet: str, stored: pd.DataFrame, fresh: pd.DataFrame, idc: str,
                   scrub: Any) -> list[str]:
    """Return the cells (stratum, draw order, weight, kept columns…) that differ from a re-draw."""
    new_rows = table_rows(fresh)
    old_rows = [{str(k): canonical_text(v) for k, v in r.items()}
                for r in stored.to_dict(orient="records")]
    out: list[str] = []
    old_cols = set(stored.columns)
    new_cols = {str(c) for c in fresh.columns}
    for col in sorted(new_cols - old_cols):
        out.append(f'{sheet}: kolumnen "{col}" saknas i filen.')
    for col in sorted(old_cols - new_cols):
        out.append(f'{sheet}: kolumnen "{col}" finns i filen men inte i urvalet.')
    for excel_row, (o, n) in enumerate(zip(old_rows, new_rows, strict=True), start=2):
        for col in sorted(new_cols & old_cols):
            a, b = o.get(col, ""), n.get(col, "")
            if a != b and not (col in NUMERIC and same_cell(a, b)):
                out.append(f'{sheet}, rad {excel_row}: ärende {scrub(n[idc])}, kolumnen "{col}" '
                           "skiljer sig från det återskapade urvalet.")
        if len(out) > 20:
            out.append(f"{sheet}: … fler skillnader.")
            break
    return out
