"""Disclosure control: primary and secondary suppression, audited as an attacker would.

The attacker in these tests is written independently of :mod:`granskning.analysis.disclosure`:
it reads the published figures (the workbook, the JSON and the PDF text of a
masked report, or the figures a pattern leaves printed) and solves, with
scipy's ``linprog``, the minimum and maximum of every withheld count over all
non-negative tables that reproduce what is printed.  Suppression works when no
withheld count collapses to a point (and a small count's interval reaches down
to at least one below its value).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from granskning.analysis.disclosure import Figure, Problem, audit, protect, table_problem
from granskning.audit import protocol_run
from granskning.cli import cli
from granskning.demo import answers as demo_answers
from granskning.demo import exempel
from granskning.store.database import Store


def attacker_interval(n: int, equations: list[tuple[list[int], float]], target: list[int]) -> tuple[float, float]:
    """Return min and max of sum(x[target]) over x ≥ 0 with sum(x[idx]) = value for each equation."""
    from scipy.optimize import linprog

    a = np.zeros((len(equations), n))
    b = np.zeros(len(equations))
    for i, (idx, value) in enumerate(equations):
        a[i, idx] = 1.0
        b[i] = value
    c = np.zeros(n)
    c[target] = 1.0
    lo = linprog(c, A_eq=a if len(b) else None, b_eq=b if len(b) else None, bounds=[(0, None)] * n)
    hi = linprog(-c, A_eq=a if len(b) else None, b_eq=b if len(b) else None, bounds=[(0, None)] * n)
    assert lo.status == 0
    return lo.fun, (np.inf if hi.status == 3 else -hi.fun)


def printed_table(counts: list[list[int]], withheld) -> tuple[list[list[int | None]], list[int | None]]:
    """Return the body as printed (None = withheld) and the printed row totals of a table_problem."""
    body = [[None if ("cell", i, j) in withheld else v for j, v in enumerate(row)] for i, row in enumerate(counts)]
    rows = [None if ("row", i) in withheld else sum(row) for i, row in enumerate(counts)]
    return body, rows


def attack_table(counts: list[list[int]], withheld) -> dict[tuple[int, int], tuple[float, float]]:
    """Return the attacker's interval of every withheld body cell of a two-way table with fixed column totals."""
    nr, nc = len(counts), len(counts[0])
    body, rows = printed_table(counts, withheld)
    eq: list[tuple[list[int], float]] = []
    for i in range(nr):
        for j in range(nc):
            if body[i][j] is not None:
                eq.append(([i * nc + j], body[i][j]))
        if rows[i] is not None:
            eq.append(([i * nc + j for j in range(nc)], rows[i]))
    for j in range(nc):
        eq.append(([i * nc + j for i in range(nr)], sum(counts[i][j] for i in range(nr))))
    return {(i, j): attacker_interval(nr * nc, eq, [i * nc + j])
            for i in range(nr) for j in range(nc) if body[i][j] is None}


# -- known cases --------------------------------------------------------------------


def test_two_by_two_with_one_small_cell_needs_all_four():
    counts = [[1, 9], [8, 7]]
    p = protect(table_problem(counts), 3)
    assert p.primary == {("cell", 0, 0)}
    assert p.withheld == {("cell", 0, 0), ("cell", 0, 1), ("cell", 1, 0), ("cell", 1, 1)}
    # x00 = t, x01 = 10 − t, x10 = 9 − t, x11 = 6 + t, all ≥ 0: 0 ≤ t ≤ 9.
    assert attack_table(counts, p.withheld)[(0, 0)] == pytest.approx((0, 9))
    assert p.intervals[("cell", 0, 0)] == pytest.approx((0, 9))


def test_masking_only_the_small_cell_is_recoverable():
    # What --maskera-under did until now: the single "<3" is the column total minus the rest.
    counts = [[1, 9], [8, 7]]
    assert attack_table(counts, {("cell", 0, 0)})[(0, 0)] == pytest.approx((1, 1))


def test_no_small_cells_nothing_withheld_and_zeros_are_shown():
    p = protect(table_problem([[0, 5, 7], [9, 0, 3]]), 3)
    assert not p.withheld and not p.primary


