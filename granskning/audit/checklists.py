"""The checklist of an audit: the checklist part of the one rule for opening an audit.

:mod:`granskning.audit.opened` holds the whole rule (checklist, protocol, design); this part
is apart so that the answer session, which needs only the checklist, does not load the
analysis to find it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from granskning.checklist import Checklist, load
from granskning.errors import InputError
from granskning.resources import directory

if TYPE_CHECKING:
    from granskning.audit.protocol import Protocol
    from granskning.store.database import Audit


def audit_checklist(audit: Audit, checklist: Checklist | str | Path | None = None,
                    protocol: Protocol | None = None) -> Checklist:
    """Return the audit's checklist, refusing one that is not the one it was created with.

    ``checklist`` (a loaded checklist, a file or a bundled id) is what the user
    gave with ``--checklista``; without it the stored id (or, for an audit
    without one, its protocol's checklist) is looked up among the bundled ones.
    """

    wanted = audit.checklist_id or (protocol.checklist if protocol is not None else None)
    if checklist is None:
        if not wanted:
            raise InputError(f"Granskning {audit.id} har ingen checklista; ange den med --checklista FIL.")
        try:
            chk = load(wanted)
        except InputError:
            raise InputError(
                f'Granskningens checklista "{wanted}" finns inte bland de medföljande; '
                "ange filen med --checklista FIL."
            ) from None
    else:
        chk = checklist if isinstance(checklist, Checklist) else load(checklist)
    if audit.checklist_id and chk.id != audit.checklist_id:
        raise InputError(
            f'Granskning {audit.id} använder checklistan "{audit.checklist_id}", inte "{chk.id}".'
        )
    if checklist is None and audit.checklist_sha256 and chk.sha256 != audit.checklist_sha256:
        chk = earlier_bundled(chk.id, audit.checklist_sha256) or chk
    if audit.checklist_sha256 and chk.sha256 != audit.checklist_sha256:
        kept = checklist is not None and earlier_bundled(chk.id, audit.checklist_sha256) is not None
        advice = ("Utelämna --checklista: granskningens version följer med verktyget." if kept else
                  "Använd samma checklistfil som när granskningen skapades (--checklista FIL).")
        raise InputError(
            f'Checklistan "{chk.id}" har ändrats sedan granskning {audit.id} skapades '
            f"(version {audit.checklist_version} då, {chk.version} nu; SHA-256 "
            f"{audit.checklist_sha256[:12]}… då, {chk.sha256[:12]}… nu). {advice}"
        )
    return chk


EARLIER = "tidigare"  # granskning/data/checklists/tidigare: earlier versions of the bundled checklists


def earlier_bundled(checklist_id: str, sha256: str) -> Checklist | None:
    """Return the earlier version of a bundled checklist with this SHA-256, if the tool ships it.

    When a bundled checklist changes, its previous text is kept in
    ``granskning/data/checklists/tidigare/<id>-<version>.yaml`` so that audits
    created with it keep opening with the very checklist they were answered under.
    """

    for path in sorted((directory("checklists") / EARLIER).glob(f"{checklist_id}-*.yaml")):
        chk = load(path)
        if chk.id == checklist_id and chk.sha256 == sha256:
            return chk
    return None
