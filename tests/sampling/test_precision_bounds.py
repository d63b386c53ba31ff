"""Numbers a user types: bounded, Swedish errors, exit 2, and quick (issue 9, item 17).

Every case here used to end in "Oväntat fel" (exit 1, English text), run for
minutes, or was read differently by two commands (``--konfidens 0,95``).
"""

from __future__ import annotations

import json
import time

import pytest
from analysis_data import a1_cases
from click.testing import CliRunner

from granskning import numbers
from granskning.checklist import loads
from granskning.cli import cli
from granskning.errors import InputError
from granskning.sampling.precision import (
    HYPERGEOMETRIC_MAX_N,
    attribute_sample_size,
    evaluate_attribute_sample,
    sample_size,
)

HUGE = "1" + "0" * 26  # 10^26
LONG = "9" * 5000


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.output
    assert "Oväntat fel" not in text and "Traceback" not in text
    for word in words:
        assert word in result.stderr, result.stderr


# -- felmarginal, storlek, stickprov -----------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["storlek", "--felmarginal", "1e-300"], ["minst 0,0001"]),
        (["storlek", "--felmarginal", "1e-300", "--population", "1000"], ["minst 0,0001"]),
        (["storlek", "--felmarginal", "0"], ["Felmarginalen"]),
        (["storlek", "--felmarginal", "1e999"], ["för stort"]),
        (["storlek", "--felmarginal", "nan"], ["inget tal"]),
        (["storlek", "--felmarginal", "inf"], ["inget tal"]),
        (["storlek", "--felmarginal", "-5"], ["minst 0"]),
        (["storlek", "--felmarginal", "150"], ["över 100 %"]),
        (["storlek", "--felmarginal", LONG], ["för långt"]),
        (["storlek", "--felmarginal", "5", "--andel", "1e999"], ["--andel", "för stort"]),
        (["storlek", "--felmarginal", "5", "--population", HUGE], ["högst 1 000 000 000"]),
        (["storlek", "--felmarginal", "5", "--population", LONG], ["för långt"]),
        (["storlek", "--felmarginal", "5", "--konfidens", "nan"], ["--konfidens"]),
        (["felmarginal", "--n", HUGE], ["--n får vara högst 1 000 000 000"]),
        (["felmarginal", "--n", "-3"], ["inte negativt"]),
        (["felmarginal", "--n", "1e3"], ["heltal"]),
        (["felmarginal", "--n", "²"], ["heltal"]),
        (["felmarginal", "--n", "10", "--population", HUGE], ["--population får vara högst"]),
        (["felmarginal", "--n", "10", "--konfidens", "1e999"], ["för stort"]),
        (["stickprov", "--tolerabel", "5", "--population", HUGE], ["--population får vara högst"]),
        (["stickprov", "--tolerabel", "nan"], ["--tolerabel", "inget tal"]),
        (["stickprov", "--tolerabel", "5", "--risk", "1e999"], ["--risk", "för stort"]),
        (["stickprov", "--utvardera", "--n", HUGE, "--avvikelser", "1"], ["--n får vara högst"]),
        (["stickprov", "--utvardera", "--n", "10", "--avvikelser", "-1"], ["inte negativt"]),
    ],
)
def test_hostile_numbers_on_the_command_line(args, words):
    refused(run(*args), *words)


