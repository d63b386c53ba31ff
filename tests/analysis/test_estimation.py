"""Tests for granskning.analysis.estimation against R survey output on apistrat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from granskning.analysis.estimation import parse_numbers, stratified_estimate
from granskning.errors import InputError

APISTRAT = "/work/shared/testdata/apistrat.csv"


@pytest.fixture(scope="module")
def api() -> pd.DataFrame:
    d = pd.read_csv(APISTRAT)
    d["tier"] = np.where(d.api00 < 600, "1", np.where(d.api00 < 750, "2", "10"))
    return d


def est(df, variable, **kw):
    return stratified_estimate(df, strata="stype", population="fpc", variable=variable, **kw)


def test_mean_api00_matches_svymean(api):
    # R: dstrat <- svydesign(id=~1, strata=~stype, fpc=~fpc, data=apistrat)
    #    svymean(~api00, dstrat)  ->  mean 662.29, SE 9.4089
    # (published output, e.g. the survey package's stratified-sampling notes)
    e = est(api, "api00")
    assert e.estimate == pytest.approx(662.29, abs=0.005)
    assert e.se == pytest.approx(9.4089, abs=0.00005)
    assert (e.n, e.population, e.strata, e.df) == (200, 6194, 3, 197)
    # confint() in R: estimate ± qnorm(0.975) · SE
    assert e.low == pytest.approx(e.estimate - 1.959964 * e.se, rel=1e-6)


def test_mean_api99_and_enroll_match_svymean(api):
    # R: svymean(~api00+api99, strat_design) -> api99 629.39, SE 9.9639
    #    svymean(~enroll, strat_design)      -> 595.28, SE 18.509
    e = est(api, "api99")
    assert e.estimate == pytest.approx(629.39, abs=0.005)
    assert e.se == pytest.approx(9.9639, abs=0.00005)
    e = est(api, "enroll")
    assert e.estimate == pytest.approx(595.28, abs=0.005)
    assert e.se == pytest.approx(18.509, abs=0.0005)


def test_total_enroll_matches_svytotal(api):
    # R: svytotal(~enroll, dstrat) -> total 3687178, SE 114642
    e = est(api, "enroll", kind="total")
    assert e.estimate == pytest.approx(3687178, abs=0.5)
    assert e.se == pytest.approx(114642, abs=0.5)


# R survey 4.5 (printed to 15 digits in the svy project's test suite):
#   apistrat$tier <- ifelse(api00 < 600, 1, ifelse(api00 < 750, 2, 10))
#   dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)
#   svytotal(~factor(tier), dstrat, deff=TRUE)
TIER_TOTALS = {
    "1": (2023.88998985291, 220.152515066912, 1.18091987367229),
    "2": (2525.75998878479, 230.592280981214, 1.1801772855841),
    "10": (1644.34997940064, 213.048835018579, 1.24765244829902),
}


@pytest.mark.parametrize("tier", sorted(TIER_TOTALS))
def test_indicator_total_and_deff_match_svytotal(api, tier):
    total, se, deff = TIER_TOTALS[tier]
    d = api.assign(ind=(api.tier == tier).astype(float))
    e = est(d, "ind", kind="total", weights="pw")
    assert e.estimate == pytest.approx(total, rel=1e-8)
    assert e.se == pytest.approx(se, rel=1e-8)
    assert e.deff == pytest.approx(deff, rel=1e-8)
    # The proportion of the same indicator has the same design effect.
    p = est(d, "tier", kind="andel", value=tier, weights="pw")
    assert p.estimate * p.population == pytest.approx(total, rel=1e-8)
    assert p.deff == pytest.approx(deff, rel=1e-8)


def test_proportion_matches_svymean_factor(api):
    # R survey 4.5: svymean(~awards, ds) with ds as above -> awardsNo 0.361063935949422,
    # SE 0.034405917997269 (full design, fpc applied).
    e = est(api, "awards", kind="andel", value="No", weights="pw")
    assert e.estimate == pytest.approx(0.361063935949422, rel=1e-9)
    assert e.se == pytest.approx(0.034405917997269, rel=1e-9)
    assert 0 <= e.low < e.estimate < e.high <= 1


def test_sch_wide_share_matches_svymean_interaction(api):
    # R survey 4.5: svymean(~interaction(awards, sch.wide), ds) -> No.No 0.172051988584176
    # (SE 0.0243447801130748); there is no Yes.No cell, so P(sch.wide == "No") is that cell
    # and svymean(~I(sch.wide == "Yes"), ds) = 1 − 0.172051988584176 with the same SE.
    e = est(api, "sch.wide", kind="andel", value="Yes", weights="pw")
    assert e.estimate == pytest.approx(1 - 0.172051988584176, rel=1e-9)
    assert e.se == pytest.approx(0.0243447801130748, rel=1e-9)


def test_domain_proportion_matches_svymean_on_subset(api):
    # R survey 4.5: ss <- subset(ds, awards == "Yes")
    #   svymean(~interaction(stype, sch.wide), ss)
    #   E.Yes 0.815482725699157 (SE 0.0199039427230178),
    #   H.Yes 0.0610475642671339 (SE 0.0119707320727657)
    # Rows outside the domain have an empty value: they stay in the design.
    d = api.assign(dom=np.where(api.awards == "Yes", api.stype + "." + api["sch.wide"], ""))
    e = est(d, "dom", kind="andel", value="E.Yes", weights="pw")
    assert e.estimate == pytest.approx(0.815482725699157, rel=1e-9)
    assert e.se == pytest.approx(0.0199039427230178, rel=1e-9)
    assert e.n == 113
    h = est(d, "dom", kind="andel", value="H.Yes", weights="pw")
    assert h.se == pytest.approx(0.0119707320727657, rel=1e-9)
    # A physical row subset would ignore the design and give a different SE.
    sub = d[d.awards == "Yes"]
    wrong = est(sub, "dom", kind="andel", value="E.Yes", weights="pw")
    assert wrong.se != pytest.approx(e.se, rel=1e-4)


def test_default_weights_are_population_over_sample(api):
    # apistrat's pw column is N_h/n_h rounded to float32; the default weights agree.
    a = est(api, "api00")
    b = est(api, "api00", weights="pw")
    assert a.estimate == pytest.approx(b.estimate, rel=1e-7)


def test_census_stratum_contributes_no_variance():
    # Every unit of stratum B is in the sample (n = N): fpc = 0, so the SE comes
    # from stratum A alone. By hand: A has y = 1, 2, 3 (s² = 1), N_A = 30, n_A = 3;
    # mean = (30·2 + 2·10)/32 = 2.5; var = (30/32)² · (1 − 3/30) · 1/3.
    df = pd.DataFrame({"h": ["A"] * 3 + ["B"] * 2, "N": [30] * 3 + [2] * 2, "y": [1, 2, 3, 10, 10]})
    e = stratified_estimate(df, strata="h", population="N", variable="y")
    assert e.estimate == pytest.approx(2.5)
    assert e.se == pytest.approx(np.sqrt((30 / 32) ** 2 * 0.9 / 3))


def test_text_input_with_swedish_numbers():
    df = pd.DataFrame({"h": ["A", "A", "B", "B"], "N": ["10", "10", "1 000", "1 000"],
                       "y": ["1,5", "2,5", "−1", ""]})
    e = stratified_estimate(df, strata="h", population="N", variable="y", kind="total")
    # B has one value in its domain: total = 10/2·(1.5+2.5) + 1000/2·(−1) = −480
    assert e.estimate == pytest.approx(-480)
    assert e.n == 3
    json = e.to_json_dict()
    assert json["skattning"] == pytest.approx(-480)
    assert set(json) >= {"skattning", "standardfel", "ki", "designeffekt"}
    assert len(json["ki"]) == 2


def test_errors_name_row_and_column():
    df = pd.DataFrame({"h": ["A", "A", "B", "B"], "N": [10, 11, 5, 5], "y": [1, 2, 3, 4]})
    with pytest.raises(InputError, match=r'rad 3, kolumn "N"'):
        stratified_estimate(df, strata="h", population="N", variable="y")
    df = pd.DataFrame({"h": ["A", "A"], "N": [10, 10], "y": ["1", "x"]})
    with pytest.raises(InputError, match=r'rad 3, kolumn "y": \'x\' är inget tal'):
        stratified_estimate(df, strata="h", population="N", variable="y")
    df = pd.DataFrame({"h": ["A", "A", "A"], "N": [2, 2, 2], "y": [1, 2, 3]})
    with pytest.raises(InputError, match="populationen är bara 2"):
        stratified_estimate(df, strata="h", population="N", variable="y")
    df = pd.DataFrame({"h": ["A", "B", "B"], "N": [5, 5, 5], "y": [1, 2, 3]})
    with pytest.raises(InputError, match="bara en rad"):
        stratified_estimate(df, strata="h", population="N", variable="y")
    with pytest.raises(InputError, match="kolumnen finns inte"):
        stratified_estimate(df, strata="h", population="N", variable="saknas")
    with pytest.raises(InputError, match="--varde"):
        stratified_estimate(df, strata="h", population="N", variable="y", kind="andel")
    with pytest.raises(InputError, match="medel, total, andel"):
        stratified_estimate(df, strata="h", population="N", variable="y", kind="median")


def test_parse_numbers_keeps_numeric_columns():
    df = pd.DataFrame({"x": [1.5, np.nan]})
    out = parse_numbers(df, "x")
    assert out[0] == 1.5 and np.isnan(out[1])


# R survey 4.1.1 (Debian r-cran-survey), options(digits = 15):
#   d <- svydesign(ids=~1, strata=~stype, fpc=~fpc, data=apistrat)
#   svyciprop(~I(sch.wide=="Yes"), d, method="beta")  -> 0.827948014207297, CI 0.774171331328184 0.87343159530707
#   svyciprop(~I(sch.wide=="Yes"), d, method="logit") -> CI 0.774539657073758 0.870814857199849
#   svyciprop(~I(sch.wide=="Yes"), d, method="beta", level=0.9)  -> CI 0.782839691120799 0.866876455628777
#   svyciprop(~I(sch.wide=="Yes"), d, method="logit", level=0.9) -> CI 0.783930350091739 0.864547826682213
#   svyciprop(~I(awards=="Yes"), d, method="beta")  -> 0.638936067161769, CI 0.56721870407675 0.706354786475015
#   svyciprop(~I(awards=="Yes"), d, method="logit") -> CI 0.568721101477085 0.703675782774375
SVYCIPROP = [
    ("sch.wide", "beta", 0.05, 0.774171331328184, 0.87343159530707),
    ("sch.wide", "logit", 0.05, 0.774539657073758, 0.870814857199849),
    ("sch.wide", "beta", 0.10, 0.782839691120799, 0.866876455628777),
    ("sch.wide", "logit", 0.10, 0.783930350091739, 0.864547826682213),
    ("awards", "beta", 0.05, 0.56721870407675, 0.706354786475015),
    ("awards", "logit", 0.05, 0.568721101477085, 0.703675782774375),
]


@pytest.mark.parametrize(("variable", "interval", "alpha", "low", "high"), SVYCIPROP)
def test_share_intervals_match_svyciprop(api, variable, interval, alpha, low, high):
    e = est(api, variable, kind="andel", value="Yes", interval=interval, alpha=alpha)
    assert e.interval == interval
    # beta is computed exactly as R does; logit differs only by svyglm's convergence (~1e-9).
    tol = 1e-9 if interval == "beta" else 1e-8
    assert e.low == pytest.approx(low, abs=tol)
    assert e.high == pytest.approx(high, abs=tol)


def test_share_interval_defaults_to_korn_graubard(api):
    e = est(api, "sch.wide", kind="andel", value="Yes")
    assert e.interval == "beta"
    assert e.to_json_dict()["intervall"] == "beta"
    assert (e.low, e.high) == pytest.approx((0.774171331328184, 0.87343159530707), abs=1e-9)
    wald = est(api, "sch.wide", kind="andel", value="Yes", interval="wald")
    # R: confint(svymean(~I(sch.wide=="Yes"), d)) = estimate ± qnorm(0.975)·SE
    assert wald.low == pytest.approx(wald.estimate - 1.959964 * wald.se, rel=1e-6)


def test_domain_share_matches_svyciprop_with_na_rm(api):
    # R: apistrat$y <- ifelse(apistrat$api00 > 700, as.numeric(apistrat$comp.imp == "Yes"), NA)
    #    d2 <- svydesign(ids=~1, strata=~stype, fpc=~fpc, data=apistrat)
    #    svyciprop(~y, d2, method="beta", na.rm=TRUE)  -> 0.71344949849869, CI 0.590024715608647 0.817286463310406
    #    svyciprop(~y, d2, method="logit", na.rm=TRUE) -> CI 0.593806794075585 0.80917657704207
    #    (nrow(d2) = 200, degf(d2) = 197: the whole design, not the domain, sets the df correction)
    d = api.assign(y=np.where(api.api00 > 700, (api["comp.imp"] == "Yes").astype(float), np.nan))
    e = est(d, "y", kind="medel", interval="beta")
    assert e.estimate == pytest.approx(0.71344949849869, abs=1e-12)
    assert (e.low, e.high) == pytest.approx((0.590024715608647, 0.817286463310406), abs=1e-9)
    e = est(d, "y", kind="medel", interval="logit")
    assert (e.low, e.high) == pytest.approx((0.593806794075585, 0.80917657704207), abs=1e-8)


def test_small_samples_match_svyciprop():
    # R: t <- data.frame(h="A", N=20, y=c(1,1,0)); dt <- svydesign(ids=~1, strata=~h, fpc=~N, data=t)
    #    svyciprop(~y, dt, method="beta")  -> CI 0.0588362512130555 0.996652925962777
    #    svyciprop(~y, dt, method="logit") -> CI 0.00518324349426288 0.998699132090086
    t = pd.DataFrame({"h": "A", "N": 20, "y": ["Ja", "Ja", "Nej"]})
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja")
    assert (e.low, e.high) == pytest.approx((0.0588362512130555, 0.996652925962777), abs=1e-9)
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja",
                            interval="logit")
    assert (e.low, e.high) == pytest.approx((0.00518324349426288, 0.998699132090086), abs=1e-7)
    # R: t <- data.frame(h=rep(c("A","B","C"), each=4), N=rep(c(30,50,80), each=4),
    #                    y=c(1,1,1,1, 1,1,1,1, 1,1,1,0))
    #    svyciprop(~y, dt, method="beta") -> 0.875, CI 0.438890110621915 0.998034426788316
    t = pd.DataFrame({"h": np.repeat(["A", "B", "C"], 4), "N": np.repeat([30, 50, 80], 4),
                      "y": ["Ja"] * 11 + ["Nej"]})
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja")
    assert e.estimate == 0.875
    assert (e.low, e.high) == pytest.approx((0.438890110621915, 0.998034426788316), abs=1e-9)


def test_all_yes_never_prints_a_certainty():
    # Issue 9 item 3: three cases all "Ja" printed "100,0 % (95 % KI 100,0–100,0 %)" (Wald clipped).
    # R's svyciprop(method = "beta") gives NaN here (n.eff = 0/0); we use the n = 3 cases seen:
    # Clopper–Pearson lower bound qbeta(0.025, 3, 1) = 0.025^(1/3) = 0.292401773821287 (R), upper 1.
    t = pd.DataFrame({"h": "A", "N": 20, "y": ["Ja", "Ja", "Ja"]})
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja")
    assert e.estimate == 1.0 and e.se == 0.0
    assert e.low == pytest.approx(0.292401773821287, abs=1e-12)
    assert e.high == 1.0
    # The same all-"Nej": the mirror image.
    t["y"] = "Nej"
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja")
    assert e.low == 0.0 and e.high == pytest.approx(1 - 0.292401773821287, abs=1e-12)
    # Several strata all "Ja" (12 rows, 3 strata): n_eff = 12 · (qt(.025, 11)/qt(.025, 9))^2 =
    # 11.3597801535416 and the lower bound qbeta(0.025, n_eff, 1) = 0.722721314332278 (R).
    t = pd.DataFrame({"h": np.repeat(["A", "B", "C"], 4), "N": np.repeat([30, 50, 80], 4), "y": "Ja"})
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja")
    assert e.low == pytest.approx(0.722721314332278, abs=1e-9) and e.high == 1.0
    # Wald on request still collapses (that is what Wald does); logit has no interval at p = 1.
    w = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja",
                            interval="wald")
    assert (w.low, w.high) == (1.0, 1.0)
    lg = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja",
                             interval="logit")
    assert np.isnan(lg.low) and np.isnan(lg.high)


def test_a_census_has_no_sampling_error():
    # Every case of the population read (n = N): the share is known, the interval is the point.
    t = pd.DataFrame({"h": "A", "N": 3, "y": ["Ja", "Ja", "Ja"]})
    e = stratified_estimate(t, strata="h", population="N", variable="y", kind="andel", value="Ja")
    assert (e.low, e.high) == (1.0, 1.0)


def test_interval_choice_is_checked():
    t = pd.DataFrame({"h": "A", "N": 20, "y": [1.5, 2.0, 3.0]})
    with pytest.raises(InputError, match="gäller andelar"):
        stratified_estimate(t, strata="h", population="N", variable="y", interval="beta")
    with pytest.raises(InputError, match="okänt intervall"):
        stratified_estimate(t, strata="h", population="N", variable="y", interval="wilson")