def test_complements_are_not_zero_cells_when_a_zero_gives_no_protection():
    # x10 is 0: as the complement it could only grow, so x00 could only shrink; the
    # pattern must let x00 reach the threshold (3) too.
    counts = [[2, 5, 6], [0, 4, 8], [7, 7, 7]]
    p = protect(table_problem(counts), 3)
    lo, hi = attack_table(counts, p.withheld)[(0, 0)]
    assert lo <= 1 and hi >= 3


def test_a_small_row_total_is_primary_too():
    # Row 0 sums to 2 over the districts: the city's count is as small as a cell.
    counts = [[1, 1, 0], [9, 8, 12]]
    p = protect(table_problem(counts), 3)
    assert ("row", 0) in p.primary and ("row", 0) in p.withheld
    for (i, j), (lo, hi) in attack_table(counts, p.withheld).items():
        assert hi - lo >= 1, (i, j)


def test_single_column_table_withholds_the_category_totals():
    # One district: each row total equals its cell, and the column total is printed.
    counts = [[1], [25]]
    p = protect(table_problem(counts), 3)
    assert p.withheld == {("cell", 0, 0), ("cell", 1, 0), ("row", 0), ("row", 1)}
    assert attack_table(counts, p.withheld)[(0, 0)] == pytest.approx((0, 26))


def test_figure_fixed_by_design_sizes_is_exempt():
    # The only cell is the printed total: nothing to protect it with.
    problem = Problem((2,), (Figure("cell", (0,)), Figure("total", (0,), fixed=True, sensitive=False)))
    p = protect(problem, 3)
    assert not p.withheld and p.exempt == set()  # equal sums are one figure: fixed, so not primary
    problem = Problem((2, 5), (Figure("a", (0,)), Figure("b", (1,)), Figure("t", (0, 1), fixed=True),
                               Figure("u", (1,), fixed=True)))
    p = protect(problem, 3)
    assert p.exempt == {"a"} and not p.withheld


def test_linked_rate_withholds_the_numerator():
    # An indicator whose numerator is the "Ja" row: printing the district's numerator
    # would print the cell.  Categories Ja, Nej, Hinder; two districts.
    counts = [[1, 6], [9, 3], [2, 4]]
    extra = [(("num", j), [(0, j)], {}) for j in range(2)] + [(("den", j), [(0, j), (1, j)], {}) for j in range(2)]
    p = protect(table_problem(counts, extra=extra), 3)
    assert ("num", 0) in p.withheld and ("cell", 0, 0) in p.withheld
    printed = [f for f in table_problem(counts, extra=extra).figures if f.key not in p.withheld]
    values = [v for row in counts for v in row]
    eq = [(list(f.cells), sum(values[c] for c in f.cells)) for f in printed]
    lo, hi = attacker_interval(len(values), eq, [0])
    assert lo <= 0 and hi >= 3


def test_audit_reports_the_attackers_interval():
    problem = table_problem([[1, 9], [8, 7]])
    out = audit(problem, {("cell", 0, 0)}, [("cell", 0, 0)])
    assert out[("cell", 0, 0)] == pytest.approx((1, 1))


# -- property: random small tables ------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda nc: st.lists(st.lists(st.integers(0, 6), min_size=nc, max_size=nc),
                                                      min_size=2, max_size=4)),
       st.integers(2, 4))
def test_random_tables_leave_no_small_count_recoverable(counts, threshold):
    problem = table_problem(counts)
    p = protect(problem, threshold)
    values = [v for row in counts for v in row]
    printed = [f for f in problem.figures if f.key not in p.withheld]
    eq = [(list(f.cells), sum(values[c] for c in f.cells)) for f in printed]
    for f in problem.figures:
        v = sum(values[c] for c in f.cells)
        if not (0 < v < threshold) or f.fixed:
            continue
        lo, hi = attacker_interval(len(values), eq, list(f.cells))
        if f.key in p.exempt:
            assert hi - lo < 0.5  # determined by the fixed totals: printed anyway
            continue
        assert f.key in p.primary and f.key in p.withheld
        assert hi - lo >= 1 - 1e-7, (f.key, lo, hi)
        assert lo <= v - 1 + 1e-7, (f.key, lo, hi)
        assert p.intervals[f.key] == pytest.approx((lo, hi))


