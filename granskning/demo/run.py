"""`granskning demo`: the main job end to end on the bundled example data.

1. Draw the spring-2024 sample (26 × 11) from the bundled export and write the
   sample workbook, with the margins of error and a verification.
2. Create the audit from the protocol in a SQLite database inside the output
   directory (the same draw, checked by its fingerprint).
3. Store simulated answers that reproduce the published Tables 1 and 2
   (:mod:`granskning.demo.answers`).
4. Analyse and write ``granskningsrapport.pdf`` and ``tabeller.xlsx``.
5. An internal-control day at a foster-care unit: draw the files for the
   controls from a synthetic placement list, simulated answers and survey,
   and write ``internkontroll.pdf`` and ``internkontroll.xlsx``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from granskning import resources
from granskning.audit import protocol_run, pseudonym
from granskning.checklist import load
from granskning.demo import answers as demo_answers
from granskning.demo.exempel import export_path
from granskning.files import make_directory
from granskning.fmt import procentenheter, tal
from granskning.plan.files import run_of
from granskning.report import granskningsrapport as report
from granskning.report import internkontroll as report_ik
from granskning.sampling import design as sampling
from granskning.sampling import samplebook
from granskning.sampling.precision import margin_of_error, stratified_margin
from granskning.sampling.timelimits import sentence_of
from granskning.store.database import Store
from granskning.wording import antal

DATA = resources.ROOT
PROTOCOL = DATA / "protocols" / "forhandsbedomningar-2024.yaml"
IK_PROTOCOL = DATA / "protocols" / "internkontroll-familjehem-2025.yaml"
PLAN = "ikp-familjehem"  # the bundled internal-control plan the control day is a run of
ANALYSIS_TEXT = DATA / "reports" / "exempel-analys-forhandsbedomningar.md"
SUBTITLE = "Demonstration på syntetiska exempeldata"
# Deviations per control question in the simulated internal control (a mix of statuses).
IK_DEVIATIONS = {"E1_enskilt": 1, "E3": 4, "E4": 3, "E5": 5}
# The participation survey: Ja per sub-goal among 50 closed investigations, in proportion to
# SEED-000's 74 %, 78 % and 56 %.
SURVEY_N = 50
SURVEY_YES = {"D1": 37, "D2": 39, "D3": 28}


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Where the demo wrote its files and the key figures it printed."""

    sample_path: Path
    n: int
    margin: float
    verified: bool
    database: Path | None = None
    audit_id: int | None = None
    report_path: Path | None = None
    tables_path: Path | None = None
    ik_report_path: Path | None = None
    ik_tables_path: Path | None = None
    ik_audit_id: int | None = None
    survey_id: int | None = None
    fingerprint: str | None = None


def draw_sample(store, key: bytes, out_dir: Path, say: Callable[[str], None]):
    """Step 1: create the audit from the protocol (one draw) and write its sample workbook.

    Returns (workbook path, the protocol draw, audit id, whether the workbook re-derives).
    """
    import pandas as pd

    ram = export_path()
    say(f"1. Drar urvalet ur {ram.name} (syntetiska exempeldata, 11 stadsdelar) enligt protokollet "
        f"{PROTOCOL.name} och skapar granskningen i databasen.")
    audit_id, drawn = protocol_run.create_from_protocol(store, PROTOCOL, ram, created_by="demo", key=key)
    sample = drawn.sample
    path = out_dir / "urval.xlsx"
    samplebook.write_sample(sample, path)
    say("")
    say(samplebook.summary_text(sample))
    moe = margin_of_error(sample.n)
    say("")
    say(
        f"Felmarginal för hela staden (n = {sample.n}, 95 % konfidens, andel 50 %): "
        f"±{procentenheter(moe.margin)}."
    )
    strat = stratified_margin(
        pd.DataFrame([{"stratum": s["stratum"], "N": s["N"], "n": s["n"]} for s in sample.record["strata"]])
    )
    say(
        f"Designvägd felmarginal (vikter N_h/n_h, med ändlighetskorrektion): "
        f"±{procentenheter(strat.margin)}, designeffekt {tal(strat.design_effect, 2)}."
    )
    per_district = sample.design.per_stratum or 1
    per = margin_of_error(per_district)
    say(f"Felmarginal för en stadsdel (n = {per_district}): ±{procentenheter(per.margin)}.")
    for limit in sample.record.get("tidsgranser", []):
        say(f"   Registret ({limit.get('namn') or 'tidsgräns'}): {sentence_of(limit)}")
    verified = sampling.verify(path, ram).identical
    say(f"   Kontroll: urvalet återskapas {'exakt' if verified else 'INTE'} ur ramen och protokollet.")
    say(f"   Granskning {audit_id}: {antal(sample.n, 'ärende')}, urvalets fingeravtryck "
        f"{protocol_run.show_fingerprint(drawn.fingerprint)}. Urvalsarbetsboken: {path}")
    return path, drawn, audit_id, verified


