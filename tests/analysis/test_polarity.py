"""Issue 9, items 1 and 7: every indicator says what it counts; adults are women and men.

Item 1: "Fanns kvarstående oro som förhandsbedömningen inte svarade på?" was printed as
"229 av 286 (80,1 %)": the cases WITHOUT remaining concern, read by everyone as the cases with
it. The published finding (SEED-004, DOMAIN.md §1.1 and §4) is about 20 % WITH remaining
concern. The checklist now declares what is counted (``raknas``, ``raknas_som``) and every
output of the demo (report PDF and workbook, ``analys`` text, JSON and workbook) names the
counted category beside the number.

Item 7: an adult audit (the bundled checklist for long-term homelessness) must never say
flickor/pojkar; its sexes come from the data (kvinna/man) and its age bands are adult ones.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from granskning.cli import cli

# Published direction of every indicator the demo reports (DOMAIN.md §1.1/§4, SEED-004):
# question -> (what is counted, numerator, denominator) in the demo's simulated answers,
# which reproduce the published totals.
PUBLISHED = {
    "F7": ("Ja", 52, 208),  # the child was heard in 52 of 208 cases without a hindrance (§2.2)
    "F6": ("Ja", 11, 87),  # notification meeting held in 11 of 87 (§1.1)
    "F14": ("Ja", 1, 16),  # police report considered in 1 of the 16 cases of violence (§1.1)
    "F17": ("kvarstående oro", 57, 286),  # "i cirka 20 procent" WITH remaining concern (§1.1, §4)
}


def _text(path) -> str:
    import pypdf

    text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def _cells(path) -> list[list]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return [[ws.title, *row] for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = CliRunner().invoke(cli, ["demo", "--ut", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    db = f"sqlite:///{out / 'granskning.db'}"
    j = CliRunner().invoke(cli, ["analys", "--granskning", "1", "--db", db, "--json"])
    assert j.exit_code == 0, j.output
    t = CliRunner().invoke(cli, ["analys", "--granskning", "1", "--db", db, "--ut", str(out / "analys.xlsx")])
    assert t.exit_code == 0, t.output
    return out, json.loads(j.stdout), t.stdout


def test_json_names_what_every_indicator_counts(demo):
    _, j, _ = demo
    indicators = j["indikatorer"]
    assert indicators, "the demo has indicators"
    for qid, ind in indicators.items():
        assert ind["raknas"] and ind["raknas_som"], qid
        if ind["jamstalldhet"] is not None:
            assert ind["jamstalldhet"]["raknas_som"] == ind["raknas_som"]
    for qid, (counted, x, n) in PUBLISHED.items():
        ind = indicators[qid]
        assert (ind["raknas_som"], ind["taljare"], ind["namnare"]) == (counted, x, n), qid
    f17 = indicators["F17"]
    assert f17["raknas"] == ["Kvarstående oro (borde utretts)",
                             "Så allvarligt att utredning borde inletts omedelbart"]
    assert f17["andel"] == pytest.approx(57 / 286)  # 19,9 %: "cirka 20 procent"


def test_summary_text_names_the_counted_category_beside_each_number(demo):
    _, j, text = demo
    for qid, ind in j["indikatorer"].items():
        if not ind["namnare"]:
            continue
        line = next(s for s in text.splitlines() if s.endswith(f"[{qid}]"))
        assert f" – andel {ind['raknas_som']}: {ind['taljare']} av {ind['namnare']} (" in line, line
    assert "andel kvarstående oro: 57 av 286 (19,9 %" in text
    assert "229 av 286" not in text


def test_report_pdf_names_the_counted_category_beside_each_number(demo):
    out, j, _ = demo
    text = _text(out / "granskningsrapport.pdf")
    assert "229 av 286" not in text and "80,1 %" not in text
    assert ("Fanns kvarstående oro som förhandsbedömningen inte svarade på? – andel kvarstående oro: "
            "57 av 286 (19,9 %") in text
    from granskning.audit.protocol import load

    reported = load("forhandsbedomningar-2024").indicators  # the indicators the report shows
    assert "F17" in reported
    for qid in reported:
        ind = j["indikatorer"][qid]
        x, n, counted = ind["taljare"], ind["namnare"], ind["raknas_som"]
        hits = [m.start() for m in re.finditer(rf"(?<!\d){x} av {n}\b", text)]
        assert hits, qid
        for start in hits:
            # The sentence or bullet holding the number names what is counted.
            before = re.split(r"[.•:]\s(?=[A-ZÅÄÖ<])", text[max(0, start - 300):start])[-1]
            assert f"ndel {counted}" in before or f"ndel {counted}:" in text[start - 200:start], \
                (qid, text[max(0, start - 200):start + 30])
    # The likställighet tables and the funnel sentence name it too.
    assert "– andel kvarstående oro per stadsdelsförvaltning" in text
    assert "Genomsnittet för staden (andel kvarstående oro) är 19,9 %" in text
    assert "Andelen Ja var" in text  # the gender analysis of F7


def test_workbooks_have_a_counted_column_for_every_indicator(demo):
    out, j, _ = demo
    counted = {q: ind["raknas_som"] for q, ind in j["indikatorer"].items()}
    # The report's workbook: the Indikatorer sheet has the column, filled for every indicator.
    rows = [r for r in _cells(out / "tabeller.xlsx") if r[0].startswith("Indikatorer")]
    header = next(r for r in rows if r[1] == "Indikator")
    col = header.index("Räknas i täljaren")
    body = [r for r in rows[rows.index(header) + 1:] if r[1] and re.match(r"[A-Z]\w*\. ", str(r[1]))]
    assert body
    for r in body:
        qid = str(r[1]).split(".")[0]
        assert r[col] == counted[qid], r
    # Per stratum: the share's header names what is counted.
    per = [r for r in _cells(out / "tabeller.xlsx") if r[0].startswith("F17 per")]
    assert any("Andel kvarstående oro" in r for r in per)
    # analys --ut: every row of Indikatorer, Skattningar and Jämställdhet has the column.
    cells = _cells(out / "analys.xlsx")
    for sheet in ("Indikatorer", "Skattningar", "Jämställdhet"):
        rows = [r[1:] for r in cells if r[0] == sheet]
        col = rows[0].index("Räknas i täljaren")
        assert len(rows) > 1, sheet
        for r in rows[1:]:
            assert r[col] == counted[r[0]], (sheet, r)


# ---------------------------------------------------------------- item 7: adults


@pytest.fixture(scope="module")
def adult_audit(tmp_path_factory):
    """An audit of long-term homelessness (adults, kvinna/man, ages 19–80) in a SQLite database."""
    d = tmp_path_factory.mktemp("vuxna")
    url = f"sqlite:///{d / 'g.db'}"
    return url, d, _adult_audit(url, None)


def _adult_audit(url: str, protocol_text: str | None) -> int:
    import numpy as np

    from granskning.checklist import load
    from granskning.store.database import Store

    chk = load("langvarig-hemloshet")
    rng = np.random.default_rng(2025)
    units = ["Enhet norr", "Enhet syd", "Enhet väst"]
    with Store.open(url, create=True) as store:
        store.init()
        audit_id = store.create_audit(
            title="Långvarig hemlöshet, våren 2025", kind="granskning", checklist_id=chk.id,
            checklist_version=chk.version, checklist_sha256=chk.sha256, protocol_text=protocol_text,
            sample_record=None, created_by="test")
        cases = [{"case_id": f"V-{i:03d}", "stratum": units[i % 3], "draw_order": i + 1,
                  "sex": "kvinna" if rng.random() < 0.45 else "man", "age": int(rng.integers(19, 81))}
                 for i in range(90)]
        store.add_cases(audit_id, cases, who="test")
        changes = []
        for c in cases:
            for q in chk.questions:
                if q.condition is None and q.type in ("janej", "enval") and q.required:
                    changes.append((c["case_id"], q.id, str(rng.choice(q.choices))))
        store.set_answers(audit_id, changes, who="test")
    return audit_id


def test_adult_audit_never_says_girls_or_boys(adult_audit):
    url, d, audit_id = adult_audit
    runner = CliRunner()
    r = runner.invoke(cli, ["rapport", "--granskning", str(audit_id), "--db", url, "--ut", str(d / "r.pdf"),
                            "--ut", str(d / "r.xlsx"), "--json"])
    assert r.exit_code == 0, r.output
    a = runner.invoke(cli, ["analys", "--granskning", str(audit_id), "--db", url, "--json",
                            "--ut", str(d / "a.xlsx"), "--diagram", str(d / "diagram"), "--diagramformat", "svg"])
    assert a.exit_code == 0, a.output
    t = runner.invoke(cli, ["analys", "--granskning", str(audit_id), "--db", url])
    assert t.exit_code == 0, t.output
    texts = {
        "rapport --json": r.stdout, "PDF": _text(d / "r.pdf"),
        "rapport XLSX": " ".join(str(c) for row in _cells(d / "r.xlsx") for c in row if c is not None),
        "analys --json": a.stdout, "analys": t.stdout,
        "analys XLSX": " ".join(str(c) for row in _cells(d / "a.xlsx") for c in row if c is not None),
    }
    for svg in sorted((d / "diagram").glob("*.svg")):
        texts[svg.name] = svg.read_text(encoding="utf-8")
    assert any(name.startswith("jamstalldhet") for name in texts)
    for name, text in texts.items():
        low = text.casefold()
        assert "flick" not in low and "pojk" not in low, name
        assert "barnens ålder" not in low, name
    j = json.loads(a.stdout)
    assert j["kon_benamning"] == {"grupp": "vuxna", "kvinnligt": "kvinnor", "manligt": "män"}
    assert j["aldersgrupper"] == ["18–29 år", "30–49 år", "50–64 år", "65 år och äldre"]
    g = j["indikatorer"]["H1"]["jamstalldhet"]
    assert g["okand_alder"] == 0  # the child bands 0–3/4–6/7–12 left every adult out before
    assert g["kvinnligt"]["namnare"] + g["manligt"]["namnare"] == j["indikatorer"]["H1"]["namnare"]
    pdf = texts["PDF"]
    assert "bland kvinnor" in pdf and "bland män" in pdf and "Andel kvinnor" in pdf
    assert "Kvinnor täljare" in texts["analys XLSX"] and "kvinnor och män per åldersgrupp" in pdf


def test_protocol_decides_the_words_and_the_age_bands(tmp_path):
    # A protocol's benamning and aldersgrupper win over the data, in analys and rapport alike.
    protocol_text = (
        "titel: Hemlöshet\nchecklista: langvarig-hemloshet\nram:\n  id: arende_id\n  strata: enhet\n"
        "urval:\n  per_stratum: 30\n  seed: 1\n"
        "analys:\n  jamstalldhet:\n    benamning: alla\n    aldersgrupper: [[18, 44], [45, 120]]\n")
    url = f"sqlite:///{tmp_path / 'g.db'}"
    audit_id = _adult_audit(url, protocol_text)
    a = CliRunner().invoke(cli, ["analys", "--granskning", str(audit_id), "--db", url, "--json"])
    assert a.exit_code == 0, a.output
    j = json.loads(a.stdout)
    assert j["kon_benamning"] == {"grupp": "alla", "kvinnligt": "kvinnor och flickor",
                                  "manligt": "män och pojkar"}
    assert j["aldersgrupper"] == ["18–44 år", "45 år och äldre"]
    r = CliRunner().invoke(cli, ["rapport", "--granskning", str(audit_id), "--db", url,
                                 "--ut", str(tmp_path / "r.pdf")])
    assert r.exit_code == 0, r.output
    text = _text(tmp_path / "r.pdf")
    assert "bland kvinnor och flickor" in text and "18–44 år" in text
