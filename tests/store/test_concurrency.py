"""Many reviewers at once, two reviewers on one answer, and a reviewer killed mid-write.

* 20 reviewer processes (real PostgreSQL login roles, row-level security on)
  answer their assigned cases at the same time; 4 on SQLite.  Afterwards the
  database holds every answer exactly once, each with one history row, signed by
  the reviewer it was assigned to, and every case is marked as reviewed.
* Two processes that read the same answer and then both write it: exactly one
  wins, the other gets a ConflictError naming the winner and their value; the
  prompts show it and let the reviewer choose (driven here through questionary).
* The Excel import refuses answers changed since the export.
* A process writing answers continuously is killed with SIGKILL; every answer it
  reported as saved is in the database, and every answer row has exactly as
  many history rows as its version (no half-written transaction).

The expected counts are the checklist's answer keys times the cases (from the
driver's deterministic answers); no figure comes from the code under test.  The
figures (reviewers, answers written and found, conflicts, seconds) are written
to ``$TMPDIR/granskning-concurrency.json``; ``benchmarks/bench_concurrency.py``
prints them.
"""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from concurrency_driver import (
    CHECKLIST,
    expected_keys,
    run_reviewers,
    save_figures,
    spawn,
)
from conftest import pg_server_url
from pg_roles import role_database

from granskning.checklist import loads
from granskning.store.database import ConflictError, Store

CASES_PER_REVIEWER = 3


def checklist_file(tmp_path: Path) -> Path:
    path = tmp_path / "samtidighet.yaml"
    path.write_text(CHECKLIST, encoding="utf-8")
    return path


def make_audit(store: Store, reviewers: list[str], per: int = CASES_PER_REVIEWER) -> int:
    chk = loads(CHECKLIST)
    audit = store.create_audit("Samtidighet", "granskning", chk.id, chk.version, chk.sha256,
                               None, {}, "samordnare")
    ids = [f"S-{r:02d}-{i}" for r in range(len(reviewers)) for i in range(per)]
    store.add_cases(audit, [{"case_id": c, "stratum": c[:4], "draw_order": int(c[-1]) + 1}
                            for c in ids], who="samordnare")
    store.assign(audit, {c: reviewers[int(c[2:4])] for c in ids}, who="samordnare")
    return audit


def check_database(url: str, audit: int, reviewers: list[str], keys: list[str]) -> dict:
    """Return what the database holds after the run, asserting it is complete and exact."""
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg")
                              if url.startswith("postgresql") else f"sqlite:///{url}")
    with engine.connect() as conn:
        answers = conn.exec_driver_sql(
            "SELECT a.case_id, a.question_id, a.version, a.changed_by, s.reviewer, s.status "
            "FROM answers a JOIN assignments s ON s.audit_id = a.audit_id "
            "AND s.case_id = a.case_id WHERE a.audit_id = %s AND a.value IS NOT NULL"
            .replace("%s", str(audit))).all()
        history = conn.exec_driver_sql(
            "SELECT case_id, question_id, count(*) FROM answer_history "
            f"WHERE audit_id = {audit} GROUP BY case_id, question_id").all()
        done = conn.exec_driver_sql(
            f"SELECT count(*) FROM assignments WHERE audit_id = {audit} AND status = 'klar'"
        ).scalar_one()
        marked = conn.exec_driver_sql(
            f"SELECT count(*) FROM change_log WHERE audit_id = {audit} AND subject = 'status'"
        ).scalar_one()
    engine.dispose()
    n_cases = len(reviewers) * CASES_PER_REVIEWER
    assert len(answers) == n_cases * len(keys)
    assert {(a.case_id, a.question_id) for a in answers} == {
        (f"S-{r:02d}-{i}", k) for r in range(len(reviewers)) for i in range(CASES_PER_REVIEWER)
        for k in keys}
    assert all(a.version == 1 for a in answers)  # written once
    assert all(a.changed_by == a.reviewer for a in answers)  # by the reviewer it belongs to
    assert sorted(history) == sorted((a.case_id, a.question_id, 1) for a in answers)
    assert done == n_cases and marked == n_cases
    return {"svar_i_databasen": len(answers), "historikrader": sum(h[2] for h in history),
            "klara_ärenden": done}


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_reviewers_at_once_on_postgresql(tmp_path):
    n = 20
    people = {f"g{i:02d}": "granskare" for i in range(n)}
    keys = expected_keys(loads(CHECKLIST))
    with role_database(pg_server_url(), people) as rdb:
        names = [rdb.names[f"g{i:02d}"] for i in range(n)]
        with Store.open(rdb.admin_url) as admin:
            audit = make_audit(admin, names)
        jobs = [(rdb.url(f"g{i:02d}"), None) for i in range(n)]  # identity = database user
        results, seconds = run_reviewers(jobs, audit, checklist_file(tmp_path), tmp_path)
        found = check_database(rdb.admin_url, audit, names, keys)
    written = sum(r["skrivna_svar"] for r in results)
    assert sorted(r["granskare"] for r in results) == sorted(names)
    assert written == found["svar_i_databasen"] == n * CASES_PER_REVIEWER * len(keys)
    assert sum(r["konflikter"] for r in results) == 0  # disjoint cases: nobody collides
    save_figures("postgresql", {"granskare": n, "skrivna_svar": written, **found,
                                "konflikter": 0, "sekunder": round(seconds, 2)})


