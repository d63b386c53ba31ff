"""README.md's chain, run as written in an empty directory (issue 12, item 10).

The code block under "## Hela kedjan" is parsed and every line is run: shell
lines (``mkdir``, ``cd``) as such, ``granskning`` commands through the CLI.
The two human steps are done as a person would: ``kontroll`` runs under a
pseudo-terminal where one case is answered key by key, and the exported
``mall.xlsx`` is filled in (the comment on its line says so).  A command the
test does not know fails it, so the README cannot drift from the tool.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.cli import cli

sys.path.insert(0, str(Path(__file__).parent / "answers"))
from pty_driver import Terminal  # noqa: E402

README = Path(__file__).resolve().parents[1] / "README.md"
EXE = Path(sys.executable).parent / "granskning"
ENTER = "\r"
# One whole case of forhandsbedomning-0-12 (19 questions shown), as typed: the keys in front
# of the answers, a number, no answer to the optional note, "Klar".
ONE_CASE = ["s", "1" + ENTER, "n", "n", "j", "i", "9" + ENTER, "f", "n", "j", "j", "n", "g",
            "n", "j", "i", "n", "n", "j", "i", "j", ENTER, ENTER]
FILLED = {
    "F1": "Polisen", "F2": "Våld mot barnet", "F13": "Nej", "F15": "Nej", "F3": "Ja",
    "F4": "Inom 14 dagar", "F5": "Endast telefon", "F5_hembesok": "Nej", "F7": "Ja", "F9": "Ja",
    "F10": "God", "F11": "Nej", "F16": "Ja", "F17": "Ingen kvarstående oro", "F18": "Nej",
    "F19": "Nej", "F20": "Ja", "F21": "Till föräldrar", "F22": "Ej aktuellt",
}  # fmt: skip


def chain() -> list[str]:
    """Return the lines of the code block under "## Hela kedjan" in README.md."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Hela kedjan"):]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S)
    assert block, "README.md: no ```sh block under ## Hela kedjan"
    return [line for line in block.group(1).splitlines() if line.strip()]


def fill_template(path: Path, rows: int) -> None:
    """Fill in the first ``rows`` cases of an exported template, as a reviewer in Excel would."""
    wb = load_workbook(path)
    ws = wb["Svar"]
    cols = {c.value: c.column for c in ws[1]}
    done = 0
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, cols["F1"]).value is not None:  # answered in kontroll: leave it
            continue
        for key, value in FILLED.items():
            ws.cell(row, cols[key]).value = value
        done += 1
        if done == rows:
            break
    wb.save(path)


def kontroll(args: list[str], env: dict[str, str]) -> str:
    """Run ``granskning kontroll`` on a pty, answer the first case, then leave with Ctrl-C."""
    term = Terminal([str(EXE), *args], env=env, cwd=os.getcwd())
    try:
        term.expect("Välj ärende (0 av 96 klara)")
        term.type(ENTER)
        term.expect("F1:")
        for keys in ONE_CASE:
            term.type(keys)
            term.settle(0.1)
        term.expect("Välj ärende (1 av 96 klara)")
        term.type("\x03")
        assert term.wait() == 130
        return term.text()
    finally:
        term.close()


@pytest.mark.skipif(not EXE.exists(), reason="granskning är inte installerat i miljön")
def test_readme_chain_runs_as_written_in_an_empty_directory(tmp_path, monkeypatch):
    home, work = tmp_path / "hem", tmp_path / "tom"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))  # the key file is made under it by ny
    monkeypatch.delenv("GRANSKNING_NYCKEL", raising=False)
    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    monkeypatch.chdir(work)
    runner = CliRunner()
    seen: list[str] = []
    outputs: dict[str, str] = {}
    for line in chain():
        for part in " ".join(shlex.split(line, comments=True)).split(" && "):
            args = shlex.split(part)
            if args[0] == "mkdir":
                os.mkdir(args[1])
                continue
            if args[0] == "cd":
                os.chdir(args[1])
                continue
            assert args[0] == "granskning", f"README.md: okänt kommando {line!r}"
            seen.append(args[1])
            if args[1] == "kontroll":
                outputs["kontroll"] = kontroll(args[1:], dict(os.environ))
                continue
            r = runner.invoke(cli, args[1:])
            assert r.exit_code == 0, f"{part}\n{r.output}"
            outputs.setdefault(" ".join(args[1:3]), r.output)
            if args[1:3] == ["svar", "exportera"]:
                fill_template(Path(args[args.index("--ut") + 1]), rows=40)
    assert seen[:4] == ["exempel", "db", "ny", "tilldela"]
    assert {"kontroll", "status", "svar", "analys", "rapport", "historik", "lista"} <= set(seen)
    assert (home / ".config" / "granskning" / "nyckel").exists()
    here = Path.cwd()
    for name in ("ram.csv", "analys.md", "granskning.db", "urval.xlsx", "mall.xlsx",
                 "tabeller.xlsx", "rapport.pdf", "publicering.pdf", "tabeller.json"):
        assert (here / name).exists(), name
    assert "Granskare" not in outputs["kontroll"].split("Välj ärende")[0]  # --granskare given
    assert "Ärendet är markerat som granskat (1 av 96 klara)." in outputs["kontroll"]
    assert "Anna" in outputs["status --granskning"]
    assert "Ärendena tillhör:" in outputs["svar importera"]


def test_a_failed_ny_leaves_no_key_file(tmp_path, monkeypatch):
    home = tmp_path / "hem"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GRANSKNING_NYCKEL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "init"]).exit_code == 0
    (tmp_path / "fel.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    for frame in ("saknas.csv", "fel.csv"):
        r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", frame])
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
        assert not (home / ".config" / "granskning" / "nyckel").exists(), frame
    r = runner.invoke(cli, ["exempel"])
    assert r.exit_code == 0
    r = runner.invoke(cli, ["ny", "forhandsbedomningar-2024", "--ram", "ram.csv"])
    assert r.exit_code == 0, r.output
    key = home / ".config" / "granskning" / "nyckel"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    r = runner.invoke(cli, ["exempel"])  # never overwrites
    assert r.exit_code == 2 and "ram.csv finns redan" in r.stderr
