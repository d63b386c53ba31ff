"""Tests for granskning.analysis.analyse: the published SEED-004 tables and rates rebuilt end to end."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from analysis_data import (
    A2_UNITS,
    DISTRICTS,
    TABLE_1,
    TABLE_2,
    TABLE_2_RATES,
    TABLE_3,
    TABLE_4,
    TABLE_5,
    a1_cases,
    a2_cases,
    expected_layout,
)

from granskning import checklist as cl
from granskning.analysis.analyse import analyse, parse_bands
from granskning.errors import InputError

APISTRAT = "/work/shared/testdata/apistrat.csv"


@pytest.fixture(scope="module")
def fb():
    return cl.load("forhandsbedomning-0-12")


@pytest.fixture(scope="module")
def ov():
    return cl.load("oppenvard-0-12")


@pytest.fixture(scope="module")
def a1(fb):
    return analyse(a1_cases(), fb, strata="stadsdel", sex="kon", age="alder", id_column="case_id",
                   seed=2024)


def small_checklist(body: str):
    head = 'id: test\ntitel: Test\nversion: "1"\nomraden:\n  - id: a\n    titel: A\n    fragor:\n'
    return cl.loads(head + textwrap.indent(textwrap.dedent(body), "      "))


# ---------------------------------------------------------------- A1 (DOMAIN.md §2.1–2.2)


@pytest.mark.parametrize(("qid", "table"), [("F5", TABLE_1), ("F7", TABLE_2)])
def test_a1_tables_reproduce_the_published_tables(a1, qid, table):
    t = a1.tables[qid].counts
    # Checklist order gives the published row order; Swedish order the published column order.
    assert list(t.index) == list(table) + ["Total"]
    assert list(t.columns) == DISTRICTS + ["Total"]
    assert t.to_numpy().tolist() == expected_layout(table, DISTRICTS, "Total")
    assert a1.strata == tuple(DISTRICTS)


def test_a1_contact_shares_match_the_derived_percentages(a1):
    # DOMAIN.md §2.1 [D]: physical meeting 130/286 = 45.45 %; Skärholmen 92.3 %, Bromma 26.9 %.
    s = a1.tables["F5"].shares
    assert s.loc["Fysiskt möte", "Total"] == pytest.approx(130 / 286)
    assert round(100 * s.loc["Fysiskt möte", "Skärholmen"], 1) == 92.3
    assert round(100 * s.loc["Fysiskt möte", "Bromma"], 1) == 26.9
    assert round(100 * s.loc["Endast telefon", "Total"], 1) == 47.2


def test_a1_child_heard_is_52_of_208_with_wilson_interval(a1):
    # DOMAIN.md §2.2: Ja / (Ja + Nej) = 52/208 = 25.0 % (all three hindrances leave the denominator).
    ind = a1.indicators["F7"]
    o = ind.result.overall
    assert (o.count, o.nobs, o.estimate) == (52, 208, 0.25)
    # R: prop.test(52, 208, correct = FALSE)$conf.int (Wilson) -> 0.1960474 0.3130194,
    # "19,6–31,3 %" in the issue text.
    assert (round(o.low, 4), round(o.high, 4)) == (0.1960, 0.3130)
    for district, (x, n, pct) in TABLE_2_RATES.items():
        p = ind.result.per_stratum[district]
        assert (p.count, p.nobs, round(100 * p.estimate, 1)) == (x, n, pct)
    # Only F7 of the questions in this data set is an indicator.
    assert list(a1.indicators) == ["F7"]


def test_a1_funnel_flags_skarholmen_at_95_but_not_998(a1):
    # Centre 52/208 = 0.25. R: pbinom(9, 19, 0.25, lower.tail = FALSE) = 0.0089: Skärholmen's
    # 10/19 lies above the 97.5 % quantile but below the 99.9 % one. Södermalm 5/11:
    # pbinom(4, 11, 0.25, lower.tail = FALSE) = 0.115, inside.
    f = a1.indicators["F7"].funnel
    assert f.centre == 0.25
    assert f.outside(0.95) == {"over": ["Skärholmen"], "under": []}
    assert f.outside(0.998) == {"over": [], "under": []}
    frame = a1.indicator_frame()
    row = frame[(frame.question == "F7") & (frame.stratum == "Skärholmen")].iloc[0]
    assert (row.funnel_95, row.funnel_99_8) == ("över", "inom")


def test_a1_homogeneity_is_simulated_and_seeded(a1):
    h = a1.homogeneity_frame().set_index(["question", "test"])
    # Expected counts are small (Södermalm: 11 · 52/208 = 2.75), so p is a Monte Carlo p.
    row = h.loc[("F7", "indikator")]
    assert row.method == "monte-carlo" and row.seed == 2024 and row.n_sim == 2000
    assert row.min_expected == pytest.approx(11 * 52 / 208)
    assert row.df == 10 and row.n == 208
    # The distribution of F5: 4 categories × 11 districts, 286 cases, df = 3 · 10.
    assert h.loc[("F5", "fördelning")].df == 30 and h.loc[("F5", "fördelning")].n == 286
    again = analyse(a1_cases(), cl.load("forhandsbedomning-0-12"), strata="stadsdel", seed=2024)
    assert again.indicators["F7"].result.homogeneity.p == a1.indicators["F7"].result.homogeneity.p


def test_a1_design_based_estimate_with_equal_and_unequal_population(fb):
    df = a1_cases()
    # Equal N_h and equal n_h give equal weights: the design-based rate is 52/208 exactly.
    eq = analyse(df, fb, strata="stadsdel", population_sizes={d: 400 for d in DISTRICTS})
    assert eq.indicators["F7"].result.estimate.estimate == pytest.approx(0.25)
    # Unequal N_h: the domain ratio Σ (N_h/26)·x_h / Σ (N_h/26)·d_h by hand from §2.2.
    sizes = {d: 100 * (i + 1) for i, d in enumerate(DISTRICTS)}
    by_hand = (sum(sizes[d] / 26 * x for d, (x, _n, _p) in TABLE_2_RATES.items())
               / sum(sizes[d] / 26 * n for d, (_x, n, _p) in TABLE_2_RATES.items()))
    uneq = analyse(df, fb, strata="stadsdel", population_sizes=sizes)
    e = uneq.indicators["F7"].result.estimate
    assert e.estimate == pytest.approx(by_hand, rel=1e-12)
    assert e.n == 208 and e.population == pytest.approx(sum(sizes[d] / 26 * n for d, (_x, n, _p)
                                                                 in TABLE_2_RATES.items()))
    # The same sizes as a column give the same estimate.
    col = analyse(df.assign(N=df.stadsdel.map(sizes)), fb, strata="stadsdel", population="N")
    assert col.indicators["F7"].result.estimate.se == pytest.approx(e.se, rel=1e-12)
    assert uneq.estimate_frame().loc[0, "deff"] == pytest.approx(e.deff)


# ---------------------------------------------------------------- A2 (DOMAIN.md §2.3–2.5)


@pytest.mark.parametrize(("qid", "table"), [("O4", TABLE_3), ("O6", TABLE_4), ("O15", TABLE_5)])
def test_a2_tables_reproduce_tables_3_to_5(ov, qid, table):
    a = analyse(a2_cases(), ov, strata="enhet", total_label="Totalt")
    t = a.tables[qid].counts
    assert list(t.index) == list(table) + ["Totalt"]
    assert list(t.columns) == A2_UNITS + ["Totalt"]
    assert t.to_numpy().tolist() == expected_layout(table, A2_UNITS, "Totalt")


def test_a2_indicator_rates(ov):
    # DOMAIN.md §2.3: 28/36 = 77.8 %; §2.4: 5/22 = 22.7 %; §2.5: 2/17 = 11.8 %.
    a = analyse(a2_cases(), ov, strata="enhet", sex="kon", age="alder", total_label="Totalt")
    got = {q: (i.result.overall.count, i.result.overall.nobs) for q, i in a.indicators.items()}
    assert got == {"O4": (28, 36), "O6": (5, 22), "O15": (2, 17)}
    assert round(100 * a.indicators["O4"].result.overall.estimate, 1) == 77.8
    # 18 girls and 18 boys (A2's design) among the 36 with an answer to O4.
    g = a.indicators["O4"].result.gender
    assert g.girls.nobs == 18 and g.boys.nobs == 18
    # Everyone under four is a hindrance in O6: the 0–3 band is empty among the eligible.
    bands = a.gender_band_frame()
    assert bands[(bands.question == "O6") & (bands.band == "0–3 år")].denominator.sum() == 0
    frame = a.indicator_frame()
    assert list(frame[frame.question == "O15"].stratum) == A2_UNITS + ["Totalt"]


# ---------------------------------------------------------------- outside references


APISTRAT_CHECKLIST = """\
- id: T
  text: Skolans API-nivå (tier)
  typ: enval
  val: ["1", "2", "10"]
  positiva: ["1"]
  indikator: true
