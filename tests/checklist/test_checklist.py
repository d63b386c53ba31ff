"""Checklist model, loader, validation and answer logic (granskning.checklist.model*)."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import time

import pytest

from granskning import checklist as cl
from granskning.checklist.safeyaml import ChecklistFileError
from granskning.errors import InputError, ManyInputErrors

HEAD = """\
id: test
titel: Test
version: "1"
omraden:
  - id: a
    titel: Område A
    fragor:
"""


def q(body: str) -> str:
    """Return a checklist text with the given questions (YAML list items, 6 spaces deep)."""
    return HEAD + textwrap.indent(textwrap.dedent(body), "      ")


def problems(text: str) -> list[ChecklistFileError]:
    with pytest.raises(ManyInputErrors) as info:
        cl.loads(text, source="checklists/x.yaml")
    return info.value.errors


def one_problem(text: str) -> ChecklistFileError:
    found = problems(text)
    assert len(found) == 1, [p.message for p in found]
    return found[0]


# Table 2 of Socialtjänstinspektörernas årsrapport 2024 (SEED-004, DOMAIN.md §2.2):
# "Har barnet kommit till tals om anmälan?", Total column.
TABLE2_TOTALS = {"Ja": 52, "Nej": 156, "Barnet vill inte": 7, "Barnet kan inte": 49,
                 "VH samtycker inte": 22}

F7 = """\
- id: F7
  text: Har barnet kommit till tals om anmälan?
  typ: janej
  hinder: [Barnet vill inte, Barnet kan inte, VH samtycker inte]
  indikator: true
  motivering_kravs: [Nej]
- id: F8
  text: Finns en dokumenterad motivering?
  typ: janej
  visas_om: F7 == 'Nej'