def test_decimal_comma_and_point_are_the_same_everywhere(tmp_path):
    for level in ("0,9", "0.9", " 0,9 "):
        r = run("felmarginal", "--n", "286", "--konfidens", level, "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["konfidens"] == 0.9
    data = tmp_path / "svar.csv"
    a1_cases().to_csv(data, index=False, sep=";")
    base = ["analys", data, "--checklista", "forhandsbedomning-0-12", "--strata", "stadsdel",
            "--json"]
    point = run(*base, "--konfidens", "0.9")
    comma = run(*base, "--konfidens", "0,9")  # refused before ("'0,9' is not a valid float")
    assert point.exit_code == comma.exit_code == 0, comma.output
    assert json.loads(point.stdout) == json.loads(comma.stdout)
    for bad in ("nan", "inf", "1e999", "95", "-0,5", LONG):
        refused(run(*base, "--konfidens", bad), "--konfidens")
    refused(run(*base, "--seed", "-1"), "--seed")
    refused(run(*base, "--seed", LONG), "--seed", "för långt")


def test_skatta_confidence_reads_a_decimal_comma(tmp_path):
    path = tmp_path / "api.csv"
    path.write_text("stratum;N;y\nA;10;1\nA;10;3\nB;20;2\nB;20;5\n", encoding="utf-8")
    args = ["skatta", path, "--strata", "stratum", "--population", "N", "--variabel", "y",
            "--json"]
    point, comma = run(*args, "--konfidens", "0.9"), run(*args, "--konfidens", "0,9")
    assert point.exit_code == comma.exit_code == 0, comma.output
    assert json.loads(point.stdout) == json.loads(comma.stdout)
    refused(run(*args, "--konfidens", "inf"), "--konfidens")


# -- strata files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [
        (HUGE, ['rad 3, kolumn "N"', "högst 1 000 000 000"]),
        (LONG, ['rad 3, kolumn "N"', "för långt"]),
        ("²", ['rad 3, kolumn "N"', "heltal"]),
        ("-5", ['rad 3, kolumn "N"', "inte negativt"]),
        ("1e5", ['rad 3, kolumn "N"', "heltal"]),
    ],
)
def test_strata_file_with_a_hostile_population(tmp_path, value, words):
    plan = tmp_path / "strata.csv"
    plan.write_text(f"stratum;N\nBromma;120\nFarsta;{value}\n", encoding="utf-8")
    refused(run("storlek", "--felmarginal", "5", "--strata-fil", plan), "strata.csv", *words)
    sizes = tmp_path / "urval.csv"
    sizes.write_text(f"stratum;N;n\nBromma;120;26\nFarsta;{value};26\n", encoding="utf-8")
    refused(run("felmarginal", "--strata-fil", sizes), "urval.csv", *words)


def test_strata_file_whose_total_is_too_large(tmp_path):
    plan = tmp_path / "strata.csv"
    plan.write_text("stratum;N\nA;900 000 000\nB;900 000 000\n", encoding="utf-8")
    refused(run("storlek", "--felmarginal", "5", "--strata-fil", plan), "sammanlagt")