"""


@pytest.fixture(scope="module")
def api():
    df = pd.read_csv(APISTRAT)
    tier = np.where(df.api00 < 600, "1", np.where(df.api00 < 750, "2", "10"))
    return pd.DataFrame({"stype": df.stype, "fpc": df.fpc, "T": tier})


def test_design_estimate_matches_r_survey_on_apistrat(api):
    # R survey 4.5 (see tests/test_estimation.py):
    #   apistrat$tier <- ifelse(api00 < 600, 1, ifelse(api00 < 750, 2, 10))
    #   svytotal(~factor(tier), svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc,
    #            data=apistrat), deff=TRUE) -> tier 1: 2023.88998985291, SE 220.152515066912,
    #   deff 1.18091987367229.  N = 4421 + 1018 + 755 = 6194; the share is total / N.
    # pw is N_h/n_h stored as float32, hence rel=1e-6.
    chk = small_checklist(APISTRAT_CHECKLIST)
    a = analyse(api, chk, strata="stype", population="fpc")
    e = a.indicators["T"].result.estimate
    assert e.estimate == pytest.approx(2023.88998985291 / 6194, rel=1e-6)
    assert e.se == pytest.approx(220.152515066912 / 6194, rel=1e-6)
    assert e.deff == pytest.approx(1.18091987367229, rel=1e-6)
    j = a.to_json_dict()["indikatorer"]["T"]["skattning"]
    assert j["andel"] == pytest.approx(e.estimate) and j["designeffekt"] == pytest.approx(e.deff)
    same = analyse(api.drop(columns="fpc"), chk, strata="stype",
                   population_sizes={"E": 4421, "M": 1018, "H": 755})
    assert same.indicators["T"].result.estimate.se == pytest.approx(e.se, rel=1e-12)


UCB = np.array([  # R: UCBAdmissions, Admitted/Rejected × Male/Female per department A–F
    [[512, 89], [313, 19]], [[353, 17], [207, 8]], [[120, 202], [205, 391]],
    [[138, 131], [279, 244]], [[53, 94], [138, 299]], [[22, 24], [351, 317]],
])


def test_gender_analysis_matches_mantelhaen_on_ucb_admissions():
    # UCBAdmissions dressed as cases: department i is age i, admitted is "Ja".
    # R: mantelhaen.test(UCBAdmissions) -> X-squared = 1.4269, p = 0.2323, common OR 0.9046968
    # (male vs female), CI 0.7719074–1.0603298; we compare girls with boys, so OR = 1/0.9046968.
    rows = []
    for i, t in enumerate(UCB):
        for j, sex in enumerate(("Pojke", "Flicka")):
            answers = ["Ja"] * t[0, j] + ["Nej"] * t[1, j]
            rows.append(pd.DataFrame({"enhet": "AB"[i % 2], "kon": sex, "alder": i, "G": answers}))
    df = pd.concat(rows, ignore_index=True)
    chk = small_checklist("- id: G\n  text: Antagen?\n  typ: janej\n  indikator: true\n")
    a = analyse(df, chk, strata="enhet", sex="kon", age="alder", bands=[(k, k) for k in range(6)])
    j = a.to_json_dict()["indikatorer"]["G"]["jamstalldhet"]
    assert j["cmh_statistik"] == pytest.approx(1.4269, abs=5e-5)
    assert j["cmh_p"] == pytest.approx(0.2323, abs=5e-5)
    assert j["or_mh"] == pytest.approx(1 / 0.9046968, rel=1e-7)
    assert j["or_mh_ki"] == [pytest.approx(1 / 1.0603298, rel=1e-7), pytest.approx(1 / 0.7719074, rel=1e-7)]
    # R ?UCBAdmissions: 557 of 1835 women and 1198 of 2691 men admitted.
    assert (j["kvinnligt"]["taljare"], j["kvinnligt"]["namnare"]) == (557, 1835)
    assert j["andel_manligt"] == pytest.approx(1198 / 2691)
    assert j["skillnad"] == pytest.approx(557 / 1835 - 1198 / 2691)
    assert "men inte när hänsyn tas till barnens ålder (p = 0,23)" in j["slutsats"]
    assert a.bands == tuple((k, k) for k in range(6))


# ---------------------------------------------------------------- answers and choices


MULTI = """\
- id: M
  text: Skäl
  typ: flerval
  val: [Våld, Konflikt, Missbruk, Okänt]
