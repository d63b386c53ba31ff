"""Inputs to the analysis: an answer table (CSV/XLSX) or an audit's answers in the database.

Both end in :func:`granskning.analysis.analyse.analyse`.  Population sizes per
stratum come from a column of the table, a separate file (columns stratum and
N), or the draw record stored with the audit.  An audit is opened for analysis
in the audit wing (:func:`granskning.audit.opened.analyse_audit`), which reads
its answers with :func:`audit_frame`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.analysis.analyse import Analysis, analyse
from granskning.analysis.estimation import parse_numbers
from granskning.checklist import Checklist, load
from granskning.errors import InputError, ManyInputErrors
from granskning.numbers import MAX_POPULATION
from granskning.sampling.frame import read_table

if TYPE_CHECKING:
    from granskning.store.database import Store

N_COLUMNS = ("N", "n_population", "population", "populationsstorlek", "populationen")

__all__ = ["analyse_table", "audit_frame", "population_from_record", "read_population_file"]


def read_population_file(path: str | Path, strata: str, *, sheet: str | None = None) -> dict[str, float]:
    """Return stratum -> N from a CSV/XLSX file with a stratum column and a column ``N``.

    The stratum column is named like the strata column of the answers (or
    ``stratum``); the size column is ``N`` (or ``population``/
    ``populationsstorlek``).  Every stratum once, every N a whole number ≥ 1.
    """
    table = read_table(path, sheet=sheet)
    name = table.attrs["source"].name if "source" in table.attrs else str(path)
    lower = {str(c).casefold(): c for c in table.columns}
    s_col = next((lower[c.casefold()] for c in (strata, "stratum") if c.casefold() in lower), None)
    n_col = next((lower[c.casefold()] for c in N_COLUMNS if c.casefold() in lower), None)
    if s_col is None or n_col is None:
        missing = f'"{strata}" (eller "stratum")' if s_col is None else '"N"'
        names = ", ".join(f'"{c}"' for c in table.columns)
        raise InputError(f"populationsfilen saknar kolumnen {missing}. Kolumner: {names}", file=name, row=1)
    sizes = parse_numbers(table, n_col, allow_missing=False)
    out: dict[str, float] = {}
    errors = []
    for excel_row, stratum, size in zip(table.index, table[s_col], sizes, strict=True):
        key = "" if stratum is None else str(stratum).strip()
        if not key:
            errors.append(InputError("stratum saknas.", file=name, row=int(excel_row), column=str(s_col)))
        elif key in out:
            errors.append(InputError(f'stratumet "{key}" står två gånger.', file=name, row=int(excel_row),
                                     column=str(s_col)))
        elif not (size >= 1 and float(size).is_integer()):
            errors.append(InputError("populationsstorleken ska vara ett heltal, minst 1.", file=name,
                                     row=int(excel_row), column=str(n_col)))
        elif size > MAX_POPULATION:
            errors.append(InputError(f"populationsstorleken får vara högst {MAX_POPULATION:,}."
                                     .replace(",", " "), file=name, row=int(excel_row),
                                     column=str(n_col)))
        else:
            out[key] = float(size)
    if errors:
        raise errors[0] if len(errors) == 1 else ManyInputErrors(errors)
    return out


def analyse_table(
    path: str | Path,
    checklist: Checklist | str | Path,
    *,
    strata: str | None,
    sheet: str | None = None,
    population_file: str | Path | None = None,
    **options: Any,
) -> Analysis:
    """Return the analysis of an answer table (one row per case) under a checklist.

    Without ``strata`` the table is analysed as one group (no comparison between strata).

    ``options`` are passed to :func:`granskning.analysis.analyse.analyse` (``sex``,
    ``age``, ``population``, ``bands``, ``method``, ``seed``, …).
    """
    chk = checklist if isinstance(checklist, Checklist) else load(checklist)
    sizes = None
    label = "populationsstorlekarna"
    if population_file is not None:
        if strata is None:
            raise InputError("--populationsfil anger populationen per stratum och kräver --strata; "
                             "utan strata, ange populationen som kolumn med --population.")
        if options.get("population"):
            raise InputError("ange --population eller --populationsfil, inte båda.")
        sizes = read_population_file(population_file, strata)
        label = f"populationsfilen {Path(population_file).name}"
    table = read_table(path, sheet=sheet)
    if strata is None:
        strata = "stratum"
        if strata in table.columns:
            raise InputError('tabellen har en kolumn "stratum": ange den med --strata stratum, '
                             "eller byt namn på kolumnen för att analysera utan strata.")
        table[strata] = None
    return analyse(table, chk, strata=strata, population_sizes=sizes, population_label=label, **options)


def population_from_record(record: Mapping[str, Any] | None) -> dict[str, float] | None:
    """Return stratum -> N from a draw record (urvalsprotokoll), or None when it has none."""
    strata = (record or {}).get("strata")
    if not strata:
        return None
    try:
        return {str(s["stratum"]): float(s["N"]) for s in strata}
    except (KeyError, TypeError, ValueError):
        return None


def audit_frame(store: Store, audit_id: int) -> Any:
    """Return (one row per case with any answer: case_id, stratum, sex, age, answers; cases left out).

    Cases outside the population (``granskning utanfor``) are in neither: they
    are not answers and not non-response (:mod:`granskning.analysis.domain`).
    """
    cases = store.cases_frame(audit_id)
    answers = store.answers_frame(audit_id, settled=True)  # a settled double reading wins
    outside = set(cases.loc[cases["outside_reason"].notna(), "case_id"])
    if outside:
        answers = answers[~answers["case_id"].isin(outside)].reset_index(drop=True)
    question_cols = [c for c in answers.columns if c != "case_id"]
    answered = answers[answers[question_cols].notna().any(axis=1)] if question_cols else answers.iloc[:0]
    meta = cases[["case_id", "stratum", "sex", "age"]]
    frame = answered.merge(meta, on="case_id", how="left", validate="one_to_one")
    frame = frame[["case_id", "stratum", "sex", "age", *question_cols]].reset_index(drop=True)
    frame.attrs["origin"] = f"granskning {audit_id}"
    return frame, len(answers) - len(answered)
