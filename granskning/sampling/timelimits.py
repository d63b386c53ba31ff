"""Time limits over the whole register: how many cases met a limit such as 14 days.

``granskning tidsgrans RAM --fran inkom --till beslut --dagar 14`` lands here, and so
does a protocol's ``tidsgranser:`` list at ``granskning ny``.  The frame is read
by the ordinary reader (:mod:`granskning.sampling.frame`: encodings, separators,
XLSX, errors with file, row and column), the population selected by the same
filter expressions as a draw, and the two date columns read by
:mod:`granskning.sampling.dates`.

The rules, written once here and in ``docs/tidsgranser.md``:

* the number of days is the number of calendar days from the ``fran`` date to the
  ``till`` date (times of day are ignored): received 1 March, decided 15 March is
  14 days, the same day is 0 days;
* a case is within the limit when its days are **at most** the limit (the limit's
  last day counts: 14 days is within a 14-day limit);
* a case lacking either date (``saknar_datum``) and a case whose ``till`` date is
  before its ``fran`` date (``negativa``, a register error) cannot be judged: both
  are counted and reported, and neither is in the share's denominator
  (``bedomda`` = ``antal`` − ``saknar_datum`` − ``negativa``);
* the median and quartiles are over the judged cases' days (linear
  interpolation between order statistics, as R's ``quantile(type = 7)`` and pandas).

The figures are a census of the register, not an estimate: there is no sampling
error to report.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.errors import InputError
from granskning.expr import check_names, parse
from granskning.fmt import heltal, procent, tal
from granskning.sampling.dates import table_dates
from granskning.sampling.frame import read_table_with_source
from granskning.sampling.population import Source, filter_mask
from granskning.secrecy import contains_personnummer
from granskning.wording import antal

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LimitFigures", "LimitResult", "TimeLimit", "days_between", "figures", "sentence_of", "time_limits"]

MISSING_STRATUM = "(stratum saknas)"
MAX_DAYS = 36_525  # 100 years: anything longer is a typing error


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """A limit to measure: at most ``dagar`` days from column ``fran`` to column ``till``."""

    fran: str
    till: str
    dagar: int
    namn: str | None = None
    benamning: str | None = None  # what the cases are called in the sentence: "förhandsbedömningarna"

    def check(self, where: str | Path | None = None) -> None:
        if isinstance(self.dagar, bool) or not isinstance(self.dagar, int) or self.dagar < 0:
            raise InputError(f"antalet dagar i en tidsgräns ska vara ett heltal 0 eller större, inte "
                             f"{self.dagar!r}.", file=where)
        if self.dagar > MAX_DAYS:
            raise InputError(f"en tidsgräns kan vara högst {heltal(MAX_DAYS)} dagar (100 år).", file=where)
        if not self.fran or not self.till:
            raise InputError("en tidsgräns behöver både en från-kolumn och en till-kolumn.", file=where)
        if self.fran == self.till:
            raise InputError(f'från- och till-kolumnen är samma kolumn ("{self.fran}").', file=where)

    def title(self) -> str:
        return self.namn or f"Högst {antal(self.dagar, 'dag', 'dagar')} från {self.fran} till {self.till}"


@dataclass(frozen=True, slots=True)
class LimitFigures:
    """The figures of one group of cases (a stratum or all)."""

    antal: int
    saknar_datum: int
    negativa: int
    inom: int
    median_dagar: float | None
    kvartiler_dagar: tuple[float, float] | None
    min_dagar: int | None
    max_dagar: int | None

    @property
    def bedomda(self) -> int:
        """Cases with both dates in order: the share's denominator."""
        return self.antal - self.saknar_datum - self.negativa

    @property
    def andel(self) -> float | None:
        return self.inom / self.bedomda if self.bedomda else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "antal": self.antal, "bedomda": self.bedomda, "inom": self.inom,
            "over": self.bedomda - self.inom, "andel": self.andel,
            "median_dagar": self.median_dagar,
            "kvartiler_dagar": list(self.kvartiler_dagar) if self.kvartiler_dagar else None,
            "min_dagar": self.min_dagar, "max_dagar": self.max_dagar,
            "saknar_datum": self.saknar_datum, "negativa": self.negativa,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LimitFigures:
        q = d.get("kvartiler_dagar")
        return cls(int(d["antal"]), int(d["saknar_datum"]), int(d.get("negativa", 0)), int(d["inom"]),
                   d.get("median_dagar"), (float(q[0]), float(q[1])) if q else None,
                   d.get("min_dagar"), d.get("max_dagar"))