def test_four_reviewers_at_once_on_sqlite(tmp_path):
    n = 4
    names = [f"Granskare {i}" for i in range(n)]
    keys = expected_keys(loads(CHECKLIST))
    db = str(tmp_path / "g.db")
    with Store.open(db, create=True) as store:
        store.migrate()
        audit = make_audit(store, names)
    results, seconds = run_reviewers([(db, name) for name in names], audit,
                                     checklist_file(tmp_path), tmp_path)
    found = check_database(db, audit, names, keys)
    written = sum(r["skrivna_svar"] for r in results)
    assert written == found["svar_i_databasen"] == n * CASES_PER_REVIEWER * len(keys)
    save_figures("sqlite", {"granskare": n, "skrivna_svar": written, **found, "konflikter": 0,
                            "sekunder": round(seconds, 2)})


# -- two reviewers, one answer ---------------------------------------------------------


def two_editors(tmp_path: Path, url_a: str, url_b: str, who_a: str | None, who_b: str | None,
                audit: int) -> list[dict]:
    start = tmp_path / "go"
    chk = checklist_file(tmp_path)
    procs = []
    for url, who, value, ready in ((url_a, who_a, "Ja", "a"), (url_b, who_b, "Barnet kan inte",
                                                               "b")):
        procs.append(spawn("edit", url, audit, chk, reviewer=who, start=str(start),
                           ready=str(tmp_path / ready), arende="S-00-0", fraga="Q1",
                           varde=value))
    deadline = time.monotonic() + 60
    while not all((tmp_path / r).exists() for r in "ab"):  # both have read version 1
        assert time.monotonic() < deadline, [p.stderr.read() for p in procs if p.poll()]
        time.sleep(0.01)
    start.touch()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=60)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def check_one_winner(results: list[dict], history: list[tuple]) -> dict:
    won = [r for r in results if r["utfall"] == "sparat"]
    lost = [r for r in results if r["utfall"] == "konflikt"]
    assert len(won) == 1 and len(lost) == 1
    values = {"Ja", "Barnet kan inte"}
    assert won[0]["version"] == 2 and lost[0]["version"] == 2
    assert lost[0]["ändrat_av"] == won[0]["granskare"]
    assert lost[0]["deras_svar"] in values and lost[0]["läst_version"] == 1
    text = lost[0]["text"]
    assert text[0].startswith(f"{won[0]['granskare']} har ändrat svaret på Q1 ")
    assert text[0].endswith("efter att du läste det.")
    assert text[1] == f"Det sparade svaret: {lost[0]['deras_svar']}"
    assert text[2].startswith("Ditt svar:") and lost[0]["deras_svar"] not in text[2]
    # The history: the first answer and the winner's change, nothing of the loser's.
    assert [(h[0], h[1]) for h in history] == [("Nej", 1), (lost[0]["deras_svar"], 2)]
    return {"granskare": 2, "konflikter": 1}


