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

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from granskning.analysis.gender import _check_bands, band_label
from granskning.checklist.model import MOTIVATION_SUFFIX
from granskning.errors import InputError, ManyInputErrors

if TYPE_CHECKING:
    import pandas as pd

    from granskning.analysis.comparison import Homogeneity
    from granskning.analysis.funnel import Funnel
    from granskning.analysis.gender import SexWords
    from granskning.analysis.tables import IndicatorResult
    from granskning.checklist.model import Checklist, Question

POPULATION_COLUMN = "__populationsstorlek__"
FUNNEL_LEVELS = (0.95, 0.998)

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
    return _check_bands(bands)


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
            "fragor": {**{q: t.text for q, t in self.tables.items()},
                       **{q: i.text for q, i in self.indicators.items()}},
            "homogenitet": {qid: t.homogeneity.to_json_dict() for qid, t in self.tables.items()
                            if t.homogeneity is not None},
            "varningar": list(self.warnings),
            "urvalsprotokoll": self.record,
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


# ---------------------------------------------------------------- input checks


def _where(df: pd.DataFrame, position: int, id_column: str | None) -> dict[str, Any]:
    """Return file/row for an error about the record at ``position``."""
    source = df.attrs.get("source")
    if source is not None:
        return {"file": getattr(source, "name", None), "row": int(df.index[position])}
    origin = df.attrs.get("origin")
    if origin:
        if id_column and id_column in df.columns:
            from granskning.store.values import show_case_id

            return {"file": f"{origin}, ärende {show_case_id(df[id_column].iloc[position])}"}
        return {"file": origin}
    return {"row": position + 2}


def _file(df: pd.DataFrame) -> str | None:
    source = df.attrs.get("source")
    return getattr(source, "name", None) if source is not None else df.attrs.get("origin")


QUESTION_LIKE = re.compile(r"[A-Za-z]{1,3}\d+(_\w*)?")


def _check_columns(
    df: pd.DataFrame, checklist: Checklist, meta: Sequence[str], ignore: Sequence[str]
) -> tuple[list[Question], list[str]]:
    """Return (checklist questions present as columns, other columns left unused).

    A column that looks like a question (named like a question id, or close to
    one of the checklist's ids) but is not one is an error: it is most likely a
    misspelt or outdated question, and silently leaving it out would change
    the results.  Other columns (case id, case worker, …) are left unused.
    """
    ids = {q.id for q in checklist.questions}
    file = _file(df)
    for col in meta:
        if col not in df.columns:
            names = ", ".join(f'"{c}"' for c in list(df.columns)[:30])
            raise InputError(f"kolumnen finns inte. Kolumner: {names}", file=file, row=1, column=col)
    known = set(meta) | set(ignore) | ids
    errors, unused = [], []
    for col in df.columns:
        name = str(col)
        if name in known or (name.endswith(MOTIVATION_SUFFIX) and name[: -len(MOTIVATION_SUFFIX)] in ids):
            continue
        close = difflib.get_close_matches(name, sorted(ids), n=1, cutoff=0.75)
        if not close and not QUESTION_LIKE.fullmatch(name):
            unused.append(name)
            continue
        hint = f' Menade du "{close[0]}"?' if close else ""
        errors.append(InputError(
            f"kolumnen ser ut som en fråga men finns inte i checklistan {checklist.id}.{hint} "
            "(Kolumner som inte är frågor anges med --ovriga.)", file=file, row=1, column=name))
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    present = [q for q in checklist.questions if q.id in df.columns]
    if not present:
        raise InputError(f"ingen kolumn är en fråga i checklistan {checklist.id}.", file=file)
    return present, unused


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    return value