def placement_list(path: Path, n: int = 96, seed: int = 20250401) -> Path:
    """Write a synthetic placement list of a foster-care unit (no real children, no personnummer)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lines = ["placering_id;placeringsform;startdatum;avslutad;kon;alder;handlaggare"]
    forms = ["Familjehem"] * 7 + ["Jourhem"] * 2 + ["Stödboende"]
    for i in range(1, n + 1):
        form = forms[int(rng.integers(0, len(forms)))]
        start = f"20{int(rng.integers(18, 25))}-{int(rng.integers(1, 13)):02d}-01"
        ended = "2024-12-31" if rng.random() < 0.12 else ""
        sex = "flicka" if rng.random() < 0.5 else "pojke"
        lines.append(f"PL-{i:04d};{form};{start};{ended};{sex};{int(rng.integers(1, 18))};"
                     f"Familjehemssekreterare {int(rng.integers(1, 7))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _timed(say: Callable[[str], None], text: str):
    class Step:
        def __enter__(self):
            self.t = time.perf_counter()
            say(text)
            return self

        def __exit__(self, *exc):
            if exc[0] is None:
                say(f"   klart på {time.perf_counter() - self.t:.1f} s".replace(".", ","))

    return Step()


def run(out_dir: Path, *, say: Callable[[str], None] = print) -> DemoResult:
    """Run the whole chain on the bundled example data and write every file into ``out_dir``."""

    make_directory(out_dir)
    db = out_dir / "granskning.db"
    for old in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        old.unlink(missing_ok=True)

    key = pseudonym.key_file(out_dir / "nyckel", create=True)  # the demo's own key, 0600
    with Store.open(f"sqlite:///{db}", create=True) as store:
        store.init()
        sample_path, drawn, audit_id, verified = draw_sample(store, key, out_dir, say)
        say("")
        with _timed(say, "2. Sparar simulerade svar (tabell 1 och 2 i årsrapporten 2024 återskapas exakt)."):
            cases = store.cases_frame(audit_id)
            cases = cases[~cases["reserve"]]
            # The frame's own dates decide F4 (within 14 days): the answers agree with their frame.
            answers = demo_answers.preassessment_answers(demo_answers.with_frame(cases, export_path(), key))
            demo_answers.check(answers, load("forhandsbedomning-0-12"),
                               ages=dict(zip(cases["case_id"], cases["age"], strict=True)))
            store.set_answers(audit_id, list(demo_answers.changes(answers)), who="demo")
        with _timed(say, "3. Analyserar och skriver granskningsrapporten och tabellerna."):
            doc = report.build(store, audit_id, report.ReportOptions(analysis_text=ANALYSIS_TEXT,
                                                                     subtitle=SUBTITLE))
            pdf = report.write(doc, out_dir / "granskningsrapport.pdf")
            xlsx = report.write(doc, out_dir / "tabeller.xlsx")
        with _timed(say, "4. Internkontrolldag i familjehemsenheten: kontroller och enkät."):
            placements = placement_list(out_dir / "placeringar.csv")
            ik_id, ik_draw = protocol_run.create_from_protocol(store, IK_PROTOCOL, placements,
                                                               created_by="demo", key=key,
                                                               plan_run=run_of(PLAN, "IKD"))
            plans = ", ".join(f"{k} {antal(v.n, 'akt')}" for k, v in ik_draw.controls.items())
            say(f"   Granskning {ik_id}: {antal(ik_draw.sample.n, 'akt')} {'dragen' if ik_draw.sample.n == 1 else 'dragna'} ur "
                f"{ik_draw.sample.record['N_totalt']} placeringar ({plans}).")
            ik_cases = store.cases_frame(ik_id)
            ik_cases = ik_cases[~ik_cases["reserve"]]
            ik_answers = demo_answers.control_answers(ik_cases, IK_DEVIATIONS)
            demo_answers.check(ik_answers, load("egenkontroll-sosfs-2012-11"),
                               ages=dict(zip(ik_cases["case_id"], ik_cases["age"], strict=True)))
            store.set_answers(ik_id, list(demo_answers.changes(ik_answers)), who="demo")
            survey_id = _survey(store)
            say(f"   Granskning {ik_id} och enkäten (granskning {survey_id}) genomför kontrollerna IKD "
                f"och ENK i internkontrollplanen {PLAN}; årets kalender: granskning plan {PLAN} "
                f"--db {db}")
            ik_doc, summary = report_ik.build(store, ik_id, survey_id=survey_id, subtitle=SUBTITLE)
            ik_pdf = report.write(ik_doc, out_dir / "internkontroll.pdf")
            ik_xlsx = report.write(ik_doc, out_dir / "internkontroll.xlsx")
    say("")
    say(summary.text())
    say("")
    say("Filerna finns här:")
    for label, path in (("Granskningsrapport", pdf), ("Tabeller", xlsx), ("Internkontroll", ik_pdf),
                        ("Internkontrollens tabeller", ik_xlsx), ("Urvalsarbetsbok", sample_path),
                        ("Databas", db)):
        say(f"  {label + ':':<28} {path}")
    return DemoResult(sample_path, drawn.sample.n, margin_of_error(drawn.sample.n).margin, verified, db, audit_id, pdf, xlsx, ik_pdf, ik_xlsx, ik_id,
                      survey_id, drawn.fingerprint)


def _survey(store) -> int:
    """Create the participation survey (one form per closed investigation) with simulated answers."""
    import pandas as pd

    chk = load("delaktighetsenkat")
    survey_id = store.create_audit(
        title="Delaktighetsenkät efter avslutad utredning, våren 2025", kind="internkontroll",
        checklist_id=chk.id, checklist_version=chk.version, checklist_sha256=chk.sha256,
        protocol_text=None, sample_record=None, created_by="demo", plan_run=run_of(PLAN, "ENK"))
    ids = [f"ENK-{i:03d}" for i in range(1, SURVEY_N + 1)]
    store.add_cases(survey_id, [{"case_id": c, "draw_order": i} for i, c in enumerate(ids, start=1)],
                    who="demo")
    frame = pd.DataFrame({"case_id": ids, "draw_order": range(1, SURVEY_N + 1)})
    answers = demo_answers.survey_answers(frame, SURVEY_YES)
    demo_answers.check(answers, chk)
    store.set_answers(survey_id, list(demo_answers.changes(answers)), who="demo")
    return survey_id
