"""Tests for granskning.analysis.proportions against published values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from granskning.analysis.proportions import (
    clopper_pearson_bounds,
    diff_ci_newcombe,
    proportion_ci,
    wilson_bounds,
)
from granskning.errors import InputError

# Newcombe RG (1998a) Two-sided confidence intervals for the single proportion,
# Stat Med 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_WILSON)
def test_wilson_matches_newcombe_table_i(x, n, low, high):
    r = proportion_ci(x, n)
    assert r.low == pytest.approx(low, abs=5e-5)
    assert r.high == pytest.approx(high, abs=5e-5)
    assert r.estimate == pytest.approx(x / n)


def test_clopper_pearson_matches_published_values():
    # GenBinomApps::clopper.pearson.ci(5, 100000, CI = "two.sided") documents
    # Lower.limit = 1.97017e-05, Upper.limit = 0.0001051275 at alpha = 0.1.
    low, high = clopper_pearson_bounds(5, 100000, alpha=0.1)
    assert float(low) == pytest.approx(1.97017e-05, rel=1e-5)
    assert float(high) == pytest.approx(0.0001051275, rel=1e-6)


def test_clopper_pearson_zero_and_full():
    # Closed forms: x = 0 gives upper 1 - (alpha/2)^(1/n); x = n gives lower (alpha/2)^(1/n).
    low, high = clopper_pearson_bounds(0, 20)
    assert float(low) == 0.0
    assert float(high) == pytest.approx(1 - 0.025 ** (1 / 20), rel=1e-12)
    low, high = clopper_pearson_bounds(20, 20)
    assert float(low) == pytest.approx(0.025 ** (1 / 20), rel=1e-12)
    assert float(high) == 1.0


def test_method_by_name_and_unknown_method():
    r = proportion_ci(52, 208, method="clopper-pearson")
    assert r.method == "clopper-pearson"
    assert r.low < 0.25 < r.high
    with pytest.raises(InputError, match="wilson"):
        proportion_ci(1, 2, method="wald")


# Newcombe RG (1998b) Interval estimation for the difference between independent
# proportions, Stat Med 17:873-890, Table II, method 10 (hybrid score).
NEWCOMBE_DIFF = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),  # example (a)
    ((9, 10, 3, 10), (0.1705, 0.8090)),  # example (b)
    ((5, 56, 0, 29), (-0.0381, 0.1926)),  # example (c)
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_DIFF)
def test_newcombe_hybrid_score_difference(counts, expected):
    d = diff_ci_newcombe(*counts)
    assert d.difference == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert d.low == pytest.approx(expected[0], abs=5e-5)
    assert d.high == pytest.approx(expected[1], abs=5e-5)


def test_domain_rate_52_of_208_and_json():
    # DOMAIN.md §2.2: child heard in 52 of 208 cases without hindrance = 25,0 %.
    r = proportion_ci(52, 208)
    assert r.estimate == 0.25
    j = r.to_json_dict()
    assert j["taljare"] == 52 and j["namnare"] == 208 and j["andel"] == 0.25
    assert j["ki"][0] == pytest.approx(r.low) and j["ki"][1] == pytest.approx(r.high)


def test_zero_denominator_is_unknown_not_an_error():
    r = proportion_ci(0, 0)
    assert math.isnan(r.estimate) and math.isnan(r.low)
    assert r.to_json_dict()["andel"] is None
    d = diff_ci_newcombe(1, 3, 0, 0)
    assert math.isnan(d.difference)


def test_bad_counts_raise_input_error():
    with pytest.raises(InputError):
        proportion_ci(5, 3)
    with pytest.raises(InputError):
        proportion_ci(-1, 3)
    with pytest.raises(InputError):
        proportion_ci(1, 3, alpha=1.5)


def test_vectorised_bounds_equal_scalar_calls():
    x = np.array([0, 4, 10, 19])
    n = np.array([19, 19, 20, 19])
    low, high = wilson_bounds(x, n)
    for i in range(4):
        r = proportion_ci(int(x[i]), int(n[i]))
        assert low[i] == pytest.approx(r.low) and high[i] == pytest.approx(r.high)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_intervals_contain_estimate_and_stay_in_unit_interval(xn):
    x, n = xn
    for method in ("wilson", "clopper-pearson"):
        r = proportion_ci(x, n, method=method)
        assert 0.0 <= r.low <= r.estimate <= r.high <= 1.0


@given(st.integers(1, 80), st.integers(1, 80), st.data())
def test_newcombe_interval_contains_difference(n1, n2, data):
    c1 = data.draw(st.integers(0, n1))
    c2 = data.draw(st.integers(0, n2))
    d = diff_ci_newcombe(c1, n1, c2, n2)
    assert -1.0 <= d.low <= d.difference <= d.high <= 1.0
    # Swapping the groups mirrors the interval.
    e = diff_ci_newcombe(c2, n2, c1, n1)
    assert e.low == pytest.approx(-d.high) and e.high == pytest.approx(-d.low)