def _normalise(df: pd.DataFrame, q: Question, id_column: str | None) -> tuple[Any, list[InputError]]:
    """Return the column with every answer in the checklist's spelling, and the errors found.

    Each distinct value is checked once (national data sets repeat a handful of
    answers thousands of times); an error names the first row holding it.
    """
    import pandas as pd

    values = df[q.id].map(_hashable)
    mapping: dict[Any, Any] = {}
    errors: list[InputError] = []
    for value in pd.unique(values.to_numpy(dtype=object)):
        try:
            out = q.coerce(value)
        except InputError as exc:
            pos = int((values == value).to_numpy().nonzero()[0][0])
            errors.append(InputError(exc.detail, column=q.id, **_where(df, pos, id_column)))
            continue
        if isinstance(out, tuple):  # multiple choice, in checklist order
            out = "; ".join(out)
        mapping[value] = out
    if errors:
        return None, errors
    normalised = values.map(lambda v: mapping.get(v))
    if q.answer_type.numeric:
        return pd.to_numeric(normalised, errors="coerce"), []
    return normalised.astype(object).where(normalised.notna(), None), []


def _indicator_column(answers: pd.Series, q: Question) -> pd.Series:
    """Return a multiple-choice answer as one value for the indicator rules.

    A case is left out when any chosen option leaves the denominator, and is
    positive when any chosen option is positive.
    """
    excluded = set(q.hindrances) | set(q.not_applicable)
    positive = set(q.numerator_categories)

    def pick(value: Any) -> Any:
        if value is None:
            return None
        chosen = [c.strip() for c in str(value).split(";")]
        for c in chosen:
            if c in excluded:
                return c
        for c in chosen:
            if c in positive:
                return c
        return chosen[0]

    return answers.map(pick)


