"""Numeric answers in the analysis: summaries, the design-based mean, thresholds, small strata."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

from granskning import checklist as cl
from granskning.analysis.analyse import analyse
from granskning.analysis.numeric import NO_POPULATION, ONE_VALUE, numeric_mask, summarise
from granskning.checklist.threshold import ThresholdError, parse_threshold
from granskning.errors import ManyInputErrors

APISTRAT = "/work/shared/testdata/apistrat.csv"


def small_checklist(body: str, source: str | None = None):
    head = 'id: test\ntitel: Test\nversion: "1"\nomraden:\n  - id: a\n    titel: A\n    fragor:\n'
    return cl.loads(head + textwrap.indent(textwrap.dedent(body), "      "), source=source)


API_CHECKLIST = """\
- id: api00
  text: Skolans API 2000
  typ: tal
  troskel: minst 700
  raknas_som: minst 700 poäng
- id: acs46
  text: Klasstorlek åk 4–6
  typ: tal
  kravs: false
"""


@pytest.fixture(scope="module")
def api():
    d = pd.read_csv(APISTRAT)
    df = pd.DataFrame(
        {"stype": d["stype"], "api00": d["api00"], "acs46": d["acs.46"], "N": d["fpc"]}
    )
    return analyse(df, small_checklist(API_CHECKLIST), strata="stype", population="N")


# ---------------------------------------------------------------- summaries by hand


def test_summary_by_hand_with_a_missing_value():
    s = summarise(np.array([1, 2, 3, 4, 10, np.nan]))
    # n = 5, mean 20/5 = 4; type 7: h = (n − 1)p = 1, 2, 3 -> x[1] = 2, x[2] = 3, x[3] = 4 (0-based sorted)
    assert (s.n, s.missing, s.mean, s.q1, s.median, s.q3, s.minimum, s.maximum) == (
        5,
        1,
        4,
        2,
        3,
        4,
        1,
        10,
    )
    # sd: squared deviations 9 + 4 + 1 + 0 + 36 = 50, / (n − 1) = 12.5
    assert s.sd == pytest.approx(math.sqrt(12.5))


def test_quartiles_interpolate_as_r_type_7():
    # R: quantile(c(1, 2, 3, 4), type = 7) -> 25 % 1.75, 50 % 2.5, 75 % 3.25
    s = summarise(np.array([4.0, 1.0, 3.0, 2.0]))
    assert (s.q1, s.median, s.q3) == (1.75, 2.5, 3.25)


def test_all_missing_and_single_value():
    empty = summarise(np.array([np.nan, np.nan]))
    assert (empty.n, empty.missing) == (0, 2) and math.isnan(empty.mean)
    one = summarise(np.array([7.0]))
    assert (one.n, one.mean, one.median, one.minimum, one.maximum) == (
        1,
        7,
        7,
        7,
        7,
    ) and math.isnan(one.sd)


# ---------------------------------------------------------------- R survey on apistrat


def test_design_mean_matches_r_svymean(api):
    num = api.numeric["api00"]
    e = num.overall.estimate
    # R 4.x, survey: des <- svydesign(id=~1, strata=~stype, fpc=~fpc, data=apistrat)
    # m <- svymean(~api00, des); c(coef(m), SE(m)) -> 662.28736357766, 9.40894087943
    assert e.estimate == pytest.approx(662.28736357766, rel=1e-10)
    assert e.se == pytest.approx(9.40894087943, rel=1e-9)
    # confint(svymean(~api00, des)) -> 643.846178321, 680.728548834
    assert (e.low, e.high) == (
        pytest.approx(643.846178321, rel=1e-9),
        pytest.approx(680.728548834, rel=1e-9),
    )


def test_per_stratum_design_mean_matches_r_svyby(api):
    num = api.numeric["api00"]
    # R: svyby(~api00, ~stype, des, svymean) -> E 674.43 se 12.3824797939; H 625.82 se 14.9371291854;
    #    M 636.60 se 16.2147073082; confint(...) -> E 650.160785565–698.699214435
    expected = {
        "E": (674.43, 12.3824797939),
        "H": (625.82, 14.9371291854),
        "M": (636.60, 16.2147073082),
    }
    for stratum, (mean, se) in expected.items():
        e = num.per_stratum[stratum].estimate
        assert e.estimate == pytest.approx(mean, rel=1e-10) and e.se == pytest.approx(se, rel=1e-9)
    e = num.per_stratum["E"].estimate
    assert (e.low, e.high) == (
        pytest.approx(650.160785565, rel=1e-9),
        pytest.approx(698.699214435, rel=1e-9),
    )


def test_missing_values_are_outside_the_domain_as_r_na_rm(api):
    num = api.numeric["acs46"]
    # R: table(apistrat$stype, is.na(apistrat$acs.46)) -> E 98/2, H 2/48, M 34/16 (value/missing)
    assert [(num.per_stratum[s].n, num.per_stratum[s].missing) for s in "EHM"] == [
        (98, 2),
        (2, 48),
        (34, 16),
    ]
    assert (num.overall.n, num.overall.missing) == (134, 66)
    # R: m <- svymean(~acs.46, des, na.rm = TRUE); c(coef(m), SE(m)) -> 28.804481485731, 0.296792973457
    e = num.overall.estimate
    assert e.estimate == pytest.approx(28.804481485731, rel=1e-10)
    assert e.se == pytest.approx(0.296792973457, rel=1e-9)
    # R: svyby(~acs.46, ~stype, des, svymean, na.rm = TRUE) -> H 29.5 se 3.106029389764,
    #    M 29.1470588235 se 0.605127478719
    assert num.per_stratum["H"].estimate.se == pytest.approx(3.106029389764, rel=1e-9)
    assert num.per_stratum["M"].estimate.estimate == pytest.approx(29.1470588235, rel=1e-10)
    assert num.per_stratum["M"].estimate.se == pytest.approx(0.605127478719, rel=1e-9)


def test_quartiles_per_stratum_match_r(api):
    num = api.numeric["api00"]
    # R: tapply(apistrat$api00, apistrat$stype, quantile, type = 7)
    #    E 398 579.5 673.5 766.5 893; H 409 531.75 638 711.5 868; M 403 551 649 694.75 878
    got = {s: (x.minimum, x.q1, x.median, x.q3, x.maximum) for s, x in num.per_stratum.items()}
    assert got == {
        "E": (398, 579.5, 673.5, 766.5, 893),
        "H": (409, 531.75, 638, 711.5, 868),
        "M": (403, 551, 649, 694.75, 878),
    }
    # R: quantile(apistrat$api00, type = 7) -> 398 555.25 658.5 743.25 893; mean(apistrat$api00) 652.82
    o = num.overall
    assert (o.minimum, o.q1, o.median, o.q3, o.maximum, o.mean) == (
        398,
        555.25,
        658.5,
        743.25,
        893,
        pytest.approx(652.82),
    )


def test_threshold_share_matches_r_svyciprop(api):
    ind = api.indicators["api00"]
    assert ind.counted == "minst 700 poäng"
    o = ind.result.overall
    assert (o.count, o.nobs) == ((pd.read_csv(APISTRAT).api00 >= 700).sum(), 200)
    e = ind.result.estimate
    # R: x <- svyciprop(~I(api00 >= 700), des, method = "beta"); coef(x), SE(x), attr(x, "ci")
    #    -> 0.40433968, 0.0374753903701, 0.330206570842 0.481839347019
    assert e.estimate == pytest.approx(0.4043396836, rel=1e-8)
    assert e.se == pytest.approx(0.0374753903701, rel=1e-9)
    assert (e.low, e.high) == (
        pytest.approx(0.330206570842, rel=1e-8),
        pytest.approx(0.481839347019, rel=1e-8),
    )


def test_json_has_the_numbers_and_no_nan(api):
    j = json.loads(json.dumps(api.to_json_dict(), allow_nan=False))
    t = j["tal"]["api00"]
    assert t["troskel"] == {"uttryck": ">= 700", "ord": "minst 700"}
    assert t["totalt"]["skattning"]["standardfel"] == pytest.approx(9.40894087943, rel=1e-9)
    assert t["per_stratum"]["H"]["ovre_kvartil"] == 711.5
    assert "type = 7" in t["kvartilmetod"]
    assert j["indikatorer"]["api00"]["raknas_som"] == "minst 700 poäng"
    assert j["fragor"]["acs46"] == "Klasstorlek åk 4–6"


# ---------------------------------------------------------------- small, empty and odd data


NUM_CHECKLIST = """\
- id: E1
  text: Antal samtal med barnet
  typ: tal
  min: 0
  troskel: ">= 4"
  kravs: false
