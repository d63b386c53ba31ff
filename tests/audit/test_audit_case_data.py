"""Case data travelling from the frame: ``granskning ny`` with and without a protocol.

Ages at each case's own date are worked by hand in comments (completed years
between the birth date in the personnummer and the date; a child born on
29 February turns a year older on 1 March in non-leap years, the convention of
granskning.personnummer.number.age).  The hand-made personnummer are those of
tests/audit/test_audit.py (Luhn check digits computed by hand).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_secrecy import database_text, leaks

from granskning.audit import protocol, protocol_run
from granskning.audit.casedata import CaseDataSpec
from granskning.audit.create import CaseColumns, cases_from_sample
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Store

PNR = {"B1": "20150315-9822", "B2": "20150316-9839", "B3": "20200229-9846"}
# B3 on two dates: 2024-02-28 (3 years old) and 2023-03-01 (3: the day after 28 Feb).
ROWS = [  # id, personnummer, inkom_datum, beslut_datum, antal_besok
    ("B1", PNR["B1"], "2024-03-15", "20240320", "4"),
    ("B2", PNR["B2"], "2024-03-15", "2024-03-29 14:30", "2,5"),
    ("B3", PNR["B3"], "2024-02-28", "", ""),
    ("B4", "20200229-9846", "2024-02-29", "2024-03-01", "0"),
]

CHECKLIST = """\
id: arendetest
titel: Test med ärendedata
version: "1"
arendedata:
  inkom_datum: datum
  beslut_datum: datum
  antal_besok: tal
  alder: tal
omraden:
  - id: a
    titel: A
    fragor:
      - id: F1
        text: Har barnet kommit till tals?
        typ: janej
        visas_om: alder >= 4
      - id: F2
        text: Beslut inom 14 dagar?
        typ: janej
        visas_om: beslut_datum >= inkom_datum
