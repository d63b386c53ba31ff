"""Creating an audit from a sample: granskning.audit.create and ``granskning ny``.

Reference values are worked by hand in comments: design weights are N_h / n_h
and inclusion probabilities n_h / N_h (Horvitz–Thompson for stratified simple
random sampling, e.g. Lohr, Sampling: Design and Analysis, §3.2); ages are
completed years between the birth date written in the personnummer and the
reference date.  The check digits of the hand-made personnummer below were
computed with the Luhn rule and checked against Skatteverket's published
example 811218-9876 (SKV 704).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from granskning.audit.create import CaseColumns, cases_from_sample, create_from_sample
from granskning.checklist import load
from granskning.cli import cli
from granskning.errors import InputError
from granskning.personnummer.number import synthetic
from granskning.store.database import Store

# Hand-made numbers (Luhn digit by hand).  Sex is the parity of the ninth digit,
# the last digit of the serial (SKV 704): 982 -> 2 girl, 983 -> 3 boy, 984 -> 4 girl.
PNR = {
    "B1": "20150315-9822",
    "B2": "20150316-9839",
    "B3": "20200229-9846",
}


def write_frame(path: Path) -> Path:
    others = synthetic(10, seed=7, birth_from=dt.date(2012, 1, 1), birth_to=dt.date(2022, 12, 31))
    rows = ["arende_id;stadsdel;personnr;handlaggare;kon;alder"]
    for i in range(1, 6):
        cid = f"B{i}"
        rows.append(f"{cid};Bromma;{PNR.get(cid, others[i])};Anna;flicka;{i}")
    for i in range(1, 9):
        rows.append(f"F{i};Farsta;{others[(i + 1) % 10] if i > 4 else others[i - 1]};"
                    f"{'Bo' if i % 2 else 'Cecilia'};pojke;{i + 2}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def real_ids() -> dict[str, str]:
    """Return pseudonym -> frame id for every id of write_frame (the store keeps pseudonyms)."""
    from granskning.audit import pseudonym

    key = pseudonym.key()  # GRANSKNING_NYCKEL, set for every test by conftest
    return {pseudonym.case(key, f"{s}{i}"): f"{s}{i}" for s in "BF" for i in range(1, 9)}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def draw(frame: Path, out: Path, per_stratum: int, reserves: int = 0, keep: str | None = None):
    args = ["urval", str(frame), "--id", "arende_id", "--strata", "stadsdel",
            "--per-stratum", str(per_stratum), "--seed", "2024", "--reserv", str(reserves),
            "--ut", str(out)]
    if keep:
        args += ["--kolumner", keep]
    r = run(*args)
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture
def frame(tmp_path) -> Path:
    return write_frame(tmp_path / "ram.csv")


def test_weights_reserves_and_lookup_from_frame(frame, tmp_path, db_url):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=4, reserves=1)
    run("db", "init", "--db", db_url)
    r = run("ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
            "--titel", "Förhandsbedömningar våren 2024", "--ram", str(frame),
            "--kon", "kon", "--alder", "alder", "--handlaggare", "handlaggare", "--db", db_url)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Granskning 1 skapad: 8 ärenden och 2 reserver, checklista "
                               "forhandsbedomning-0-12 (version 2024.2).")
    with Store.open(db_url) as store:
        audit = store.audit(1)
        cases = store.cases(1)
    assert audit.checklist_id == "forhandsbedomning-0-12" and audit.checklist_version == "2024.2"
    assert audit.checklist_sha256 == load("forhandsbedomning-0-12").sha256
    assert audit.sample_record["design"]["seed"] == 2024
    drawn = [c for c in cases if not c.reserve]
    spare = [c for c in cases if c.reserve]
    assert len(drawn) == 8 and len(spare) == 2
    real = real_ids()
    assert all(c.case_id in real for c in cases)  # only pseudonyms are stored
    for c in drawn:
        rid = real[c.case_id]
        # Bromma N=5, n=4: weight 5/4 = 1.25, probability 0.8; Farsta N=8, n=4: 2.0 and 0.5.
        expected = (1.25, 0.8) if c.stratum == "Bromma" else (2.0, 0.5)
        assert (c.design_weight, c.inclusion_probability) == pytest.approx(expected)
        assert c.draw_order in (1, 2, 3, 4)
        assert c.case_worker == ("Anna" if c.stratum == "Bromma" else
                                 "Bo" if int(rid[1:]) % 2 else "Cecilia")
        assert c.sex == ("flicka" if c.stratum == "Bromma" else "pojke")
        # The frame's alder column: B<i> -> i, F<i> -> i + 2.
        assert c.age == int(rid[1:]) + (0 if c.stratum == "Bromma" else 2)
    for c in spare:
        assert c.draw_order == 5 and c.design_weight is None and c.inclusion_probability is None


def test_sex_and_age_from_personnummer_never_stored(frame, tmp_path):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=8, keep="handlaggare,personnr")
    db = tmp_path / "g.db"
    run("db", "init", "--db", str(db))
    r = run("ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
            "--titel", "T", "--personnummer", "personnr", "--handlaggare", "handlaggare",
            "--referensdatum", "2024-03-15", "--db", str(db), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["granskning"] == 1 and doc["ärenden"] == 13 and doc["reserver"] == 0
    real = real_ids()
    with Store.open(str(db)) as store:
        by_id = {real[c.case_id]: c for c in store.cases(1)}
    # B1 born 2015-03-15: 9 on its birthday 2024-03-15.  B2 born 2015-03-16: still 8.
    # B3 born 2020-02-29: 4 on 2024-03-15.  Ninth digit 2, 3, 4: girl, boy, girl.
    assert (by_id["B1"].age, by_id["B1"].sex) == (9, "flicka")
    assert (by_id["B2"].age, by_id["B2"].sex) == (8, "pojke")
    assert (by_id["B3"].age, by_id["B3"].sex) == (4, "flicka")
    # No personnummer anywhere in the database file (nor its WAL).
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("g.db*"))
    frame_numbers = [line.split(";")[2] for line in frame.read_text().splitlines()[1:]]
    for number in frame_numbers:
        digits = number.replace("-", "")
        assert number.encode() not in raw and digits.encode() not in raw
        assert digits[2:].encode() not in raw  # nor the ten-digit form
    con = sqlite3.connect(db)
    assert "20150315" not in json.dumps(con.execute("select * from audits").fetchall())
    con.close()


def test_leap_day_child_on_28_february(frame, tmp_path):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=8, keep="personnr")
    # Born 2020-02-29: on 2023-02-28 (no 29th that year) still 2; the convention
    # (personnummer.age) turns the year on 1 March.
    _record, rows = cases_from_sample(sample, columns=CaseColumns(personnummer="personnr"),
                                      reference_date=dt.date(2023, 2, 28))
    b3 = next(r for r in rows if r["case_id"] == "B3")
    assert b3["age"] == 2
    assert all("personnr" not in r for r in rows)
    assert all(not any("9846" in str(v) for v in r.values()) for r in rows)


def test_default_reference_date_is_the_draw_date(frame, tmp_path):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=8, keep="personnr")
    record, rows = cases_from_sample(sample, columns=CaseColumns(personnummer="personnr"))
    drawn_on = dt.datetime.fromisoformat(record["tidpunkt"]).date()
    b1 = next(r for r in rows if r["case_id"] == "B1")
    # B1 born 2015-03-15.
    assert b1["age"] == drawn_on.year - 2015 - ((drawn_on.month, drawn_on.day) < (3, 15))


def test_missing_column_without_frame_is_a_clear_error(frame, tmp_path):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=2)
    run("db", "init", "--db", str(tmp_path / "g.db"))
    r = run("ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
            "--titel", "T", "--kon", "kon", "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 2
    assert 'kolumnen "kon" finns inte i urvalet; ange ramen med --ram' in r.stderr
    assert "Traceback" not in r.output


def test_bad_personnummer_named_by_row_and_masked(frame, tmp_path):
    text = frame.read_text().replace("20150316-9839", "20150316-9830")  # wrong check digit
    frame.write_text(text, encoding="utf-8")
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=8)
    run("db", "init", "--db", str(tmp_path / "g.db"))
    r = run("ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
            "--titel", "T", "--ram", str(frame), "--personnummer", "personnr",
            "--db", str(tmp_path / "g.db"))
    assert r.exit_code == 2
    # B2 is on row 3 of ram.csv (header row 1, B1 row 2).
    assert 'ram.csv, rad 3, kolumn "personnr": Ogiltigt personnummer 20150316-****' in r.stderr
    assert "9830" not in r.stderr
    # Nothing was stored: the check runs before the audit is created.
    with Store.open(str(tmp_path / "g.db")) as store:
        assert store.audits() == []


def test_case_missing_from_frame(frame, tmp_path):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=8)
    lines = frame.read_text().splitlines()
    frame.write_text("\n".join(line for line in lines if not line.startswith("F3;")) + "\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match='ärendet "F3" finns inte i ramen'):
        cases_from_sample(sample, columns=CaseColumns(case_worker="handlaggare"),
                          frame_path=frame)


def test_personnummer_with_sex_column_is_refused():
    with pytest.raises(InputError, match="antingen --personnummer"):
        CaseColumns(sex="kon", personnummer="personnr")


def test_library_call_and_survey_next_step(frame, tmp_path, db_url):
    sample = draw(frame, tmp_path / "urval.xlsx", per_stratum=3, keep="handlaggare")
    with Store.open(db_url, create=True) as store:
        store.init()
        audit_id = create_from_sample(store, sample, "delaktighetsenkat", "Enkät 2024",
                                      columns=CaseColumns(case_worker="handlaggare"),
                                      created_by="Inspektör")
        assert audit_id == 1
        assert store.audit(1).created_by == "Inspektör"
        real = real_ids()
        for c in store.cases(1):
            odd = int(real[c.case_id][1:]) % 2
            assert c.case_worker == ("Anna" if c.stratum == "Bromma" else
                                     "Bo" if odd else "Cecilia")
    r = run("ny", "--urval", str(sample), "--checklista", "delaktighetsenkat", "--titel", "E",
            "--db", db_url)
    assert r.exit_code == 0, r.output
    assert "Granskning 2 skapad: 6 ärenden" in r.stdout
    assert "granskning kontroll --granskning 2 --granskare NAMN" in r.stdout
