"""Bundled synthetic example data: a case export of pre-assessments for the 11 districts.

The export is synthetic (no real cases, no personnummer) and regenerated
byte for byte by :func:`make_export` from a fixed seed, so the committed file
can always be checked.  It looks like what a case system gives: ``;``
separators, Windows-1252, one row per pre-assessment (förhandsbedömning)
received in 2023 and early 2024, children 0–17, with and without an
investigation opened.

The demo (:mod:`granskning.demo.run`) draws the spring-2024 sample from this file
and simulates answers that reproduce the published tables; the answers must
agree with the frame, so the frame is made to fit them:

* Days from report to decision: most decisions within the 14 days of 11 kap.
  1 a § SoL, Hägersten-Älvsjö more often late (SEED-000, DOMAIN.md).  The
  demo's answer to F4 (within 14 days) and F4_dagar are these dates.
* Age: the published Table 2 has, per district, a fixed number of "Barnet kan
  inte" (which covers every child under four, DOMAIN.md §5).  Children under
  four are rarer among the pre-assessments 0–12 here than in an even spread,
  and where the protocol's draw would still give a district more children
  under four than its published "Barnet kan inte", the excess drawn children
  are given an age of 4–12 (:func:`_fit_to_published_tables`).  Neither
  change moves a case in or out of the population (``alder <= 12``), so the
  draw itself is the same.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from granskning import resources
from granskning.audit import protocol, protocol_run
from granskning.demo.published import DISTRICTS as DISTRICTS  # re-export
from granskning.demo.published import TABLE_F7
from granskning.files import atomic_write, make_directory

# Pre-assessments per district over the period (synthetic, in proportion to size).
SIZES = (520, 760, 470, 820, 560, 980, 430, 690, 450, 540, 610)
EXPORT = resources.ROOT / "forhandsbedomningar_2023_2024.csv"
SEED = 20240301
FILTER = "beslut == 'Ingen utredning inleds' and alder <= 12"


def export_path() -> Path:
    """Return the path of the bundled example export."""
    return EXPORT


# Weights of the ages 0–12 among the children 12 and younger (fewer of the youngest).
AGE_WEIGHTS = (0.35, 0.35, 0.35, 0.35) + (1.0,) * 9
# Share of decisions within 14 days; Hägersten-Älvsjö stood out as more often late (SEED-000).
WITHIN_14 = {"Hägersten-Älvsjö": 0.55}
WITHIN_14_DEFAULT = 0.82
# The protocol whose draw the demo answers (its sample must fit the published tables).
DEMO_PROTOCOL = "forhandsbedomningar-2024"


def make_export(path: Path = EXPORT, seed: int = SEED) -> Path:
    """Write the synthetic export (deterministic: the same bytes every time)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    # A second generator for the details (age within 0–12, days to decision), so that the
    # first one alone decides who is in the population and the draw stays the same.
    detail = np.random.default_rng([seed, 1])
    p_age = np.asarray(AGE_WEIGHTS) / sum(AGE_WEIGHTS)
    start = dt.date(2023, 1, 1)
    rows: list[dict[str, object]] = []
    serial = 0
    for d_index, (district, size) in enumerate(zip(DISTRICTS, SIZES, strict=True)):
        within = WITHIN_14.get(district, WITHIN_14_DEFAULT)
        for _ in range(size):
            serial += 1
            received = start + dt.timedelta(days=int(rng.integers(0, 455)))
            rng.integers(1, 22)  # the days of an earlier version; drawn so the stream stays the same
            decision = "Ingen utredning inleds" if rng.random() < 0.66 else "Utredning inleds"
            age = int(rng.integers(0, 18))
            if age <= 12:
                age = int(detail.choice(13, p=p_age))
            sex = "flicka" if rng.random() < 0.49 else "pojke"
            worker = f"Handläggare {d_index + 1:02d}-{int(rng.integers(1, 9))}"
            days = int(detail.integers(1, 15)) if detail.random() < within else int(detail.integers(15, 36))
            rows.append({"arende_id": f"FB-{received.year}-{serial:05d}", "stadsdel": district,
                         "inkom_datum": received, "beslut_datum": received + dt.timedelta(days=days),
                         "beslut": decision, "alder": age, "kon": sex, "handlaggare": worker})
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    _fit_to_published_tables(rows, detail)

    make_directory(path.parent)
    data = _text(rows).encode("cp1252")
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return path


def _text(rows: list[dict[str, object]]) -> str:
    head = "arende_id;stadsdel;inkom_datum;beslut_datum;beslut;alder;kon;handlaggare"
    lines = [head] + [
        f"{r['arende_id']};{r['stadsdel']};{r['inkom_datum']};{r['beslut_datum']};{r['beslut']};"
        f"{r['alder']};{r['kon']};{r['handlaggare']}" for r in rows
    ]
    return "\r\n".join(lines) + "\r\n"


def _fit_to_published_tables(rows: list[dict[str, object]], rng) -> None:
    """Give drawn children under four beyond a district's published "Barnet kan inte" an age of 4–12.

    The demo answers F7 "Barnet kan inte" for every child under four (the
    category covers them, DOMAIN.md §5), and Table 2 fixes how many there are
    per district; so the protocol's sample may not hold more children under
    four in a district than that.  Ages stay within 0–12: the population and
    the draw do not change.
    """
    import tempfile


    with tempfile.TemporaryDirectory() as tmp:
        ram = Path(tmp) / "ram.csv"
        ram.write_bytes(_text(rows).encode("cp1252"))
        drawn = protocol_run.draw(protocol.load(DEMO_PROTOCOL), ram)
    by_id = {r["arende_id"]: r for r in rows}
    sample = drawn.sample.cases.sort_values("Dragordning")
    for j, district in enumerate(DISTRICTS):
        ids = sample.loc[sample["stadsdel"] == district, "arende_id"]
        young = [by_id[i] for i in ids if int(by_id[i]["alder"]) < 4]  # type: ignore[call-overload]
        for r in young[TABLE_F7["Barnet kan inte"][j]:]:
            r["alder"] = int(rng.integers(4, 13))


if __name__ == "__main__":  # pragma: no cover - regenerates the bundled file
    print(make_export())
