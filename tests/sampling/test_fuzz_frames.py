"""Property test over frames and filters (issue 9): whatever bytes a frame holds and
whatever a user writes in --filter, ``granskning urval`` ends in exit 0 with the sample
written, or in exit 2 with a Swedish message and nothing written, never "Oväntat fel"."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Values a case export can hold, and the things that went wrong in the past.
ODD = ["Järva", unicodedata.normalize("NFD", "Järva"), "Spånga", "a;b", 'a"b', "  x ", "",
       "\x00", "\x1b", "\x7f", "\x85", "\u200b", "\ufeff", "\ufffd", "=1+1", "12", "0012",
       "2024-01-05", "1,5", "-3", "nej", "Ja", "€", "\t", "\r", "\n", "x" * 300]
value = st.one_of(st.sampled_from(ODD), st.text(max_size=6))
COLUMNS = ["id", "stadsdel", "alder", "datum", "Ålder"]


@st.composite
def frames(draw):
    header = draw(st.lists(st.sampled_from(COLUMNS + ["", "id"]), min_size=1, max_size=5))
    if draw(st.booleans()):  # mostly a usable frame
        header = ["id", "stadsdel"] + [h for h in header if h not in ("id", "stadsdel")]
    sep = draw(st.sampled_from([";", ",", "\t"]))
    quote = draw(st.booleans())
    n = draw(st.integers(0, 12))
    lines = [sep.join(header)]
    for i in range(n):
        width = draw(st.sampled_from([len(header)] * 4 + [len(header) - 1, len(header) + 1, 0]))
        fields = [str(i), draw(st.sampled_from(["A", "B", "Järva"]))] + [
            draw(value) for _ in range(max(0, width - 2))
        ]
        fields = fields[:width]
        if quote:
            fields = ['"' + f.replace('"', '""') + '"' for f in fields]
        lines.append(sep.join(fields))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(lines) + draw(st.sampled_from([eol, ""]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()) and data:  # a stray byte somewhere
        pos = draw(st.integers(0, len(data) - 1))
        data = data[:pos] + bytes([draw(st.sampled_from([0xE5, 0xC3, 0x81, 0x00, 0xFF]))]) + data[pos:]
    return data


filters = st.one_of(
    st.none(),
    st.sampled_from([
        "alder <= 12", 'stadsdel == "Järva"', 'stadsdel == "' + unicodedata.normalize("NFD", "Järva") + '"',
        "datum >= 2024-01-01", "Ålder > 3 and alder < 10", "saknas == 1", "alder <=", "tom(alder)",
        'stadsdel in ("A", "B")', "not (alder > 5)", "alder == alder", "år(datum) == 2024",
    ]),
    st.text(max_size=20),
)


def _run(tmp: Path, data: bytes, filter_text: str | None):
    from click.testing import CliRunner

    from granskning.cli import cli

    ram = tmp / "ram.csv"
    ram.write_bytes(data)
    args = ["urval", str(ram), "--id", "id", "--strata", "stadsdel", "--per-stratum", "2",
            "--seed", "7", "--reserv", "1", "--ut", str(tmp / "urval.xlsx")]
    if filter_text is not None:
        args += ["--filter", filter_text]
    return CliRunner().invoke(cli, args)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(), filter_text=filters)
def test_urval_on_any_frame_and_filter_ends_cleanly(data, filter_text):
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result = _run(tmp, data, filter_text)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            repr(result.exception), result.output)
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output and "Oväntat" not in result.output
        left = sorted(p.name for p in tmp.iterdir())
        if result.exit_code == 2:
            assert result.stderr.startswith("Fel: "), result.output
            assert left == ["ram.csv"], left  # nothing half-written, no temp file
        else:
            assert "urval.xlsx" in left and not [n for n in left if n.startswith(".")], left


@settings(max_examples=40, deadline=None)
@given(data=frames())
def test_serial_and_parallel_scan_agree(data):
    """The parallel scan of a large CSV gives the serial result or the serial error."""
    import os

    from granskning.errors import GranskningError
    from granskning.sampling.frame import FrameSpec, read_frame
    from granskning.sampling.framescan import scan_parallel

    old = os.environ.get("GRANSKNING_PROCESSER")
    os.environ["GRANSKNING_PROCESSER"] = "2"
    try:
        _compare(data, GranskningError, FrameSpec, read_frame, scan_parallel)
    finally:
        if old is None:
            del os.environ["GRANSKNING_PROCESSER"]
        else:
            os.environ["GRANSKNING_PROCESSER"] = old


def _compare(data, GranskningError, FrameSpec, read_frame, scan_parallel):  # noqa: N803
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "ram.csv"
        path.write_bytes(data)
        try:
            serial = read_frame(path, id_column="id", strata_column="stadsdel", seed=7, candidates=3)
        except GranskningError as exc:
            serial = str(exc)
        spec = FrameSpec.make("id", "stadsdel", (), None, None, 7)
        try:
            parallel = scan_parallel(path, spec, 3, min_bytes=0)
        except GranskningError as exc:
            parallel = str(exc)
        if parallel is None:  # fell back: read_frame itself then gives the serial answer
            return
        if isinstance(serial, str):
            assert parallel == serial
        else:
            assert not isinstance(parallel, str), parallel
            assert list(parallel.data["id"]) == list(serial.data["id"])
            assert parallel.population == serial.population


cell = st.one_of(
    st.none(), st.integers(-10, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(), st.datetimes(), st.sampled_from(ODD), st.text(max_size=5),
)


@st.composite
def workbooks(draw):
    """An Excel frame: odd headers, cells of every type, short and empty rows."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(v):
        return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

    header = draw(st.lists(st.sampled_from(COLUMNS + ["", None, "id", 5]), min_size=0, max_size=5))
    if draw(st.booleans()):
        header = ["id", "stadsdel"] + header
    wb = Workbook()
    ws = wb.active
    ws.append([clean(h) for h in header])
    for i in range(draw(st.integers(0, 10))):
        row = [draw(st.sampled_from([str(i), i, None, "0012"])), draw(st.sampled_from(["A", "Järva", None, 3]))]
        row += [clean(draw(cell)) for _ in range(draw(st.integers(0, len(header) + 1)))]
        ws.append(row[: draw(st.integers(0, len(row)))] if draw(st.booleans()) else row)
    import io

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=workbooks(), filter_text=filters)
def test_urval_on_any_excel_frame_ends_cleanly(data, filter_text):
    from click.testing import CliRunner

    from granskning.cli import cli

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "ram.xlsx").write_bytes(data)
        args = ["urval", str(tmp / "ram.xlsx"), "--id", "id", "--strata", "stadsdel", "--per-stratum",
                "2", "--seed", "7", "--ut", str(tmp / "urval.xlsx")]
        if filter_text is not None:
            args += ["--filter", filter_text]
        result = CliRunner().invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            repr(result.exception), result.output)
        assert result.exit_code in (0, 2), result.output
        left = sorted(p.name for p in tmp.iterdir())
        if result.exit_code == 2:
            assert result.stderr.startswith("Fel: ") and left == ["ram.xlsx"], (result.output, left)
        else:
            assert left == ["ram.xlsx", "urval.xlsx"], left
