"""Tests for granskning.wording: one rule for significance, differences and counts (issue 9 item 2)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from granskning.analysis.gender import analyse
from granskning.wording import antal, format_p, not_shown, plural, significant, verdict


@pytest.mark.parametrize("p", [0.0498, 0.04951, 0.049999, 0.0501, 0.05, 0.0549, 0.0451, 0.00999, 0.0102,
                               0.3, 0.001, 0.0009, 0.99])
def test_the_printed_p_value_is_on_the_same_side_of_alpha_as_the_verdict(p):
    # Before: format_p(0.0498) == "p = 0,05" beside "statistiskt säkerställd", and
    # format_p(0.0502) == "p = 0,05" beside "inte statistiskt säkerställd".
    text = format_p(p)
    printed = text.removeprefix("p = ").removeprefix("p < ").replace(",", ".")
    if text.startswith("p < "):
        assert significant(p) and float(printed) <= 0.05
    else:
        assert (float(printed) < 0.05) == significant(p), text


def test_exactly_alpha_is_not_significant_and_rounding_never_hides_it():
    assert verdict(0.05) == "inte statistiskt säkerställd"
    assert verdict(0.0499) == "statistiskt säkerställd"
    assert format_p(0.0498) == "p = 0,0498"
    assert format_p(0.0502) == "p = 0,05"
    assert format_p(0.0098, alpha=0.01) == "p = 0,0098"
    assert format_p(0.0102, alpha=0.01) == "p = 0,01"
    assert format_p(math.nan) == "p saknas"
    assert not significant(math.nan)


def test_swedish_plurals():
    assert antal(1, "ärende") == "1 ärende"
    assert antal(2, "ärende") == "2 ärenden"
    assert antal(1, "stratum") == "1 stratum"
    assert antal(0, "stratum") == "0 strata"
    assert antal(1234, "rad") == "1 234 rader"
    assert plural(1, "stadsdelsförvaltning") == "stadsdelsförvaltning"


def test_a_wide_interval_is_never_called_no_difference():
    # The case: an interval of −79 to +66 percentage points.
    text = not_shown(-0.79, 0.66, ("flickor", "pojkar"))
    assert "kunde inte påvisa någon skillnad" in text
    assert "utesluta stora skillnader" in text
    assert "66,0 procentenheter högre bland flickor" in text and "79,0 procentenheter högre bland pojkar" in text
    assert "ingen skillnad" not in text


def test_gender_conclusion_with_equal_tiny_groups_claims_nothing():
    # 1 of 2 girls and 1 of 2 boys: equal rates, an interval of about ±70 pp.
    df = pd.DataFrame({"kon": ["flicka", "flicka", "pojke", "pojke"], "alder": [5] * 4,
                       "svar": ["Ja", "Nej", "Ja", "Nej"]})
    r = analyse(df, "svar", positive=["Ja"], sex="kon", age="alder")
    assert r.difference.low < -0.5 and r.difference.high > 0.5
    assert "ingen skillnad" not in r.conclusion.replace("påvisa någon skillnad", "")
    assert "Det fanns" not in r.conclusion
    assert "kunde inte påvisa någon skillnad" in r.conclusion
    assert "så här stora" not in r.conclusion


def test_gender_conclusion_p_value_and_verdict_agree():
    # 30 of 60 girls vs 19 of 60 boys: R: fisher.test(matrix(c(30, 30, 19, 41), 2))$p.value
    # = 0.0627754181999016; 31 of 60 vs 19 of 60: 0.041176305435773.
    def run(girls_yes):
        df = pd.DataFrame({"kon": ["flicka"] * 60 + ["pojke"] * 60, "alder": [5] * 120,
                           "svar": ["Ja"] * girls_yes + ["Nej"] * (60 - girls_yes) + ["Ja"] * 19 + ["Nej"] * 41})
        return analyse(df, "svar", positive=["Ja"], sex="kon", age="alder")

    r = run(30)
    assert r.fisher.p == pytest.approx(0.0627754181999016, rel=1e-9)
    assert "inte statistiskt säkerställd (Fishers exakta test p = 0,06" in r.conclusion
    r = run(31)
    assert r.fisher.p == pytest.approx(0.041176305435773, rel=1e-9)
    assert r.difference.low > 0
    assert "Skillnaden är statistiskt säkerställd (Fishers exakta test p = 0,04)" in r.conclusion


def test_interval_without_zero_but_test_not_significant_is_a_borderline_case():
    # The demo's case: 32 of 102 girls vs 20 of 106 boys. Newcombe's interval 0,7 to 23,9 pp leaves
    # 0 out, Fisher's p = 0.0540090558636483 (R: fisher.test(matrix(c(32, 70, 20, 86), 2))$p.value) does not
    # reject: the sentence must not read as "inte säkerställd" beside an interval that excludes 0
    # without saying so.
    df = pd.DataFrame({"kon": ["flicka"] * 102 + ["pojke"] * 106, "alder": [5] * 208,
                       "svar": ["Ja"] * 32 + ["Nej"] * 70 + ["Ja"] * 20 + ["Nej"] * 86})
    r = analyse(df, "svar", positive=["Ja"], sex="kon", age="alder")
    assert r.difference.low > 0
    assert r.fisher.p == pytest.approx(0.0540090558636483, rel=1e-9)
    assert not significant(r.fisher.p)
    assert "gränsfall" in r.conclusion
    assert "konfidensintervallet för skillnaden omfattar inte noll" in r.conclusion
    assert "kunde inte påvisa" not in r.conclusion


def test_no_count_is_printed_before_a_plural_noun_without_the_plural_helper():
    # Issue 9 item 2: "1 strata", "1 ärenden". Every f-string that prints a count before one of these
    # nouns goes through granskning.wording.antal, which agrees in number.
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "granskning"
    noun = r"(ärenden|strata|akter|rader|reserver|frågor|kontroller|gånger|svarskolumner)\b"
    pattern = re.compile(r"\{[^{}:]*\}\)? " + noun)
    offenders = []
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and ('f"' in line or "f'" in line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
