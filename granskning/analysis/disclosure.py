"""Disclosure control for published tables: primary and secondary cell suppression.

A published table is modelled as τ-ARGUS and R's sdcTable model it: a vector of
non-negative integer *cells* (the finest counts, e.g. category × district) and
*figures*, each the sum of some cells (a cell itself, a row or column total, a
district's numerator or denominator, the city's rate …).  Every figure the
report prints is a published figure; a reader knows all of them and that
cells are ≥ 0, and can compute, by linear programming, the interval in which
any other figure must lie.

Primary suppression (the frequency rule, sdcTable's ``primarySuppression(type =
"freq", maxN = threshold − 1, allowZeros = FALSE)``): a *sensitive* figure with
0 < value < threshold is primary.  Zeros are not sensitive (sdcTable's default
``allowZeros = FALSE``).  A sensitive figure need not be printed itself: the
number of cases *not* in an indicator's numerator (denominator − numerator) is
sensitive too, since it can be printed by subtraction.

Protection (τ-ARGUS/sdcTable protection levels): each primary figure with value
``v`` must keep, given every published figure, an interval that reaches down to
``v − 1`` (lower protection level 1: the reader cannot tell how few) and up to
``threshold`` (upper protection level ``threshold − v``: the reader cannot rule
out that the group is large enough to publish).  Where the table's fixed figures
(design sizes that are printed elsewhere anyway) make a level impossible, the
level is relaxed to 1 — the value is never exactly recoverable — and a figure
whose value the fixed figures alone determine is exempt (it is printed
elsewhere already).

Secondary (complementary) suppression: for each primary figure that the
published figures do not yet protect, a small mixed-integer programme (scipy's
HiGHS ``milp``) finds the cheapest further figures to withhold such that an
integer table exists that agrees with every figure still published and moves
the primary figure by its protection level — the attacker subproblem of
Fischetti & Salazar-González (2000), solved one primary at a time as
sdcTable's and τ-ARGUS's "modular"/"hypercube"-type heuristics do.  The cost
of withholding a figure is its value + 1 (τ-ARGUS's default "cell value"
cost), scaled up for totals so that body cells go first.  Finally
:func:`audit` solves, by linear programming, the minimum and maximum of every
primary figure over all non-negative tables that reproduce the published
figures: the attacker's view.

Library only; scipy is imported inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Figure", "Problem", "Protection", "audit", "protect"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A sum of cells: a printed number (``published``) or a number a reader could print by arithmetic."""

    key: Hashable
    cells: tuple[int, ...]
    published: bool = True  # printed in the report (unless withheld)
    fixed: bool = False  # always printed (a design size printed elsewhere): never withheld
    sensitive: bool = True  # the frequency rule applies
    weight: float = 1.0  # cost multiplier for withholding (totals cost more than body cells)


@dataclass(frozen=True)
class Problem:
    """Cells (non-negative integer counts) and the figures over them."""

    values: tuple[int, ...]
    figures: tuple[Figure, ...]

    def __post_init__(self) -> None:
        keys = [f.key for f in self.figures]
        if len(set(keys)) != len(keys):
            raise ValueError("figure keys must be unique")
        for f in self.figures:
            if not f.cells or any(not 0 <= c < len(self.values) for c in f.cells):
                raise ValueError(f"figure {f.key!r} has cells outside the table")
        if any(v < 0 for v in self.values):
            raise ValueError("cells are counts (≥ 0)")

    def value(self, key: Hashable) -> int:
        return sum(self.values[c] for c in self.figure(key).cells)

    def figure(self, key: Hashable) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)


@dataclass(frozen=True)
class Protection:
    """The suppression pattern of one problem and what a reader can still compute."""

    threshold: int
    withheld: frozenset  # keys of published figures not printed
    primary: frozenset  # keys of primary sensitive figures (printed or not)
    secondary: frozenset  # withheld keys that are not primary
    exempt: frozenset  # primary-sized figures fixed by the design figures (printed elsewhere)
    intervals: dict[Hashable, tuple[float, float]] = field(default_factory=dict)  # primary → (low, high)
    values: dict[Hashable, int] = field(default_factory=dict)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.withheld

    def hidden(self, *keys: Hashable) -> bool:
        """Return True when any of ``keys`` is withheld."""
        return any(k in self.withheld for k in keys)


