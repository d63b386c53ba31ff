"""Many reviewers at once: the figures of tests/test_concurrency.py.

    .venv/bin/python benchmarks/bench_concurrency.py [--inte-kora]

Runs tests/test_concurrency.py (20 reviewer processes on PostgreSQL, 4 on
SQLite, two processes on one answer, a writer killed with SIGKILL) against the
server in GRANSKNING_TEST_PG, or one started with scripts/pg.sh (stopped again
afterwards), then prints the figures the tests wrote to
$TMPDIR/granskning-concurrency.json.  With --inte-kora it only prints the
figures of the last run (e.g. from make test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = Path(tempfile.gettempdir()) / "granskning-concurrency.json"
PG = ROOT / "scripts" / "pg.sh"


def run_tests() -> None:
    env = dict(os.environ)
    started = False
    if not env.get("GRANSKNING_TEST_PG"):
        found = subprocess.run([str(PG), "url"], capture_output=True, text=True)
        if found.returncode != 0:
            found = subprocess.run([str(PG), "start"], capture_output=True, text=True)
            started = found.returncode == 0
        if found.returncode != 0:
            raise SystemExit(f"Ingen PostgreSQL-server: {found.stderr.strip()}")
        env["GRANSKNING_TEST_PG"] = found.stdout.strip().splitlines()[-1]
    env["GRANSKNING_REQUIRE_PG"] = "1"
    FIGURES.unlink(missing_ok=True)
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               str(ROOT / "tests" / "test_concurrency.py")], cwd=ROOT, env=env)
    finally:
        if started:
            subprocess.run([str(PG), "stop"], capture_output=True)
    if proc.returncode != 0:
        raise SystemExit("tests/test_concurrency.py misslyckades")


def show() -> None:
    try:
        doc = json.loads(FIGURES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SystemExit(f"Inga siffror i {FIGURES}: kör utan --inte-kora.") from None
    for db, label in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        f = doc.get(db)
        if f:
            print(f"  {label}: {f['granskare']} granskare samtidigt, {f['skrivna_svar']} svar "
                  f"skrivna, {f['svar_i_databasen']} i databasen, {f['historikrader']} "
                  f"historikrader, {f['klara_ärenden']} ärenden klara, {f['konflikter']} "
                  f"konflikter, {f['sekunder']:.1f} s".replace(".", ","))
        c = doc.get(f"konflikt_{db}")
        if c:
            print(f"  {label}: två processer ändrar samma svar: {c['konflikter']} konflikt "
                  "upptäckt, den andra fick se svaret och skrev inte över")
        k = doc.get(f"avbruten_{db}")
        if k:
            print(f"  {label}: process dödad mitt i skrivandet (SIGKILL): "
                  f"{k['bekräftade_svar']} bekräftade svar, {k['förlorade']} förlorade")


def main() -> None:
    if "--inte-kora" not in sys.argv[1:]:
        run_tests()
    print("Samtidighet: många granskare på en gemensam databas")
    show()


if __name__ == "__main__":
    main()
