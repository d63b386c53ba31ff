"""An audit without strata is analysed and reported as one group (issue 13, item 4)."""

from __future__ import annotations

import json
import math
import re
import textwrap

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from granskning import checklist as cl
from granskning.analysis.analyse import UNSTRATIFIED, analyse
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Store

CHECKLIST = """\
id: enkel
titel: Enkel
version: "1"
omraden:
  - id: a
    titel: A
    fragor:
      - id: Q1
        text: Finns en aktuell vårdplan?
        typ: janej
        indikator: true
      - id: Q2
        text: Placeringsform
        typ: enval
        val: [Familjehem, Jourhem, Annat]
"""
N_POP = 6830


def cases(strata=None) -> pd.DataFrame:
    """30 cases: Q1 Ja in 20 (every case but each third), Q2 Familjehem, Jourhem, Annat by turn."""
    return pd.DataFrame({
        "case_id": [f"A-{i}" for i in range(30)],
        "enhet": strata if strata is not None else [None] * 30,
        "Q1": ["Nej" if i % 3 == 0 else "Ja" for i in range(30)],
        "Q2": [("Familjehem", "Jourhem", "Annat")[i % 3] for i in range(30)],
    })


@pytest.fixture(scope="module")
def chk():
    return cl.loads(CHECKLIST)


def test_without_strata_the_whole_sample_is_one_group_against_hand_computation(chk) -> None:
    a = analyse(cases(), chk, strata="enhet", id_column="case_id",
                population_sizes={"": N_POP})  # an unstratified draw records N under ""
    assert a.stratified is False and a.strata == (UNSTRATIFIED,)
    assert any("urvalet är inte stratifierat" in w for w in a.warnings)
    r = a.indicators["Q1"].result
    assert (r.overall.count, r.overall.nobs) == (20, 30)
    # Wilson's interval written out: p = 20/30, z = 1.959964; R: prop.test(20, 30, correct =
    # FALSE)$conf.int gives 0.4878005 0.8076950.
    p, n, z = 20 / 30, 30, stats.norm.ppf(0.975)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (r.overall.low, r.overall.high) == pytest.approx((centre - half, centre + half), abs=1e-9)
    assert (r.overall.low, r.overall.high) == pytest.approx((0.4878005, 0.8076950), abs=1e-7)
    # The design-based estimate of a simple random sample with finite population correction:
    # SE² = (1 − n/N) · p(1 − p) / (n − 1); R: svymean(~I(Q1 == "Ja"), svydesign(ids = ~1,
    # fpc = ~N, data = d)) gives SE 0.08735.  Korn–Graubard (svyciprop(method = "beta")):
    # n_eff = p(1 − p)/SE², qbeta(0.025, n_eff·p, n_eff·(1 − p) + 1) and
    # qbeta(0.975, n_eff·p + 1, n_eff·(1 − p)).
    se = math.sqrt((1 - n / N_POP) * p * (1 - p) / (n - 1))
    est = a.indicators["Q1"].to_json_dict()["skattning"]
    assert est["andel"] == pytest.approx(p) and est["standardfel"] == pytest.approx(se, rel=1e-9)
    assert est["standardfel"] == pytest.approx(0.08735, abs=5e-6)
    n_eff = p * (1 - p) / se**2
    low = stats.beta.ppf(0.025, n_eff * p, n_eff * (1 - p) + 1)
    high = stats.beta.ppf(0.975, n_eff * p + 1, n_eff * (1 - p))
    assert est["ki"] == pytest.approx([low, high], abs=1e-9)
    # No comparison between groups: no funnel, no homogeneity test.
    assert a.indicators["Q1"].funnel is None
    assert math.isnan(a.tables["Q2"].homogeneity.p)
    assert a.tables["Q2"].homogeneity.method == "ej tillämpligt"
    counts = a.tables["Q2"].counts
    assert counts[UNSTRATIFIED].tolist() == [10, 10, 10, 30]
    out = a.to_json_dict()
    assert out["stratifierat"] is False and out["strata"] == [UNSTRATIFIED]
    assert out["indikatorer"]["Q1"]["tratt"] is None