@pytest.mark.postgres
def test_two_processes_change_one_answer_on_postgresql(tmp_path):
    with role_database(pg_server_url(), {"anna": "granskare", "sam": "samordnare"}) as rdb:
        with Store.open(rdb.admin_url) as admin:
            audit = make_audit(admin, [rdb.names["anna"]], per=1)
            admin.set_answer(audit, "S-00-0", "Q1", "Nej", who="admin")
        results = two_editors(tmp_path, rdb.url("anna"), rdb.url("sam"), None, None, audit)
        with Store.open(rdb.admin_url) as admin:
            history = [(r["new_value"], r["version"]) for r in
                       admin.history(audit).to_dict(orient="records")]
    figures = check_one_winner(results, history)
    save_figures("konflikt_postgresql", figures)


def test_two_processes_change_one_answer_on_sqlite(tmp_path):
    db = str(tmp_path / "g.db")
    with Store.open(db, create=True) as store:
        store.migrate()
        audit = make_audit(store, ["Anna"], per=1)
        store.set_answer(audit, "S-00-0", "Q1", "Nej", who="Anna")
    results = two_editors(tmp_path, db, db, "Anna", "Anna", audit)
    with Store.open(db) as store:
        history = [(r["new_value"], r["version"]) for r in
                   store.history(audit).to_dict(orient="records")]
    save_figures("konflikt_sqlite", check_one_winner(results, history))


def bo_writes_during_the_prompt(monkeypatch, store: Store, audit: int, value: str) -> None:
    """Make Bo answer Q1 right after Anna's session has read the case for its first question."""
    from granskning.answers.session import Session

    real = Session.read
    calls = {"n": 0}

    def read_then_bo_writes(self, case_id):
        snap = real(self, case_id)
        calls["n"] += 1
        if calls["n"] == 1:  # the read behind the Q1 prompt: Bo writes while it is open
            store.set_answer(audit, "S-00-0", "Q1", value, who="Bo")
        return snap

    monkeypatch.setattr(Session, "read", read_then_bo_writes)


def test_prompts_show_the_other_answer_and_let_the_reviewer_choose(store, monkeypatch):
    from session_driver import DOWN, ENTER, drive

    from granskning.answers.session import Session

    audit = make_audit(store, ["Anna"], per=1)
    anna = Session(store, store.audit(audit), loads(CHECKLIST), "Anna")
    bo_writes_during_the_prompt(monkeypatch, store, audit, "Barnet kan inte")
    # Pick the case, answer Q1 "Ja" (key j), then choose "Spara mitt svar" (Down, Enter).
    printed, screen, _error = drive(anna, ENTER + "j" + DOWN + ENTER)
    assert "Bo har ändrat svaret på Q1 " in printed and "efter att du läste det." in printed
    assert "Det sparade svaret: Barnet kan inte" in printed
    assert "Ditt svar: Ja" in printed
    assert "Vilket svar ska gälla?" in screen
    found = store.answer(audit, "S-00-0", "Q1")
    assert (found.value, found.version, found.changed_by) == ("Ja", 2, "Anna")
    assert list(store.history(audit)["changed_by"]) == ["Bo", "Anna"]


def test_prompts_keep_the_other_answer(store, monkeypatch):
    from session_driver import ENTER, drive

    from granskning.answers.session import Session

    audit = make_audit(store, ["Anna"], per=1)
    anna = Session(store, store.audit(audit), loads(CHECKLIST), "Anna")
    bo_writes_during_the_prompt(monkeypatch, store, audit, "Nej")
    printed, _screen, _e = drive(anna, ENTER + "j" + ENTER)  # Ja, then "Behåll"
    assert "Det sparade svaret på Q1 gäller." in printed
    found = store.answer(audit, "S-00-0", "Q1")
    assert (found.value, found.version, found.changed_by) == ("Nej", 1, "Bo")


