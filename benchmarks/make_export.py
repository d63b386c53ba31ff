"""Generate a large synthetic case export (Windows-1252, `;`) for benchmarks.

No personnummer: the bench measures reading and drawing, and a column of
real-looking numbers has no place even in generated data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from granskning.demo.exempel import DISTRICTS


def make(path: Path, rows: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.5, 1.5, len(DISTRICTS))
    district = rng.choice(len(DISTRICTS), size=rows, p=weights / weights.sum())
    inkom = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 540, rows), unit="D")
    beslut = inkom + pd.to_timedelta(rng.integers(0, 30, rows), unit="D")
    df = pd.DataFrame({
        "arende_id": [f"FB-{i:08d}" for i in rng.permutation(rows)],
        "stadsdel": np.array(DISTRICTS, dtype=object)[district],
        "inkom_datum": inkom.strftime("%Y-%m-%d"),
        "beslut_datum": beslut.strftime("%Y-%m-%d"),
        "beslut": np.where(rng.random(rows) < 0.65, "Ingen utredning inleds", "Utredning inleds"),
        "alder": rng.integers(0, 18, rows),
        "kon": np.where(rng.random(rows) < 0.5, "flicka", "pojke"),
        "handlaggare": [f"Handläggare {k:03d}" for k in rng.integers(1, 400, rows)],
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench-data/ram_2m.csv")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    make(out, n)
    print(out)
