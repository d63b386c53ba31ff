"""The bundled example data and `granskning demo`."""

from __future__ import annotations

from click.testing import CliRunner

from granskning import exempel
from granskning.cli import cli
from granskning.sampling import read_record


def test_bundled_export_is_exactly_what_the_generator_writes(tmp_path):
    fresh = exempel.make_export(tmp_path / "x.csv")
    assert fresh.read_bytes() == exempel.export_path().read_bytes()


def test_bundled_export_has_no_personnummer():
    import re

    text = exempel.export_path().read_bytes().decode("cp1252")
    assert not re.search(r"\b(19|20)?\d{6}[-+]?\d{4}\b", text)


def test_demo_draws_26_per_district_and_verifies(tmp_path):
    r = CliRunner().invoke(cli, ["demo", "--ut", str(tmp_path)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "±5,8 procentenheter" in r.stdout  # 1.96·sqrt(0.25/286), DOMAIN.md §1.1
    assert "±19,2 procentenheter" in r.stdout  # n = 26
    assert "återskapas exakt" in r.stdout
    rec = read_record(tmp_path / "urval.xlsx")
    assert rec["n_totalt"] == 286 and len(rec["strata"]) == 11
    assert {s["n"] for s in rec["strata"]} == {26}
