"""Tests of granskning.audit.assignment and ``granskning tilldela`` (SQLite and PostgreSQL).

Reference values are worked by hand in the comments: dealing sorted cases
round-robin (case k goes to reviewer k mod R) and the longest-processing-time
rule for whole strata (Graham 1969: largest job first to the least-loaded machine).
"""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from granskning.audit.assignment import (
    assign_cases,
    parse_reviewers,
    plan_assignment,
    reviewer_loads,
    same_person,
)
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Case, Store

NASTY = "Robert'); DROP TABLE answers;--"


def case(cid, stratum, order, *, worker=None, reviewer=None, status=None, reserve=False) -> Case:
    return Case(
        1, cid, stratum, None, None, None, None, order, reserve, worker, reviewer, status, None
    )


def strata_cases(sizes: dict[str, int], workers: dict[str, str] | None = None) -> list[Case]:
    out = []
    for stratum, n in sizes.items():
        for i in range(1, n + 1):
            cid = f"{stratum}{i}"
            out.append(case(cid, stratum, i, worker=(workers or {}).get(cid)))
    return out


# -- the plan (pure) -------------------------------------------------------------


def test_even_deal_is_round_robin_over_sorted_cases():
    cases = strata_cases({"B": 3, "A": 4, "C": 2})
    random.Random(7).shuffle(cases)  # input order must not matter
    plan = plan_assignment(cases, ["Anna", "Bo", "Cecilia"])
    # Sorted: A1 A2 A3 A4 B1 B2 B3 C1 C2; case k -> reviewer k mod 3 (by hand).
    assert plan == {
        "A1": "Anna", "A2": "Bo", "A3": "Cecilia", "A4": "Anna", "B1": "Bo",
        "B2": "Cecilia", "B3": "Anna", "C1": "Bo", "C2": "Cecilia",
    }  # fmt: skip
    assert plan_assignment(list(reversed(cases)), ["Anna", "Bo", "Cecilia"]) == plan


def test_per_stratum_balances_whole_strata():
    cases = strata_cases({"Rinkeby": 5, "Spånga": 4, "Kista": 3, "Hässelby": 3, "Tensta": 1})
    plan = plan_assignment(cases, ["Anna", "Bo"], per_stratum=True)
    by_stratum = {
        c.stratum: {plan[x.case_id] for x in cases if x.stratum == c.stratum} for c in cases
    }
    # LPT by hand: Rinkeby 5 -> Anna (5); Spånga 4 -> Bo (4); Hässelby 3 (ties with
    # Kista, name first) -> Bo (7); Kista 3 -> Anna (8); Tensta 1 -> Bo (8).
    assert by_stratum == {
        "Rinkeby": {"Anna"}, "Spånga": {"Bo"}, "Hässelby": {"Bo"}, "Kista": {"Anna"},
        "Tensta": {"Bo"},
    }  # fmt: skip
    assert Counter(plan.values()) == {"Anna": 8, "Bo": 8}


def test_peer_review_never_gives_own_cases():
    workers = {f"A{i}": "Anna" for i in range(1, 5)} | {"B1": "bo ", "B2": "Cecilia"}
    cases = strata_cases({"A": 4, "B": 2}, workers)
    plan = plan_assignment(cases, ["Anna", "Bo", "Cecilia"], peer=True)
    for c in cases:
        assert not same_person(plan[c.case_id], c.case_worker), c
    assert Counter(plan.values()) == {"Anna": 2, "Bo": 2, "Cecilia": 2}
    # By hand: A1 Bo, A2 Cecilia, A3 Bo, A4 Cecilia (Anna excluded, least loaded
    # in turn); then Anna has 0 -> B1 Anna; B2 (Cecilia's) -> Anna.
    assert [plan[k] for k in ("A1", "A2", "A3", "A4", "B1", "B2")] == [
        "Bo", "Cecilia", "Bo", "Cecilia", "Anna", "Anna"
    ]  # fmt: skip


def test_peer_review_impossible_is_a_swedish_input_error():
    cases = strata_cases({"A": 2}, {"A1": "Anna"})
    with pytest.raises(InputError, match="den enda granskaren"):
        plan_assignment(cases, ["Anna"], peer=True)
    cases = strata_cases({"X": 2}, {"X1": "Anna", "X2": "Bo"})
    with pytest.raises(InputError, match='Stratumet "X" kan inte ges'):
        plan_assignment(cases, ["Anna", "Bo"], peer=True, per_stratum=True)
    with pytest.raises(InputError, match="kräver att ärendena har handläggare"):
        plan_assignment(strata_cases({"A": 2}), ["Anna", "Bo"], peer=True)


