"""Time to commit one answer (set_answer returns only after COMMIT).

    .venv/bin/python benchmarks/bench_store.py [--db URL] [--n 200]

Default: a fresh SQLite file in a temp directory (WAL, synchronous=FULL).
Target on SQLite: median < 20 ms.  Prints median, 90th percentile and max.
The temp directory is on the machine's disk, so each commit pays a real fsync
unless /tmp is a tmpfs; pass --dir to choose where the file goes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from granskning.store.database import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--dir", help="directory for the SQLite file (default: a temp dir)")
    parser.add_argument("--n", type=int, default=200, help="number of commits to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        url = args.db or str(Path(tmp) / "bench.db")
        with Store.open(url, create=True) as store:
            store.migrate()
            audit = store.create_audit("Mätning", "granskning", None, None, None, None, {}, "bench")
            store.add_cases(audit, [{"case_id": f"B-{i}", "stratum": "S"} for i in range(20)])
            store.set_answer(audit, "B-0", "warmup", "Ja", who="bench")
            times = []
            for i in range(args.n):
                value = "Ja" if i % 2 else "Nej"  # every call is a real change
                start = time.perf_counter()
                store.set_answer(audit, f"B-{i % 20}", f"q{i % 33}", value, who="bench")
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"databas: {store.display_url} ({store.dialect})")
        print(
            f"set_answer, {args.n} commits: median {statistics.median(times):.2f} ms, "
            f"p90 {times[int(0.9 * len(times))]:.2f} ms, max {times[-1]:.2f} ms"
        )


if __name__ == "__main__":
    main()
