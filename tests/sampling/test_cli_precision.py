"""CLI tests for ``granskning felmarginal``, ``storlek`` and ``stickprov``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)  # exactly one JSON object on stdout


# --- felmarginal ---------------------------------------------------------------------------


def test_felmarginal_text_for_the_2024_audit():
    # DOMAIN.md §1.1: n = 286 gives "felmarginal om cirka 5,8 procent".
    result = run("felmarginal", "--n", "286")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "Felmarginal: ±5,8 procentenheter (95 % konfidens, n = 286, andel 50 %)"
    )


def test_felmarginal_json():
    data = run_json("felmarginal", "--n", "26")
    assert data["n"] == 26
    assert data["felmarginal"] == pytest.approx(0.192, abs=5e-4)  # DOMAIN.md §1.1: ±19.2
    assert data["population"] is None
    assert data["konfidens"] == 0.95 and data["andel"] == 0.5
    with_pop = run_json("felmarginal", "--n", "286", "--population", "1000", "--andel", "30")
    assert with_pop["population"] == 1000 and with_pop["andel"] == 0.3
    assert with_pop["felmarginal"] < 0.058


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_felmarginal_stratified_file(tmp_path):
    strata = write(tmp_path, "strata.csv", "stratum;N;n\nNorr;420;26\nVäst;310;26\nSöder;900;26\n")
    data = run_json("felmarginal", "--strata-fil", strata)
    assert data["n"] == 78 and data["population"] == 1630
    assert [s["stratum"] for s in data["strata"]] == ["Norr", "Väst", "Söder"]
    assert data["designeffekt"] > 1  # equal allocation, unequal strata
    assert data["felmarginal"] > data["felmarginal_naiv"]
    assert set(data["strata"][0]) == {"stratum", "N", "n", "andel", "vikt", "felmarginal"}
    text = run("felmarginal", "--strata-fil", strata)
    assert text.exit_code == 0, text.output
    assert "Designeffekt: 1,23" in text.stdout
    assert "Hela populationen (vägd efter N): ±12,0 procentenheter" in text.stdout
    assert "Som obundet slumpmässigt urval:   ±10,8 procentenheter" in text.stdout


def test_felmarginal_from_a_frame(tmp_path):
    ram = write(tmp_path, "ram.csv", "id;stadsdel\n1;A\n2;A\n3;B\n4;A\n5;B\n6;C\n")
    data = run_json("felmarginal", ram, "--strata", "stadsdel", "--per-stratum", "2")
    assert [(s["stratum"], s["N"], s["n"]) for s in data["strata"]] == [
        ("A", 3, 2),
        ("B", 2, 2),
        ("C", 1, 1),
    ]
    assert data["n"] == 5 and data["population"] == 6


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--n", "0"], "minst 1"),
        (["--n", "10", "--population", "5"], "mindre än urvalet"),
        (["--n", "10", "--konfidens", "95"], "mellan 0 och 1"),
        (["--n", "10", "--konfidens", "0"], "mellan 0 och 1"),
        (["--n", "10", "--andel", "abc"], "inget tal"),
        ([], "precis ett"),
    ],
)
def test_felmarginal_bad_input(args, fragment):
    result = run("felmarginal", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Fel: ")
    assert fragment in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_felmarginal_missing_column_names_file_row_and_column(tmp_path):
    bad = write(tmp_path, "strata.csv", "stratum;N\nNorr;420\n")
    result = run("felmarginal", "--strata-fil", bad)
    assert result.exit_code == 2
    assert 'strata.csv, rad 1, kolumn "n"' in result.stderr
    bad_value = write(tmp_path, "strata2.csv", "stratum;N;n\nNorr;420;26\nVäst;20;30\n")
    result = run("felmarginal", "--strata-fil", bad_value)
    assert result.exit_code == 2
    assert 'rad 3, kolumn "n"' in result.stderr


# --- storlek ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["5", "5%", "0.05", "0,05", "5 %"])
def test_storlek_accepts_fraction_or_percent(value):
    # Cochran: 1.96²·0.25/0.05² = 384.16 -> 385.
    assert run_json("storlek", "--felmarginal", value)["n"] == 385


def test_storlek_with_population_and_text():
    # Raosoft calculator, 5 %, 95 %, 50 %, population 20 000: 377.
    data = run_json("storlek", "--felmarginal", "5", "--population", "20000")
    assert data["n"] == 377 and data["population"] == 20000
    assert data["uppnadd_felmarginal"] <= 0.05
    result = run("storlek", "--felmarginal", "5")
    assert result.exit_code == 0
    assert result.stdout.startswith("Minsta urvalsstorlek: 385\n")


def test_storlek_stratified(tmp_path):
    strata = write(tmp_path, "strata.csv", "stratum;N\nNorr;420\nVäst;310\nSöder;900\n")
    data = run_json("storlek", "--felmarginal", "8", "--strata-fil", strata, "--fordelning", "lika")
    assert data["fordelning"] == "lika"
    assert sum(s["n"] for s in data["strata"]) == data["n"]
    assert data["uppnadd_felmarginal"] <= 0.08
    prop = run_json(
        "storlek", "--felmarginal", "8", "--strata-fil", strata, "--fordelning", "proportionell"
    )
    assert prop["n"] < data["n"]
    text = run("storlek", "--felmarginal", "8", "--strata-fil", strata)
    assert text.exit_code == 0 and "(lika fördelning)" in text.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--felmarginal", "0"],
        ["--felmarginal", "150"],
        ["--felmarginal", "x"],
        ["--felmarginal", "5", "--konfidens", "1.5"],
        ["--felmarginal", "5", "--fordelning", "neyman"],
    ],
)
def test_storlek_bad_input(args):
    result = run("storlek", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Fel: ")


# --- stickprov --------------------------------------------------------------------------------


def test_stickprov_plan_matches_aicpa():
    # AICPA Audit Guide "Audit Sampling", Table A-1 (5 % risk): tolerable 5 %, expected 1 % -> 93 (1).
    data = run_json("stickprov", "--tolerabel", "5", "--forvantad", "1")
    assert (data["n"], data["tillatna_avvikelser"]) == (93, 1)
    assert data["ovre_grans"] < 0.05 and data["metod"] == "binomial"
    # Table A-2 (10 % risk): tolerable 5 %, expected 0 -> 45 (0).
    data = run_json("stickprov", "--tolerabel", "0.05", "--risk", "10")
    assert (data["n"], data["tillatna_avvikelser"]) == (45, 0)
    text = run("stickprov", "--tolerabel", "5")
    assert text.exit_code == 0
    assert text.stdout.startswith("Stickprov: 59 ärenden; kontrollen godkänns vid inga avvikelser.")


def test_stickprov_with_population():
    # FSaudit vignette: N = 1200, tolerable 5 %, alpha 0.10, c = 0 -> n = 45 (hypergeometric).
    data = run_json("stickprov", "--tolerabel", "5", "--risk", "10", "--population", "1200")
    assert (data["n"], data["metod"], data["population"]) == (45, "hypergeometrisk", 1200)


def test_stickprov_evaluate():
    data = run_json(
        "stickprov", "--utvardera", "--n", "59", "--avvikelser", "1", "--tolerabel", "5"
    )
    assert data["godkand"] is False
    assert data["n"] == 59 and data["avvikelser"] == 1
    # Table A-3 lists n = 60, 1 deviation: 7.7 %; n = 59 lies just above it.
    assert 0.077 < data["ovre_grans"] < 0.079
    ok = run("stickprov", "--utvardera", "--n", "59", "--avvikelser", "0", "--tolerabel", "5")
    assert ok.exit_code == 0 and "Godkänd:" in ok.stdout and "Ej godkänd" not in ok.stdout
    bad = run("stickprov", "--utvardera", "--n", "59", "--avvikelser", "1", "--tolerabel", "5")
    assert "Ej godkänd:" in bad.stdout
    assert "Övre gräns för avvikelsefrekvensen: 7,79 %" in bad.stdout
    no_tol = run_json("stickprov", "--utvardera", "--n", "60", "--avvikelser", "2")
    assert no_tol["godkand"] is None


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "--tolerabel"),
        (["--tolerabel", "5", "--forvantad", "6"], "lägre än"),
        (["--utvardera", "--n", "10"], "--avvikelser"),
        (["--utvardera", "--n", "10", "--avvikelser", "11"], "större än stickprovet"),
        (["--utvardera", "--n", "0", "--avvikelser", "0"], "minst 1"),
        (["--utvardera", "--n", "10", "--avvikelser", "1", "--population", "5"], "mindre än"),
        (["--tolerabel", "5", "--n", "10"], "--utvardera"),
        (["--tolerabel", "5", "--risk", "0"], "Risken"),
    ],
)
def test_stickprov_bad_input(args, fragment):
    result = run("stickprov", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Fel: ")
    assert fragment in result.stderr


def test_help_texts_are_swedish():
    for command in ("felmarginal", "storlek", "stickprov"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert "Användning:" in result.stdout and "--json" in result.stdout


def test_felmarginal_frame_with_filter_counts_population_after_filter(tmp_path):
    import json

    from click.testing import CliRunner

    from granskning.cli import cli

    path = tmp_path / "ram.csv"
    rows = ["id;stadsdel;alder"] + [f"A{i};{'Farsta' if i % 2 else 'Järva'};{i % 18}" for i in range(200)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["felmarginal", str(path), "--strata", "stadsdel", "--per-stratum", "10",
                                 "--filter", "alder <= 12", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    n_kept = sum(1 for i in range(200) if i % 18 <= 12)
    assert sum(s["N"] for s in doc["strata"]) == n_kept
    assert [s["stratum"] for s in doc["strata"]] == ["Farsta", "Järva"]