# -- the linear algebra ---------------------------------------------------------------


def _groups(problem: Problem) -> tuple[list[frozenset[int]], dict[Hashable, int]]:
    """Return distinct supports and each figure's index into them (equal sums are one number)."""
    supports: list[frozenset[int]] = []
    index: dict[frozenset[int], int] = {}
    of: dict[Hashable, int] = {}
    for f in problem.figures:
        s = frozenset(f.cells)
        if s not in index:
            index[s] = len(supports)
            supports.append(s)
        of[f.key] = index[s]
    return supports, of


def _matrix(supports: Sequence[frozenset[int]], rows: Iterable[int], n: int):
    import numpy as np

    rows = list(rows)
    a = np.zeros((len(rows), n))
    for i, g in enumerate(rows):
        a[i, list(supports[g])] = 1.0
    return a


def _bounds(problem: Problem, supports, published: set[int], target: int) -> tuple[float, float]:
    """Return min and max of the sum over ``supports[target]`` given the published sums (LP)."""
    import numpy as np
    from scipy.optimize import linprog

    n = len(problem.values)
    x = np.asarray(problem.values, dtype=float)
    rows = sorted(published)
    a = _matrix(supports, rows, n) if rows else None
    b = a @ x if rows else None
    c = _matrix(supports, [target], n)[0]
    out = []
    for sign in (1.0, -1.0):
        r = linprog(sign * c, A_eq=a, b_eq=b, bounds=[(0, None)] * n, method="highs")
        if r.status == 3:  # unbounded above
            out.append(-sign * math.inf)
        elif r.status != 0:
            raise RuntimeError(f"disclosure audit LP failed: {r.message}")
        else:
            out.append(sign * r.fun)
    return out[0], out[1]


def _complement(problem: Problem, supports, fixed: set[int], candidates: list[int], costs: list[float],
                target: int, bound: float, up: bool) -> set[int] | None:
    """Return the cheapest candidate sums to withhold so that the target sum can reach ``bound``.

    Solves: an integer table y ≥ 0 that keeps every fixed sum and every candidate
    sum not chosen (z = 0), with target sum ≥ bound (``up``) or ≤ bound; minimise
    the cost of the chosen candidates.  None when even all candidates do not suffice.
    """
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, k = len(problem.values), len(candidates)
    x = np.asarray(problem.values, dtype=float)
    big = float(x.sum()) + abs(bound) + 1.0
    cons = []
    if fixed:
        a = _matrix(supports, sorted(fixed), n)
        cons.append(LinearConstraint(np.hstack([a, np.zeros((len(fixed), k))]), a @ x, a @ x))
    if k:
        a = _matrix(supports, candidates, n)
        m = np.array([big * len(supports[g]) for g in candidates])
        # a·y − m z ≤ a·x  and  a·y + m z ≥ a·x
        cons.append(LinearConstraint(np.hstack([a, -np.diag(m)]), -np.inf, a @ x))
        cons.append(LinearConstraint(np.hstack([a, np.diag(m)]), a @ x, np.inf))
    t = np.concatenate([_matrix(supports, [target], n)[0], np.zeros(k)])
    cons.append(LinearConstraint(t[None, :], bound, np.inf) if up else LinearConstraint(t[None, :], -np.inf, bound))
    cost = np.concatenate([np.zeros(n), np.asarray(costs, dtype=float)])
    lb = np.zeros(n + k)
    ub = np.concatenate([np.full(n, big), np.ones(k)])
    r = milp(cost, constraints=cons, integrality=np.ones(n + k), bounds=Bounds(lb, ub),
             options={"time_limit": 30})
    if r.x is None:
        return None
    return {g for g, z in zip(candidates, r.x[n:], strict=True) if z > 0.5}


# -- the public functions -------------------------------------------------------------


