"""``granskning plan`` and ``granskning ny --plan``: the calendar with runs from the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from granskning.cli import cli
from granskning.plan.calendar import due_dates
from granskning.resources import directory
from granskning.store.database import Store

PLAN_ID = "ikp-familjehem-2026"
FRAME = str(directory("") / "forhandsbedomningar_2023_2024.csv")


def run(args: list[str]):
    return CliRunner().invoke(cli, args)


def new_db(url: str) -> None:
    with Store.open(url, create=True) as store:
        store.init()


def test_without_a_database_the_calendar_is_drawn_and_nothing_is_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    r = run(["plan", "ikp-familjehem", "--idag", "2026-06-15"])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "Planen är giltig: 9 risker, 9 kontroller, 40 kontrolltillfällen under 2026." in out
    assert "2026-04-30  DOK" in out and "okänd" in out and "ingen databas" in out
    assert "Försenade" not in out  # without a database nothing is called overdue
    assert list(tmp_path.iterdir()) == []
    data = json.loads(run(["plan", "ikp-familjehem", "--idag", "2026-06-15", "--json"]).stdout)
    assert data["databas"] is None and data["forsenade"] == []
    dok = next(c for c in data["kontroller"] if c["id"] == "DOK")
    assert [t["status"] for t in dok["tillfallen"]] == ["okänd", "planerad", "planerad"]


def test_a_misspelt_database_is_refused_and_not_created(tmp_path):
    typo = tmp_path / "granksning.db"
    r = run(["plan", "ikp-familjehem", "--db", str(typo)])
    assert r.exit_code == 2 and "Databasen finns inte" in r.stderr and "Traceback" not in r.output
    assert not typo.exists()


def test_the_risk_matrix_places_each_risk_and_marks_the_control_zone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANSKNING_DB", raising=False)
    data = json.loads(run(["plan", "ikp-familjehem", "--json"]).stdout)
    matrix = data["riskmatris"]
    assert (matrix["skala"], matrix["kontroll_fran"], len(matrix["celler"])) == (4, 8, 16)
    cell = {(c["sannolikhet"], c["konsekvens"]): c for c in matrix["celler"]}
    # From the bundled plan: R1 and R3 are 2 × 4, R2, R4, R5, R8 are 3 × 3, R7 4 × 3,
    # R6 2 × 3 and R9 2 × 2.
    assert cell[2, 4]["risker"] == ["R1", "R3"] and cell[2, 4]["riskvarde"] == 8
    assert cell[3, 3]["risker"] == ["R2", "R4", "R5", "R8"]
    assert cell[4, 3]["risker"] == ["R7"] and cell[2, 3]["risker"] == ["R6"]
    assert cell[2, 2]["risker"] == ["R9"]
    # The control zone: risk value 8 or more, i.e. 2×4, 4×2, 3×3, 3×4, 4×3, 4×4.
    zone = sorted(k for k, c in cell.items() if c["kraver_kontroll"])
    assert zone == [(2, 4), (3, 3), (3, 4), (4, 2), (4, 3), (4, 4)]
    assert sum(len(c["risker"]) for c in matrix["celler"]) == 9
    r7 = next(r for r in data["risker"] if r["id"] == "R7")
    assert r7 == {"id": "R7", "titel": "Kostnaderna för köpt vård överskrider budget",
                  "sannolikhet": 4, "konsekvens": 3, "riskvarde": 12, "kraver_kontroll": True,
                  "kontroller": ["BUD", "FAKT"]}
    text = run(["plan", "ikp-familjehem"]).stdout
    assert "kontroll krävs från riskvärde 8, markerat med *" in text
    row4 = next(line for line in text.splitlines() if line.strip().startswith("4    "))
    assert row4.split() == ["4", "·", "R1,R3*", "·*", "·*"]


def test_a_risk_without_its_control_is_a_warning(tmp_path):
    from granskning.resources import directory as data_dir

    text = (data_dir("plans") / "ikp-familjehem.yaml").read_text(encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace("    risker: [R5]\n", ""), encoding="utf-8")
    r = run(["plan", str(path), "--db", str(tmp_path / "x.db")])
    assert r.exit_code == 2  # the database does not exist
    r = run(["plan", str(path), "--json"])
    data = json.loads(r.stdout)
    assert data["varningar"] == [
        "Risken R5 (Samordnad individuell plan (SIP) upprättas inte när barnet behöver den) har "
        "riskvärde 9 och ska enligt planens regel (från 8) ha en kontroll, men ingen kontroll "
        "avser den."]
    assert "SAKNAR KONTROLL" in run(["plan", str(path)]).stdout


def test_an_audit_created_from_the_plan_is_a_run_and_the_rest_is_overdue(db_url):
    new_db(db_url)
    with Store.open(db_url) as store:
        audit = store.create_audit("Tertialstickprov", "internkontroll", None, None, None, None,
                                   {}, "samordnare", plan_run=(PLAN_ID, "DOK"))
        other = store.create_audit("Annan plan", "internkontroll", None, None, None, None,
                                   {}, "samordnare", plan_run=("annan-plan", "DOK"))
        (row,) = store.plan_runs(PLAN_ID)
    assert row[0] == "DOK" and row[2] == audit and other != audit
    today = row[1].astimezone().date()
    year = today.year
    # Draw the calendar on the run's own day, so the test holds whatever day it runs.
    r = run(["plan", "ikp-familjehem", "--db", db_url, "--ar", str(year),
             "--idag", today.isoformat(), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    dok = next(c for c in data["kontroller"] if c["id"] == "DOK")
    windows = due_dates("tertialvis", year)
    k = next(i for i, (start, due) in enumerate(windows) if start <= today <= due)
    expected = ["försenad"] * k + ["genomförd"] + ["planerad"] * (2 - k)
    assert [t["status"] for t in dok["tillfallen"]] == expected
    assert dok["tillfallen"][k]["granskning"] == audit
    assert dok["tillfallen"][k]["genomford"] == today.isoformat()
    late = [(o["kontroll"], o["forfaller"]) for o in data["forsenade"]]
    assert ("DOK", windows[k][1].isoformat()) not in late
    # Every other control with a due date before today is overdue: none of them has a run.
    assert all(dt.date.fromisoformat(day) < today for _, day in late)
    assert len(late) == sum(1 for o in data["kalender"] if o["status"] == "försenad")
    assert data["databas"] is not None


def test_plan_runs_cannot_be_changed_or_deleted(db_url):
    new_db(db_url)
    with Store.open(db_url) as store:
        store.create_audit("Körning", "internkontroll", None, None, None, None, {}, "s",
                           plan_run=(PLAN_ID, "DOK"))
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = sa.create_engine(sa.make_url(url).set(
        drivername="postgresql+psycopg" if url.startswith("postgresql") else "sqlite"))
    for statement in ("UPDATE plan_runs SET control_id = 'DEL'", "DELETE FROM plan_runs"):
        with pytest.raises(sa.exc.DBAPIError, match="Historiken kan bara utökas"):
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
    engine.dispose()
    with Store.open(db_url) as store:
        assert [r[0] for r in store.plan_runs(PLAN_ID)] == ["DOK"]


def test_ny_with_plan_and_control_records_the_run(db_url, tmp_path):
    new_db(db_url)
    r = run(["ny", "forhandsbedomningar-2024", "--ram", FRAME, "--db", db_url,
             "--plan", "ikp-familjehem", "--kontroll", "DOKK"])
    assert r.exit_code == 2 and 'kontrollen "DOKK" finns inte i planen (menade du "DOK"?)' in r.stderr
    with Store.open(db_url) as store:
        assert store.audits() == []
    r = run(["ny", "forhandsbedomningar-2024", "--ram", FRAME, "--db", db_url,
             "--plan", "ikp-familjehem"])
    assert r.exit_code == 2 and "--plan och --kontroll anges tillsammans" in r.stderr
    r = run(["ny", "forhandsbedomningar-2024", "--ram", FRAME, "--db", db_url,
             "--plan", "ikp-familjehem", "--kontroll", "IKD", "--json"])
    assert r.exit_code == 0, r.output
    audit = json.loads(r.stdout)["granskning"]
    with Store.open(db_url) as store:
        assert [(c, a) for c, _, a in store.plan_runs(PLAN_ID)] == [("IKD", audit)]
    # The audit's trail says which control of which plan it runs.
    r = run(["historik", "--granskning", str(audit), "--db", db_url, "--json"])
    assert r.exit_code == 0, r.output
    assert '"kontroll": "IKD"' in r.stdout and f'"plan": "{PLAN_ID}"' in r.stdout


def test_plan_help_is_swedish() -> None:
    r = run(["plan", "--help"])
    assert r.exit_code == 0 and "Kontrollera en internkontrollplan" in r.stdout
    assert "--idag" in r.stdout and "--ar" in r.stdout
    assert Path(directory("plans") / "ikp-familjehem.yaml").is_file()


@pytest.mark.postgres
def test_on_postgresql_coordinators_record_runs_and_reviewers_only_read_them():
    from conftest import pg_server_url
    from pg_roles import role_database

    with role_database(pg_server_url(), {"sam": "samordnare", "anna": "granskare"}) as rdb:
        with Store.open(rdb.url("sam")) as store:
            audit = store.create_audit("Körning", "internkontroll", None, None, None, None, {},
                                       rdb.names["sam"], plan_run=(PLAN_ID, "SIP"))
        with Store.open(rdb.url("anna")) as store:
            assert [(c, a) for c, _, a in store.plan_runs(PLAN_ID)] == [("SIP", audit)]
        engine = sa.create_engine(sa.make_url(rdb.url("anna")).set(drivername="postgresql+psycopg"))
        for statement in (f"INSERT INTO plan_runs VALUES ({audit}, 'x', 'y')",
                          "UPDATE plan_runs SET control_id = 'DOK'", "DELETE FROM plan_runs"):
            with pytest.raises(sa.exc.DBAPIError) as info:
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
            assert info.value.orig.sqlstate == "42501"
        engine.dispose()
        r = run(["plan", "ikp-familjehem", "--db", rdb.url("anna"), "--json",
                 "--ar", str(dt.date.today().year)])
        assert r.exit_code == 0, r.output
        sip = next(c for c in json.loads(r.stdout)["kontroller"] if c["id"] == "SIP")
        assert audit in [t["granskning"] for t in sip["tillfallen"]]
