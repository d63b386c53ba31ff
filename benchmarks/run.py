"""`make bench`: performance figures measured in one run, as whole processes.

Sections (run all, or name some: ``python benchmarks/run.py urval start``):

- ``start``: wall time of ``granskning --help`` and each subcommand's help.
- ``svar``, ``session``, ``analys``, ``rapport``, ``samtidighet``: the feature benchmarks in
  ``benchmarks/bench_*.py`` (answer commit time, time to the first prompt,
  national-scale analysis against samplics, report rendering).
- ``urval``: on a 2 000 000-row case export with 11 districts, (a) reading the
  CSV with pandas alone, (b) ``granskning urval`` end to end, (c) pandas
  ``groupby(...).sample(...)`` on the same frame (including reading it).
  Targets: (b) <= 1.5 x (a), and (b) faster than (c).
- ``tidsgrans``: ``granskning tidsgrans`` per district on the same export against pandas
  computing the same figures (``benchmarks/bench_tidsgrans.py``; the ratio is reported).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "bench-data"
REPEAT = 3


def timed(cmd: list[str], repeat: int = REPEAT) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"misslyckades: {' '.join(cmd)}\n{proc.stderr}")
    return times


def show(label: str, times: list[float]) -> float:
    med = statistics.median(times)
    print(f"  {label:<58} median {med:6.3f} s  (min {min(times):.3f}, {len(times)} körningar)")
    return med


def bench_start() -> None:
    from granskning.cli import COMMANDS

    print("Start: granskning --help och underkommandonas --help (mål < 0,3 s)")
    exe = str(BIN / "granskning")
    show("granskning --help", timed([exe, "--help"], 5))
    for name in sorted(COMMANDS):
        show(f"granskning {name} --help", timed([exe, name, "--help"], 3))


def bench_urval() -> None:
    ram = DATA / "ram_2m.csv"
    if not ram.exists():
        print(f"Skapar {ram} (2 000 000 rader) ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_export.py"), str(ram)], check=True)
    size = ram.stat().st_size / 1e6
    print(f"Urval på {ram.name}: 2 000 000 rader, 11 stadsdelar, {size:.0f} MB (Windows-1252, ;)")
    py = sys.executable
    read = f"import pandas as pd; df = pd.read_csv({str(ram)!r}, sep=';', encoding='cp1252')"
    a = show("(a) pandas read_csv", timed([py, "-c", read]))
    out = DATA / "urval_bench.xlsx"
    b = show(
        "(b) granskning urval (läsa, validera, dra, skriva xlsx)",
        timed([str(BIN / "granskning"), "urval", str(ram), "--id", "arende_id", "--strata", "stadsdel",
               "--per-stratum", "26", "--seed", "2024", "--reserv", "5", "--ut", str(out)]),
    )
    sample = read + "; s = df.groupby('stadsdel').sample(n=26, random_state=2024)"
    c = show("(c) pandas read_csv + groupby().sample()", timed([py, "-c", sample]))
    print(f"  kvot (b)/(a) = {b / a:.2f}  (mål ≤ 1,5)   kvot (b)/(c) = {b / c:.2f}  (mål < 1)")


SAMPLICS = DATA / "samplics-lib"


def _samplics() -> Path | None:
    """Install samplics for the comparison, outside .venv (it pulls in pyarrow, which would
    change pandas' default string storage for the whole project)."""
    if not (SAMPLICS / "samplics").exists():
        print("  Installerar samplics (bara för jämförelsen) i bench-data/samplics-lib ...", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(SAMPLICS), "--no-deps", "samplics", "polars", "polars-runtime-32"],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            print("  samplics kunde inte installeras; jämförelsen hoppas över:", proc.stderr.strip()[-300:])
            return None
    return SAMPLICS


def _script(name: str, title: str, *, extra_path=None):
    """Return a section that runs ``benchmarks/<name>.py`` (written per feature) in the same run."""

    def section() -> None:
        import os

        script = ROOT / "benchmarks" / f"{name}.py"
        print(title)
        if not script.exists():
            print(f"  (saknas: {script.name})")
            return
        env = dict(os.environ)
        path = extra_path() if extra_path else None
        if path is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
        subprocess.run([sys.executable, str(script)], check=True, env=env)

    return section


SECTIONS = {
    "start": bench_start,
    "urval": bench_urval,
    "svar": _script("bench_store", "Svar: tid för att spara ett svar (SQLite, mål < 20 ms)"),
    "session": _script("bench_session", "Kontroll: tid till första frågan (mål < 0,5 s) och per svar"),
    "analys": _script("bench_analysis", "Analys: 290 strata × 30 ärenden × 40 frågor", extra_path=_samplics),
    "rapport": _script("bench_report", "Rapport: demogranskningen och 290 strata"),
    "samtidighet": _script("bench_concurrency", "Samtidighet: 20 granskare på PostgreSQL"),
    "tidsgrans": _script("bench_tidsgrans", "Tidsgräns: granskning tidsgrans mot pandas på 2 000 000 rader"),
}


def main(argv: list[str]) -> None:
    names = argv or list(SECTIONS)
    for name in names:
        if name not in SECTIONS:
            raise SystemExit(f"okänd sektion {name!r}; välj bland {', '.join(SECTIONS)}")
    for name in names:
        SECTIONS[name]()
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
