"""The population a draw is made from: a frame as read, and the cases selected from it.

:class:`Source` records where a table came from; :class:`Frame` is a validated
sampling frame.  :class:`FrameSpec` says what to read and how to select the
population; :func:`validate` refuses empty or duplicate ids and empty strata,
:func:`select` applies the filter and the exclusions, and
:func:`reduce_to_candidates` keeps the first cases of each stratum in draw
order.  The serial reader (:mod:`granskning.sampling.frame`) and the parallel
scan (:mod:`granskning.sampling.framescan`) share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError, ManyInputErrors
from granskning.expr import check_names, parse
from granskning.sampling.cells import MAX_ERRORS, check_text
from granskning.sampling.draw import hash_ids, rank
from granskning.sampling.encoding import ENCODING_NAMES, SEPARATORS, nfc

if TYPE_CHECKING:
    import pandas as pd

@dataclass(frozen=True, slots=True)
class Source:
    """Where a table came from: enough to record and re-verify a draw."""

    path: str
    name: str
    sha256: str
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None

    def describe(self) -> str:
        """Return a short Swedish description such as ``CSV, Windows-1252, semikolon``."""
        if self.kind == "xlsx":
            return f"Excel, blad {self.sheet}"
        enc = ENCODING_NAMES.get(self.encoding or "", self.encoding or "")
        return f"CSV, {enc}, {SEPARATORS.get(self.separator or '', self.separator)}"


@dataclass(frozen=True, slots=True)
class Frame:
    """A validated sampling frame: the data plus the record of how it was read."""

    data: pd.DataFrame
    source: Source
    id_column: str
    strata_column: str | None
    rows_read: int
    rows_kept: int
    filter: str | None = None
    excluded: int = 0
    seed: int | str | None = None
    keys: Any = None  # uint64 draw keys of the ids under ``seed`` (see granskning.sampling.draw)
    population: Mapping[str, int] | None = None  # stratum sizes when ``data`` holds candidates only


@dataclass(frozen=True, slots=True)
class FrameSpec:
    """What to read from a frame and how to select the population."""

    id_column: str
    strata_column: str | None
    columns: list[str]
    filter: str | None
    expression: Any
    exclude: frozenset[str] | None
    seed: int | str | None

    @classmethod
    def make(cls, id_column, strata_column, keep, filter, exclude_ids, seed) -> FrameSpec:
        expression = None
        wanted: list[str] = [id_column]
        if strata_column:
            wanted.append(strata_column)
        wanted.extend(keep)
        if filter:
            expression = parse(filter, source="--filter")
            wanted.extend(sorted(expression.names))
        exclude = frozenset(map(nfc, exclude_ids)) if exclude_ids is not None else None
        wanted = [nfc(c) for c in wanted]
        return cls(
            nfc(id_column), nfc(strata_column) if strata_column else strata_column,
            list(dict.fromkeys(wanted)), filter, expression, exclude, seed,
        )


def validate(table: pd.DataFrame, spec: FrameSpec, name: str) -> Any:
    """Raise for empty or duplicate ids and empty strata; return the draw keys (or None)."""
    id_column, strata_column = spec.id_column, spec.strata_column
    key_columns = [id_column] + ([strata_column] if strata_column else [])
    check_text(table[key_columns], name, strict=key_columns)
    ids = table[id_column]  # the readers strip surrounding spaces
    repeated = ids == id_column
    if strata_column:
        repeated &= table[strata_column] == strata_column
    if repeated.any():
        raise InputError(
            "raden upprepar rubrikraden (två exporter sammanfogade?). Ta bort den: annars "
            "blir den ett ärende.",
            file=name, row=int(ids.index[repeated.to_numpy()][0]), column=id_column,
        )
    errors: list[InputError] = []
    empty = (ids == "").to_numpy()
    for row in ids.index[empty][:MAX_ERRORS]:
        errors.append(InputError("ärende-id saknas.", file=name, row=int(row), column=id_column))
    keys = None
    if spec.seed is not None:
        keys = hash_ids(ids, spec.seed)
        dup = _duplicated_by_key(ids, keys).to_numpy() & ~empty
    else:
        dup = ids.duplicated(keep=False).to_numpy() & ~empty
    if dup.any():
        errors += _duplicate_errors(ids[dup], name, id_column, MAX_ERRORS - len(errors))
    if strata_column:
        strata = table[strata_column]
        for row in strata.index[(strata == "").to_numpy()][: max(0, MAX_ERRORS - len(errors))]:
            errors.append(
                InputError("stratum saknas (tomt värde).", file=name, row=int(row), column=strata_column)
            )
    if errors:
        _raise_all(errors, name, int(dup.sum()), int(empty.sum()))
    return keys


def _duplicate_errors(repeated: pd.Series, name: str, id_column: str, room: int) -> list[InputError]:
    """Return an error for each repeat of an id (at most ``room``), naming its first row."""
    errors: list[InputError] = []
    first_row: dict[str, int] = {}
    for row, value in repeated.items():
        if value in first_row:
            if len(errors) < room:
                errors.append(
                    InputError(
                        f"samma ärende-id som på rad {first_row[value]} (id:n måste vara unika).",
                        file=name, row=int(row), column=id_column,
                    )
                )
        else:
            first_row[value] = int(row)
    return errors


def _raise_all(errors: list[InputError], name: str, n_dup: int, n_empty: int) -> None:
    """Raise the errors in row order: one alone, or all with the totals of duplicate and empty ids."""
    errors.sort(key=lambda e: e.row or 0)
    if len(errors) == 1:
        raise errors[0]
    summary = ManyInputErrors(errors)
    extra = []
    if n_dup:
        extra.append(f"{n_dup} {'rad' if n_dup == 1 else 'rader'} med dubblerade id")
    if n_empty:
        extra.append(f"{n_empty} {'rad' if n_empty == 1 else 'rader'} utan id")
    if extra:
        summary.message += f"\n{name}: totalt " + " och ".join(extra) + "."
    raise summary


def select(
    table: pd.DataFrame, keys: Any, spec: FrameSpec, name: str
) -> tuple[pd.DataFrame, Any, int, int]:
    """Apply the population filter and the exclusions; return (table, keys, kept, excluded)."""
    if spec.expression is not None:
        check_names(spec.expression, table.columns, source="--filter")
        mask = filter_mask(table, spec.expression, name)
        table = table[mask]
        if keys is not None:
            keys = keys[mask]
    rows_kept = len(table)
    excluded = 0
    if spec.exclude is not None:
        drop = table[spec.id_column].isin(spec.exclude).to_numpy()
        excluded = int(drop.sum())
        if excluded:
            table = table[~drop]
            if keys is not None:
                keys = keys[~drop]
    return table, keys, rows_kept, excluded


def filter_mask(table: pd.DataFrame, expression: Any, name: str) -> Any:
    """Return which rows of a table read here satisfy a population filter (a numpy bool array).

    The table's index holds Excel row numbers while expr adds the header offset
    itself, so the rows are renumbered from 0 for it; a value that cannot be
    compared raises with its file, row and column.
    """
    return expression.mask(table.set_axis(table.index - 2), strict=True, file=name).to_numpy()


def reduce_to_candidates(
    table: pd.DataFrame, keys: Any, spec: FrameSpec, candidates: int
) -> tuple[pd.DataFrame, Any, dict[str, int]]:
    """Keep the first ``candidates`` cases per stratum in draw order; return the stratum sizes."""
    ids = table[spec.id_column]
    strata = table[spec.strata_column] if spec.strata_column else None
    if strata is not None:
        population = {str(k): int(v) for k, v in strata.value_counts(sort=False).items()}
    else:
        population = {"": len(table)}
    ranked = rank(ids, strata, spec.seed, limit=candidates, keys=keys)
    keep = table.index.get_indexer(ranked.index)
    return table.iloc[keep], keys[keep], dict(sorted(population.items()))


def _duplicated_by_key(ids: pd.Series, keys: Any) -> pd.Series:
    """Return which ids occur more than once, using their 64-bit hash keys first.

    Equal ids have equal keys; rows whose key is unique cannot be duplicates, so
    only the (normally empty) set of rows sharing a key is compared as text.
    """
    import numpy as np
    import pandas as pd

    ordered = np.sort(keys)
    out = pd.Series(False, index=ids.index)
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        same_key = pd.Series(keys).duplicated(keep=False).to_numpy()
        candidates = ids[same_key]
        out[candidates.index] = candidates.duplicated(keep=False).to_numpy()
    return out
