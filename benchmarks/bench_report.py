"""Benchmark: `granskning rapport` as a whole process, for the demo audit and a 290-stratum audit.

(a) The demo audit: the spring-2024 pre-assessment audit (11 districts × 26,
    answers that reproduce the published tables), PDF and XLSX in one run.
(b) A national audit: 290 strata (municipalities) × 12 cases = 3 480 cases with
    random valid answers to the pre-assessment checklist (skip conditions and
    motivations respected), PDF and XLSX in one run.  The likställighet tables
    turn (strata as rows) and break across pages.

Printed: the median wall time of several runs and the number of PDF pages.

Run: ``.venv/bin/python benchmarks/bench_report.py`` (part of ``make bench``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).parent / "granskning")
REPEAT = 3
STRATA, PER_STRATUM = 290, 12


def random_answers(checklist, rng: np.random.Generator) -> dict:
    """Return a complete, valid set of answers: every shown question, motivations where required."""
    from granskning.checklist.model import motivation_key

    answers: dict = {}
    while (q := checklist.next_unanswered(answers)) is not None:
        if q.type in ("janej", "enval"):
            choices = list(q.choices) or ["Ja", "Nej"]
            value = choices[int(rng.integers(0, len(choices)))]
        elif q.type == "flerval":
            value = [q.choices[int(rng.integers(0, len(q.choices)))]]
        elif q.type == "tal":
            value = int(rng.integers(int(q.minimum or 0), int(q.maximum or 30) + 1))
        elif q.type == "datum":
            value = "2024-03-01"
        else:
            value = "Anteckning"
        answers[q.id] = value
        if q.needs_motivation(value):
            answers[motivation_key(q.id)] = "Motivering"
    return answers


def national_audit(directory: Path) -> str:
    """Create the 290-stratum audit in a SQLite database; return its URL."""
    from granskning.audit import protocol_run
    from granskning.audit.protocol import loads
    from granskning.checklist import load
    from granskning.demo import answers as demo_answers
    from granskning.store.database import Store

    rng = np.random.default_rng(290)
    frame = directory / "nationell.csv"
    lines = ["arende_id;kommun;alder;kon;handlaggare"]
    k = 0
    for m in range(STRATA):
        for _ in range(int(rng.integers(30, 400))):
            k += 1
            lines.append(f"N-{k:07d};Kommun {m + 1:03d};{int(rng.integers(0, 13))};"
                         f"{'flicka' if rng.random() < 0.5 else 'pojke'};H{int(rng.integers(1, 9))}")
    frame.write_text("\n".join(lines) + "\n", encoding="utf-8")
    protocol = loads(f"""
titel: Nationell granskning av förhandsbedömningar (benchmark)
checklista: forhandsbedomning-0-12
ram: {{id: arende_id, strata: kommun, kon: kon, alder: alder, handlaggare: handlaggare,
       kolumner: [kon, alder, handlaggare]}}
urval: {{per_stratum: {PER_STRATUM}, seed: 1}}
analys: {{tabeller: [F5, F7, F13, F17]}}
rapport: {{utgivare: Benchmark}}
""", source=directory / "nationell.yaml")
    chk = load("forhandsbedomning-0-12")
    url = f"sqlite:///{directory / 'nationell.db'}"
    with Store.open(url, create=True) as store:
        store.init()
        aid, _ = protocol_run.create_from_protocol(store, protocol, frame, created_by="bench")
        cases = store.cases_frame(aid)
        ids = cases.loc[~cases["reserve"], "case_id"].tolist()
        answers = {c: random_answers(chk, rng) for c in ids}
        store.set_answers(aid, list(demo_answers.changes(answers)), who="bench")
    return url


def demo_audit(directory: Path) -> str:
    """Create the demo audit (the same steps as granskning demo) in a SQLite database; return its URL."""
    from granskning.audit import protocol_run
    from granskning.demo import answers as demo_answers
    from granskning.demo import run as demo
    from granskning.demo.exempel import export_path
    from granskning.store.database import Store

    url = f"sqlite:///{directory / 'demo.db'}"
    with Store.open(url, create=True) as store:
        store.init()
        aid, _ = protocol_run.create_from_protocol(store, demo.PROTOCOL, export_path(), created_by="bench")
        cases = store.cases_frame(aid)
        answers = demo_answers.preassessment_answers(
            demo_answers.with_frame(cases[~cases["reserve"]], export_path()))
        store.set_answers(aid, list(demo_answers.changes(answers)), who="bench")
    return url


def time_report(url: str, directory: Path, label: str, extra: list[str]) -> None:
    import pypdf

    times = []
    for i in range(REPEAT):
        pdf, xlsx = directory / f"{label}-{i}.pdf", directory / f"{label}-{i}.xlsx"
        cmd = [EXE, "rapport", "--granskning", "1", "--ut", str(pdf), "--ut", str(xlsx), "--db", url, *extra]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"misslyckades: {' '.join(cmd)}\n{proc.stderr}")
    pages = len(pypdf.PdfReader(pdf).pages)
    print(f"  {label:<44} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, "
          f"{REPEAT} körningar), {pages} sidor PDF, {xlsx.stat().st_size // 1024} kB XLSX")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        print("Rapport: granskning rapport --ut rapport.pdf --ut tabeller.xlsx (hela processen)")
        time_report(demo_audit(d), d, "demogranskningen (11 strata, 286 ärenden)",
                    ["--analys-text", str(ROOT / "granskning" / "data" / "reports" / "exempel-analys-forhandsbedomningar.md")])
        t0 = time.perf_counter()
        url = national_audit(d)
        print(f"  (290-stratumgranskningen skapad på {time.perf_counter() - t0:.1f} s)")
        time_report(url, d, f"{STRATA} strata × {PER_STRATUM} ({STRATA * PER_STRATUM} ärenden)", [])


if __name__ == "__main__":
    main()
