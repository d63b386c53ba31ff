"""The answer table checked against the checklist before anything is computed.

Which columns are questions (a column named like a question that is not in
the checklist is an error, other columns are left unused), every answer in the
checklist's spelling, a multiple-choice answer as one value for the indicator
rules, each row's population size from a mapping of strata, and where an error
is (file, the row as Excel numbers it, or the case in the database).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from granskning.checklist.model import MOTIVATION_SUFFIX
from granskning.errors import InputError, ManyInputErrors
from granskning.store.values import show_case_id

if TYPE_CHECKING:
    import pandas as pd

    from granskning.checklist.model import Checklist, Question

__all__ = ["check_columns", "file_name", "indicator_column", "normalise", "population_column", "where"]

QUESTION_LIKE = re.compile(r"[A-Za-z]{1,3}\d+(_\w*)?")


def where(df: pd.DataFrame, position: int, id_column: str | None) -> dict[str, Any]:
    """Return file/row for an error about the record at ``position``."""
    source = df.attrs.get("source")
    if source is not None:
        return {"file": getattr(source, "name", None), "row": int(df.index[position])}
    origin = df.attrs.get("origin")
    if origin:
        if id_column and id_column in df.columns:
            return {"file": f"{origin}, ärende {show_case_id(df[id_column].iloc[position])}"}
        return {"file": origin}
    return {"row": position + 2}


def file_name(df: pd.DataFrame) -> str | None:
    source = df.attrs.get("source")
    return getattr(source, "name", None) if source is not None else df.attrs.get("origin")


def check_columns(
    df: pd.DataFrame, checklist: Checklist, meta: Sequence[str], ignore: Sequence[str]
) -> tuple[list[Question], list[str]]:
    """Return (checklist questions present as columns, other columns left unused).

    A column that looks like a question (named like a question id, or close to
    one of the checklist's ids) but is not one is an error: it is most likely a
    misspelt or outdated question, and silently leaving it out would change
    the results.  Other columns (case id, case worker, …) are left unused.
    """
    ids = {q.id for q in checklist.questions}
    file = file_name(df)
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


def normalise(df: pd.DataFrame, q: Question, id_column: str | None) -> tuple[Any, list[InputError]]:
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
            errors.append(InputError(exc.detail, column=q.id, **where(df, pos, id_column)))
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


def indicator_column(answers: pd.Series, q: Question) -> pd.Series:
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


def population_column(
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
            column=strata, **where(work, pos, id_column))
    return h.map(keys).to_numpy(dtype=float)
