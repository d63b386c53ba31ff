"""Issue 9, items 12, 13 and 17 (output side): what ``urval`` writes is text as text, verified
whole, readable by every later step, and written all or nothing."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.cli import cli

HOSTILE = ["=1+2", "+S", "-3", "@SUM(A1)", "#N/A", "=HYPERLINK(\"http://x\",\"y\")"]


def run(*args: str):
    args = list(args)
    if args[:1] == ["ny"] and "--db" in args:  # only db init creates a database
        db = args[args.index("--db") + 1]
        if not Path(db).exists():
            r = CliRunner().invoke(cli, ["db", "init", "--db", db])
            assert r.exit_code == 0, r.output
    return CliRunner().invoke(cli, args)


def write_frame(path: Path, n: int = 120, strata: int = 3, note=lambda i: "x") -> Path:
    rows = ["arende_id;stadsdel;anteckning"]
    for i in range(1, n + 1):
        rows.append(f"FB-{i:05d};S{i % strata:03d};{note(i)}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def draw(ram: Path, out: Path, *extra: str):
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "11", "--reserv", "1", "--ut", str(out), *extra)
    assert r.exit_code == 0, r.output
    return r


def verify(out: Path, ram: Path):
    return run("urval", "--verifiera", str(out), str(ram))


# -- item 12: formula injection ---------------------------------------------------------------


def test_hostile_frame_values_stay_text_and_verify(tmp_path):
    # ids, strata and kept columns that Excel would run as formulas
    rows = ["arende_id;stadsdel;anteckning"]
    for i in range(60):
        rows.append(f"{HOSTILE[i % 6]}{i};{HOSTILE[i % 3]};{HOSTILE[(i + 1) % 6]}")
    ram = tmp_path / "ram.csv"
    ram.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "urval.xlsx"
    draw(ram, out, "--kolumner", "anteckning")
    wb = load_workbook(out)  # not data_only: a formula would show as a formula
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and cell.data_type != "e", (ws.title, cell.coordinate)
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    seen += 1
    assert seen > 20
    v = verify(out, ram)
    assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), v.output
    db = tmp_path / "g.db"
    assert run("db", "init", "--db", str(db)).exit_code == 0
    r = run("ny", "--urval", str(out), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
            "--db", str(db))
    assert r.exit_code == 0, r.output
    r = run("lista", "--granskning", "1", "--urval", str(out), "--db", str(db), "--json")
    assert r.exit_code == 0, r.output
    ids = {e["ärende_id"] for e in json.loads(r.stdout)["ärenden"]}
    assert any(i.startswith("=") for i in ids)
    lst = tmp_path / "lista.xlsx"
    r = run("lista", "--granskning", "1", "--urval", str(out), "--db", str(db), "--ut", str(lst))
    assert r.exit_code == 0, r.output
    assert not [c for row in load_workbook(lst)["Lista"].iter_rows() for c in row
                if c.data_type in ("f", "e")]


def test_free_text_answer_starting_with_equals_round_trips(tmp_path):
    from granskning.answers.excel import export_template, import_answers
    from granskning.store.database import Store
    from tests.answers.test_answers_excel import CHK, COMPLETE, make_audit

    with Store.open(str(tmp_path / "g.db"), create=True) as store:
        store.migrate()
        audit = make_audit(store)
        for case, text in (("FB-1", "=ja, se akten"), ("FB-2", "@Bo: -2 dagar")):
            store.set_answers(audit, [(case, k, v) for k, v in {**COMPLETE, "F24": text}.items()],
                              who="Anna")
        out = tmp_path / "mall.xlsx"
        export_template(store, audit, out)
        ws = load_workbook(out)["Svar"]
        col = next(c.column for c in ws[1] if c.value == "F24")
        cells = {ws.cell(r, 1).value: ws.cell(r, col) for r in range(2, ws.max_row + 1)}
        assert cells["FB-1"].data_type == "s" and cells["FB-1"].value == "=ja, se akten"
        assert cells["FB-1"].quotePrefix
        # Re-import the unchanged template: nothing changes, nothing is deleted.
        import_answers(store, audit, out, who="Anna", checklist=CHK)
        assert store.answers_frame(audit).set_index("case_id").loc["FB-1", "F24"] == "=ja, se akten"
        assert store.answers_frame(audit).set_index("case_id").loc["FB-2", "F24"] == "@Bo: -2 dagar"


def test_formula_typed_into_template_is_refused_not_deleted(tmp_path):
    from granskning.answers.excel import export_template
    from granskning.store.database import Store
    from tests.answers.test_answers_excel import COMPLETE, make_audit

    db = tmp_path / "g.db"
    with Store.open(str(db), create=True) as store:
        store.migrate()
        audit = make_audit(store)
        store.set_answers(audit, [("FB-1", k, v) for k, v in {**COMPLETE, "F24": "viktigt"}.items()],
                          who="Anna")
        out = tmp_path / "mall.xlsx"
        export_template(store, audit, out)
    wb = load_workbook(out)
    ws = wb["Svar"]
    col = next(c.column for c in ws[1] if c.value == "F24")
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "FB-1")
    ws.cell(row, col).value = "=1+1"  # what Excel stores when a user types =1+1
    wb.save(out)
    r = run("svar", "importera", str(out), "--granskning", str(audit), "--db", str(db),
            "--granskare", "Anna")
    assert r.exit_code == 2, r.output
    assert "formel" in r.output and f"rad {row}" in r.output and "Oväntat fel" not in r.output
    with Store.open(str(db)) as store:
        assert store.answers_frame(audit).set_index("case_id").loc["FB-1", "F24"] == "viktigt"


# -- item 13: verification covers everything a later step reads ---------------------------------


def _edit(out: Path, sheet: str, find, value) -> None:
    wb = load_workbook(out)
    ws = wb[sheet]
    for row in ws.iter_rows():
        for cell in row:
            if find(cell):
                cell.value = value
                wb.save(out)
                return
    raise AssertionError("cell not found")


def _header_is(name):
    def find(cell):
        return cell.row == 2 and cell.parent.cell(1, cell.column).value == name
    return find


def _label_is(name):
    def find(cell):
        return cell.column == 2 and cell.parent.cell(cell.row, 1).value == name
    return find


EDITS = [
    ("Urval", _header_is("Vikt"), 99.0),
    ("Urval", _header_is("Inklusionssannolikhet"), 0.5),
    ("Urval", _header_is("stadsdel"), "S001"),
    ("Urval", _header_is("Dragordning"), 3),
    ("Urval", _header_is("anteckning"), "ändrad"),
    ("Reserver", _header_is("arende_id"), "FB-99999"),
    ("Urvalsprotokoll", _label_is("Seed"), "12"),
    ("Urvalsprotokoll", _label_is("Filter"), "alder < 3"),
    ("Urvalsprotokoll", _label_is("Populationens storlek (N)"), 5),
]


@pytest.mark.parametrize(("sheet", "find", "value"), EDITS,
                         ids=[f"{s}-{i}" for i, (s, _f, _v) in enumerate(EDITS)])
def test_edited_workbook_fails_verification_and_ny_refuses_it(tmp_path, sheet, find, value):
    ram = write_frame(tmp_path / "ram.csv")
    out = tmp_path / "urval.xlsx"
    draw(ram, out, "--kolumner", "anteckning")
    _edit(out, sheet, find, value)
    v = verify(out, ram)
    assert v.exit_code == 1 and v.stdout.startswith("Skiljer sig"), v.output
    assert run("db", "init", "--db", str(tmp_path / "g.db")).exit_code == 0
    r = run("ny", "--urval", str(out), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
            "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 2, r.output
    assert "har ändrats" in r.output and "Oväntat fel" not in r.output


def test_many_strata_round_trip(tmp_path):
    ram = write_frame(tmp_path / "ram.csv", n=2000, strata=500)
    out = tmp_path / "urval.xlsx"
    draw(ram, out)
    v = verify(out, ram)
    assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), v.output
    assert run("db", "init", "--db", str(tmp_path / "g.db")).exit_code == 0
    r = run("ny", "--urval", str(out), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
            "--db", str(tmp_path / "g.db"), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ärenden"] == 1500


def test_long_field_refused_for_xlsx_and_kept_whole_in_json_and_csv(tmp_path):
    long = "x" * 40_000
    ram = write_frame(tmp_path / "ram.csv", note=lambda i: long)
    out = tmp_path / "urval.xlsx"
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "11", "--kolumner", "anteckning", "--ut", str(out))
    assert r.exit_code == 2, r.output
    assert "32767" in r.output.replace(" ", "") and "anteckning" in r.output
    assert "Oväntat fel" not in r.output and not out.exists()
    assert list(tmp_path.iterdir()) == [ram]
    for name in ("urval.json", "urval.csv"):
        out = tmp_path / name
        draw(ram, out, "--kolumner", "anteckning")
        v = verify(out, ram)
        assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), (name, v.output)


@pytest.mark.parametrize("suffix", ["json", "csv", "xlsx"])
def test_every_format_verifies_without_reserves_and_with_exclusions(tmp_path, suffix):
    ram = write_frame(tmp_path / "ram.csv")
    first = tmp_path / f"forra.{suffix}"
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "11", "--ut", str(first))
    assert r.exit_code == 0, r.output
    v = verify(first, ram)
    assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), v.output
    earlier = tmp_path / "forra_tabell.xlsx"
    draw(ram, earlier)
    second = tmp_path / f"andra.{suffix}"
    draw(ram, second, "--uteslut", str(earlier))
    v = verify(second, ram)
    assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), v.output
    assert run("db", "init", "--db", str(tmp_path / "g.db")).exit_code == 0
    r = run("ny", "--urval", str(second), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
            "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 0, r.output


def test_edited_csv_and_json_samples_are_caught(tmp_path):
    ram = write_frame(tmp_path / "ram.csv")
    csv_out = tmp_path / "urval.csv"
    draw(ram, csv_out)
    text = csv_out.read_text(encoding="utf-8-sig")
    csv_out.write_text(text.replace(";S001;", ";S002;", 1), encoding="utf-8-sig")
    v = verify(csv_out, ram)
    assert v.exit_code == 1, v.output
    json_out = tmp_path / "urval.json"
    draw(ram, json_out)
    doc = json.loads(json_out.read_text(encoding="utf-8"))
    doc["urval"][0]["Vikt"] = 1.0
    json_out.write_text(json.dumps(doc), encoding="utf-8")
    assert verify(json_out, ram).exit_code == 1
    assert run("db", "init", "--db", str(tmp_path / "g.db")).exit_code == 0
    r = run("ny", "--urval", str(json_out), "--checklista", "forhandsbedomning-0-12", "--titel",
            "T", "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 2 and "har ändrats" in r.output, r.output


@pytest.mark.parametrize("key", ["strata", "design", "ram"])
def test_json_sample_missing_a_part_is_a_swedish_error(tmp_path, key):
    ram = write_frame(tmp_path / "ram.csv")
    out = tmp_path / "urval.json"
    draw(ram, out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    del doc["urvalsprotokoll"][key]
    out.write_text(json.dumps(doc), encoding="utf-8")
    assert run("db", "init", "--db", str(tmp_path / "g.db")).exit_code == 0
    for args in (["urval", "--verifiera", str(out), str(ram)],
                 ["ny", "--urval", str(out), "--checklista", "forhandsbedomning-0-12",
                  "--titel", "T", "--db", str(tmp_path / "g.db")]):
        r = run(*args)
        assert r.exit_code == 2, r.output
        assert f'"{key}"' in r.output and "Oväntat fel" not in r.output


# -- item 17, output side ------------------------------------------------------------------------


def test_full_disk_leaves_nothing_not_even_the_record(tmp_path, monkeypatch):
    from granskning.sampling import samplebook

    ram = write_frame(tmp_path / "ram.csv")

    def full(sample, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write("FB-00001;")  # real ids reach the temporary file before the disk fills
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(samplebook, "_write_csv", full)
    out = tmp_path / "x.csv"
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "1", "--ut", str(out))
    assert r.exit_code == 2, r.output
    assert "disken är full" in r.output and "x.csv" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ram.csv"]  # no orphan .protokoll.json


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.ENOSPC])
@pytest.mark.parametrize("suffix", ["xlsx", "csv", "json"])
def test_unwritable_directory_is_a_swedish_error(tmp_path, monkeypatch, code, suffix):
    # Tests may run as root, for whom chmod does not block writing: fail the file system call.
    ram = write_frame(tmp_path / "ram.csv")
    target = tmp_path / "ut"
    target.mkdir()
    real_open = os.open

    def refuse(path, flags, *a, **k):
        if str(path).startswith(str(target)):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", refuse)
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "1", "--ut", str(target / f"u.{suffix}"))
    assert r.exit_code == 2, r.output
    assert "kan inte skriva filen" in r.output and "Oväntat fel" not in r.output
    assert list(target.iterdir()) == []


def test_real_read_only_directory(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into a chmod 0500 directory; covered by the monkeypatched test")
    ram = write_frame(tmp_path / "ram.csv")
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum",
                "3", "--seed", "1", "--ut", str(target / "u.xlsx"))
        assert r.exit_code == 2 and "behörighet saknas" in r.output, r.output
    finally:
        target.chmod(0o700)


CHILD = r"""
import sys, time
from pathlib import Path
from granskning.sampling import samplebook  # where urval --ut writes through
try:
    from granskning import files as outfile
    outfile.USE_O_TMPFILE = {use_tmpfile}