"""


def test_janej_gets_ja_nej_and_hindrances_as_choices() -> None:
    c = cl.loads(q(F7), source="x.yaml")
    f7 = c.question("F7")
    assert f7.choices == ("Ja", "Nej", "Barnet vill inte", "Barnet kan inte", "VH samtycker inte")
    assert f7.hindrances == ("Barnet vill inte", "Barnet kan inte", "VH samtycker inte")
    assert f7.numerator_categories == ("Ja",)
    assert f7.denominator_categories == ("Ja", "Nej")


def test_denominator_rule_reproduces_published_25_percent() -> None:
    # SEED-004: "Barnen ... kom till tals ... i cirka 25 procent av de ärenden där inga
    # hinder för delaktighet fanns"; DOMAIN.md §2.2: 52 / 208 = 25.0 %, 52 / 286 = 18.2 %.
    f7 = cl.loads(q(F7), source="x.yaml").question("F7")
    num = sum(TABLE2_TOTALS[c] for c in f7.numerator_categories)
    den = sum(TABLE2_TOTALS[c] for c in f7.denominator_categories)
    assert (num, den) == (52, 208)
    assert round(100 * num / den, 1) == 25.0
    assert round(100 * num / sum(TABLE2_TOTALS.values()), 1) == 18.2


def test_loaded_model_fields() -> None:
    text = HEAD.replace('version: "1"', "version: 2024.1\nslag: enkat\nkalla: Källa X") + \
        textwrap.indent(textwrap.dedent("""\
        - id: T1
          text: Antal samtal
          hjalp: Räkna alla samtal.
          lagrum: 6 kap. 7 b § SoL
          typ: tal
          min: 0
          max: 365
          kravs: false
        """), "      ")
    c = cl.loads(text, source="x.yaml")
    assert (c.id, c.title, c.version, c.kind, c.source) == ("test", "Test", "2024.1", "enkat",
                                                            "Källa X")
    t1 = c.questions[0]
    assert (t1.help, t1.legal_ref, t1.minimum, t1.maximum, t1.required, t1.area_id, t1.line) == (
        "Räkna alla samtal.", "6 kap. 7 b § SoL", 0, 365, False, "a", 10)
    assert c.areas[0].questions == (t1,)
    assert len(c.sha256) == 64


# -- answer logic --------------------------------------------------------------

def test_visibility_and_next_unanswered() -> None:
    c = cl.loads(q(F7), source="x.yaml")
    assert [x.id for x in c.visible_questions({})] == ["F7"]
    assert c.next_unanswered({}).id == "F7"
    assert not c.visible("F8", {"F7": "Ja"})
    assert c.visible("F8", {"F7": "Nej"})
    assert c.next_unanswered({"F7": "Nej"}).id == "F8"
    assert c.next_unanswered({"F7": "Ja"}) is None
    # A non-normalised answer is normalised before the condition is evaluated.
    assert c.visible("F8", {"F7": "nej"})


def test_is_complete_requires_motivation() -> None:
    c = cl.loads(q(F7), source="x.yaml")
    assert c.is_complete({"F7": "Ja"})
    assert not c.is_complete({"F7": "Nej", "F8": "Ja"})
    assert c.missing({"F7": "Nej", "F8": "Ja"}) == ["F7__motivering"]
    assert c.is_complete({"F7": "Nej", "F8": "Ja", "F7__motivering": "Barnet sov."})
    assert c.is_complete({"F7": "Barnet kan inte", "F8": None})


def test_hidden_answer_does_not_count_in_later_conditions() -> None:
    text = q("""\
        - id: A
          text: a
          typ: janej
        - id: B
          text: b
          typ: janej
          visas_om: A == 'Ja'
        - id: C
          text: c
          typ: fritext
          visas_om: B == 'Ja'
        """)
    c = cl.loads(text, source="x.yaml")
    # B was answered Ja earlier, then A changed to Nej: B is hidden, so C is too.
    assert [x.id for x in c.visible_questions({"A": "Nej", "B": "Ja"})] == ["A"]
    assert c.is_complete({"A": "Nej", "B": "Ja"})


def test_optional_question_not_needed() -> None:
    c = cl.loads(q("- {id: X, text: x, typ: fritext, kravs: false}\n"), source="x.yaml")
    assert c.is_complete({})
    assert c.next_unanswered({}).id == "X"


def test_multiple_choice_condition() -> None:
    text = q("""\
        - id: F2
          text: Anmälningsorsak
          typ: flerval
          val: [Bristande omsorg, Våld mot barnet, Våld i nära relation]
        - id: F14
          text: Ställningstagande till polisanmälan
          typ: janej
          visas_om: "'Våld mot barnet' in F2"
        """)
    c = cl.loads(text, source="x.yaml")
    f2 = c.question("F2")
    answer = f2.coerce("våld mot barnet; Bristande omsorg")
    assert answer == ("Bristande omsorg", "Våld mot barnet")
    assert c.visible("F14", {"F2": answer})
    assert not c.visible("F14", {"F2": ("Bristande omsorg",)})
    assert not c.visible("F14", {})


# -- coerce -------------------------------------------------------------------

@pytest.fixture(scope="module")
def typed() -> cl.Checklist:
    return cl.loads(q("""\
        - {id: J, text: j, typ: janej, ej_tillampligt: [Ej aktuellt]}
        - {id: E, text: e, typ: enval, val: [Fysiskt möte, Endast telefon]}
        - {id: M, text: m, typ: flerval, val: [a, b, c]}
        - {id: T, text: t, typ: tal, min: 0, max: 14}
        - {id: D, text: d, typ: datum}
        - {id: X, text: x, typ: fritext}
        """), source="x.yaml")


@pytest.mark.parametrize(("qid", "raw", "expected"), [
    ("J", "ja", "Ja"), ("J", True, "Ja"), ("J", False, "Nej"), ("J", " ej AKTUELLT ", "Ej aktuellt"),
    ("E", "endast telefon", "Endast telefon"), ("M", ["c", "A"], ("a", "c")), ("M", "b;b", ("b",)),
    ("T", "3", 3), ("T", "12,5", 12.5), ("T", 7.0, 7), ("T", 0, 0),
    ("D", "2024-03-01", dt.date(2024, 3, 1)), ("D", dt.datetime(2024, 3, 1, 9, 30), dt.date(2024, 3, 1)),
    ("X", " Fritt ", "Fritt"), ("X", 12, "12"), ("J", "", None), ("T", None, None),
    ("T", float("nan"), None),
])
def test_coerce_ok(typed: cl.Checklist, qid: str, raw: object, expected: object) -> None:
    assert typed.question(qid).coerce(raw) == expected


@pytest.mark.parametrize(("qid", "raw", "fragment"), [
    ("J", "Jaa", '"Jaa" är inget av svarsalternativen'),
    ("E", "Hembesök", "inget av svarsalternativen"),
    ("M", "a; d", '"d" är inget av'),
    ("T", "15", "större än högsta tillåtna värde 14"),
    ("T", "-1", "mindre än minsta tillåtna värde 0"),
    ("T", "tre", '"tre" är inget tal'),
    ("T", True, "ska vara ett tal"),
    ("D", "2024-02-30", "inget giltigt datum"),
    ("D", "1/3 2024", "inget giltigt datum"),
])
def test_coerce_errors(typed: cl.Checklist, qid: str, raw: object, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        typed.question(qid).coerce(raw, file="svar.xlsx", row=7, column=qid)
    assert fragment in info.value.message
    assert info.value.message.startswith(f'svar.xlsx, rad 7, kolumn "{qid}": fråga {qid}')
    assert info.value.exit_code == 2


def test_needs_motivation() -> None:
    c = cl.loads(q("""\
        - {id: A, text: a, typ: flerval, val: [x, y, Annat], motivering_kravs: [annat]}
        """), source="x.yaml")
    a = c.question("A")
    assert a.motivation_required == ("Annat",)
    assert a.needs_motivation(("x", "Annat"))
    assert not a.needs_motivation(("x",))
    assert not a.needs_motivation(None)


# -- validation: every problem with file, line and key ---------------------------

def test_every_problem_reported_at_once_with_line_and_key() -> None:
    text = q("""\
        - id: F1
          text: Ett
          typ: enval
          val: [Ja, Nej]
          hinder: [Barnet kan int]
        - id: F1
          text: Två
          typ: flerval
          val: []
        - id: F3
          text: Tre
          typ: tal
          min: 5
          max: 1
          typp: x
        """)
    found = problems(text)
    msgs = [p.message for p in found]
    assert msgs == [
        'checklists/x.yaml, rad 12, nyckel "hinder": hindret "Barnet kan int" finns inte bland '
        'svarsalternativen',
        'checklists/x.yaml, rad 13, nyckel "id": frågan "F1" finns redan (rad 8)',
        'checklists/x.yaml, rad 16, nyckel "val": listan med svarsalternativ är tom',
        'checklists/x.yaml, rad 20, nyckel "min": min (5) är större än max (1)',
        'checklists/x.yaml, rad 22, nyckel "typp": okänd nyckel i frågan (menade du "typ"?)',
    ]
    assert all(p.exit_code == 2 for p in found)


@pytest.mark.parametrize(("body", "line", "key", "fragment"), [
    ("- {id: A, text: a, typ: val}\n", 8, "typ", 'okänd typ "val" (menade du "enval"?)'),
    ("- {id: A, typ: janej}\n", 8, "text", "nyckeln saknas"),
    ("- {id: A, text: a, typ: enval}\n", 8, "val", "kräver en lista med svarsalternativ"),
    ("- {id: A, text: a, typ: janej, val: [Ja, Nej]}\n", 8, "val", "har alltid valen Ja och Nej"),
    ("- {id: A, text: a, typ: fritext, min: 1}\n", 8, "min", "gäller bara frågor av typ tal"),
    ("- {id: A, text: a, typ: tal, max: tio}\n", 8, "max", "ska vara ett tal"),
    ("- {id: A, text: a, typ: janej, kravs: kanske}\n", 8, "kravs", "true eller false"),
    ("- {id: 7F, text: a, typ: janej}\n", 8, "id", "ska börja med en bokstav"),
    ("- {id: A__b, text: a, typ: janej}\n", 8, "id", "enkla _"),
    ("- {id: A, text: a, typ: enval, val: [x, y], indikator: true}\n", 8, "indikator",
     "behöver raknas"),
    ("- {id: A, text: a, typ: enval, val: [x, X]}\n", 8, "val", '"X" står två gånger'),
    ("- {id: A, text: a, typ: janej, hinder: [Kan inte], positiva: [kan inte]}\n", 8, "positiva",
     "kan inte både räknas i täljaren"),
    ("- {id: A, text: a, typ: janej, hinder: [Kan inte], raknas: [kan inte]}\n", 8, "raknas",
     "kan inte både räknas i täljaren"),
    # What an indicator counts is checked against the answers (issue 9, item 1).
    ("- {id: A, text: a, typ: enval, val: [Ingen oro, Oro], raknas: [Kvarstående oro], "
     "indikator: true}\n", 8, "raknas", 'kategorin "Kvarstående oro" finns inte bland'),
    ("- {id: A, text: a, typ: janej, raknas: [Ja], positiva: [Ja], indikator: true}\n", 8,
     "positiva", "ange bara raknas"),
    ("- {id: A, text: a, typ: janej, raknas_som: oro}\n", 8, "raknas_som",
     "gäller bara en fråga med indikator"),
    ("- {id: A, text: a, typ: janej, hinder: [Kan inte], raknas: [Ja, Nej], indikator: true}\n", 8,
     "raknas", "blir alltid 100 %"),
    ("- {id: A, text: a, typ: janej, raknas_som: [oro], indikator: true}\n", 8, "raknas_som",
     "ska vara en text"),
    ("- {id: A, text: a, typ: enval, val: [x], motivering_kravs: [y]}\n", 8, "motivering_kravs",
     'svaret "y" finns inte bland'),
    ("- {id: A, text: a, typ: enval, val: [x], ej_tillampligt: Ej aktuellt}\n", 8,
     "ej_tillampligt", 'kategorin "Ej aktuellt" finns inte'),
    ("- {id: A, text: [a], typ: janej}\n", 8, "text", "ska vara en text"),
    ("- {id: A, text: a, typ: janej, hinder: [nej]}\n", 8, "hinder", "Ja och Nej kan inte"),
    ("- {id: A, text: a, typ: enval, val: [x, y], hinder: [x], ej_tillampligt: [x]}\n", 8,
     "ej_tillampligt", '"x" står både som hinder och som ej tillämpligt'),
])
def test_single_question_problems(body: str, line: int, key: str, fragment: str) -> None:
    p = one_problem(q(body))
    assert (p.line, p.key) == (line, key)
    assert fragment in p.message
    assert p.message.startswith(f'checklists/x.yaml, rad {line}, nyckel "{key}": ')


def test_top_level_problems() -> None:
    text = "id: Fel Id\ntitel: T\nversion: '1'\nslag: revision\nomradet: []\n"
    msgs = [p.message for p in problems(text)]
    assert msgs == [
        'checklists/x.yaml, rad 1, nyckel "omraden": nyckeln saknas eller är tom i checklistan',
        'checklists/x.yaml, rad 1, nyckel "id": ska bestå av små bokstäver a–z, siffror och '
        "bindestreck (till exempel forhandsbedomning-0-12)",
        'checklists/x.yaml, rad 4, nyckel "slag": okänt slag "revision"; välj bland granskning, '
        "enkat, egenkontroll",
        'checklists/x.yaml, rad 5, nyckel "omradet": okänd nyckel i checklistan (menade du '
        '"omraden"?)',
    ]


def test_duplicate_area_and_duplicate_key() -> None:
    text = HEAD + "      - {id: A, text: a, typ: janej}\n  - id: a\n    titel: B\n    titel: C\n" \
        "    fragor: [{id: B, text: b, typ: janej}]\n"
    msgs = [p.message for p in problems(text)]
    assert msgs == [
        'checklists/x.yaml, rad 9, nyckel "id": området "a" finns redan (rad 5)',
        'checklists/x.yaml, rad 11, nyckel "titel": nyckeln förekommer två gånger i området',
    ]


def test_empty_and_non_mapping_files() -> None:
    assert one_problem("").message == "checklists/x.yaml, rad 1: filen är tom"
    assert "uppställning med nycklar" in one_problem("- a\n- b\n").message


# -- conditions ------------------------------------------------------------------

BASE = """\
- {id: F1, text: a, typ: janej, hinder: [Barnet kan inte]}
- {id: F2, text: b, typ: flerval, val: [x, y]}
- {id: F3, text: c, typ: tal}
"""


@pytest.mark.parametrize(("condition", "fragment"), [
    ("F1 == 'Jaa'", '"Jaa" är inget av svarsalternativen för F1 (Ja, Nej, Barnet kan inte) '
                    '(menade du "Ja"?)'),
    ("F1 == 'ja'", 'menade du "Ja"?'),
    ("F1 in ['Ja', 'Kanske']", '"Kanske" är inget av svarsalternativen för F1'),
    ("'z' in F2", '"z" är inget av svarsalternativen för F2'),
    ("F2 == 'x'", "F2 är ett flerval och jämförs med in, till exempel 'x' in F2"),
    ("'Ja' in F1", "F1 är av typ janej, inte flerval"),
    ("F3 > 'tio'", "F3 är av typ tal och ska jämföras med ett tal"),
    ("F1 == 3", "F1 har textsvar"),
    ("F1 > 'Ja'", "kan bara jämföras med"),
    ("antal(F1) > 1", "antal() gäller flervalsfrågor"),
    ("F9 == 'Ja'", '"F9", som inte är någon fråga i checklistan'),
    ("f1 == 'Ja'", '(menade du "F1"?)'),
    ("X == 'Ja'", "hänvisar till frågan själv"),
    ("F1 == 'Ja' and", "villkoret går inte att tolka"),
    ("__import__('os').system('ls')", 'okänd funktion "__import__"'),
    ("F3 + 1", "F3 + 1 är inget villkor"),
    ("3", "är inget villkor"),
])
def test_condition_problems(condition: str, fragment: str) -> None:
    text = q(BASE + f'- {{id: X, text: x, typ: janej, visas_om: "{condition}"}}\n')
    p = one_problem(text)
    assert (p.line, p.key) == (11, "visas_om")
    assert fragment in p.message, p.message


def test_bare_name_allowed_for_plain_janej_only() -> None:
    ok = q(BASE + "- {id: F4, text: d, typ: janej}\n- {id: X, text: x, typ: janej, visas_om: F4}\n")
    c = cl.loads(ok, source="x.yaml")
    assert c.visible("X", {"F4": "Ja"}) and not c.visible("X", {"F4": "Nej"})
    p = one_problem(q(BASE + "- {id: X, text: x, typ: janej, visas_om: F1}\n"))
    assert "F1 ensamt är inget villkor" in p.message


def test_condition_on_later_question_and_cycle() -> None:
    text = q("""\
        - id: A
          text: a
          typ: janej
          visas_om: B == 'Ja'
        - id: B
          text: b
          typ: janej
          visas_om: A == 'Ja'
        """)
    msgs = [p.message for p in problems(text)]
    assert msgs == [
        'checklists/x.yaml, rad 11, nyckel "visas_om": villkoret för A bygger på B, som kommer '
        "senare i checklistan; ett villkor får bara bygga på tidigare frågor",
        'checklists/x.yaml, rad 11, nyckel "visas_om": villkoren bildar en cirkel: A → B → A; '
        "ett villkor får bara bygga på tidigare frågor",
    ]


def test_valid_conditions_pass() -> None:
    text = q(BASE + """\
        - id: X
          text: x
          typ: janej
          visas_om: (F1 != 'Nej' and 'y' in F2) or F3 >= 4 or tom(F1) or antal(F2) > 1
        """.replace("        ", ""))
    c = cl.loads(text, source="x.yaml")
    x = c.question("X")
    assert x.condition_text.startswith("(F1 != 'Nej'")
    assert c.visible(x, {"F3": 5, "F1": "Ja"})
    assert not c.visible(x, {"F1": "Ja", "F2": ("x",), "F3": 1})
    assert c.visible(x, {"F1": "Ja", "F2": ("x", "y")})


# -- hostile files -----------------------------------------------------------------

def test_python_tags_refused_without_running() -> None:
    p = one_problem("id: x\ntitel: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    assert p.message == ('checklists/x.yaml, rad 2: YAML-taggen !!python/object/apply:os.system '
                         "är inte tillåten i checklistor")
    assert "inte tillåten" in one_problem("id: !egen x\n").message


def test_billion_laughs_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    p = one_problem("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 10  # hang guard (an alias bomb must not expand), not a timing
    assert p.message == ("checklists/x.yaml, rad 1: ankare (&a) stöds inte i checklistor; "
                         "skriv ut värdet där det behövs")


def test_alias_refused() -> None:
    p = one_problem("id: x\ntitel: *a\n")
    assert p.line == 2


@pytest.mark.parametrize("text", [
    "a: " + "[" * 100_000,          # libyaml's composer crashes the interpreter on this
    "a: " + "{b: " * 5_000,          # PyYAML >= 6.0.4 refuses this itself, in English
    "a: " + "[" * 60 + "]" * 60,     # deeper than ours, well within any library's limit
    "a:\n" + "".join("  " * i + "- \n" for i in range(60)),  # block nesting
])
def test_deep_nesting_refused_without_crash(text: str) -> None:
    p = one_problem(text)
    assert "för djup nästling (mer än 50 nivåer)" in p.message


@pytest.mark.parametrize("text", [
    "a: [b, c}\n",
    "a: {b: c]\n",
    "a:\n  - b\n  c: d\n",
    "- a\nb: c\n",
    "a: &x [1]\nb: *x\n",
    "a: 'b' c\n",
    "a: \"b\\q\"\n",
    "a: !!binary xyz\n",
    "%YAML 9.9\n---\na: b\n",
])
def test_broken_yaml_is_described_in_swedish_only(text: str) -> None:
    # The YAML library's own (English, release-dependent) wording never reaches the user.
    p = one_problem(text)
    english = re.compile(r"\b(found|expected|while|the|not|allowed|could|token|mapping|"
                         r"exceeded|maximum|depth|scanning|parsing)\b", re.IGNORECASE)
    assert not english.search(p.message), p.message


def test_too_many_questions_refused_quickly() -> None:
    items = "".join(f"      - {{id: F{i}, text: Fråga {i}, typ: janej}}\n" for i in range(10_000))
    start = time.perf_counter()
    p = one_problem(HEAD + items)
    assert time.perf_counter() - start < 30  # hang guard, not a timing
    assert p.message == ('checklists/x.yaml, rad 4, nyckel "omraden": för många frågor '
                         "(10000; högst 2000 i en checklista)")


def test_too_large_file_refused(tmp_path) -> None:
    big = tmp_path / "stor.yaml"
    big.write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        cl.load(big)
    assert "filen är för stor" in info.value.message
    with pytest.raises(ManyInputErrors):
        cl.loads("# " + "x" * 1_100_000, source="x.yaml")


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("id: x\ntitel: a: b\n", 2, "kolon på fel ställe"),
    ("id: x\ntitel: 'a\n", 2, "citattecken"),
    ("id: x\nomraden:\n\t- a\n", 3, "tabbtecken"),
    ("id: x\nval: [a, b\n", 3, "listan inom [ ] är inte avslutad"),
    ("id: x\n---\nid: y\n", 2, "bara innehålla ett YAML-dokument"),
    ("id: x\ntitel: \x07\n", 2, "otillåtet tecken"),
])
def test_broken_yaml_reports_line(text: str, line: int, fragment: str) -> None:
    p = one_problem(text)
    assert p.line == line
    assert fragment in p.message


def test_non_utf8_file(tmp_path) -> None:
    f = tmp_path / "latin.yaml"
    f.write_bytes("id: x\ntitel: Förhandsbedömning\n".encode("cp1252"))
    with pytest.raises(InputError) as info:
        cl.load(f)
    assert "rad 2" in info.value.message and "UTF-8" in info.value.message


def test_resolve_unknown_name_suggests_bundled() -> None:
    with pytest.raises(InputError) as info:
        cl.resolve("forhandsbedomning-0-13")
    assert 'Menade du "forhandsbedomning-0-12"?' in info.value.message


# -- the inspectors' guide (docs/checklistformat.md) stays true -------------------------

def _guide() -> str:
    from pathlib import Path

    return (Path(__file__).parents[2] / "docs" / "checklistformat.md").read_text("utf-8")


def test_guide_example_validates() -> None:
    guide = _guide()
    example = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    c = cl.loads(example, source="docs/checklistformat.md")
    assert [x.id for x in c.questions] == ["F7", "F8"]


def test_guide_condition_examples_validate() -> None:
    lines = [ln.strip() for ln in _guide().splitlines() if ln.startswith("visas_om: ")]
    assert len(lines) == 14  # 11 in "Villkor", 3 on case data in "Ärendedata"
    base = """\
        - {id: F1, text: a, typ: enval, val: [Skolan, Förskolan, Polisen]}
        - {id: F2, text: a, typ: flerval, val: [Våld mot barnet, Bristande omsorg]}
        - {id: F4_dagar, text: a, typ: tal}
        - {id: F5, text: a, typ: enval, val: [Fysiskt möte, Endast telefon]}
        - {id: F7, text: a, typ: janej}
        - {id: F11, text: a, typ: janej}
        - {id: F13, text: a, typ: enval, val: [Nej, Ja]}
        - {id: H11, text: a, typ: enval, val: [Ja, Nej]}
        - {id: H12, text: a, typ: enval, val: [Ja, Nej]}
        - {id: O10, text: a, typ: tal}
        - {id: O10_faktisk, text: a, typ: tal}
        """
    extra = "".join(f"- id: X{i}\n  text: x\n  typ: janej\n  {ln}\n" for i, ln in enumerate(lines))
    case_data = "arendedata: {alder: tal, inkom_datum: datum, kon: text}\nomraden:"
    c = cl.loads(q(textwrap.dedent(base) + extra).replace("omraden:", case_data), source="x.yaml")
    assert sum(1 for x in c.questions if x.condition is not None) == 14
    assert c.visible("X3", {"F2": ("Våld mot barnet",)})
