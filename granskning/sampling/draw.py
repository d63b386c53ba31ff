"""The reproducible stratified draw: rank every case by a keyed hash of its id.

Algorithm ``granskning-siphash-v1`` (documented in README and in every record):

1. Key: the first 16 hexadecimal digits of SHA-256 of the UTF-8 text
   ``"granskning-urval-v1:" + str(seed)``, used as the 16 ASCII bytes of a
   SipHash-2-4 key.
2. Each case gets the 64-bit number SipHash-2-4(key, UTF-8 bytes of its id,
   with surrounding spaces removed).
3. Within each stratum, cases are ranked by that number (ties, which are
   astronomically unlikely, by id).  The first n_h in rank order are the
   sample, the next K are the reserves, in that order.

Consequences: the selection depends only on the seed, the ids and the design
(never on row order, machine or library version); a larger n with the same
seed keeps the earlier sample and adds to it; each subset of size n_h is
equally likely (simple random sampling without replacement), because the
hash values behave as independent uniform draws.

SipHash-2-4 (Aumasson & Bernstein 2012) is computed with pandas' C
implementation for speed; :func:`siphash24` is an independent pure-Python
implementation used to check it in the tests and as the reference anyone can
port.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ALGORITHM = "granskning-siphash-v1"
ALGORITHM_DESCRIPTION = (
    "Stratifierat obundet slumpmässigt urval utan återläggning. Varje ärende får talet "
    "SipHash-2-4(nyckel, ärende-id i UTF-8), där nyckeln är de 16 första hexadecimala "
    'tecknen i SHA-256 av "granskning-urval-v1:" + seed. Inom varje stratum rangordnas '
    "ärendena efter talet (lika tal efter id); de n första är urvalet och de K nästa är "
    "reserver i den ordningen."
)

_MASK = (1 << 64) - 1


def siphash_key(seed: int | str) -> str:
    """Return the 16-character ASCII SipHash key derived from the seed."""
    return hashlib.sha256(f"granskning-urval-v1:{seed}".encode()).hexdigest()[:16]


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def siphash24(key: bytes, data: bytes) -> int:
    """Return SipHash-2-4 of ``data`` under a 16-byte ``key`` (reference implementation)."""
    if len(key) != 16:
        raise ValueError("SipHash key must be 16 bytes")
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(n: int) -> None:
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & _MASK
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)

    length = len(data)
    end = length - (length % 8)
    for i in range(0, end, 8):
        m = int.from_bytes(data[i : i + 8], "little")
        v3 ^= m
        rounds(2)
        v0 ^= m
    last = (length & 0xFF) << 56
    last |= int.from_bytes(data[end:], "little")
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


_SELF_CHECK = ("", "FB-0001", "ärende-ÅÄÖ-0123456789abcdef")
_fast_ok: bool | None = None


def _fast_siphash():
    """Return pandas' C SipHash-2-4 if it agrees with :func:`siphash24`, else None.

    pandas keeps the function in a private module; checking it against the
    reference on every run makes a future change there a slowdown, never a
    different draw.
    """
    global _fast_ok
    try:
        from pandas._libs.hashing import hash_object_array
    except ImportError:  # pragma: no cover - depends on the pandas version
        return None
    if _fast_ok is None:
        import numpy as np

        key = siphash_key("self-check")
        got = hash_object_array(np.array(_SELF_CHECK, dtype=object), key, "utf8")
        want = [siphash24(key.encode(), s.encode()) for s in _SELF_CHECK]
        _fast_ok = [int(x) for x in got] == want
    return hash_object_array if _fast_ok else None


def hash_ids(ids: pd.Series | list[str], seed: int | str) -> np.ndarray:
    """Return the uint64 draw keys of the ids: SipHash-2-4 under the seed's key."""
    import numpy as np

    values = np.asarray(ids, dtype=object)
    key = siphash_key(seed)
    fast = _fast_siphash()
    if fast is not None:
        return fast(values, key, "utf8")
    kb = key.encode()  # pragma: no cover - only when pandas' function changed
    return np.fromiter((siphash24(kb, str(v).encode()) for v in values), dtype=np.uint64, count=len(values))