# -- the report: every published figure, read back as an attacker ------------------------


def _answer(store, audit_id: int) -> None:
    """Give the spring-2024 demo audit its simulated answers (as tests/test_report.py does)."""
    cases = store.cases_frame(audit_id)
    answers = demo_answers.preassessment_answers(
        demo_answers.with_frame(cases[~cases["reserve"]], exempel.export_path()))
    store.set_answers(audit_id, list(demo_answers.changes(answers)), who="test")


@pytest.fixture(scope="module")
def masked_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("sdc")
    url = f"sqlite:///{d / 'g.db'}"
    with Store.open(url, create=True) as store:
        store.init()
        audit_id, _ = protocol_run.create_from_protocol(store, "forhandsbedomningar-2024", exempel.export_path(),
                                                        created_by="test")
        _answer(store, audit_id)
        from granskning.report import granskningsrapport as report

        analysis, opened = report.analyse(store, audit_id)
        checklist = opened.checklist
    r = CliRunner().invoke(cli, ["rapport", "--granskning", "1", "--ut", str(d / "m.pdf"), "--ut", str(d / "m.xlsx"),
                                 "--ut", str(d / "m.json"), "--maskera-under", "3", "--db", url, "--json"])
    assert r.exit_code == 0, r.output + r.stderr
    return {"dir": d, "stdout": json.loads(r.stdout), "analysis": analysis, "checklist": checklist,
            "json": json.loads((d / "m.json").read_text(encoding="utf-8"))}


def _xlsx_tables(path) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _unknown(v) -> bool:
    return not isinstance(v, (int, float)) or isinstance(v, bool)


def _published_question_tables(workbook: dict[str, list[list]], analysis) -> dict[str, dict]:
    """Return, per question, what the workbook prints: body, row totals, per-stratum rates, city rate."""
    out = {}
    for qid, t in analysis.tables.items():
        sheet = next((rows for name, rows in workbook.items() if rows and rows[0][0] == t.text
                      and rows[1][0] == t.text), None)
        if sheet is None:
            continue
        header = sheet[1]
        strata = list(header[1:-1])
        body = {}
        totals = {}
        for row in sheet[2:]:
            if not row or row[0] is None or row[0] == analysis.total_label:
                if row and row[0] == analysis.total_label:
                    col_totals = dict(zip(strata, row[1:-1], strict=True))
                    break
                continue
            body.update({(row[0], s): v for s, v in zip(strata, row[1:-1], strict=True)})
            totals[row[0]] = row[-1]
        entry = {"strata": strata, "cats": list(totals), "body": body, "row_totals": totals,
                 "col_totals": col_totals, "rates": {}}
        ind = analysis.indicators.get(qid)
        if ind is not None:
            rates = next((rows for rows in workbook.values() if rows and rows[0][0] == f"{ind.text} – andel "
                          f"{ind.counted} per stadsdelsförvaltning"), None)
            assert rates is not None, qid  # every indicator of the demo protocol has its per-district table
            if rates is not None:
                for row in rates[2:]:
                    if row and row[0] in strata:
                        entry["rates"][row[0]] = (row[1], row[2], row[3:6])
            city = next((rows for rows in workbook.values() if rows and rows[0][0] == "Indikatorer för staden"), None)
            # Columns by name: Indikator, Räknas i täljaren, Täljare, Nämnare, …
            col = {name: i for i, name in enumerate(city[1])} if city else {}
            for row in city[2:] if city else []:
                if row and str(row[0]).startswith(f"{qid}. "):
                    entry["city"] = (row[col["Täljare"]], row[col["Nämnare"]])
        out[qid] = entry
    return out


