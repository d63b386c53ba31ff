"""The analysis of an audit: every table, rate, test and gender analysis in one result.

:func:`analyse` takes one row per case (stratum, optionally sex and age, one
column per question id, multiple choice as ``"a; b"``) and the checklist that
defines the questions, and returns an :class:`Analysis`:

* a likställighet table (categories × strata with totals, counts and column
  shares) for every choice question; multiple choice counted per choice;
* for every question marked ``indikator``: the rate under the question's
  denominator rules (hindrances and not-applicable answers leave the
  denominator) per stratum and overall with intervals, homogeneity across
  strata, the design-based estimate when population sizes are known, the
  funnel plot position of each stratum and the gender analysis when sex and
  age are known.

The statistics themselves live in :mod:`granskning.analysis.tables`,
:mod:`granskning.analysis.comparison`, :mod:`granskning.analysis.estimation`,
:mod:`granskning.analysis.funnel` and :mod:`granskning.analysis.gender`; this module only checks
the input against the checklist and ties them together.  Reading from files or
the database is in :mod:`granskning.analysis.inputs`, writing in
:mod:`granskning.analysis.output`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from granskning.analysis.bands import SexWords, band_label, check_bands, default_bands
from granskning.analysis.columns import (
    check_columns,
    file_name,
    indicator_column,
    normalise,
    population_column,
    where,
)
from granskning.analysis.comparison import Homogeneity, homogeneity
from granskning.analysis.domain import Outside, design_rows
from granskning.analysis.estimation import INTERVALS
from granskning.analysis.funnel import Funnel, funnel
from granskning.analysis.gender import analyse as gender_analyse
from granskning.analysis.gender import sex_words as words_of
from granskning.analysis.numeric import NumericAnalysis, numeric_analysis
from granskning.analysis.proportions import METHODS
from granskning.analysis.tables import (
    IndicatorResult,
    crosstab,
    crosstab_shares,
    indicator,
    indicator_flags,
    sv_key,
)
from granskning.checklist.model import Checklist, Question
from granskning.errors import InputError, ManyInputErrors

if TYPE_CHECKING:
    import pandas as pd

POPULATION_COLUMN = "__populationsstorlek__"
FUNNEL_LEVELS = (0.95, 0.998)
# The one stratum of an unstratified sample (every case blank in the strata column).
UNSTRATIFIED = "Hela urvalet"
UNSTRATIFIED_NOTE = ("urvalet är inte stratifierat: hela urvalet redovisas som en grupp, utan "
                     "jämförelser mellan grupper (inget homogenitetstest och inget trattdiagram).")

__all__ = [
    "Analysis",
    "IndicatorAnalysis",
    "QuestionTable",
    "analyse",
    "parse_bands",
]


def parse_bands(text: str) -> tuple[tuple[int, int], ...]:
    """Return age bands from text such as ``"0-3,4-6,7-12"`` (a single age ``"5"`` is a band)."""
    bands = []
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*(?:[-–]\s*(\d+))?", part)
        if not m:
            raise InputError(f'åldersgruppen "{part}" ska skrivas som FRÅN-TILL, till exempel 4-6.')
        lo = int(m.group(1))
        bands.append((lo, int(m.group(2)) if m.group(2) else lo))
    return check_bands(bands)


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class QuestionTable:
    """The likställighet table of one choice question."""

    question: str
    text: str
    multiple: bool
    counts: pd.DataFrame  # categories × strata with total row and column
    shares: pd.DataFrame  # column shares in the same layout
    homogeneity: Homogeneity | None  # None for multiple choice (choices are not exclusive)

    def rows(self) -> list[dict[str, Any]]:
        """Return the table as JSON-able rows: category, counts and shares per column."""
        out = []
        for category in self.counts.index:
            out.append({
                "kategori": str(category),
                "antal": {str(k): int(v) for k, v in self.counts.loc[category].items()},
                "andel": {str(k): _num(v) for k, v in self.shares.loc[category].items()},
            })
        return out


@dataclass(frozen=True, slots=True)
class IndicatorAnalysis:
    """One indicator: its rates and tests, and where each stratum lies in the funnel."""

    question: str
    text: str
    result: IndicatorResult  # with homogeneity, estimate (if N known) and gender (if sex known)
    funnel: Funnel | None  # None when no case is in the denominator

    @property
    def counted(self) -> str:
        """Return what the indicator counts, in words, to print beside every number."""
        return self.result.counted_words

    def to_json_dict(self) -> dict[str, Any]:
        out = self.result.to_json_dict()
        out["text"] = self.text
        out.setdefault("skattning", None)
        out.setdefault("jamstalldhet", None)
        out["tratt"] = self.funnel.to_json_dict() if self.funnel is not None else None
        return out


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything :func:`analyse` found; tables as tidy DataFrames through the methods."""

    checklist_id: str
    checklist_version: str
    strata_column: str
    strata: tuple[str, ...]
    n_cases: int
    tables: dict[str, QuestionTable]
    indicators: dict[str, IndicatorAnalysis]
    method: str
    alpha: float
    seed: int
    n_sim: int
    bands: tuple[tuple[int, int], ...] | None  # None when no gender analysis was made
    total_label: str
    has_population: bool
    record: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()
    origin: str | None = None
    interval: str = "beta"  # the design-based estimate's interval (granskning.analysis.estimation.INTERVALS)
    sex_words: SexWords | None = None  # flickor/pojkar or kvinnor/män; None without gender analysis
    numeric: dict[str, NumericAnalysis] = field(default_factory=dict)  # tal questions (granskning.analysis.numeric)
    outside: Outside | None = None  # examined cases found outside the population (granskning utanfor)
    random_sample: bool = True  # False: hand-picked cases, counts and shares only (analysis.nonrandom)
    stratified: bool = True  # False: no strata in the data, the whole sample is one (UNSTRATIFIED)

    # -- tidy tables --------------------------------------------------------

    def indicator_frame(self) -> pd.DataFrame:
        """Return one row per indicator × stratum plus the overall (unweighted) row."""
        import pandas as pd

        rows = []
        for qid, ind in self.indicators.items():
            r = ind.result
            position = _funnel_positions(ind.funnel)
            for stratum, p in [*r.per_stratum.items(), (self.total_label, r.overall)]:
                row = {"question": qid, "text": ind.text, "counted": ind.counted, "stratum": stratum,
                       "numerator": p.count,
                       "denominator": p.nobs, "rate": p.estimate, "low": p.low, "high": p.high,
                       "method": p.method}
                for level in FUNNEL_LEVELS:
                    row[f"funnel_{_level_key(level)}"] = position.get((stratum, level))
                rows.append(row)
        columns = ["question", "text", "counted", "stratum", "numerator", "denominator", "rate", "low",
                   "high", "method"] + [f"funnel_{_level_key(lv)}" for lv in FUNNEL_LEVELS]
        return pd.DataFrame(rows, columns=columns)

    def estimate_frame(self) -> pd.DataFrame:
        """Return the design-based estimate of each indicator (empty without population sizes)."""
        import pandas as pd

        rows = []
        for qid, ind in self.indicators.items():
            e = ind.result.estimate
            if e is None:
                continue
            rows.append({"question": qid, "text": ind.text, "counted": ind.counted,
                         "estimate": e.estimate, "se": e.se,
                         "low": e.low, "high": e.high, "interval": e.interval, "deff": e.deff, "n": e.n,
                         "population": e.population, "strata": e.strata})
        columns = ["question", "text", "counted", "estimate", "se", "low", "high", "interval", "deff", "n",
                   "population", "strata"]
        return pd.DataFrame(rows, columns=columns)

    def homogeneity_frame(self) -> pd.DataFrame:
        """Return every homogeneity test: the distribution of each single-choice question, each indicator."""
        import pandas as pd

        rows = []

        def add(qid: str, text: str, test: str, h: Homogeneity | None) -> None:
            if h is None:
                return
            rows.append({"question": qid, "text": text, "test": test, "statistic": h.statistic,
                         "df": h.df, "p": h.p, "method": h.method, "cramers_v": h.cramers_v,
                         "n": h.n, "min_expected": h.min_expected, "n_sim": h.n_sim, "seed": h.seed})

        for qid, t in self.tables.items():
            add(qid, t.text, "fördelning", t.homogeneity)
        for qid, ind in self.indicators.items():
            add(qid, ind.text, "indikator", ind.result.homogeneity)
        columns = ["question", "text", "test", "statistic", "df", "p", "method", "cramers_v", "n",
                   "min_expected", "n_sim", "seed"]
        return pd.DataFrame(rows, columns=columns)

    def gender_frame(self) -> pd.DataFrame:
        """Return one row per indicator with girls' and boys' rates and the tests (empty without sex)."""
        import pandas as pd

        rows = []
        for qid, ind in self.indicators.items():
            g = ind.result.gender
            if g is None:
                continue
            rows.append({
                "question": qid, "text": ind.text, "counted": ind.counted,
                "girls_numerator": g.girls.count, "girls_denominator": g.girls.nobs,
                "girls_rate": g.girls.estimate, "girls_low": g.girls.low, "girls_high": g.girls.high,
                "boys_numerator": g.boys.count, "boys_denominator": g.boys.nobs,
                "boys_rate": g.boys.estimate, "boys_low": g.boys.low, "boys_high": g.boys.high,
                "difference": g.difference.difference, "difference_low": g.difference.low,
                "difference_high": g.difference.high, "fisher_p": g.fisher.p,
                "cmh_statistic": g.cmh.statistic, "cmh_p": g.cmh.p, "or_mh": g.cmh.odds_ratio,
                "or_mh_low": g.cmh.low, "or_mh_high": g.cmh.high,
                "breslow_day_statistic": g.cmh.breslow_day, "breslow_day_p": g.cmh.breslow_day_p,
                "min_detectable_difference": g.min_detectable_difference,
                "unknown_sex": g.unknown_sex, "unknown_age": g.unknown_age, "conclusion": g.conclusion,
            })
        columns = ["question", "text", "counted", "girls_numerator", "girls_denominator", "girls_rate",
                   "girls_low", "girls_high", "boys_numerator", "boys_denominator", "boys_rate",
                   "boys_low", "boys_high", "difference", "difference_low", "difference_high",
                   "fisher_p", "cmh_statistic", "cmh_p", "or_mh", "or_mh_low", "or_mh_high",
                   "breslow_day_statistic", "breslow_day_p", "min_detectable_difference",
                   "unknown_sex", "unknown_age", "conclusion"]
        return pd.DataFrame(rows, columns=columns)

    def gender_band_frame(self) -> pd.DataFrame:
        """Return rates by age band and sex for every indicator (empty without sex)."""
        import pandas as pd

        parts = []
        for qid, ind in self.indicators.items():
            g = ind.result.gender
            if g is not None:
                parts.append(g.band_table.assign(question=qid))
        columns = ["question", "band", "sex", "numerator", "denominator", "rate"]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts, ignore_index=True)[columns]

    def logistic_frame(self) -> pd.DataFrame:
        """Return the odds ratios of each indicator's logistic regression (sex and age band)."""
        import pandas as pd

        parts = []
        for qid, ind in self.indicators.items():
            g = ind.result.gender
            if g is not None and g.logistic.odds_ratios is not None:
                parts.append(g.logistic.odds_ratios.assign(question=qid))
        columns = ["question", "term", "odds_ratio", "low", "high", "p"]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts, ignore_index=True)[columns]

    # -- JSON ---------------------------------------------------------------

    def to_json_dict(self) -> dict[str, Any]:
        """Return the whole analysis as one JSON-able object (keys documented in docs/analys.md)."""
        return {
            "checklista": {"id": self.checklist_id, "version": self.checklist_version},
            "kalla": self.origin,
            "strata_kolumn": self.strata_column,
            "strata": list(self.strata),
            "stratifierat": self.stratified,
            "antal_arenden": self.n_cases,
            "metod": self.method,
            "intervall_skattning": self.interval,
            "konfidensniva": 1 - self.alpha,
            "seed": self.seed,
            "simuleringar": self.n_sim,
            "aldersgrupper": [band_label(b) for b in self.bands] if self.bands else None,
            "kon_benamning": ({"grupp": self.sex_words.key, "kvinnligt": self.sex_words.female,
                               "manligt": self.sex_words.male} if self.sex_words else None),
            "indikatorer": {qid: ind.to_json_dict() for qid, ind in self.indicators.items()},
            "tabeller": {qid: t.rows() for qid, t in self.tables.items()},
            "fragor": {**{q: t.text for q, t in self.tables.items()}, **{q: n.text for q, n in self.numeric.items()},
                       **{q: i.text for q, i in self.indicators.items()}},
            "homogenitet": {qid: t.homogeneity.to_json_dict() for qid, t in self.tables.items()
                            if t.homogeneity is not None},
            "tal": {qid: num.to_json_dict() for qid, num in self.numeric.items()},
            "varningar": list(self.warnings),
            "urvalsprotokoll": self.record,
            "slumpmassigt_urval": self.random_sample,
            "utanfor_populationen": None if self.outside is None else self.outside.to_json_dict(),
        }


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _level_key(level: float) -> str:
    return f"{100 * level:g}".replace(".", "_")


