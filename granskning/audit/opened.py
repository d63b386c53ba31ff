"""Opening an audit: the one rule every command uses for its checklist, protocol and design.

Every command that reads an audit's answers (``analys``, ``rapport``,
``kontroll``, ``svar exportera``/``importera``, the internal-control summary)
opens it here, so that they all see the same checklist, the same strata and
the same claim about the population:

Checklist
    The checklist belongs to the audit: its id, version and SHA-256 are stored
    when the audit is created.  Without ``--checklista`` the bundled checklist
    with the stored id is used; a file given with ``--checklista`` must have
    the stored id.  Either way the checklist must be the very text the audit
    was created with (same SHA-256): the audit's version wins.  When a bundled
    checklist has changed since, the tool's copy of the earlier version
    (``granskning/data/checklists/tidigare/``) is used.  Any other checklist
    that has changed since is *refused* with a message naming both versions,
    never used with a warning: answers given under one wording must not be
    counted under another.  The user then gives the original file with
    ``--checklista FIL``.  (The checklist text itself is not stored with the
    audit.)  An audit with a protocol and no stored checklist id takes the
    protocol's checklist.

Design
    Without a protocol the analysis strata are the strata of the draw, and the
    design-based estimate is made when the draw record holds every stratum's
    N_h.  A protocol decides the rest: with combined strata (stadsdel × kön)
    tables and indicators are by the protocol's table stratum
    (``analys.tabellstratum``, the district) and no design-based estimate is
    made (the weights belong to the combined strata, not to the districts); a
    protocol with ``skattning: false`` makes no claim about the population, so
    no estimate either.  Age bands, the words for the sexes (``benamning``) and
    the order of the strata come from the protocol; without them the bands and
    words follow the data (children: 0–3/4–6/7–12, flickor/pojkar; adults:
    kvinnor/män, :func:`granskning.analysis.gender.sex_words`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from granskning.analysis.analyse import analyse
from granskning.analysis.domain import Outside
from granskning.analysis.inputs import audit_frame, population_from_record
from granskning.analysis.nonrandom import without_inference
from granskning.audit.checklists import EARLIER as EARLIER  # re-export
from granskning.audit.checklists import audit_checklist, earlier_bundled
from granskning.audit.double import unsettled_count
from granskning.audit.handpicked import is_random
from granskning.audit.protocol import STRATUM_JOIN, protocol_of
from granskning.checklist import Checklist
from granskning.errors import InputError
from granskning.wording import antal

if TYPE_CHECKING:
    import pandas as pd

    from granskning.analysis.analyse import Analysis
    from granskning.audit.protocol import Protocol
    from granskning.checklist.model import Checklist
    from granskning.store.database import Audit, Store

__all__ = ["OpenedAudit", "analyse_audit", "audit_checklist", "earlier_bundled", "open_audit"]


@dataclass(frozen=True, slots=True)
class OpenedAudit:
    """An audit with its checklist, its protocol (if any) and the design its analysis follows."""

    audit: Audit
    checklist: Checklist
    protocol: Protocol | None
    table_level: int | None  # which part of a combined stratum label the analysis uses (None: all)
    strata_name: str | None  # what the analysis strata are (a frame column), None: "stratum"
    estimate: bool  # whether a design-based estimate of the population may be made
    notes: tuple[str, ...]  # why an estimate is not made (Swedish), for the analysis' warnings
    bands: tuple[tuple[int, int], ...] | None  # None: the default for the data (granskning.analysis.gender.default_bands)
    strata_order: tuple[str, ...] | None
    sex_words: str | None = None  # the protocol's benamning (barn, vuxna, alla); None: from the data

    @property
    def id(self) -> int:
        """Return the audit's id."""
        return self.audit.id

    @property
    def random(self) -> bool:
        """Return False for hand-picked cases (``ny --handplockat``): no claim on the population."""
        return is_random(self.audit.sample_record)

    @property
    def record(self) -> dict[str, Any] | None:
        """Return the stored draw record (a copy), or None."""
        return dict(self.audit.sample_record) if self.audit.sample_record else None

    def population_sizes(self) -> dict[str, float] | None:
        """Return stratum -> N_h for the design-based estimate, or None when none is made."""

        return population_from_record(self.audit.sample_record) if self.estimate else None

    def frame(self, store: Store) -> tuple[pd.DataFrame, int]:
        """Return (one row per answered case: case_id, stratum, sex, age, answers; unanswered cases).

        ``stratum`` is the analysis stratum: for combined strata, the protocol's table part.
        """

        frame, unanswered = audit_frame(store, self.audit.id)
        if self.table_level is not None:
            parts = frame["stratum"].astype("string").str.split(STRATUM_JOIN, regex=False)
            frame["stratum"] = parts.str[self.table_level].astype(object)
        return frame, unanswered

    def outside(self, store: Store, frame: pd.DataFrame) -> Outside | None:
        """Return the cases found outside the population per analysis stratum (None: none).

        ``frame`` is :meth:`frame`'s: its rows are the answered cases, which with
        the cases outside are each stratum's examined cases.
        """
        from collections import Counter

        cases = store.cases(self.audit.id)
        found = [c for c in cases if c.outside]
        if not found:
            return None

        def stratum(c: Any) -> str:
            text = str(c.stratum)
            return text.split(STRATUM_JOIN)[self.table_level] if self.table_level is not None else text

        per = Counter(stratum(c) for c in found)
        examined = Counter(str(s) for s in frame["stratum"]) + per
        replaced = sum(1 for c in cases if c.replaces is not None)
        return Outside(dict(per), dict(examined), self.population_sizes(), replaced)

    def analyse(self, store: Store, *, gender: bool = True, bands: Any = None, explain: bool = True,
                **options: Any) -> Analysis:
        """Return the analysis of the audit's answers under this design.

        ``bands`` overrides the protocol's age bands; with ``explain`` the
        reasons why no estimate is made are among the analysis' warnings (a
        report that says so in its own words leaves them out).
        """

        frame, unanswered = self.frame(store)
        gender = gender and self.random  # no tests of hand-picked cases (analysis.nonrandom)
        if len(frame) == 0:
            raise InputError(f"granskning {self.audit.id} har inga svar ännu.")
        warnings = list(self.notes) if explain else []
        if unanswered:
            warnings.append(f"{antal(unanswered, 'ärende')} saknar svar och ingår inte i analysen.")
        unsettled = unsettled_count(store, self.audit.id, self.checklist)
        if unsettled:
            warnings.append(
                f"{antal(unsettled, 'skillnad', 'skillnader')} mellan dubbelgranskningens två "
                "läsningar är inte avgjorda; analysen använder den första läsningens svar för "
                "dem (granskning jamfor, granskning avgor)."
            )
        sizes = self.population_sizes()
        if self.estimate and sizes is None:
            warnings.append("urvalsprotokollet saknar populationsstorlekar: ingen designbaserad skattning.")
        if gender and (frame["sex"].isna().all() or frame["age"].isna().all()):
            warnings.append("kön eller ålder saknas för ärendena: ingen jämställdhetsanalys.")
            gender = False
        if not gender:  # the store's own columns, not questions: no warning about them
            frame = frame.drop(columns=["sex", "age"])
        options.setdefault("strata_order", self.strata_order)
        options.setdefault("sex_words", self.sex_words)
        options.setdefault("outside", self.outside(store, frame))
        result = analyse(
            frame, self.checklist, strata="stratum", sex="sex" if gender else None,
            age="age" if gender else None, population_sizes=sizes, population_label="urvalsprotokollet",
            id_column="case_id", record=self.record, warnings=warnings,
            bands=self.bands if bands is None else bands, **options,
        )
        if not self.random:
            result = without_inference(result)
        # The strata are named as the protocol names them (stadsdel), in every output alike.
        return replace(result, strata_column=self.strata_name) if self.strata_name else result


