"""Tests for granskning.analysis.funnel (Spiegelhalter 2005 exact binomial limits).

No published table of interpolated limits was found to compare with, so the
limits are checked against (1) hand calculations from the formula in
Spiegelhalter's appendix A.1.1 and (2) an independent pure-Python computation
of the binomial distribution with math.comb (no scipy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from granskning.analysis.funnel import binomial_limit, funnel, limits
from granskning.errors import InputError


def reference_limit(n: int, theta: float, p: float) -> float:
    """Spiegelhalter A.1.1 by brute force: smallest r with P(R <= r) >= p, then interpolate."""
    pmf = [math.comb(n, r) * theta**r * (1 - theta) ** (n - r) for r in range(n + 1)]
    cdf = 0.0
    for r, prob in enumerate(pmf):
        cdf += prob
        if cdf >= p - 1e-15:
            alpha = (cdf - p) / prob
            return min(1.0, max(0.0, (r - alpha) / n))
    raise AssertionError("unreachable")


def test_hand_calculations():
    # n = 1, theta = 0.25, p = 0.975: r_p = 1 (P(R <= 0) = 0.75 < 0.975), P(R = 1) = 0.25,
    # alpha = (1 - 0.975)/0.25 = 0.1, limit = (1 - 0.1)/1 = 0.9
    assert float(binomial_limit(1, 0.25, 0.975)) == pytest.approx(0.9)
    # n = 2, theta = 0.5, p = 0.025: r_p = 0, P(R <= 0) = 0.25, alpha = (0.25 - 0.025)/0.25 = 0.9,
    # limit = (0 - 0.9)/2 < 0, shown as 0
    assert float(binomial_limit(2, 0.5, 0.025)) == 0.0
    # n = 4, theta = 0.5, p = 0.975: cdf(3) = 15/16 < 0.975 <= cdf(4) = 1; P(R = 4) = 1/16;
    # alpha = (1 - 0.975)·16 = 0.4; limit = (4 - 0.4)/4 = 0.9
    assert float(binomial_limit(4, 0.5, 0.975)) == pytest.approx(0.9)


@pytest.mark.parametrize("theta", [0.05, 0.25, 0.5, 0.778])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_limits_match_independent_computation(theta, p):
    ns = [1, 5, 11, 17, 26, 36, 208, 286]
    got = binomial_limit(ns, theta, p)
    for n, value in zip(ns, got, strict=True):
        assert value == pytest.approx(reference_limit(n, theta, p), abs=1e-9)


def test_a1_child_heard_by_district():
    # DOMAIN.md §2.2: Ja/(Ja+Nej) per district, city rate 52/208 = 0.25.
    districts = ["Bromma", "Enskede-Årsta-Vantör", "Farsta", "Hägersten-Älvsjö", "Hässelby-Vällingby",
                 "Järva", "Kungsholmen", "Norra innerstaden", "Skarpnäck", "Skärholmen", "Södermalm"]
    x = [4, 3, 4, 5, 5, 8, 2, 4, 2, 10, 5]
    n = [19, 19, 23, 22, 20, 20, 17, 21, 17, 19, 11]
    f = funnel(x, n, districts)
    assert f.centre == 0.25
    # Skärholmen 10/19 = 52.6 % lies above the 95 % limit for n = 19 (0.4310 by the
    # reference computation) but not above the 99.8 % limit.
    assert reference_limit(19, 0.25, 0.975) < 10 / 19 < reference_limit(19, 0.25, 0.999)
    assert f.outside(0.95) == {"over": ["Skärholmen"], "under": []}
    assert f.outside(0.998) == {"over": [], "under": []}
    j = f.to_json_dict()
    assert j["nivaer"]["95"]["over"] == ["Skärholmen"]
    assert set(f.points.columns) >= {"stratum", "rate", "lower", "upper", "position", "level"}


def test_limits_table_is_tidy_and_ordered():
    t = limits([10, 20], 0.3)
    assert list(t.columns) == ["denominator", "level", "lower", "upper"]
    assert len(t) == 4
    assert (t["lower"] <= 0.3).all() and (t["upper"] >= 0.3).all()
    wide95 = t[t.level == 0.95].upper.to_numpy() - t[t.level == 0.95].lower.to_numpy()
    wide998 = t[t.level == 0.998].upper.to_numpy() - t[t.level == 0.998].lower.to_numpy()
    assert (wide998 >= wide95).all()
    assert (np.diff(wide95) < 0).all()  # the funnel narrows as n grows


def test_explicit_centre_and_empty_stratum():
    f = funnel([0, 3], [0, 10], ["Tom", "Full"], centre=0.1)
    assert f.points.loc[f.points.stratum == "Tom", "position"].iloc[0] == "okänd"
    # 3/10 lies above the interpolated 95 % limit for n = 10 at 10 % (0.279), but the exact test
    # does not reject: P(R >= 3 | 10, 0.1) = 0.0702 > 0.025 (R: binom.test(3, 10, 0.1,
    # alternative = "greater")$p.value = 0.07019083), so it is not outside; 4/10 is (0.0128).
    assert reference_limit(10, 0.1, 0.975) < 0.3
    assert f.outside(0.95)["over"] == []
    assert f.points.loc[f.points.stratum == "Full", "p_over"].iloc[0] == pytest.approx(0.07019083, abs=1e-8)
    f = funnel([0, 4], [0, 10], ["Tom", "Full"], centre=0.1)
    assert f.outside(0.95)["over"] == ["Full"]
    assert f.outside(0.998)["over"] == []


def test_curve_for_drawing():
    f = funnel([5, 9], [20, 40], ["A", "B"])
    c = f.curve()
    assert c.denominator.max() == 40 and len(c) == 80


def test_bad_input():
    with pytest.raises(InputError):
        funnel([5], [3], ["A"])
    with pytest.raises(InputError):
        funnel([1, 2], [3], ["A"])
    with pytest.raises(InputError):
        limits([5], 1.5)
    with pytest.raises(InputError):
        funnel([0], [0], ["A"])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.floats(0.01, 0.99))
def test_limits_are_ordered_and_bracket_the_centre(n, theta):
    lo = float(binomial_limit(n, theta, 0.025))
    hi = float(binomial_limit(n, theta, 0.975))
    assert 0.0 <= lo <= hi <= 1.0
    # With almost no expected events the interpolated limit can fall below the centre
    # (n = 1, theta = 1/64: r_p = 0, so the limit (0 - alpha)/n is negative); otherwise
    # the limits bracket it.
    if n * min(theta, 1 - theta) >= 1:
        assert lo <= theta + 1e-12 <= hi + 2e-12


def test_boundary_units_are_outside_only_if_the_exact_test_agrees():
    # Issue 9 item 4: 1 of 1 against a centre of 80 %: the interpolated 99.8 % upper limit is
    # (1 − 0.001/0.8)/1 = 0.99875 < 1, so the rate alone says "över" at every level, but
    # P(R >= 1 | n = 1, p = 0.8) = 0.8 (R: binom.test(1, 1, 0.8, alternative = "greater")$p.value).
    f = funnel([1, 80], [1, 100], ["Liten", "Stor"], centre=0.8)
    assert float(binomial_limit(1, 0.8, 0.999)) == pytest.approx(1 - 0.001 / 0.8)
    assert f.outside(0.95) == {"over": [], "under": []}
    assert f.outside(0.998) == {"over": [], "under": []}
    row = f.points[(f.points.stratum == "Liten") & (f.points.level == 0.95)].iloc[0]
    assert row.p_over == pytest.approx(0.8)
    # 26 of 26 against 80 %: P(R >= 26) = 0.8^26 = 0.003022 (R: binom.test(26, 26, 0.8,
    # alternative = "greater")$p.value = 0.003022315): outside at 95 % (< 0.025), not at 99.8 % (> 0.001),
    # although 100 % lies above the interpolated 99.8 % limit too.
    f = funnel([26, 80], [26, 100], ["Full", "Stor"], centre=0.8)
    assert 1.0 > float(binomial_limit(26, 0.8, 0.999))
    assert f.outside(0.95) == {"over": ["Full"], "under": []}
    assert f.outside(0.998) == {"over": [], "under": []}
    assert f.points[f.points.stratum == "Full"].p_over.iloc[0] == pytest.approx(0.8**26, rel=1e-9)


def test_a_single_full_stratum_is_its_own_centre_and_never_outside():
    # One stratum, 26 of 26 "Ja": the centre is 100 % and nothing can deviate from it.
    for x, n in [(26, 26), (1, 1), (0, 5)]:
        f = funnel([x], [n], ["Enda"])
        for level in f.levels:
            assert f.outside(level) == {"over": [], "under": []}


def test_a_unit_truly_outside_is_still_flagged_both_ways():
    # 2 of 40 against 80 %: P(R <= 2 | 40, 0.8) ~ 1e-24 (R: pbinom(2, 40, 0.8)); 40 of 40 against
    # 50 %: P(R >= 40) = 0.5^40 (R: binom.test(40, 40, 0.5, alternative = "greater")$p.value).
    f = funnel([2, 40, 400], [40, 40, 500], ["Låg", "Hög", "Stor"], centre=0.8)
    assert f.outside(0.998)["under"] == ["Låg"]
    f = funnel([40, 50], [40, 100], ["Hög", "Stor"], centre=0.5)
    assert f.outside(0.998)["over"] == ["Hög"]
    assert f.points[f.points.stratum == "Hög"].p_over.iloc[0] == pytest.approx(0.5**40, rel=1e-9)


def test_exact_p_values_agree_with_scipy_binomtest():
    from scipy.stats import binomtest

    x, n = [0, 3, 7, 19, 26], [4, 19, 20, 22, 26]
    f = funnel(x, n, list("abcde"), centre=0.6)
    rows = f.points[f.points.level == 0.95]
    for k, m, po, pu in zip(x, n, rows.p_over, rows.p_under, strict=True):
        assert po == pytest.approx(binomtest(k, m, 0.6, alternative="greater").pvalue, rel=1e-12)
        assert pu == pytest.approx(binomtest(k, m, 0.6, alternative="less").pvalue, rel=1e-12)
