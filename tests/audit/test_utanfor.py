"""``granskning utanfor``: a case outside the population, the next reserve in, domain estimation."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from granskning.answers.session import Session
from granskning.audit.opened import analyse_audit, open_audit
from granskning.cli import cli
from granskning.store import trail
from granskning.store.database import Store

SIZES = {"Bromma": 40, "Farsta": 60}


def _audit(tmp_path, db_url, *, per_stratum=6, reserves=3):
    frame = tmp_path / "ram.csv"
    rows = ["arende_id;stadsdel"] + [
        f"{s[0]}{i};{s}" for s, n in SIZES.items() for i in range(1, n + 1)]
    frame.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sample = tmp_path / "urval.xlsx"
    runner = CliRunner()
    for args in (
        ["urval", str(frame), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum",
         str(per_stratum), "--reserv", str(reserves), "--seed", "7", "--ut", str(sample)],
        ["db", "init", "--db", db_url],
        ["ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12", "--titel", "T",
         "--db", db_url],
        ["tilldela", "--granskning", "1", "--granskare", "anna,bo", "--db", db_url],
    ):
        r = runner.invoke(cli, args)
        assert r.exit_code == 0, r.output
    return sample


def _run(db_url, *args):
    return CliRunner().invoke(cli, [*args, "--db", db_url])


def _drawn(store, stratum):
    return [c for c in store.cases(1) if c.stratum == stratum and not c.reserve]


def test_utanfor_brings_in_next_reserve_same_reviewer(tmp_path, db_url):
    _audit(tmp_path, db_url)
    with Store.open(db_url) as store:
        first = _drawn(store, "Bromma")[1]
        reserves = sorted((c for c in store.cases(1) if c.reserve and c.stratum == "Bromma"),
                          key=lambda c: c.draw_order)
        before = store.progress(1)
    r = _run(db_url, "utanfor", "--granskning", "1", "--arende", first.case_id,
             "--orsak", "Barnet  är 14 år", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc == {"granskning": 1, "ärende": first.case_id, "stratum": "Bromma",
                   "orsak": "Barnet är 14 år", "reserv": reserves[0].case_id,
                   "granskare": first.reviewer, "sparade_svar": 0}
    with Store.open(db_url) as store:
        cases = {c.case_id: c for c in store.cases(1)}
        assert cases[first.case_id].outside_reason == "Barnet är 14 år"
        new = cases[reserves[0].case_id]
        assert (new.reserve, new.replaces, new.reviewer, new.status) == (
            False, first.case_id, first.reviewer, "pågår")
        assert cases[reserves[1].case_id].reserve  # the next one stays a reserve
        assert store.progress(1) == before  # one case out, one in
        frame = trail.history(store, 1)
    events = frame[frame["case_id"].isin([first.case_id, new.case_id])]["event"].tolist()
    assert events[-3:] == ["utanför", "ersätter", "tilldelad"]
    # Only the tool's rows: the database's own trail (migration 5) found nothing undescribed.
    assert (frame["tool_version"] != "utanför granskning").all()

    r = _run(db_url, "historik", "--granskning", "1")
    assert "utanför" in r.stdout and "reserv in" in r.stdout


def test_utanfor_real_id_and_session_list(tmp_path, db_url):
    _audit(tmp_path, db_url)
    with Store.open(db_url) as store:
        pseudo = {c.case_id for c in store.cases(1)}
    # F-cases by real id (the key of the tests' conftest): the first drawn of Farsta.
    r = _run(db_url, "lista", "--granskning", "1", "--urval", str(tmp_path / "urval.xlsx"),
             "--json")
    listing = json.loads(r.stdout)["ärenden"]
    real = next(e for e in listing if e["stratum"] == "Farsta" and not e["reserv"])
    r = _run(db_url, "utanfor", "--granskning", "1", "--arende", real["ärende_id"],
             "--orsak", "Dubblett")
    assert r.exit_code == 0, r.output
    assert real["pseudonym"] in r.stdout and real["ärende_id"] not in r.stdout
    with Store.open(db_url) as store:
        out = next(c for c in store.cases(1) if c.outside)
        assert out.case_id == real["pseudonym"] and out.case_id in pseudo
        opened = open_audit(store, 1)
        session = Session(store, opened.audit, opened.checklist, out.reviewer)
        assert out.case_id not in {c.case_id for c in session.cases()}


def test_utanfor_refusals_change_nothing(tmp_path, db_url):
    _audit(tmp_path, db_url, reserves=1)
    with Store.open(db_url) as store:
        b = _drawn(store, "Bromma")
        reserve = next(c for c in store.cases(1) if c.reserve and c.stratum == "Bromma")
        store.set_answer(1, b[2].case_id, "F3", "Ja", who="anna")
        counts = store.table_counts()

    def refused(*args, text):
        r = _run(db_url, "utanfor", "--granskning", "1", *args)
        assert r.exit_code == 2, r.output
        assert text in r.stderr, r.stderr
        assert "Traceback" not in r.output
        with Store.open(db_url) as store:
            assert store.table_counts() == counts

    for pnr in ("19121212-1212", "19121212 1212", "191212121212", "19121212–1212"):
        refused("--arende", b[0].case_id, "--orsak", f"Fel person {pnr}", text="personnummer")
    refused("--arende", b[0].case_id, "--orsak", "  ", text="Orsaken saknas")
    refused("--arende", "Ä-AAAAAAAAAA", "--orsak", "x", text="finns inte i granskning 1")
    refused("--arende", reserve.case_id, "--orsak", "x", text="reserv som inte har tagits in")
    refused("--arende", b[2].case_id, "--orsak", "x", text="har redan 1 svar")

    r = _run(db_url, "utanfor", "--granskning", "1", "--arende", b[0].case_id, "--orsak", "x")
    assert r.exit_code == 0, r.output
    # The only Bromma reserve is used: the next one is refused, nothing changed.
    with Store.open(db_url) as store:
        counts = store.table_counts()
    refused("--arende", b[1].case_id, "--orsak", "x",
            text='ingen oanvänd reserv kvar i stratumet "Bromma"')
    refused("--arende", b[0].case_id, "--orsak", "x", text="redan markerat")
    # --utan-reserv marks it anyway; --ja keeps the answers (not analysed).
    r = _run(db_url, "utanfor", "--granskning", "1", "--arende", b[2].case_id, "--orsak", "y",
             "--ja", "--utan-reserv")
    assert r.exit_code == 0, r.output
    assert "1 svar finns kvar" in r.stdout and "Ingen reserv togs in" in r.stdout
    with Store.open(db_url) as store:
        assert store.answers(1, b[2].case_id)["F3"] == "Ja"


# R 4.x, survey 4.x (the reference values below):
#   d <- data.frame(h = c(rep("Bromma", 7), rep("Farsta", 7)),
#                   N = c(rep(40, 7), rep(60, 7)),
#                   inside = c(rep(TRUE, 6), FALSE, rep(TRUE, 6), FALSE),
#                   y = c(1, 1, 0, 1, 0, 1, NA, 1, 0, 0, 0, 1, 0, NA))
#   des <- svydesign(id = ~1, strata = ~h, fpc = ~N, data = d)
#   svymean(~y, subset(des, inside), deff = TRUE)   # 0.46667, SE 0.140528104478, DEff 1.01488095238
#   svytotal(~as.numeric(inside), des)             # 85.714
#   svyby(~as.numeric(inside), ~h, des, svytotal)  # Bromma 34.2857142857, Farsta 51.4285714286
#   attr(svyciprop(~y, des, method = "beta", na.rm = TRUE), "ci")
#                                                    # 0.190290000544 0.759190191760
# The interval is Korn–Graubard's with the degrees of freedom of the whole design (12), as
# for every out-of-domain row (hindrances too, granskning.analysis.estimation); on
# subset(des, inside) R counts 10 (nrow 12, degf 10) and gives 0.189389054561–0.760205364525.
# Estimate and SE are the same either way.
R_MEAN, R_SE = 0.466666666667, 0.140528104478
R_CI = (0.190290000544, 0.759190191760)
R_SIZES = {"Bromma": 34.2857142857, "Farsta": 51.4285714286}
ANSWERS = {"Bromma": ["Ja", "Ja", "Nej", "Ja", "Nej", "Ja"],
           "Farsta": ["Ja", "Nej", "Nej", "Nej", "Ja", "Nej"]}


def test_analysis_is_domain_estimation_as_r_survey(tmp_path, db_url):
    _audit(tmp_path, db_url)
    with Store.open(db_url) as store:
        for stratum in SIZES:
            out = _drawn(store, stratum)[0]
            store.mark_outside(1, out.case_id, "Fel ålder", who="samordnare")
        for stratum, values in ANSWERS.items():
            inside = [c for c in store.cases(1) if c.stratum == stratum and not c.reserve
                      and not c.outside]
            assert len(inside) == 6
            for case, value in zip(inside, values, strict=True):
                store.set_answer(1, case.case_id, "F3", value, who=case.reviewer)
        result = analyse_audit(store, 1, gender=False)
    e = result.indicators["F3"].result.estimate
    assert e.estimate == pytest.approx(R_MEAN, abs=1e-9)
    assert e.se == pytest.approx(R_SE, abs=1e-9)
    assert (e.low, e.high) == pytest.approx(R_CI, abs=1e-9)
    assert (e.n, e.df) == (12, 12)  # the domain's rows; the design's degrees of freedom (14 − 2)
    assert e.population == pytest.approx(85.7142857143)  # R: svytotal(~as.numeric(inside), des)
    assert result.n_cases == 12
    o = result.outside
    assert (o.total, o.replaced, o.per_stratum) == (2, 2, {"Bromma": 1, "Farsta": 1})
    assert o.examined == {"Bromma": 7, "Farsta": 7}
    assert o.estimated_sizes() == pytest.approx(R_SIZES, abs=1e-9)
    doc = result.to_json_dict()["utanfor_populationen"]
    assert doc["per_stratum"]["Bromma"] == {"utanfor": 1, "granskade": 7, "N": 40.0,
                                            "N_skattad": pytest.approx(R_SIZES["Bromma"])}
    # The unweighted shares count only the cases inside: 6 per stratum.
    assert result.indicators["F3"].result.per_stratum["Bromma"].nobs == 6


def _answered_with_outside(tmp_path, db_url):
    _audit(tmp_path, db_url)
    with Store.open(db_url) as store:
        for stratum in SIZES:
            store.mark_outside(1, _drawn(store, stratum)[0].case_id, "Fel ålder", who="samordnare")
        for stratum, values in ANSWERS.items():
            inside = [c for c in store.cases(1) if c.stratum == stratum and not c.reserve
                      and not c.outside]
            for case, value in zip(inside, values, strict=True):
                store.set_answer(1, case.case_id, "F3", value, who=case.reviewer)


SENTENCE = ("2 ärenden låg utanför granskningen och ersattes av reserver ur samma stratum. De "
            "räknas varken som svar eller som bortfall. Populationens storlek i varje stratum "
            "skattas därför som N·(1 − o/n)")


def pdf_text(path) -> str:
    import re

    import pypdf

    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def test_report_and_analys_state_the_rule(tmp_path, db_url):
    _answered_with_outside(tmp_path, db_url)
    r = _run(db_url, "analys", "--granskning", "1")
    assert r.exit_code == 0, r.output
    assert SENTENCE in r.stdout
    # 40·6/7 + 60·6/7 = 85,7: "cirka 86 ärenden av 100 i ramen".
    assert "totalt cirka 86 ärenden av 100 i ramen" in r.stdout
    r = _run(db_url, "analys", "--granskning", "1", "--json")
    doc = json.loads(r.stdout)
    assert doc["utanfor_populationen"]["antal"] == 2
    assert doc["indikatorer"]["F3"]["skattning"]["andel"] == pytest.approx(R_MEAN)
    assert doc["indikatorer"]["F3"]["skattning"]["standardfel"] == pytest.approx(R_SE)
    pdf = tmp_path / "r.pdf"
    r = _run(db_url, "rapport", "--granskning", "1", "--ut", str(pdf))
    assert r.exit_code == 0, r.output
    assert SENTENCE in pdf_text(pdf)


# R, the same design with a number (F4_dagar) for the twelve cases inside:
#   d$y <- c(3, 5, 10, 2, 7, 4, NA, 1, 8, 6, 3, 9, 2, NA)
#   m <- svymean(~y, subset(des, inside)); coef(m); SE(m); confint(m)
#                                   # 4.96666666667, SE 0.86523011283, 3.27084680718–6.66248652615
DAYS = {"Bromma": [3, 5, 10, 2, 7, 4], "Farsta": [1, 8, 6, 3, 9, 2]}


def test_numeric_estimate_is_domain_estimation_as_r_survey(tmp_path, db_url):
    _audit(tmp_path, db_url)
    with Store.open(db_url) as store:
        for stratum in SIZES:
            store.mark_outside(1, _drawn(store, stratum)[0].case_id, "Fel ålder", who="samordnare")
        for stratum, values in DAYS.items():
            inside = [c for c in store.cases(1) if c.stratum == stratum and not c.reserve
                      and not c.outside]
            for case, value in zip(inside, values, strict=True):
                store.set_answer(1, case.case_id, "F4_dagar", value, who=case.reviewer)
        result = analyse_audit(store, 1, gender=False)
    e = result.numeric["F4_dagar"].overall.estimate
    assert e.estimate == pytest.approx(4.96666666667, abs=1e-9)
    assert e.se == pytest.approx(0.86523011283, abs=1e-9)
    assert (e.low, e.high) == pytest.approx((3.27084680718, 6.66248652615), abs=1e-9)
