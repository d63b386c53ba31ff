"""Tests for ``granskning skatta`` (CLI over granskning.analysis.estimation)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from granskning.cli import cli

APISTRAT = "/work/shared/testdata/apistrat.csv"


@pytest.fixture()
def api_csv(tmp_path):
    path = tmp_path / "api.csv"
    shutil.copy(APISTRAT, path)
    return path


def run(*args):
    return CliRunner().invoke(cli, ["skatta", *map(str, args)])


def test_json_mean_matches_r_survey(api_csv):
    # R: svymean(~api00, svydesign(id=~1, strata=~stype, fpc=~fpc, data=apistrat))
    #    -> 662.29, SE 9.4089
    r = run(api_csv, "--strata", "stype", "--population", "fpc", "--variabel", "api00", "--json")
    assert r.exit_code == 0, r.output + r.stderr
    out = json.loads(r.stdout)
    assert out["skattning"] == pytest.approx(662.29, abs=0.005)
    assert out["standardfel"] == pytest.approx(9.4089, abs=0.00005)
    assert out["ki"][0] < out["skattning"] < out["ki"][1]
    assert out["designeffekt"] == pytest.approx(1.2045, abs=0.001)  # deff=TRUE, see test_estimation


def test_total_text_output_in_swedish(api_csv):
    # R: svytotal(~enroll, dstrat) -> 3687178, SE 114642
    r = run(api_csv, "--strata", "stype", "--population", "fpc", "--variabel", "enroll", "--typ", "total")
    assert r.exit_code == 0, r.output
    assert "3 687 178" in r.stdout
    assert "114 642" in r.stdout
    assert "Designeffekt" in r.stdout


def test_share_from_semicolon_windows1252_file(tmp_path):
    # Semicolon, Windows-1252 and Swedish labels; a blank answer leaves the domain.
    df = pd.DataFrame({
        "stadsdel": ["Älvsjö"] * 4 + ["Skärholmen"] * 4,
        "N": ["40"] * 4 + ["20"] * 4,
        "svar": ["Ja", "Nej", "Nej", "", "Ja", "Ja", "Nej", "Nej"],
    })
    path = tmp_path / "urval.csv"
    df.to_csv(path, sep=";", index=False, encoding="cp1252")
    r = run(path, "--strata", "stadsdel", "--population", "N", "--variabel", "svar",
            "--typ", "andel", "--varde", "Ja", "--json")
    assert r.exit_code == 0, r.output + r.stderr
    out = json.loads(r.stdout)
    # By hand: Älvsjö 1/3 with weight 10 each, Skärholmen 2/4 with weight 5 each:
    # (10·1 + 5·2) / (10·3 + 5·4) = 20/50 = 0.4
    assert out["skattning"] == pytest.approx(0.4)
    assert out["n"] == 7
    r = run(path, "--strata", "stadsdel", "--population", "N", "--variabel", "svar",
            "--typ", "andel", "--varde", "Ja")
    assert "40,0 %" in r.stdout


def test_missing_column_is_exit_2_with_swedish_message(api_csv):
    r = run(api_csv, "--strata", "stype", "--population", "fpx", "--variabel", "api00")
    assert r.exit_code == 2
    assert 'kolumn "fpx"' in r.stderr
    assert "Traceback" not in r.output + r.stderr
    assert r.stdout == ""


def test_share_without_value_is_exit_2(api_csv):
    r = run(api_csv, "--strata", "stype", "--population", "fpc", "--variabel", "awards", "--typ", "andel")
    assert r.exit_code == 2
    assert "--varde" in r.stderr


def test_bad_confidence_is_exit_2(api_csv):
    r = run(api_csv, "--strata", "stype", "--population", "fpc", "--variabel", "api00", "--konfidens", "95")
    assert r.exit_code == 2
    assert "--konfidens" in r.stderr


def test_command_module_imports_no_heavy_libraries():
    import subprocess
    import sys

    code = (
        "import sys, granskning.cli.skatta;"
        "print(any(m in sys.modules for m in ('pandas', 'numpy', 'scipy', 'statsmodels', 'matplotlib')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_share_interval_option_and_its_name(api_csv):
    # R: svyciprop(~I(sch.wide=="Yes"), dstrat, method="beta")  -> CI 0.774171331328184 0.87343159530707
    #    svyciprop(~I(sch.wide=="Yes"), dstrat, method="logit") -> CI 0.774539657073758 0.870814857199849
    base = [api_csv, "--strata", "stype", "--population", "fpc", "--variabel", "sch.wide", "--typ", "andel",
            "--varde", "Yes"]
    r = run(*base)
    assert r.exit_code == 0, r.output
    assert "77,4 % – 87,3 % (Korn–Graubards betaintervall med effektiv urvalsstorlek)" in r.stdout
    assert "200 rader i 3 strata" in r.stdout
    r = run(*base, "--intervall", "logit", "--json")
    out = json.loads(r.stdout)
    assert out["intervall"] == "logit"
    assert out["ki"] == pytest.approx([0.774539657073758, 0.870814857199849], abs=1e-8)
    r = run(*base, "--intervall", "wald", "--json")
    assert json.loads(r.stdout)["intervall"] == "wald"
    r = run(api_csv, "--strata", "stype", "--population", "fpc", "--variabel", "api00", "--intervall", "beta")
    assert r.exit_code == 2 and "gäller --typ andel" in r.stderr
