"""Hand-picked samples (``ny --urval LISTA --handplockat``): every output makes no population claim."""

from __future__ import annotations

import json
import re

import pypdf
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.analysis.nonrandom import NO_CLAIM
from granskning.cli import cli
from granskning.store.database import Store

LIST = "arende;enhet\nA1;Öst\nA2;Öst\nA3;Öst\nA4;=1+1\nA5;=1+1\nA6;=1+1\n"
F3 = ["Ja", "Nej", "Ja", "Ja", "Bristfällig", "Nej"]


def _run(db_url, *args):
    return CliRunner().invoke(cli, [*args, "--db", db_url])


def _pdf_text(path) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def _workbook_text(path) -> str:
    wb = load_workbook(path)
    return " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row
                    if v is not None)


@pytest.fixture
def handpicked(tmp_path, db_url):
    listing = tmp_path / "utvalda.csv"
    listing.write_text(LIST, encoding="utf-8")
    assert _run(db_url, "db", "init").exit_code == 0
    r = _run(db_url, "ny", "--urval", str(listing), "--handplockat", "--id", "arende", "--strata",
             "enhet", "--checklista", "forhandsbedomning-0-12", "--titel", "Öppenvården", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert (doc["ärenden"], doc["reserver"], doc["slumpmassigt_urval"]) == (6, 0, False)
    with Store.open(db_url) as store:
        record = store.audit(1).sample_record
        assert record["slumpmassigt"] is False and record["antal_per_stratum"] == {"=1+1": 3, "Öst": 3}
        for case, value in zip(store.cases(1), F3, strict=True):
            assert case.stratum in ("Öst", "=1+1") and case.case_id.startswith("Ä-")
            store.set_answer(1, case.case_id, "F3", value, who="anna")
    return listing


def test_analys_text_and_json_give_counts_and_shares_only(handpicked, db_url):
    r = _run(db_url, "analys", "--granskning", "1")
    assert r.exit_code == 0, r.output
    assert NO_CLAIM in r.stdout
    assert "KI" not in r.stdout and "Designbaserad" not in r.stdout and "chi-två" not in r.stdout
    assert "andel Ja: 3 av 6 (50,0 %) [F3]" in r.stdout
    doc = json.loads(_run(db_url, "analys", "--granskning", "1", "--json").stdout)
    assert doc["slumpmassigt_urval"] is False
    f3 = doc["indikatorer"]["F3"]
    assert (f3["taljare"], f3["namnare"], f3["andel"], f3["ki"]) == (3, 6, 0.5, [None, None])
    assert f3["skattning"] is None and f3["tratt"] is None
    assert "homogenitet" not in f3 and f3["jamstalldhet"] is None
    assert all(p["ki"] == [None, None] for p in f3["per_stratum"].values())
    assert doc["homogenitet"] == {}


def test_analys_workbook_has_no_interval_or_estimate(handpicked, db_url, tmp_path):
    out = tmp_path / "a.xlsx"
    r = _run(db_url, "analys", "--granskning", "1", "--ut", str(out))
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    assert "Skattningar" not in wb.sheetnames and "Homogenitet" not in wb.sheetnames
    headers = [c.value for c in wb["Indikatorer"][1]]
    assert "Andel" in headers and "KI nedre" not in headers and "Intervallmetod" not in headers
    assert NO_CLAIM in _workbook_text(out)
    # A stratum starting with "=" stays text, never a formula.
    assert "=1+1" in [c.value for c in wb["F3"][2]] or "=1+1" in _workbook_text(out)
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)


def test_report_pdf_and_workbook_make_no_population_claim(handpicked, db_url, tmp_path):
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    r = _run(db_url, "rapport", "--granskning", "1", "--ut", str(pdf), "--ut", str(xlsx))
    assert r.exit_code == 0, r.output
    text = _pdf_text(pdf)
    assert NO_CLAIM in text
    assert "handplockade ur listan utvalda.csv" in text
    for claim in ("konfidensintervall (Wilson)", "dragits slumpmässigt", "chi-två", "felmarginal om",
                  "Skattad andel", "KI nedre", "trattdiagrammet"):
        assert claim not in text, claim
    book = _workbook_text(xlsx)
    assert "KI nedre" not in book and "Skattad" not in book


def test_lista_reads_the_list(handpicked, db_url):
    r = _run(db_url, "lista", "--granskning", "1", "--urval", str(handpicked), "--json")
    assert r.exit_code == 0, r.output
    assert sorted(e["ärende_id"] for e in json.loads(r.stdout)["ärenden"]) == [
        "A1", "A2", "A3", "A4", "A5", "A6"]


@pytest.mark.parametrize(("text", "args", "message"), [
    ("arende\nA1\nA2\nA1\n", [], 'rad 4, kolumn "arende": ärende-id "A1" står redan på rad 2'),
    ("arende;enhet\nA1;Öst\n", [], "ange ärende-id-kolumnen med --id"),
    ("arende;enhet\nA1;19121212-1212\n", ["--id", "arende", "--strata", "enhet"],
     'rad 2, kolumn "enhet"'),
    ("arende\nA1\n", ["--strata", "enhet"], 'kolumn "enhet": kolumnen finns inte'),
    ("arende\n", [], "inga ärenden"),
])
def test_bad_lists_are_refused_and_nothing_is_stored(tmp_path, db_url, text, args, message):
    listing = tmp_path / "lista.csv"
    listing.write_text(text, encoding="utf-8")
    assert _run(db_url, "db", "init").exit_code == 0
    r = _run(db_url, "ny", "--urval", str(listing), "--handplockat", *args, "--checklista",
             "forhandsbedomning-0-12", "--titel", "T")
    assert r.exit_code == 2, r.output
    assert message in r.stderr and "Traceback" not in r.output
    assert "19121212" not in r.output
    with Store.open(db_url) as store:
        assert store.audits() == []


def test_handplockat_refuses_options_of_a_draw(tmp_path, db_url):
    listing = tmp_path / "lista.csv"
    listing.write_text("arende\nA1\n", encoding="utf-8")
    r = _run(db_url, "ny", "--urval", str(listing), "--handplockat", "--ram", str(listing),
             "--checklista", "forhandsbedomning-0-12", "--titel", "T")
    assert r.exit_code == 2 and "--ram kan inte användas med --handplockat" in r.output
    r = _run(db_url, "ny", "--urval", str(listing), "--strata", "x", "--checklista",
             "forhandsbedomning-0-12", "--titel", "T")
    assert r.exit_code == 2 and "används med --handplockat" in r.output
