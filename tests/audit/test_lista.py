"""``granskning lista`` in the README's order (urval, ny, tilldela, lista) on an audit with reserves."""

from __future__ import annotations

import json

from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.cli import cli


def _audit_with_reserves_assigned(tmp_path, db_url):
    frame = tmp_path / "ram.csv"
    rows = ["arende_id;stadsdel"] + [f"B{i};Bromma" for i in range(1, 8)] + [
        f"F{i};Farsta" for i in range(1, 9)]
    frame.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sample = tmp_path / "urval.xlsx"
    runner = CliRunner()
    for args in (
        ["urval", str(frame), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", "3",
         "--reserv", "2", "--seed", "7", "--ut", str(sample)],
        ["db", "init", "--db", db_url],
        ["ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
         "--db", db_url],
        ["tilldela", "--granskning", "1", "--granskare", "anna,bo", "--db", db_url],
    ):
        r = runner.invoke(cli, args)
        assert r.exit_code == 0, r.output
    return sample


def test_lista_after_tilldela_with_reserves(tmp_path, db_url):
    # Crashed with TypeError (exit 1): pandas 3 read the reserves' missing reviewer as NaN.
    sample = _audit_with_reserves_assigned(tmp_path, db_url)
    runner = CliRunner()
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "Oväntat fel" not in r.output
    reserve_lines = [line for line in r.stdout.splitlines() if "(reserv)" in line]
    assert len(reserve_lines) == 4 and all("nan" not in line for line in reserve_lines)

    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url,
                            "--json"])
    assert r.exit_code == 0, r.output
    assert "NaN" not in r.stdout
    doc = json.loads(r.stdout)  # strict JSON: NaN would be refused below
    json.loads(r.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    reserves = [e for e in doc["ärenden"] if e["reserv"]]
    assert len(reserves) == 4
    assert all(e["granskare"] is None and e["status"] is None for e in reserves)
    assert all(isinstance(e["granskare"], str) for e in doc["ärenden"] if not e["reserv"])

    out = tmp_path / "lista.xlsx"
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url,
                            "--ut", str(out)])
    assert r.exit_code == 0, r.output
    ws = load_workbook(out)["Lista"]
    values = [c.value for row in ws.iter_rows(min_row=3) for c in row]
    assert not any(isinstance(v, float) for v in values)  # no NaN cells