@dataclass(frozen=True, slots=True)
class LimitResult:
    """One limit measured over a register: in total and per stratum."""

    limit: TimeLimit
    source: Source
    strata_column: str | None
    filter: str | None
    rows_read: int
    totalt: LimitFigures
    per_stratum: dict[str, LimitFigures]

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``granskning tidsgrans --json`` (and of the audit's record)."""
        return {
            "namn": self.limit.namn, "benamning": self.limit.benamning, "fran": self.limit.fran, "till": self.limit.till,
            "dagar": self.limit.dagar, "strata": self.strata_column, "filter": self.filter,
            "ram": {"fil": self.source.name, "sha256": self.source.sha256,
                    "format": self.source.describe(), "rader": self.rows_read},
            "totalt": self.totalt.as_dict(),
            "per_stratum": {k: v.as_dict() for k, v in self.per_stratum.items()},
        }

    def sentence(self) -> str:
        """The sentence a unit can put in its VB (verksamhetsberättelse)."""
        return sentence(self.limit, self.totalt)

    def text(self) -> str:
        """The human output: title, table and sentence."""
        return render_text(self)


def days_between(fran: pd.Series, till: pd.Series) -> Any:
    """Return the calendar days from ``fran`` to ``till`` (float array; NaN where a date is missing)."""
    import numpy as np

    start = fran.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    end = till.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    days = (end - start).astype("timedelta64[D]").astype(np.int64).astype(float)
    days[np.isnat(start) | np.isnat(end)] = np.nan
    return days


def figures(days: Any, limit: int) -> LimitFigures:
    """Return the figures of one group from its days (NaN = missing date)."""
    import numpy as np

    days = np.asarray(days, dtype=float)
    missing = np.isnan(days)
    negative = ~missing & (days < 0)
    judged = days[~missing & ~negative]
    if judged.size:
        q1, med, q3 = (float(x) for x in np.quantile(judged, [0.25, 0.5, 0.75]))
        spread: tuple[float, float] | None = (q1, q3)
        low, high = int(judged.min()), int(judged.max())
    else:
        med, spread, low, high = None, None, None, None
    return LimitFigures(int(days.size), int(missing.sum()), int(negative.sum()),
                        int((judged <= limit).sum()), med, spread, low, high)


def _grouped(days: Any, strata: Any, limit: int) -> dict[str, LimitFigures]:
    """Return the figures per stratum, vectorised over the strata (sorted by name)."""
    import numpy as np
    import pandas as pd

    codes, names = pd.factorize(pd.Series(strata, dtype=object), sort=True)
    k = len(names)
    missing = np.isnan(days)
    negative = ~missing & (days < 0)
    judged = ~missing & ~negative
    count = np.bincount(codes, minlength=k)
    n_missing = np.bincount(codes, weights=missing, minlength=k).astype(np.int64)
    n_negative = np.bincount(codes, weights=negative, minlength=k).astype(np.int64)
    n_within = np.bincount(codes, weights=judged & (days <= limit), minlength=k).astype(np.int64)
    groups = pd.Series(days[judged]).groupby(codes[judged])
    quantiles = groups.quantile([0.25, 0.5, 0.75]).unstack() if judged.any() else None
    lows, highs = (groups.min(), groups.max()) if judged.any() else (None, None)
    out: dict[str, LimitFigures] = {}
    for i, name in enumerate(names):
        has = quantiles is not None and i in quantiles.index
        q = quantiles.loc[i] if has else None
        out[str(name)] = LimitFigures(
            int(count[i]), int(n_missing[i]), int(n_negative[i]), int(n_within[i]),
            float(q[0.5]) if has else None, (float(q[0.25]), float(q[0.75])) if has else None,
            int(lows[i]) if has else None, int(highs[i]) if has else None,
        )
    return out


def time_limits(
    path: str | Path,
    limits: Sequence[TimeLimit],
    *,
    strata: str | None = None,
    filter: str | None = None,
    sheet: str | None = None,
) -> list[LimitResult]:
    """Measure each limit over the register in ``path`` (read once), in total and per stratum.

    ``filter`` selects the population with the expressions of ``urval --filter``;
    ``strata`` names the column to break the figures down by (an empty cell is
    the group ``(stratum saknas)``).  Raise :class:`InputError` for a missing
    column, a cell that is not a date, or an empty population.
    """
    import numpy as np

    if not limits:
        raise InputError("ingen tidsgräns att beräkna.")
    for limit in limits:
        limit.check()
        if contains_personnummer(limit.namn or "") or contains_personnummer(limit.benamning or ""):
            raise InputError("tidsgränsens namn eller benämning innehåller ett personnummer; ta bort det.")
    if filter and contains_personnummer(filter):
        raise InputError("filtret innehåller ett personnummer; avgränsa populationen med andra kolumner.")
    expression = parse(filter, source="--filter") if filter else None
    wanted = [c for lim in limits for c in (lim.fran, lim.till)]
    wanted += [strata] if strata else []
    wanted += sorted(expression.names) if expression is not None else []
    table, source = read_table_with_source(path, sheet=sheet, usecols=list(dict.fromkeys(wanted)))
    rows_read = len(table)
    if rows_read == 0:
        raise InputError("filen innehåller inga ärenden (bara en rubrikrad).", file=source.name)
    if expression is not None:
        check_names(expression, table.columns, source="--filter")
        table = table[filter_mask(table, expression, source.name)]
        if table.empty:
            raise InputError("inga ärenden återstår efter filtret.", file=source.name)
    dates = {c: table_dates(table, c) for c in dict.fromkeys(c for lim in limits for c in (lim.fran, lim.till))}
    labels = None
    if strata:
        labels = table[strata].to_numpy(dtype=object)
        labels = np.where(labels == "", MISSING_STRATUM, labels)
        _refuse_personnummer_strata(table, strata, source.name)
    results = []
    for limit in limits:
        days = days_between(dates[limit.fran], dates[limit.till])
        per = _grouped(days, labels, limit.dagar) if labels is not None else {}
        results.append(LimitResult(limit, source, strata, filter, rows_read, figures(days, limit.dagar), per))
    return results


def _refuse_personnummer_strata(table: pd.DataFrame, strata: str, name: str) -> None:
    """Refuse a stratum column holding personnummer: its values would be printed."""
    column = table[strata]
    for value in column.unique():
        if contains_personnummer(value):
            row = int(column.index[(column == value).to_numpy()][0])
            raise InputError("strata-kolumnen innehåller personnummer, och strata skrivs ut i "
                             "resultatet. Välj en annan kolumn (t.ex. stadsdel).",
                             file=name, row=row, column=strata)


# --------------------------------------------------------------------------- the words


def sentence(limit: TimeLimit, f: LimitFigures) -> str:
    """Return e.g. "73,0 % av ärendena (1 234 av 1 690) hade högst 14 dagar från inkom till beslut; 12 saknade datum."."""
    what = limit.benamning or "ärendena"
    span = f"högst {antal(limit.dagar, 'dag', 'dagar')} från {limit.fran} till {limit.till}"
    if f.bedomda == 0:
        text = f"Inget av {antal(f.antal, 'ärende')} kunde bedömas mot gränsen {span}"
    else:
        text = (f"{procent(f.andel)} av {what} ({heltal(f.inom)} av {heltal(f.bedomda)}) "
                f"hade {span}")
    notes = []
    if f.saknar_datum:
        notes.append(f"{heltal(f.saknar_datum)} saknade datum")
    if f.negativa:
        notes.append(f"{heltal(f.negativa)} hade {limit.till} före {limit.fran} och räknades inte")
    return text + ("; " + " och ".join(notes) if notes else "") + "."


def sentence_of(stored: dict[str, Any]) -> str:
    """Return the sentence of a limit stored as JSON (:meth:`LimitResult.as_dict`), e.g. in a sample record."""
    limit = TimeLimit(stored["fran"], stored["till"], int(stored["dagar"]), stored.get("namn"),
                      stored.get("benamning"))
    return sentence(limit, LimitFigures.from_dict(stored["totalt"]))


def _row(name: str, f: LimitFigures) -> list[str]:
    q = f.kvartiler_dagar
    return [name, heltal(f.antal), heltal(f.bedomda), heltal(f.inom), procent(f.andel),
            tal(f.median_dagar, 1) if f.median_dagar is not None else "–",
            f"{tal(q[0], 1)}–{tal(q[1], 1)}" if q else "–",
            heltal(f.saknar_datum), heltal(f.negativa)]


def render_text(result: LimitResult) -> str:
    """Return the Swedish table and sentence printed by ``granskning tidsgrans``."""
    limit = result.limit
    head = [result.strata_column or "", "Ärenden", "Bedömda", f"Inom {limit.dagar} d", "Andel",
            "Median dagar", "Kvartiler", "Saknar datum", "Negativa"]
    rows = [_row(k, v) for k, v in result.per_stratum.items()]
    rows.append(_row("Totalt", result.totalt))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    lines = [limit.title(), f"Ram: {result.source.name} ({result.source.describe()}), "
             f"{antal(result.rows_read, 'rad')}" + (f", filter: {result.filter}" if result.filter else ""),
             "", line(head), line(["-" * w for w in widths])]
    lines += [line(r) for r in rows[:-1]]
    if rows[:-1]:
        lines.append(line(["-" * w for w in widths]))
    note = (f"Kalenderdagar från {limit.fran} till {limit.till}; dag {limit.dagar} räknas som inom "
            f"gränsen. Ärenden som saknar datum eller har {limit.till} före {limit.fran} (Negativa) "
            "ingår inte i andelen. Siffrorna gäller hela registret"
            + (" efter filtret" if result.filter else "") + ": ingen urvalsosäkerhet.")
    lines += [line(rows[-1]), "", textwrap.fill(result.sentence(), 100), "", textwrap.fill(note, 100)]
    return "\n".join(lines)
