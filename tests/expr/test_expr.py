"""Tests for granskning.expr.expression: the safe expression language for filters and skip conditions."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from granskning.errors import InputError
from granskning.expr.expression import (
    BoolOp,
    Call,
    Compare,
    ExprError,
    ListOf,
    Literal,
    Membership,
    Name,
    Not,
    check_names,
    parse,
)


def ev(text: str, **env: object) -> object:
    return parse(text).evaluate(env)


# --------------------------------------------------------------------- parsing


def test_and_binds_tighter_than_or() -> None:
    assert parse("a or b and c").root == BoolOp(
        "or", (Name("a"), BoolOp("and", (Name("b"), Name("c"))))
    )
    assert parse("(a or b) and c").root == BoolOp(
        "and", (BoolOp("or", (Name("a"), Name("b"))), Name("c"))
    )


def test_not_binds_looser_than_comparison_and_tighter_than_and() -> None:
    assert parse("not x == 1 and y").root == BoolOp(
        "and", (Not(Compare("==", Name("x"), Literal(1))), Name("y"))
    )


def test_swedish_keywords_equal_english() -> None:
    assert parse("a eller b och inte c").root == parse("a or b and not c").root
    assert parse("x inte in [1]").root == parse("x not in [1]").root
    assert parse("x == sant").root == parse("x == true").root
    assert parse("x == FALSKT").root == Compare("==", Name("x"), Literal(False))
    assert parse("a AND b").root == parse("a and b").root


def test_single_equals_and_sql_not_equal() -> None:
    assert parse("F11 = 'Ja'").root == parse("F11 == 'Ja'").root
    assert parse("x <> 1").root == parse("x != 1").root


def test_literals() -> None:
    assert parse("x == 12").root.right == Literal(12)
    assert parse("x == -2.5").root.right == Literal(-2.5)
    assert parse("x >= 2024-01-01").root.right == Literal(dt.date(2024, 1, 1))
    assert parse("x < datum('2024-02-29')").root.right == Literal(dt.date(2024, 2, 29))
    assert parse("x == 'it\\'s'").root.right == Literal("it's")
    assert parse('x == "sa \\"hej\\""').root.right == Literal('sa "hej"')
    # Word turns straight quotes into typographic ones; accept them
    assert parse("x == ’Ja’").root.right == Literal("Ja")
    assert parse("x == ”Ja”").root.right == Literal("Ja")
    assert parse("x in ['a', 'b',]").root == Membership(Name("x"), ListOf(("a", "b")))


def test_unicode_and_backtick_names() -> None:
    assert parse("ålder <= 12 and barn_ålder > 1").names == {"ålder", "barn_ålder"}
    assert parse("`Ärende-id` == 3").names == {"Ärende-id"}
    assert parse("`or` == 1").names == {"or"}  # backticks allow keywords as names
    assert parse("`Ärende-id` = 3").canonical == "`Ärende-id` == 3"


def test_names_and_canonical_round_trip() -> None:
    text = (
        "alder <= 12 och beslutsdatum >= 2023-01-01 "
        "och stadsdel in ['Farsta', 'Järva'] eller inte tom(F5) och antal(F2) >= 2"
    )
    expr = parse(text)
    assert expr.names == {"alder", "beslutsdatum", "stadsdel", "F5", "F2"}
    assert parse(expr.canonical).root == expr.root
    assert expr.is_condition
    assert not parse("antal(F2)").is_condition


def test_functions() -> None:
    assert parse("ar(d) == 2024").root == Compare("==", Call("ar", (Name("d"),)), Literal(2024))
    assert parse("år(d) == 2024").root == parse("ar(d) == 2024").root
    assert ev("ar(d) == 2024", d="2024-05-01") is True
    assert ev("antal(F2) >= 2", F2=["a", "b"]) is True
    assert ev("antal(F2) == 0", F2=None) is True
    assert ev("tom(F5)", F5="  ") is True
    assert ev("besvarad(F5)", F5="Nej") is True
    assert ev("datum(d) < 2024-01-01", d="20231231") is True


# ---------------------------------------------------------------- evaluation


def test_checklist_conditions_from_the_brief() -> None:
    f13 = parse("F13 in ['Ja – diffusa uppgifter', 'Ja – konkreta uppgifter']")
    assert f13.evaluate({"F13": "Ja – konkreta uppgifter"}) is True
    assert f13.evaluate({"F13": "Nej"}) is False
    assert ev("F11 == 'Ja'", F11="Ja") is True
    assert ev("not (F7 == 'Nej')", F7="Ja") is True
    assert ev("not (F7 == 'Nej')", F7="Nej") is False
    violence = parse("'Våld mot barnet' in F2")
    assert violence.evaluate({"F2": ["Missbruk", "Våld mot barnet"]}) is True
    assert violence.evaluate({"F2": ("Missbruk",)}) is False
    assert violence.evaluate({"F2": set()}) is False
    assert parse("'Våld mot barnet' not in F2").evaluate({"F2": ["Missbruk"]}) is True


def test_population_filter_from_the_brief() -> None:
    expr = parse("alder <= 12 and beslutsdatum >= 2023-01-01 and stadsdel in ['Farsta', 'Järva']")
    row = {"alder": "12", "beslutsdatum": "2023-01-01", "stadsdel": "Järva"}
    assert expr.evaluate(row) is True
    assert expr.evaluate({**row, "alder": "13"}) is False
    assert expr.evaluate({**row, "beslutsdatum": "2022-12-31"}) is False
    assert expr.evaluate({**row, "stadsdel": "Skärholmen"}) is False


@pytest.mark.parametrize(
    "text",
    ["x == 1", "x != 1", "x < 1", "x >= 1", "x in [1, 2]", "x not in [1, 2]", "'a' in x",
     "'a' not in x", "x == sant", "x"],
)  # fmt: skip
@pytest.mark.parametrize("missing", [None, "", "   ", float("nan"), np.nan, pd.NA, pd.NaT])
def test_any_comparison_with_a_missing_value_is_false(text: str, missing: object) -> None:
    assert parse(text).evaluate({"x": missing}) is False
    assert parse(text).evaluate({}) is False  # an absent key is missing too


def test_not_of_a_false_comparison_with_missing_is_true() -> None:
    # two-valued logic: documented in the module docstring
    assert ev("not (x == 1)", x=None) is True
    assert ev("tom(x) or x != 1", x=None) is True


def test_coercion_of_text_values() -> None:
    assert ev("x > 12", x="12,5") is True
    assert ev("x == 12.5", x=" 12.5 ") is True
    assert ev("x == -3", x="-3") is True
    assert ev("x == '5'", x=5) is True
    assert ev("x == 5", x=np.int64(5)) is True
    assert ev("x < 2024-03-02", x="2024-03-01") is True
    assert ev("x == 2024-03-01", x="20240301") is True
    assert ev("x == 2024-03-01", x="2024-03-01 14:30") is True
    assert ev("x == 2024-03-01", x=dt.datetime(2024, 3, 1, 14, 30)) is True
    assert ev("x == 2024-03-01", x=pd.Timestamp("2024-03-01")) is True
    assert ev("x == sant", x="Ja") is True
    assert ev("x", x="nej") is False
    assert ev("x == 'Farsta'", x="Farsta ") is True
    assert ev("3 in x", x=["1", "3"]) is True


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("alder < 3", "abc", "ett tal"),
        ("d >= 2024-01-01", "2024-13-01", "ett datum"),
        ("d >= 2024-01-01", "1/3 2024", "ett datum"),
        ("x == sant", "kanske", "sant eller falskt"),
        ("x == 1", ["1"], "ett enskilt värde"),
        ("'a' in x", "a", "ett flervalssvar"),
        ("antal(x) > 1", "a", "ett flervalssvar"),
        ("x == 1", dt.date(2024, 1, 1), "ett tal"),
    ],
)
def test_values_that_cannot_be_coerced_raise_naming_value_and_name(
    text: str, value: object, expected: str
) -> None:
    name = sorted(parse(text).names)[0]
    with pytest.raises(ExprError) as info:
        parse(text, source="ram.csv").evaluate({name: value})
    message = str(info.value)
    assert message.startswith("ram.csv: Värdet ")
    assert f'i "{name}"' in message
    assert expected in message
    assert info.value.exit_code == 2 and isinstance(info.value, InputError)
    assert info.value.name == name


def test_error_messages_never_show_a_full_personnummer() -> None:
    # 811218-9876 is Skatteverket's documentation example for the check digit
    with pytest.raises(ExprError) as info:
        ev("pnr > 5", pnr="19811218-9876")
    assert "9876" not in str(info.value) and "19811218-****" in str(info.value)
    # a personnummer in the expression itself is refused before parsing (secrecy item 10)
    with pytest.raises(ExprError, match="innehåller ett personnummer vid tecken 9") as info:
        parse("pnr == '811218-9876' )")
    assert "9876" not in str(info.value) and "811218" not in str(info.value)


# -------------------------------------------------------------------- errors


def test_error_message_quotes_text_with_caret() -> None:
    with pytest.raises(ExprError) as info:
        parse("F11 == 'Ja')", source="checklists/x.yaml, rad 14, nyckel visas_om")
    message = str(info.value)
    first, line, caret = message.split("\n")
    assert first == (
        'checklists/x.yaml, rad 14, nyckel visas_om: Ogiltigt uttryck vid tecken 12: oväntat ")"'
    )
    assert line == "    F11 == 'Ja')"
    assert caret.index("^") == line.index(")")
    assert info.value.position == 12


HOSTILE = [
    ("__import__('os').system('x')", "okänd funktion"),
    ("().__class__", 'oväntat ")"'),
    ("a.b", "attribut"),
    ("a[0]", 'oväntat "["'),
    ("open('x')", "okänd funktion"),
    ("lambda: 1", "kolon"),
    ("(" * 10_000 + "a" + ")" * 10_000, "för långt"),
    ("(" * 51 + "a" + ")" * 51, "för djupt"),
    ("not " * 400 + "a", "för djupt"),
    ("[" * 60 + "]" * 60, 'oväntat "["'),  # lists hold plain values only
    ("'" + "a" * 1_000_000 + "'", "för långt"),
    ("x == 'abc", "avslutas aldrig"),
    ('x == "abc', "avslutas aldrig"),
    ("`abc == 1", "avslutas aldrig"),
    ("foo(x) == 1", "okänd funktion"),
    ("idag() > d", "återskapa"),
    ("d < today()", "återskapa"),
    ("exec('1')", "okänd funktion"),
    ("x == 1; import os", "oväntat tecken"),
    ("", "tomt"),
    ("   ", "tomt"),
    ("x ==", "slut för tidigt"),
    ("a < b < c", "kedjade"),
    ("x in 'abc'", "lista"),
    ("1 < 2024-01-01", "kan inte jämföra"),
    ("x == 2023-02-29", "ogiltigt datum"),
    ("x == datum('2023-02-29')", "ogiltigt datum"),
    ("x in [1, 'a']", "blandar"),
    ("not 3", "inget villkor"),
    ("a and 'x'", "inget villkor"),
    ("tom(1)", "namn"),
    ("antal(x, y) > 1", "exakt ett argument"),
    ("x == @", "oväntat tecken"),
    ("12abc == 1", "ogiltigt tal"),
    ("x in [y]", "oväntat namn"),
]


@pytest.mark.parametrize(("text", "fragment"), HOSTILE)
def test_hostile_or_broken_input_is_refused_cleanly(text: str, fragment: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExprError) as info:
        parse(text)
    assert time.perf_counter() - start < 10  # hang guard for hostile input, not a timing
    assert fragment in str(info.value)
    assert info.value.exit_code == 2
    assert len(str(info.value)) < 400  # never echoes a huge input


def test_non_text_is_refused() -> None:
    with pytest.raises(ExprError, match="ska vara text"):
        parse(123)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ab1 ()[]'\"`=<>!,.-_åx\\") + [" and ", " in ", " not ",
                                   "tom(", "2024-01-01", "12.5"]),
                max_size=40).map("".join))  # fmt: skip
def test_random_text_parses_or_raises_expr_error(text: str) -> None:
    try:
        expr = parse(text)
    except ExprError:
        return
    assert parse(expr.canonical).root == expr.root


# ---------------------------------------------------------------- check_names


def test_check_names_lists_unknown_names_with_suggestions() -> None:
    expr = parse("aldr <= 12 and Stadsdel == 'Farsta' and zzz == 1", source="filter")
    with pytest.raises(ExprError) as info:
        check_names(expr, ["alder", "stadsdel", "beslutsdatum"])
    message = str(info.value)
    assert message.startswith("filter: Okända namn")
    assert '"aldr" (menade du "alder"?)' in message
    assert '"Stadsdel" (menade du "stadsdel"?)' in message
    assert '"zzz"' in message and '"zzz" (' not in message
    check_names(expr, ["aldr", "Stadsdel", "zzz"])  # all known: no error


# ----------------------------------------------------------------------- mask


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alder": ["3", "12", "13", "", "12,5", None, "7"],
            "beslutsdatum": ["2023-01-01", "2022-12-31", "20230615", "2023-02-01", "", "2024-01-01",
                             "2023-05-05 10:00"],
            "stadsdel": ["Farsta", "Järva", "Farsta", "Farsta", "Farsta", "Järva", "Skärholmen"],
        }
    )  # fmt: skip


def test_mask_of_the_brief_filter() -> None:
    expr = parse("alder <= 12 and beslutsdatum >= 2023-01-01 and stadsdel in ['Farsta', 'Järva']")
    mask = expr.mask(frame())
    # by hand: row 0 yes; 1 date too early; 2 age 13; 3 age missing; 4 12,5 > 12;
    # 5 age missing; 6 wrong district
    assert mask.tolist() == [True, False, False, False, False, False, False]
    assert mask.dtype == bool and mask.index.equals(frame().index)


def test_mask_reports_bad_values_with_excel_row_and_column() -> None:
    df = frame()
    df.loc[4, "alder"] = "tolv"
    df.loc[2, "beslutsdatum"] = "2023-02-30"
    expr = parse("alder <= 12 or beslutsdatum >= 2023-01-01")
    report = expr.mask_report(df)
    assert report.problem_count == 2
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (4, "beslutsdatum", '"2023-02-30"'),
        (6, "alder", '"tolv"'),
    ]
    assert report.mask.tolist() == [True, True, False, True, False, True, True]
    with pytest.raises(ExprError) as info:
        expr.mask(df, file="ram.csv")
    assert str(info.value).startswith('ram.csv, rad 4, kolumn "beslutsdatum": Värdet "2023-02-30"')
    assert "1 fler" in str(info.value)
    assert expr.mask(df, strict=False).tolist() == report.mask.tolist()


def test_mask_rows_use_the_index_label_when_integer() -> None:
    df = frame().iloc[2:]
    df.loc[5, "alder"] = "abc"
    report = parse("alder > 1").mask_report(df)
    assert [p.row for p in report.problems] == [7]  # index 5 = Excel row 7
    named = df.set_index(pd.Index(list("abcde")))
    assert [p.row for p in parse("alder > 1").mask_report(named).problems] == [5]


def test_mask_refuses_unknown_columns_and_non_conditions() -> None:
    with pytest.raises(ExprError, match='menade du "alder"'):
        parse("aldr > 1").mask(frame(), file="ram.csv")
    with pytest.raises(ExprError, match="inget villkor"):
        parse("antal(x)").mask(pd.DataFrame({"x": ["a"]}))


def test_mask_with_list_valued_column_and_typed_columns() -> None:
    df = pd.DataFrame(
        {
            "F2": [["Våld mot barnet"], [], None, ["Missbruk", "Våld mot barnet"]],
            "n": [1, 2, np.nan, 4],
            "d": pd.to_datetime(["2024-01-01", None, "2023-01-01", "2024-06-01"]),
        }
    )
    assert parse("'Våld mot barnet' in F2").mask(df).tolist() == [True, False, False, True]
    assert parse("antal(F2) >= 1").mask(df).tolist() == [True, False, False, True]
    assert parse("n >= 2").mask(df).tolist() == [False, True, False, True]
    assert parse("d >= 2024-01-01").mask(df).tolist() == [True, False, False, True]
    assert parse("ar(d) == 2023 or tom(d)").mask(df).tolist() == [False, True, True, False]
    assert parse("sant").mask(df).tolist() == [True] * 4
    assert parse("n < 2").mask(df.iloc[:0]).tolist() == []


def test_mask_compares_two_columns() -> None:
    df = pd.DataFrame({"a": ["2024-01-01", "2024-03-01", None], "b": ["2024-02-01"] * 3})
    assert parse("datum(a) < datum(b)").mask(df).tolist() == [True, False, False]


VALUES = ["1", "2", "12", "12,5", "-3", "abc", "", None, "2024-01-01", "20240102", "2023-12-31",
          "Ja", "nej", "Farsta", "Järva", "2024-02-30"]  # fmt: skip
LEAVES = [
    "a == 1", "a != 2", "a < 12", "a >= 2,5".replace(",", "."), "a == 'Farsta'", "b > 'J'",
    "a in [1, 2]", "b not in ['Farsta', 'Järva']", "a >= 2024-01-01", "b < 2024-01-02",
    "a == b", "a < b", "tom(a)", "besvarad(b)", "b", "a == sant", "ar(a) == 2024",
    "datum(a) <= datum(b)",
]  # fmt: skip


def expressions() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(LEAVES)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda x: f"not ({x})", inner),
            st.builds(lambda x, y: f"({x}) and ({y})", inner, inner),
            st.builds(lambda x, y: f"({x}) eller ({y})", inner, inner),
        ),
        max_leaves=6,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=expressions(),
    a=st.lists(st.sampled_from(VALUES), min_size=0, max_size=25),
    b=st.lists(st.sampled_from(VALUES), min_size=0, max_size=25),
)
def test_vectorised_mask_equals_row_wise_evaluate(text: str, a: list, b: list) -> None:
    n = min(len(a), len(b))
    df = pd.DataFrame({"a": a[:n], "b": b[:n]}, dtype="str")
    expr = parse(text)
    report = expr.mask_report(df)
    bad_rows = {p.row_index for p in report.problems}
    for i in range(n):
        row = df.iloc[i].to_dict()
        try:
            value = expr.evaluate(row)
        except ExprError:
            assert i in bad_rows, (text, row)
            continue
        assert i not in bad_rows, (text, row)
        assert report.mask.iloc[i] == value, (text, row)


@pytest.mark.slow
def test_mask_of_two_million_rows_is_fast() -> None:
    rng = np.random.default_rng(2024)
    n = 2_000_000
    days = pd.date_range("2020-01-01", periods=1500).strftime("%Y-%m-%d")
    districts = np.array(["Farsta", "Järva", "Södermalm", "Kungsholmen"])
    df = pd.DataFrame(
        {
            "alder": rng.integers(0, 20, n).astype(str),
            "beslutsdatum": np.asarray(days)[rng.integers(0, len(days), n)],
            "stadsdel": districts[rng.integers(0, 4, n)],
        }
    )
    expr = parse("alder <= 12 and beslutsdatum >= 2023-01-01 and stadsdel in ['Farsta', 'Järva']")
    mask = expr.mask(df)
    # reference: the same filter written directly in pandas
    expected = (
        (pd.to_numeric(df["alder"]) <= 12)
        & (df["beslutsdatum"] >= "2023-01-01")
        & df["stadsdel"].isin(["Farsta", "Järva"])
    )
    assert mask.equals(expected)
