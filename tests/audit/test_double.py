"""Double reading (dubbelgranskning): choosing cases, the second reading, κ, settling.

Reference values for Cohen's κ and its interval come from R's psych package
(psych 2.2.9, ``cohen.kappa``, whose confidence boundaries use the large-sample standard
error of Fleiss, Cohen & Everitt 1969); the R calls are beside each value.  Counts in
the whole-flow tests are worked by hand from the answers typed.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.analysis.agreement import cohen_kappa
from granskning.answers.session import Session
from granskning.audit.double import agreement, double_read, plan_double, settle_answer
from granskning.checklist import loads
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Case, Store
from granskning.store.double import SecondReadingStore

CHECKLIST = """\
id: test-dubbel
titel: Testlista
version: "1"
slag: granskning
omraden:
  - id: a
    titel: Område A
    fragor:
      - id: Q1
        text: Har barnet kommit till tals?
        typ: janej
      - id: Q2
        text: Samtalets kvalitet
        typ: enval
        val: [God, Bristfällig]
      - id: Q3
        text: Anteckningar
        typ: fritext
        kravs: false
"""


def pairs(table: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return [cell for cell, k in table.items() for _ in range(k)]


# -- κ against R ---------------------------------------------------------------------


def test_kappa_two_categories_against_psych():
    # R: library(psych); ck <- cohen.kappa(matrix(c(20, 5, 10, 15), 2))
    #    ck$kappa = 0.4; sqrt(ck$var.kappa) = 0.1269960629;
    #    ck$confid[1, ] = 0.1510922905 0.4 0.6489077095
    k = cohen_kappa(pairs({("Ja", "Ja"): 20, ("Ja", "Nej"): 10, ("Nej", "Ja"): 5,
                           ("Nej", "Nej"): 15}))
    assert (k.n, k.agree) == (50, 35)
    assert k.p_observed == pytest.approx(0.7) and k.p_expected == pytest.approx(0.5)
    assert k.kappa == pytest.approx(0.4, abs=1e-10)
    assert k.se == pytest.approx(0.1269960629, abs=1e-9)
    assert (k.low, k.high) == (pytest.approx(0.1510922905, abs=1e-9),
                               pytest.approx(0.6489077095, abs=1e-9))


def test_kappa_three_categories_against_psych():
    # R: y <- matrix(c(22, 2, 2, 4, 7, 3, 1, 2, 12), 3)   # rows: first reading
    #    ck <- cohen.kappa(y); ck$kappa = 0.5977011494; sqrt(ck$var.kappa) = 0.08995531945
    #    ck$confid[1, ] = 0.4213919631 0.5977011494 0.7740103358
    y = {("A", "A"): 22, ("A", "B"): 4, ("A", "C"): 1, ("B", "A"): 2, ("B", "B"): 7,
         ("B", "C"): 2, ("C", "A"): 2, ("C", "B"): 3, ("C", "C"): 12}
    k = cohen_kappa(pairs(y))
    assert k.kappa == pytest.approx(0.5977011494, abs=1e-9)
    assert k.se == pytest.approx(0.08995531945, abs=1e-9)
    assert k.low == pytest.approx(0.4213919631, abs=1e-9)
    assert k.high == pytest.approx(0.7740103358, abs=1e-9)
    # κ and its SE do not depend on which reading is called the first.
    t = cohen_kappa([(b, a) for a, b in pairs(y)])
    assert t.kappa == pytest.approx(k.kappa) and t.se == pytest.approx(k.se)


def test_kappa_undefined_and_empty():
    k = cohen_kappa([("Ja", "Ja")] * 5)  # p_e = 1: κ = 0/0
    assert k.kappa is None and k.p_observed == 1.0 and k.n == 5
    assert cohen_kappa([]).kappa is None and cohen_kappa([]).n == 0
    # Perfect agreement with two categories: κ = 1, and the FCE variance is 0 (by hand:
    # A = Σ p_ii (1 − 0)² = 1, B = 0, C = (1 − 0)² = 1).
    k = cohen_kappa([("Ja", "Ja")] * 3 + [("Nej", "Nej")] * 2)
    assert k.kappa == pytest.approx(1.0) and k.se == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        cohen_kappa([("Ja", "Ja")], confidence=1.5)


# -- choosing the cases -----------------------------------------------------------------


def case(cid: str, reviewer: str | None, worker: str | None = None) -> Case:
    return Case(1, cid, "S", None, None, None, None, 1, False, worker, reviewer, None, None)


def test_plan_share_rounds_up_and_never_gives_own_cases():
    cases = [case(f"C{i}", "Anna" if i % 2 else "Bo", worker="Cecilia" if i == 3 else None)
             for i in range(1, 12)] + [case("R1", None)]
    # 11 assigned cases (R1 is unassigned); 10 % of 11 = 1,1 -> 2 cases.
    plan = plan_double(7, cases, {}, 0.10, ["Anna", "Bo", "Cecilia"])
    assert len(plan) == 2
    for cid, reader in plan.items():
        c = next(x for x in cases if x.case_id == cid)
        assert reader != c.reviewer and reader != c.case_worker
    # Reproducible, and independent of the input order.
    assert plan_double(7, list(reversed(cases)), {}, 0.10, ["Anna", "Bo", "Cecilia"]) == plan
    # 50 % of 11 -> 6; cases already read twice count towards it.
    more = plan_double(7, cases, plan, 0.5, ["Anna", "Bo", "Cecilia"])
    assert len(more) == 4 and not set(more) & set(plan)
    assert plan_double(7, cases, {**plan, **more}, 0.5, ["Anna", "Bo"]) == {}


def test_plan_errors_in_swedish():
    cases = [case("C1", "Anna"), case("C2", "Anna")]
    with pytest.raises(InputError, match="varken är den första granskaren"):
        plan_double(1, cases, {}, 1.0, ["Anna"])
    with pytest.raises(InputError, match="över 0 och högst 100 %"):
        plan_double(1, cases, {}, 0, ["Anna", "Bo"])
    with pytest.raises(InputError, match="inga tilldelade ärenden"):
        plan_double(1, [case("C1", None)], {}, 0.5, ["Anna", "Bo"])


# -- the whole flow ---------------------------------------------------------------------


def make_audit(store: Store, n: int = 4) -> int:
    chk = loads(CHECKLIST)
    audit_id = store.create_audit("Dubbelgranskning", "granskning", chk.id, chk.version,
                                  chk.sha256, None, {}, "Samordnaren")
    store.add_cases(audit_id, [{"case_id": f"D{i}", "stratum": "Farsta", "draw_order": i}
                               for i in range(1, n + 1)])
    store.assign(audit_id, {f"D{i}": "Anna" for i in range(1, n + 1)}, who="Samordnaren")
    return audit_id


def read(store, audit_id: int, reviewer: str, answers: dict[str, dict[str, str]],
         second: bool = False) -> None:
    """Answer and finish cases as ``granskning kontroll`` does (through Session)."""
    source = SecondReadingStore(store, reviewer) if second else store
    session = Session(source, store.audit(audit_id), loads(CHECKLIST), reviewer)
    for case_id, given in answers.items():
        for key, value in given.items():
            session.record(case_id, key, value)
        session.finish(case_id)


FIRST = {"D1": {"Q1": "Ja", "Q2": "God", "Q3": "Anna skrev"},
         "D2": {"Q1": "Nej", "Q2": "God"},
         "D3": {"Q1": "Ja", "Q2": "Bristfällig"},
         "D4": {"Q1": "Ja", "Q2": "God"}}
SECOND = {"D1": {"Q1": "Ja", "Q2": "Bristfällig", "Q3": "Bo skrev annat"},
          "D2": {"Q1": "Ja", "Q2": "God"},
          "D3": {"Q1": "Ja", "Q2": "Bristfällig"}}


@pytest.fixture
def flow(store):
    audit_id = make_audit(store)
    read(store, audit_id, "Anna", FIRST)
    store.assign_second(audit_id, {"D1": "Bo", "D2": "Bo", "D3": "Bo"}, who="Samordnaren")
    read(store, audit_id, "Bo", SECOND, second=True)
    return audit_id


def test_second_reader_sees_no_first_answers(store):
    audit_id = make_audit(store)
    read(store, audit_id, "Anna", {"D1": FIRST["D1"]})
    store.assign_second(audit_id, {"D1": "bo"}, who="Samordnaren")
    view = SecondReadingStore(store, "Bo")
    session = Session(view, store.audit(audit_id), loads(CHECKLIST), "Bo")
    assert [c.case_id for c in session.open_cases()] == ["D1"]
    assert session.answers("D1") == {}  # Anna's three answers are not shown
    assert session.next_step({}).question.id == "Q1"
    session.record("D1", "Q1", "nej")
    assert session.answers("D1") == {"Q1": "Nej"}
    assert store.answers(audit_id, "D1")["Q1"] == "Ja"  # the first reading is untouched
    with pytest.raises(AttributeError):
        view.answers_frame(audit_id)  # nothing else of the store is reachable
    with pytest.raises(InputError, match="inte ditt att läsa"):
        session.answers("D2")
    with pytest.raises(InputError, match="Anna är inte andra granskare"):
        store.set_second_answers(audit_id, [("D1", "Q1", "Ja")], who="Anna")
    with pytest.raises(InputError, match="granskar redan ärendet"):
        store.assign_second(audit_id, {"D1": "ANNA"})


def test_agreement_kappa_and_disagreements(store, flow):
    result = agreement(store, flow, loads(CHECKLIST))
    assert (result.n_pairs, result.n_waiting) == (3, 0)
    q1, q2 = result.questions  # Q3 is free text: not compared
    # Q1 pairs: (Ja, Ja), (Nej, Ja), (Ja, Ja): 2 of 3 alike.  By hand: p_o = 2/3; first
    # margins Ja 2/3, Nej 1/3; second Ja 1; p_e = 2/3 · 1 + 1/3 · 0 = 2/3; κ = 0.
    assert (q1.n, q1.agree) == (3, 2)
    assert q1.kappa.kappa == pytest.approx(0.0, abs=1e-12)
    # Q2 pairs: (God, Bristfällig), (God, God), (Bristfällig, Bristfällig).  p_o = 2/3;
    # first God 2/3, Brist 1/3; second God 1/3, Brist 2/3; p_e = 2/9 + 2/9 = 4/9;
    # κ = (2/3 − 4/9) / (5/9) = 0.4.
    # R: psych::cohen.kappa(matrix(c(1, 0, 1, 1), 2))$kappa = 0.4
    assert q2.kappa.kappa == pytest.approx(0.4)
    assert [(d.case_id, d.question_id, d.first, d.second, d.settled)
            for d in result.disagreements] == [("D1", "Q2", "God", "Bristfällig", False),
                                               ("D2", "Q1", "Nej", "Ja", False)]
    assert result.unsettled == 2


def test_settling_feeds_the_analysis_and_history_keeps_both(store, flow):
    chk = loads(CHECKLIST)
    before = store.answers_frame(flow, settled=True).set_index("case_id")
    assert before.loc["D2", "Q1"] == "Nej"  # unsettled: the first reading
    done = settle_answer(store, flow, chk, "D2", "Q1", "ja", who="Samordnaren")
    assert done.settled and done.settled_value == "Ja"
    frame = store.answers_frame(flow, settled=True).set_index("case_id")
    assert frame.loc["D2", "Q1"] == "Ja" and frame.loc["D1", "Q2"] == "God"
    assert store.answers_frame(flow).set_index("case_id").loc["D2", "Q1"] == "Nej"
    assert agreement(store, flow, chk).unsettled == 1
    # Both readings and the settlement are kept.
    assert store.answers(flow, "D2")["Q1"] == "Nej"
    log = [(r["case_id"], r["question_id"], r["value"], r["changed_by"])
           for r in store.second_answer_log(flow)]
    assert ("D2", "Q1", "Ja", "Bo") in log
    (st,) = store.settlements(flow)
    assert (st.first_value, st.second_value, st.value, st.settled_by) == ("Nej", "Ja", "Ja",
                                                                          "Samordnaren")
    # Settled again: both decisions stay, the latest one holds.
    settle_answer(store, flow, chk, "D2", "Q1", "Nej", who="Samordnaren")
    assert len(store.settlements(flow, latest=False)) == 2
    assert store.answers_frame(flow, settled=True).set_index("case_id").loc["D2", "Q1"] == "Nej"
    # A reading that changes after the settlement opens the disagreement again.
    store.set_answer(flow, "D2", "Q1", "Ja", who="Anna")
    store.set_answer(flow, "D2", "Q1", "Nej", who="Anna")
    assert agreement(store, flow, chk).unsettled == 1  # same values again: still settled
    store.set_second_answers(flow, [("D2", "Q1", "Nej")], who="Bo")
    assert store.settled_values(flow) == {}


def test_settle_refuses_what_is_not_a_disagreement(store, flow):
    chk = loads(CHECKLIST)
    with pytest.raises(InputError, match="ingen skillnad"):
        settle_answer(store, flow, chk, "D3", "Q1", "Ja")
    with pytest.raises(InputError, match="läses inte två gånger"):
        settle_answer(store, flow, chk, "D4", "Q1", "Ja")
    with pytest.raises(InputError, match='ingen fråga "Q9"'):
        settle_answer(store, flow, chk, "D2", "Q9", "Ja")
    with pytest.raises(InputError, match="inget av svarsalternativen"):
        settle_answer(store, flow, chk, "D2", "Q1", "Kanske")
    assert store.settlements(flow) == []


def test_history_tables_are_append_only(store, flow):
    import sqlalchemy as sa

    settle_answer(store, flow, loads(CHECKLIST), "D2", "Q1", "Ja", who="Samordnaren")
    for table in ("second_answers", "settlements"):
        with pytest.raises(sa.exc.DBAPIError, match="Historiken kan bara utökas"):
            with store._engine.begin() as conn:
                conn.exec_driver_sql(f"DELETE FROM {table}")
        with pytest.raises(sa.exc.DBAPIError, match="Historiken kan bara utökas"):
            with store._engine.begin() as conn:
                conn.exec_driver_sql(f"UPDATE {table} SET case_id = 'D9'")


def test_analysis_says_how_many_are_unsettled(store, flow):
    from granskning.audit.double import unsettled_count

    assert unsettled_count(store, flow, loads(CHECKLIST)) == 2
    other = make_audit(store, 2)
    assert unsettled_count(store, other, loads(CHECKLIST)) == 0


def test_double_read_library(store):
    audit_id = make_audit(store, 10)
    store.assign(audit_id, {f"D{i}": "Bo" for i in range(6, 11)}, who="Samordnaren")
    result = double_read(store, audit_id, 0.2, who="Samordnaren")
    # 20 % of 10 = 2; Anna's cases go to Bo and Bo's to Anna.
    assert (result.n_new, result.n_total, result.n_cases) == (2, 2, 10)
    firsts = {c.case_id: c.reviewer for c in store.cases(audit_id)}
    for r in store.second_readings(audit_id):
        assert r.reviewer != firsts[r.case_id]
    again = double_read(store, audit_id, 0.2, who="Samordnaren")
    assert again.n_new == 0 and again.n_total == 2
    trail = store.changes(audit_id)
    assert sum(1 for v in trail["new_value"] if isinstance(v, str) and "(andra läsning)" in v) == 2


# -- the commands ------------------------------------------------------------------------


def test_cli_dubbelgranska_jamfor_avgor(store, flow, db_url, tmp_path):
    path = tmp_path / "lista.yaml"
    path.write_text(CHECKLIST, encoding="utf-8")
    runner = CliRunner()
    base = ["--granskning", str(flow), "--db", db_url]
    r = runner.invoke(cli, ["jamfor", *base, "--checklista", str(path)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "3 ärenden jämförda (båda läsningarna klara)." in out
    assert "Q2" in out and "0,40 (" in out
    assert "ärende D1, Q2: Anna God, Bo Bristfällig – oavgjort" in out
    assert "Skillnader (2 oavgjorda av 2):" in out
    r = runner.invoke(cli, ["avgor", *base, "--checklista", str(path), "--arende", "D1",
                            "--fraga", "Q2", "--svar", "bristfällig"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "Avgjort: ärende D1, Q2: Bristfällig (första läsningen God, andra Bristfällig)" \
        in r.stdout
    r = runner.invoke(cli, ["jamfor", *base, "--checklista", str(path), "--json"])
    data = json.loads(r.stdout)
    assert data["oavgjorda"] == 1 and data["jämförda_ärenden"] == 3
    q2 = next(q for q in data["frågor"] if q["fråga"] == "Q2")
    assert q2["kappa"] == pytest.approx(0.4) and q2["andel_lika"] == pytest.approx(2 / 3)
    assert {d["ärende"]: d["avgjort"] for d in data["skillnader"]} == {"D1": True, "D2": False}
    r = runner.invoke(cli, ["avgor", *base, "--checklista", str(path), "--arende", "D3",
                            "--fraga", "Q1", "--svar", "19121212-1212"])
    assert r.exit_code == 2 and "ingen skillnad" in r.stderr and "Traceback" not in r.output


def test_cli_dubbelgranska(store, db_url):
    audit_id = make_audit(store, 10)
    store.assign(audit_id, {f"D{i}": "Bo" for i in range(6, 11)}, who="Samordnaren")
    runner = CliRunner()
    r = runner.invoke(cli, ["dubbelgranska", "--granskning", str(audit_id), "--db", db_url,
                            "--andel", "25 %"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    # 25 % of 10 = 2,5 -> 3.
    assert f"Granskning {audit_id}: 3 nya andra läsningar; 3 av 10 tilldelade ärenden läses " \
           "två gånger (30,0 %)." in r.stdout
    assert "--andra-lasning" in r.stdout
    r = runner.invoke(cli, ["dubbelgranska", "--granskning", str(audit_id), "--db", db_url,
                            "--andel", "25 %", "--json"])
    assert json.loads(r.stdout)["nya"] == 0
    r = runner.invoke(cli, ["dubbelgranska", "--granskning", str(audit_id), "--db", db_url,
                            "--andel", "150"])
    assert r.exit_code == 2 and "över 100 %" in r.stderr


def test_history_shows_both_readings_and_the_settlement(store, flow):
    from granskning.store import trail

    settle_answer(store, flow, loads(CHECKLIST), "D2", "Q1", "Ja", who="Samordnaren")
    frame = trail.history(store, flow, "D2")
    rows = [(r["what"], r["item"], r["event"], r["changed_by"], r["new_value"])
            for r in frame.to_dict(orient="records")]
    assert ("svar", "Q1", "nytt", "Anna", "Nej") in rows  # the first reading
    assert ("andra läsning", "Q1", "2:a nytt", "Bo", "Ja") in rows  # the second
    assert ("avgörande", "Q1", "avgjord", "Samordnaren", "Ja") in rows  # the settlement
    assert ("tilldelning", None, "tilldelad", "Samordnaren", "Bo (andra läsning)") in rows
    assert ("status", None, "klar", "Bo", "klar (andra läsning)") in rows
    text = trail.render(frame)
    assert "Q1 avgjord" in text and "första: N" in text  # the cell is cut at 10 characters
    assert "Q1 2:a nytt" in text


def test_interval_only_from_ten_pairs():
    from granskning.audit.double import MIN_PAIRS_FOR_INTERVAL, QuestionAgreement

    few = cohen_kappa(pairs({("Ja", "Ja"): 2, ("Nej", "Nej"): 1, ("Ja", "Nej"): 1}))
    assert QuestionAgreement("Q1", "", few, 4, 3, 0).interval is None
    many = cohen_kappa(pairs({("Ja", "Ja"): 20, ("Ja", "Nej"): 10, ("Nej", "Ja"): 5,
                              ("Nej", "Nej"): 15}))
    assert MIN_PAIRS_FOR_INTERVAL == 10
    assert QuestionAgreement("Q1", "", many, 50, 35, 0).interval == (many.low, many.high)


def test_second_reading_view_keeps_the_case_data(store):
    chk = loads(CHECKLIST)
    audit_id = store.create_audit("Med ärendedata", "granskning", chk.id, chk.version,
                                  chk.sha256, None, {}, "Samordnaren")
    store.add_cases(audit_id, [{"case_id": "E1", "stratum": "Farsta", "draw_order": 1,
                                "case_data": {"inkom": "2026-01-05"}}])
    store.assign(audit_id, {"E1": "Anna"}, who="Samordnaren")
    store.assign_second(audit_id, {"E1": "Bo"}, who="Samordnaren")
    (first,) = store.cases(audit_id)
    (seen,) = SecondReadingStore(store, "Bo").cases(audit_id, "bo")
    assert seen.case_data == first.case_data and seen.case_data
    assert (seen.reviewer, seen.status) == ("Bo", "pågår")
    assert SecondReadingStore(store, "Bo").cases(audit_id, "Anna") == []


def test_double_read_uses_the_assigned_spelling_of_a_name(store):
    audit_id = make_audit(store, 4)  # all four assigned to "Anna"
    store.assign(audit_id, {"D3": "bo", "D4": "bo"}, who="Samordnaren")
    double_read(store, audit_id, 1.0, ["ANNA", "Bo"], who="Samordnaren")
    assert sorted({r.reviewer for r in store.second_readings(audit_id)}) == ["Anna", "bo"]


def test_a_case_outside_the_population_is_not_compared(store, flow):
    store.mark_outside(flow, "D2", "Dubblett", with_answers=True, replace=False,
                       who="Samordnaren")
    result = agreement(store, flow, loads(CHECKLIST))
    assert result.n_pairs == 2 and [d.case_id for d in result.disagreements] == ["D1"]


def test_kontroll_tells_a_reviewer_of_second_readings_waiting(store, db_url):
    from granskning.audit.double import second_reading_hint

    audit_id = make_audit(store, 2)  # both Anna's
    store.assign(audit_id, {"D2": "Bo"}, who="Samordnaren")
    store.assign_second(audit_id, {"D1": "Bo"}, who="Samordnaren")
    assert second_reading_hint(store, audit_id, "anna") is None
    assert second_reading_hint(store, audit_id, "bo") == (
        "Du har 1 ärende att läsa en andra gång i dubbelgranskningen: "
        f"granskning kontroll --granskning {audit_id} --andra-lasning")
    store.set_second_answers(audit_id, [("D1", "Q1", "Ja"), ("D1", "Q2", "God")], who="Bo")
    store.mark_second_done(audit_id, "D1", "Bo")
    assert second_reading_hint(store, audit_id, "Bo") is None


def test_the_second_reader_never_becomes_the_first(store):
    from granskning.audit.assignment import assign_cases

    audit_id = make_audit(store, 2)
    store.assign_second(audit_id, {"D1": "Bo"}, who="Samordnaren")
    with pytest.raises(InputError, match="Bo läser ärendet \"D1\" en andra gång"):
        store.assign(audit_id, {"D1": "bo"}, who="Samordnaren")
    with pytest.raises(InputError, match="kan inte också vara dess första granskare"):
        assign_cases(store, audit_id, ["Bo"], reassign=True, who="Samordnaren")
    assert {c.reviewer for c in store.cases(audit_id)} == {"Anna"}  # nothing written


def test_the_analysis_warns_of_unsettled_disagreements(store, flow, tmp_path):
    from granskning.audit.opened import analyse_audit

    path = tmp_path / "lista.yaml"
    path.write_text(CHECKLIST, encoding="utf-8")
    result = analyse_audit(store, flow, checklist=path, gender=False)
    warned = [w for w in result.warnings if "dubbelgranskningens" in w]
    assert warned == ["2 skillnader mellan dubbelgranskningens två läsningar är inte avgjorda; "
                      "analysen använder den första läsningens svar för dem (granskning jamfor, "
                      "granskning avgor)."]
    settle_answer(store, flow, loads(CHECKLIST), "D2", "Q1", "Ja", who="Samordnaren")
    settle_answer(store, flow, loads(CHECKLIST), "D1", "Q2", "God", who="Samordnaren")
    result = analyse_audit(store, flow, checklist=path, gender=False)
    assert not [w for w in result.warnings if "dubbelgranskningens" in w]
