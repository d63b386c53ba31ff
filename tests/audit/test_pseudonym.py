"""Pseudonyms (granskning.audit.pseudonym), the key, ``granskning ny`` storing them and ``lista``.

Reference values: the pseudonyms below were computed outside Python with OpenSSL
3.0 and GNU coreutils, from the test key of conftest.TEST_KEY:

    printf 'granskning/arende/v1\\000%s' B1 \\
      | openssl dgst -sha256 -mac HMAC -macopt hexkey:$TEST_KEY -binary | base32 | cut -c1-10

(HMAC-SHA256 as in RFC 2104/4231, base32 as in RFC 4648.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import stat

import pytest
from click.testing import CliRunner
from conftest import TEST_KEY
from openpyxl import load_workbook

from granskning.answers.session import Session
from granskning.audit import pseudonym
from granskning.cli import cli
from granskning.errors import InputError
from granskning.store.database import Store

KEY = bytes.fromhex(TEST_KEY)
# openssl dgst -sha256 -mac HMAC (see the module docstring), first ten base32 characters.
OPENSSL = {"B1": "Ä-5CHI5V2YAQ", "191212121212": "Ä-IBV44XJUKP", "101": "Ä-GXYZLBYB3O"}


def test_pseudonyms_match_openssl():
    for real, expected in OPENSSL.items():
        assert pseudonym.case(KEY, real) == expected
    # A spreadsheet's 101.0 is the id 101; surrounding spaces are not part of the id.
    assert pseudonym.case(KEY, 101.0) == pseudonym.case(KEY, " 101 ") == OPENSSL["101"]
    assert pseudonym.is_pseudonym("Ä-5CHI5V2YAQ")
    assert not pseudonym.is_pseudonym("B1") and not pseudonym.is_pseudonym("Ä-5chi5v2yaq")


def test_hmac_primitive_is_rfc_4231():
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    mac = hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
    assert mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_another_key_gives_other_pseudonyms():
    other = bytes(32)
    assert all(pseudonym.case(other, r) != p for r, p in OPENSSL.items())


def test_key_from_environment_hex_or_base64(monkeypatch):
    assert pseudonym.key() == KEY  # conftest sets GRANSKNING_NYCKEL to TEST_KEY (hex)
    import base64

    monkeypatch.setenv("GRANSKNING_NYCKEL", base64.b64encode(KEY).decode())
    assert pseudonym.key() == KEY
    monkeypatch.setenv("GRANSKNING_NYCKEL", "abcd")
    with pytest.raises(InputError, match="minst 16 byte"):
        pseudonym.key()
    monkeypatch.setenv("GRANSKNING_NYCKEL", "inte en nyckel!")
    with pytest.raises(InputError, match="ogiltig"):
        pseudonym.key()


def test_key_file_created_private_and_refused_when_readable(monkeypatch, tmp_path):
    monkeypatch.delenv("GRANSKNING_NYCKEL")
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(InputError, match="Nyckeln för pseudonymer saknas"):
        pseudonym.key()
    made = pseudonym.key(create=True)
    file = tmp_path / ".config" / "granskning" / "nyckel"
    assert len(made) == 32 and file.read_text().strip() == made.hex()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert pseudonym.key() == made == pseudonym.key(create=True)  # read, never replaced
    file.chmod(0o640)
    with pytest.raises(InputError, match=r"rättigheter 0640.*chmod 600"):
        pseudonym.key()
    with pytest.raises(InputError, match="skrivs aldrig över"):
        pseudonym.new_key(file)


# -- granskning ny, the session and granskning lista ------------------------------------


def make_sample(tmp_path):
    frame = tmp_path / "ram.csv"
    rows = ["arende_id;stadsdel"] + [f"B{i};Bromma" for i in range(1, 6)] + [
        f"F{i};Farsta" for i in range(1, 7)]
    frame.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "urval.xlsx"
    r = CliRunner().invoke(cli, ["urval", str(frame), "--id", "arende_id", "--strata", "stadsdel",
                                 "--per-stratum", "3", "--reserv", "1", "--seed", "7",
                                 "--ut", str(out)])
    assert r.exit_code == 0, r.output
    return frame, out


def test_ny_stores_pseudonyms_and_lista_maps_them_back(tmp_path, db_url, monkeypatch):
    frame, sample = make_sample(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "init", "--db", db_url]).exit_code == 0
    r = runner.invoke(cli, ["ny", "--urval", str(sample), "--checklista", "forhandsbedomning-0-12",
                            "--titel", "T", "--db", db_url])
    assert r.exit_code == 0, r.output
    with Store.open(db_url) as store:
        cases = store.cases(1)
    assert len(cases) == 8  # 3 + 3 drawn, 1 + 1 reserves
    assert all(pseudonym.is_pseudonym(c.case_id) for c in cases)
    real = {pseudonym.case(KEY, f"{s}{i}"): f"{s}{i}" for s in "BF" for i in range(1, 7)}
    assert {c.case_id for c in cases} <= set(real)
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url,
                            "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["sekretess"] == "Sekretess enligt OSL 26 kap."
    assert {e["pseudonym"]: e["ärende_id"] for e in doc["ärenden"]} == {
        c.case_id: real[c.case_id] for c in cases}
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url])
    lines = r.stdout.splitlines()
    assert lines[0] == "SEKRETESS ENLIGT OSL 26 KAP." and lines[-1] == "Sekretess enligt OSL 26 kap."
    assert all(len(line) <= 80 for line in lines)
    out = tmp_path / "lista.xlsx"
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url,
                            "--ut", str(out)])
    assert r.exit_code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600
    ws = load_workbook(out)["Lista"]
    assert ws["A1"].value == "Sekretess enligt OSL 26 kap."
    assert ws.oddHeader.center.text == "Sekretess enligt OSL 26 kap."
    assert {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 11)} == {
        c.case_id: real[c.case_id] for c in cases}
    # The frame works too (for audits drawn from a protocol), a wrong key does not.
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(frame), "--db", db_url,
                            "--json"])
    assert r.exit_code == 0 and len(json.loads(r.stdout)["ärenden"]) == 8
    other = tmp_path / "annan-nyckel"
    other.write_text("00" * 32 + "\n")
    other.chmod(0o600)
    monkeypatch.delenv("GRANSKNING_NYCKEL")
    r = runner.invoke(cli, ["lista", "--granskning", "1", "--urval", str(sample), "--db", db_url,
                            "--nyckel", str(other)])
    assert r.exit_code == 2 and "8 av 8 ärenden i granskning 1 finns inte i filen" in r.stderr
    assert "fel nyckel" in r.stderr


def test_session_shows_pseudonym_stratum_and_draw_order(tmp_path, db_url):
    _frame, sample = make_sample(tmp_path)
    from granskning.audit.create import create_from_sample

    with Store.open(db_url, create=True) as store:
        store.init()
        create_from_sample(store, sample, "forhandsbedomning-0-12", "T", created_by="sam",
                           key=KEY)
        first = store.cases(1)[0]
        label = Session.case_label(first)
    assert label == f'Bromma, nr 1 – ärende "{first.case_id}"'
    assert pseudonym.is_pseudonym(first.case_id)


def test_personnummer_as_case_id_is_never_stored(tmp_path):
    # A frame whose case id is the personnummer (Skatteverket's test numbers, valid checks).
    frame = tmp_path / "ram.csv"
    numbers = ["19121212-1212", "20150315-9822", "20150316-9839", "20200229-9846"]
    frame.write_text("pnr;stadsdel\n" + "".join(f"{n};Bromma\n" for n in numbers), "utf-8")
    sample = tmp_path / "urval.xlsx"
    r = CliRunner().invoke(cli, ["urval", str(frame), "--id", "pnr", "--strata", "stadsdel",
                                 "--per-stratum", "4", "--seed", "1", "--ut", str(sample)])
    assert r.exit_code == 0, r.output
    db = tmp_path / "g.db"
    assert CliRunner().invoke(cli, ["db", "init", "--db", str(db)]).exit_code == 0
    r = CliRunner().invoke(cli, ["ny", "--urval", str(sample), "--checklista",
                                 "forhandsbedomning-0-12", "--titel", "T", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # owner only
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("g.db*"))
    for n in numbers:
        assert n.encode() not in raw and n.replace("-", "").encode() not in raw
    with Store.open(str(db)) as store:
        assert {c.case_id for c in store.cases(1)} == {pseudonym.case(KEY, n) for n in numbers}