def _ordered(ids: pd.Series, strata: pd.Series | None, seed: int | str, keys=None):
    """Return (order, codes, labels, keys): positions sorted by stratum, key and, on ties, id."""
    import numpy as np
    import pandas as pd

    keys = hash_ids(ids, seed) if keys is None else keys
    if strata is None:
        codes = np.zeros(len(ids), dtype=np.int64)
        labels = pd.Index([""], dtype=object)
    else:
        codes, labels = pd.factorize(strata, sort=True)
    order = np.lexsort((keys, codes))
    sk, sc = keys[order], codes[order]
    ties = (sk[1:] == sk[:-1]) & (sc[1:] == sc[:-1])
    if ties.any():  # probability about n**2 / 2**65: resolve by id so row order never matters
        frame = pd.DataFrame({"c": codes, "k": keys, "id": ids.to_numpy(dtype=object)})
        order = frame.sort_values(["c", "k", "id"], kind="stable").index.to_numpy()
    return order, codes, labels, keys


def rank(
    ids: pd.Series,
    strata: pd.Series | None,
    seed: int | str,
    limit: Mapping[str, int] | int | None = None,
    *,
    keys: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return cases in draw order: columns ``id``, ``stratum``, ``key``, ``order`` (1-based).

    Rows are sorted by stratum and then by draw order.  With ``limit`` only the
    first ``limit`` cases of each stratum (an int, or a mapping stratum -> count)
    are returned: that is all a draw needs, and it avoids sorting the whole frame.
    """
    import numpy as np
    import pandas as pd

    if keys is None:
        keys = hash_ids(ids, seed)
    if limit is None:
        order, codes, labels, keys = _ordered(ids, strata, seed, keys)
        sorted_codes = codes[order]
        bounds = np.arange(len(labels))
        starts = np.searchsorted(sorted_codes, bounds, side="left")
        ends = np.searchsorted(sorted_codes, bounds, side="right")
        take = order
        within = np.arange(len(order)) - np.repeat(starts, ends - starts)
        return _ranked_frame(ids, labels, codes, keys, take, within)

    if strata is None:
        codes = np.zeros(len(ids), dtype=np.int64)
        labels = pd.Index([""], dtype=object)
    else:
        codes, labels = pd.factorize(strata, sort=True)
    grouping = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(labels))
    ends = np.cumsum(counts)
    starts = ends - counts
    pieces, within_pieces = [], []
    for code, label in enumerate(labels):
        want = limit if isinstance(limit, int) else int(limit.get(label, 0))
        members = grouping[starts[code] : ends[code]]
        want = max(0, min(want, len(members)))
        if want == 0:
            continue
        member_keys = keys[members]
        if want < len(members):
            part = np.argpartition(member_keys, want - 1)[:want]
        else:
            part = np.arange(len(members))
        part = part[np.argsort(member_keys[part], kind="stable")]
        chosen_keys = member_keys[part]
        boundary_tie = want < len(members) and np.count_nonzero(
            member_keys == chosen_keys[-1]
        ) > np.count_nonzero(chosen_keys == chosen_keys[-1])
        if boundary_tie or (np.diff(chosen_keys) == 0).any():  # pragma: no cover - ~n**2/2**65
            # Resolve equal keys by id, exactly as the full ranking does.
            pieces.append(members[_ordered(ids.iloc[members], None, seed, keys[members])[0][:want]])
        else:
            pieces.append(members[part])
        within_pieces.append(np.arange(want))
    take = np.concatenate(pieces) if pieces else np.array([], dtype=np.int64)
    within = np.concatenate(within_pieces) if within_pieces else np.array([], dtype=np.int64)
    return _ranked_frame(ids, labels, codes, keys, take, within)


def _ranked_frame(ids, labels, codes, keys, take, within) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {
            "id": ids.to_numpy(dtype=object)[take],
            "stratum": np.asarray(labels, dtype=object)[codes[take]],
            "key": keys[take],
            "order": np.asarray(within, dtype=np.int64) + 1,
        },
        index=ids.index[take],
    )
