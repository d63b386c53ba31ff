"""Secrecy (OSL 26 kap.): no personnummer, in any form people type, survives into storage or output.

Fixtures use Skatteverket's test personnummer 19121212-1212 (published as a test
number; check digit by hand: 1 2 1 2 1 2 1 2 1 weighted 2 1 2 1 2 1 2 1 2 gives the
digit sum 18, 10 - 8 = 2) and the samordningsnummer made from it, 19121272-1219
(day 12 + 60 = 72; 1 2 1 2 7 2 1 2 1 -> products 2 2 2 2 14 2 2 2 2, digit sum 21,
10 - 1 = 9).  19121212-1213 is the same number with a typo in the check digit.

Part one tests the detector (granskning.personnummer.number.find_personnummer) on every
form; part two runs the whole chain (urval -> ny -> tilldela -> svar -> analys ->
rapport -> historik -> lista), feeds the numbers through every input a user has,
and then scans every artefact: the database (SQLite file bytes, WAL included, or
every row of every table on PostgreSQL), the answer template, the PDF text, every
XLSX cell, every JSON document, every stdout/stderr, and the history.  Each scan
uses the detector and, independently, a plain regular expression for the digits
of the fixture numbers with any separators between them.  The coordinator's own
sample workbook and ``granskning lista`` legitimately hold the real case ids and
are not scanned (but are checked to hold only what they should).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from granskning.cli import cli
from granskning.errors import GranskningError, InputError
from granskning.personnummer import number as pnr
from granskning.store.database import Store

TEST_NUMBER = "19121212-1212"  # Skatteverket's test personnummer
COORDINATION = "19121272-1219"  # samordningsnummer: day 12 + 60
TYPO = "19121212-1213"  # wrong check digit: still points at a person

# Every form people type (item 10 of issue 9), for the three numbers above.
FORMS = [
    "19121212-1212", "191212-1212", "121212-1212", "121212+1212", "191212121212",
    "1212121212", "19121212+1212",
    "19121212 1212",  # space
    "1912-12-12-1212",  # dashes between the date parts
    "1912-12-12 1212", "12-12-12-1212", "12 12 12 1212", "1912.12.12-1212",
    "19121212\u20131212",  # en dash
    "19121212\u20141212",  # em dash
    "19121212\u20111212",  # non-breaking hyphen
    "19121212\u22121212",  # minus sign
    "19121212\u00a01212",  # no-break space
    "19121212\u20091212",  # thin space
    "19121212\u202f1212",  # narrow no-break space
    "19121212 - 1212", "19121212  1212", "19121212/1212", "19121212_1212", "1912 1212 1212",
    "19121212-\n1212",  # broken over two lines
    "\uff11\uff19\uff11\uff12\uff11\uff12\uff11\uff12\uff0d\uff11\uff12\uff11\uff12",  # full width
    "１９１２１２１２-1212",  # full-width date, ASCII serial
    "1912\u00ad1212-1212",  # soft hyphen pasted from a web page
    "19121212\u200b-1212",  # zero-width space
    "19121272-1219", "121272-1219", "191212721219", "19121272 1219",  # samordningsnummer
    "19121212-1213", "191212-1213", "19121212 1213", "191212121213",  # typo in check digit
]
# The ten digits of each fixture number (the plain scan looks for these).
CORES = ["1212121212", "1212721219", "1212121213"]
SEPARATORS = r"[\s\-\u00ad\u200b\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d+.*/_:,;|]{0,3}"
PLAIN = [re.compile(SEPARATORS.join(core)) for core in CORES]


# ----------------------------------------------------------------- the detector


@pytest.mark.parametrize("form", FORMS)
def test_every_typed_form_is_found_in_running_text(form: str) -> None:
    text = f"Barnet ({form}) hördes i skolan."
    hits = pnr.find_personnummer(text)
    assert len(hits) == 1, (form, hits)
    assert text[hits[0].start:hits[0].end] == form
    shown = pnr.scrub(text)
    assert not leaks(shown), shown
    assert shown.startswith("Barnet (") and shown.endswith(") hördes i skolan.")


@pytest.mark.parametrize(
    "text",
    [
        "0701234567",  # a mobile number: ten digits in a row, check digit wrong
        "070-123 45 67",
        "Beviljat 2024-03-12 1500 kr",  # a date and an amount
        "1 250 000 kr",
        "Ärende 2024-00123",
        "556677-8899",  # an organisation number (month 66)
        "12345678901234",  # fourteen digits
        "1234567890",
        "Ä-K7QX2MBD4N",  # a pseudonym
        "2024-03-12",
        "9,5 % av 2 400 ärenden",
        "20240312",
        "Beslut 20240312, 1500 kr",
        "2024-03-12, 1212 kr",
        "19121312-1212",  # month 13: not a date
        "19121232-1212",  # day 32
    ],
)
def test_ordinary_numbers_are_not_personnummer(text: str) -> None:
    assert pnr.find_personnummer(text) == []


def test_the_rule_on_wrong_check_digits_is_the_documented_trade_off() -> None:
    # flagged: a personnummer layout (date block, separator, four digits; or twelve
    # digits beginning 18/19/20) with a valid date, whatever the check digit
    for text in ("19121212-1213", "121212-1213", "121212 1213", "191212121213"):
        (hit,) = pnr.find_personnummer(text)
        assert not hit.valid
    # not flagged: ten digits in a row, or separated date parts, with a wrong check digit
    for text in ("1212121213", "1912-12-12-1213", "12 12 12 1213"):
        assert pnr.find_personnummer(text) == []
        assert pnr.find_personnummer(text, loose=True)  # but masked in any output
    # a valid check digit is flagged in every layout
    for text in ("1212121212", "1912-12-12-1212", "12 12 12 1212"):
        assert pnr.find_personnummer(text)[0].valid


def test_masking_keeps_the_text_around_and_hides_the_serial() -> None:
    text = "A 19121212-1212, B １９１２１２７２－１２１９ och C 1912-12-12 1213."
    assert pnr.scrub(text) == "A 19121212-****, B １９１２１２７２－**** och C 1912-12-12 ****."


@pytest.mark.parametrize("form", FORMS)
def test_no_error_message_ever_shows_one(form: str) -> None:
    # Whatever a caller puts into an error (a quoted cell, a file name, a filter), the
    # message shown is masked: GranskningError is the one place every message passes.
    for exc in (GranskningError(f'Värdet "{form}" är inget tal'),
                InputError(f'"{form}" är inget heltal', file=f"ram {form}.csv", row=3,
                           column="alder")):
        assert not leaks(str(exc)) and not leaks(exc.message), str(exc)
        assert not leaks(getattr(exc, "detail", ""))


# -------------------------------------------------------------------- scanning


def leaks(text: str) -> list[str]:
    """Return what in ``text`` is (or shows the digits of) a fixture personnummer."""
    text = unicodedata.normalize("NFKC", text)
    found = [text[h.start:h.end] for h in pnr.find_personnummer(text)]
    found += [m.group(0) for rx in PLAIN for m in rx.finditer(text)]
    return found


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    meta = reader.metadata or {}
    return "\n".join([*(page.extract_text() or "" for page in reader.pages),
                      *(str(v) for v in meta.values())])


def xlsx_text(path: Path) -> str:
    wb = load_workbook(path)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value is not None]
    cells += [ws.title for ws in wb.worksheets]
    props = wb.properties
    cells += [str(getattr(props, k)) for k in ("title", "subject", "creator", "description",
                                               "keywords") if getattr(props, k)]
    return "\n".join(cells)


def database_text(db_url: str) -> str:
    """Every byte of the SQLite file (and its WAL), or every row of every PostgreSQL table."""
    if "://" not in db_url:
        out = []
        for suffix in ("", "-wal", "-journal"):
            p = Path(db_url + suffix)
            if p.exists():
                out.append(p.read_bytes().decode("utf-8", errors="replace"))
        # and the rows as SQLite returns them (JSON text of answers and records)
        con = sqlite3.connect(db_url)
        try:
            for (name,) in con.execute("select name from sqlite_master where type='table'"):
                out.extend(repr(r) for r in con.execute(f'select * from "{name}"'))
        finally:
            con.close()
        return "\n".join(out)
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(db_url).set(drivername="postgresql+psycopg"))
    out = []
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            for name in names:
                out.extend(repr(tuple(r)) for r in conn.execute(sa.text(f'select * from "{name}"')))
    finally:
        engine.dispose()
    return "\n".join(out)


# ------------------------------------------------------------------ the chain

CHECKLIST = "forhandsbedomning-0-12"
COMPLETE = {
    "F1": "Polisen", "F2": "Våld mot barnet; Våld i nära relation", "F13": "Nej", "F15": "Nej",
    "F3": "Ja", "F4": "Inom 14 dagar", "F5": "Fysiskt möte", "F5_hembesok": "Nej", "F7": "Ja",
    "F9": "Ja", "F10": "God", "F11": "Nej", "F16": "Ja", "F17": "Ingen kvarstående oro",
    "F18": "Nej", "F19": "Nej", "F20": "Ja", "F21": "Ingen hänvisning", "F22": "Ej aktuellt",
}  # fmt: skip


class Chain:
    """Runs commands, keeping every stdout/stderr for the final scan."""

    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp, self.db = tmp, db_url
        self.outputs: list[str] = []

    def run(self, *args: str, db: bool = True, code: int = 0) -> str:
        argv = [*map(str, args), *(["--db", self.db] if db else [])]
        r = CliRunner().invoke(cli, argv, catch_exceptions=False)
        self.outputs += [r.stdout, r.stderr]
        assert r.exit_code == code, (argv, r.stdout, r.stderr)
        if code == 2:
            assert r.stderr.startswith("Fel: ") and "Traceback" not in r.stderr, r.stderr
            assert "Oväntat fel" not in r.stderr
        return r.stdout if code == 0 else r.stderr


def write_frame(path: Path) -> Path:
    """Eight cases in two districts: real ids, one of them a personnummer; a personnummer column."""
    rows = ["arende_id;stadsdel;personnr;handlaggare;kon;alder;beslut"]
    for i in range(1, 9):
        cid = TEST_NUMBER if i == 1 else f"FB-{i}"
        number = TEST_NUMBER if i % 2 else COORDINATION
        rows.append(f"{cid};{'Bromma' if i <= 4 else 'Farsta'};{number};"
                    f"{'Anna' if i % 2 else 'Bo'};{'flicka' if i % 2 else 'pojke'};{i + 2};"
                    "Ingen utredning inleds")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def audits_in(db_url: str) -> int:
    with Store.open(db_url) as store:
        return len(store.audits()) if store.schema_version() else 0


def test_whole_chain_leaves_no_personnummer_anywhere(tmp_path: Path, db_url: str) -> None:
    c = Chain(tmp_path, db_url)
    frame = write_frame(tmp_path / "ram.csv")
    sample = tmp_path / "urval.xlsx"
    c.run("db", "init")
    draw = ["urval", str(frame), "--id", "arende_id", "--strata", "stadsdel", "--per-stratum",
            "3", "--seed", "2024", "--reserv", "1", "--kolumner", "personnr,handlaggare,kon"]

    # 1. a personnummer in --filter, in every form: refused, no workbook written
    for form in FORMS:
        bad = tmp_path / "filtrerat.xlsx"
        err = c.run(*draw, "--filter", f"personnr != '{form}'", "--ut", str(bad), db=False,
                    code=2)
        assert "personnummer" in err and "--uteslut" in err
        assert not bad.exists() and not list(tmp_path.glob(".*filtrerat*"))
    c.run(*draw, "--filter", "beslut == 'Ingen utredning inleds'", "--ut", str(sample),
          db=False)

    # 2. the title, in every form: refused before anything is stored
    new = ["ny", "--urval", str(sample), "--checklista", CHECKLIST, "--ram", str(frame)]
    for form in FORMS:
        err = c.run(*new, "--titel", f"Granskning {form}", "--handlaggare", "handlaggare",
                    code=2)
        assert "titeln innehåller ett personnummer" in err.lower()
    # 3. the personnummer column mapped as kön or handläggare: refused, naming the column
    for option in ("--kon", "--handlaggare"):
        err = c.run(*new, "--titel", "Förhandsbedömningar 2024", option, "personnr", code=2)
        assert 'kolumn "personnr"' in err and "personnummer" in err
    # 4. a cell quoted in an error (a personnummer where an age should be)
    err = c.run(*new, "--titel", "T", "--alder", "personnr", code=2)
    assert 'kolumn "personnr"' in err
    assert audits_in(db_url) == 0  # nothing half-written by any refusal

    out = c.run(*new, "--titel", "Förhandsbedömningar 2024", "--personnummer", "personnr",
                "--handlaggare", "handlaggare", "--referensdatum", "2024-06-01", "--json")
    audit = str(json.loads(out)["granskning"])

    # 5. reviewers: a personnummer as a reviewer's name is refused
    c.run("tilldela", "--granskning", audit, "--granskare", f"Anna,{TEST_NUMBER}", code=2)
    c.run("tilldela", "--granskning", audit, "--granskare", "Anna,Bo")

    # 6. answers in the Excel template, every form, in free text and in a motivation
    # on PostgreSQL one is the user one logs in as (the test server's superuser)
    as_anna = ["--granskare", "Anna"] if "://" not in db_url else []
    template = tmp_path / "mall.xlsx"
    c.run("svar", "exportera", "--granskning", audit, "--ut", str(template))
    wb = load_workbook(template)
    ws = wb["Svar"]
    cols = {cell.value: cell.column for cell in ws[1]}
    case_rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value]
    assert case_rows
    with Store.open(db_url) as store:
        history_before = len(store.history(int(audit)))
    for form in FORMS:
        for column in ("F24", "F1__motivering"):
            attempt = tmp_path / "ifylld.xlsx"
            wb = load_workbook(template)
            ws = wb["Svar"]
            for r in case_rows:
                for title, value in COMPLETE.items():
                    ws.cell(r, cols[title]).value = value
                if column == "F1__motivering":
                    ws.cell(r, cols["F1"]).value = "Annan"
                ws.cell(r, cols[column]).value = f"Barnet {form} hördes"
            wb.save(attempt)
            err = c.run("svar", "importera", str(attempt), "--granskning", audit, *as_anna,
                        code=2)
            assert f'kolumn "{column}"' in err and "rad 2" in err and "personnummer" in err
    with Store.open(db_url) as store:
        assert len(store.history(int(audit))) == history_before  # nothing in the history
    # the same answers typed in a session (the interactive prompts re-ask on this error)
    from granskning.answers.session import Session

    with Store.open(db_url) as store:
        session = Session.open(store, int(audit), reviewer="Anna")
        first = session.cases()[0].case_id
        for form in FORMS:
            with pytest.raises(InputError, match="personnummer") as info:
                session.record(first, "F24", f"Anteckning: {form}")
            assert not leaks(str(info.value))
        assert "F24" not in store.answers(int(audit), first)
        # and through the library directly: the store refuses it too
        for form in FORMS:
            with pytest.raises(InputError, match="personnummer"):
                store.set_answer(int(audit), first, "F24", form, who="Anna")
            with pytest.raises(InputError, match="personnummer"):
                store.set_answers(int(audit), [(first, "F2", ["Polisen", form])], who="Anna")
        assert len(store.history(int(audit))) == history_before

    # clean answers for every case
    filled = tmp_path / "ifylld.xlsx"
    wb = load_workbook(template)
    ws = wb["Svar"]
    for r in case_rows:
        for title, value in COMPLETE.items():
            ws.cell(r, cols[title]).value = value
        ws.cell(r, cols["F24"]).value = "Barnet hördes i skolan 2024-03-12; 12 sidor."
    wb.save(filled)
    c.run("svar", "importera", str(filled), "--granskning", audit, *as_anna)

    # 7. outputs: analysis JSON and workbook, report PDF/XLSX (+ refused subtitle and
    #    analysis text), history, the coordinator's list
    tables = tmp_path / "tabeller.xlsx"
    analysis = c.run("analys", "--granskning", audit, "--json", "--ut", str(tables))
    json.loads(analysis)
    pdf, xlsx = tmp_path / "rapport.pdf", tmp_path / "rapport.xlsx"
    text_md = tmp_path / "analys.md"
    for form in FORMS[:6]:
        c.run("rapport", "--granskning", audit, "--ut", str(pdf), "--undertitel", form, code=2)
        text_md.write_text(f"## Handläggning\n\nI ärendet {form} saknades beslut.\n",
                           encoding="utf-8")
        c.run("rapport", "--granskning", audit, "--ut", str(pdf), "--analys-text",
              str(text_md), code=2)
        assert not pdf.exists()
    text_md.write_text("## Handläggning\n\nBesluten var motiverade.\n", encoding="utf-8")
    report_json = c.run("rapport", "--granskning", audit, "--ut", str(pdf), "--ut", str(xlsx),
                        "--analys-text", str(text_md), "--json")
    json.loads(report_json)
    history = c.run("historik", "--granskning", audit)
    history_json = c.run("historik", "--granskning", audit, "--json")
    json.loads(history_json)
    coordinator = c.run("lista", "--granskning", audit, "--urval", str(sample), "--json")
    c.run("svar", "exportera", "--granskning", audit, "--ut", str(template))

    # The coordinator's list and workbook hold the real ids (secret under OSL): the one
    # personnummer-shaped id is there, and only there.
    assert TEST_NUMBER in coordinator
    assert TEST_NUMBER in xlsx_text(sample)

    # 8. scan every artefact
    artefacts = {
        "databasen": database_text(db_url),
        "svarsmallen": xlsx_text(template),
        "analysens JSON": analysis,
        "analysens arbetsbok": xlsx_text(tables),
        "rapportens PDF": pdf_text(pdf),
        "rapportens arbetsbok": xlsx_text(xlsx),
        "rapportens JSON": report_json,
        "historiken": history + history_json,
        "utskrifterna": "\n".join(c.outputs).replace(coordinator, ""),
    }
    assert "Förhandsbedömningar 2024" in artefacts["rapportens PDF"]  # the scan reads text
    assert "Bromma" in artefacts["databasen"] and "Polisen" in artefacts["historiken"]
    found = {name: leaks(text) for name, text in artefacts.items()}
    assert not any(found.values()), found


# ------------------------------------------------- each path, on its own (fast)

SPACED = "19121212 1212"  # main let these three through its free-text check
DASHED = "1912-12-12-1212"
WIDE = "１９１２１２１２－１２１２"


@pytest.mark.parametrize("form", [SPACED, DASHED, WIDE, "191212\u20131212", TYPO])
def test_free_text_check_catches_the_forms_people_type(form: str) -> None:
    from granskning.answers.session import check_free_text

    with pytest.raises(InputError, match="personnummer") as info:
        check_free_text(f"Barnet {form} hördes", file="mall.xlsx", row=4, column="F24")
    assert str(info.value).startswith('mall.xlsx, rad 4, kolumn "F24": ')
    assert not leaks(str(info.value))


def test_store_refuses_every_text_that_would_hold_one(store) -> None:
    for title in (f"Granskning {SPACED}", f"Granskning {WIDE}"):
        with pytest.raises(InputError, match="Titeln innehåller ett personnummer"):
            store.create_audit(title, "granskning", None, None, None, None, {}, "sam")
    with pytest.raises(InputError, match='fältet "design.filter"'):
        store.create_audit("T", "granskning", None, None, None, None,
                           {"design": {"filter": f"pnr != '{DASHED}'", "seed": 1212121212}},
                           "sam")
    assert store.audits() == []
    audit = store.create_audit("T", "granskning", None, None, None, None,
                               {"design": {"seed": 1212121212}}, "sam")  # a number is no text
    for column in ("stratum", "sex", "case_worker"):
        with pytest.raises(InputError, match=f'kolumn "{column}"'):
            store.add_cases(audit, [{"case_id": "A1", column: SPACED}])
    with pytest.raises(InputError, match="personnummer"):
        store.add_cases(audit, [{"case_id": DASHED}])
    store.add_cases(audit, [{"case_id": "A1", "stratum": "Bromma"}])
    with pytest.raises(InputError, match="Granskarens namn innehåller"):
        store.assign(audit, {"A1": WIDE})
    for value in (f"Se {SPACED}", [f"x {DASHED}"], 1212121212, {"a": WIDE}):
        with pytest.raises(InputError, match="Svaret.* innehåller ett personnummer"):
            store.set_answer(audit, "A1", "F24", value, who="anna")
    with pytest.raises(InputError, match=r"Namnet \(vem\) innehåller ett personnummer"):
        store.set_answer(audit, "A1", "F24", "Anteckning", who=f"anna {DASHED}")
    assert len(store.history(audit)) == 0


def test_a_report_holding_one_is_not_written(tmp_path: Path) -> None:
    from granskning.report.document import Document, Paragraph, Table
    from granskning.report.granskningsrapport import write

    table = Table("T", "Per stadsdel", ("Stadsdel", "Antal"), ("text", "count"),
                  ((f"Bromma {SPACED}", 3),))
    for doc in (Document("Rapport", WIDE, (), "sam", ()),
                Document("Rapport", None, (), "sam", (Paragraph(f"Ärendet {DASHED}."),)),
                Document("Rapport", None, (), "sam", (table,))):
        for name in ("r.pdf", "r.xlsx"):
            with pytest.raises(InputError, match="rapporten skrivs inte"):
                write(doc, tmp_path / name)
            assert not (tmp_path / name).exists()


def test_protocol_and_checklist_texts_are_refused(tmp_path: Path) -> None:
    from granskning.audit.protocol import loads as protocol_loads
    from granskning.checklist import loads as checklist_loads

    with pytest.raises(InputError, match='fältet "titel"'):
        protocol_loads(f"titel: Ärenden för {SPACED}\n", source="p.yaml")
    with pytest.raises(InputError, match="rad 2 innehåller ett personnummer"):
        checklist_loads(f"id: x\ntitel: Barnet {DASHED}\n", source="c.yaml")


def test_analysis_with_personnummer_as_labels_writes_nothing(tmp_path: Path) -> None:
    import pandas as pd

    data = tmp_path / "svar.csv"
    pd.DataFrame({"stadsdel": [TEST_NUMBER, "Bromma"] * 4, "F1": ["Polisen"] * 8}).to_csv(
        data, index=False, sep=";")
    out = tmp_path / "t.xlsx"
    r = CliRunner().invoke(cli, ["analys", str(data), "--checklista", CHECKLIST, "--strata",
                                 "stadsdel", "--ut", str(out), "--json"])
    assert r.exit_code == 2, r.output
    assert "personnummer" in r.stderr and not leaks(r.stdout + r.stderr)
    assert not out.exists()


def test_usage_errors_and_unexpected_errors_are_masked() -> None:
    r = CliRunner().invoke(cli, ["tilldela", "--granskning", TEST_NUMBER])
    assert r.exit_code == 2 and not leaks(r.output + r.stderr), r.stderr


def test_a_draw_whose_record_would_hold_one_is_refused(tmp_path: Path) -> None:
    frame = write_frame(tmp_path / "ram.csv")
    named = tmp_path / f"ram {TEST_NUMBER}.csv"
    named.write_bytes(frame.read_bytes())
    for source, strata in ((frame, "personnr"), (named, "stadsdel")):
        out = tmp_path / "urval.xlsx"
        r = CliRunner().invoke(cli, ["urval", str(source), "--id", "arende_id", "--strata",
                                     strata, "--per-stratum", "1", "--seed", "1", "--ut",
                                     str(out)])
        assert r.exit_code == 2, r.output
        assert "Urvalsprotokollet" in r.stderr and not leaks(r.stdout + r.stderr), r.stderr
        assert not out.exists()


def test_history_of_an_older_database_is_masked(tmp_path: Path) -> None:
    # A database written before these checks (or before pseudonyms) may hold a
    # personnummer as a case id or in an answer: historik shows it masked, text and JSON.
    import datetime as dt

    import sqlalchemy as sa

    from granskning.store import schema as s

    db = str(tmp_path / "gammal.db")
    with Store.open(db, create=True) as store:
        store.migrate()
        audit = store.create_audit("Äldre granskning", "granskning", None, None, None, None, {},
                                   "sam")
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # as an older version of the tool wrote them
        conn.execute(sa.insert(s.cases).values(audit_id=audit, case_id=TEST_NUMBER))
        conn.execute(sa.insert(s.answer_history).values(
            audit_id=audit, case_id=TEST_NUMBER, question_id="F24", event="nytt",
            old_value=None, new_value=json.dumps(f"Barnet {SPACED} hördes"), version=1,
            changed_at=dt.datetime(2024, 3, 1, tzinfo=dt.UTC), changed_by="anna",
            tool_version="0.1"))
    engine.dispose()
    for extra in ([], ["--json"], ["--arende", TEST_NUMBER, "--json"]):
        r = CliRunner().invoke(cli, ["historik", "--granskning", str(audit), "--db", db,
                                     "--granskare", "sam", *extra])
        assert r.exit_code == 0, r.output
        assert "Barnet" in r.stdout and not leaks(r.stdout), r.stdout
