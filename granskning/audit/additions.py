"""Adding cases to a running audit (``granskning utoka``): drawn from the reserves, or listed.

The unit's continuous close reading (närläsning) adds cases to an open audit
as they come.  Drawn additions keep the audit a stratified simple random
sample: the next unused reserves of each stratum in draw order are exactly
the cases a larger draw with the same seed would have taken, so each
stratum's weight becomes N_h / (n_h + m_h) (:mod:`granskning.store.additions`).
Listed additions have no weight: the audit is then marked as not a random
sample and every output says that no claim is made about the population
(:mod:`granskning.analysis.nonrandom`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from granskning.audit import pseudonym
from granskning.audit.handpicked import read_list
from granskning.errors import InputError

if TYPE_CHECKING:
    from granskning.store.database import Store

__all__ = ["add_drawn", "add_listed"]


def add_drawn(store: Store, audit_id: int, count: int, strata: Sequence[str] = (), *,
              who: str | None = None) -> dict[str, list[str]]:
    """Draw ``count`` more cases in each stratum (every stratum, or those named); return them."""
    record = store.audit(audit_id).sample_record
    known = [str(s["stratum"]) for s in record.get("strata") or []]
    if record.get("slumpmassigt") is False:
        raise InputError(f"Granskning {audit_id} är inte ett slumpmässigt urval; lägg till ärenden "
                         "med en lista (--urval LISTA).")
    wanted = list(dict.fromkeys(strata)) or known
    return store.add_drawn(audit_id, {s: count for s in wanted}, who=who)


def add_listed(store: Store, audit_id: int, path: str | Path, *, id_column: str | None = None,
               strata_column: str | None = None, key: bytes, who: str | None = None) -> int:
    """Add the cases of a list (read like ``ny --handplockat``); the audit is then not random."""
    store.audit(audit_id)
    rows, _id = read_list(path, id_column=id_column, strata_column=strata_column)
    return store.add_listed(audit_id, pseudonym.pseudonymise(key, rows), who=who,
                            note={"lista": Path(path).name})