def _funnel_positions(f: Funnel | None) -> dict[tuple[str, float], str]:
    if f is None:
        return {}
    return {(r.stratum, float(r.level)): r.position for r in f.points.itertuples(index=False)}


# ---------------------------------------------------------------- the analysis


def analyse(
    df: pd.DataFrame,
    checklist: Checklist,
    *,
    strata: str,
    sex: str | None = None,
    age: str | None = None,
    population: str | None = None,
    population_sizes: Mapping[str, float] | None = None,
    population_label: str = "populationsstorlekarna",
    id_column: str | None = None,
    ignore: Sequence[str] = (),
    bands: Sequence[tuple[int, int]] | None = None,
    sex_words: str | None = None,
    method: str = "wilson",
    alpha: float = 0.05,
    seed: int = 1,
    n_sim: int = 2000,
    interval: str = "beta",
    total_label: str = "Total",
    strata_order: Sequence[str] | None = None,
    record: dict[str, Any] | None = None,
    warnings: Sequence[str] = (),
    outside: Outside | None = None,
) -> Analysis:
    """Return the full analysis of an audit's answers under a checklist.

    ``df`` has one row per case; ``strata`` names the stratum column, ``sex``
    and ``age`` (both or neither) the columns for the gender analysis.
    Population sizes per stratum come from a column (``population``) or a
    mapping (``population_sizes``, e.g. from the draw record); without them
    there is no design-based estimate.  A column named like a question that is
    not in the checklist is an error unless listed in ``ignore``; other
    unknown columns are left unused (and named in ``warnings``).  Every answer
    must be one of its question's choices (matched without regard to case).
    Nothing is computed until the whole input has been checked.

    The words for the sexes come from the data (flicka/pojke: children,
    kvinna/man: adults; :func:`granskning.analysis.gender.sex_words`) unless
    ``sex_words`` (the protocol's ``benamning``: barn, vuxna, alla) fixes them;
    ``bands`` default to the bands for those words (0–3, 4–6, 7–12 for children).
    ``outside`` counts the examined cases found outside the population per
    stratum (not rows of ``df``); the design-based estimate treats them as
    outside every domain (:mod:`granskning.analysis.domain`).
    """
    import numpy as np
    import pandas as pd

    _check_options(method, interval, alpha, sex, age, population, population_sizes)
    meta = [c for c in (strata, sex, age, population, id_column) if c]
    questions, unused = check_columns(df, checklist, list(dict.fromkeys(meta)), ignore)
    notes = list(warnings)
    if unused:
        listed = ", ".join(f'"{c}"' for c in unused)
        notes.append(f"Kolumnerna {listed} är inga frågor i checklistan och används inte."
                     if len(unused) > 1 else f"Kolumnen {listed} är ingen fråga i checklistan och används inte.")
    if len(df) == 0:
        raise InputError("tabellen innehåller inga ärenden.", file=file_name(df))
    words = words_of(df[sex], df[age], sex_words) if sex else None
    gender_bands = check_bands(default_bands(words) if bands is None else bands) if words else None

    work = _answers(df, questions, meta, id_column)
    strata_text = work[strata].astype("string").str.strip()
    blank = (strata_text.isna() | (strata_text == "")).to_numpy()
    stratified = not blank.all()
    if not stratified:  # an unstratified sample: the whole sample is one stratum
        notes.append(UNSTRATIFIED_NOTE)
        work[strata] = UNSTRATIFIED
        strata_text = work[strata].astype("string")
        blank = ~blank
        if population_sizes is not None and len(population_sizes) == 1:
            # An unstratified draw records its population under an empty stratum name.
            population_sizes = {UNSTRATIFIED: next(iter(population_sizes.values()))}
    if blank.any():
        pos = int(np.flatnonzero(blank)[0])
        raise InputError("stratum saknas (tomt värde).", column=strata, **where(work, pos, id_column))
    strata_values = strata_text.to_numpy(dtype=object)
    pop_col = population
    if population_sizes is not None:
        work[POPULATION_COLUMN] = population_column(work, strata, population_sizes,
                                                    population_label, id_column)
        pop_col = POPULATION_COLUMN

    tables = {q.id: _question_table(work, q, strata, strata_order, total_label, seed, n_sim)
              for q in questions if q.has_choices}
    options = {"strata_order": strata_order, "alpha": alpha, "method": method, "seed": seed,
               "n_sim": n_sim, "interval": interval,
               "outside_rows": design_rows(outside.per_stratum, population_sizes)
               if outside is not None and population_sizes is not None else ()}
    gender = {"sex": sex, "age": age, "bands": gender_bands, "words": words} if sex else None
    indicators = {q.id: _indicator_analysis(work, q, strata, pop_col, options, gender)
                  for q in questions if q.indicator and q.has_choices}
    if not stratified:  # a funnel compares strata; the whole sample has none to compare
        indicators = {k: replace(v, funnel=None) for k, v in indicators.items()}

    order = list(next(iter(tables.values())).counts.columns[:-1]) if tables else sorted(
        pd.unique(np.asarray(strata_values, dtype=object)), key=sv_key)
    numbers = [q for q in questions if q.answer_type.numeric]
    numeric = {q.id: numeric_analysis(work, q, strata, pop_col, order, alpha=alpha,
                                      outside_rows=options["outside_rows"]) for q in numbers}
    indicators.update({q.id: _threshold_indicator(work, q, strata, pop_col, options, gender)
                       for q in numbers if q.threshold is not None})
    return Analysis(
        checklist_id=checklist.id, checklist_version=checklist.version, strata_column=strata,
        strata=tuple(str(s) for s in order), n_cases=len(df), tables=tables, indicators=indicators,
        method=method, alpha=alpha, seed=seed, n_sim=n_sim, bands=gender_bands,
        total_label=total_label, has_population=pop_col is not None, record=record,
        warnings=tuple(notes), origin=file_name(df), interval=interval, sex_words=words, numeric=numeric,
        outside=outside,
        stratified=stratified,
    )