def audit(problem: Problem, withheld: Iterable[Hashable], keys: Iterable[Hashable]) -> dict[Hashable, tuple[float, float]]:
    """Return, for each of ``keys``, the interval a reader can compute from the published figures.

    Published means: a figure with ``published`` whose key is not in ``withheld``
    (figures with the same cells are one number: withholding one of them
    withholds it only if none of the others is printed).
    """
    supports, of = _groups(problem)
    hidden = set(withheld)
    published = {of[f.key] for f in problem.figures if f.published and f.key not in hidden}
    return {k: _bounds(problem, supports, published, of[k]) for k in keys}


def protect(problem: Problem, threshold: int) -> Protection:
    """Return the suppression pattern protecting every figure with 0 < value < threshold."""
    if threshold < 2:
        raise ValueError("threshold must be at least 2")
    supports, of = _groups(problem)
    ng = len(supports)
    value = [sum(problem.values[c] for c in s) for s in supports]
    fixed = {of[f.key] for f in problem.figures if f.fixed}
    published = {of[f.key] for f in problem.figures if f.published} | fixed
    sensitive = {of[f.key] for f in problem.figures if f.sensitive}
    weight = [1.0] * ng
    for f in problem.figures:
        weight[of[f.key]] = max(weight[of[f.key]], f.weight)
    primary = sorted((g for g in sensitive if 0 < value[g] < threshold and g not in fixed),
                     key=lambda g: (value[g], min(supports[g])))
    withheld = {g for g in primary if g in published}
    exempt = set()
    for g in primary:
        v = value[g]
        lo, hi = _bounds(problem, supports, published - withheld, g)
        moved = False
        for up, bound, relaxed in ((False, v - 1, v - 1), (True, threshold, v + 1)):
            if (hi >= bound - 1e-6) if up else (lo <= bound + 1e-6):
                moved = True
                continue
            candidates = sorted(published - withheld - fixed)
            costs = [weight[c] * (value[c] + 1) for c in candidates]
            chosen = _complement(problem, supports, fixed, candidates, costs, g, bound, up)
            if chosen is None and relaxed != bound:
                chosen = _complement(problem, supports, fixed, candidates, costs, g, relaxed, up)
            if chosen is not None:
                withheld |= chosen
                moved = True
        if not moved:
            lo, hi = _bounds(problem, supports, fixed, g)
            if hi - lo < 0.5:  # the fixed figures alone determine it: printed elsewhere already
                exempt.add(g)
            else:  # the solver gave up (time limit): withhold every figure that may be withheld
                withheld |= published - fixed
    primary = [g for g in primary if g not in exempt]
    withheld -= exempt
    shown = published - withheld
    intervals = {}
    for g in primary:
        lo, hi = _bounds(problem, supports, shown, g)
        if hi - lo < 0.5:  # cannot happen unless the fixed figures determine g, which made it exempt
            raise RuntimeError(f"disclosure control left figure {g} recoverable")
        intervals[g] = (lo, hi)
    keys_of: dict[int, list[Hashable]] = {}
    for f in problem.figures:
        keys_of.setdefault(of[f.key], []).append(f.key)
    primary_keys = frozenset(k for g in primary for k in keys_of[g])
    withheld_keys = frozenset(k for g in withheld for k in keys_of[g]
                              if problem.figure(k).published)
    return Protection(
        threshold=threshold, withheld=withheld_keys, primary=primary_keys,
        secondary=withheld_keys - primary_keys,
        exempt=frozenset(k for g in exempt for k in keys_of[g]),
        intervals={k: intervals[g] for g in primary for k in keys_of[g]},
        values={f.key: value[of[f.key]] for f in problem.figures},
    )