def _population_column(
    work: pd.DataFrame, strata: str, sizes: Mapping[str, float], label: str, id_column: str | None
) -> Any:
    import numpy as np

    keys = {str(k).strip(): float(v) for k, v in sizes.items()}
    h = work[strata].astype("string").str.strip()
    missing = ~h.isin(list(keys)) & h.notna()
    if missing.any():
        pos = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError(
            f'stratumet "{h.iloc[pos]}" saknas bland populationsstorlekarna ({label}).',
            column=strata, **_where(work, pos, id_column))
    return h.map(keys).to_numpy(dtype=float)


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
    """
    import numpy as np
    import pandas as pd

    from granskning.analysis.comparison import homogeneity
    from granskning.analysis.funnel import funnel
    from granskning.analysis.gender import analyse as gender_analyse
    from granskning.analysis.gender import default_bands
    from granskning.analysis.gender import sex_words as words_of
    from granskning.analysis.proportions import METHODS
    from granskning.analysis.tables import (
        crosstab,
        crosstab_shares,
        indicator,
        indicator_flags,
        sv_key,
    )

    if method not in METHODS:
        raise InputError(f"okänd intervallmetod {method!r}; välj bland: {', '.join(METHODS)}.")
    from granskning.analysis.estimation import INTERVALS

    if interval not in INTERVALS:
        raise InputError(f"okänt intervall för skattningen {interval!r}; välj bland: {', '.join(INTERVALS)}.")
    if not 0 < alpha < 1:
        raise InputError(f"konfidensnivån måste ligga mellan 0 och 1 (alpha = {alpha}).")
    if (sex is None) != (age is None):
        raise InputError("jämställdhetsanalysen behöver både kön och ålder (--kon och --alder).")
    if population is not None and population_sizes is not None:
        raise InputError("ange populationsstorlekarna antingen som kolumn eller som fil, inte båda.")
    meta = [c for c in (strata, sex, age, population, id_column) if c]
    questions, unused = _check_columns(df, checklist, list(dict.fromkeys(meta)), ignore)
    notes = list(warnings)
    if unused:
        listed = ", ".join(f'"{c}"' for c in unused)
        notes.append(f"Kolumnerna {listed} är inga frågor i checklistan och används inte."
                     if len(unused) > 1 else f"Kolumnen {listed} är ingen fråga i checklistan och används inte.")
    if len(df) == 0:
        raise InputError("tabellen innehåller inga ärenden.", file=_file(df))
    words = words_of(df[sex], df[age], sex_words) if sex else None
    gender_bands = _check_bands(default_bands(words) if bands is None else bands) if words else None

    work = pd.DataFrame(index=df.index)
    work.attrs = dict(df.attrs)
    for col in meta:
        work[col] = df[col]
    errors: list[InputError] = []
    for q in questions:
        if q.answer_type.free_text:
            continue
        column, errs = _normalise(df, q, id_column)
        errors.extend(errs)
        if column is not None:
            work[q.id] = column
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    strata_text = work[strata].astype("string").str.strip()
    blank = (strata_text.isna() | (strata_text == "")).to_numpy()
    if blank.any():
        pos = int(np.flatnonzero(blank)[0])
        raise InputError("stratum saknas (tomt värde).", column=strata, **_where(work, pos, id_column))
    strata_values = strata_text.to_numpy(dtype=object)
    pop_col = population
    if population_sizes is not None:
        work[POPULATION_COLUMN] = _population_column(work, strata, population_sizes,
                                                     population_label, id_column)
        pop_col = POPULATION_COLUMN

    tables: dict[str, QuestionTable] = {}
    for q in questions:
        if not q.has_choices:
            continue
        multiple = q.answer_type.multiple
        kw = {"categories": list(q.choices), "strata_order": strata_order, "multiple": multiple,
              "total_label": total_label}
        counts = crosstab(work, q.id, strata, **kw)
        shares = crosstab_shares(work, q.id, strata, **kw)
        homog = None
        if not multiple:
            body = counts.drop(index=total_label, columns=total_label).to_numpy()
            homog = homogeneity(body, seed=seed, n_sim=n_sim)
        tables[q.id] = QuestionTable(q.id, q.text, multiple, counts, shares, homog)

    indicators: dict[str, IndicatorAnalysis] = {}
    for q in questions:
        if not (q.indicator and q.has_choices):
            continue
        positive = q.numerator_categories
        excluded = tuple(q.hindrances) + tuple(q.not_applicable)
        data = work
        if q.answer_type.multiple:
            data = work.assign(**{q.id: _indicator_column(work[q.id], q)})
            data.attrs = dict(work.attrs)
        _, in_den = indicator_flags(data, q.id, positive=positive, excluded=excluded)
        result = indicator(
            data, q.id, strata, positive=positive, excluded=excluded,
            population=pop_col if in_den.any() else None, strata_order=strata_order,
            alpha=alpha, method=method, seed=seed, n_sim=n_sim, interval=interval,
            counted=q.counted_label or "",
        )
        if sex:
            g = gender_analyse(data, q.id, positive=positive, excluded=excluded, sex=sex, age=age,
                               bands=gender_bands, alpha=alpha, words=words, counted=result.counted_words)
            result = replace(result, gender=g)
        f = None
        if result.overall.nobs > 0:
            x = [p.count for p in result.per_stratum.values()]
            n = [p.nobs for p in result.per_stratum.values()]
            f = funnel(x, n, list(result.per_stratum), levels=FUNNEL_LEVELS)
        indicators[q.id] = IndicatorAnalysis(q.id, q.text, result, f)

    order = list(next(iter(tables.values())).counts.columns[:-1]) if tables else sorted(
        pd.unique(np.asarray(strata_values, dtype=object)), key=sv_key)
    return Analysis(
        checklist_id=checklist.id, checklist_version=checklist.version, strata_column=strata,
        strata=tuple(str(s) for s in order), n_cases=len(df), tables=tables, indicators=indicators,
        method=method, alpha=alpha, seed=seed, n_sim=n_sim, bands=gender_bands,
        total_label=total_label, has_population=pop_col is not None, record=record,
        warnings=tuple(notes), origin=_file(df), interval=interval, sex_words=words,
    )
