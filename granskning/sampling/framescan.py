"""Parallel scan of a large CSV frame for a draw.

A draw needs, per stratum, only the population size N_h and the first few
cases in draw order.  Both can be computed chunk by chunk: the first k cases
of a stratum are among the first k of some chunk.  A large CSV without quote
characters is therefore cut at line boundaries into one chunk per processor;
each worker parses, validates, filters and ranks its chunk, and returns its
stratum counts, every id's 64-bit draw key (to find duplicate ids across
chunks) and its candidates.  The merge gives exactly the frame that
:func:`granskning.sampling.frame.read_frame` gives serially.

The parallel path is only an accelerator: at the first sign of a problem (a
bad row, a duplicate key, any exception) it returns None and the serial path
runs, which reports the problem precisely.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from granskning.errors import InputError
from granskning.sampling.cells import check_columns
from granskning.sampling.csvframe import CsvLayout, csv_layout, parse_csv_body
from granskning.sampling.encoding import file_sha256, read_bytes
from granskning.sampling.population import (
    Frame,
    FrameSpec,
    Source,
    reduce_to_candidates,
    select,
    validate,
)

MIN_BYTES = 32 << 20  # below this the serial path is as fast
_JOB: dict[str, Any] = {}  # inherited by forked workers, never pickled


def workers() -> int:
    """Return how many processes to use (environment ``GRANSKNING_PROCESSER`` overrides)."""
    env = os.environ.get("GRANSKNING_PROCESSER")
    if env and env.isdigit():
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def scan_parallel(path: Path, spec: FrameSpec, candidates: int, *, min_bytes: int = MIN_BYTES) -> Frame | None:
    """Return the candidate frame computed in parallel, or None to use the serial path."""
    import multiprocessing as mp

    n_proc = workers()
    if n_proc < 2 or path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        return None
    if "fork" not in mp.get_all_start_methods():  # pragma: no cover - not Linux
        return None
    data = read_bytes(path)
    if len(data) < min_bytes or data[:4] == b"PK\x03\x04":
        return None
    try:
        layout = csv_layout(path, data)
        check_columns(path, layout.header, spec.columns)
    except InputError:
        return None  # the serial path reports it
    if layout.quoted:
        return None
    cuts = _cut(layout, n_proc)
    if not cuts:
        return None  # a header only: the serial path says so
    _JOB.update(layout=layout, spec=spec, candidates=candidates, path=path)
    from concurrent.futures import ThreadPoolExecutor

    try:
        ctx = mp.get_context("fork")
        with ThreadPoolExecutor(1) as thread, ctx.Pool(len(cuts)) as pool:
            digest = thread.submit(file_sha256, data)  # hashlib releases the GIL
            parts = pool.map(_scan_chunk, cuts)
            sha = digest.result()
    finally:
        _JOB.clear()
    if any(p is None for p in parts):
        return None
    return _merge(path, layout, spec, candidates, parts, sha)


def _cut(layout: CsvLayout, n: int) -> list[tuple[int, int, int]]:
    """Return (start, end, first Excel row) of ``n`` chunks cut at line boundaries."""
    data, start = layout.data, layout.body_start
    size = len(data) - start
    bounds = [start]
    for i in range(1, n):
        p = data.find(b"\n", start + size * i // n)
        if p < 0 or p + 1 <= bounds[-1]:
            continue
        bounds.append(p + 1)
    bounds.append(len(data))
    out, row = [], 2
    for a, b in zip(bounds, bounds[1:], strict=False):
        if b > a:
            out.append((a, b, row))
            row += data.count(b"\n", a, b)
    return out


def _scan_chunk(cut: tuple[int, int, int]) -> dict[str, Any] | None:
    """Parse, validate, select and rank one chunk (runs in a worker process)."""
    layout: CsvLayout = _JOB["layout"]
    spec: FrameSpec = _JOB["spec"]
    start, end, first_row = cut
    try:
        positions = sorted({layout.header.index(c) for c in spec.columns})
        table = parse_csv_body(_JOB["path"], layout, start, end, positions, first_row)
        keys_all = validate(table, spec, _JOB["path"].name)
        selected, keys, kept, excluded = select(table, keys_all, spec, _JOB["path"].name)
        if selected.empty:
            population: dict[str, int] = {}
            cand, cand_keys = selected, keys
        else:
            cand, cand_keys, population = reduce_to_candidates(selected, keys, spec, _JOB["candidates"])
    except Exception:  # noqa: BLE001 - any problem: let the serial path report it precisely
        return None
    return {
        "rows": len(table),
        "keys_all": keys_all,
        "kept": kept,
        "excluded": excluded,
        "population": population,
        "candidates": cand,
        "candidate_keys": cand_keys,
    }


def _merge(
    path: Path, layout: CsvLayout, spec: FrameSpec, candidates: int, parts: Sequence[dict[str, Any]], sha: str
) -> Frame | None:
    import numpy as np
    import pandas as pd

    all_keys = np.concatenate([p["keys_all"] for p in parts])
    ordered = np.sort(all_keys)
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        return None  # possibly a duplicate id across chunks: the serial path names the rows
    rows = sum(p["rows"] for p in parts)
    kept = sum(p["kept"] for p in parts)
    excluded = sum(p["excluded"] for p in parts)
    if rows == 0 or kept - excluded <= 0:
        return None
    population: dict[str, int] = {}
    for p in parts:
        for k, v in p["population"].items():
            population[k] = population.get(k, 0) + v
    table = pd.concat([p["candidates"] for p in parts if len(p["candidates"])])
    keys = np.concatenate([p["candidate_keys"] for p in parts if len(p["candidates"])])
    table, keys, _ = reduce_to_candidates(table, keys, spec, candidates)
    source = Source(
        str(path), path.name, sha, "csv", encoding=layout.encoding, separator=layout.sep
    )
    return Frame(
        data=table,
        source=source,
        id_column=spec.id_column,
        strata_column=spec.strata_column,
        rows_read=rows,
        rows_kept=kept,
        filter=spec.filter,
        excluded=excluded,
        seed=spec.seed,
        keys=keys,
        population=dict(sorted(population.items())),
    )