def table_problem(counts: Sequence[Sequence[int]], *, fixed_columns: bool = True,
                  extra: Sequence[tuple[Hashable, Sequence[tuple[int, int]], dict[str, Any]]] = ()) -> Problem:
    """Return the problem of a two-way table of counts (rows × columns) with its margins.

    Figures: ``("cell", i, j)``, ``("row", i)`` (row totals), ``("col", j)``
    (column totals) and ``("total",)``.  Column totals and the grand total are
    fixed (design sizes printed elsewhere) when ``fixed_columns``; otherwise
    they are sensitive figures that cost ten times a body cell to withhold.
    ``extra`` adds further figures as (key, [(i, j), …], Figure options).
    """
    rows = [list(map(int, r)) for r in counts]
    nr, nc = len(rows), len(rows[0]) if rows else 0
    values = tuple(v for r in rows for v in r)

    def cell(i: int, j: int) -> int:
        return i * nc + j

    figures = [Figure(("cell", i, j), (cell(i, j),)) for i in range(nr) for j in range(nc)]
    figures += [Figure(("row", i), tuple(cell(i, j) for j in range(nc)), weight=10.0) for i in range(nr)]
    figures += [Figure(("col", j), tuple(cell(i, j) for i in range(nr)), fixed=fixed_columns,
                       sensitive=not fixed_columns, weight=10.0) for j in range(nc)]
    figures.append(Figure(("total",), tuple(range(nr * nc)), fixed=fixed_columns, sensitive=not fixed_columns,
                          weight=100.0))
    for key, cells, options in extra:
        figures.append(Figure(key, tuple(sorted({cell(i, j) for i, j in cells})), **options))
    return Problem(values, tuple(figures))


# -- the report's tables ----------------------------------------------------------------


class _Builder:
    """Collect cells and figures under readable keys."""

    def __init__(self) -> None:
        self.values: list[int] = []
        self.cells: dict[Hashable, int] = {}
        self.figures: list[Figure] = []

    def cell(self, key: Hashable, value: int) -> int:
        self.cells[key] = len(self.values)
        self.values.append(int(value))
        return self.cells[key]

    def figure(self, key: Hashable, cells: Iterable[Hashable], **options: Any) -> None:
        idx = tuple(sorted({self.cells[c] for c in cells}))
        if idx:
            self.figures.append(Figure(key, idx, **options))

    def problem(self) -> Problem:
        return Problem(tuple(self.values), tuple(self.figures))


def _question_problem(counts, total: str, indicator=None, *, multiple: bool = False) -> tuple[Problem, bool]:
    """Return a question table's problem; with ``indicator`` its rates too when they add up from the cells.

    Returns the problem and whether the indicator figures were linked to the cells.
    The number answering per stratum (column totals) and in all are design sizes
    printed elsewhere (fixed); in a multiple-choice table they count choices, not
    cases, and are figures like any other.
    """
    cats = [c for c in counts.index if c != total]
    strata = [s for s in counts.columns if s != total]
    b = _Builder()
    for c in cats:
        for s in strata:
            b.cell((str(c), str(s)), int(counts.at[c, s]))
    for c in cats:
        for s in strata:
            b.figure(("cell", str(c), str(s)), [(str(c), str(s))])
        b.figure(("row", str(c)), [(str(c), str(s)) for s in strata], weight=10.0)
    for s in strata:
        b.figure(("col", str(s)), [(str(c), str(s)) for c in cats], fixed=not multiple, sensitive=multiple,
                 weight=10.0)
    b.figure(("total",), list(b.cells), fixed=not multiple, sensitive=multiple, weight=100.0)
    linked = False
    if indicator is not None:
        pos = [str(c) for c in cats if str(c) in indicator.positive]
        neg = [str(c) for c in cats if str(c) not in indicator.positive and str(c) not in indicator.excluded]

        def total_of(group, s):
            return sum(int(counts.at[c, s]) for c in cats if str(c) in group)

        linked = all(
            str(s) in indicator.per_stratum
            and total_of(pos, s) == indicator.per_stratum[str(s)].count
            and total_of(pos + neg, s) == indicator.per_stratum[str(s)].nobs
            for s in strata) and len(indicator.per_stratum) == len(strata)
        if linked:
            for s in map(str, strata):
                b.figure(("num", s), [(c, s) for c in pos], weight=3.0)
                b.figure(("den", s), [(c, s) for c in pos + neg], weight=3.0)
                b.figure(("neg", s), [(c, s) for c in neg], published=False)
            b.figure(("num", None), [(c, s) for c in pos for s in map(str, strata)], weight=30.0)
            b.figure(("den", None), [(c, s) for c in pos + neg for s in map(str, strata)], weight=30.0)
            b.figure(("neg", None), [(c, s) for c in neg for s in map(str, strata)], published=False)
    return b.problem(), linked


