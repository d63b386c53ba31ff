"""`granskning demo`: the main job end to end on the bundled example data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from granskning.exempel import export_path

PROTOCOL = Path(__file__).resolve().parent.parent / "protocols" / "forhandsbedomningar-2024.yaml"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Where the demo wrote its files and the key figures it printed."""

    sample_path: Path
    n: int
    margin: float
    verified: bool


def run(out_dir: Path, *, say: Callable[[str], None] = print) -> DemoResult:
    """Draw the spring-2024 sample (26 × 11) from the bundled export and write the workbook."""
    from granskning import samplebook, sampling
    from granskning.frame import read_frame
    from granskning.precision import margin_of_error
    from granskning.protocol import load_sampling_settings

    out_dir.mkdir(parents=True, exist_ok=True)
    settings = load_sampling_settings(PROTOCOL)
    design = sampling.Design(
        id_column=settings["id"],
        strata_column=settings["strata"],
        seed=settings["seed"],
        per_stratum=settings["per_stratum"],
        reserves=settings.get("reserver", 0),
        filter=settings.get("filter"),
        keep=tuple(settings.get("kolumner", ())),
    )
    ram = export_path()
    say(f"1. Läser ärendeförteckningen {ram.name} (syntetiska exempeldata, 11 stadsdelar).")
    frame = read_frame(
        ram,
        id_column=design.id_column,
        strata_column=design.strata_column,
        keep=design.keep,
        filter=design.filter,
        seed=design.seed,
        candidates=design.candidates_needed(),
    )
    say(f"2. Drar urvalet: {design.per_stratum} ärenden per stadsdel, seed {design.seed}.")
    sample = sampling.draw_sample(
        frame, design, command=["granskning", "urval", ram.name, "--protokoll", PROTOCOL.name]
    )
    path = out_dir / "urval.xlsx"
    samplebook.write_sample(sample, path)
    say("")
    say(samplebook.summary_text(sample))
    moe = margin_of_error(sample.n)
    from granskning.fmt import procentenheter

    say("")
    say(
        f"Felmarginal för hela staden (n = {sample.n}, 95 % konfidens, andel 50 %): "
        f"±{procentenheter(moe.margin)}."
    )
    import pandas as pd

    from granskning.fmt import tal
    from granskning.precision import stratified_margin

    strat = stratified_margin(
        pd.DataFrame([{"stratum": s["stratum"], "N": s["N"], "n": s["n"]} for s in sample.record["strata"]])
    )
    say(
        f"Designvägd felmarginal (vikter N_h/n_h, med ändlighetskorrektion): "
        f"±{procentenheter(strat.margin)}, designeffekt {tal(strat.design_effect, 2)}."
    )
    per = margin_of_error(design.per_stratum or 1)
    say(f"Felmarginal för en stadsdel (n = {design.per_stratum}): ±{procentenheter(per.margin)}.")
    verified = sampling.verify(path, ram).identical
    say("")
    say(f"3. Kontroll: urvalet återskapas {'exakt' if verified else 'INTE'} ur ramen och protokollet.")
    say(f"Urvalsarbetsboken: {path}")
    return DemoResult(path, sample.n, moe.margin, verified)