def open_audit(store: Store, audit_id: int, checklist: Checklist | str | Path | None = None) -> OpenedAudit:
    """Return the audit ``audit_id`` opened under the one rule (see the module's text)."""

    audit = store.audit(audit_id)
    protocol = protocol_of(audit)  # the text stored with the audit, not today's bundled file
    chk = audit_checklist(audit, checklist, protocol)
    if protocol is None:
        return OpenedAudit(audit, chk, None, None, None, is_random(audit.sample_record), (), None, None)
    combined = len(protocol.strata) > 1
    notes = []
    if not protocol.estimate:
        notes.append("protokollet gör inget anspråk på att skatta populationen (skattning: false): "
                     "ingen designbaserad skattning.")
    elif combined:
        notes.append(f"urvalet är stratifierat på {' × '.join(protocol.strata)} men redovisas per "
                     f"{protocol.strata[protocol.table_level]}: ingen designbaserad skattning.")
    name = protocol.strata[protocol.table_level] if protocol.strata else None
    return OpenedAudit(audit, chk, protocol, protocol.table_level if combined else None, name,
                       protocol.estimate and not combined, tuple(notes), protocol.age_bands,
                       protocol.strata_order, protocol.sex_words)


def analyse_audit(
    store: Store,
    audit_id: int,
    *,
    checklist: Checklist | str | Path | None = None,
    gender: bool = True,
    **options: Any,
) -> Analysis:
    """Return the analysis of an audit in the database, opened as every command opens it.

    The checklist, strata, age bands and whether a design-based estimate is
    made follow :func:`open_audit` (the same rule as ``granskning rapport``);
    population sizes come from the stored draw record.  Cases without any
    answer yet are left out (and counted in the warnings).  With ``gender`` the
    stored sex and age of each case feed the gender analysis.
    """
    return open_audit(store, audit_id, checklist).analyse(store, gender=gender, **options)
