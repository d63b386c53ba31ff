"""Tests for granskning.analysis.comparison against documented R output."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from granskning.analysis.comparison import (
    cmh,
    fisher,
    homogeneity,
    logistic,
    min_detectable_difference,
    power_two_proportions,
)
from granskning.errors import InputError

# ----------------------------------------------------------------- chi-square


def test_homogeneity_asymptotic_matches_chisq_test():
    # R ?chisq.test (Agresti 2007 p. 39):
    # M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477))); chisq.test(M)
    # -> X-squared = 30.07, df = 2, p-value = 2.954e-07
    h = homogeneity([[762, 327, 468], [484, 239, 477]], seed=1)
    assert h.method == "chi2"
    assert h.statistic == pytest.approx(30.07, abs=0.005)
    assert h.df == 2
    assert h.p == pytest.approx(2.954e-07, rel=1e-3)
    # Cramér's V by its definition sqrt(X² / (n (min(r, c) − 1)))
    assert h.cramers_v == pytest.approx(math.sqrt(30.070149 / 2757), rel=1e-6)


def test_homogeneity_equals_prop_test_for_k_proportions():
    # R ?prop.test: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    # prop.test(smokers, patients) -> X-squared = 12.6, df = 3, p-value = 0.005585
    h = homogeneity([[83, 90, 129, 70], [3, 3, 7, 12]], seed=1)
    assert h.statistic == pytest.approx(12.6, abs=0.005)
    assert h.p == pytest.approx(0.005585, abs=5e-7)
    assert h.method == "chi2"  # smallest expected count is 5.16


def test_monte_carlo_p_value_agrees_with_exact_permutation_p():
    # TeaTasting [[3,1],[1,3]]: every expected count is 2, so a simulated p-value is used.
    # Exact permutation distribution (hypergeometric, margins 4/4): X² ≥ 2 exactly when
    # a ∈ {0, 1, 3, 4}: p = (1 + 16 + 16 + 1)/70 = 0.4857 (independent computation).
    h = homogeneity([[3, 1], [1, 3]], seed=2024, n_sim=20000)
    assert h.method == "monte-carlo"
    assert h.n_sim == 20000 and h.seed == 2024
    se = math.sqrt(0.4857 * 0.5143 / 20000)
    assert abs(h.p - 34 / 70) < 4 * se
    # R adds one to numerator and denominator: p ≥ 1/(B+1) always.
    h = homogeneity([[4, 0], [0, 4]], seed=1, n_sim=999)
    assert h.method == "monte-carlo" and h.p >= 1 / 1000


def test_monte_carlo_is_reproducible_from_the_seed():
    table = [[4, 3, 2, 8, 5], [15, 16, 21, 12, 6]]
    a = homogeneity(table, seed=7)
    b = homogeneity(table, seed=7)
    c = homogeneity(table, seed=8)
    assert a.p == b.p
    assert a.method == "monte-carlo"
    assert abs(a.p - c.p) < 0.05  # different seed, same answer within MC error


def test_homogeneity_drops_empty_rows_and_handles_degenerate_tables():
    # "Barnet vill inte" is 0 in every stratum of some sub-tables: an all-zero row is dropped.
    h1 = homogeneity([[762, 327, 468], [0, 0, 0], [484, 239, 477]], seed=1)
    assert h1.statistic == pytest.approx(30.070149, rel=1e-6)
    h2 = homogeneity([[5, 7, 9]], seed=1)
    assert math.isnan(h2.p) and h2.method == "ej tillämpligt"
    with pytest.raises(InputError):
        homogeneity([[1.5, 2], [3, 4]], seed=1)


def test_monte_carlo_at_national_scale():
    rng = np.random.default_rng(0)
    table = rng.integers(0, 6, size=(4, 290))
    h = homogeneity(table, seed=1)
    assert h.method == "monte-carlo"
    assert 0 <= h.p <= 1


# ----------------------------------------------------------------- Fisher


def test_fisher_tea_tasting():
    # R ?fisher.test: TeaTasting <- matrix(c(3, 1, 1, 3), nrow = 2); fisher.test(TeaTasting)
    # -> p-value = 0.4857, odds ratio 6.408309, 95 % CI 0.2117329 621.9338
    f = fisher([[3, 1], [1, 3]])
    assert f.p == pytest.approx(0.4857143, abs=5e-8)
    assert f.odds_ratio == pytest.approx(6.408309, rel=5e-6)
    assert f.low == pytest.approx(0.2117329, rel=5e-5)
    # R finds the upper limit with uniroot(tol = 1.2e-4) on 1/psi, which limits R's own
    # precision there; ours solves the defining equation P(X <= 3; psi) = 0.025 exactly.
    assert f.high == pytest.approx(621.9338, rel=0.01)
    assert stats.nchypergeom_fisher.cdf(3, 8, 4, 4, f.high) == pytest.approx(0.025, abs=1e-9)


def test_fisher_without_interval_keeps_p_and_estimate():
    f = fisher([[3, 1], [1, 3]], interval=False)
    assert f.p == pytest.approx(0.4857143, abs=5e-8)
    assert f.odds_ratio == pytest.approx(6.408309, rel=5e-6)
    assert math.isnan(f.low) and math.isnan(f.high)


def test_fisher_needs_2x2():
    with pytest.raises(InputError):
        fisher([[1, 2, 3], [4, 5, 6]])


# ----------------------------------------------------------------- CMH


def _from_r_array(values: list[int], k: int) -> np.ndarray:
    """R fills 2×2×K arrays column-major: each stratum is c(x11, x21, x12, x22)."""
    s = np.asarray(values).reshape(k, 4)
    return np.stack([[[v[0], v[2]], [v[1], v[3]]] for v in s])


RABBITS = _from_r_array([0, 0, 6, 5, 3, 0, 3, 6, 6, 2, 0, 4, 5, 6, 1, 0, 2, 5, 0, 0], 5)


def test_cmh_rabbits_penicillin():
    # R ?mantelhaen.test (Agresti 1990, penicillin and rabbits): mantelhaen.test(Rabbits)
    # -> Mantel-Haenszel X-squared = 3.9286, df = 1, p-value = 0.04747
    #    common odds ratio 7, 95 % CI 1.026713 47.725133
    r = cmh(RABBITS)
    assert r.statistic == pytest.approx(3.9286, abs=5e-5)
    assert r.p == pytest.approx(0.04747, abs=5e-6)
    assert r.odds_ratio == pytest.approx(7.0)
    assert r.low == pytest.approx(1.026713, rel=1e-6)
    assert r.high == pytest.approx(47.725133, rel=1e-6)


UCB = np.array([  # Admitted/Rejected × Male/Female per department (R: UCBAdmissions)
    [[512, 89], [313, 19]], [[353, 17], [207, 8]], [[120, 202], [205, 391]],
    [[138, 131], [279, 244]], [[53, 94], [138, 299]], [[22, 24], [351, 317]],
])


def test_cmh_ucb_admissions():
    # R: mantelhaen.test(UCBAdmissions) -> X-squared = 1.4269, df = 1, p-value = 0.2323,
    #    95 % CI 0.7719074 1.0603298, common odds ratio 0.9046968.
    # Without continuity correction (correct = FALSE): X-squared = 1.5246, p = 0.2169.
    r = cmh(UCB)
    assert r.statistic == pytest.approx(1.4269, abs=5e-5)
    assert r.p == pytest.approx(0.2323, abs=5e-5)
    assert r.odds_ratio == pytest.approx(0.9046968, abs=5e-8)
    assert r.low == pytest.approx(0.7719074, abs=5e-8)
    assert r.high == pytest.approx(1.0603298, abs=5e-8)
    u = cmh(UCB, correct=False)
    assert u.statistic == pytest.approx(1.5246, abs=5e-5)
    assert u.p == pytest.approx(0.2169, abs=5e-5)


def test_breslow_day_published_examples():
    # DescTools::BreslowDayTest, course notes msph-p8120 "Breslow-Day":
    # teeth_tabs (exposure × discolor × age) -> X-squared = 0.57493, df = 1, p-value = 0.4483
    teeth = np.array([[[94, 68], [6, 4]], [[17, 12], [25, 30]]])
    r = cmh(teeth)
    assert r.breslow_day == pytest.approx(0.57493, abs=5e-6)
    assert r.breslow_day_df == 1
    assert r.breslow_day_p == pytest.approx(0.4483, abs=5e-5)
    # cervical_tabs (smoke × cancer × partners) -> X-squared = 4.2069, df = 1, p-value = 0.04026
    cervical = np.array([[[150, 92], [148, 96]], [[118, 25], [21, 12]]])
    r = cmh(cervical)
    assert r.breslow_day == pytest.approx(4.2069, abs=5e-5)
    assert r.breslow_day_p == pytest.approx(0.04026, abs=5e-6)


def test_cmh_ignores_uninformative_strata():
    ref = cmh(UCB)
    r = cmh(np.concatenate([UCB, [[[1, 0], [0, 0]], [[0, 0], [0, 0]]]]))
    assert r.statistic == ref.statistic and r.odds_ratio == ref.odds_ratio
    assert r.strata_used == 6


def test_cmh_zero_off_diagonal_gives_infinite_or_without_crash():
    r = cmh([[[3, 0], [0, 4]], [[2, 0], [1, 5]]])
    assert r.odds_ratio == math.inf
    assert math.isnan(r.low)
    assert r.p < 0.05


# ----------------------------------------------------------------- power


def test_power_matches_power_prop_test():
    # R ?power.prop.test:
    # power.prop.test(n = 50, p1 = .50, p2 = .75)      -> power = 0.740
    # power.prop.test(p1 = .50, p2 = .75, power = .90) -> n = 76.7
    # power.prop.test(n = 50, p1 = .5, power = .90)    -> p2 = 0.8026
    assert power_two_proportions(0.5, 0.75, 50, 50) == pytest.approx(0.740, abs=5e-4)
    n = optimize.brentq(lambda m: power_two_proportions(0.5, 0.75, m, m) - 0.9, 2, 1000)
    assert n == pytest.approx(76.7, abs=0.05)
    d = min_detectable_difference(50, 50, 0.5, power=0.9)
    assert 0.5 + d == pytest.approx(0.8026, abs=5e-5)


def test_min_detectable_difference_is_monotone_and_symmetric():
    d_small = min_detectable_difference(18, 18, 0.25)
    d_large = min_detectable_difference(180, 180, 0.25)
    assert d_large < d_small < 0.5
    assert min_detectable_difference(40, 60, 0.2) == pytest.approx(
        min_detectable_difference(40, 60, 0.8), rel=1e-6)
    assert math.isnan(min_detectable_difference(0, 10, 0.3))
    # Tiny groups cannot reach 80 % power anywhere in [0, 1].
    assert math.isnan(min_detectable_difference(2, 2, 0.5))


# ----------------------------------------------------------------- logistic


@pytest.fixture(scope="module")
def ucb_cases() -> pd.DataFrame:
    rows = []
    for dept, t in zip("ABCDEF", UCB, strict=True):
        for j, sex in enumerate(("man", "kvinna")):
            rows.append(pd.DataFrame({"dept": dept, "sex": sex, "y": [1] * t[0, j] + [0] * t[1, j]}))
    return pd.concat(rows, ignore_index=True)


def test_logistic_single_factor(ucb_cases):
    # R (amy-herring.github.io/STA440 "berkeley"):
    # glm(cbind(admit, reject) ~ 1 + male, family = binomial) -> (Intercept) -0.83049, SE 0.05077
    r = logistic(ucb_cases, "y", ["sex"])
    assert r.estimated
    tab = r.odds_ratios.set_index("term")
    assert tab.loc["(konstant)", "coef"] == pytest.approx(-0.83049, abs=5e-6)
    assert tab.loc["(konstant)", "se"] == pytest.approx(0.05077, abs=5e-6)
    # With one binary predictor the OR is the sample odds ratio and its Wald SE is
    # Woolf's sqrt(1/a + 1/b + 1/c + 1/d) (formula check): 1198·1278 / (1493·557)
    assert tab.loc["sex=man", "odds_ratio"] == pytest.approx(1198 * 1278 / (1493 * 557), rel=1e-8)
    woolf = math.sqrt(1 / 1198 + 1 / 1493 + 1 / 557 + 1 / 1278)
    assert tab.loc["sex=man", "se"] == pytest.approx(woolf, rel=1e-6)


def test_logistic_adjusted_agrees_with_mantel_haenszel(ucb_cases):
    r = logistic(ucb_cases, "y", ["sex", "dept"])
    tab = r.odds_ratios.set_index("term")
    # The department-adjusted OR is close to R's Mantel-Haenszel 0.9046968 (different estimator).
    assert tab.loc["sex=man", "odds_ratio"] == pytest.approx(0.9046968, abs=0.002)
    assert tab.loc["sex=man", "p"] > 0.05
    assert len(tab) == 7  # constant, sex, five departments


def test_logistic_reports_separation_instead_of_crashing():
    df = pd.DataFrame({"y": [1, 1, 0, 0, 1, 0], "g": list("aabbab")})
    r = logistic(df, "y", ["g"])
    assert not r.estimated
    assert "separation" in r.message
    assert r.to_json_dict()["oddskvoter"] == []
    r = logistic(pd.DataFrame({"y": [1, 1, 1], "g": list("abc")}), "y", ["g"])
    assert not r.estimated and "varierar inte" in r.message
    with pytest.raises(InputError):
        logistic(pd.DataFrame({"y": [2, 0], "g": ["a", "b"]}), "y", ["g"])
