"""Case data in checklists (``arendedata``): parsing, validation and use in conditions."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from granskning import checklist as cl
from granskning.checklist.render import render, to_dict
from granskning.checklist.safeyaml import ChecklistFileError
from granskning.errors import ManyInputErrors


def text(case_data: str, questions: str) -> str:
    head = 'id: test\ntitel: Test\nversion: "1"\n'
    if case_data:
        head += "arendedata:\n" + textwrap.indent(textwrap.dedent(case_data), "  ")
    return (head + "omraden:\n  - id: a\n    titel: A\n    fragor:\n"
            + textwrap.indent(textwrap.dedent(questions), "      "))


F1 = """\
- id: F1
  text: Har barnet kommit till tals?
  typ: janej
  hinder: [Barnet kan inte]
  visas_om: alder >= 4
"""


def problems(source: str) -> list[ChecklistFileError]:
    with pytest.raises(ManyInputErrors) as info:
        cl.loads(source, source="checklists/x.yaml")
    return info.value.errors


def test_no_case_data_by_default():
    c = cl.loads(text("", "- id: F1\n  text: Fråga\n  typ: janej\n"))
    assert c.case_fields == {}
    assert "arendedata" in to_dict(c) and to_dict(c)["arendedata"] == {}


def test_case_fields_parsed_in_file_order():
    c = cl.loads(text("inkom_datum: datum\nalder: tal\nkon: text\n", F1))
    assert list(c.case_fields.items()) == [("inkom_datum", "datum"), ("alder", "tal"), ("kon", "text")]
    assert "Ärendedata (från urvalsramen): inkom_datum (datum), alder (tal), kon (text)" in render(c)


def test_condition_on_age_hides_question_for_under_four():
    c = cl.loads(text("alder: tal\n", F1))
    assert c.visible("F1", {}, {"alder": 4})
    assert not c.visible("F1", {}, {"alder": 3})
    # Missing case data: the comparison is False (as every comparison with a missing value).
    assert not c.visible("F1", {}, {})
    assert not c.visible("F1", {})
    assert c.missing({}, {"alder": 7}) == ["F1"]
    assert c.missing({}, {"alder": 2}) == []
    assert c.is_complete({}, {"alder": 2})
    assert c.next_unanswered({}, {"alder": 9}).id == "F1"


def test_case_dates_as_iso_text_or_dates():
    c = cl.loads(text("inkom_datum: datum\n", """\
        - id: F1
          text: Fråga
          typ: janej
          visas_om: inkom_datum >= 2024-01-01
        """))
    assert c.visible("F1", {}, {"inkom_datum": "2024-03-01"})
    assert c.visible("F1", {}, {"inkom_datum": dt.date(2024, 1, 1)})
    assert c.visible("F1", {}, {"inkom_datum": dt.datetime(2024, 1, 1, 14, 30)})
    assert not c.visible("F1", {}, {"inkom_datum": "2023-12-31"})
    assert not c.visible("F1", {}, {"inkom_datum": ""})
    assert c.case_env({"inkom_datum": "2024-03-01", "annat": 1}) == {"inkom_datum": dt.date(2024, 3, 1)}


def test_answers_and_case_data_together():
    c = cl.loads(text("kon: text\n", """\
        - id: F1
          text: Fråga 1
          typ: janej
        - id: F2
          text: Fråga 2
          typ: janej
          visas_om: F1 == 'Ja' and kon == 'Flicka'
        """))
    assert c.visible("F2", {"F1": "Ja"}, {"kon": "Flicka"})
    assert not c.visible("F2", {"F1": "Ja"}, {"kon": "Pojke"})
    assert not c.visible("F2", {"F1": "Nej"}, {"kon": "Flicka"})


@pytest.mark.parametrize(("case_data", "line", "needle"), [
    ("alder: tall\n", 5, 'okänd typ "tall" för alder (menade du "tal"?); välj bland datum, tal, text'),
    ("alder: [tal]\n", 5, "okänd typ"),
    ("x__y: tal\n", 5, '"x__y" duger inte som namn på ärendedata'),
    ("1alder: tal\n", 5, "duger inte som namn"),
    ("alder: tal\nalder: datum\n", 6, '"alder" står två gånger'),
])
def test_bad_case_fields(case_data, line, needle):
    found = problems(text(case_data, "- id: F1\n  text: Fråga\n  typ: janej\n"))
    assert len(found) == 1, [p.message for p in found]
    assert found[0].line == line and found[0].key == "arendedata"
    assert needle in found[0].message
    assert "checklists/x.yaml" in found[0].message


def test_case_data_not_a_mapping():
    found = problems(text("", "- id: F1\n  text: Fråga\n  typ: janej\n").replace(
        "omraden:", "arendedata: [alder]\nomraden:"))
    assert len(found) == 1 and found[0].key == "arendedata"
    assert "namn: typ" in found[0].message


def test_question_id_equal_to_case_field_is_refused():
    found = problems(text("F1: tal\n", "- id: F1\n  text: Fråga\n  typ: janej\n"))
    assert len(found) == 1
    assert found[0].key == "id" and found[0].line == 10
    assert '"F1" är redan namnet på ärendedata (arendedata, rad 5)' in found[0].message


def test_conditions_check_case_field_types_and_names():
    found = problems(text("alder: tal\ninkom_datum: datum\n", """\
        - id: F1
          text: Fråga
          typ: janej
          visas_om: alder >= '4' and aldr > 1 and inkom_datum == 5
        """))
    messages = sorted(p.message for p in found)
    assert len(found) == 3, messages
    assert all(p.key == "visas_om" and p.line == 14 for p in found)
    assert any("alder är av typ tal och ska jämföras med ett tal" in m for m in messages)
    assert any("inkom_datum är av typ datum och ska jämföras med ett datum" in m for m in messages)
    assert any('"aldr", som inte är någon fråga eller ärendedata i checklistan (menade du "alder"?)'
               in m for m in messages)


def test_case_field_unknown_without_declaration():
    found = problems(text("", F1))
    assert len(found) == 1
    assert '"alder", som inte är någon fråga i checklistan' in found[0].message


def test_bundled_checklists_still_load():
    for path in cl.bundled():
        assert cl.load(path).case_fields is not None
