"""The deviation, lex Sarah and complaint log: categories, counts by period, storage, secrecy."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from granskning.cli import cli
from granskning.errors import InputError
from granskning.plan.deviations import Entry, entry, period_counts
from granskning.store.database import Store

D = dt.date
TEST_NUMBER = "19121212-1212"  # Skatteverket's test personnummer
FORMS = [TEST_NUMBER, "191212121212", "121212-1212", "19121212 1212", "1912-12-12-1212",
         "19121212–1212", "１９１２１２１２－１２１２"]


def run(args: list[str]):
    return CliRunner().invoke(cli, args)


def test_a_category_is_found_by_its_name_in_any_case_or_by_its_start() -> None:
    e = entry(day=D(2026, 3, 4), kind="avvikelse", category="BRISTER I RÄTTS",
              source="medarbetare", concerns="den egna")
    assert e.category == "Brister i rättssäkerhet vid handläggning och utförande"
    assert (e.source, e.concerns) == ("Medarbetare", "Den egna verksamheten")
    assert entry(day=D(2026, 3, 4), kind="klagomal", category="bemö").category == "Bemötande"


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "avvikelser"}, 'okänd typ "avvikelser" (menade du "avvikelse"?)'),
    ({"kind": "avvikelse"}, "ange --kategori för avvikelse; välj bland: Bemötande;"),
    ({"kind": "klagomal", "category": "be"}, 'kan vara flera kategorier: Bemanning'),
    ({"kind": "avvikelse", "category": "bemötnde"}, '(menade du "Bemötande"?)'),
    ({"kind": "klagomal", "category": "annat", "reported_ivo": True},
     "--ivo används bara för lex Sarah-rapporter"),
    ({"kind": "avvikelse", "category": "annat", "feedback": True},
     "--aterkoppling används bara för klagomål"),
    ({"kind": "berom", "category": "bra"}, "--kategori används inte för beröm"),
    ({"kind": "avvikelse", "category": "annat", "day": D(2999, 1, 1)}, "ligger i framtiden"),
    ({"kind": "avvikelse", "category": "annat", "measures": "x" * 2001},
     "--atgard är för lång (2001 tecken; högst 2000)"),
])
def test_wrong_input_is_refused_in_swedish(kwargs, message) -> None:
    kwargs = {"day": D(2026, 1, 5)} | kwargs
    with pytest.raises(InputError) as info:
        entry(**kwargs)
    assert message in info.value.message and info.value.exit_code == 2


def E(day: tuple[int, int, int], kind: str, category: str | None = None, **kw) -> Entry:
    return Entry(day=D(*day), kind=kind, category=category, **kw)


def test_counts_by_period_and_category_against_hand_computation() -> None:
    egen, annan = "Den egna verksamheten", "Annan verksamhet"
    entries = [
        # Deviations: T1 1 (Jan), T2 3 (May, Aug 31), VB 1 (Sep 1); one without a source.
        E((2026, 1, 10), "avvikelse", "Bemötande", source="Medarbetare", concerns=egen),
        E((2026, 5, 2), "avvikelse", "Brister i utförande av insats", source="Medarbetare",
          concerns=egen),
        E((2026, 8, 31), "avvikelse", "Bemötande", source="Extern samverkanspart/annan verksamhet",
          concerns=annan),
        E((2026, 4, 30), "avvikelse", "Bemötande", concerns=egen),
        E((2026, 9, 1), "avvikelse", "Annat", source="Medarbetare", concerns=egen),
        # Lex Sarah: one reported to IVO (VB), one not (T2).
        E((2026, 11, 3), "lex_sarah", "Allvarligt missförhållande", reported_ivo=True),
        E((2026, 6, 3), "lex_sarah", "Missförhållande eller risk för missförhållande (ej allvarligt)"),
        # Complaints: two in T2 (one with feedback and measures), one in VB.
        E((2026, 5, 20), "klagomal", "Bemötande", source="Brukare/patient", feedback=True,
          measures="Samtal med handläggaren"),
        E((2026, 7, 1), "klagomal", "Kompetens", source="Brukare/patient"),
        E((2026, 12, 31), "klagomal", "Bemötande", source="Närstående (anhörig, god man, etc.)"),
        # Praise in T1, and an entry from another year that must not count.
        E((2026, 2, 2), "berom"),
        E((2025, 12, 31), "avvikelse", "Bemötande", source="Medarbetare"),
    ]
    rows = {(r["uppdelning"], r["kategori"]): (r["T1"], r["T2"], r["VB"], r["totalt"])
            for r in period_counts(entries, 2026)}
    ivo = "Lex Sarah: bedömda som allvarligt missförhållande eller påtaglig risk och anmälda till IVO"
    who = "Avvikelserapportering enligt SoL – Vem har identifierat avvikelsen?"
    expected = {
        (ivo, "Lex Sarah"): (0, 0, 1, 1),
        ("Lex Sarah: rapporter", "Allvarligt missförhållande"): (0, 0, 1, 1),
        ("Lex Sarah: rapporter",
         "Missförhållande eller risk för missförhållande (ej allvarligt)"): (0, 1, 0, 1),
        (who, "Medarbetare"): (1, 1, 1, 3),
        (who, "Extern samverkanspart/annan verksamhet"): (0, 1, 0, 1),
        (who, "Uppgift saknas"): (1, 0, 0, 1),  # 30 April is still T1
        ("Vad har avvikelsen berört?", "Bemötande"): (2, 1, 0, 3),
        ("Vad har avvikelsen berört?", "Brister i utförande av insats"): (0, 1, 0, 1),
        ("Vad har avvikelsen berört?", "Annat"): (0, 0, 1, 1),
        ("Vem avser avvikelsen?", egen): (2, 1, 1, 4),
        ("Vem avser avvikelsen?", annan): (0, 1, 0, 1),
        ("Från vem har klagomål eller synpunkt inkommit?", "Brukare/patient"): (0, 2, 0, 2),
        ("Från vem har klagomål eller synpunkt inkommit?",
         "Närstående (anhörig, god man, etc.)"): (0, 0, 1, 1),
        ("Vad gällde klagomålet eller synpunkten?", "Bemötande"): (0, 1, 1, 2),
        ("Vad gällde klagomålet eller synpunkten?", "Kompetens"): (0, 1, 0, 1),
        ("Återkoppling", "Antal klagomål där återkoppling har lämnats"): (0, 1, 0, 1),
        ("Åtgärder", "Antal klagomål där åtgärder vidtagits"): (0, 1, 0, 1),
        ("Beröm", "Antal beröm"): (1, 0, 0, 1),
    }
    assert rows == expected
    # Every breakdown of the deviations adds up to the five deviations of 2026.
    for group in (who, "Vad har avvikelsen berört?", "Vem avser avvikelsen?"):
        assert sum(v[3] for (g, _), v in rows.items() if g == group) == 5
    # Within a group the city's order of categories is kept.
    order = [r["kategori"] for r in period_counts(entries, 2026)
             if r["uppdelning"] == "Vad har avvikelsen berört?"]
    assert order == ["Bemötande", "Brister i utförande av insats", "Annat"]
    assert period_counts(entries, 2024) == []


def new_db(url: str) -> None:
    with Store.open(url, create=True) as store:
        store.init()


def test_add_and_list_through_the_command_line(db_url) -> None:
    new_db(db_url)
    r = run(["avvikelse", "ny", "--db", db_url, "--typ", "lex_sarah", "--datum", "2026-10-01",
             "--kategori", "allvarligt", "--ivo", "--enhet", "Familjehemsenheten",
             "--atgard", "Rutin för kontinuitet"])
    assert r.exit_code == 0, r.output
    assert "Post 1 i avvikelseloggen: lex Sarah-rapport 2026-10-01 (Allvarligt missförhållande), " \
           "period VB." in r.stdout
    r = run(["avvikelse", "ny", "--db", db_url, "--typ", "klagomal", "--datum", "2026-05-02",
             "--kategori", "beslut", "--kalla", "närstående", "--aterkoppling", "--json"])
    assert r.exit_code == 0, r.output
    new = json.loads(r.stdout)
    assert (new["id"], new["period"], new["kalla"]) == (2, "T2", "Närstående (anhörig, god man, etc.)")
    r = run(["avvikelse", "lista", "--db", db_url, "--ar", "2026", "--json"])
    data = json.loads(r.stdout)
    assert [p["id"] for p in data["poster"]] == [2, 1]  # by date
    assert data["poster"][1]["anmald_ivo"] is True and data["poster"][1]["enhet"] == "Familjehemsenheten"
    assert {(a["uppdelning"][:9], a["kategori"], a["totalt"]) for a in data["antal"]} >= {
        ("Lex Sarah", "Lex Sarah", 1), ("Återkoppl", "Antal klagomål där återkoppling har lämnats", 1)}
    r = run(["avvikelse", "lista", "--db", db_url, "--ar", "2026", "--enhet", "familjehemsenheten"])
    assert r.exit_code == 0 and "Avvikelseloggen 2026, familjehemsenheten: 1 post" in r.stdout
    assert "Antal per period" in r.stdout
    r = run(["avvikelse", "lista", "--db", db_url, "--ar", "2025"])
    assert r.stdout.strip() == "Avvikelseloggen 2025: 0 poster"


@pytest.mark.parametrize("option", ["--beskrivning", "--atgard", "--enhet"])
def test_a_personnummer_in_free_text_is_refused_in_every_form_and_never_stored(db_url, option):
    new_db(db_url)
    for form in FORMS:
        r = run(["avvikelse", "ny", "--db", db_url, "--typ", "avvikelse", "--kategori", "annat",
                 option, f"Gällde barnet {form} i familjehemmet"])
        assert r.exit_code == 2, (form, r.output)
        assert "personnummer" in r.stderr and "1212" not in r.stderr.replace("19121212", "")
        assert "Traceback" not in r.output
    with Store.open(db_url) as store:
        assert store.deviations() == []


def test_the_log_cannot_be_changed_or_deleted(db_url) -> None:
    new_db(db_url)
    r = run(["avvikelse", "ny", "--db", db_url, "--typ", "berom", "--datum", "2026-02-02"])
    assert r.exit_code == 0, r.output
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = sa.create_engine(sa.make_url(url).set(
        drivername="postgresql+psycopg" if url.startswith("postgresql") else "sqlite"))
    for statement in ("UPDATE deviation_log SET kind = 'avvikelse'", "DELETE FROM deviation_log"):
        with pytest.raises(sa.exc.DBAPIError, match="Historiken kan bara utökas"):
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
    engine.dispose()
    with Store.open(db_url) as store:
        assert [r["kind"] for r in store.deviations(2026)] == ["berom"]


@pytest.mark.postgres
def test_on_postgresql_reviewers_have_no_access_to_the_log():
    from conftest import pg_server_url
    from pg_roles import role_database

    with role_database(pg_server_url(), {"sam": "samordnare", "anna": "granskare"}) as rdb:
        r = run(["avvikelse", "ny", "--db", rdb.url("sam"), "--typ", "avvikelse",
                 "--kategori", "bemötande", "--datum", "2026-03-01"])
        assert r.exit_code == 0, r.output
        for args in (["avvikelse", "lista", "--ar", "2026"],
                     ["avvikelse", "ny", "--typ", "berom"]):
            r = run([*args, "--db", rdb.url("anna")])
            assert r.exit_code == 2 and "Traceback" not in r.output, r.output
        engine = sa.create_engine(sa.make_url(rdb.url("anna")).set(drivername="postgresql+psycopg"))
        with pytest.raises(sa.exc.DBAPIError) as info:
            with engine.begin() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM deviation_log")
        assert info.value.orig.sqlstate == "42501"
        engine.dispose()
        r = run(["avvikelse", "lista", "--db", rdb.url("sam"), "--ar", "2026", "--json"])
        assert [p["kategori"] for p in json.loads(r.stdout)["poster"]] == ["Bemötande"]