def test_spaces_as_thousands_separators_still_work(tmp_path):
    plan = tmp_path / "strata.csv"
    plan.write_text("stratum;N;n\nA;1 200;26\nB;3\u00a0400;26\n", encoding="utf-8")
    r = run("felmarginal", "--strata-fil", plan, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["population"] == 4600
    assert run("felmarginal", "--n", "286", "--population", "3 272").exit_code == 0


# -- checklists ------------------------------------------------------------------------------

CHECKLIST = """\
id: tal-test
titel: Tal
version: "1"
omraden:
  - id: a
    titel: A
    fragor:
      - id: q
        text: Hur många?
        typ: tal
        min: {low}
        max: 100
"""


@pytest.mark.parametrize(
    "low, words",
    [(LONG, ["min", "för långt"]), ("1e999", ["min", "för stort"]),
     ("-" + "9" * 30, ["min", "för stort"]), (".nan", ["min", "tal"])],
)
def test_checklist_number_is_bounded(tmp_path, low, words):
    path = tmp_path / "c.yaml"
    path.write_text(CHECKLIST.format(low=low), encoding="utf-8")
    with pytest.raises(InputError) as info:
        loads(path.read_text(), source=str(path))
    for word in words:
        assert word in info.value.message
    refused(run("checklista", "validera", path), "c.yaml", *words)


def test_checklist_normal_numbers_still_read():
    chk = loads(CHECKLIST.format(low="-2.5"))
    (q,) = [q for a in chk.areas for q in a.questions]
    assert (q.minimum, q.maximum) == (-2.5, 100)


# -- attribute sampling with a large population: bounded time, R agreement -------------------


def _cpu(f, *args, **kwargs):
    start = time.process_time()
    try:
        result = f(*args, **kwargs)
    except InputError as exc:
        result = exc
    return result, time.process_time() - start


@pytest.mark.parametrize(
    "args",
    [
        dict(tolerable=0.05, expected=0.049, population=10**9),  # no plan: 20 000 checked
        dict(tolerable=0.05, expected=0.049, population=HYPERGEOMETRIC_MAX_N),
        dict(tolerable=0.0001, expected=0.0, population=10**9),
        dict(tolerable=0.05, expected=0.02, population=10**9),  # 4.8 s per call before
        dict(tolerable=0.02, expected=0.019, population=HYPERGEOMETRIC_MAX_N),
    ],
)
def test_stickprov_with_a_large_population_returns_quickly(args):
    attribute_sample_size(0.05, population=100)  # import scipy outside the timing
    result, seconds = _cpu(attribute_sample_size, **args)
    assert seconds < 1.0, (args, seconds)
    if isinstance(result, InputError):
        assert "Inget stickprov upp till 20000 poster" in result.message


def test_evaluation_with_a_large_population_returns_quickly():
    evaluate_attribute_sample(10, 0, population=100)
    for N in (HYPERGEOMETRIC_MAX_N, 10**9):
        result, seconds = _cpu(evaluate_attribute_sample, 20000, 500, population=N)
        assert seconds < 1.0 and not isinstance(result, InputError)


# R 4.x, exact hypergeometric and binomial plans by brute force (AICPA convention):
#   plan_h <- function(tol, exp, risk, N) { M <- ceiling(tol*N); for (n in 1:20000) {
#     k <- ceiling(round(exp*n, 9)); if (k < n && phyper(k, M, N-M, n) <= risk) return(c(n,k)) } }
#   plan_b <- function(tol, exp, risk) { for (n in 1:20000) {
#     k <- ceiling(round(exp*n, 9)); if (k < n && pbinom(k, n, tol) < risk) return(c(n,k)) } }
R_PLANS = [
    # (tolerable, expected, risk, plan_b, plan_h N = 1e6, plan_h N = 1e9)
    (0.05, 0.01, 0.05, (93, 1), (93, 1), (93, 1)),  # AICPA Table A-1: 93 (1)
    (0.05, 0.03, 0.10, (258, 8), (233, 7), (258, 8)),
    (0.05, 0.0, 0.05, (59, 0), (59, 0), (59, 0)),  # AICPA Table A-1: 59 (0)
    (0.02, 0.015, 0.05, (2258, 34), (2257, 34), (2258, 34)),
]


@pytest.mark.parametrize("tol, exp, risk, binom, hyper_1e6, hyper_1e9", R_PLANS)
def test_plans_agree_with_r(tol, exp, risk, binom, hyper_1e6, hyper_1e9):
    def plan(**kw):
        r = attribute_sample_size(tol, expected=exp, risk=risk, **kw)
        return (r.n, r.allowed_deviations), r.method

    assert plan() == (binom, "binomial")
    assert plan(population=10**6) == (hyper_1e6, "hypergeometrisk")
    # Above HYPERGEOMETRIC_MAX_N the binomial is used: R's exact phyper at N = 1e9 agrees.
    assert plan(population=10**9) == (hyper_1e9, "binomial")
    assert plan(population=HYPERGEOMETRIC_MAX_N + 1)[0] == binom


def test_evaluation_bound_agrees_with_r():
    # R: ub <- function(N, n, k, risk) { lo <- k; hi <- N - (n - k); while (lo < hi) {
    #   mid <- floor((lo + hi + 1) / 2); if (phyper(k, mid, N - mid, n) > risk) lo <- mid
    #   else hi <- mid - 1 }; lo / N }
    # ub(1e6, 20000, 500, 0.05) = 0.026873; ub(1e9, 20000, 500, 0.05) = 0.026892835;
    # qbeta(0.95, 501, 19500) = 0.02689285458 (the binomial bound used above 10^6).
    exact = evaluate_attribute_sample(20000, 500, population=10**6)
    assert exact.method == "hypergeometrisk" and exact.upper_bound == pytest.approx(0.026873)
    large = evaluate_attribute_sample(20000, 500, population=10**9)
    assert large.method == "binomial"
    assert large.upper_bound == pytest.approx(0.02689285458, rel=1e-9)
    assert large.upper_bound == pytest.approx(0.026892835, rel=1e-6)  # R's exact phyper


def test_binomial_plan_is_never_smaller_than_the_hypergeometric():
    # The fallback above 10^6 is on the safe side: in every AICPA-style cell checked the
    # binomial plan is at least the exact hypergeometric one at N = 10^6.
    for risk in (0.05, 0.10):
        for tol in (0.03, 0.05, 0.07, 0.10):
            for exp in (0.0, 0.005, 0.01, 0.02, 0.03):
                if exp >= tol:
                    continue
                b = attribute_sample_size(tol, expected=exp, risk=risk)
                h = attribute_sample_size(tol, expected=exp, risk=risk, population=10**6)
                assert b.n >= h.n, (risk, tol, exp)


def test_margin_floor_and_its_largest_answer():
    r = sample_size(0.0001)  # R: ceiling(qnorm(0.975)^2 * 0.25 / 1e-8) = 96036471
    assert r.n == 96036471
    with pytest.raises(InputError, match="minst 0,0001"):
        sample_size(0.00009)


# -- the one number reader ---------------------------------------------------------------------


def test_number_reader():
    assert numbers.parse_integer("1 200", "N") == 1200
    assert numbers.parse_integer("26.0", "N") == 26
    assert numbers.parse_decimal("0,95", "x") == numbers.parse_decimal("0.95", "x") == 0.95
    assert numbers.parse_rate("5 %", "r") == numbers.parse_rate("0,05", "r") == 0.05
    for bad in ("nan", "inf", "-inf", "1e999", "0,9,5", "", "1.2.3", LONG):
        with pytest.raises(InputError):
            numbers.parse_decimal(bad, "x")
    with pytest.raises(InputError, match="för långt"):
        numbers.parse_integer(LONG, "N")


# -- numbers in data files: skatta and analys --populationsfil ---------------------------------


@pytest.mark.parametrize("cell, column", [(HUGE, "N"), ("1e999", "y"), ("-1e999", "y")])
def test_skatta_refuses_huge_numbers_in_the_data(tmp_path, cell, column):
    rows = {"N": [cell, cell, "20", "20"], "y": ["1", "3", "2", "5"]}
    if column == "y":
        rows["N"] = ["10", "10", "20", "20"]
        rows["y"] = [cell, "3", "2", "5"]
    path = tmp_path / "data.csv"
    path.write_text("stratum;N;y\n" + "".join(
        f"{h};{n};{y}\n" for h, n, y in zip("AABB", rows["N"], rows["y"], strict=True)),
        encoding="utf-8")
    r = run("skatta", path, "--strata", "stratum", "--population", "N", "--variabel", "y")
    refused(r, "data.csv", "rad 2", f'kolumn "{column}"', "för stort")


def test_analys_population_file_is_bounded(tmp_path):
    data = tmp_path / "svar.csv"
    cases = a1_cases()
    cases.to_csv(data, index=False, sep=";")
    districts = sorted(cases["stadsdel"].unique())
    for value in ("2000000000", HUGE):
        pop = tmp_path / "N.csv"
        pop.write_text("stratum;N\n" + "".join(
            f"{d};{value if i == 1 else 5000}\n" for i, d in enumerate(districts)),
            encoding="utf-8")
        r = run("analys", data, "--checklista", "forhandsbedomning-0-12", "--strata",
                "stadsdel", "--populationsfil", pop)
        refused(r, "N.csv", "rad 3", 'kolumn "N"')