def _check_options(method: str, interval: str, alpha: float, sex: str | None, age: str | None,
                   population: str | None, population_sizes: Mapping[str, float] | None) -> None:
    """InputError for an unknown interval method, a level outside (0, 1) or options that do not go together."""
    if method not in METHODS:
        raise InputError(f"okänd intervallmetod {method!r}; välj bland: {', '.join(METHODS)}.")
    if interval not in INTERVALS:
        raise InputError(f"okänt intervall för skattningen {interval!r}; välj bland: {', '.join(INTERVALS)}.")
    if not 0 < alpha < 1:
        raise InputError(f"konfidensnivån måste ligga mellan 0 och 1 (alpha = {alpha}).")
    if (sex is None) != (age is None):
        raise InputError("jämställdhetsanalysen behöver både kön och ålder (--kon och --alder).")
    if population is not None and population_sizes is not None:
        raise InputError("ange populationsstorlekarna antingen som kolumn eller som fil, inte båda.")


def _answers(df: pd.DataFrame, questions: list[Question], meta: list[str], id_column: str | None) -> pd.DataFrame:
    """Return the meta columns and every answer in the checklist's spelling; every error at once."""
    import pandas as pd

    work = pd.DataFrame(index=df.index)
    work.attrs = dict(df.attrs)
    for col in meta:
        work[col] = df[col]
    errors: list[InputError] = []
    for q in questions:
        if q.answer_type.free_text:
            continue
        column, errs = normalise(df, q, id_column)
        errors.extend(errs)
        if column is not None:
            work[q.id] = column
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    return work


