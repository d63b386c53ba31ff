"""Issue 9 items 2–4 as the report prints them: every sentence under one rule, never more than the data show."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from granskning import checklist as cl
from granskning.analysis.analyse import analyse
from granskning.analysis.output import summary_text
from granskning.report import chapters as report
from granskning.report.document import Bullets, Paragraph


@pytest.fixture(scope="module")
def fb():
    return cl.load("forhandsbedomning-0-12")


def single_stratum(n: int = 3, answer: str = "Ja") -> pd.DataFrame:
    # One district, every child heard: the "1 strata", "avvek" and "100,0–100,0 %" case.
    return pd.DataFrame({"case_id": [f"FB-{k:03d}" for k in range(n)], "stadsdel": "Bromma",
                         "F7": [answer] * n})


def text_of(blocks) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Paragraph):
            out.append(b.text)
        elif isinstance(b, Bullets):
            out.extend(b.items)
    return re.sub(r"<[^>]+>", "", " ".join(out))


def test_single_stratum_summary_says_nothing_about_differences(fb):
    a = analyse(single_stratum(26), fb, strata="stadsdel", population_sizes={"Bromma": 252})
    a = report._named(a, "stadsdel")
    text = text_of(report._summary(a, None, a.record, [], ["F7"], ["F7"], [], True))
    assert "avvek" not in text and "utanför" not in text
    assert "26 ärenden" in text
    # The funnel sentence and the homogeneity sentence: nothing to compare with one district.
    assert report._funnel_sentence(a, "F7") == ""
    assert report._homogeneity_sentence(a, "F7") == ("Med en enda stadsdelsförvaltning finns inga skillnader "
                                                    "mellan stadsdelsförvaltningar att pröva.")
    # The funnel itself flags nothing (26 of 26 is its own centre).
    assert a.indicators["F7"].funnel.outside(0.95) == {"over": [], "under": []}


def test_single_stratum_text_summary_uses_singular(fb):
    a = analyse(single_stratum(1), fb, strata="stadsdel")
    text = summary_text(a)
    assert "1 ärende i 1 stratum" in text
    assert "1 strata" not in text and "1 ärenden" not in text
    assert "Skillnader mellan strata" not in text and "Trattdiagram" not in text


def test_all_yes_design_interval_is_not_a_certainty(fb):
    # Issue 9 item 3: three cases all "Ja" printed "100,0 % (95 % KI 100,0–100,0 %)".
    a = analyse(single_stratum(3), fb, strata="stadsdel", population_sizes={"Bromma": 252})
    e = a.indicators["F7"].result.estimate
    assert e.estimate == 1.0 and e.interval == "beta"
    assert e.low == pytest.approx(0.292401773821287, abs=1e-12)  # R: qbeta(0.025, 3, 1)
    text = summary_text(a)
    assert "100,0–100,0 %" not in text
    assert "29,2–100,0 %" in text
    table = report.indicator_table(a, ["F7"], set(), True)
    assert "Korn–Graubard" in table.note
    wald = analyse(single_stratum(3), fb, strata="stadsdel", population_sizes={"Bromma": 252},
                   interval="wald")
    assert "normalapproximation (Wald)" in report.indicator_table(wald, ["F7"], set(), True).note
    assert wald.to_json_dict()["intervall_skattning"] == "wald"
    assert "100,0–100,0 %, normalapproximation (Wald)" in summary_text(wald)
    # logit has no interval at 100 %: said plainly, never a number.
    logit = analyse(single_stratum(3), fb, strata="stadsdel", population_sizes={"Bromma": 252},
                    interval="logit")
    assert "KI saknas, Waldintervall på logitskala" in summary_text(logit)
    assert logit.to_json_dict()["indikatorer"]["F7"]["skattning"]["ki"] == [None, None]


def test_homogeneity_p_value_and_verdict_agree_in_report_and_text(fb):
    # Whatever the p-value, the printed number and the verdict follow one rule in both outputs.
    from analysis_data import a1_cases

    from granskning.wording import format_p, significant, simulation_borderline

    a = analyse(a1_cases(), fb, strata="stadsdel", seed=2024)
    a = report._named(a, "stadsdel")
    h = a.indicators["F7"].result.homogeneity
    sentence = report._homogeneity_sentence(a, "F7")
    text = summary_text(a)
    assert format_p(h.p, a.alpha) in sentence and format_p(h.p, a.alpha) in text
    if h.method == "monte-carlo" and simulation_borderline(h.p, h.n_sim, a.alpha):
        assert "gränsfall" in sentence and "gränsfall" in text
        assert "är statistiskt säkerställda" not in sentence
    elif significant(h.p, a.alpha):
        assert "statistiskt säkerställda" in sentence and "statistiskt säkerställda" in text
    else:
        assert "kunde inte påvisa" in sentence and "kunde inte påvisas" in text


def test_monte_carlo_p_near_alpha_is_borderline_not_significant(fb):
    # The demo's chi-square: p = 0.049 by simulation (2 000 draws, simulation SE about 0.005):
    # not "statistiskt säkerställda" and not dismissed.
    from dataclasses import replace

    from analysis_data import a1_cases

    from granskning.wording import simulation_borderline

    a = report._named(analyse(a1_cases(), fb, strata="stadsdel", seed=2024), "stadsdel")
    ind = a.indicators["F7"]
    h = replace(ind.result.homogeneity, p=0.049, method="monte-carlo", n_sim=2000)
    a = replace(a, indicators={**a.indicators, "F7": replace(ind, result=replace(ind.result, homogeneity=h))})
    assert simulation_borderline(0.049, 2000) and not simulation_borderline(0.03, 2000)
    sentence = report._homogeneity_sentence(a, "F7")
    assert sentence.startswith("Skillnaderna mellan stadsdelsförvaltningar är ett gränsfall")
    assert "statistiskt säkerställda (" not in sentence
    assert "gränsfall" in summary_text(a)


def test_a_tie_is_not_reported_as_one_most_common_answer(fb):
    df = pd.DataFrame({"case_id": [f"FB-{k}" for k in range(5)], "stadsdel": ["A", "A", "B", "B", "B"],
                       "F5": ["Fysiskt möte", "Endast telefon", "Fysiskt möte", "Endast telefon", "Endast brev"]})
    a = report._named(analyse(df, fb, strata="stadsdel"), "stadsdel")
    text = text_of(report._summary(a, None, None, ["F5"], [], [], [], True))
    assert "vanligast var Fysiskt möte och Endast telefon, 2 av 5 var (40,0 % var)." in text
