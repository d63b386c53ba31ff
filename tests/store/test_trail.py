"""The trail (granskning.store.trail, ``granskning historik``) and the append-only history.

Expected values are the changes each test makes, in order; there are no computed
figures.  The SQLite triggers are checked with the sqlite3 module directly, as
a user with the file (and no tool) would try.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from conftest import TEST_KEY

from granskning.audit import pseudonym
from granskning.cli import cli
from granskning.store import trail
from granskning.store.database import Store

KEY = bytes.fromhex(TEST_KEY)


def fill(store: Store) -> tuple[int, str]:
    audit = store.create_audit("Hösten 2025", "granskning", None, None, None, None, {}, "sam")
    case = pseudonym.case(KEY, "B1")
    store.add_cases(audit, [{"case_id": case, "stratum": "Bromma", "draw_order": 1},
                            {"case_id": pseudonym.case(KEY, "B2"), "reserve": True}], who="sam")
    store.assign(audit, {case: "anna"}, who="sam")
    store.assign(audit, {case: "bo"}, who="sam")
    store.set_answer(audit, case, "F7", "Ja", who="bo")
    store.set_answer(audit, case, "F7", "Barnet vill inte", who="bo")
    store.set_answer(audit, case, "F24", "Ringde mamman (tel 08-123 456 78) om mötet", who="bo")
    store.delete_answer(audit, case, "F24", who="bo")
    store.mark_done(audit, case, who="bo")
    return audit, case


def test_history_merges_every_change_in_order(store):
    audit, case = fill(store)
    frame = trail.history(store, audit)
    got = [(r["changed_by"], r["case_id"], r["what"], r["item"], r["event"], r["old_value"],
            r["new_value"], r["version"]) for r in frame.to_dict(orient="records")]
    about = {"titel": "Hösten 2025", "slag": "granskning", "checklista": None,
             "checklistversion": None}
    note = "Ringde mamman (tel 08-123 456 78) om mötet"
    assert got == [
        ("sam", None, "granskning", None, "skapad", None, about, None),
        ("sam", None, "ärenden", None, "tillagda", None, {"antal": 1, "reserver": 1}, None),
        ("sam", case, "tilldelning", None, "tilldelad", None, "anna", None),
        ("sam", case, "tilldelning", None, "flyttad", "anna", "bo", None),
        ("bo", case, "svar", "F7", "nytt", None, "Ja", 1),
        ("bo", case, "svar", "F7", "ändrat", "Ja", "Barnet vill inte", 2),
        ("bo", case, "svar", "F24", "nytt", None, note, 1),
        ("bo", case, "svar", "F24", "borttaget", note, None, 2),
        ("bo", case, "status", None, "klar", "pågår", "klar", None),
    ]
    from granskning import __version__

    assert set(frame["tool_version"]) == {__version__}
    assert frame["changed_at"].is_monotonic_increasing
    only = trail.history(store, audit, case)
    assert len(only) == 7 and set(only["case_id"]) == {case}


def test_render_fits_80_columns_and_masks_personnummer(store):
    audit, case = fill(store)
    store.set_answer(audit, case, "F25", "x" * 300, who="bo")
    frame = trail.history(store, audit)
    frame.loc[len(frame) - 1, "new_value"] = "811218-9876"  # as if stored before the check
    text = trail.render(frame, title="Historik för granskning 1: " + "Hösten 2025 " * 10)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[2].split() == ["Tid", "Vem", "Ärende", "Vad", "Före", "Efter"]  # title: 2 lines
    assert "9876" not in text and "811218-****" in text  # SKV 704 example number
    f7 = next(i for i, line in enumerate(lines) if "F7 ändrat" in line)
    assert lines[f7 + 2].strip() == "Efter: Barnet vill inte"  # whole, below its row
    assert lines[-1] == "10 ändringar."
    assert trail.render(frame.iloc[0:0]) == "Inga ändringar."


def test_render_wraps_whole_values_names_and_titles(store):
    audit, case = fill(store)
    note = ("Vårdnadshavaren uppgav vid telefonsamtalet att skolan redan hade kontaktat "
            "elevhälsan och att familjen tackat ja till stöd.")
    store.set_answer(audit, case, "F25", note, who="Cecilia Andersson-Lindqvist")
    frame = trail.history(store, audit)
    text = trail.render(frame, title="Historik för granskning 1: " + "Hösten 2025 " * 10)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert ("Hösten 2025 " * 10).strip() in " ".join(lines[:2])  # the title wraps, whole
    flat = " ".join(" ".join(line.split()) for line in lines)
    assert "Efter: " + note in flat
    assert "Cecilia Andersson-Lindqvist" in "".join(line[18:28].strip() for line in lines)
    short = next(line for line in lines if "F7 nytt" in line)
    assert short.split()[-2:] == ["–", "Ja"]  # short values stay in their columns


def test_cli_historik_table_json_and_case(store, db_url):
    audit, case = fill(store)
    runner = CliRunner()
    r = runner.invoke(cli, ["historik", "--granskning", str(audit), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Historik för granskning 1: Hösten 2025\n")
    assert max(len(line) for line in r.stdout.splitlines()) <= 80
    r = runner.invoke(cli, ["historik", "--granskning", str(audit), "--db", db_url, "--json",
                            "--arende", case])
    doc = json.loads(r.stdout)
    assert doc["ärende"] == case and len(doc["händelser"]) == 7
    first = doc["händelser"][0]
    assert set(first) == {"tid", "vem", "ärende", "vad", "fråga", "händelse", "före", "efter",
                          "version", "verktygsversion", "databasanvändare"}
    assert (first["vad"], first["händelse"], first["efter"]) == ("tilldelning", "tilldelad",
                                                                 "anna")
    # The real id works for whoever has the key (GRANSKNING_NYCKEL in the tests).
    r = runner.invoke(cli, ["historik", "--granskning", str(audit), "--db", db_url, "--json",
                            "--arende", "B1"])
    assert json.loads(r.stdout)["ärende"] == case
    r = runner.invoke(cli, ["historik", "--granskning", str(audit), "--db", db_url,
                            "--arende", "19121212-1212"])
    assert r.exit_code == 2 and "19121212-****" in r.stderr and "1212-1212" not in r.stderr
    r = runner.invoke(cli, ["historik", "--granskning", "7", "--db", db_url])
    assert r.exit_code == 2 and "Granskning 7 finns inte" in r.stderr


def test_sqlite_history_cannot_be_changed_or_deleted(tmp_path):
    path = tmp_path / "g.db"
    with Store.open(str(path), create=True) as store:
        store.migrate()
        audit, case = fill(store)
    con = sqlite3.connect(path)
    try:
        for table in ("answer_history", "change_log"):
            for statement in (f"UPDATE {table} SET changed_by = 'x'", f"DELETE FROM {table}"):
                with pytest.raises(sqlite3.IntegrityError, match="Historiken kan bara utökas"):
                    con.execute(statement)
        counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("answer_history", "change_log")]
    finally:
        con.close()
    assert counts == [4, 5]