def _question_table(work: pd.DataFrame, q: Question, strata: str, strata_order: Sequence[str] | None,
                    total_label: str, seed: int, n_sim: int) -> QuestionTable:
    """Return one choice question's likställighet table with its homogeneity test (single choice)."""
    multiple = q.answer_type.multiple
    kw = {"categories": list(q.choices), "strata_order": strata_order, "multiple": multiple,
          "total_label": total_label}
    counts = crosstab(work, q.id, strata, **kw)
    shares = crosstab_shares(work, q.id, strata, **kw)
    homog = None
    if not multiple:
        body = counts.drop(index=total_label, columns=total_label).to_numpy()
        homog = homogeneity(body, seed=seed, n_sim=n_sim)
    return QuestionTable(q.id, q.text, multiple, counts, shares, homog)


def _indicator_analysis(work: pd.DataFrame, q: Question, strata: str, pop_col: str | None,
                        options: dict[str, Any], gender: dict[str, Any] | None) -> IndicatorAnalysis:
    """Return one indicator's rates, tests, design estimate, gender analysis and funnel."""
    positive = q.numerator_categories
    excluded = tuple(q.hindrances) + tuple(q.not_applicable)
    data = work
    if q.answer_type.multiple:
        data = work.assign(**{q.id: indicator_column(work[q.id], q)})
        data.attrs = dict(work.attrs)
    _, in_den = indicator_flags(data, q.id, positive=positive, excluded=excluded)
    result = indicator(
        data, q.id, strata, positive=positive, excluded=excluded,
        population=pop_col if in_den.any() else None, **options, counted=q.counted_label or "",
    )
    if gender is not None:
        g = gender_analyse(data, q.id, positive=positive, excluded=excluded, alpha=options["alpha"],
                           counted=result.counted_words, **gender)
        result = replace(result, gender=g)
    f = None
    if result.overall.nobs > 0:
        x = [p.count for p in result.per_stratum.values()]
        n = [p.nobs for p in result.per_stratum.values()]
        f = funnel(x, n, list(result.per_stratum), levels=FUNNEL_LEVELS)
    return IndicatorAnalysis(q.id, q.text, result, f)


def _threshold_indicator(work: pd.DataFrame, q: Question, strata: str, pop_col: str | None,
                         options: dict[str, Any], gender: dict[str, Any] | None) -> IndicatorAnalysis:
    """Return a numeric question's threshold (``troskel``) as an indicator: the share meeting it.

    The numbers become two categories ("minst 4" and "under 4"; a missing number
    stays missing and leaves the denominator) and are analysed as any indicator.
    """
    import pandas as pd

    t = q.threshold
    values = pd.to_numeric(work[q.id], errors="coerce")
    column = values.map(lambda x: None if pd.isna(x) else (t.words if t.meets(float(x)) else t.other_words))
    data = work.assign(**{q.id: column.astype(object)})
    data.attrs = dict(work.attrs)
    choice = replace(q, type="enval", choices=(t.words, t.other_words), positive=(t.words,), hindrances=(),
                     not_applicable=(), counted_label=q.counted_label or t.words)
    return _indicator_analysis(data, choice, strata, pop_col, options, gender)