- id: E2
  text: Antal hembesök
  typ: tal
  kravs: false
"""


def frame(values, strata, e2=None, N=None):
    df = pd.DataFrame(
        {"h": strata, "E1": values, "E2": e2 if e2 is not None else [None] * len(values)}
    )
    if N is not None:
        df["N"] = [N[s] for s in strata]
    return df


def test_stratum_with_one_value_says_why_there_is_no_standard_error():
    df = frame([4, 5, 6, 2, None, None], ["A", "A", "A", "B", "B", "B"], N={"A": 50, "B": 40})
    a = analyse(df, small_checklist(NUM_CHECKLIST), strata="h", population="N")
    b = a.numeric["E1"].per_stratum["B"]
    assert (
        (b.n, b.missing, b.mean) == (1, 2, 2) and b.estimate is None and b.no_estimate == ONE_VALUE
    )
    assert "ett enda värde" in ONE_VALUE
    assert (
        a.numeric["E1"].overall.estimate is not None
    )  # the overall domain mean still has a variance
    j = json.dumps(a.to_json_dict(), allow_nan=False)  # nothing is NaN
    assert (
        "NaN" not in j
        and '"ingen_skattning": "standardfelet kan inte skattas från ett enda värde"'
        in json.dumps(a.to_json_dict(), ensure_ascii=False)
    )


def test_a_stratum_with_one_case_gives_no_overall_standard_error():
    df = frame([4, 5, 6, 2], ["A", "A", "A", "B"], N={"A": 50, "B": 40})
    a = analyse(
        df,
        small_checklist(NUM_CHECKLIST.replace('  troskel: ">= 4"\n', "")),
        strata="h",
        population="N",
    )
    o = a.numeric["E1"].overall
    assert (
        o.estimate is None
        and o.no_estimate == 'standardfelet kan inte skattas: h "B" har bara ett ärende i urvalet'
    )


def test_all_missing_question_is_reported_without_numbers():
    df = frame([1, 5, 3, 4], ["A", "A", "B", "B"])
    a = analyse(df, small_checklist(NUM_CHECKLIST), strata="h")
    e2 = a.numeric["E2"]
    assert e2.overall.n == 0 and e2.overall.missing == 4 and e2.overall.no_estimate == "inga värden"
    assert a.numeric["E1"].overall.no_estimate == NO_POPULATION
    j = json.loads(json.dumps(a.to_json_dict(), allow_nan=False))
    assert j["tal"]["E2"]["totalt"]["medel"] is None and j["tal"]["E2"]["totalt"]["saknas"] == 4


def test_threshold_indicator_counts_and_leaves_missing_out():
    df = frame([1, 5, 3, 4, None, 4], ["A", "A", "B", "B", "B", "A"])
    a = analyse(df, small_checklist(NUM_CHECKLIST), strata="h")
    r = a.indicators["E1"].result
    # >= 4: A has 5 and 4 of 1, 5, 4 -> 2 of 3; B has 4 of 3, 4 (missing leaves) -> 1 of 2
    assert (r.per_stratum["A"].count, r.per_stratum["A"].nobs) == (2, 3)
    assert (r.per_stratum["B"].count, r.per_stratum["B"].nobs) == (1, 2)
    assert (r.overall.count, r.overall.nobs) == (3, 5)
    assert a.indicators["E1"].counted == "minst 4"
    assert "E2" not in a.indicators


def test_all_missing_threshold_question_has_an_empty_denominator():
    df = frame([None, None, None], ["A", "B", "B"], e2=[1, 2, 3])
    a = analyse(df, small_checklist(NUM_CHECKLIST), strata="h")
    assert a.indicators["E1"].result.overall.nobs == 0 and a.indicators["E1"].funnel is None


def test_numeric_mask_withholds_small_strata_and_one_more():
    df = frame([1, 5, 3, 4, 2, 7, 8, 9, 9, 2], ["A", "B", "B", "C", "C", "C", "D", "D", "D", "D"])
    num = analyse(df, small_checklist(NUM_CHECKLIST), strata="h").numeric["E1"]
    m = numeric_mask(num, 3)
    # A has one value (primary); the smallest other, B with two, is also below 3 -> both primary
    assert m.primary == {"A", "B"} and m.strata == {"A", "B"} and m.extremes and not m.overall
    m = numeric_mask(num, 2)
    # only A is below 2: the overall mean and n would give its value back, so B (next smallest) goes too
    assert m.primary == {"A"} and m.strata == {"A", "B"}
    assert not numeric_mask(num, 1).any
    assert numeric_mask(num, 11).overall


# ---------------------------------------------------------------- the checklist key


@pytest.mark.parametrize(
    ("text", "op", "value", "words"),
    [
        (">= 4", ">=", 4, "minst 4"),
        ("minst 4", ">=", 4, "minst 4"),
        ("högst 14", "<=", 14, "högst 14"),
        ("<14", "<", 14, "mindre än 14"),
        ("över 2,5", ">", 2.5, "mer än 2,5"),
        ("≥ 4", ">=", 4, "minst 4"),
        ("= 0", "=", 0, "exakt 0"),
        ("Mindre  än 3", "<", 3, "mindre än 3"),
    ],
)
def test_parse_threshold(text, op, value, words):
    t = parse_threshold(text)
    assert (t.op, t.value, t.words) == (op, value, words)


@pytest.mark.parametrize(
    "text", ["4", "ungefär 4", ">= fyra", ">= 4 dagar", "", ">=" + "9" * 80, ">= 1e3"]
)
def test_parse_threshold_refuses(text):
    with pytest.raises(ThresholdError, match="jämförelse med ett tal"):
        parse_threshold(text)


def test_threshold_meets():
    t = parse_threshold("minst 4")
    assert [t.meets(x) for x in (3, 4, 4.5, math.nan)] == [False, True, True, False]


def test_checklist_refuses_bad_thresholds_with_file_line_and_key():
    body = """\
    - id: F1
      text: Barnet hördes
      typ: janej
      troskel: minst 1
    - id: F2
      text: Dagar
      typ: tal
      min: 0
      troskel: minst 0
    - id: F3
      text: Samtal
      typ: tal
      troskel: ungefär fyra
    - id: F4
      text: Samtal
      typ: tal
      indikator: true
    """
    with pytest.raises(ManyInputErrors) as info:
        small_checklist(body, source="egen.yaml")
    text = str(info.value)
    assert 'egen.yaml, rad 11, nyckel "troskel": troskel gäller bara frågor av typ tal' in text
    assert (
        'rad 16, nyckel "troskel": varje tillåtet svar (min och max) når tröskeln minst 0' in text
    )
    assert 'rad 20, nyckel "troskel": ska vara en jämförelse med ett tal' in text
    assert (
        'nyckel "indikator": en fråga av typ tal kan inte vara indikator (ange i stället troskel'
        in text
    )


def test_raknas_som_is_allowed_beside_a_threshold():
    chk = small_checklist(
        NUM_CHECKLIST.replace(
            '  troskel: ">= 4"\n', '  troskel: ">= 4"\n  raknas_som: minst fyra samtal\n'
        )
    )
    q = chk.question("E1")
    assert q.threshold == parse_threshold("minst 4") and q.counted_label == "minst fyra samtal"


# ---------------------------------------------------------------- outputs of granskning analys


def test_summary_text_workbook_and_chart(api, tmp_path):
    from openpyxl import load_workbook

    from granskning.analysis.output import summary_text, write_charts, write_workbook

    text = summary_text(api)
    assert (
        "Skolans API 2000 [api00]: 200 ärenden med värde. Medelvärde 652,8, median 658,5 "
        "(kvartiler 555,25–743,25), min 398, max 893."
    ) in text
    assert (
        "Designbaserat medelvärde för populationen: 662,3 (95 % KI 643,8–680,7), standardfel 9,41."
        in text
    )
    assert "  H: n = 2, medelvärde 29,5, 95 % KI 23,4–35,6, median 29,5." in text
    assert "andel minst 700 poäng: 73 av 200" in text
    assert "nan" not in text.casefold()
    path = write_workbook(api, tmp_path / "a.xlsx")
    ws = load_workbook(path)["Tal"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "Fråga",
        "Frågetext",
        "Stratum",
        "Antal med värde",
        "Saknas",
        "Medelvärde",
    )
    total = next(r for r in rows if r[0] == "acs46" and r[2] == "Total")
    assert total[3:5] == (134, 66) and total[12] == pytest.approx(28.804481485731)
    files = write_charts(api, tmp_path / "diagram")
    assert {f.name for f in files} >= {"api00_tal.png", "acs46_tal.png"}
    assert all(f.stat().st_size > 5000 for f in files)


def test_summary_text_of_an_empty_and_a_one_value_stratum():
    from granskning.analysis.output import summary_text

    df = frame([4, 5, 6, 2, None, None], ["A", "A", "A", "B", "B", "B"], N={"A": 50, "B": 40})
    text = summary_text(analyse(df, small_checklist(NUM_CHECKLIST), strata="h", population="N"))
    assert (
        "  B: n = 1, medelvärde 2,0 (standardfelet kan inte skattas från ett enda värde), median 2."
        in text
    )
    assert "Antal hembesök [E2]: inget ärende har ett värde (6 ärenden saknar värde)." in text
    assert "nan" not in text.casefold()


def test_threshold_in_the_rendered_checklist_and_its_json():
    from granskning.checklist.render import render, to_dict

    chk = small_checklist(NUM_CHECKLIST)
    assert "Tröskel, andelen som når den redovisas: minst 4" in render(chk)
    q = to_dict(chk)["omraden"][0]["fragor"][0]
    assert (q["troskel"], q["raknas_som"]) == (">= 4", "minst 4")
    assert to_dict(chk)["omraden"][0]["fragor"][1]["troskel"] is None


def test_a_computed_number_with_a_threshold_is_analysed_like_an_answered_one():
    text = """\
    id: test
    titel: Test
    version: "1"
    arendedata: {inkom_datum: datum}
    omraden:
      - id: a
        titel: A
        fragor:
          - id: F3
            text: Beslutsdatum
            typ: datum
          - id: F4_dagar
            text: Dagar från anmälan till beslut
            typ: tal
            berakna: dagar(inkom_datum, F3)
            troskel: "högst 14"
            raknas_som: beslut inom 14 dagar
    """
    chk = cl.loads(textwrap.dedent(text))
    assert chk.question("F4_dagar").computed
    df = pd.DataFrame({"h": ["A", "A", "B", "B", "B"],
                       "F3": ["2024-03-10", "2024-03-30", "2024-03-05", "2024-04-01", None],
                       "F4_dagar": [9, 29, 4, 31, None]})
    a = analyse(df, chk, strata="h")
    o = a.numeric["F4_dagar"].overall
    # 4, 9, 29, 31: mean 73/4 = 18.25; type 7 quartiles h = 0.75, 1.5, 2.25 -> 7.75, 19, 29.5
    assert (o.n, o.missing, o.mean, o.q1, o.median, o.q3) == (4, 1, 18.25, 7.75, 19, 29.5)
    r = a.indicators["F4_dagar"].result
    assert (r.overall.count, r.overall.nobs) == (2, 4) and a.indicators["F4_dagar"].counted == "beslut inom 14 dagar"


def test_summary_without_population_sizes_says_nothing_about_a_design_estimate():
    from granskning.analysis.output import summary_text

    text = summary_text(analyse(frame([1, 5, 3, 4], ["A", "A", "B", "B"]), small_checklist(NUM_CHECKLIST),
                                strata="h"))
    assert "Antal samtal med barnet [E1]: 4 ärenden med värde." in text
    assert "designbaserat medelvärde" not in text.casefold() and "KI" not in text.split("andel")[0]


def test_cases_outside_the_population_are_design_rows_without_a_value():
    from granskning.analysis.numeric import numeric_analysis

    d = pd.read_csv(APISTRAT)
    out = d.index[d.stype == "E"][:5]  # five examined E schools found outside the population
    kept = d.drop(index=out)
    work = pd.DataFrame({"stype": kept["stype"], "api00": kept["api00"].astype(float), "N": kept["fpc"]})
    q = small_checklist(API_CHECKLIST).question("api00")
    num = numeric_analysis(work, q, "stype", "N", ["E", "H", "M"], outside_rows=[("E", 4421.0)] * 5)
    # R: d$y <- d$api00; d$y[which(d$stype == "E")[1:5]] <- NA
    #    m <- svymean(~y, svydesign(id=~1, strata=~stype, fpc=~fpc, data=d), na.rm = TRUE)
    #    c(coef(m), SE(m)) -> 663.7931424171, 9.4613118266
    e = num.overall.estimate
    assert e.estimate == pytest.approx(663.7931424171, rel=1e-10) and e.se == pytest.approx(9.4613118266, rel=1e-9)
    # svyby(~y, ~stype, des, svymean, na.rm = TRUE) -> E 677.210526316, se 12.5816300812
    e = num.per_stratum["E"].estimate
    assert e.estimate == pytest.approx(677.210526316, rel=1e-10) and e.se == pytest.approx(12.5816300812, rel=1e-9)
    assert (num.per_stratum["E"].n, num.per_stratum["E"].missing) == (95, 0)  # the counts are the cases in it
