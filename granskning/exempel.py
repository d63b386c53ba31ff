"""Bundled synthetic example data: a case export of pre-assessments for the 11 districts.

The export is synthetic (no real cases, no personnummer) and regenerated
byte for byte by :func:`make_export` from a fixed seed, so the committed file
can always be checked.  It looks like what a case system gives: ``;``
separators, Windows-1252, one row per pre-assessment (förhandsbedömning)
received in 2023 and early 2024, children 0–17, with and without an
investigation opened.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

DISTRICTS = (
    "Bromma",
    "Enskede-Årsta-Vantör",
    "Farsta",
    "Hägersten-Älvsjö",
    "Hässelby-Vällingby",
    "Järva",
    "Kungsholmen",
    "Norra innerstaden",
    "Skarpnäck",
    "Skärholmen",
    "Södermalm",
)
# Pre-assessments per district over the period (synthetic, in proportion to size).
SIZES = (520, 760, 470, 820, 560, 980, 430, 690, 450, 540, 610)
EXPORT = Path(__file__).parent / "data" / "forhandsbedomningar_2023_2024.csv"
SEED = 20240301
FILTER = "beslut == 'Ingen utredning inleds' and alder <= 12"


def export_path() -> Path:
    """Return the path of the bundled example export."""
    return EXPORT


def make_export(path: Path = EXPORT, seed: int = SEED) -> Path:
    """Write the synthetic export (deterministic: the same bytes every time)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = dt.date(2023, 1, 1)
    lines = ["arende_id;stadsdel;inkom_datum;beslut_datum;beslut;alder;kon;handlaggare"]
    serial = 0
    rows = []
    for d_index, (district, size) in enumerate(zip(DISTRICTS, SIZES, strict=True)):
        for _ in range(size):
            serial += 1
            received = start + dt.timedelta(days=int(rng.integers(0, 455)))
            decided = received + dt.timedelta(days=int(rng.integers(1, 22)))
            decision = "Ingen utredning inleds" if rng.random() < 0.66 else "Utredning inleds"
            age = int(rng.integers(0, 18))
            sex = "flicka" if rng.random() < 0.49 else "pojke"
            worker = f"Handläggare {d_index + 1:02d}-{int(rng.integers(1, 9))}"
            case_id = f"FB-{received.year}-{serial:05d}"
            rows.append(
                f"{case_id};{district};{received.isoformat()};{decided.isoformat()};"
                f"{decision};{age};{sex};{worker}"
            )
    order = rng.permutation(len(rows))
    lines.extend(rows[i] for i in order)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled file
    print(make_export())
