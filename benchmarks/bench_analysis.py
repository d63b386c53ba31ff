"""Benchmark: `granskning analys` at national scale, against samplics for the estimates.

A synthetic national audit: 290 strata (municipalities) × 30 cases, 40
questions (24 indicators: yes/no with hindrances, three-way with a positive
choice, multiple choice), sex and age for every case and population sizes per
stratum.  Timed, in one process:

(a) the whole analysis: every likställighet table, indicator rates with
    intervals, homogeneity tests (Monte Carlo where expected counts are small),
    design-based estimates, funnel limits, gender analyses (Fisher, CMH,
    logistic regression, detectable difference) and the JSON document;
(b) writing the XLSX workbook of that analysis;
(c) only the design-based estimates of the 24 indicators with granskning's
    estimator (:func:`granskning.analysis.estimation.stratified_estimate`);
(d) the same 24 estimates with samplics (``TaylorEstimator("proportion")``
    with strata, fpc and domain), the reference implementation.

Printed: medians of several runs, the ratio (d)/(c) and the largest
difference between the estimates and standard errors of (c) and (d).

Run: ``.venv/bin/python benchmarks/bench_analysis.py`` (part of ``make bench``).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

STRATA, PER_STRATUM, QUESTIONS = 290, 30, 40
REPEAT = 3


def checklist_text() -> str:
    """Return a 40-question checklist: 16 yes/no indicators, 8 three-way indicators, 8 + 8 tables."""
    lines = ['id: nationell', 'titel: Nationell testgranskning', 'version: "1"', "omraden:",
             "  - id: a", "    titel: Alla frågor", "    fragor:"]
    for k in range(1, QUESTIONS + 1):
        lines.append(f"      - id: Q{k}")
        lines.append(f"        text: Fråga {k}")
        if k <= 16:
            lines += ["        typ: janej", "        hinder: [Barnet kan inte, Barnet vill inte]",
                      "        indikator: true"]
        elif k <= 24:
            lines += ["        typ: enval", "        val: [Ja, Delvis, Nej, Ej aktuellt]",
                      "        ej_tillampligt: [Ej aktuellt]", "        positiva: [Ja]", "        indikator: true"]
        elif k <= 32:
            lines += ["        typ: enval", "        val: [Polisen, Skolan, Förskolan, Vården, Annan]"]
        else:
            lines += ["        typ: flerval", "        val: [Våld, Missbruk, Psykisk ohälsa, Omsorg, Annat]"]
    return "\n".join(lines) + "\n"


def data(seed: int = 2024) -> tuple[pd.DataFrame, dict[str, int]]:
    rng = np.random.default_rng(seed)
    n = STRATA * PER_STRATUM
    names = [f"Kommun {i:03d}" for i in range(STRATA)]
    df = pd.DataFrame({
        "case_id": [f"N-{i:05d}" for i in range(n)],
        "kommun": np.repeat(names, PER_STRATUM),
        "kon": rng.choice(["flicka", "pojke"], size=n),
        "alder": rng.integers(0, 13, size=n),
    })
    level = rng.uniform(0.15, 0.6, size=STRATA)[np.repeat(np.arange(STRATA), PER_STRATUM)]
    for k in range(1, QUESTIONS + 1):
        u = rng.uniform(size=n)
        if k <= 16:
            v = np.where(u < 0.1, "Barnet kan inte", np.where(u < 0.13, "Barnet vill inte",
                         np.where(rng.uniform(size=n) < level, "Ja", "Nej")))
        elif k <= 24:
            v = np.where(u < 0.1, "Ej aktuellt", np.where(rng.uniform(size=n) < level, "Ja",
                         rng.choice(["Delvis", "Nej"], size=n)))
        elif k <= 32:
            v = rng.choice(["Polisen", "Skolan", "Förskolan", "Vården", "Annan"], size=n,
                           p=[0.3, 0.3, 0.1, 0.2, 0.1])
        else:
            picks = rng.uniform(size=(n, 5)) < 0.3
            labels = np.array(["Våld", "Missbruk", "Psykisk ohälsa", "Omsorg", "Annat"])
            v = np.array(["; ".join(labels[row]) for row in picks], dtype=object)
        v = np.asarray(v, dtype=object)
        v[rng.uniform(size=n) < 0.02] = None  # a few unanswered
        df[f"Q{k}"] = v
    sizes = {name: int(PER_STRATUM * rng.uniform(3, 40)) for name in names}
    return df, sizes


def show(label: str, seconds: float, note: str = "") -> None:
    print(f"  {label:<56} median {seconds:7.3f} s{note}")


def median_time(fn, repeat: int = REPEAT) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    from granskning import checklist
    from granskning.analysis.analyse import analyse
    from granskning.analysis.estimation import stratified_estimate
    from granskning.analysis.output import write_workbook

    chk = checklist.loads(checklist_text())
    df, sizes = data()
    indicators = [q for q in chk.questions if q.indicator]
    print(f"Analys: {STRATA} strata × {PER_STRATUM} ärenden = {len(df)} ärenden, {QUESTIONS} frågor "
          f"({len(indicators)} indikatorer), kön, ålder och N per stratum")

    def full():
        a = analyse(df, chk, strata="kommun", sex="kon", age="alder", population_sizes=sizes,
                    id_column="case_id", seed=1)
        return a, json.dumps(a.to_json_dict(), ensure_ascii=False, allow_nan=False)

    t_a, (analysis, doc) = median_time(full)
    show(f"(a) hela analysen + JSON ({len(doc) / 1e6:.1f} MB)", t_a)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tabeller.xlsx"
        t_b, _ = median_time(lambda: write_workbook(analysis, out), 1)
        size = out.stat().st_size / 1e6
    show(f"(b) XLSX-arbetsboken av samma analys ({size:.1f} MB)", t_b, "  (1 körning)")

    # (c) and (d): the same 24 design-based proportions (domain = answers in the denominator).
    design = df[["kommun"]].copy()
    design["N"] = design["kommun"].map(sizes).astype(float)
    ys = {}
    for q in indicators:
        out_of_den = set(q.hindrances) | set(q.not_applicable)
        v = df[q.id]
        in_den = v.notna() & ~v.isin(list(out_of_den))
        ys[q.id] = (in_den.to_numpy(), (v == "Ja").to_numpy() & in_den.to_numpy())

    def ours():
        res = {}
        for qid, (in_den, pos) in ys.items():
            d = design.assign(y=np.where(in_den, pos.astype(float), np.nan))
            e = stratified_estimate(d, strata="kommun", population="N", variable="y")
            res[qid] = (e.estimate, e.se)
        return res

    t_c, mine = median_time(ours)
    show("(c) 24 designbaserade andelar, granskning.analysis.estimation", t_c)
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            import samplics  # noqa: F401
    except ImportError:
        print("  (d) samplics är inte installerat: ingen jämförelse. Installera det utanför .venv, t.ex.\n"
              "      pip install --target /tmp/samplics-lib --no-deps samplics polars polars-runtime-32\n"
              "      och kör med PYTHONPATH=/tmp/samplics-lib (se rapporten: samplics drar in pyarrow,\n"
              "      som byter pandas standardlagring för text i hela miljön).")
        return
    t_d, theirs = median_time(lambda: samplics_estimates(design, ys))
    show(f"(d) samma 24 andelar med samplics {samplics_version()}", t_d)
    diff_est = max(abs(mine[q][0] - theirs[q][0]) for q in mine)
    diff_se = max(abs(mine[q][1] - theirs[q][1]) / theirs[q][1] for q in mine)
    print(f"  kvot (d)/(c) = {t_d / t_c:.1f}   kvot (a)/(d) = {t_a / t_d:.1f}   "
          f"största skillnad: andel {diff_est:.1e}, standardfel (relativ) {diff_se:.1e}")


def samplics_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("samplics")


def samplics_estimates(design: pd.DataFrame, ys: dict) -> dict[str, tuple[float, float]]:
    """Return (estimate, SE) of each indicator with samplics' Taylor estimator."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "samplics is archived" notice
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

    n_h = design.groupby("kommun")["kommun"].transform("size").to_numpy(dtype=float)
    weight = design["N"].to_numpy() / n_h
    fpc = 1 - n_h / design["N"].to_numpy()
    out = {}
    for qid, (in_den, pos) in ys.items():
        est = TaylorEstimator(PopParam.prop)
        est.estimate(y=pos.astype(int), samp_weight=weight, stratum=design["kommun"].to_numpy(),
                     fpc=fpc, domain=np.where(in_den, "ja", "nej"), remove_nan=False)
        out[qid] = (float(est.point_est["ja"][1]), float(est.stderror["ja"][1]))
    return out


if __name__ == "__main__":
    main()
    sys.exit(0)