def _indicator_problem(indicator) -> Problem:
    """Return an indicator's own problem: numerator and the rest per stratum, with the city's sums."""
    b = _Builder()
    strata = list(indicator.per_stratum)
    for s in strata:
        p = indicator.per_stratum[s]
        b.cell((s, "pos"), p.count)
        b.cell((s, "neg"), p.nobs - p.count)
    for s in strata:
        b.figure(("num", s), [(s, "pos")], weight=3.0)
        b.figure(("den", s), [(s, "pos"), (s, "neg")], weight=3.0)
        b.figure(("neg", s), [(s, "neg")], published=False)
    b.figure(("num", None), [(s, "pos") for s in strata], weight=30.0)
    b.figure(("den", None), list(b.cells), weight=30.0)
    b.figure(("neg", None), [(s, "neg") for s in strata], published=False)
    return b.problem()


def _gender_problem(gender, sexes: dict[str, Any]) -> Problem:
    """Return the gender table's problem: numerator and the rest per age band and sex, with the totals.

    Cases of unknown age are cells of their own (not printed, but a reader can
    compute them from the totals: sensitive like any other count).
    """
    bands = gender.band_table
    b = _Builder()
    order = list(dict.fromkeys(bands["band"]))
    for sex, total in sexes.items():
        part = bands[bands["sex"] == sex].set_index("band")
        xs, ns = 0, 0
        for band in order:
            x, n = int(part.at[band, "numerator"]), int(part.at[band, "denominator"])
            b.cell((band, sex, "pos"), x)
            b.cell((band, sex, "neg"), n - x)
            b.figure(("gx", band, sex), [(band, sex, "pos")])
            b.figure(("gn", band, sex), [(band, sex, "pos"), (band, sex, "neg")])
            b.figure(("gneg", band, sex), [(band, sex, "neg")], published=False)
            xs, ns = xs + x, ns + n
        rest_pos, rest_neg = total.count - xs, (total.nobs - total.count) - (ns - xs)
        if rest_pos < 0 or rest_neg < 0:  # bands that overlap: the totals stand alone
            b.cell(("*", sex, "pos"), total.count)
            b.cell(("*", sex, "neg"), total.nobs - total.count)
            pos = [("*", sex, "pos")]
            neg = [("*", sex, "neg")]
        else:
            b.cell(("rest", sex, "pos"), rest_pos)
            b.cell(("rest", sex, "neg"), rest_neg)
            b.figure(("grest", sex, "pos"), [("rest", sex, "pos")], published=False)
            b.figure(("grest", sex, "neg"), [("rest", sex, "neg")], published=False)
            pos = [(band, sex, "pos") for band in order] + [("rest", sex, "pos")]
            neg = [(band, sex, "neg") for band in order] + [("rest", sex, "neg")]
        b.figure(("gX", sex), pos, weight=30.0)
        b.figure(("gN", sex), pos + neg, weight=30.0)
        b.figure(("gNEG", sex), neg, published=False)
    return b.problem()


