"""Session figures: time to the first prompt, and time to save one answer.

    .venv/bin/python benchmarks/bench_session.py [--n 200] [--starts 7] [--dir DIR]

1. ``granskning kontroll`` started as a real process on an 80×24 pseudo-terminal:
   wall time from start until the case list is on screen (target < 0,5 s).
   Also lists which modules dominate ``python -X importtime`` for the session's
   imports, and checks that pandas, numpy, scipy, matplotlib and openpyxl are not
   among them.
2. ``Session.record`` on SQLite (WAL, synchronous=FULL): median time to validate,
   save (one transaction with its history row) and re-read one answer
   (target < 20 ms).  The database file is on ``--dir`` (default: a temp dir).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "openpyxl", "statsmodels")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")


def make_db(path: Path, n_cases: int = 26) -> None:
    from granskning.checklist import load
    from granskning.store.database import Store

    chk = load("forhandsbedomning-0-12")
    with Store.open(str(path), create=True) as store:
        store.init()
        store.create_audit("Bänk", "granskning", chk.id, chk.version, chk.sha256, None, {}, "b")
        ids = [f"FB-{i:03d}" for i in range(1, n_cases + 1)]
        store.add_cases(1, [{"case_id": c, "stratum": "Farsta", "draw_order": i}
                            for i, c in enumerate(ids, start=1)])
        store.assign(1, {c: "Anna" for c in ids})


def first_prompt(db: Path) -> float:
    """Return seconds from process start until "Välj ärende" is on the pty."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "granskning"), "kontroll", "--granskning", "1", "--granskare", "Anna",
         "--db", str(db)],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )
    os.close(slave)
    seen = b""
    try:
        while b"V\xc3\xa4lj \xc3\xa4rende" not in ANSI.sub(b"", seen):
            ready, _, _ = select.select([master], [], [], 10)
            if not ready:
                raise SystemExit("ingen prompt inom 10 s:\n" + seen.decode(errors="replace"))
            seen += os.read(master, 65536)
        elapsed = time.perf_counter() - t0
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    return elapsed


def import_profile() -> None:
    code = (
        "import granskning.cli, granskning.cli.kontroll, granskning.answers.session, "
        "granskning.answers.prompts, granskning.store.database, granskning.store.migrations, "
        "granskning.checklist.format, sqlite3\n"
        f"import sys; print('TUNGA=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), "
        "file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, check=True)
    rows = []
    heavy = ""
    for line in proc.stderr.splitlines():
        if line.startswith("TUNGA="):
            heavy = line[len("TUNGA="):]
            continue
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(3)) <= 3:  # top-level and first-level imports
            rows.append((int(m.group(2)), m.group(4)))
    rows.sort(reverse=True)
    print("  Import (python -X importtime, kumulativt, de största):")
    for micro, name in rows[:8]:
        print(f"    {micro / 1000:7.1f} ms  {name}")
    print(f"  Tunga bibliotek importerade: {heavy or 'inga'}")


def record_times(db: Path, n: int) -> list[float]:
    from granskning.answers.session import Session
    from granskning.store.database import Store

    times = []
    with Store.open(str(db)) as store:
        session = Session.open(store, 1, "Anna")
        values = ["Ja", "Nej", "Bristfällig"]
        for i in range(n):
            t0 = time.perf_counter()
            session.record(f"FB-{i % 26 + 1:03d}", "F3", values[i % 3])
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="antal svar att spara")
    parser.add_argument("--starts", type=int, default=7, help="antal starter att mäta")
    parser.add_argument("--dir", help="katalog för SQLite-filen (standard: en temp-katalog)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        db = Path(tmp) / "bench.db"
        make_db(db)
        first_prompt(db)  # warm the OS file cache
        starts = [first_prompt(db) for _ in range(args.starts)]
        print("granskning kontroll: start till första prompten (pty 80×24, mål < 0,5 s)")
        print(f"  median {statistics.median(starts):.3f} s  (min {min(starts):.3f}, "
              f"max {max(starts):.3f}, {len(starts)} starter)")
        import_profile()
        times = record_times(db, args.n)
        ms = sorted(t * 1000 for t in times)
        print("Session.record på SQLite: kontrollera, spara (en transaktion) och läsa om ett svar"
              " (mål < 20 ms)")
        print(f"  median {statistics.median(ms):.1f} ms  90:e percentilen "
              f"{ms[int(0.9 * len(ms)) - 1]:.1f} ms  max {ms[-1]:.1f} ms  ({len(ms)} svar)")


if __name__ == "__main__":
    main()
