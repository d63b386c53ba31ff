"""Tests for granskning.analysis.tables: the five published SEED-004 tables, rebuilt from cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

# The published tables (DOMAIN.md §2.1–2.5, SEED-004 Tables 1–5), typed once for all tests.
from analysis_data import A2_UNITS, DISTRICTS, TABLE_1, TABLE_2, TABLE_3, TABLE_4, TABLE_5
from hypothesis import given, settings
from hypothesis import strategies as st

from granskning.analysis.tables import crosstab, crosstab_shares, indicator, sv_key
from granskning.errors import InputError

HINDRANCES = ["Barnet vill inte", "Barnet kan inte", "VH samtycker inte"]


def cases_from_table(table: dict[str, list[int]], strata: list[str], seed: int = 11) -> pd.DataFrame:
    """Expand a published table into one row per case and shuffle the rows."""
    rows = [(s, cat) for cat, counts in table.items() for s, k in zip(strata, counts, strict=True)
            for _ in range(k)]
    df = pd.DataFrame(rows, columns=["stadsdel", "svar"])
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)


def expected_layout(table, strata, total="Total") -> pd.DataFrame:
    out = pd.DataFrame(table, index=strata).T
    out[total] = out.sum(axis=1)
    out.loc[total] = out.sum(axis=0)
    return out


@pytest.mark.parametrize(
    ("table", "strata", "total"),
    [(TABLE_1, DISTRICTS, "Total"), (TABLE_2, DISTRICTS, "Total"), (TABLE_3, A2_UNITS, "Totalt"),
     (TABLE_4, A2_UNITS, "Totalt"), (TABLE_5, A2_UNITS, "Totalt")],
    ids=["tabell1", "tabell2", "tabell3", "tabell4", "tabell5"],
)
def test_published_tables_are_reproduced_exactly(table, strata, total):
    df = cases_from_table(table, strata)
    got = crosstab(df, "svar", "stadsdel", categories=list(table), total_label=total)
    want = expected_layout(table, strata, total)
    # Swedish alphabetical order gives the published column order without being told.
    assert list(got.columns) == strata + [total]
    assert list(got.index) == list(table) + [total]
    assert (got.to_numpy() == want.to_numpy()).all()
    # Published totals: 26 per district (A1) or 12 per unit (A2).
    assert set(got.loc[total].iloc[:-1]) == ({26} if len(strata) == 11 else {12})


def test_table_1_shares_match_the_derived_percentages():
    # DOMAIN.md §2.1 [D]: physical meeting 130/286 = 45.45 %; Skärholmen 92.3 %, Farsta 42.3 %.
    df = cases_from_table(TABLE_1, DISTRICTS)
    shares = crosstab_shares(df, "svar", "stadsdel", categories=list(TABLE_1))
    assert shares.loc["Fysiskt möte", "Total"] == pytest.approx(130 / 286)
    assert round(100 * shares.loc["Fysiskt möte", "Skärholmen"], 1) == 92.3
    assert round(100 * shares.loc["Fysiskt möte", "Farsta"], 1) == 42.3
    assert shares.loc["Total"].to_numpy() == pytest.approx(np.ones(12))


def test_child_heard_indicator_52_of_208_with_hindrances_excluded():
    # DOMAIN.md §2.2: Ja / (Ja + Nej) = 52/208 = 25.0 %; all three hindrances leave the denominator.
    df = cases_from_table(TABLE_2, DISTRICTS)
    r = indicator(df, "svar", "stadsdel", positive=["Ja"], excluded=HINDRANCES, seed=2024)
    assert (r.overall.count, r.overall.nobs) == (52, 208)
    assert r.overall.estimate == 0.25
    # Per district (DOMAIN.md §2.2): Bromma 4/19 = 21.1 % … Södermalm 5/11 = 45.5 %.
    expected = {
        "Bromma": (4, 19, 21.1), "Enskede-Årsta-Vantör": (3, 19, 15.8), "Farsta": (4, 23, 17.4),
        "Hägersten-Älvsjö": (5, 22, 22.7), "Hässelby-Vällingby": (5, 20, 25.0), "Järva": (8, 20, 40.0),
        "Kungsholmen": (2, 17, 11.8), "Norra innerstaden": (4, 21, 19.0), "Skarpnäck": (2, 17, 11.8),
        "Skärholmen": (10, 19, 52.6), "Södermalm": (5, 11, 45.5),
    }
    assert list(r.per_stratum) == DISTRICTS
    for district, (x, n, pct) in expected.items():
        p = r.per_stratum[district]
        assert (p.count, p.nobs) == (x, n)
        assert round(100 * p.estimate, 1) == pct
        assert p.low < p.estimate < p.high
    # Over all 286 cases (nothing excluded) the rate would be 52/286 = 18.2 %.
    r_all = indicator(df, "svar", "stadsdel", positive=["Ja"], seed=1)
    assert round(100 * r_all.overall.estimate, 1) == 18.2
    # Expected counts are small (Södermalm: 11 · 52/208 = 2.75), so the p-value is simulated.
    assert r.homogeneity.method == "monte-carlo"
    assert r.homogeneity.seed == 2024
    assert 0 < r.homogeneity.p <= 1


def test_a2_indicators_from_tables_4_and_5():
    # DOMAIN.md §2.4: participation among eligible = 5/22 = 22.7 %;
    # §2.5: involved in the closing meeting = Ja/(Ja+Nej) = 2/17 = 11.8 %; 27 closed cases.
    df4 = cases_from_table(TABLE_4, A2_UNITS)
    r4 = indicator(df4, "svar", "stadsdel", positive=["Ja"],
                   excluded=["Barnet under fyra år", "Barnet vill inte", "Genomförandeplan saknas"])
    assert (r4.overall.count, r4.overall.nobs) == (5, 22)
    df5 = cases_from_table(TABLE_5, A2_UNITS)
    r5 = indicator(df5, "svar", "stadsdel", positive=["Ja"],
                   excluded=["Inget avslutsmöte hålls", "Insatsen pågår fortfarande",
                             "Barnet under fyra år", "Barnet vill inte"])
    assert (r5.overall.count, r5.overall.nobs) == (2, 17)
    assert round(100 * r5.overall.estimate, 1) == 11.8
    assert 36 - crosstab(df5, "svar", "stadsdel").loc["Insatsen pågår fortfarande", "Total"] == 27
    # Table 3: 28/36 = 77.8 % have a completed plan.
    r3 = indicator(cases_from_table(TABLE_3, A2_UNITS), "svar", "stadsdel", positive=["Ja"])
    assert round(100 * r3.overall.estimate, 1) == 77.8


def test_design_based_estimate_for_equal_allocation():
    # Equal allocation (26 per district) and equal N_h = 500 give equal weights, so the
    # design-based rate is the unweighted 52/208 exactly (a domain mean).
    df = cases_from_table(TABLE_2, DISTRICTS).assign(N=500)
    r = indicator(df, "svar", "stadsdel", positive=["Ja"], excluded=HINDRANCES, population="N")
    assert r.estimate.estimate == pytest.approx(0.25)
    assert r.estimate.n == 208
    assert 0 < r.estimate.se < 0.05
    json = r.to_json_dict()
    assert json["skattning"]["andel"] == pytest.approx(0.25)
    assert set(json["skattning"]) == {"andel", "standardfel", "ki", "intervall", "designeffekt"}
    # Unequal population sizes move the estimate towards the big districts.
    big = {"Skärholmen": 5000}
    df2 = df.assign(N=df.stadsdel.map(big).fillna(500))
    r2 = indicator(df2, "svar", "stadsdel", positive=["Ja"], excluded=HINDRANCES, population="N")
    assert r2.estimate.estimate > 0.25  # Skärholmen's 52.6 % weighs more


def test_indicator_json_shape():
    df = cases_from_table(TABLE_2, DISTRICTS)
    j = indicator(df, "svar", "stadsdel", positive=["Ja"], excluded=HINDRANCES).to_json_dict()
    assert j["taljare"] == 52 and j["namnare"] == 208 and j["andel"] == 0.25
    assert len(j["ki"]) == 2
    assert j["per_stratum"]["Södermalm"] == {
        "taljare": 5, "namnare": 11, "andel": pytest.approx(5 / 11), "ki": [pytest.approx(0.2127, abs=1e-4),
                                                                          pytest.approx(0.7199, abs=1e-4)]}
    assert set(j["homogenitet"]) >= {"statistik", "p", "metod"}


def test_multiple_choice_counts_each_choice():
    df = pd.DataFrame({
        "enhet": ["A", "A", "B", "B", "B"],
        "skal": ["Våld; Konflikt", "Våld", "Konflikt;Missbruk", "", "Våld;Konflikt;Missbruk"],
    })
    t = crosstab(df, "skal", "enhet", multiple=True)
    assert t.loc["Våld", "A"] == 2 and t.loc["Konflikt", "B"] == 2
    assert t.loc["Total", "Total"] == 8  # more than the 4 answering cases
    s = crosstab_shares(df, "skal", "enhet", multiple=True)
    assert s.loc["Våld", "A"] == 1.0  # both answering cases in A mention violence
    assert s.loc["Total", "B"] == pytest.approx(5 / 2)


def test_unknown_category_names_row_and_column():
    df = pd.DataFrame({"enhet": ["A", "A", "B"], "svar": ["Ja", "Kanske", "Nej"]})
    with pytest.raises(InputError, match=r'rad 3, kolumn "svar": svaret \'Kanske\''):
        crosstab(df, "svar", "enhet", categories=["Ja", "Nej"])
    df = pd.DataFrame({"enhet": ["A", ""], "svar": ["Ja", "Nej"]})
    with pytest.raises(InputError, match=r'rad 3, kolumn "enhet"'):
        crosstab(df, "svar", "enhet")
    with pytest.raises(InputError, match="både positiv och exkluderad"):
        indicator(df.assign(enhet="A"), "svar", "enhet", positive=["Ja"], excluded=["Ja"])


def test_stratum_with_empty_denominator_has_unknown_rate():
    df = pd.DataFrame({"enhet": ["A", "A", "B"], "svar": ["Ja", "Nej", "Barnet kan inte"]})
    r = indicator(df, "svar", "enhet", positive=["Ja"], excluded=["Barnet kan inte"])
    assert r.per_stratum["B"].nobs == 0
    assert math.isnan(r.per_stratum["B"].estimate)
    assert r.to_json_dict()["per_stratum"]["B"]["andel"] is None


def test_swedish_sort_key():
    assert sorted(["Östermalm", "Årsta", "Älvsjö", "Bromma"], key=sv_key) == [
        "Bromma", "Årsta", "Älvsjö", "Östermalm"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["x", "y", "z", ""])), min_size=1, max_size=60))
def test_crosstab_totals_are_consistent(rows):
    df = pd.DataFrame(rows, columns=["s", "q"])
    t = crosstab(df, "q", "s")
    body = t.iloc[:-1, :-1]
    assert (t.iloc[:-1, -1] == body.sum(axis=1)).all()
    assert (t.iloc[-1, :-1] == body.sum(axis=0)).all()
    assert t.iloc[-1, -1] == (df.q != "").sum()


def test_national_scale_tables():
    rng = np.random.default_rng(0)
    n = 290 * 30
    df = pd.DataFrame({"s": np.repeat([f"S{i:03d}" for i in range(290)], 30),
                       "q": rng.choice(["Ja", "Nej", "Barnet kan inte"], size=n)})
    table = crosstab(df, "q", "s")
    assert table.shape[1] == 291 and int(table.iloc[-1, -1]) == n
    res = indicator(df, "q", "s", positive=["Ja"], excluded=["Barnet kan inte"])
    assert res.overall.nobs == int((df["q"] != "Barnet kan inte").sum())
    assert res.overall.count == int((df["q"] == "Ja").sum())


def test_design_interval_of_a_rare_indicator_stays_within_0_and_1():
    # 1 positive of 16 in the denominator: the Wald interval 1/16 ± 1.96·SE goes below 0.
    df = pd.DataFrame({"s": ["A"] * 10 + ["B"] * 10, "N": [100] * 10 + [300] * 10,
                       "q": ["Ja"] + ["Nej"] * 7 + ["Ej aktuellt"] * 2 + ["Nej"] * 8 + ["Ej aktuellt"] * 2})
    res = indicator(df, "q", "s", positive=["Ja"], excluded=["Ej aktuellt"], population="N",
                    interval="wald")
    assert res.estimate.low == 0.0
    assert 0 < res.estimate.estimate < res.estimate.high <= 1
    # The default is Korn–Graubard, which needs no clipping. R:
    #   t$y <- ifelse(t$q == "Ej", NA, as.numeric(t$q == "Ja"))
    #   d <- svydesign(ids=~1, strata=~s, fpc=~N, data=t)
    #   svyciprop(~y, d, method="beta", na.rm=TRUE)  -> 0.03125, CI 0.000955175969524901 0.156050781756318
    #   svyciprop(~y, d, method="logit", na.rm=TRUE) -> CI 0.00408578306764963 0.202324878135244
    res = indicator(df, "q", "s", positive=["Ja"], excluded=["Ej aktuellt"], population="N")
    assert res.estimate.interval == "beta"
    assert (res.estimate.low, res.estimate.high) == pytest.approx((0.000955175969524901, 0.156050781756318),
                                                                  abs=1e-9)
    res = indicator(df, "q", "s", positive=["Ja"], excluded=["Ej aktuellt"], population="N",
                    interval="logit")
    assert (res.estimate.low, res.estimate.high) == pytest.approx((0.00408578306764963, 0.202324878135244),
                                                                  abs=1e-8)