"""


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def write_frame(path: Path, rows=ROWS, extra: str = "") -> Path:
    lines = ["arende_id;stadsdel;personnr;inkom_datum;beslut_datum;antal_besok" + extra]
    lines += [";".join([cid, "Bromma", pnr, inkom, beslut, antal]) + (";x" if extra else "")
              for cid, pnr, inkom, beslut, antal in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path):
    frame = write_frame(tmp_path / "ram.csv")
    checklist = tmp_path / "arendetest.yaml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    sample = tmp_path / "urval.xlsx"
    r = run("urval", frame, "--id", "arende_id", "--strata", "stadsdel", "--per-stratum", 4,
            "--seed", 1, "--ut", sample)
    assert r.exit_code == 0, r.output
    return frame, checklist, sample


def real_ids() -> dict[str, str]:
    from granskning.audit import pseudonym

    key = pseudonym.key()
    return {pseudonym.case(key, f"B{i}"): f"B{i}" for i in range(1, 10)}


def stored(db: str) -> dict:
    real = real_ids()
    with Store.open(db) as store:
        return {real[c.case_id]: c for c in store.cases(1)}


def test_ny_stores_typed_case_data_and_age_at_each_case_date(setup, db_url):
    frame, checklist, sample = setup
    run("db", "init", "--db", db_url)
    r = run("ny", "--urval", sample, "--checklista", checklist, "--titel", "T", "--ram", frame,
            "--personnummer", "personnr", "--aldersdatum", "inkom_datum", "--db", db_url, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["arendedata"] == ["antal_besok", "beslut_datum", "inkom_datum"]
    cases = stored(db_url)
    assert cases["B1"].case_data == {"inkom_datum": "2024-03-15", "beslut_datum": "2024-03-20",
                                     "antal_besok": 4}
    assert cases["B2"].case_data == {"inkom_datum": "2024-03-15", "beslut_datum": "2024-03-29",
                                     "antal_besok": 2.5}
    assert cases["B3"].case_data == {"inkom_datum": "2024-02-28", "beslut_datum": None,
                                     "antal_besok": None}
    # B1 born 2015-03-15, case 2024-03-15: 9 on its birthday.  B2 born 2015-03-16: still 8.
    # B3 born 2020-02-29, case 2024-02-28: 3 (a day short).  B4, same birth, case 2024-02-29: 4.
    assert [cases[c].age for c in ("B1", "B2", "B3", "B4")] == [9, 8, 3, 4]
    assert cases["B1"].sex == "flicka" and cases["B2"].sex == "pojke"
    with Store.open(db_url) as store:
        assert store.audit(1).sample_record["arendedata"] == {
            "arendedata": {"inkom_datum": "inkom_datum", "beslut_datum": "beslut_datum",
                           "antal_besok": "antal_besok"}, "aldersdatum": "inkom_datum"}
    text = database_text(db_url)
    assert not leaks(text)
    for number in PNR.values():
        assert number.replace("-", "")[2:] not in text


def test_without_age_date_one_reference_date_for_all(setup, tmp_path):
    frame, _checklist, sample = setup
    _record, rows = cases_from_sample(sample, columns=CaseColumns(personnummer="personnr"),
                                      frame_path=frame, reference_date=dt.date(2023, 2, 28))
    # The old behaviour: every age at 2023-02-28.  B3/B4 born 2020-02-29: 2 (turns 3 on 1 March).
    ages = {r["case_id"]: r["age"] for r in rows}
    assert ages == {"B1": 7, "B2": 7, "B3": 2, "B4": 2}
    assert all(r["case_data"] == {} for r in rows)


def test_age_date_on_leap_day_birthdays_in_a_common_year(tmp_path):
    rows = [("B3", PNR["B3"], "2023-02-28", "", ""), ("B4", PNR["B3"].replace("9846", "9846"),
                                                       "2023-03-01", "", "")]
    frame = write_frame(tmp_path / "ram.csv", rows)
    sample = tmp_path / "urval.xlsx"
    assert run("urval", frame, "--id", "arende_id", "--per-stratum", 2, "--seed", 1,
               "--kolumner", "personnr,inkom_datum", "--ut", sample).exit_code == 0
    spec = CaseDataSpec({}, "inkom_datum")
    _record, out = cases_from_sample(sample, columns=CaseColumns(personnummer="personnr"),
                                     case_data=spec)
    ages = {r["case_id"]: r["age"] for r in out}
    # Born 2020-02-29: on 2023-02-28 still 2, on 2023-03-01 3.
    assert ages == {"B3": 2, "B4": 3}


def test_default_names_are_the_checklists(setup, tmp_path):
    frame, checklist, sample = setup
    db = tmp_path / "g.db"
    run("db", "init", "--db", db)
    r = run("ny", "--urval", sample, "--checklista", checklist, "--titel", "T", "--ram", frame,
            "--personnummer", "personnr", "--referensdatum", "2024-06-01", "--db", db)
    assert r.exit_code == 0, r.output
    cases = stored(str(db))
    assert cases["B4"].case_data == {"inkom_datum": "2024-02-29", "beslut_datum": "2024-03-01",
                                     "antal_besok": 0}
    assert cases["B4"].age == 4  # born 2020-02-29, at 2024-06-01


@pytest.mark.parametrize(("args", "needle"), [
    (["--personnummer", "personnr", "--arendedata", "inkom_datum"],
     "checklistan arendetest läser ärendedata som inte hämtas ur ramen: beslut_datum (datum), "
     "antal_besok (tal)"),
    (["--arendedata", "inkom_datum,beslut_datum,antal_besok"],
     "läser ärendedata som inte hämtas ur ramen: alder (tal). alder hämtas med ram.alder (--alder) "
     "eller ram.personnummer (--personnummer)"),
    (["--personnummer", "personnr", "--arendedata", "inkom_datum,beslut_datum,antal_besok,p=personnr"],
     'kolumnen "personnr" är personnummerkolumnen; ett personnummer följer aldrig med'),
    (["--personnummer", "personnr", "--arendedata", "inkom_datum,beslut_datum,antal_besok,alder"],
     "alder är ärendets ålder; den hämtas med ram.alder (--alder)"),
    (["--alder", "antal_besok", "--aldersdatum", "inkom_datum"],
     "åldern kan bara räknas vid ärendets datum (aldersdatum) när den räknas fram ur personnumret"),
])
def test_refusals_before_anything_is_stored(setup, tmp_path, args, needle):
    frame, checklist, sample = setup
    db = tmp_path / "g.db"
    run("db", "init", "--db", db)
    r = run("ny", "--urval", sample, "--checklista", checklist, "--titel", "T", "--ram", frame,
            *args, "--db", db)
    assert r.exit_code == 2, r.output
    assert needle in r.stderr
    assert "Traceback" not in r.output
    with Store.open(str(db)) as store:
        assert store.audits() == []


def test_a_column_holding_personnummer_is_refused_and_masked(tmp_path):
    rows = [("B1", PNR["B1"], "2024-03-15", "2024-03-20", PNR["B2"])]  # antal_besok holds one
    frame = write_frame(tmp_path / "ram.csv", rows)
    checklist = tmp_path / "c.yaml"
    checklist.write_text(CHECKLIST.replace("antal_besok: tal", "antal_besok: text"), encoding="utf-8")
    sample = tmp_path / "urval.xlsx"
    assert run("urval", frame, "--id", "arende_id", "--per-stratum", 1, "--seed", 1,
               "--ut", sample).exit_code == 0
    db = tmp_path / "g.db"
    run("db", "init", "--db", db)
    r = run("ny", "--urval", sample, "--checklista", checklist, "--titel", "T", "--ram", frame,
            "--personnummer", "personnr", "--db", db)
    assert r.exit_code == 2
    assert ('ram.csv, rad 2, kolumn "antal_besok": kolumnen används som ärendedata men innehåller '
            "ett personnummer") in r.stderr
    assert not leaks(r.output)
    with Store.open(str(db)) as store:
        assert store.audits() == []
    assert not leaks(database_text(str(db)))


@pytest.mark.parametrize(("cell", "words"), [
    ("2024-02-30", 'datumet "2024-02-30" finns inte: februari 2024 har 29 dagar.'),
    ("1/3/2024", '"1/3/2024" är inget datum. Skriv datum som ÅÅÅÅ-MM-DD'),
    ("45352", "Ett tal i en CSV-fil läses inte som Excel-datumnummer"),
    ("2024-03-01 25:00", "klockslaget finns inte"),
])
def test_bad_dates_name_file_row_and_column(tmp_path, cell, words):
    rows = [*ROWS[:2], ("B3", PNR["B3"], "2024-02-28", cell, "")]
    frame = write_frame(tmp_path / "ram.csv", rows)
    checklist = tmp_path / "c.yaml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    sample = tmp_path / "urval.xlsx"
    assert run("urval", frame, "--id", "arende_id", "--per-stratum", 3, "--seed", 1,
               "--ut", sample).exit_code == 0
    db = tmp_path / "g.db"
    run("db", "init", "--db", db)
    r = run("ny", "--urval", sample, "--checklista", checklist, "--titel", "T", "--ram", frame,
            "--personnummer", "personnr", "--db", db)
    assert r.exit_code == 2, r.output
    assert 'ram.csv, rad 4, kolumn "beslut_datum": ' in r.stderr and words in r.stderr
    with Store.open(str(db)) as store:
        assert store.audits() == []


PROTOCOL = """\
titel: Test med ärendedata
checklista: {checklist}
ram:
  id: arende_id
  strata: stadsdel
  personnummer: personnr
  arendedata: [inkom_datum, beslut_datum, antal_besok]
  aldersdatum: inkom_datum
