"""Tests for granskning.sampling.allocation: equal, proportional and Neyman allocation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from granskning.errors import InputError
from granskning.sampling.allocation import allocate

DISTRICTS = [
    "Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Bromma", "Kungsholmen",
    "Norrmalm", "Östermalm", "Södermalm", "Enskede-Årsta-Vantör", "Skarpnäck",
    "Farsta",
]  # fmt: skip


def rows(df):
    return {r.stratum: (int(r.N), int(r.n), bool(r.takes_all)) for r in df.itertuples()}


def test_equal_allocation_of_the_2024_audit():
    # DOMAIN.md §1.1: 286 cases, 26 per district in all eleven districts (equal allocation).
    population = {d: 200 + 37 * i for i, d in enumerate(DISTRICTS)}
    df = allocate(population, total=286, method="lika")
    assert list(df.columns) == ["stratum", "N", "n", "takes_all"]
    assert list(df["stratum"]) == DISTRICTS  # input order kept
    assert df["n"].tolist() == [26] * 11
    assert not df["takes_all"].any()
    assert allocate(population, per_stratum=26)["n"].tolist() == [26] * 11


def test_per_stratum_caps_small_strata():
    df = allocate({"a": 100, "b": 12, "c": 0}, per_stratum=26)
    assert rows(df) == {"a": (100, 26, False), "b": (12, 12, True), "c": (0, 0, True)}


def test_proportional_allocation_exact_quotas():
    # n_h = n·N_h/N (Cochran 1977, §5.5): 100·{500, 300, 200}/1000 = 50, 30, 20.
    df = allocate({"a": 500, "b": 300, "c": 200}, total=100, method="proportionell")
    assert df["n"].tolist() == [50, 30, 20]


def test_largest_remainder_rounding():
    # Quotas 10·{1, 1, 1}/3 = 3.33 each: floors 3+3+3 = 9, one unit left; equal
    # remainders, so the tie goes to the first stratum by name ("a").
    df = allocate({"c": 50, "a": 50, "b": 50}, total=10, method="lika")
    assert rows(df) == {"c": (50, 3, False), "a": (50, 4, False), "b": (50, 3, False)}
    # Proportional 7·{5, 3, 2}/10 = 3.5, 2.1, 1.4: floors 3+2+1 = 6; largest remainder 0.5 -> a.
    df = allocate({"a": 5, "b": 3, "c": 2}, total=7, method="proportionell")
    assert df["n"].tolist() == [4, 2, 1]


def test_neyman_allocation_for_proportions():
    # Neyman: n_h ∝ N_h·S_h with S_h = sqrt(P_h(1−P_h)) (Cochran 1977, eq. 5.60;
    # SAS PROC SURVEYSELECT ALLOC=NEYMAN).  Weights 1000·0.5, 1000·sqrt(0.09) = 300,
    # 2000·sqrt(0.16) = 800; quotas 160·{500, 300, 800}/1600 = 50, 30, 80.
    df = allocate(
        {"a": 1000, "b": 1000, "c": 2000},
        total=160,
        method="neyman",
        proportions={"b": 0.1, "c": 0.2},  # "a" defaults to 0.5
    )
    assert df["n"].tolist() == [50, 30, 80]
    # With every p_h = 0.5 Neyman equals proportional allocation.
    pop = {"a": 431, "b": 97, "c": 1200}
    assert (
        allocate(pop, total=150, method="neyman")["n"].tolist()
        == allocate(pop, total=150, method="proportionell")["n"].tolist()
    )


def test_surplus_from_a_small_stratum_goes_to_the_others():
    # Equal shares would be 30 each; "b" only has 10, the 20 left are split equally.
    df = allocate({"a": 100, "b": 10, "c": 100}, total=90, method="lika")
    assert rows(df) == {"a": (100, 40, False), "b": (10, 10, True), "c": (100, 40, False)}


def test_cap_that_binds_only_after_redistribution():
    # Equal shares 40 each; "b" (N = 35) is capped, its surplus of 5 raises a and c
    # to 42.5, which then caps "c" (N = 41): a gets the rest, 120 − 35 − 41 = 44.
    df = allocate({"a": 500, "b": 35, "c": 41}, total=120, method="lika")
    assert rows(df) == {"a": (500, 44, False), "b": (35, 35, True), "c": (41, 41, True)}


def test_minimum_per_stratum():
    # Proportional quotas 100·{960, 30, 10}/1000 = 96, 3, 1; minimum 10 lifts b and c
    # to 10 and the rest, 80, goes to "a".
    df = allocate({"a": 960, "b": 30, "c": 10}, total=100, method="proportionell", minimum=10)
    assert rows(df) == {"a": (960, 80, False), "b": (30, 10, False), "c": (10, 10, True)}
    # A stratum smaller than the minimum is taken whole.
    df = allocate({"a": 960, "b": 4}, total=50, method="proportionell", minimum=10)
    assert rows(df) == {"a": (960, 46, False), "b": (4, 4, True)}


def test_whole_population():
    df = allocate({"a": 7, "b": 3}, total=10, method="neyman")
    assert df["n"].tolist() == [7, 3]
    assert df["takes_all"].all()


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"population": {}, "total": 5}, "tom"),
        ({"population": {"a": -1}, "total": 0}, "negativt"),
        ({"population": {"a": 1.5}, "total": 1}, "heltal"),
        ({"population": {"a": 10, "b": 5}, "total": 16}, "större än antalet ärenden"),
        ({"population": {"a": 10, "b": 10}, "total": 5, "minimum": 3}, "Minsta antal"),
        ({"population": {"a": 10}, "total": -2}, "negativt"),
        ({"population": {"a": 10}}, "antingen"),
        ({"population": {"a": 10}, "total": 5, "per_stratum": 5}, "antingen"),
        ({"population": {"a": 10}, "total": 5, "method": "optimal"}, "Okänd fördelning"),
        (
            {"population": {"a": 10}, "total": 5, "method": "neyman", "proportions": {"a": 0.0}},
            "strikt",
        ),
        (
            {"population": {"a": 10}, "total": 5, "method": "neyman", "proportions": {"x": 0.3}},
            "okända",
        ),
        ({"population": {"a": 10}, "total": 5, "proportions": {"a": 0.3}}, "neyman"),
        ({"population": {"a": 10}, "per_stratum": 2, "minimum": 3}, "Minsta antal"),
    ],
)
def test_impossible_requests_raise_swedish_input_errors(kwargs, fragment):
    population = kwargs.pop("population")
    with pytest.raises(InputError) as excinfo:
        allocate(population, **kwargs)
    assert fragment in str(excinfo.value)
    assert excinfo.value.exit_code == 2


# --- properties ------------------------------------------------------------

populations = st.dictionaries(
    st.text(alphabet="abcdefghij", min_size=1, max_size=3),
    st.integers(min_value=0, max_value=400),
    min_size=1,
    max_size=8,
)


@st.composite
def requests(draw):
    pop = draw(populations)
    total = draw(st.integers(min_value=0, max_value=sum(pop.values())))
    method = draw(st.sampled_from(["lika", "proportionell", "neyman"]))
    minimum = draw(st.integers(min_value=0, max_value=30))
    props = None
    if method == "neyman":
        props = {h: draw(st.floats(min_value=0.01, max_value=0.99)) for h in pop}
    return pop, total, method, minimum, props


@settings(max_examples=300, deadline=None)
@given(requests())
def test_properties_of_any_feasible_allocation(request):
    pop, total, method, minimum, props = request
    floor_sum = sum(min(minimum, N) for N in pop.values())
    if floor_sum > total:
        with pytest.raises(InputError):
            allocate(pop, total=total, method=method, minimum=minimum, proportions=props)
        return
    df = allocate(pop, total=total, method=method, minimum=minimum, proportions=props)
    assert int(df["n"].sum()) == min(total, sum(pop.values()))
    assert (df["n"] <= df["N"]).all()
    assert (df["n"] >= df["N"].clip(upper=minimum)).all()
    assert (df["takes_all"] == (df["n"] == df["N"])).all()
    assert list(df["stratum"]) == list(pop)


@settings(max_examples=300, deadline=None)
@given(populations, st.data())
def test_proportional_within_one_of_the_exact_quota_when_no_cap_binds(pop, data):
    big = sum(pop.values())
    if big == 0:
        return
    total = data.draw(st.integers(min_value=0, max_value=big))
    quota = {h: total * N / big for h, N in pop.items()}  # never above N_h: no cap binds
    df = allocate(pop, total=total, method="proportionell")
    for r in df.itertuples():
        assert math.floor(quota[r.stratum]) <= r.n <= math.ceil(quota[r.stratum])


@settings(max_examples=200, deadline=None)
@given(populations, st.data())
def test_equal_shares_differ_by_at_most_one_among_uncapped_strata(pop, data):
    total = data.draw(st.integers(min_value=0, max_value=sum(pop.values())))
    df = allocate(pop, total=total, method="lika")
    uncapped = df.loc[~df["takes_all"], "n"]
    if len(uncapped):
        assert uncapped.max() - uncapped.min() <= 1
        # a capped stratum never holds more than an uncapped one could take; a stratum whose
        # share rounds up to exactly N_h counts as taken whole (N = 28, 86, 86, total 199 gives
        # 28, 86, 85: the 86 is capped, the 85 not)
        assert (df.loc[df["takes_all"], "n"] <= uncapped.max() + 1).all()