def _rate_equations(t, q, index, cats, strata) -> list[tuple[list[int], float]]:
    """What an indicator's printed rates (per stratum and for the city) tell the attacker."""
    positive = set(q.numerator_categories)
    excluded = set(q.hindrances) | set(q.not_applicable)
    pos = [c for c in cats if c in positive]
    den = [c for c in cats if c not in excluded]
    eq: list[tuple[list[int], float]] = []
    for s, (num, nobs, shares) in t["rates"].items():
        if _unknown(num):
            assert all(_unknown(x) for x in shares), (q.id, s)  # no rate or Wilson bound left
        else:
            eq.append(([index[c, s] for c in pos], num))
        if _unknown(nobs):
            assert all(_unknown(x) for x in shares), (q.id, s)
        else:
            eq.append(([index[c, s] for c in den], nobs))
    if "city" in t:
        num, nobs = t["city"]
        if not _unknown(num):
            eq.append(([index[c, s] for c in pos for s in strata], num))
        if not _unknown(nobs):
            eq.append(([index[c, s] for c in den for s in strata], nobs))
    return eq


def _table_equations(t, index, cats, strata) -> list[tuple[list[int], float]]:
    """What a question table's printed cells and totals tell the attacker."""
    eq: list[tuple[list[int], float]] = []
    for (c, s), v in t["body"].items():
        if not _unknown(v):
            eq.append(([index[c, s]], v))
    for c, v in t["row_totals"].items():
        if not _unknown(v):
            eq.append(([index[c, s] for s in strata], v))
    for s, v in t["col_totals"].items():
        eq.append(([index[c, s] for c in cats], v))
    return eq


def test_attacker_cannot_recover_any_withheld_count_from_the_workbook(masked_report):
    from granskning.analysis.disclosure import protect  # noqa: F401  (the attacker does not use it)

    d, analysis, checklist = masked_report["dir"], masked_report["analysis"], masked_report["checklist"]
    tables = _published_question_tables(_xlsx_tables(d / "m.xlsx"), analysis)
    assert len(tables) >= 5
    hidden_seen = 0
    for qid, t in tables.items():
        q = checklist.question(qid) if hasattr(checklist, "question") else next(
            x for a in checklist.areas for x in a.questions if x.id == qid)
        cats, strata = t["cats"], t["strata"]
        index = {(c, s): i for i, (c, s) in enumerate((c, s) for c in cats for s in strata)}
        truth = analysis.tables[qid].counts
        eq = _table_equations(t, index, cats, strata)
        if not analysis.tables[qid].multiple and qid in analysis.indicators:
            eq += _rate_equations(t, q, index, cats, strata)
        for (c, s), v in t["body"].items():
            if not _unknown(v):
                continue
            hidden_seen += 1
            lo, hi = attacker_interval(len(index), eq, [index[c, s]])
            value = int(truth.at[c, s])
            assert hi - lo >= 1 - 1e-7, (qid, c, s, lo, hi)
            if 0 < value < 3:
                assert lo <= value - 1 + 1e-7 and hi >= 3 - 1e-7 or hi - lo >= 1, (qid, c, s, lo, hi)
    assert hidden_seen > 20


def test_json_and_pdf_print_the_same_pattern_as_the_workbook(masked_report):
    from pdf_helpers import pdf_text

    d = masked_report["dir"]
    workbook = _xlsx_tables(d / "m.xlsx")
    doc = masked_report["json"]
    assert doc["undertryckning"]["grans"] == 3 and doc["undertryckning"]["sekundara"] > 0
    assert masked_report["stdout"]["undertryckning"] == {k: v for k, v in doc["undertryckning"].items()
                                                          if k in ("grans", "primara", "sekundara", "metod")}
    text = pdf_text(d / "m.pdf")
    checked = 0
    for t in doc["tabeller"]:
        rows = workbook[t["blad"]][2:2 + len(t["rader"])]
        hidden = {tuple(x) for x in t["maskerade"]}
        for i, (jrow, xrow) in enumerate(zip(t["rader"], rows, strict=True)):
            for j, (a, b) in enumerate(zip(jrow, xrow, strict=True)):
                if (i, j) in hidden:
                    assert a is None and b == "..", (t["blad"], i, j)
                elif isinstance(a, (int, float)) and not isinstance(a, bool):
                    assert b == pytest.approx(a), (t["blad"], i, j)
        if t["kolumner"][1:] and t["typer"][1:] and all(k == "count" for k in t["typer"][1:]) and hidden:
            for jrow in t["rader"]:
                printed = " ".join(".." if v is None else f"{v:,}".replace(",", " ") for v in jrow[1:])
                if f"{jrow[0]} {printed}" in text:
                    checked += 1
    assert checked >= 5
    assert "(sekundär undertryckning)" in text and "linjärprogrammering" in text


