"""Vectorised evaluation of a condition over a pandas DataFrame (used by ``Expression.mask``).

Each comparison ("leaf") is evaluated once per distinct combination of the values
of the columns it mentions, with exactly the row-wise rules of :mod:`granskning.expr.nodes`,
and the results are spread back to the rows by the factorization codes.  Case
exports have few distinct values per column (ages, dates, districts), so a filter
over 2 000 000 rows costs a few factorizations plus numpy indexing, and the
vectorised and row-wise paths cannot disagree.  A column with millions of distinct
values still works, at Python speed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from granskning.expr.evaluate import _condition
from granskning.expr.nodes import (
    PROBLEM_LIMIT,
    BoolOp,
    ExprError,
    MaskReport,
    Node,
    Not,
    ValueProblem,
    _BadValue,
    _names,
    _norm,
    _show,
    unparse,
)
from granskning.expr.numeric import NumericLeaf, computes

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class _Columns:
    """Factorized columns of a frame: codes per row and the normalised distinct values."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.cache: dict[str, tuple[np.ndarray, list[object]]] = {}

    def get(self, name: str) -> tuple[np.ndarray, list[object]]:
        if name not in self.cache:
            self.cache[name] = self._factorize(name)
        return self.cache[name]

    def _factorize(self, name: str) -> tuple[np.ndarray, list[object]]:
        import numpy as np
        import pandas as pd

        s = self.df[name]
        if isinstance(s, pd.DataFrame):  # duplicated column name: use the first
            s = s.iloc[:, 0]
        kind = s.dtype.kind
        data: Any = s if kind in "biufcmM" else s.to_numpy(dtype=object)
        try:
            codes, uniques = pd.factorize(data)
        except TypeError:  # unhashable cells (lists of chosen options): one value per row
            values = [_norm(v) for v in s.to_numpy(dtype=object)]
            return np.arange(len(values)), values
        values = [_norm(v) for v in uniques]
        values.append(None)  # the code for missing cells
        return np.where(codes < 0, len(values) - 1, codes), values


class _Problems:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, dict[int, tuple[str, _BadValue]], str]] = []

    def add(
        self, rows: np.ndarray, ids: np.ndarray, bad: dict[int, tuple[str, _BadValue]], node: Node
    ) -> None:
        self.parts.append((rows, ids, bad, unparse(node)))

    def count(self) -> int:
        return sum(len(part[0]) for part in self.parts)

    def first(self, index: pd.Index) -> tuple[ValueProblem, ...]:
        import numpy as np

        if not self.parts:
            return ()
        rows = np.concatenate([p[0] for p in self.parts])
        ids = np.concatenate([p[1] for p in self.parts])
        part = np.concatenate([np.full(len(p[0]), k) for k, p in enumerate(self.parts)])
        order = np.argsort(rows, kind="stable")[:PROBLEM_LIMIT]
        integer_index = index.dtype.kind in "iu"
        out = []
        for k in order:
            _, _, bad, condition = self.parts[part[k]]
            column, exc = bad[int(ids[k])]
            label = index[rows[k]]
            excel_row = int(label) + 2 if integer_index else int(rows[k]) + 2
            out.append(
                ValueProblem(column, excel_row, label, _show(exc.value), exc.expected, condition)
            )
        return tuple(out)


def _leaf(
    node: Node, cols: _Columns, n: int, problems: _Problems, source: str | None
) -> np.ndarray:
    import numpy as np
    import pandas as pd

    names = sorted(_names(node))
    if names and computes(node):
        done = NumericLeaf(cols, n).run(node)  # type: ignore[arg-type]
        if done is not None:
            result, who, entries = done
            rows = np.flatnonzero(who >= 0)
            if len(rows):
                problems.add(rows, who[rows], dict(enumerate(entries)), node)
            return result
    if not names:
        try:
            return np.full(n, _condition(node, {}), dtype=bool)
        except _BadValue as exc:
            raise ExprError(exc.message(node), source=source) from None
    factored = [cols.get(name) for name in names]
    if len(names) == 1:
        joint, values = factored[0]
        envs = [{names[0]: v} for v in values]
    else:
        joint = factored[0][0].astype(np.int64)
        for codes, values in factored[1:]:
            joint, _ = pd.factorize(joint * len(values) + codes)
        # pd.factorize numbers values in order of first appearance, so each new code
        # is a new running maximum: that finds one representative row per combination
        peak = np.maximum.accumulate(joint)
        first = np.flatnonzero(np.concatenate(([True], peak[1:] > peak[:-1])))
        envs = [
            {name: f[1][f[0][r]] for name, f in zip(names, factored, strict=True)} for r in first
        ]
    result = np.zeros(len(envs), dtype=bool)
    bad: dict[int, tuple[str, _BadValue]] = {}
    for j, env in enumerate(envs):
        try:
            result[j] = _condition(node, env)
        except _BadValue as exc:
            bad[j] = (exc.name if exc.name in names else names[0], exc)
    if bad:
        flag = np.zeros(len(envs), dtype=bool)
        flag[list(bad)] = True
        rows = np.flatnonzero(flag[joint])
        problems.add(rows, joint[rows], bad, node)
    return result[joint]


def _vector(
    node: Node, cols: _Columns, n: int, problems: _Problems, source: str | None
) -> np.ndarray:
    import numpy as np

    if isinstance(node, Not):
        return ~_vector(node.operand, cols, n, problems, source)
    if isinstance(node, BoolOp):
        parts = [_vector(o, cols, n, problems, source) for o in node.operands]
        return np.logical_and.reduce(parts) if node.op == "and" else np.logical_or.reduce(parts)
    return _leaf(node, cols, n, problems, source)


def mask_report(root: Node, df: pd.DataFrame, *, source: str | None = None) -> MaskReport:
    """Return the mask and value problems for a condition already checked against ``df``."""
    import numpy as np
    import pandas as pd

    n = len(df)
    problems = _Problems()
    if n == 0:
        values = np.zeros(0, dtype=bool)
    else:
        values = _vector(root, _Columns(df), n, problems, source)
    mask = pd.Series(values, index=df.index, dtype=bool)
    return MaskReport(mask, problems.first(df.index), problems.count())