def test_excel_import_refuses_answers_changed_since_export(store, tmp_path):
    from openpyxl import load_workbook

    from granskning.answers.excel import ImportConflict, export_template, import_answers

    chk_path = checklist_file(tmp_path)
    audit = make_audit(store, ["Anna"], per=2)
    store.set_answer(audit, "S-00-0", "Q1", "Ja", who="Anna")
    out = tmp_path / "mall.xlsx"
    export_template(store, audit, out, checklist=chk_path)
    store.set_answer(audit, "S-00-0", "Q1", "Barnet kan inte", who="Bo")  # after the export
    wb = load_workbook(out)
    ws = wb["Svar"]
    cols = {c.value: c.column for c in ws[1]}
    row = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}["S-00-0"]
    for key, value in {"Q1": "Nej", "Q2": "Ja", "Q3": "God", "Q4": "X", "Q5": 3,
                       "Q6": "2025-03-01", "Q7": "Klar"}.items():
        ws.cell(row, cols[key]).value = value
    wb.save(out)
    with pytest.raises(ImportConflict) as info:
        import_answers(store, audit, out, who="Anna", checklist=chk_path)
    text = str(info.value)
    assert f'mall.xlsx, rad {row}, kolumn "Q1": svaret har ändrats av Bo ' in text
    assert "nu ”Barnet kan inte”, i filen ”Nej”" in text
    assert "--skriv-over" in text and info.value.exit_code == 2
    assert store.answers(audit, "S-00-0") == {"Q1": "Barnet kan inte"}  # nothing stored
    done = import_answers(store, audit, out, who="Anna", checklist=chk_path, overwrite=True)
    assert done.n_changed == 7 and store.answers(audit, "S-00-0")["Q1"] == "Nej"
    # A change made while the import runs is caught by the store itself.
    with pytest.raises(ConflictError):
        store.set_answers(audit, [("S-00-0", "Q1", "Ja")], who="Anna",
                          expected_versions={("S-00-0", "Q1"): 2})


# -- a reviewer killed mid-write ------------------------------------------------------------


def kill_mid_write(db: str, audit: int, checklist: Path, reviewer: str | None,
                   confirmations: int, seed: int) -> list[tuple[str, str, int]]:
    """Run an ``endless`` writer, SIGKILL it at a random moment; return what it confirmed."""
    proc = spawn("endless", db, audit, checklist, reviewer=reviewer)
    confirmed = []
    rng = random.Random(seed)
    assert proc.stdout is not None
    while len(confirmed) < confirmations:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        _ok, case_id, key, version = line.split()
        confirmed.append((case_id, key, int(version)))
    time.sleep(rng.uniform(0, 0.05))  # somewhere inside a later write
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    for line in out.splitlines():  # confirmed before the kill, read after it
        if line.startswith("OK "):
            _ok, case_id, key, version = line.split()
            confirmed.append((case_id, key, int(version)))
    assert proc.returncode == -signal.SIGKILL
    return confirmed


def check_nothing_lost(store: Store, audit: int, confirmed: list[tuple[str, str, int]]) -> int:
    stored = store.answer_versions(audit)
    for case_id, key, version in confirmed:
        assert stored[(case_id, key)].version >= version
    history = store.history(audit)
    counts = history.groupby(["case_id", "question_id"]).size().to_dict()
    assert counts == {k: a.version for k, a in stored.items()}  # answer and history together
    return len(confirmed)


def test_killed_writer_loses_nothing_confirmed_on_sqlite(tmp_path):
    db = str(tmp_path / "g.db")
    with Store.open(db, create=True) as store:
        store.migrate()
        audit = make_audit(store, ["Anna"], per=2)
    confirmed = kill_mid_write(db, audit, checklist_file(tmp_path), "Anna", 40, seed=1)
    with Store.open(db) as store:
        n = check_nothing_lost(store, audit, confirmed)
    save_figures("avbruten_sqlite", {"bekräftade_svar": n, "förlorade": 0})


@pytest.mark.postgres
def test_killed_writer_loses_nothing_confirmed_on_postgresql(tmp_path):
    with role_database(pg_server_url(), {"anna": "granskare"}) as rdb:
        with Store.open(rdb.admin_url) as admin:
            audit = make_audit(admin, [rdb.names["anna"]], per=2)
        confirmed = kill_mid_write(rdb.url("anna"), audit, checklist_file(tmp_path), None, 40,
                                   seed=2)
        time.sleep(0.2)  # the server notices the dropped connection and rolls back
        with Store.open(rdb.admin_url) as admin:
            n = check_nothing_lost(admin, audit, confirmed)
    save_figures("avbruten_postgresql", {"bekräftade_svar": n, "förlorade": 0})
