"""Tests for granskning.personnummer.number (SKV 704 personnummer and samordningsnummer)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from granskning.errors import InputError
from granskning.personnummer import number as pnr
from granskning.personnummer.number import PersonnummerError, parse

REF = dt.date(2024, 6, 1)


def luhn_ok(ten_digits: str) -> bool:
    """Independent check: classic Luhn over all ten digits (double every second from the right)."""
    total = 0
    for i, ch in enumerate(reversed(ten_digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_check_digit(nine: str) -> str:
    """The ten-digit number completing ``nine`` digits, found with the independent check."""
    return next(nine + str(c) for c in range(10) if luhn_ok(nine + str(c)))


# ------------------------------------------------------------ reference values


def test_skatteverket_check_digit_example() -> None:
    # Skatteverket's description of the check digit (SKV 704) uses 811218-9876:
    # 8 1 1 2 1 8 9 8 7 weighted 2 1 2 1 2 1 2 1 2 -> digit sum 34 -> check digit 6
    p = parse("811218-9876", reference=REF)
    assert p.check_digit == 6 and p.serial == "987"
    assert p.birth_date == dt.date(1981, 12, 18)
    assert p.canonical == "198112189876"
    assert p.sex == "man" and pnr.sex(p) == "man"  # 7 is odd
    assert not p.is_samordningsnummer
    with pytest.raises(PersonnummerError, match="fel kontrollsiffra"):
        parse("811218-9875", reference=REF)


def test_worked_example_640823_3234() -> None:
    # personnummer.info/info.html works the check digit of 640823-323 by hand:
    # products 12,4,0,8,4,3,6,2,6 -> digit sum 36 -> 10 - 6 = 4.
    # R: sweidnumbr::pin_ctrl(as.pin(c("640823-3234", "19640823-3230"))) -> TRUE FALSE
    assert parse("640823-3234", reference=REF).check_digit == 4
    assert not pnr.is_valid("19640823-3230")


# personnummer/meta testdata/list.json (the shared test suite of the personnummer
# libraries in 10 languages): (long_format, separated_format, valid, type, isMale)
META = [
    ("201509160006", "150916-0006", False, "ssn", False),
    ("190905271474", "090527+1474", True, "ssn", True),
    ("198707049996", "870704-9996", False, "ssn", True),
    ("198211059954", "821105-9954", True, "ssn", True),
    ("193901829913", "390182-9913", False, "con", True),
    ("195705749959", "570574-9959", True, "con", True),
    ("201211209941", "121120-9941", False, "ssn", False),
    ("199012119948", "901211-9948", True, "ssn", False),
    ("201210759984", "121075-9984", False, "con", False),
    ("197306749982", "730674-9982", True, "con", False),
    ("187912219990", "791221+9990", True, "ssn", True),
    ("200012099891", "001209-9891", True, "ssn", True),
]


@pytest.mark.parametrize(("long", "separated", "valid", "kind", "male"), META)
def test_personnummer_meta_list(
    long: str, separated: str, valid: bool, kind: str, male: bool
) -> None:
    # with a reference date in 2024 the ten-digit forms resolve to the listed twelve digits
    short = separated.replace("-", "").replace("+", "")
    forms = [long, separated, long[:8] + separated[6] + long[8:]]
    if separated[6] == "-":
        forms.append(short)  # no separator means "-"
    for form in forms:
        assert pnr.is_valid(form, reference=REF) is valid, form
    if valid:
        p = parse(separated, reference=REF)
        assert p.canonical == long
        assert p.is_samordningsnummer is (kind == "con")
        assert p.sex == ("man" if male else "kvinna")


def test_meta_invalid_entries_fail_for_the_documented_reason() -> None:
    reasons = {}
    for long, _, valid, _, _ in META:
        if not valid:
            with pytest.raises(PersonnummerError) as info:
                parse(long)
            reasons[long] = info.value.reason
    assert reasons == {
        "201509160006": pnr.FEL_SERIE,  # birth number 000 is never issued
        "198707049996": pnr.FEL_KONTROLL,
        "193901829913": pnr.FEL_KONTROLL,
        "201211209941": pnr.FEL_KONTROLL,
        "201210759984": pnr.FEL_KONTROLL,
    }
    assert not pnr.is_valid("19090527 1474")  # a space is not a separator (same list)


# ------------------------------------------------------------------- century


def test_ten_digit_century_resolution_against_reference() -> None:
    born_today = with_check_digit("240601987")
    tomorrow = with_check_digit("240602987")
    assert parse(born_today, reference=REF).birth_date == dt.date(2024, 6, 1)
    assert parse(tomorrow, reference=REF).birth_date == dt.date(1924, 6, 2)
    assert parse(tomorrow, reference=REF).age(REF) == 99
    plus_today = born_today[:6] + "+" + born_today[6:]
    assert parse(plus_today, reference=REF).birth_date == dt.date(1924, 6, 1)
    assert parse(plus_today, reference=REF).age(REF) == 100
    plus_tomorrow = tomorrow[:6] + "+" + tomorrow[6:]
    assert parse(plus_tomorrow, reference=REF).birth_date == dt.date(1824, 6, 2)


def test_ten_digits_without_reference_is_refused_without_leaking() -> None:
    with pytest.raises(PersonnummerError) as info:
        parse("811218-9876")
    assert "referensdatum" in str(info.value)
    assert "9876" not in str(info.value)


def test_twelve_digits_need_no_reference() -> None:
    assert parse("19811218-9876").birth_date == dt.date(1981, 12, 18)
    assert parse("19090527+1474").birth_date == dt.date(1909, 5, 27)


# --------------------------------------------------------------- dates, leap


def test_leap_days() -> None:
    feb29 = with_check_digit("000229998")  # 000229-998C
    assert parse(feb29, reference=REF).birth_date == dt.date(2000, 2, 29)  # 2000 is a leap year
    with pytest.raises(PersonnummerError, match="ogiltigt födelsedatum"):
        parse(feb29[:6] + "+" + feb29[6:], reference=REF)  # 1900 is not a leap year
    assert pnr.is_valid(feb29)  # some century works
    assert not pnr.is_valid(feb29[:6] + "+" + feb29[6:])  # 1800 and 1900: neither works
    not_leap = with_check_digit("230229998")
    with pytest.raises(PersonnummerError, match="ogiltigt födelsedatum"):
        parse("20" + not_leap, reference=REF)


@pytest.mark.parametrize("nine", ["811318987", "811200987", "811232987", "810431987", "810230987"])
def test_invalid_dates(nine: str) -> None:
    number = with_check_digit(nine)  # correct check digit, impossible date
    with pytest.raises(PersonnummerError) as info:
        parse(number, reference=REF)
    assert info.value.reason == pnr.FEL_DATUM


def test_birth_after_reference_is_refused() -> None:
    with pytest.raises(PersonnummerError, match="efter referensdatumet"):
        parse("20" + with_check_digit("240602987"), reference=REF)


def test_samordningsnummer_day_plus_60() -> None:
    # 570574-9959 is a samordningsnummer in the personnummer/meta list: 14 May 1957
    p = parse("570574-9959", reference=REF)
    assert p.is_samordningsnummer and p.birth_date == dt.date(1957, 5, 14)
    assert p.canonical == "195705749959" and p.masked == "19570574-****"
    number = with_check_digit("000289998")  # 29 Feb 2000 + 60
    assert parse(number, reference=REF).birth_date == dt.date(2000, 2, 29)
    with pytest.raises(PersonnummerError, match="ogiltigt födelsedatum"):
        parse(with_check_digit("810292987"), reference=REF)  # 32 Feb


@pytest.mark.parametrize(
    "text", ["81121-89876", "811218/9876", "811218--9876", "8112189876x", "1981121898761",
             "19811218-98", "abc", "۸۱۱۲۱۸-۹۸۷۶"],
)  # fmt: skip
def test_bad_format(text: str) -> None:
    with pytest.raises(PersonnummerError) as info:
        parse(text, reference=REF)
    assert info.value.reason == pnr.FEL_FORMAT
    assert info.value.exit_code == 2 and isinstance(info.value, InputError)


def test_missing() -> None:
    for empty in ["", "   ", None]:
        with pytest.raises(PersonnummerError, match="saknas"):
            parse(empty, reference=REF)  # type: ignore[arg-type]


# ------------------------------------------------------------------ age, sex


def test_age_in_completed_years_and_leap_day_convention() -> None:
    p = parse("811218-9876", reference=REF)
    assert p.age(dt.date(2024, 12, 17)) == 42
    assert pnr.age(p, dt.date(2024, 12, 18)) == 43
    leap = parse("20" + with_check_digit("040229998"))
    assert leap.age(dt.date(2005, 2, 28)) == 0  # not yet: turns 1 on 1 March
    assert leap.age(dt.date(2005, 3, 1)) == 1
    assert leap.age(dt.date(2008, 2, 28)) == 3
    assert leap.age(dt.date(2008, 2, 29)) == 4  # leap year: on the day itself
    with pytest.raises(PersonnummerError, match="före födelsedatumet"):
        leap.age(dt.date(2003, 1, 1))


def test_sex_and_child_terms() -> None:
    woman = parse("19901211-9948")  # personnummer/meta: isFemale
    assert woman.sex == "kvinna" and pnr.as_child(woman.sex) == "flicka"
    assert pnr.as_child("man") == "pojke"
    with pytest.raises(InputError):
        pnr.as_child("okänt")


# ------------------------------------------------------------------- masking


def test_repr_and_str_are_masked() -> None:
    p = parse("811218-9876", reference=REF)
    assert repr(p) == "Personnummer(19811218-****)"
    assert str(p) == "19811218-****" == p.masked
    assert "9876" not in repr(p) and "9876" not in f"{p}"


def test_mask_and_scrub() -> None:
    assert pnr.mask("811218-9876") == "811218-****"
    assert pnr.mask("19811218+9876") == "19811218+****"
    assert pnr.mask("8112189876") == "811218-****"
    assert pnr.mask("81121-89876") == "81121-8****"  # not a number: only six digits kept
    text = "Ärende 19811218-9876, barn 8112189876 och 811218+9876; id 12345678901234 och 2024-01-01"
    assert pnr.scrub(text) == (
        "Ärende 19811218-****, barn 811218-**** och 811218+****; id 12345678901234 och 2024-01-01"
    )


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="0123456789-+ ", min_size=8, max_size=15)
    | st.builds(lambda d: d, st.from_regex(r"\A(19|20)?[0-9]{6}[-+]?[0-9]{4}\Z"))
)
def test_error_messages_never_leak_the_last_four_digits(text: str) -> None:
    try:
        parse(text, reference=REF)
    except PersonnummerError as exc:
        message = str(exc)
        stripped = text.strip()
        if len(re.sub(r"\D", "", stripped)) >= 7:
            assert stripped not in message
        assert pnr.scrub(message) == message  # nothing personnummer-shaped remains
        digits = re.sub(r"\D", "", message.replace(exc.reason or "", ""))
        assert len(digits) <= 8  # at most the date part YYYYMMDD


# ---------------------------------------------------------------- vectorised


def mutate(number: str, how: int, where: int, digit: int) -> str:
    if how == 0:
        return number
    if how == 1:  # change one digit
        i = where % len(number)
        return number[:i] + str(digit) + number[i + 1 :] if number[i].isdigit() else number
    if how == 2:  # drop the separator
        return number.replace("-", "").replace("+", "")
    if how == 3:  # ten-digit form with - or +
        short = number[2:]
        return short if digit % 2 else short.replace("-", "+")
    if how == 4:
        return f"  {number} "
    if how == 5:
        return number[:-1]
    return number + str(digit)


@st.composite
def numbers(draw: st.DrawFn) -> str | None:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.none() | st.text(max_size=14))
    born_from = draw(st.dates(dt.date(1850, 1, 1), dt.date(2024, 6, 1)))
    base = pnr.synthetic(
        1, seed=draw(st.integers(0, 10**6)), birth_from=born_from, birth_to=born_from,
        coordination=draw(st.booleans()),
    )[0]  # fmt: skip
    return mutate(base, draw(st.integers(0, 6)), draw(st.integers(0, 20)), draw(st.integers(0, 9)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(numbers(), min_size=1, max_size=40), st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1))
)
def test_parse_series_equals_scalar_parse(values: list[str | None], reference: dt.date) -> None:
    s = pd.Series(values, dtype=object, index=range(100, 100 + len(values)))
    df = pnr.parse_series(s, reference)
    assert list(df.index) == list(s.index)
    for (_, row), text in zip(df.iterrows(), values, strict=True):
        try:
            p = parse(text, reference=reference)  # type: ignore[arg-type]
        except PersonnummerError as exc:
            assert not row["valid"], text
            assert row["reason"] == exc.reason, text
            assert pd.isna(row["canonical"]) and pd.isna(row["birth_date"]) and pd.isna(row["age"])
            continue
        assert row["valid"] and row["reason"] == "", text
        assert row["canonical"] == p.canonical
        assert row["birth_date"].date() == p.birth_date
        assert row["sex"] == p.sex
        assert row["age"] == p.age(reference)
        assert row["samordningsnummer"] == p.is_samordningsnummer


def test_parse_series_columns_and_types() -> None:
    s = pd.Series(["811218-9876", None, "811218-9875", "570574-9959"])
    df = pnr.parse_series(s, REF)
    assert list(df.columns) == [
        "valid", "canonical", "birth_date", "sex", "age", "samordningsnummer", "reason"
    ]  # fmt: skip
    assert df["valid"].tolist() == [True, False, False, True]
    assert df["reason"].tolist() == ["", "saknas", "fel kontrollsiffra", ""]
    assert df["age"].tolist()[0] == 42 and df["age"].dtype == "Int64"
    assert df["samordningsnummer"].tolist() == [False, False, False, True]
    assert pnr.parse_series(pd.Series([], dtype="str"), REF).empty


def test_parse_series_many_rows() -> None:
    values = pnr.synthetic(20_000, seed=7, birth_from=dt.date(1930, 1, 1),
                           birth_to=dt.date(2023, 12, 31)) * 10  # fmt: skip
    df = pnr.parse_series(pd.Series(values), REF)
    assert df["valid"].all() and len(df) == 200_000


# ----------------------------------------------------------------- synthetic


def test_synthetic_numbers_are_valid_distinct_and_reproducible() -> None:
    a = pnr.synthetic(500, seed=42, birth_from=dt.date(2010, 1, 1), birth_to=dt.date(2017, 12, 31))
    assert a == pnr.synthetic(
        500, seed=42, birth_from=dt.date(2010, 1, 1), birth_to=dt.date(2017, 12, 31)
    )
    assert len(set(a)) == 500
    for number in a:
        assert re.fullmatch(r"20[01][0-9]{5}-98[0-9]{2}|20[01][0-9]{5}-99[0-9]{2}", number)
        assert luhn_ok(number[2:8] + number[9:])
        p = parse(number)
        assert dt.date(2010, 1, 1) <= p.birth_date <= dt.date(2017, 12, 31)
    sexes = {parse(x).sex for x in a}
    assert sexes == {"kvinna", "man"}
    co = pnr.synthetic(20, seed=1, birth_from=dt.date(1990, 1, 1), birth_to=dt.date(1990, 1, 31),
                       coordination=True)  # fmt: skip
    assert all(parse(x).is_samordningsnummer for x in co)


def test_synthetic_refuses_impossible_requests() -> None:
    with pytest.raises(InputError, match="bara att skapa 20 olika"):
        pnr.synthetic(21, seed=1, birth_from=dt.date(2000, 1, 1), birth_to=dt.date(2000, 1, 1))
    with pytest.raises(InputError):
        pnr.synthetic(1, seed=1, birth_from=dt.date(2001, 1, 1), birth_to=dt.date(2000, 1, 1))
