"""Tests of granskning.audit.status and ``granskning status`` (SQLite and PostgreSQL).

The reference counts are worked by hand from the fixture below (written out beside each
assertion): there are no statistics here, only counting.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from granskning.audit.status import audit_status, group_of
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Case, Store

# Two strata.  Bromma: B1..B4 drawn, B5 a reserve.  Farsta: F1..F3 drawn, F4 a reserve.
CASES = (
    [{"case_id": f"B{i}", "stratum": "Bromma", "draw_order": i} for i in range(1, 5)]
    + [{"case_id": "B5", "stratum": "Bromma", "draw_order": 5, "reserve": True}]
    + [{"case_id": f"F{i}", "stratum": "Farsta", "draw_order": i} for i in range(1, 4)]
    + [{"case_id": "F4", "stratum": "Farsta", "draw_order": 4, "reserve": True}]
)


@pytest.fixture
def audit(store: Store) -> int:
    audit_id = store.create_audit("Förhandsbedömningar 2026", "granskning", "forhand", "1",
                                  "b" * 64, None, {"seed": 1}, "Samordnaren")
    store.add_cases(audit_id, CASES, who="Samordnaren")
    # Anna first (the older assignments), then Bo; F3 stays unassigned.
    store.assign(audit_id, {"B1": "Anna", "B2": "Anna", "F1": "Anna"}, who="Samordnaren")
    store.assign(audit_id, {"B3": "Bo", "B4": "Bo", "F2": "Bo"}, who="Samordnaren")
    # B1 done (answered), B2 begun (one answer), F1 untouched;
    # B3 begun (two answers, one of them deleted later: still begun), B4 and F2 untouched.
    store.set_answer(audit_id, "B1", "F1", "Ja", who="Anna")
    store.mark_done(audit_id, "B1", who="Anna")
    store.set_answer(audit_id, "B2", "F1", "Nej", who="Anna")
    store.set_answer(audit_id, "B3", "F1", "Ja", who="Bo")
    store.set_answer(audit_id, "B3", "F2", "Ja", who="Bo")
    store.delete_answer(audit_id, "B3", "F2", who="Bo")
    # B4: answered and then deleted: no answer left, so untouched again.
    store.set_answer(audit_id, "B4", "F1", "Ja", who="Bo")
    store.delete_answer(audit_id, "B4", "F1", who="Bo")
    return audit_id


def counts(c) -> tuple[int, int, int, int, int, int]:
    return (c.done, c.begun, c.untouched, c.total, c.reserves, c.outside)


def test_counts_per_reviewer_and_stratum(store, audit):
    today = date.today() + timedelta(days=5)
    s = audit_status(store, audit, today=today)
    by_name = {r.reviewer: r for r in s.reviewers}
    assert list(by_name) == ["Anna", "Bo"]
    # Anna: B1 done, B2 begun, F1 untouched.
    assert counts(by_name["Anna"].counts) == (1, 1, 1, 3, 0, 0)
    # Bo: B3 begun, B4 and F2 untouched.
    assert counts(by_name["Bo"].counts) == (0, 1, 2, 3, 0, 0)
    assert counts(by_name["Bo"].per_stratum["Bromma"]) == (0, 1, 1, 2, 0, 0)
    # F3 drawn but unassigned and untouched; the reserves B5, F4 apart.
    assert counts(s.unassigned) == (0, 0, 1, 1, 2, 0)
    strata = dict(s.strata)
    assert counts(strata["Bromma"]) == (1, 2, 1, 4, 1, 0)  # B1 | B2 B3 | B4 | reserve B5
    assert counts(strata["Farsta"]) == (0, 0, 3, 3, 1, 0)  # F1 F2 F3 | reserve F4
    assert counts(s.total) == (1, 2, 4, 7, 2, 0)
    assert s.total.share_done == pytest.approx(1 / 7)
    # Anna was assigned first, so her untouched F1 is the oldest; 5 days ago.
    assert s.oldest is not None
    assert (s.oldest.reviewer, s.oldest.case_id, s.oldest.days) == ("Anna", "F1", 5)
    assert by_name["Bo"].oldest.case_id in {"B4", "F2"}


def test_reviewer_matched_case_insensitively(store, audit):
    s = audit_status(store, audit, reviewer="  bO ")
    assert [r.reviewer for r in s.reviewers] == ["Bo"]
    assert counts(s.total) == (0, 1, 2, 3, 0, 0)
    with pytest.raises(InputError, match=r'"Cecilia" har inga ärenden i granskning \d+\. '
                                         r"Ärenden har: Anna, Bo\."):
        audit_status(store, audit, reviewer="Cecilia")


def test_an_assigned_reserve_counts_as_a_case(store, audit):
    store.assign(audit, {"F4": "Bo"}, who="Samordnaren")
    s = audit_status(store, audit)
    assert counts(dict(s.strata)["Farsta"]) == (0, 0, 4, 4, 0, 0)


def test_group_of_outside_cases_when_the_store_marks_them():
    # Lane E's cases carry ``outside``; a case marked outside is in no other group.
    class Outside:
        outside = True
        status = "klar"
        reserve = False
        reviewer = "Anna"

    assert group_of(Outside(), 3) == "outside"
    plain = Case(1, "X", "A", None, None, None, None, 1, True, None, None, None, None)
    assert group_of(plain, 0) == "reserves"
    assert group_of(plain, 1) == "begun"  # a reserve someone has answered is in use


def test_empty_audit_and_unknown_audit(store):
    audit_id = store.create_audit("Tom", "granskning", None, None, None, None, {}, "S")
    s = audit_status(store, audit_id)
    assert s.total.total == 0 and s.oldest is None and s.total.share_done is None
    with pytest.raises(InputError, match="har inga tilldelade ärenden"):
        audit_status(store, audit_id, reviewer="Anna")
    with pytest.raises(InputError, match="Granskning 999 finns inte"):
        audit_status(store, 999)


def test_cli_text_table(store, audit, db_url):
    r = CliRunner().invoke(cli, ["status", "--granskning", str(audit), "--db", db_url],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"Granskning {audit}: Förhandsbedömningar 2026 – läget ")
    assert lines[2].split() == ["Granskare", "Klara", "Påbörjade", "Orörda", "Totalt", "Andel",
                                "klara"]
    assert lines[3].split() == ["Anna", "1", "1", "1", "3", "33,3", "%"]
    assert lines[4].split() == ["Bo", "0", "1", "2", "3", "0,0", "%"]
    assert lines[5].split() == ["Ej", "tilldelade", "0", "0", "1", "1", "0,0", "%"]
    assert lines[6].split() == ["Totalt", "1", "2", "4", "7", "14,3", "%"]  # 1/7 = 14,29 %
    assert lines[8].split()[-2:] == ["Reserver", "Utanför"]
    assert lines[9].split() == ["Bromma", "1", "2", "1", "4", "25,0", "%", "1", "0"]
    assert "Äldsta orörda ärende: Anna, ärende F1, tilldelat " in r.stdout
    assert "(i dag)" in r.stdout
    assert "Utanför totalen: 2 reserver som inte används, 0 ärenden utanför populationen." \
        in r.stdout


def test_cli_json_keys(store, audit, db_url):
    r = CliRunner().invoke(cli, ["status", "--granskning", str(audit), "--db", db_url,
                                 "--granskare", "ANNA", "--json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"granskning", "titel", "datum", "totalt", "granskare",
                         "ej_tilldelade", "strata", "äldsta_orörda", "andra_läsningar"}
    assert data["andra_läsningar"] == {"klara": 0, "totalt": 0}
    assert data["totalt"] == {"klara": 1, "påbörjade": 1, "orörda": 1, "totalt": 3,
                              "andel_klara": pytest.approx(1 / 3), "reserver_oanvända": 0,
                              "utanför": 0}
    (anna,) = data["granskare"]
    assert anna["granskare"] == "Anna" and set(anna["per_stratum"]) == {"Bromma", "Farsta"}
    assert anna["äldsta_orörda"]["ärende"] == "F1" and anna["äldsta_orörda"]["dagar"] == 0
    assert data["äldsta_orörda"] == anna["äldsta_orörda"]


def test_cli_errors_exit_2(store, audit, db_url):
    runner = CliRunner()
    r = runner.invoke(cli, ["status", "--granskning", str(audit), "--db", db_url,
                            "--granskare", "19121212-1212"])
    assert r.exit_code == 2, r.output
    assert "1212-1212" not in r.stderr and "Ärenden har: Anna, Bo." in r.stderr
    r = runner.invoke(cli, ["status", "--granskning", "999", "--db", db_url])
    assert r.exit_code == 2 and "Granskning 999 finns inte" in r.stderr
    assert "Traceback" not in r.output


def test_second_readings_counted_apart(store, audit, db_url):
    # B1 (Anna's) and F2 (Bo's) are read a second time; Bo finishes his reading of B1.
    store.assign_second(audit, {"B1": "Bo", "F2": "Anna"}, who="Samordnaren")
    store.set_second_answers(audit, [("B1", "F1", "Nej")], who="Bo")
    store.mark_second_done(audit, "B1", "Bo")
    s = audit_status(store, audit)
    assert (s.second_done, s.second_total) == (1, 2)
    assert counts(s.total) == (1, 2, 4, 7, 2, 0)  # the first readings, as before
    assert (audit_status(store, audit, reviewer="anna").second_total) == 1
    r = CliRunner().invoke(cli, ["status", "--granskning", str(audit), "--db", db_url])
    assert "Dubbelgranskning: 1 av 2 andra läsningar klara (granskning jamfor)." in r.stdout


def test_outside_case_and_its_reserve(store, audit):
    # F1 (Anna's, untouched) is outside the population; reserve F4 comes in for Anna.
    store.mark_outside(audit, "F1", "Fel ålder", who="Samordnaren")
    s = audit_status(store, audit)
    by_name = {r.reviewer: r for r in s.reviewers}
    # Anna: B1 done, B2 begun, F4 (the reserve brought in) untouched; F1 outside, apart.
    assert counts(by_name["Anna"].counts) == (1, 1, 1, 3, 0, 1)
    # Farsta: F1 outside; F2 F3 F4 untouched; no unused reserve left there.
    assert counts(dict(s.strata)["Farsta"]) == (0, 0, 3, 3, 0, 1)
    assert counts(s.total) == (1, 2, 4, 7, 1, 1)
    assert s.oldest.case_id != "F1"