@dataclass(frozen=True)
class ReportMask:
    """The suppression pattern of every published table of an analysis; renderers ask it cell by cell."""

    threshold: int
    questions: dict[str, Protection]  # question id → its likställighet table (with linked rates)
    indicators: dict[str, Protection]  # indicator id → the protection its rates are withheld by
    genders: dict[str, Protection]  # indicator id → its gender table
    linked: frozenset[str]  # indicators whose rates are audited with their question's table

    def cell(self, qid: str, category: Any, stratum: Any) -> bool:
        p = self.questions.get(qid)
        return p is not None and ("cell", str(category), str(stratum)) in p

    def row_total(self, qid: str, category: Any) -> bool:
        p = self.questions.get(qid)
        return p is not None and ("row", str(category)) in p

    def table_any(self, qid: str) -> bool:
        p = self.questions.get(qid)
        return p is not None and bool(p.withheld)

    def rate(self, qid: str, stratum: Any = None) -> bool:
        """Return True when a stratum's (None: the city's) numerator or denominator is withheld."""
        p = self.indicators.get(qid)
        s = None if stratum is None else str(stratum)
        return p is not None and p.hidden(("num", s), ("den", s))

    def numerator(self, qid: str, stratum: Any = None) -> bool:
        p = self.indicators.get(qid)
        return p is not None and ("num", None if stratum is None else str(stratum)) in p

    def denominator(self, qid: str, stratum: Any = None) -> bool:
        p = self.indicators.get(qid)
        return p is not None and ("den", None if stratum is None else str(stratum)) in p

    def rates_any(self, qid: str) -> bool:
        """Return True when any stratum's rate of the indicator is withheld."""
        p = self.indicators.get(qid)
        return p is not None and any(k[0] in ("num", "den") for k in p.withheld)

    def gender(self, qid: str, band: Any, sex: str, which: str) -> bool:
        """``which`` is "x" (numerator) or "n" (denominator); band None for the totals."""
        p = self.genders.get(qid)
        if p is None:
            return False
        if band is None:
            return ("gX" if which == "x" else "gN", sex) in p
        return ("gx" if which == "x" else "gn", band, sex) in p

    def gender_any(self, qid: str) -> bool:
        p = self.genders.get(qid)
        return p is not None and bool(p.withheld)

    def counts(self) -> tuple[int, int]:
        """Return how many printed figures are withheld as primary and as secondary suppressions."""
        seen: dict[int, Protection] = {}
        for p in (*self.questions.values(), *self.indicators.values(), *self.genders.values()):
            seen[id(p)] = p
        primary = sum(len(p.withheld & p.primary) for p in seen.values())
        secondary = sum(len(p.secondary) for p in seen.values())
        return primary, secondary

    def to_json_dict(self) -> dict[str, Any]:
        primary, secondary = self.counts()
        return {"grans": self.threshold, "primara": primary, "sekundara": secondary,
                "metod": METHOD_JSON}


METHOD_JSON = ("frekvensregel (0 < antal < gräns) och sekundär undertryckning; varje undertryckt "
               "antal har kontrollerats med linjärprogrammering mot alla publicerade siffror")


def protect_analysis(analysis: Any, threshold: int, questions: Iterable[str], indicators: Iterable[str],
                     genders: Iterable[str]) -> ReportMask:
    """Return the suppression pattern of the report's tables of ``analysis``.

    ``questions`` are the question tables printed, ``indicators`` the indicators
    whose rates are printed (per stratum or for the city) and ``genders`` those
    with a gender table.
    """
    total = analysis.total_label
    qs = dict.fromkeys([*questions, *indicators])
    out_q: dict[str, Protection] = {}
    out_i: dict[str, Protection] = {}
    linked = set()
    for qid in qs:
        table = analysis.tables.get(qid)
        ind = analysis.indicators.get(qid)
        result = ind.result if ind is not None else None
        if table is not None:
            problem, ok = _question_problem(table.counts, total, None if table.multiple else result,
                                            multiple=table.multiple)
            prot = protect(problem, threshold)
            out_q[qid] = prot
            if ok:
                out_i[qid] = prot
                linked.add(qid)
        if result is not None and qid not in out_i and result.per_stratum:
            out_i[qid] = protect(_indicator_problem(result), threshold)
    out_g = {}
    for qid in genders:
        ind = analysis.indicators.get(qid)
        g = ind.result.gender if ind is not None else None
        if g is not None:
            out_g[qid] = protect(_gender_problem(g, {g.words.female_one: g.girls, g.words.male_one: g.boys}),
                                 threshold)
    return ReportMask(threshold, out_q, out_i, out_g, frozenset(linked))
