"""Gender analysis (jämställdhetsanalys) of an indicator.

For one indicator: the rate for girls and for boys with Wilson intervals, the
difference with Newcombe's hybrid score interval, Fisher's exact test, a test
stratified by age band (Cochran–Mantel–Haenszel with the Mantel–Haenszel odds
ratio and Breslow–Day), a logistic regression on sex and age band (and stratum
on request), the smallest difference the sample could detect, and one plain
Swedish sentence that says what the data show and what they cannot show.

Odds ratios compare girls with boys (above 1: the indicator is more common
among girls).

The code says girls and boys; what a reader sees comes from the data
(:func:`sex_words`): ``flickor``/``pojkar`` for children, ``kvinnor``/``män``
for adults (the 2025 audits of long-term homelessness and financial
assistance), or both for a population of all ages.  A protocol can fix the
words (``analys.jamstalldhet.benamning``).  Age bands come from the protocol;
without it the defaults depend on the same words (:func:`default_bands`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from granskning import wording
from granskning.analysis.bands import (  # re-exported: their home was here
    ADULT_AGE as ADULT_AGE,
)
from granskning.analysis.bands import (
    ADULT_BANDS as ADULT_BANDS,
)
from granskning.analysis.bands import (
    ADULT_SEX_VALUES as ADULT_SEX_VALUES,
)
from granskning.analysis.bands import (
    ADULTS as ADULTS,
)
from granskning.analysis.bands import (
    ALL_AGE_BANDS as ALL_AGE_BANDS,
)
from granskning.analysis.bands import (
    ALL_AGES as ALL_AGES,
)
from granskning.analysis.bands import (
    BOY_VALUES as BOY_VALUES,
)
from granskning.analysis.bands import (
    CHILD_SEX_VALUES as CHILD_SEX_VALUES,
)
from granskning.analysis.bands import (
    CHILDREN as CHILDREN,
)
from granskning.analysis.bands import (
    DEFAULT_BANDS as DEFAULT_BANDS,
)
from granskning.analysis.bands import (
    GIRL_VALUES as GIRL_VALUES,
)
from granskning.analysis.bands import (
    OPEN_END as OPEN_END,
)
from granskning.analysis.bands import (
    SEX_WORDS as SEX_WORDS,
)
from granskning.analysis.bands import (
    SexWords as SexWords,
)
from granskning.analysis.bands import (
    band_label as band_label,
)
from granskning.analysis.bands import check_bands as _check_bands
from granskning.analysis.bands import (
    check_bands as check_bands,
)
from granskning.analysis.bands import (
    default_bands as default_bands,
)
from granskning.analysis.bands import (
    sex_words as sex_words,
)
from granskning.analysis.comparison import (
    Fisher,
    Logistic,
    MantelHaenszel,
    cmh,
    fisher,
    logistic,
    min_detectable_difference,
)
from granskning.analysis.estimation import parse_numbers
from granskning.analysis.proportions import Difference, Proportion, diff_ci_newcombe, proportion_ci
from granskning.analysis.tables import indicator_flags
from granskning.checklist.model import counted_words
from granskning.errors import InputError
from granskning.fmt import procent, procentenheter, tal
from granskning.wording import antal, includes_zero, level_text, not_shown, significant

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def format_p(p: float, alpha: float = 0.05) -> str:
    """Return a p-value as Swedish text: ``p = 0,048``, ``p < 0,001`` (see :mod:`granskning.wording`)."""
    return wording.format_p(p, alpha)


@dataclass(frozen=True, slots=True)
class GenderResult:
    """Everything the gender analysis of one indicator found, with the Swedish conclusion."""

    girls: Proportion
    boys: Proportion
    difference: Difference  # girls − boys
    fisher: Fisher
    cmh: MantelHaenszel
    bands: tuple[tuple[int, int], ...]
    band_table: pd.DataFrame  # band, sex, numerator, denominator, rate
    logistic: Logistic
    min_detectable_difference: float
    power: float
    alpha: float
    unknown_sex: int
    unknown_age: int
    conclusion: str
    words: SexWords = CHILDREN
    counted: str = ""  # what the indicator counts, in words

    def to_json_dict(self) -> dict:
        return {
            "benamning": {"grupp": self.words.key, "kvinnligt": self.words.female,
                          "manligt": self.words.male},
            "raknas_som": self.counted,
            "andel_kvinnligt": _num(self.girls.estimate),
            "andel_manligt": _num(self.boys.estimate),
            "kvinnligt": self.girls.to_json_dict(),
            "manligt": self.boys.to_json_dict(),
            "skillnad": _num(self.difference.difference),
            "skillnad_ki": [_num(self.difference.low), _num(self.difference.high)],
            "fisher_p": _num(self.fisher.p),
            "cmh_statistik": _num(self.cmh.statistic),
            "cmh_p": _num(self.cmh.p),
            "or_mh": _num(self.cmh.odds_ratio) if not math.isinf(self.cmh.odds_ratio) else None,
            "or_mh_ki": [_num(self.cmh.low), _num(self.cmh.high)],
            "breslow_day_statistik": _num(self.cmh.breslow_day),
            "breslow_day_p": _num(self.cmh.breslow_day_p),
            "aldersgrupper": [band_label(b) for b in self.bands],
            "logistisk_regression": self.logistic.to_json_dict(),
            "minsta_upptackbara_skillnad": _num(self.min_detectable_difference),
            "styrka": self.power,
            "okant_kon": self.unknown_sex,
            "okand_alder": self.unknown_age,
            "slutsats": self.conclusion,
        }


def _sex_codes(values: pd.Series, girls: Iterable[str], boys: Iterable[str]) -> np.ndarray:
    """Return 1 for girls, 0 for boys, -1 for anything else."""
    import numpy as np
    g = {v.casefold() for v in girls}
    b = {v.casefold() for v in boys}
    text = values.astype("string").str.strip().str.casefold().fillna("")
    return np.where(text.isin(g), 1, np.where(text.isin(b), 0, -1))


def analyse(
    df: pd.DataFrame,
    question: str,
    *,
    positive: Iterable[str],
    excluded: Iterable[str] = (),
    sex: str,
    age: str,
    bands: Sequence[tuple[int, int]] | None = None,
    strata: str | None = None,
    girl_values: Iterable[str] = GIRL_VALUES,
    boy_values: Iterable[str] = BOY_VALUES,
    alpha: float = 0.05,
    power: float = 0.8,
    words: SexWords | str | None = None,
    counted: str = "",
) -> GenderResult:
    """Return the gender analysis of an indicator among the cases in its denominator.

    ``sex`` and ``age`` name columns; sexes other than the recognised girl and
    boy values are counted as unknown and left out.  Ages are in whole years;
    a band ``(4, 6)`` holds ages 4, 5 and 6.  Cases whose age falls in no band
    take part in the rates but not in the age-adjusted tests.  With ``strata``
    the logistic regression also adjusts for stratum (district).  ``words``
    (default: from the data, :func:`sex_words`) name the sexes in the result
    and the conclusion; ``bands`` default to :func:`default_bands` of them.
    ``counted`` names what the indicator counts (e.g. "Ja", "kvarstående oro").
    """
    import numpy as np
    import pandas as pd

    is_pos, in_den = indicator_flags(df, question, positive=positive, excluded=excluded)
    for col in [sex, age] + ([strata] if strata else []):
        if col not in df.columns:
            raise InputError("kolumnen finns inte.", row=1, column=col)
    if not isinstance(words, SexWords):
        words = sex_words(df[sex], df[age], words)
    bands = _check_bands(default_bands(words) if bands is None else bands)
    if not counted:
        counted = counted_words(positive)
    code = _sex_codes(df[sex], girl_values, boy_values)
    years = parse_numbers(df, age)
    known = in_den & (code >= 0)
    unknown_sex = int((in_den & (code < 0)).sum())

    band_idx = np.full(len(df), -1)
    for i, (lo, hi) in enumerate(bands):
        band_idx[(years >= lo) & (years < hi + 1)] = i
    unknown_age = int((known & (band_idx < 0)).sum())

    def rate(mask: np.ndarray) -> Proportion:
        return proportion_ci(int((is_pos & mask).sum()), int(mask.sum()), alpha=alpha)

    girls, boys = rate(known & (code == 1)), rate(known & (code == 0))
    diff = diff_ci_newcombe(girls.count, girls.nobs, boys.count, boys.nobs, alpha)
    table = [[girls.count, girls.nobs - girls.count], [boys.count, boys.nobs - boys.count]]
    fisher_result = fisher(table, alpha=alpha, interval=False)  # only p is reported

    rows, strata_tables = [], []
    for i, b in enumerate(bands):
        in_band = known & (band_idx == i)
        counts = []
        for s, label in ((1, words.female_one), (0, words.male_one)):
            m = in_band & (code == s)
            x, n = int((is_pos & m).sum()), int(m.sum())
            rows.append({"band": band_label(b), "sex": label, "numerator": x, "denominator": n,
                         "rate": x / n if n else math.nan})
            counts.append([x, n - x])
        strata_tables.append(counts)
    cmh_result = cmh(np.array(strata_tables), alpha=alpha)

    model_rows = known & (band_idx >= 0)
    data = pd.DataFrame({
        "utfall": is_pos[model_rows].astype(int),
        "kön": np.where(code[model_rows] == 1, words.female_one, words.male_one),
        "åldersgrupp": np.array([band_label(b) for b in bands])[band_idx[model_rows]],
    })
    predictors = ["kön", "åldersgrupp"]
    if strata:
        data["stratum"] = df[strata].astype("string").str.strip().to_numpy()[model_rows]
        predictors.append("stratum")
    model = logistic(data, "utfall", predictors, reference={"kön": words.male_one}, alpha=alpha)

    overall = (girls.count + boys.count) / (girls.nobs + boys.nobs) if girls.nobs + boys.nobs else math.nan
    mdd = min_detectable_difference(girls.nobs, boys.nobs, overall, power=power, alpha=alpha)
    text = conclusion(girls, boys, diff, fisher_result, cmh_result, mdd, alpha=alpha, power=power,
                      words=words, counted=counted)
    return GenderResult(girls, boys, diff, fisher_result, cmh_result, bands, pd.DataFrame(rows), model,
                        mdd, power, alpha, unknown_sex, unknown_age, text, words, counted)


def conclusion(
    girls: Proportion, boys: Proportion, diff: Difference, fisher_result: Fisher,
    cmh_result: MantelHaenszel, mdd: float, *, alpha: float = 0.05, power: float = 0.8,
    words: SexWords = CHILDREN, counted: str = "",
) -> str:
    """Return one plain Swedish statement of what the data show and cannot show.

    The wording follows :mod:`granskning.wording`: "statistiskt säkerställd"
    only for p < α, and a difference whose interval includes 0 "kunde inte
    påvisas" (never "det fanns ingen skillnad").  ``words`` name the sexes
    (girls/boys or women/men); ``counted`` what the indicator counts, named
    beside the rates ("Andelen Ja var …").
    """
    if girls.nobs == 0 or boys.nobs == 0:
        missing = words.female if girls.nobs == 0 else words.male
        return f"Jämförelsen kan inte göras eftersom det inte finns några {missing} i underlaget."
    what = f"Andelen {counted}" if counted else "Andelen"
    rates = (f"{what} var {procent(girls.estimate)} bland {words.female} ({girls.count} av {girls.nobs}) "
             f"och {procent(boys.estimate)} bland {words.male} ({boys.count} av {boys.nobs}).")
    d = diff.difference
    ci = (f"({level_text(alpha)} KI {tal(100 * diff.low, 1)} till {tal(100 * diff.high, 1)} "
          "procentenheter)")
    age_p = cmh_result.p
    fisher_p = f"Fishers exakta test {format_p(fisher_result.p, alpha)}"
    detect = ""
    if not math.isnan(mdd):
        size = "så här små urval" if mdd >= 0.10 else "urval av den här storleken"
        detect = (f" Med {size} ({antal(girls.nobs, words.female_one, words.female)} och "
                  f"{antal(boys.nobs, words.male_one, words.male)}) går det bara att upptäcka skillnader på omkring "
                  f"{procentenheter(mdd, 0)} eller mer ({tal(100 * power, 0)} % styrka).")
    who = words.female if d > 0 else words.male
    size_text = f"{what} var {procentenheter(abs(d))} högre bland {who} {ci}"
    if significant(fisher_result.p, alpha) and not includes_zero(diff.low, diff.high):
        if math.isnan(age_p):
            age = ""
        elif significant(age_p, alpha):
            age = f" och kvarstår när hänsyn tas till {words.age_of} ({format_p(age_p, alpha)})"
        else:
            age = (f" men inte när hänsyn tas till {words.age_of} ({format_p(age_p, alpha)}); skillnaden "
                   f"kan alltså bero på att {words.female_the} och {words.male_the} var olika gamla")
        return f"{rates} {size_text}. Skillnaden är statistiskt säkerställd ({fisher_p}){age}."
    if significant(fisher_result.p, alpha):
        # The test and the interval disagree (possible near the boundary): claim neither.
        return (f"{rates} {size_text}. Resultatet är ett gränsfall: {fisher_p} men konfidensintervallet "
                f"för skillnaden omfattar noll, så skillnaden bör inte betraktas som statistiskt "
                f"säkerställd.{detect}")
    shown = (" " + not_shown(diff.low, diff.high, (words.female, words.male))
             if includes_zero(diff.low, diff.high) else "")
    age_shown = not math.isnan(age_p) and significant(age_p, alpha)
    tests = fisher_p
    if not math.isnan(age_p) and not age_shown:
        tests += f"; justerat för ålder {format_p(age_p, alpha)}"
    if abs(d) < 0.0005:
        head = f"{rates} Andelarna var lika i urvalet {ci}, {tests}."
    else:
        head = f"{rates} {size_text}, men skillnaden är inte statistiskt säkerställd ({tests})."
    if age_shown:
        return (f"{head} När hänsyn tas till {words.age_of} är skillnaden däremot statistiskt säkerställd "
                f"({format_p(age_p, alpha)}); det kan bero på att {words.female_the} och {words.male_the} var "
                f"olika gamla, och åldersfördelningen bör redovisas.{detect}")
    if abs(d) < 0.0005:
        return (f"{head}{shown} Lika andelar i urvalet betyder inte att skillnader saknas i hela "
                f"populationen.{detect}")
    if not shown:
        # The interval leaves 0 out although the test does not reject: say both, claim neither.
        shown = (f" Resultatet är ett gränsfall: konfidensintervallet för skillnaden omfattar inte noll, "
                 f"men skillnaden räknas som statistiskt säkerställd först när p är mindre än "
                 f"{tal(alpha, 2 if alpha >= 0.01 else 3)}. Det går alltså inte att med säkerhet säga att "
                 f"skillnaden finns i hela populationen.")
    return f"{head}{shown}{detect}"
