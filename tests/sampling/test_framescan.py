"""The parallel candidate scan gives exactly the serial frame, and falls back on any problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from granskning.errors import InputError
from granskning.sampling import framescan
from granskning.sampling.frame import read_frame


def make_csv(path: Path, n: int, rng: np.random.Generator, *, blank_every: int = 0) -> Path:
    lines = ["arende_id;stadsdel;alder"]
    for i in rng.permutation(n):
        lines.append(f"FB-{i:06d};S{int(rng.integers(0, 4))};{int(rng.integers(0, 18))}")
        if blank_every and i % blank_every == 0:
            lines.append("")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def frames(path: Path, processes: int, monkeypatch, **kw):
    monkeypatch.setattr(framescan, "MIN_BYTES", 0)
    monkeypatch.setenv("GRANSKNING_PROCESSER", "1")
    serial = read_frame(path, id_column="arende_id", strata_column="stadsdel", seed=7, candidates=6, **kw)
    monkeypatch.setenv("GRANSKNING_PROCESSER", str(processes))
    parallel = read_frame(path, id_column="arende_id", strata_column="stadsdel", seed=7, candidates=6, **kw)
    return serial, parallel


def assert_same(a, b):
    assert a.data.equals(b.data)
    assert list(a.data.index) == list(b.data.index)
    assert (a.keys == b.keys).all()
    assert a.population == b.population
    assert (a.rows_read, a.rows_kept, a.excluded) == (b.rows_read, b.rows_kept, b.excluded)
    assert a.source.sha256 == b.source.sha256


@given(st.integers(1, 400), st.integers(2, 5), st.integers(0, 2**32 - 1), st.sampled_from([0, 7]))
@settings(max_examples=25, deadline=None)
def test_parallel_equals_serial(tmp_path_factory, n, processes, seed, blank_every):
    import pytest as _pytest

    mp = _pytest.MonkeyPatch()
    try:
        path = make_csv(tmp_path_factory.mktemp("f") / "ram.csv", n, np.random.default_rng(seed), blank_every=blank_every)
        serial, parallel = frames(path, processes, mp)
        assert_same(serial, parallel)
        from granskning.sampling.frame import FrameSpec

        spec = FrameSpec.make("arende_id", "stadsdel", (), None, None, 7)
        assert framescan.scan_parallel(path, spec, 6, min_bytes=0) is not None
    finally:
        mp.undo()


def test_parallel_with_filter_and_exclusion(tmp_path, monkeypatch):
    path = make_csv(tmp_path / "ram.csv", 500, np.random.default_rng(1))
    serial, parallel = frames(
        path, 3, monkeypatch, filter="alder <= 12", exclude_ids=[f"FB-{i:06d}" for i in range(0, 500, 3)]
    )
    assert_same(serial, parallel)
    assert serial.excluded > 0 and serial.rows_kept < 500
    # and the parallel path really ran (it returns None when it hands over to the serial one)
    from granskning.sampling.frame import FrameSpec

    spec = FrameSpec.make("arende_id", "stadsdel", (), "alder <= 12", None, 7)
    assert framescan.scan_parallel(path, spec, 6, min_bytes=0) is not None


def test_duplicate_across_chunks_reported_exactly_as_serial(tmp_path, monkeypatch):
    path = make_csv(tmp_path / "ram.csv", 300, np.random.default_rng(2))
    text = path.read_bytes().decode("cp1252").splitlines()
    text[-1] = text[1].split(";")[0] + ";S1;5"  # the first id again, in the last chunk
    path.write_bytes(("\r\n".join(text) + "\r\n").encode("cp1252"))
    monkeypatch.setattr(framescan, "MIN_BYTES", 0)
    monkeypatch.setenv("GRANSKNING_PROCESSER", "3")
    with pytest.raises(InputError, match=r"rad 301, kolumn \"arende_id\": samma ärende-id som på rad 2"):
        read_frame(path, id_column="arende_id", strata_column="stadsdel", seed=7, candidates=6)


def test_ragged_row_falls_back_to_precise_message(tmp_path, monkeypatch):
    path = make_csv(tmp_path / "ram.csv", 300, np.random.default_rng(3))
    text = path.read_bytes().decode("cp1252").splitlines()
    text[250] += ";extra"
    path.write_bytes(("\r\n".join(text) + "\r\n").encode("cp1252"))
    monkeypatch.setattr(framescan, "MIN_BYTES", 0)
    monkeypatch.setenv("GRANSKNING_PROCESSER", "2")
    with pytest.raises(InputError, match="rad 251: raden har 4 fält men rubrikraden har 3"):
        read_frame(path, id_column="arende_id", strata_column="stadsdel", seed=7, candidates=6)


def test_chunks_cut_at_line_starts_with_correct_row_numbers(tmp_path):
    from granskning.sampling.frame import csv_layout

    path = make_csv(tmp_path / "ram.csv", 100, np.random.default_rng(4))
    data = path.read_bytes()
    layout = csv_layout(path, data)
    cuts = framescan._cut(layout, 4)
    assert cuts[0][0] == layout.body_start and cuts[-1][1] == len(data)
    for (a, b, row), (c, _d, row2) in zip(cuts, cuts[1:], strict=False):
        assert b == c and data[b - 1 : b] == b"\n"
        assert row2 == row + data.count(b"\n", a, b)
        assert row2 == data.count(b"\n", 0, c) + 1
