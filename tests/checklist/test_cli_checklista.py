"""``granskning checklista validera|visa|lista`` through the ``cli`` fixture (click's CliRunner)."""

from __future__ import annotations

import json
import subprocess
import sys

from granskning import checklist as cl

BAD = """\
id: trasig
titel: Trasig
version: "1"
omraden:
  - id: a
    titel: A
    fragor:
      - id: F1
        text: Ett
        typ: enval
        val: [Ja, Nej]
        hinder: [Vill inte]
      - id: F2
        text: Två
        typ: janej
        visas_om: F1 == 'Jaa'
"""


def test_validera_ok(cli) -> None:
    result = cli(*["checklista", "validera", "kollegial-granskning",
                                 str(cl.bundled_dir() / "oppenvard-0-12.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "OK: Kollegial granskning av utredning (version 2022.1, 33 frågor i 4 områden)",
        "OK: Öppenvård för barn 0–12 år (version 2025.1, 23 frågor i 5 områden)",
    ]


def test_validera_reports_every_problem_and_exits_2(cli, tmp_path,
                                                    monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = "trasig.yaml"
    (tmp_path / bad).write_text(BAD, encoding="utf-8")
    result = cli(*["checklista", "validera", bad, "delaktighetsenkat"])
    assert result.exit_code == 2
    assert result.stdout == ("OK: Barnets delaktighet i avslutad utredning "
                             "(version 2024.1, 7 frågor i 2 områden)\n")
    lines = result.stderr.splitlines()
    assert lines == [
        f'Fel: {bad}, rad 12, nyckel "hinder": hindret "Vill inte" finns inte bland '
        "svarsalternativen",
        f'Fel: {bad}, rad 16, nyckel "visas_om": "Jaa" är inget av svarsalternativen för F1 '
        '(Ja, Nej) (menade du "Ja"?)',
    ]
    assert "Traceback" not in result.output


def test_validera_hostile_yaml_tag(cli, tmp_path) -> None:
    evil = tmp_path / "evil.yaml"
    marker = tmp_path / "pwned"
    evil.write_text(f"id: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    result = cli(*["checklista", "validera", str(evil)])
    assert result.exit_code == 2
    assert "YAML-taggen !!python/object/apply:os.system är inte tillåten" in result.stderr
    assert not marker.exists()


def test_validera_unknown_file(cli) -> None:
    result = cli(*["checklista", "validera", "finns-inte.yaml"])
    assert result.exit_code == 2
    assert 'hittar varken filen eller den medföljande checklistan "finns-inte.yaml"' in result.stderr


def test_visa_text_fits_80_columns(cli) -> None:
    result = cli(*["checklista", "visa", "forhandsbedomning-0-12"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "11. F7  Har barnet kommit till tals om anmälan?" in out
    assert "Hinder (räknas inte i nämnaren): Barnet vill inte · Barnet kan inte · VH" in out
    assert "Visas om: F13 är inte ”Nej”" in out
    assert "Visas om: F1 är ”Skolan”, ”Förskolan” eller ”Kontinuerlig vårdkontakt”" in out
    assert "Lagrum: 11 kap. 1 a § SoL" in out
    assert out.startswith("Förhandsbedömningar gällande barn 0–12 år\n")


def test_visa_json(cli) -> None:
    result = cli(*["checklista", "visa", "oppenvard-0-12", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # exactly one JSON object on stdout
    assert data["id"] == "oppenvard-0-12" and data["antal_fragor"] == 23
    o15 = next(q for a in data["omraden"] for q in a["fragor"] if q["id"] == "O15")
    assert o15["val"] == ["Ja", "Nej", "Inget avslutsmöte hålls", "Insatsen pågår fortfarande",
                          "Barnet under fyra år", "Barnet vill inte"]
    assert o15["namnare"] == ["Ja", "Nej"] and o15["positiva"] == ["Ja"]
    o12 = next(q for a in data["omraden"] for q in a["fragor"] if q["id"] == "O12")
    assert o12["visas_om"] == "O11 == 'Ja – föräldrarna slutade komma'"
    assert o12["visas_om_i_ord"] == "O11 är ”Ja – föräldrarna slutade komma”"
    assert (o15["raknas"], o15["raknas_som"]) == (["Ja"], "Ja")


def test_visa_names_what_an_indicator_counts(cli) -> None:
    # Issue 9, item 1: F17 counts the cases WITH remaining concern ("cirka 20 procent", SEED-004).
    result = cli(*["checklista", "visa", "forhandsbedomning-0-12", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    f17 = next(q for a in data["omraden"] for q in a["fragor"] if q["id"] == "F17")
    assert f17["raknas"] == ["Kvarstående oro (borde utretts)",
                             "Så allvarligt att utredning borde inletts omedelbart"]
    assert f17["raknas_som"] == "kvarstående oro" and data["version"] == "2024.2"
    text = cli(*["checklista", "visa", "forhandsbedomning-0-12"]).stdout
    assert "Indikator, räknas i täljaren" in text and "(räknas som kvarstående oro)" in " ".join(text.split())


def test_validera_names_file_row_and_key_for_an_unknown_counted_category(cli, tmp_path) -> None:
    bad = tmp_path / "oro.yaml"
    bad.write_text("id: oro\ntitel: Oro\nversion: '1'\nomraden:\n  - id: a\n    titel: A\n    fragor:\n"
                   "      - id: F17\n        text: Fanns kvarstående oro?\n        typ: enval\n"
                   "        val: [Ingen kvarstående oro, Kvarstående oro]\n"
                   "        raknas: [Kvarstaende oro]\n        indikator: true\n", encoding="utf-8")
    result = cli(*["checklista", "validera", str(bad)])
    assert result.exit_code == 2
    assert ('rad 12, nyckel "raknas": kategorin "Kvarstaende oro" finns inte bland svarsalternativen '
            '(menade du "Kvarstående oro"?)') in result.stderr
    assert "Traceback" not in result.output


def test_visa_bad_file_exit_2(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = "trasig.yaml"
    (tmp_path / bad).write_text(BAD, encoding="utf-8")
    result = cli(*["checklista", "visa", bad, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f'Fel: {bad}, rad 12, nyckel "hinder"')


def test_lista(cli) -> None:
    result = cli(*["checklista", "lista"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "version", "frågor", "titel"]
    row = next(line for line in lines if line.startswith("kollegial-granskning "))
    assert row.split()[1:3] == ["2022.1", "33"]
    data = json.loads(cli(*["checklista", "lista", "--json"]).stdout)
    assert {r["id"]: r["antal_fragor"] for r in data["checklistor"]}["kollegial-granskning"] == 33
    assert len(data["checklistor"]) == 6 and data["med_fel"] == []


def test_module_imports_no_heavy_libraries() -> None:
    code = ("import sys, granskning.cli.checklista, granskning.checklist.model, "
            "granskning.checklist.render; "
            "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'statsmodels', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
