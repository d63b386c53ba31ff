"""Tests for granskning.estimation against R survey output on apistrat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from granskning.errors import InputError
from granskning.estimation import parse_numbers, stratified_estimate

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