urval:
  per_stratum: 4
  seed: 7
"""


def test_protocol_case_data_travel_and_errors_name_the_frame_row(setup, tmp_path, db_url):
    frame, checklist, _sample = setup
    proto = tmp_path / "p.yaml"
    proto.write_text(PROTOCOL.format(checklist=checklist), encoding="utf-8")
    run("db", "init", "--db", db_url)
    r = run("ny", proto, "--ram", frame, "--db", db_url, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["arendedata"] == ["inkom_datum", "beslut_datum", "antal_besok"]
    assert doc["aldersdatum"] == "inkom_datum"
    cases = stored(db_url)
    assert [cases[c].age for c in ("B1", "B2", "B3", "B4")] == [9, 8, 3, 4]
    assert cases["B2"].case_data["beslut_datum"] == "2024-03-29"
    # A mapping renames a column; a bad cell names the frame's own row (B3 is on row 4).
    bad = write_frame(tmp_path / "ram2.csv", [*ROWS[:2], ("B3", PNR["B3"], "2024-02-28", "x", ""),
                                              ROWS[3]])
    proto.write_text(PROTOCOL.format(checklist=checklist).replace(
        "[inkom_datum, beslut_datum, antal_besok]",
        "{inkom_datum: inkom_datum, beslut_datum: beslut_datum, antal_besok: antal_besok}"),
        encoding="utf-8")
    r = run("ny", proto, "--ram", bad, "--db", db_url, "--kontrollera-urval")
    assert r.exit_code == 2
    assert 'ram2.csv, rad 4, kolumn "beslut_datum": "x" är inget datum' in r.stderr


def test_protocol_refuses_unsupplied_names_when_validated(tmp_path):
    checklist = tmp_path / "c.yaml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    text = PROTOCOL.format(checklist=checklist).replace("  personnummer: personnr\n", "")
    text = text.replace("  aldersdatum: inkom_datum\n", "")
    with pytest.raises(InputError, match=r"läser ärendedata som inte hämtas ur ramen: alder \(tal\)"):
        protocol.check_against_checklist(protocol.loads(text, source="p.yaml"))
    bad = PROTOCOL.format(checklist=checklist).replace("[inkom_datum, beslut_datum, antal_besok]",
                                                       "{1x: inkom_datum}")
    with pytest.raises(InputError, match="duger inte som namn på ärendedata"):
        protocol_run.draw(protocol.loads(bad, source="p.yaml"), tmp_path / "none.csv")


def test_xlsx_frame_with_excel_serial_dates(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["arende_id", "stadsdel", "personnr", "inkom_datum", "beslut_datum", "antal_besok"])
    ws.append(["B1", "Bromma", PNR["B1"], 45366, dt.datetime(2024, 3, 20, 9, 15), 4])  # 45366 = 2024-03-15
    ws.append(["B2", "Bromma", PNR["B2"], "20240315", "2024-03-29", 3])
    frame = tmp_path / "ram.xlsx"
    wb.save(frame)
    checklist = tmp_path / "c.yaml"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    proto = tmp_path / "p.yaml"
    proto.write_text(PROTOCOL.format(checklist=checklist), encoding="utf-8")
    result = protocol_run.draw(protocol.load(proto), frame)
    rows = {r["case_id"]: r for r in protocol_run.case_rows(result)}
    # Excel serial 45366: 1899-12-30 + 45366 days = 2024-03-15 (DATE(2024;3;15) in Excel).
    assert rows["B1"]["case_data"] == {"inkom_datum": "2024-03-15", "beslut_datum": "2024-03-20",
                                       "antal_besok": 4}
    assert rows["B1"]["age"] == 9 and rows["B2"]["age"] == 8
    assert json.dumps(rows["B2"]["case_data"]) == (
        '{"inkom_datum": "2024-03-15", "beslut_datum": "2024-03-29", "antal_besok": 3}')


def test_checklist_text_for_docs_is_valid():
    from granskning.checklist import loads

    assert loads(textwrap.dedent(CHECKLIST)).case_fields["alder"] == "tal"
