"""`granskning urval` through the CLI: text, JSON, files, verification and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from granskning.cli import cli


@pytest.fixture
def ram(tmp_path) -> Path:
    rows = ["arende_id;stadsdel;alder;beslut"]
    districts = ["Bromma", "Farsta", "Järva"]
    for i in range(1, 301):
        d = districts[i % 3] if i > 10 else "Farsta"
        rows.append(f"FB-{i:05d};{d};{i % 15};{'Ingen utredning inleds' if i % 4 else 'Utredning inleds'}")
    path = tmp_path / "ram.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_draw_writes_workbook_and_prints_summary(ram, tmp_path):
    out = tmp_path / "urval.xlsx"
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "26",
            "--seed", "2024", "--reserv", "2", "--ut", str(out))
    assert r.exit_code == 0, r.output
    assert "Järva" in r.stdout and "Totalt" in r.stdout and out.exists()
    assert "CSV, Windows-1252, semikolon" in r.stdout
    v = run("urval", "--verifiera", str(out), str(ram))
    assert v.exit_code == 0, v.output
    assert v.stdout.startswith("Identiskt:")


def test_json_output_is_one_object(ram):
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--totalt", "30",
            "--fordelning", "proportionell", "--seed", "1", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["n"] == 30 and sum(s["n"] for s in doc["strata"]) == 30


def test_filter_applies(ram):
    r = run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "5",
            "--seed", "1", "--filter", "beslut == 'Ingen utredning inleds' and alder <= 12", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["rader_lasta"] == 300 and doc["rader_efter_filter"] < 300


def test_protocol_file_supplies_mapping(ram, tmp_path):
    proto = tmp_path / "p.yaml"
    proto.write_text(
        "titel: Test\nram:\n  id: arende_id\n  strata: stadsdel\nurval:\n  per_stratum: 4\n  seed: 9\n",
        encoding="utf-8",
    )
    r = run("urval", str(ram), "--protokoll", str(proto), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["n"] == 12


def test_seed_drawn_when_missing_is_reported(ram):
    r = run("urval", str(ram), "--id", "arende_id", "--per-stratum", "3", "--json")
    assert r.exit_code == 0
    assert "slumpat seed" in r.stderr
    assert json.loads(r.stdout)["seed"] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "saknas", "--per-stratum", "3", "--seed", "1"], 'kolumn "saknas": kolumnen finns inte'),
        (["--id", "arende_id", "--seed", "1"], "antingen --per-stratum eller --totalt"),
        (["--id", "arende_id", "--per-stratum", "3", "--seed", "1", "--filter", "open('x')"], "okänd funktion"),
        (["--id", "arende_id", "--per-stratum", "3", "--seed", "1", "--ut", "x.docx"], "okänt filformat"),
        (["--id", "arende_id", "--strata", "stadsdel", "--totalt", "9999", "--seed", "1"], ""),
    ],
)
def test_bad_input_exit_2_without_traceback(ram, tmp_path, args, message):
    r = run("urval", str(ram), *args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.stderr.startswith("Fel: ")
    assert message in r.stderr
    assert not list(tmp_path.glob("*.xlsx"))


def test_duplicate_ids_nothing_written(tmp_path):
    path = tmp_path / "ram.csv"
    path.write_text("id;s\nA;x\nA;y\n", encoding="utf-8")
    out = tmp_path / "u.xlsx"
    r = run("urval", str(path), "--id", "id", "--strata", "s", "--per-stratum", "1", "--seed", "1", "--ut", str(out))
    assert r.exit_code == 2
    assert 'ram.csv, rad 3, kolumn "id": samma ärende-id som på rad 2' in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".u.xlsx*"))


def test_verify_reports_difference_with_exit_1(ram, tmp_path):
    out = tmp_path / "u.xlsx"
    assert run("urval", str(ram), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
               "--seed", "5", "--ut", str(out)).exit_code == 0
    ram.write_bytes(ram.read_bytes().replace(b"FB-00011;", b"FB-99911;"))
    r = run("urval", "--verifiera", str(out), str(ram))
    assert r.exit_code == 1
    assert "ramfilen" in r.stdout.lower()


def test_help_lists_options_in_swedish():
    r = run("urval", "--help")
    assert r.exit_code == 0
    assert "--per-stratum" in r.stdout and "Användning:" in r.stdout