def test_sentences_and_charts_do_not_quote_withheld_figures(masked_report):
    from pdf_helpers import pdf_text

    d, analysis = masked_report["dir"], masked_report["analysis"]
    text = pdf_text(d / "m.pdf")
    doc = masked_report["json"]
    city = next(t for t in doc["tabeller"] if t["titel"] == "Indikatorer för staden")
    for row in city["rader"]:
        qid = row[0].split(".")[0]
        o = analysis.indicators[qid].result.overall
        if row[2] is None:  # the city's numerator (after "Räknas i täljaren") withheld: no sentence quotes it
            assert f"{o.count} av {o.nobs}" not in text
    assert "Diagrammet utelämnas" in text or "Trattdiagrammet utelämnas" in text
    # Withheld per-stratum rates are not placed in or out of the funnel by name.
    for t in doc["tabeller"]:
        if " per " in t["titel"] and any(f" – andel {i.counted} per " in t["titel"]
                                         for i in analysis.indicators.values()):
            for row in t["rader"]:
                if row[1] is None:
                    assert row[6] is None and row[7] is None
            if any(r[1] is None or r[2] is None for r in t["rader"]):
                assert "redovisas inte eftersom antal är undertryckta" in text


def test_without_threshold_nothing_is_withheld(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    from granskning.report import granskningsrapport as report

    with Store.open(url, create=True) as store:
        store.init()
        audit_id, _ = protocol_run.create_from_protocol(store, "forhandsbedomningar-2024", exempel.export_path(),
                                                        created_by="test")
        _answer(store, audit_id)
        doc = report.build(store, audit_id)
    assert doc.disclosure is None
    assert not any(isinstance(c, str) and c == ".." for t in doc.tables() for r in t.rows for c in r)
    from granskning.report.jsonfile import document_json

    out = document_json(doc)
    assert out["undertryckning"] is None and all(not t["maskerade"] for t in out["tabeller"])
    assert re.search(r"\d", json.dumps(out))


def _gender_cells(nb: int):
    """Cell numbers: per band and sex the numerator (pos) and the rest (neg); then the
    unknown-age rest per sex."""

    def pos(b, k):
        return 4 * b + 2 * k

    def neg(b, k):
        return 4 * b + 2 * k + 1

    def rest(k, which):
        return 4 * nb + 2 * k + which

    return pos, neg, rest, 4 * nb + 4


def _gender_equations(qid, body, last, nb) -> list[tuple[list[int], float]]:
    """What a gender table's printed counts, totals and rates tell the attacker."""
    pos, neg, rest, _ = _gender_cells(nb)
    eq: list[tuple[list[int], float]] = []
    for k, col in enumerate((1, 4)):
        for b, row in enumerate(body):
            x, total, rate = row[col], row[col + 1], row[col + 2]
            if _unknown(x) or _unknown(total):
                assert _unknown(rate), (qid, row)
            if not _unknown(x):
                eq.append(([pos(b, k)], x))
            if not _unknown(total):
                eq.append(([pos(b, k), neg(b, k)], total))
        if not _unknown(last[col]):
            eq.append(([pos(b, k) for b in range(nb)] + [rest(k, 0)], last[col]))
        if not _unknown(last[col + 1]):
            eq.append(([pos(b, k) for b in range(nb)] + [neg(b, k) for b in range(nb)]
                       + [rest(k, 0), rest(k, 1)], last[col + 1]))
    return eq


def test_attacker_cannot_recover_any_withheld_count_in_the_gender_tables(masked_report):
    d, analysis = masked_report["dir"], masked_report["analysis"]
    workbook = _xlsx_tables(d / "m.xlsx")
    seen = tables = 0
    for qid, ind in analysis.indicators.items():
        g = ind.result.gender
        sheet = next((rows for rows in workbook.values()
                      if rows and str(rows[0][0]).startswith(f"{ind.text} – andel")
                      and str(rows[0][0]).endswith(" per åldersgrupp")), None)
        if g is None or sheet is None:
            continue
        tables += 1
        end = next(i for i, r in enumerate(sheet) if r and r[0] == "Samtliga")
        body, last = sheet[2:end], sheet[end]
        nb = len(body)
        pos, neg, _, n = _gender_cells(nb)
        eq = _gender_equations(qid, body, last, nb)
        truth = g.band_table
        for k, (col, sex) in enumerate(((1, g.words.female_one), (4, g.words.male_one))):
            for b, row in enumerate(body):
                part = truth[(truth["band"] == row[0]) & (truth["sex"] == sex)].iloc[0]
                for cells, value, hidden in (([pos(b, k)], int(part["numerator"]), _unknown(row[col])),
                                             ([neg(b, k)], int(part["denominator"] - part["numerator"]),
                                              _unknown(row[col]) or _unknown(row[col + 1]))):
                    lo, hi = attacker_interval(n, eq, cells)
                    if 0 < value < 3:
                        seen += 1
                        assert hidden and hi - lo >= 1 - 1e-7 and lo <= value - 1 + 1e-7, (qid, row[0], sex, lo, hi)
    assert seen > 0 and tables > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda nc: st.lists(st.lists(st.integers(0, 5), min_size=nc, max_size=nc),
                                                      min_size=3, max_size=4)),
       st.integers(2, 4), st.integers(0, 2))
