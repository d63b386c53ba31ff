"""`make bench` section ``tidsgrans``: ``granskning tidsgrans`` on the 2 000 000-row export
against pandas computing the same per-stratum figures, in the same run, as whole processes.

(a) ``granskning tidsgrans RAM --fran inkom_datum --till beslut_datum --dagar 14 --strata
stadsdel --json``: reading (encoding and separator detected, every cell checked), strict date
reading of both columns, per-stratum counts, shares, medians and quartiles.
(b) pandas alone: ``read_csv`` of the same columns, ``to_datetime`` with the ISO format, then
``groupby`` for the same figures.  Both print JSON; the figures are compared before the
times are reported, so the two cannot silently measure different things.

``GRANSKNING_BENCH_RADER`` sets the number of rows (default 2 000 000) to check the
section on a small file; ``GRANSKNING_BENCH_UPPREPA`` the repetitions (default 3).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "bench-data"
ROWS = int(os.environ.get("GRANSKNING_BENCH_RADER", "2000000"))
REPEAT = int(os.environ.get("GRANSKNING_BENCH_UPPREPA", "3"))
LIMIT = 14

PANDAS = """
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1], sep=";", encoding="cp1252", dtype=str, keep_default_na=False,
                 usecols=["stadsdel", "inkom_datum", "beslut_datum"])
a = pd.to_datetime(df["inkom_datum"].replace("", None), format="%Y-%m-%d")
b = pd.to_datetime(df["beslut_datum"].replace("", None), format="%Y-%m-%d")
d = (b.dt.normalize() - a.dt.normalize()).dt.days
judged = d[d >= 0]
g = judged.groupby(df["stadsdel"][d >= 0])
within = (judged <= {limit}).groupby(df["stadsdel"][d >= 0]).sum()
out = {{}}
for name, days in g:
    out[name] = {{"antal": int((df["stadsdel"] == name).sum()), "bedomda": int(days.size),
                 "inom": int(within[name]), "andel": float(within[name] / days.size),
                 "median_dagar": float(days.median()),
                 "kvartiler_dagar": [float(days.quantile(0.25)), float(days.quantile(0.75))],
                 "saknar_datum": int(d[df["stadsdel"] == name].isna().sum())}}
print(json.dumps(out))
"""


def export() -> Path:
    name = "ram_2m.csv" if ROWS == 2_000_000 else f"ram_{ROWS}.csv"
    ram = DATA / name
    if not ram.exists():
        print(f"  Skapar {ram} ({ROWS} rader) ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_export.py"), str(ram), str(ROWS)],
                       check=True, capture_output=True)
    return ram


def timed(cmd: list[str]) -> tuple[list[float], str]:
    times, out = [], ""
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"misslyckades: {' '.join(cmd)}\n{proc.stderr}")
        out = proc.stdout
    return times, out


def show(label: str, times: list[float]) -> float:
    med = statistics.median(times)
    print(f"  {label:<58} median {med:6.3f} s  (min {min(times):.3f}, {len(times)} körningar)")
    return med


def same(ours: dict, theirs: dict) -> None:
    """Stop the bench when the two computations disagree."""
    per = ours["per_stratum"]
    if set(per) != set(theirs):
        raise SystemExit(f"olika strata: {sorted(per)} mot {sorted(theirs)}")
    for name, want in theirs.items():
        for key, value in want.items():
            got = per[name][key]
            ok = abs(got - value) < 1e-12 if key == "andel" else got == value
            if not ok:
                raise SystemExit(f"{name}, {key}: granskning {got} men pandas {value}")


def main() -> None:
    ram = export()
    size = ram.stat().st_size / 1e6
    print(f"  {ram.name}: {ROWS:,} rader".replace(",", " ") + f", {size:.0f} MB (Windows-1252, ;), gräns {LIMIT} dagar")
    a, ours = timed([str(BIN / "granskning"), "tidsgrans", str(ram), "--fran", "inkom_datum", "--till",
                     "beslut_datum", "--dagar", str(LIMIT), "--strata", "stadsdel", "--json"])
    b, theirs = timed([sys.executable, "-c", PANDAS.format(limit=LIMIT), str(ram)])
    same(json.loads(ours), json.loads(theirs))
    ta = show("(a) granskning tidsgrans (läsa, kontrollera datum, per stadsdel)", a)
    tb = show("(b) pandas read_csv + to_datetime + groupby (samma siffror)", b)
    print(f"  Samma siffror i (a) och (b). Kvot (a)/(b) = {ta / tb:.2f}")


if __name__ == "__main__":
    main()