- id: MI
  text: Framgår barnets röst?
  typ: flerval
  val: [I samtal, I skrift, Nej, Barnet under fyra år]
  positiva: [I samtal, I skrift]
  hinder: [Barnet under fyra år]
  indikator: true
- id: J
  text: Ja eller nej
  typ: janej
"""


def test_multiple_choice_counted_per_choice_and_answers_normalised():
    df = pd.DataFrame({
        "enhet": ["A", "A", "B", "B", "B"],
        "M": ["våld; Konflikt", "Våld", "Konflikt;missbruk", "", "Missbruk; Våld; Konflikt"],
        "MI": ["I samtal; Nej", "Nej", "I skrift", "Nej; Barnet under fyra år", None],
        "J": ["ja", "NEJ", "Ja", " ja ", ""],
    })
    a = analyse(df, small_checklist(MULTI), strata="enhet")
    t = a.tables["M"].counts
    assert t.loc["Våld", "A"] == 2 and t.loc["Konflikt", "B"] == 2 and t.loc["Okänt", "Total"] == 0
    assert t.loc["Total", "Total"] == 8  # more than the 4 answering cases
    assert a.tables["M"].multiple and a.tables["M"].homogeneity is None
    assert a.tables["M"].shares.loc["Våld", "A"] == 1.0
    assert a.tables["J"].counts.loc["Ja", "Total"] == 3  # "ja", "Ja", " ja "
    # MI: positive if any positive choice, out if any hindrance: A 1/2, B 1/1.
    r = a.indicators["MI"].result
    assert (r.per_stratum["A"].count, r.per_stratum["A"].nobs) == (1, 2)
    assert (r.per_stratum["B"].count, r.per_stratum["B"].nobs) == (1, 1)


def test_database_style_lists_are_accepted():
    df = pd.DataFrame({"enhet": ["A", "B"], "M": [["Våld", "Konflikt"], ["Okänt"]],
                       "MI": [None, ["I samtal"]], "J": ["Ja", None]})
    a = analyse(df, small_checklist(MULTI), strata="enhet")
    assert a.tables["M"].counts.loc["Total", "Total"] == 3


# ---------------------------------------------------------------- bad input


def test_answer_outside_the_choices_names_file_row_and_column(tmp_path, fb):
    from granskning.sampling.frame import read_table

    df = a1_cases()
    df.loc[6, "F7"] = "Kanske"
    path = tmp_path / "svar.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        analyse(read_table(path), fb, strata="stadsdel")
    assert info.value.row == 8 and info.value.column == "F7"
    assert info.value.file == "svar.csv"
    assert info.value.message.startswith('svar.csv, rad 8, kolumn "F7": fråga F7: "Kanske" är inget av')


def test_unknown_column_is_refused_with_a_hint(fb):
    df = a1_cases().rename(columns={"F5": "F55"})
    with pytest.raises(InputError, match=r'kolumn "F55": kolumnen ser ut som en fråga .* Menade du "F5"'):
        analyse(df, fb, strata="stadsdel", id_column="case_id")
    with pytest.raises(InputError, match=r'kolumn "Q12": kolumnen ser ut som en fråga'):
        analyse(df.assign(Q12="Ja"), fb, strata="stadsdel", ignore=["F55"])
    # Listed as other columns, it is ignored; motivations are always accepted; other
    # columns that do not look like questions are named in the warnings.
    a = analyse(df.assign(F7__motivering="x"), fb, strata="stadsdel", ignore=["F55", "case_id"])
    assert list(a.tables) == ["F7"]
    assert a.warnings == ('Kolumnerna "kon", "alder" är inga frågor i checklistan och används inte.',)


def test_missing_strata_column_and_stratum_without_population(fb):
    df = a1_cases()
    with pytest.raises(InputError, match='kolumn "distrikt": kolumnen finns inte'):
        analyse(df, fb, strata="distrikt", ignore=["stadsdel", "kon", "alder", "case_id"])
    sizes = {d: 400 for d in DISTRICTS if d != "Järva"}
    with pytest.raises(InputError, match='stratumet "Järva" saknas bland populationsstorlekarna'):
        analyse(df, fb, strata="stadsdel", id_column="case_id", ignore=["kon", "alder"],
                population_sizes=sizes)


def test_usage_errors(fb):
    df = a1_cases()
    with pytest.raises(InputError, match="både kön och ålder"):
        analyse(df, fb, strata="stadsdel", sex="kon", ignore=["alder", "case_id"])
    with pytest.raises(InputError, match="intervallmetod"):
        analyse(df, fb, strata="stadsdel", method="wald")
    with pytest.raises(InputError, match="ingen kolumn är en fråga"):
        analyse(df[["stadsdel"]], fb, strata="stadsdel")


def test_parse_bands():
    assert parse_bands("0-3,4-6,7-12") == ((0, 3), (4, 6), (7, 12))
    assert parse_bands("0–3, 4") == ((0, 3), (4, 4))
    with pytest.raises(InputError, match="FRÅN-TILL"):
        parse_bands("0-3,fyra")
    with pytest.raises(InputError, match="överlappar"):
        parse_bands("0-4,4-6")


def test_empty_indicator_has_no_funnel_and_no_estimate():
    df = pd.DataFrame({"enhet": ["A", "B"], "N": [10, 10],
                       "MI": ["Barnet under fyra år", None], "M": ["Våld", "Okänt"], "J": ["Ja", "Nej"]})
    a = analyse(df, small_checklist(MULTI), strata="enhet", population="N")
    ind = a.indicators["MI"]
    assert ind.funnel is None and ind.result.estimate is None
    j = ind.to_json_dict()
    assert j["namnare"] == 0 and j["andel"] is None and j["skattning"] is None and j["tratt"] is None
    assert math.isnan(a.indicator_frame().set_index(["question", "stratum"]).loc[("MI", "Total"), "rate"])