except ImportError:
    pass

def writer(tmp):
    with open(tmp, "w") as f:
        f.write("19121212-1212;FB-00001\n")
        f.flush()
    print("klar", flush=True)
    time.sleep(60)

samplebook.atomic_write(Path(sys.argv[1]), writer)
"""


@pytest.mark.parametrize("use_tmpfile", [True, False])
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_signal_during_write_leaves_no_file_with_ids(tmp_path, sig, use_tmpfile):
    import signal
    import subprocess
    import sys

    out_dir = tmp_path / "ut"
    out_dir.mkdir()
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(use_tmpfile=use_tmpfile),
                              str(out_dir / "urval.xlsx")], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "klar"
    child.send_signal(getattr(signal, sig))
    rc = child.wait(timeout=30)
    left = sorted(p.name for p in out_dir.iterdir())
    if sig == "SIGTERM":
        assert rc == 128 + signal.SIGTERM
        assert left == []
    elif use_tmpfile:
        assert left == []  # O_TMPFILE: the unnamed file dies with the process
    else:
        # kill -9 cannot be caught: the named fallback leaves a visible (not hidden), owner-only
        # file, which the next write into the directory removes.
        assert len(left) == 1 and not left[0].startswith(".") and ".granskning-tmp-" in left[0]
        assert (os.stat(out_dir / left[0]).st_mode & 0o077) == 0
        from granskning.files import atomic_write

        atomic_write(out_dir / "annan.json", lambda p: p.write_text("{}"))
        assert sorted(p.name for p in out_dir.iterdir()) == ["annan.json"]


# -- real file systems: a full and a read-only tmpfs (needs mount rights, e.g. root in CI) ------


@pytest.fixture
def tiny_fs(tmp_path):
    """Return a mount factory: a tmpfs of 12 kB filled to the brim, or mounted read-only."""
    import subprocess

    mounted: list[Path] = []

    def mount(kind: str) -> Path:
        point = tmp_path / kind
        point.mkdir()
        opts = "size=12k" + (",ro" if kind == "ro" else "")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(point)],
                           capture_output=True)
        if r.returncode:
            pytest.skip("tmpfs cannot be mounted here; the monkeypatched tests cover the logic")
        mounted.append(point)
        if kind == "full":
            with open(point / "fyllnad", "wb") as f:
                with pytest.raises(OSError):
                    f.write(b"\0" * 64_000)
                    f.flush()
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", str(point)], check=False)


@pytest.mark.parametrize("kind", ["full", "ro"])
def test_real_full_or_read_only_file_system(tmp_path, tiny_fs, kind):
    ram = write_frame(tmp_path / "ram.csv", n=600)
    db = tmp_path / "g.db"
    sample = tmp_path / "urval.xlsx"
    draw(ram, sample)
    assert run("ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
               "--titel", "T", "--db", str(db)).exit_code == 0
    point = tiny_fs(kind)
    before = sorted(p.name for p in point.iterdir())
    base = ["urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "11", "--ut"]
    commands = [
        [*base, str(point / "u.xlsx")],
        [*base, str(point / "u.csv")],
        [*base, str(point / "u.json")],
        ["svar", "exportera", "--granskning", "1", "--db", str(db), "--ut", str(point / "m.xlsx")],
        ["lista", "--granskning", "1", "--urval", str(sample), "--db", str(db),
         "--ut", str(point / "l.xlsx")],
    ]
    reason = "disken är full" if kind == "full" else "skrivskyddad"
    for args in commands:
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert reason in r.output and "Oväntat fel" not in r.output, r.output
        assert sorted(p.name for p in point.iterdir()) == before, args


def test_workbook_saved_again_by_excel_still_verifies(tmp_path):
    # Excel keeps 15 significant digits: a workbook opened and saved there holds n/N rounded.
    # That is the same sample, not an edit; a real edit of a weight is still caught (EDITS).
    ram = write_frame(tmp_path / "ram.csv", n=103, strata=3)
    out = tmp_path / "urval.xlsx"
    draw(ram, out)
    wb = load_workbook(out)
    rounded = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, float) and float(f"{cell.value:.15g}") != cell.value:
                    cell.value = float(f"{cell.value:.15g}")
                    rounded += 1
    assert rounded > 0
    wb.save(out)
    v = verify(out, ram)
    assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), v.output
    r = run("ny", "--urval", str(out), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
            "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("suffix", ["xlsx", "csv", "json"])
def test_earlier_sample_in_any_format_excludes_its_drawn_cases_only(tmp_path, suffix):
    # Before: a CSV sample excluded its reserves too (read as a table), a JSON one was refused.
    ram = write_frame(tmp_path / "ram.csv")
    first = tmp_path / f"forra.{suffix}"
    draw(ram, first)  # 3 per stratum and 1 reserve each
    out = tmp_path / "andra.json"
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
            "--seed", "11", "--uteslut", str(first), "--ut", str(out), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["uteslutna"] == 9
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["uteslutna"]) == 9
    v = verify(out, ram)
    assert v.exit_code == 0, v.output


def test_every_workbook_the_tool_writes_holds_text_as_text(tmp_path):
    from tests.answers.test_answers_excel import COMPLETE

    rows = ["arende_id;stadsdel;kon;alder"]
    for i in range(1, 121):
        rows.append(f"=ID{i};{['=A1+1', '+B', '@C'][i % 3]};{'fm'[i % 2]};{i % 12}")
    ram = tmp_path / "ram.csv"
    ram.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = str(tmp_path / "g.db")
    sample, template = tmp_path / "u.xlsx", tmp_path / "m.xlsx"
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "4",
            "--seed", "1", "--kolumner", "kon,alder", "--ut", str(sample))
    assert r.exit_code == 0, r.output
    for args in (
        ["ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12", "--titel", "=T",
         "--kon", "kon", "--alder", "alder", "--db", db],
        ["svar", "exportera", "--granskning", "1", "--db", db, "--ut", str(template)],
    ):
        r = run(*args)
        assert r.exit_code == 0, r.output
    wb = load_workbook(template)
    ws = wb["Svar"]
    cols = {c.value: c.column for c in ws[1]}
    for row in range(2, ws.max_row + 1):
        for key, value in COMPLETE.items():
            ws.cell(row, cols[key]).value = value
    wb.save(template)
    written = [tmp_path / "t.xlsx", tmp_path / "r.xlsx", tmp_path / "l.xlsx"]
    for args in (
        ["svar", "importera", str(template), "--granskning", "1", "--db", db],
        ["analys", "--granskning", "1", "--db", db, "--ut", str(written[0])],
        ["rapport", "--granskning", "1", "--db", db, "--ut", str(written[1])],
        ["lista", "--granskning", "1", "--urval", str(sample), "--db", db, "--ut", str(written[2])],
    ):
        r = run(*args)
        assert r.exit_code == 0, (args, r.output)
    for path in [sample, template, *written]:
        wb = load_workbook(path)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type in ("f", "e")], path.name
        hostile = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+@"]
        assert hostile and all(c.quotePrefix for c in hostile), path.name


def test_sample_written_by_the_previous_version_still_reads(tmp_path):
    # Format 1 (before the content digest): the CSV's record beside it was the bare record, and
    # pandas wrote the reserves' order as "1.0". It verifies and ny reads it.
    ram = write_frame(tmp_path / "ram.csv")
    out = tmp_path / "urval.csv"
    draw(ram, out)
    side = tmp_path / "urval.protokoll.json"
    record = json.loads(side.read_text(encoding="utf-8"))["urvalsprotokoll"]
    del record["innehall_sha256"]
    record["format"] = 1
    side.write_text(json.dumps(record), encoding="utf-8")
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    at = header.index("Reservordning")
    fixed = [lines[0]]
    for line in lines[1:]:
        cells = line.split(";")
        if cells[at]:
            cells[at] += ".0"
        fixed.append(";".join(cells))
    out.write_text("\r\n".join(fixed) + "\r\n", encoding="utf-8-sig")
    v = verify(out, ram)
    assert v.exit_code == 0 and v.stdout.startswith("Identiskt"), v.output
    r = run("ny", "--urval", str(out), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
            "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("how", ["linkat", "copy", "named"])
def test_atomic_write_each_way_gives_the_whole_file_0600(tmp_path, monkeypatch, how):
    from granskning import files as outfile

    if how == "copy":  # no linkat (e.g. a file system that refuses it): the content is copied
        monkeypatch.setattr(outfile, "_linkat_follow", lambda src, dst: False)
    if how == "named":
        monkeypatch.setattr(outfile, "USE_O_TMPFILE", False)
    data = b"FB-1;" * 300_000
    target = tmp_path / "u.csv"
    outfile.atomic_write(target, lambda p: p.write_bytes(data))
    assert target.read_bytes() == data
    assert (target.stat().st_mode & 0o077) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["u.csv"]
    # A failing writer leaves the earlier file as it was and no temporary file.
    with pytest.raises(RuntimeError):
        outfile.atomic_write(target, lambda p: (p.write_bytes(b"half"), (_ for _ in ()).throw(
            RuntimeError("stop")))[0])
    assert target.read_bytes() == data and [p.name for p in tmp_path.iterdir()] == ["u.csv"]
