"""Reviewer processes for the concurrency and fault tests (and benchmarks/bench_concurrency.py).

Run as a script, one process per reviewer::

    python tests/concurrency_driver.py answer --db URL --granskning 1 --checklista FIL \\
        [--granskare NAMN] --start FIL

waits until the file ``--start`` exists (so that all processes start together),
then answers every open case assigned to the connected reviewer through
:class:`granskning.answers.session.Session`, non-interactively, passing the version it
read as ``expected_version`` like the prompts do, marks each case as reviewed and
prints one JSON line: answers written, conflicts met, cases finished, seconds.

``edit`` mode reads one answer, waits for a second start file, and writes its own
value with the version it read: of two such processes exactly one may win.
``endless`` mode writes answers in a loop and prints ``OK case key version`` after
each one is committed (what a reviewer is told); the fault test kills it.

The orchestration used by the tests and the benchmark is :func:`run_reviewers`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES = "granskning-concurrency.json"

CHECKLIST = """\
id: samtidighet
titel: Samtidighetstest
version: "1"
slag: granskning
omraden:
  - id: a
    titel: Område A
    fragor:
      - id: Q1
        text: Har barnet kommit till tals?
        typ: janej
        hinder: [Barnet kan inte]
      - id: Q2
        text: Finns en motivering till att barnet inte hördes?
        typ: janej
        visas_om: Q1 == 'Nej'
      - id: Q3
        text: Samtalets kvalitet
        typ: enval
        val: [God, Bristfällig]
        motivering_kravs: [Bristfällig]
      - id: Q4
        text: Orsaker
        typ: flerval
        val: [X, Y, Z]
  - id: b
    titel: Område B
    fragor:
      - id: Q5
        text: Antal dagar
        typ: tal
        min: 0
        max: 365
      - id: Q6
        text: Beslutsdatum
        typ: datum
      - id: Q7
        text: Anteckningar
        typ: fritext
