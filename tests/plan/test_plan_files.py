"""Reading and checking an internal-control plan file: every refusal names file, line and key."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from granskning.cli import cli
from granskning.errors import InputError, ManyInputErrors
from granskning.plan.files import EXAMPLE, load, loads, run_of

GOOD = """\
id: test-2026
titel: Testplan
ar: 2026
riskmatris:
  kontroll_fran: 8
risker:
  - id: R1
    titel: Fel insats
    sannolikhet: 2
    konsekvens: 4
  - id: R2
    titel: Liten risk
    sannolikhet: 1
    konsekvens: 2
kontroller:
  - id: K1
    kontrollmoment: Dokumentationen är aktuell
    population: Akter för placerade barn
    metod: stickprov
    frekvens: tertialvis
    ansvarig: Gruppledare
    rapporteras: [T1, T2, VB]
    tolerabel: 10 %
    mal: 0,95
    risker: [R1]
"""


def refused(text: str) -> list[str]:
    with pytest.raises(ManyInputErrors) as info:
        loads(text, source="plan.yaml")
    assert info.value.exit_code == 2
    return [e.message for e in info.value.errors]


def test_a_good_plan_is_read_with_its_values() -> None:
    plan = loads(GOOD, source="plan.yaml")
    assert (plan.id, plan.year, plan.scale, plan.threshold) == ("test-2026", 2026, 4, 8)
    r1, r2 = plan.risks
    assert (r1.value, plan.needs_control(r1), r2.value, plan.needs_control(r2)) == (8, True, 2, False)
    (k1,) = plan.controls
    assert (k1.method, k1.frequency, k1.owner, k1.periods) == ("stickprov", "tertialvis",
                                                                 "Gruppledare", ("T1", "T2", "VB"))
    assert (k1.tolerable, k1.target, k1.risks) == (0.10, 0.95, ("R1",))
    assert plan.uncovered() == ()


def test_the_bundled_example_plan_is_valid_and_every_high_risk_has_a_control() -> None:
    plan = load(EXAMPLE)
    assert plan.source == "plans/ikp-familjehem.yaml"
    assert len(plan.controls) == 9 and plan.uncovered() == ()
    # The frequencies of the FHE plan (verksamhetsplan 2025, Internkontroll).
    freq = {c.id: c.frequency for c in plan.controls}
    assert (freq["DOK"], freq["DEL"], freq["BUD"], freq["SIP"], freq["FAKT"], freq["IKD"]) == (
        "tertialvis", "tertialvis", "manadsvis", "tertialvis", "halvarsvis", "var_och_host")


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize("old, new, expected", [
    ("frekvens: tertialvis", "frekvens: kvartalvis",
     'plan.yaml, rad 20, nyckel "frekvens": okänd frekvens "kvartalvis" (menade du "kvartalsvis"?); '
     "välj bland manadsvis, kvartalsvis, tertialvis, halvarsvis, var_och_host, arsvis"),
    ("    ansvarig: Gruppledare\n", "",
     'plan.yaml, rad 16, nyckel "ansvarig": nyckeln saknas eller är tom i kontrollen'),
    ("    population: Akter för placerade barn\n", "    population:\n",
     'plan.yaml, rad 18, nyckel "population": nyckeln saknas eller är tom i kontrollen'),
    ("rapporteras: [T1, T2, VB]", "rapporteras: [T1, T3]",
     'plan.yaml, rad 22, nyckel "rapporteras": perioden "T3" finns inte; perioderna är T1, T2, VB'),
    ("rapporteras: [T1, T2, VB]", "rapporteras: [T1, VB2]",
     'plan.yaml, rad 22, nyckel "rapporteras": perioden "VB2" finns inte (menade du "VB"?); '
     "perioderna är T1, T2, VB"),
    ("    sannolikhet: 2\n", "    sannolikhet: 5\n",
     'plan.yaml, rad 9, nyckel "sannolikhet": 5 ligger utanför riskmatrisen (1–4)'),
    ("    konsekvens: 2\n", "    konsekvens: 0\n",
     'plan.yaml, rad 14, nyckel "konsekvens": 0 ligger utanför riskmatrisen (1–4)'),
    ("risker: [R1]", "risker: [R11]",
     'plan.yaml, rad 25, nyckel "risker": risken "R11" finns inte i planens risker (menade du "R1"?); '
     "planens risker: R1, R2"),
    ("metod: stickprov", "metod: stickprovet",
     'plan.yaml, rad 19, nyckel "metod": okänd metod "stickprovet" (menade du "stickprov"?); '
     "välj bland stickprov, enkat, registeruttag, genomgang"),
    ("    mal: 0,95\n", "    mal: 120 %\n",
     'plan.yaml, rad 24, nyckel "mal": en andel ligger mellan 0 och 1 (0 % och 100 %)'),
    ("    tolerabel: 10 %\n", "    tolerabel: 10\n",
     'plan.yaml, rad 23, nyckel "tolerabel": skriv procent med procenttecken (10 %) eller som '
     "andel (0.10 för 10 %)"),
    ("    tolerabel: 10 %\n", "    tolerabel: 0\n",
     'plan.yaml, rad 23, nyckel "tolerabel": den tolerabla avvikelsen ska ligga mellan 0 % och '
     "100 % (till exempel 10 %)"),
    ("  kontroll_fran: 8", "  kontroll_fran: 17",
     'plan.yaml, rad 5, nyckel "kontroll_fran": 17 ligger utanför riskvärdena 1–16 (skala 4 × 4)'),
    ("    ansvarig: Gruppledare", "    ansvarg: Gruppledare",
     'plan.yaml, rad 21, nyckel "ansvarg": okänd nyckel i kontrollen (menade du "ansvarig"?)'),
])
def test_each_mistake_is_refused_with_file_line_and_key(old: str, new: str, expected: str) -> None:
    messages = refused(replace(old, new))
    assert expected in messages, messages


def test_a_missing_owner_is_also_refused_on_the_command_line(tmp_path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(GOOD.replace("    ansvarig: Gruppledare\n", ""), encoding="utf-8")
    r = CliRunner().invoke(cli, ["plan", str(path), "--idag", "2026-06-01"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert 'plan.yaml, rad 16, nyckel "ansvarig": nyckeln saknas eller är tom i kontrollen' in r.stderr
    assert r.stdout == ""


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = replace("frekvens: tertialvis", "frekvens: varannan_vecka").replace(
        "    sannolikhet: 2\n", "    sannolikhet: 9\n")
    messages = refused(text)
    assert [m.split(",")[1] for m in messages] == [" rad 9", " rad 20"]


def test_duplicate_ids_and_a_risk_without_a_control() -> None:
    text = GOOD + textwrap.indent(textwrap.dedent("""\
        - id: K1
          kontrollmoment: Samma id igen
          population: P
          metod: genomgang
          frekvens: arsvis
          ansvarig: Enhetschef
          rapporteras: VB
        """), "  ")
    assert 'plan.yaml, rad 26, nyckel "id": kontrollen "K1" finns redan (rad 16)' in refused(text)
    # A risk that needs a control but has none is shown as a warning, not refused.
    plan = loads(replace("    risker: [R1]\n", ""), source="plan.yaml")
    assert [r.id for r in plan.uncovered()] == ["R1"]


def test_broken_yaml_tags_and_personnummer_are_refused() -> None:
    assert any("rad 3" in m and "kolon" in m for m in refused("id: a\ntitel: b\nar: 2026: x\n"))
    assert any("!!python/object" in m for m in refused("id: !!python/object:os.system a\n"))
    with pytest.raises(InputError, match="rad 2 innehåller ett personnummer") as info:
        loads(GOOD.replace("titel: Testplan", "titel: Testplan 19121212-1212"), source="plan.yaml")
    assert "1212" not in info.value.message.replace("rad", "")


def test_run_of_names_the_control_and_suggests_the_nearest() -> None:
    assert run_of(EXAMPLE, "DOK") == ("ikp-familjehem-2026", "DOK")
    with pytest.raises(InputError, match='kontrollen "DOKK" finns inte i planen '
                                         r'\(menade du "DOK"\?\)'):
        run_of(EXAMPLE, "DOKK")
    with pytest.raises(InputError, match='Menade du "ikp-familjehem"'):
        load("ikp-familjhem")