def test_blank_strata_in_only_some_cases_are_still_refused(chk) -> None:
    strata = ["A"] * 29 + [" "]
    with pytest.raises(InputError, match='rad 31, kolumn "enhet": stratum saknas'):
        analyse(cases(strata), chk, strata="enhet", id_column="case_id")
    a = analyse(cases(["A", "B"] * 15), chk, strata="enhet", id_column="case_id")
    assert a.stratified is True and a.to_json_dict()["stratifierat"] is True


def test_an_unstratified_audit_is_analysed_and_reported(db_url, tmp_path) -> None:
    path = tmp_path / "enkel.yaml"
    path.write_text(CHECKLIST, encoding="utf-8")
    with Store.open(db_url, create=True) as store:
        store.init()
        chk = cl.load(path)
        record = {"N_totalt": N_POP, "n_totalt": 30,
                  "strata": [{"stratum": "", "N": N_POP, "n": 30, "reserver": 0}]}
        audit = store.create_audit("Utan strata", "granskning", chk.id, chk.version, chk.sha256,
                                   None, record, "samordnare")
        df = cases()
        store.add_cases(audit, [{"case_id": c, "stratum": None, "draw_order": i + 1}
                                for i, c in enumerate(df["case_id"])], who="samordnare")
        for row in df.itertuples():
            store.set_answer(audit, row.case_id, "Q1", row.Q1, who="samordnare")
            store.set_answer(audit, row.case_id, "Q2", row.Q2, who="samordnare")
    run = CliRunner().invoke
    r = run(cli, ["analys", "--granskning", str(audit), "--db", db_url, "--checklista", str(path)])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Analys av 30 ärenden som en grupp, utan strata")
    assert "andel Ja: 20 av 30 (66,7 %, 95 % KI 48,8–80,8 %)" in r.stdout
    r = run(cli, ["analys", "--granskning", str(audit), "--db", db_url, "--checklista", str(path),
                  "--json"])
    data = json.loads(r.stdout)
    assert data["stratifierat"] is False
    assert data["indikatorer"]["Q1"]["skattning"]["standardfel"] == pytest.approx(0.08735, abs=5e-6)
    pdf = tmp_path / "rapport.pdf"
    r = run(cli, ["rapport", "--granskning", str(audit), "--db", db_url, "--checklista", str(path),
                  "--ut", str(pdf), "--ut", str(tmp_path / "tabeller.xlsx")])
    assert r.exit_code == 0, r.output
    import pypdf

    text = " ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    assert "Urvalet drogs ur hela populationen utan stratifiering, totalt 30 ärenden." in text
    assert "så det finns inga grupper att jämföra" in text
    assert "Trattdiagram" not in text and "inom varje stratum" not in text
    assert "Fördelning per" not in text
    assert "Andel Ja: 20 av 30 ärenden (66,7 %" in text


def test_the_wording_of_the_note_is_plain() -> None:
    from granskning.analysis.analyse import UNSTRATIFIED_NOTE

    assert textwrap.shorten(UNSTRATIFIED_NOTE, 60).startswith("urvalet är inte stratifierat")


def test_a_table_without_strata_option_is_one_group(tmp_path) -> None:
    path = tmp_path / "enkel.yaml"
    path.write_text(CHECKLIST, encoding="utf-8")
    csv = tmp_path / "svar.csv"
    cases().drop(columns=["enhet"]).to_csv(csv, sep=";", index=False)
    run = CliRunner().invoke
    r = run(cli, ["analys", str(csv), "--checklista", str(path), "--id", "case_id", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["stratifierat"] is False and data["strata"] == [UNSTRATIFIED]
    assert (data["indikatorer"]["Q1"]["taljare"], data["indikatorer"]["Q1"]["namnare"]) == (20, 30)
    n_file = tmp_path / "N.csv"
    n_file.write_text("stratum;N\nA;100\n", encoding="utf-8")
    r = run(cli, ["analys", str(csv), "--checklista", str(path), "--populationsfil", str(n_file)])
    assert r.exit_code == 2 and "--populationsfil anger populationen per stratum och kräver --strata" \
        in r.stderr