"""


def choose(step: Any, case_id: str, round_: int = 0) -> Any:
    """Return the deterministic answer the driver gives to a step."""
    q = step.question
    if step.motivation:
        return f"Motivering {round_}"
    if q.type == "janej":
        return "Nej" if q.id == "Q1" else "Ja"
    if q.type == "enval":
        return q.choices[-1] if round_ % 2 == 0 else q.choices[0]
    if q.type == "flerval":
        return [q.choices[round_ % len(q.choices)]]
    if q.type == "tal":
        return str((len(case_id) + round_) % 365)
    if q.type == "datum":
        return "2025-03-01"
    return f"Anteckning {round_} om {case_id}"


def expected_keys(checklist: Any) -> list[str]:
    """Return the answer keys one case gets from :func:`choose` (in the order asked)."""
    from granskning.answers.session import Session

    s = Session.__new__(Session)
    s.checklist = checklist
    answers: dict[str, Any] = {}
    after = None
    while (step := s.next_step(answers, after=after)) is not None:
        answers[step.key] = s.normalise(step.key, choose(step, "x"))
        after = step.question.id
    return list(answers)


def _wait_for(path: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit(f"startfilen {path} kom aldrig")
        time.sleep(0.01)


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from granskning.answers.session import Session
    from granskning.store import identity
    from granskning.store.database import Store

    store = Store.open(args.db)
    reviewer = identity.current(store, args.granskare)
    return store, Session.open(store, args.granskning, reviewer, checklist=args.checklista)


def answer(args: argparse.Namespace) -> dict[str, Any]:
    """Answer every open case of this reviewer; return the counts."""
    from granskning.store.database import ConflictError

    store, session = _open(args)
    _wait_for(args.start)
    start = time.perf_counter()
    written = conflicts = finished = 0
    for case in session.open_cases():
        after = None
        while True:
            snap = session.read(case.case_id)
            step = session.next_step(snap.values, after=after)
            if step is None:
                break
            try:
                session.record(case.case_id, step.key, choose(step, case.case_id),
                               expected_version=snap.version(step.key))
            except ConflictError:
                conflicts += 1
                continue  # read again and decide again
            written += 1
            after = step.question.id
        session.finish(case.case_id)
        finished += 1
    store.close()
    return {"granskare": session.reviewer, "skrivna_svar": written, "konflikter": conflicts,
            "klara_ärenden": finished, "sekunder": time.perf_counter() - start}


def edit(args: argparse.Namespace) -> dict[str, Any]:
    """Read one answer, wait for the other process, then write it with the version read."""
    from granskning.store.database import ConflictError

    store, session = _open(args)
    snap = session.read(args.arende)
    Path(args.ready).touch()
    _wait_for(args.start)
    try:
        done = session.record(args.arende, args.fraga, args.varde,
                              expected_version=snap.version(args.fraga))
        out = {"utfall": "sparat", "version": done.version}
    except ConflictError as exc:
        # What the prompts show the reviewer, who here keeps the other answer.
        out = {"utfall": "konflikt", "deras_svar": exc.current_value,
               "ändrat_av": exc.changed_by, "version": exc.current_version,
               "text": session.conflict_text(exc, args.varde)}
    store.close()
    return {"granskare": session.reviewer, "läst_version": snap.version(args.fraga), **out}


def endless(args: argparse.Namespace) -> None:
    """Write answers in a loop, printing each one as soon as it is committed."""
    store, session = _open(args)
    cases = [c.case_id for c in session.cases()]
    round_ = 0
    while True:
        round_ += 1
        for case_id in cases:
            snap = session.read(case_id)
            for step in _all_steps(session):
                value = choose(step, case_id, round_)
                try:
                    done = session.record(case_id, step.key, value,
                                          expected_version=snap.version(step.key))
                except Exception:  # noqa: BLE001 - hidden after a change: skip it
                    snap = session.read(case_id)
                    continue
                print(f"OK {case_id} {step.key} {done.version}", flush=True)
                snap = session.read(case_id)


def _all_steps(session: Any) -> list[Any]:
    from granskning.answers.session import Step

    steps = []
    for q in session.checklist.questions:
        steps.append(Step(q))
        if q.motivation_required:
            steps.append(Step(q, motivation=True))
    return steps


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["answer", "edit", "endless"])
    p.add_argument("--db", required=True)
    p.add_argument("--granskning", type=int, required=True)
    p.add_argument("--checklista", required=True)
    p.add_argument("--granskare")
    p.add_argument("--start")
    p.add_argument("--ready")
    p.add_argument("--arende")
    p.add_argument("--fraga")
    p.add_argument("--varde")
    args = p.parse_args(argv)
    if args.mode == "endless":
        endless(args)
        return
    result = answer(args) if args.mode == "answer" else edit(args)
    print(json.dumps(result, ensure_ascii=False), flush=True)


# -- orchestration (in the parent) ---------------------------------------------------------


def spawn(mode: str, db: str, audit: int, checklist: Path, *, reviewer: str | None = None,
          **extra: str) -> subprocess.Popen:
    """Start one driver process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), mode, "--db", db, "--granskning",
           str(audit), "--checklista", str(checklist)]
    if reviewer is not None:
        cmd += ["--granskare", reviewer]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


def run_reviewers(jobs: list[tuple[str, str | None]], audit: int, checklist: Path, tmp: Path,
                  timeout: float = 600) -> tuple[list[dict[str, Any]], float]:
    """Run one ``answer`` process per (db URL, --granskare) at once; return results, seconds."""
    start = tmp / "start"
    procs = [spawn("answer", url, audit, checklist, reviewer=who, start=str(start))
             for url, who in jobs]
    time.sleep(0.2)
    t0 = time.perf_counter()
    start.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"granskarprocessen misslyckades ({proc.returncode}):\n{err}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results, time.perf_counter() - t0


def save_figures(section: str, figures: dict[str, Any]) -> Path:
    """Merge ``figures`` into the JSON file of concurrency figures in the temp directory."""
    import tempfile

    path = Path(tempfile.gettempdir()) / FIGURES
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    doc[section] = figures
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
