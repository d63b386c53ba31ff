"""Case-level answer tables rebuilt from the published SEED-004 tables (DOMAIN.md §2.1–2.5).

Shared by tests/test_analysis*.py and tests/test_cli_analys.py.  Sexes and ages
are synthetic (the report publishes no gender counts); case ids are plain
labels, never anything that looks like a personnummer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DISTRICTS = [
    "Bromma", "Enskede-Årsta-Vantör", "Farsta", "Hägersten-Älvsjö", "Hässelby-Vällingby", "Järva",
    "Kungsholmen", "Norra innerstaden", "Skarpnäck", "Skärholmen", "Södermalm",
]
# DOMAIN.md §2.1, SEED-004 Table 1 (F5): Kontaktvägar med vårdnadshavare
TABLE_1 = {
    "Fysiskt möte": [7, 10, 11, 6, 10, 15, 6, 9, 12, 24, 20],
    "Endast telefon": [16, 15, 7, 16, 15, 9, 19, 17, 13, 2, 6],
    "Endast brev": [3, 1, 4, 4, 1, 2, 1, 0, 1, 0, 0],
    "Ingen kontakt": [0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0],
}
# DOMAIN.md §2.2, SEED-004 Table 2 (F7): Har barnet kommit till tals om anmälan?
TABLE_2 = {
    "Ja": [4, 3, 4, 5, 5, 8, 2, 4, 2, 10, 5],
    "Nej": [15, 16, 19, 17, 15, 12, 15, 17, 15, 9, 6],
    "Barnet vill inte": [0, 0, 0, 0, 0, 0, 4, 0, 0, 1, 2],
    "Barnet kan inte": [3, 5, 2, 4, 5, 5, 3, 4, 6, 6, 6],
    "VH samtycker inte": [4, 2, 1, 0, 1, 1, 2, 1, 3, 0, 7],
}
# DOMAIN.md §2.2 [D]: Ja/(Ja+Nej) per district.
TABLE_2_RATES = {
    "Bromma": (4, 19, 21.1), "Enskede-Årsta-Vantör": (3, 19, 15.8), "Farsta": (4, 23, 17.4),
    "Hägersten-Älvsjö": (5, 22, 22.7), "Hässelby-Vällingby": (5, 20, 25.0), "Järva": (8, 20, 40.0),
    "Kungsholmen": (2, 17, 11.8), "Norra innerstaden": (4, 21, 19.0), "Skarpnäck": (2, 17, 11.8),
    "Skärholmen": (10, 19, 52.6), "Södermalm": (5, 11, 45.5),
}
A2_UNITS = ["Hässelby - Vällingby", "Kungsholmen", "Skarpnäck"]
# DOMAIN.md §2.3–2.5, SEED-004 Tables 3–5 (O4, O6, O15; "Totalt" in the source)
TABLE_3 = {"Ja": [11, 7, 10], "Nej": [1, 5, 2]}
TABLE_4 = {
    "Ja": [2, 0, 3], "Nej": [6, 5, 6], "Barnet under fyra år": [3, 2, 1],
    "Barnet vill inte": [0, 0, 0], "Genomförandeplan saknas": [1, 5, 2],
}
TABLE_5 = {
    "Ja": [0, 1, 1], "Nej": [4, 6, 5], "Inget avslutsmöte hålls": [1, 0, 2],
    "Insatsen pågår fortfarande": [4, 3, 2], "Barnet under fyra år": [3, 2, 1],
    "Barnet vill inte": [0, 0, 1],
}


def _column(table: dict[str, list[int]], i: int) -> list[str]:
    return [cat for cat, counts in table.items() for _ in range(counts[i])]


def a1_cases(seed: int = 7) -> pd.DataFrame:
    """Return the 286 pre-assessments of A1 with answers to F5 (Table 1) and F7 (Table 2)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, district in enumerate(DISTRICTS):
        f5, f7 = _column(TABLE_1, i), _column(TABLE_2, i)
        assert len(f5) == len(f7) == 26
        parts.append(pd.DataFrame({"stadsdel": district, "F5": rng.permutation(f5),
                                   "F7": rng.permutation(f7)}))
    df = pd.concat(parts, ignore_index=True)
    df = df.sample(frac=1, random_state=seed).reset_index(drop=True)
    n = len(df)
    df.insert(0, "case_id", [f"FB-{k + 1:03d}" for k in range(n)])
    df.insert(2, "kon", np.where(np.arange(n) % 2 == 0, "Flicka", "Pojke"))
    df.insert(3, "alder", (np.arange(n) * 5) % 13)
    return df


def a2_cases() -> pd.DataFrame:
    """Return the 36 open-care cases of A2 (12 per unit, 18 girls and 18 boys), O4, O6 and O15.

    Rows are aligned as the report implies: a missing plan in O6 is a "Nej" in
    O4, and the children under four are the same in O6 and O15 (aged 0–3).
    """
    rows = []
    for i, unit in enumerate(A2_UNITS):
        missing, under4 = TABLE_4["Genomförandeplan saknas"][i], TABLE_4["Barnet under fyra år"][i]
        assert missing == TABLE_3["Nej"][i] and under4 == TABLE_5["Barnet under fyra år"][i]
        o6 = (["Genomförandeplan saknas"] * missing + ["Barnet under fyra år"] * under4
              + [c for c in _column(TABLE_4, i) if c not in ("Genomförandeplan saknas", "Barnet under fyra år")])
        o4 = ["Nej"] * missing + ["Ja"] * (12 - missing)
        rest5 = [c for c in _column(TABLE_5, i) if c != "Barnet under fyra år"]
        o15 = rest5[:missing] + ["Barnet under fyra år"] * under4 + rest5[missing:]
        for k in range(12):
            young = missing <= k < missing + under4
            rows.append({"case_id": f"OV-{i + 1}{k + 1:02d}", "enhet": unit,
                         "kon": "Flicka" if k % 2 == 0 else "Pojke",
                         "alder": (k % 4) if young else 4 + (k * 3) % 9,
                         "O4": o4[k], "O6": o6[k], "O15": o15[k]})
    return pd.DataFrame(rows)


def expected_layout(table: dict[str, list[int]], strata: list[str], total: str) -> list[list[int]]:
    """Return the published table as rows of counts with the total column and row."""
    body = [counts + [sum(counts)] for counts in table.values()]
    totals = [sum(col) for col in zip(*body, strict=True)]
    return body + [totals]