def test_kept_assignments_and_reassign():
    cases = [
        case("A1", "A", 1, reviewer="Anna", status="klar"),
        case("A2", "A", 2, reviewer="Anna", status="pågår"),
        case("A3", "A", 3, reviewer="Bo", status="pågår"),
        case("A4", "A", 4),
        case("A5", "A", 5),
        case("R1", "A", 6, reserve=True),
    ]
    # Kept: Anna 2, Bo 1, Cecilia 0 -> A4 Cecilia, then A5 to Bo (fewest, next in turn).
    assert plan_assignment(cases, ["Anna", "Bo", "Cecilia"]) == {"A4": "Cecilia", "A5": "Bo"}
    # --om: only the finished A1 stays (with Anna, who is not listed).
    assert plan_assignment(cases, ["Bo", "Cecilia"], reassign=True) == {
        "A2": "Bo", "A3": "Cecilia", "A4": "Bo", "A5": "Cecilia"
    }  # fmt: skip
    own = [case("A1", "A", 1, worker="Anna", reviewer="Anna", status="pågår")]
    with pytest.raises(InputError, match="--om"):
        plan_assignment(own, ["Anna", "Bo"], peer=True)
    assert plan_assignment(own, ["Anna", "Bo"], peer=True, reassign=True) == {"A1": "Bo"}


def test_per_stratum_keeps_a_partly_assigned_stratum_together():
    cases = [
        case("A1", "A", 1, reviewer="Bo", status="pågår"),
        case("A2", "A", 2),
        case("B1", "B", 1),
    ]
    assert plan_assignment(cases, ["Anna", "Bo"], per_stratum=True) == {"A2": "Bo", "B1": "Anna"}


def test_parse_reviewers():
    assert parse_reviewers(" Anna , Bo,,Cecilia  Ek ") == ["Anna", "Bo", "Cecilia Ek"]
    with pytest.raises(InputError, match="två gånger"):
        parse_reviewers("Anna,anna")
    with pytest.raises(InputError, match="minst en granskare"):
        parse_reviewers(" , ")


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
    n_reviewers=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_even_deal_gives_every_reviewer_a_fair_share_of_every_stratum(sizes, n_reviewers, seed):
    cases = strata_cases({f"S{i}": n for i, n in enumerate(sizes)})
    random.Random(seed).shuffle(cases)
    reviewers = [f"G{i}" for i in range(n_reviewers)]
    plan = plan_assignment(cases, reviewers)
    assert set(plan) == {c.case_id for c in cases}
    for i, n in enumerate(sizes):
        got = Counter(plan[c.case_id] for c in cases if c.stratum == f"S{i}")
        counts = [got.get(r, 0) for r in reviewers]
        assert sum(counts) == n
        assert max(counts) - min(counts) <= 1  # floor or ceil of n / R in each stratum
    totals = Counter(plan.values())
    assert max(totals.values()) - min(totals.get(r, 0) for r in reviewers) <= 1


def test_reviewer_loads_lists_named_reviewers_first():
    cases = [
        case("A1", "A", 1, reviewer="Öberg"),
        case("A2", "A", 2, reviewer="Bo"),
        case("B1", "B", 1, reviewer="Bo"),
        case("B2", None, 2, reviewer="Bo"),
    ]
    loads = reviewer_loads(cases, ["Cecilia", "Bo"])
    assert [(x.reviewer, x.n_cases) for x in loads] == [("Cecilia", 0), ("Bo", 3), ("Öberg", 1)]
    assert loads[1].per_stratum == (("(utan stratum)", 1), ("A", 1), ("B", 1))


# -- against the database ----------------------------------------------------------


@pytest.fixture
def audit(store: Store) -> int:
    audit_id = store.create_audit(
        "Kollegial granskning", "internkontroll", None, None, None, None, {}, "Anna"
    )
    rows = []
    for stratum, n in (("Rinkeby-Kista", 4), ("Spånga-Tensta", 3), ("Hägersten-Älvsjö", 2)):
        for i in range(1, n + 1):
            rows.append(
                {
                    "case_id": f"{stratum[:3]}-{i}",
                    "stratum": stratum,
                    "draw_order": i,
                    "case_worker": ["Anna", "Bo", "Cecilia"][i % 3],
                }
            )
    rows.append({"case_id": "Res-1", "stratum": "Rinkeby-Kista", "draw_order": 5, "reserve": True})
    store.add_cases(audit_id, rows)
    return audit_id