def test_random_tables_with_a_rate_per_column_leave_nothing_recoverable(counts, threshold, excluded_rows):
    # Row 0 is the numerator's category, rows 0..k the denominator's, the last `excluded_rows` rows
    # are left out of the rate (hinder): numerator and denominator per column and for the city are printed.
    nr, nc = len(counts), len(counts[0])
    den_rows = list(range(nr - min(excluded_rows, nr - 2)))
    extra = [(("num", j), [(0, j)], {}) for j in range(nc)]
    extra += [(("den", j), [(i, j) for i in den_rows], {}) for j in range(nc)]
    extra += [(("neg", j), [(i, j) for i in den_rows[1:]], {"published": False}) for j in range(nc)]
    extra += [(("den", None), [(i, j) for i in den_rows for j in range(nc)], {})]
    problem = table_problem(counts, extra=extra)
    p = protect(problem, threshold)
    values = [v for row in counts for v in row]
    eq = [(list(f.cells), sum(values[c] for c in f.cells)) for f in problem.figures
          if f.published and f.key not in p.withheld]
    fixed = {frozenset(f.cells) for f in problem.figures if f.fixed}  # a figure equal to a design size is one
    for f in problem.figures:
        v = sum(values[c] for c in f.cells)
        if frozenset(f.cells) in fixed or not (0 < v < threshold) or f.key in p.exempt:
            continue
        assert f.key in p.primary
        lo, hi = attacker_interval(len(values), eq, list(f.cells))
        assert hi - lo >= 1 - 1e-7 and lo <= v - 1 + 1e-7, (f.key, lo, hi)


def test_when_the_solver_finds_no_pattern_everything_that_may_be_withheld_is(monkeypatch):
    from granskning.analysis import disclosure

    monkeypatch.setattr(disclosure, "_complement", lambda *a, **k: None)  # e.g. the time limit hit
    counts = [[1, 9], [8, 7]]
    p = protect(table_problem(counts), 3)
    assert p.withheld == {("cell", 0, 0), ("cell", 0, 1), ("cell", 1, 0), ("cell", 1, 1), ("row", 0), ("row", 1)}
    assert attack_table(counts, p.withheld)[(0, 0)] == pytest.approx((0, 9))
