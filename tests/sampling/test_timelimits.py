"""Time limits over the register (issue 11, item 6): `granskning tidsgrans` and its library,
checked against hand-computed and pandas-computed figures."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from granskning.cli import cli
from granskning.personnummer.number import synthetic
from granskning.sampling.dates import read_dates
from granskning.sampling.timelimits import (
    MISSING_STRATUM,
    TimeLimit,
    days_between,
    figures,
    time_limits,
)

# Hand-computed: days from inkom to beslut, 14-day limit.
HAND = [
    ("1", "A", "2024-02-15", "2024-02-29"),        # 14 (leap year: 15 -> 29 February) within
    ("2", "A", "2024-02-28", "2024-03-13"),        # 1 (to 29 Feb) + 13 = 14 within
    ("3", "A", "2023-12-25", "2024-01-09"),        # 6 (to 31 Dec) + 9 = 15 over (year end)
    ("4", "A", "2024-03-01", ""),                  # missing
    ("5", "B", "2023-02-20", "2023-03-06"),        # 8 (to 28 Feb 2023) + 6 = 14 within
    ("6", "B", "2024-03-10", "2024-03-01"),        # -9: beslut before inkom, negative
    ("7", "B", "20241231", "2025-01-14 14:30"),    # 14 within (time of day ignored)
    ("8", "B", "2024-12-31", "2025-01-15"),        # 15 over
    ("9", "", "2024-01-01", "2024-01-01 23:59"),   # 0 within, no stratum
]


def _csv(tmp_path, rows, *, header=("id", "stadsdel", "inkom", "beslut"), sep=";", encoding="cp1252",
         name="ram.csv"):
    path = tmp_path / name
    text = "\r\n".join(sep.join(r) for r in [header, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_hand_computed_figures(tmp_path):
    path = _csv(tmp_path, HAND)
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)], strata="stadsdel")
    t = r.totalt
    assert (t.antal, t.saknar_datum, t.negativa, t.bedomda, t.inom) == (9, 1, 1, 7, 5)
    assert t.andel == pytest.approx(5 / 7)
    # R: quantile(c(14, 14, 15, 14, 14, 15, 0), c(.25, .5, .75))  ->  14, 14, 14.5
    assert (t.kvartiler_dagar, t.median_dagar, t.min_dagar, t.max_dagar) == ((14.0, 14.5), 14.0, 0, 15)
    assert list(r.per_stratum) == ["(stratum saknas)", "A", "B"]
    a, b, none = r.per_stratum["A"], r.per_stratum["B"], r.per_stratum[MISSING_STRATUM]
    # R: quantile(c(14, 14, 15), c(.25, .5, .75))  ->  14, 14, 14.5
    assert (a.antal, a.saknar_datum, a.negativa, a.inom, a.median_dagar, a.kvartiler_dagar) == (
        4, 1, 0, 2, 14.0, (14.0, 14.5))
    assert (b.antal, b.saknar_datum, b.negativa, b.inom, b.median_dagar, b.kvartiler_dagar) == (
        4, 0, 1, 2, 14.0, (14.0, 14.5))
    assert (none.antal, none.inom, none.median_dagar) == (1, 1, 0.0)
    assert sum(f.antal for f in r.per_stratum.values()) == t.antal


def test_limit_day_counts_and_zero_limit(tmp_path):
    path = _csv(tmp_path, HAND)
    (r13, r14, r15, r0) = time_limits(path, [TimeLimit("inkom", "beslut", d) for d in (13, 14, 15, 0)])
    assert (r13.totalt.inom, r14.totalt.inom, r15.totalt.inom, r0.totalt.inom) == (1, 5, 7, 1)


def test_cli_text_json_and_sentence(tmp_path):
    path = _csv(tmp_path, HAND)
    res = run("tidsgrans", str(path), "--fran", "inkom", "--till", "beslut", "--dagar", "14",
              "--strata", "stadsdel")
    assert res.exit_code == 0, res.output
    assert ("71,4 % av ärendena (5 av 7) hade högst 14 dagar från inkom till beslut; 1 saknade datum "
            "och 1 hade beslut före inkom och räknades inte.") in " ".join(res.stdout.split())
    assert "Ram: ram.csv (CSV, UTF-8, semikolon), 9 rader" in res.stdout  # ASCII only: read as UTF-8
    totals = next(line for line in res.stdout.splitlines() if line.startswith("Totalt"))
    assert totals.split() == ["Totalt", "9", "7", "5", "71,4", "%", "14,0", "14,0–14,5", "1", "1"]
    js = run("tidsgrans", str(path), "--fran", "inkom", "--till", "beslut", "--dagar", "14",
             "--strata", "stadsdel", "--json")
    assert js.exit_code == 0
    doc = json.loads(js.stdout)
    assert doc["totalt"]["andel"] == pytest.approx(5 / 7)
    assert {"antal", "inom", "andel", "median_dagar", "saknar_datum", "kvartiler_dagar",
            "negativa", "bedomda"} <= set(doc["totalt"])
    assert doc["per_stratum"]["A"]["inom"] == 2 and doc["dagar"] == 14
    assert doc["ram"]["fil"] == "ram.csv"


def test_against_pandas_on_a_random_register(tmp_path):
    rng = np.random.default_rng(11)
    n = 5000
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    days = rng.integers(-3, 60, n)
    end = start + pd.to_timedelta(days, unit="D")
    strata = rng.choice(["Bromma", "Farsta", "Järva", "Södermalm"], n)
    inkom = start.strftime("%Y-%m-%d").to_numpy(dtype=object)
    beslut = end.strftime("%Y%m%d").to_numpy(dtype=object).copy()
    beslut[rng.random(n) < 0.05] = ""
    rows = [(str(i), s, a, b) for i, (s, a, b) in enumerate(zip(strata, inkom, beslut, strict=True))]
    path = _csv(tmp_path, rows, encoding="utf-8-sig", sep=",")
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)], strata="stadsdel")
    # the same figures computed by pandas alone
    df = pd.DataFrame({"s": strata, "a": pd.to_datetime(inkom),
                       "b": pd.to_datetime(pd.Series(beslut).replace("", None), format="%Y%m%d")})
    df["d"] = (df.b - df.a).dt.days
    for name, g in df.groupby("s"):
        ok = g.d[g.d >= 0]
        f = r.per_stratum[name]
        assert f.antal == len(g)
        assert f.saknar_datum == g.d.isna().sum()
        assert f.negativa == (g.d < 0).sum()
        assert f.inom == (ok <= 14).sum()
        assert f.andel == pytest.approx((ok <= 14).mean())
        assert f.median_dagar == ok.median()
        assert f.kvartiler_dagar == (ok.quantile(0.25), ok.quantile(0.75))


def test_xlsx_register_with_date_cells_and_serials(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "stadsdel", "inkom", "beslut"])
    ws.append(["1", "Farsta", dt.date(2024, 2, 15), dt.date(2024, 2, 29)])
    ws.append(["2", "Farsta", dt.datetime(2024, 2, 28, 9, 0), 45364])   # serial 45364 = 2024-03-13
    ws.append(["3", "Farsta", "2023-12-25", 45300.75])                  # serial 45300 = 2024-01-09
    path = tmp_path / "ram.xlsx"
    wb.save(path)
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)])
    assert (r.totalt.antal, r.totalt.inom, r.totalt.max_dagar) == (3, 2, 15)


def test_filter_selects_population(tmp_path):
    path = _csv(tmp_path, HAND)
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)], filter='stadsdel == "A"')
    assert (r.totalt.antal, r.totalt.inom, r.rows_read) == (4, 2, 9)
    res = run("tidsgrans", str(path), "--fran", "inkom", "--till", "beslut", "--dagar", "14",
              "--filter", 'stadsdel == "Ö"')
    assert res.exit_code == 2
    assert "inga ärenden återstår efter filtret" in res.stderr


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2024-02-30", 'ram.csv, rad 5, kolumn "beslut": datumet "2024-02-30" finns inte: februari 2024 har 29 dagar.'),
        ("2023-02-29", 'ram.csv, rad 5, kolumn "beslut": datumet "2023-02-29" finns inte: februari 2023 har 28 dagar.'),
        ("31/12/2024", 'ram.csv, rad 5, kolumn "beslut": "31/12/2024" är inget datum.'),
        ("45352", "Ett tal i en CSV-fil läses inte som Excel-datumnummer"),
    ],
)
def test_malformed_date_exit_2_with_location(tmp_path, cell, message):
    rows = [*HAND[:3], ("x", "A", "2024-01-01", cell), *HAND[4:]]
    path = _csv(tmp_path, rows)
    res = CliRunner().invoke(cli, ["tidsgrans", str(path), "--fran", "inkom", "--till", "beslut",
                                   "--dagar", "14"])
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output and res.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fran", "inkomst", "--till", "beslut", "--dagar", "14"], 'kolumn "inkomst": kolumnen finns inte'),
        (["--fran", "inkom", "--till", "beslut", "--dagar", "-1"], "--dagar"),
        (["--fran", "inkom", "--till", "inkom", "--dagar", "14"], "samma kolumn"),
        (["--fran", "inkom", "--till", "beslut", "--dagar", "99999999999999999999"], "högst 36 525 dagar"),
        (["--fran", "inkom", "--till", "beslut", "--dagar", "14", "--strata", "stadsdel2"], "stadsdel2"),
        (["--fran", "inkom", "--till", "beslut", "--dagar", "14", "--filter", "alder >"], "--filter"),
    ],
)
def test_bad_usage_exit_2(tmp_path, args, message):
    path = _csv(tmp_path, HAND)
    res = CliRunner().invoke(cli, ["tidsgrans", str(path), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_personnummer_never_printed(tmp_path):
    pnr = synthetic(2, seed=5, birth_from=dt.date(2012, 1, 1), birth_to=dt.date(2015, 1, 1))
    rows = [("1", pnr[0], "2024-01-01", "2024-01-05"), ("2", pnr[1].replace("-", " "), "2024-01-01", "")]
    path = _csv(tmp_path, rows)
    res = CliRunner().invoke(cli, ["tidsgrans", str(path), "--fran", "inkom", "--till", "beslut",
                                   "--dagar", "14", "--strata", "stadsdel"])
    assert res.exit_code == 2
    assert 'ram.csv, rad 2, kolumn "stadsdel": strata-kolumnen innehåller personnummer' in res.stderr
    for p in pnr:
        assert p[-4:] not in res.output
    typed = pnr[0][2:].replace("-", "–")  # en dash, no century
    for option in ("--namn", "--benamning", "--filter"):
        value = f'stadsdel == "{typed}"' if option == "--filter" else typed
        res = CliRunner().invoke(cli, ["tidsgrans", str(path), "--fran", "inkom", "--till", "beslut",
                                       "--dagar", "14", option, value])
        assert res.exit_code == 2, (option, res.output)
        assert pnr[0][-4:] not in res.output


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_encodings_and_separators_give_the_same_figures(tmp_path, encoding, sep):
    path = _csv(tmp_path, [(i, s.replace("A", "Älvsjö"), a, b) for i, s, a, b in HAND], sep=sep, encoding=encoding)
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)], strata="stadsdel")
    assert r.per_stratum["Älvsjö"].inom == 2 and r.totalt.inom == 5


def test_no_judged_case(tmp_path):
    path = _csv(tmp_path, [("1", "A", "2024-01-01", ""), ("2", "A", "", "")])
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)])
    assert r.totalt.andel is None and r.totalt.median_dagar is None
    assert r.sentence() == ("Inget av 2 ärenden kunde bedömas mot gränsen högst 14 dagar från inkom till "
                            "beslut; 2 saknade datum.")
    assert "–" in r.text()


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(dates, dates), min_size=1, max_size=40), st.randoms(use_true_random=False),
       st.integers(0, 400))
def test_share_does_not_depend_on_row_order(pairs, random, limit):
    a = pd.Series([p[0].isoformat() for p in pairs], dtype=object)
    b = pd.Series([p[1].strftime("%Y%m%d") for p in pairs], dtype=object)
    days = days_between(read_dates(a, file="f"), read_dates(b, file="f"))
    order = list(range(len(pairs)))
    random.shuffle(order)
    assert figures(days, limit) == figures(days[order], limit)
    assert figures(days, limit).inom == sum(0 <= (q - p).days <= limit for p, q in pairs)


@settings(max_examples=100, deadline=None)
@given(dates, dates, dates)
def test_days_are_additive(x, y, z):
    def read(d: dt.date) -> pd.Series:
        return read_dates(pd.Series([d.isoformat()], dtype=object), file="f")

    xy, yz, xz = days_between(read(x), read(y)), days_between(read(y), read(z)), days_between(read(x), read(z))
    assert xy[0] + yz[0] == xz[0] == (z - x).days


def test_agrees_with_the_expression_languages_dagar(tmp_path):
    # The checklist/filter function dagar(A, B) (granskning/expr) counts days the same way:
    # the cases it finds within 14 days are exactly tidsgrans' "inom".
    iso = [r for r in HAND if r[0] not in ("7", "9")]  # plain ISO dates only
    path = _csv(tmp_path, iso)
    (everything,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)])
    (selected,) = time_limits(path, [TimeLimit("inkom", "beslut", 14)],
                              filter="dagar(inkom, beslut) <= 14 and dagar(inkom, beslut) >= 0")
    assert everything.totalt.inom == selected.totalt.antal == selected.totalt.inom == 3


def test_benamning_names_the_cases_in_the_sentence(tmp_path):
    path = _csv(tmp_path, HAND)
    res = run("tidsgrans", str(path), "--fran", "inkom", "--till", "beslut", "--dagar", "14",
              "--benamning", "förhandsbedömningarna", "--json")
    doc = json.loads(res.stdout)
    assert doc["benamning"] == "förhandsbedömningarna"
    (r,) = time_limits(path, [TimeLimit("inkom", "beslut", 14, benamning="förhandsbedömningarna")])
    assert r.sentence().startswith("71,4 % av förhandsbedömningarna (5 av 7) hade högst 14 dagar")