def test_assign_cases_stores_and_summarises(store, audit):
    result = assign_cases(store, audit, ["Anna", "Bo", "Cecilia"], peer=True)
    assert (result.n_assigned, result.n_kept) == (9, 0)
    assert [(x.reviewer, x.n_cases) for x in result.loads] == [
        ("Anna", 3),
        ("Bo", 3),
        ("Cecilia", 3),
    ]
    cases = store.cases(audit)
    assert all(not same_person(c.reviewer, c.case_worker) for c in cases if not c.reserve)
    assert [c.reviewer for c in cases if c.reserve] == [None]
    again = assign_cases(store, audit, ["Anna", "Bo", "Cecilia"], peer=True)
    assert (again.n_assigned, again.n_kept) == (0, 9)
    assert store.cases(audit) == cases


def test_cli_tilldela_even_then_per_stratum_with_om(store, audit, db_url):
    runner = CliRunner()
    r = runner.invoke(
        cli, ["tilldela", "--granskning", str(audit), "--granskare", "Anna,Bo,Cecilia",
              "--db", db_url], catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"Granskning {audit}: 9 ärenden tilldelade, 0 behållna sedan tidigare."
    assert lines[1].split() == ["Granskare", "Ärenden", "Per", "stratum"]
    # Sorted: Hägersten 1-2, Rinkeby 1-4, Spånga 1-3, dealt Anna, Bo, Cecilia, ...
    assert lines[2].split() == ["Anna", "3", "Hägersten-Älvsjö", "1,", "Rinkeby-Kista", "1,",
                                "Spånga-Tensta", "1"]  # fmt: skip
    assert lines[-1].split() == ["Totalt", "9"]
    r = runner.invoke(
        cli, ["tilldela", "--granskning", str(audit), "--granskare", "Anna,Bo,Cecilia",
              "--per-stratum", "--om", "--db", db_url, "--json"], catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    # LPT by hand: Rinkeby-Kista 4 -> Anna, Spånga-Tensta 3 -> Bo, Hägersten-Älvsjö 2 -> Cecilia.
    assert data["granskare"] == [
        {"granskare": "Anna", "antal_ärenden": 4, "per_stratum": {"Rinkeby-Kista": 4}},
        {"granskare": "Bo", "antal_ärenden": 3, "per_stratum": {"Spånga-Tensta": 3}},
        {"granskare": "Cecilia", "antal_ärenden": 2, "per_stratum": {"Hägersten-Älvsjö": 2}},
    ]
    assert (data["nya_tilldelningar"], data["behållna"]) == (9, 0)


def test_cli_tilldela_errors_exit_2(store, audit, db_url):
    runner = CliRunner()
    base = ["tilldela", "--db", db_url]
    r = runner.invoke(cli, [*base, "--granskning", "999", "--granskare", "Anna"])
    assert r.exit_code == 2 and "Granskning 999 finns inte" in r.stderr
    r = runner.invoke(cli, [*base, "--granskning", str(audit), "--granskare", "Anna,ANNA"])
    assert r.exit_code == 2 and "två gånger" in r.stderr
    r = runner.invoke(cli, [*base, "--granskning", str(audit), "--granskare", "Anna",
                            "--kollegial"])  # fmt: skip
    assert r.exit_code == 2 and r.stderr.startswith("Fel: Ärende") and "enda granskaren" in r.stderr
    assert "Traceback" not in r.output
    assert store.progress(audit).total == 9 and all(c.reviewer is None for c in store.cases(audit))


def test_cli_tilldela_sql_looking_name(store, audit, db_url):
    r = CliRunner().invoke(
        cli, ["tilldela", "--granskning", str(audit), "--granskare", f"Bo,{NASTY}", "--db", db_url],
        catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert len(store.cases(audit, reviewer=NASTY)) == 4
    assert len(store.cases(audit, reviewer="Bo")) == 5


@pytest.mark.parametrize("typed", ["121212–1212", "19121212 1212", "1912 12 12-1212"])
def test_a_personnummer_among_the_reviewer_names_is_refused_and_never_printed(typed):
    # tilldela once printed such a "reviewer" with 0 cases (exit 0) when every case was kept.
    from granskning.audit.assignment import parse_reviewers

    with pytest.raises(InputError) as info:
        parse_reviewers(f"Anna,{typed}")
    assert "personnummer" in str(info.value) and "1212" not in str(info.value)
