"""The keyed-hash draw: reference SipHash, invariance, prefix stability, uniformity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from granskning.sampling.draw import hash_ids, rank, siphash24, siphash_key


def test_siphash_reference_vector():
    # SipHash-2-4 paper (Aumasson & Bernstein 2012), Appendix A: key 00..0f,
    # message 00..0e (15 bytes) -> a129ca6149be45e5.
    assert siphash24(bytes(range(16)), bytes(range(15))) == 0xA129CA6149BE45E5


def test_siphash_reference_vectors_from_official_table():
    # vectors.h of the reference implementation (github.com/veorq/SipHash):
    # empty message -> 310e0edd47db6f72, one byte 00 -> fd67dc93c539f874.
    key = bytes(range(16))
    assert siphash24(key, b"") == 0x726FDB47DD0E0E31
    assert siphash24(key, b"\x00") == 0x74F839C593DC67FD


@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=30), st.integers(0, 10**9))
@settings(max_examples=50, deadline=None)
def test_fast_hash_equals_reference(ids, seed):
    key = siphash_key(seed).encode()
    got = hash_ids(ids, seed)
    assert [int(x) for x in got] == [siphash24(key, s.encode("utf-8")) for s in ids]


def test_key_derivation_is_documented_sha256_prefix():
    import hashlib

    assert siphash_key(2024) == hashlib.sha256(b"granskning-urval-v1:2024").hexdigest()[:16]


def _frame(n: int, strata: int, rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    ids = pd.Series([f"A{i:06d}" for i in rng.permutation(n)])
    labels = pd.Series([f"S{int(x)}" for x in rng.integers(0, strata, n)])
    return ids, labels


frames = st.integers(1, 300).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(1, 6), st.integers(0, 2**32 - 1), st.integers(0, 2**31))
)


@given(frames, st.integers(1, 40))
@settings(max_examples=60, deadline=None)
def test_invariant_to_row_order(params, k):
    n, h, rseed, seed = params
    rng = np.random.default_rng(rseed)
    ids, strata = _frame(n, h, rng)
    perm = rng.permutation(n)
    a = rank(ids, strata, seed, limit=k)
    b = rank(ids.iloc[perm].reset_index(drop=True), strata.iloc[perm].reset_index(drop=True), seed, limit=k)
    assert a[["id", "stratum", "order"]].reset_index(drop=True).equals(
        b[["id", "stratum", "order"]].reset_index(drop=True)
    )


@given(frames, st.integers(1, 30), st.integers(0, 30))
@settings(max_examples=60, deadline=None)
def test_prefix_stable_and_never_exceeds_stratum(params, k, extra):
    n, h, rseed, seed = params
    ids, strata = _frame(n, h, np.random.default_rng(rseed))
    small = rank(ids, strata, seed, limit=k)
    large = rank(ids, strata, seed, limit=k + extra)
    sizes = strata.value_counts()
    for s, grp in large.groupby("stratum"):
        assert len(grp) == min(k + extra, sizes[s])
        assert list(grp["order"]) == list(range(1, len(grp) + 1))
        prefix = grp[grp["order"] <= k]["id"].tolist()
        assert prefix == small[small["stratum"] == s]["id"].tolist()


@given(frames)
@settings(max_examples=40, deadline=None)
def test_limited_rank_equals_full_rank_prefix(params):
    n, h, rseed, seed = params
    ids, strata = _frame(n, h, np.random.default_rng(rseed))
    full = rank(ids, strata, seed)
    limits = {f"S{i}": (i * 7) % 13 for i in range(h)}
    part = rank(ids, strata, seed, limit=limits)
    want = full[full["order"] <= full["stratum"].map(limits).fillna(0)]
    cols = ["id", "stratum", "order"]
    assert want[cols].to_numpy().tolist() == part[cols].to_numpy().tolist()


def test_selection_is_uniform_over_seeds():
    # Draw 3 of 12 cases under 6 000 seeds: every case should be chosen with
    # probability 3/12.  Pearson goodness of fit over the 12 inclusion counts
    # (df = 11), and over the 220 possible subsets for joint uniformity.
    ids = pd.Series([f"FB-2023-{i:04d}" for i in range(12)])
    seeds = range(6000)
    counts = np.zeros(12)
    subsets: dict[tuple[str, ...], int] = {}
    for seed in seeds:
        chosen = tuple(sorted(rank(ids, None, seed, limit=3)["id"]))
        subsets[chosen] = subsets.get(chosen, 0) + 1
        for c in chosen:
            counts[int(c[-4:])] += 1
    expected = np.full(12, 6000 * 3 / 12)
    assert stats.chisquare(counts, expected).pvalue > 0.001
    assert len(subsets) == 220  # every one of C(12, 3) subsets occurs
    observed = np.array(list(subsets.values()))
    assert stats.chisquare(observed, np.full(220, 6000 / 220)).pvalue > 0.001


def test_different_seeds_give_different_samples():
    ids = pd.Series([f"X{i}" for i in range(1000)])
    a = set(rank(ids, None, 1, limit=26)["id"])
    b = set(rank(ids, None, 2, limit=26)["id"])
    assert a != b


@pytest.mark.parametrize("seed", [2024, "vår-2024"])
def test_string_and_int_seeds(seed):
    ids = pd.Series(["a", "b", "c"])
    assert len(rank(ids, None, seed, limit=2)) == 2
