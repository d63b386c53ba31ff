"""The trail of an audit: every change to answers, assignments and the audit, in order.

Two append-only tables feed it: ``answer_history`` (one row per answer
written, changed or deleted) and ``change_log`` (the audit created, cases
added, each assignment and each case marked as reviewed).  :func:`history`
merges them into one tidy table; :func:`render` prints it in Swedish within
80 columns; :func:`as_json` gives ``granskning historik --json``.

On PostgreSQL a reviewer sees only the trail of their own cases (row-level
security), plus the rows about the audit as a whole.
"""

from __future__ import annotations

import textwrap
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from granskning.fmt import tal
from granskning.personnummer import number as pnr
from granskning.store.double import SECOND_DONE
from granskning.store.records import OUTSIDE_TOOL
from granskning.store.values import show_case_id
from granskning.wording import antal

if TYPE_CHECKING:
    import pandas as pd

    from granskning.store.database import Store

__all__ = ["COLUMNS", "as_json", "history", "render"]

COLUMNS = ["changed_at", "changed_by", "case_id", "what", "item", "event", "old_value",
           "new_value", "version", "tool_version", "db_user"]
# Event of a change_log row by subject: (old is None, new is None) -> event.  Rows written
# by the database for changes outside the tool (migration 5) can also change or remove.
_EVENTS = {
    "granskning": {(True, False): "skapad"},
    "ärenden": {(True, False): "tillagda", (False, True): "borttaget"},
    "tilldelning": {(True, False): "tilldelad", (False, True): "borttagen"},
}
_CHANGED = {"granskning": "ändrad", "ärenden": "ändrat", "tilldelning": "flyttad"}
_LABELS = {"skapad": "ny granskning", "tillagda": "nya ärenden", "tilldelad": "tilldelad",
           "flyttad": "flyttad", "klar": "markerad klar", "öppnad": "öppnad igen",
           "ändrad": "ändrad", "ändrat": "ändrat", "borttaget": "borttaget",
           "borttagen": "avtilldelad", "utanför": "utanför", "ersätter": "reserv in"}


# The cases' columns as a reader knows them (a row of the trail that names columns).
COLUMN_WORDS = {"design_weight": "vikt", "inclusion_probability": "inkl.sannolikhet",
                "reserve": "reserv", "outside_reason": "utanför", "replaces": "ersätter",
                "case_data": "ärendedata"}


def _event(subject: str, old: Any, new: Any) -> str:
    """Return the event of a change_log row."""
    if subject == "status":
        return "klar" if new in ("klar", SECOND_DONE) else "öppnad"
    if subject == "ärenden" and isinstance(new, dict):  # granskning utanfor (migration 10)
        if new.get("outside_reason") is not None and set(new) == {"outside_reason"}:
            return "utanför"
        if new.get("replaces") is not None and set(new) == {"replaces", "reserve"}:
            return "ersätter"
    return _EVENTS[subject].get((old is None, new is None), _CHANGED[subject])


def history(store: Store, audit_id: int, case_id: Any | None = None) -> pd.DataFrame:
    """Return the merged trail, oldest first (ties: answers after the audit's own rows).

    Columns: ``changed_at`` (UTC), ``changed_by``, ``case_id`` (None for the
    audit as a whole), ``what`` (svar, granskning, ärenden, tilldelning,
    status, and for a double reading "andra läsning" and "avgörande"), ``item`` (the
    question id for answers), ``event`` (nytt, ändrat, borttaget, skapad, tillagda,
    tilldelad, flyttad, klar; "2:a nytt" … and "avgjord"), ``old_value``,
    ``new_value`` (JSON values), ``version`` (answers only) and ``tool_version``.
    """
    import pandas as pd

    answers = store.history(audit_id, case_id)
    changes = store.changes(audit_id, case_id)
    rows: list[dict[str, Any]] = []
    for r in changes.to_dict(orient="records"):
        r["case_id"] = _none(r["case_id"])
        event = _event(r["subject"], r["old_value"], r["new_value"])
        rows.append({
            "changed_at": r["changed_at"], "changed_by": r["changed_by"],
            "case_id": r["case_id"], "what": r["subject"], "item": None, "event": event,
            "old_value": r["old_value"], "new_value": r["new_value"], "version": None,
            "tool_version": r["tool_version"], "db_user": None, "_order": (0, r["id"]),
        })
    for r in answers.to_dict(orient="records"):
        rows.append({
            "changed_at": r["changed_at"], "changed_by": r["changed_by"],
            "case_id": r["case_id"], "what": "svar", "item": r["question_id"],
            "event": r["event"], "old_value": r["old_value"], "new_value": r["new_value"],
            "version": int(r["version"]), "tool_version": r["tool_version"],
            "db_user": _none(r.get("db_user")), "_order": (1, r["id"]),
        })
    rows += store.double_trail(audit_id, case_id)  # second readings and settlements
    rows.sort(key=lambda r: (r["changed_at"], r["_order"]))
    frame = pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows], columns=COLUMNS)
    for col in ("case_id", "item", "old_value", "new_value", "version", "db_user"):
        frame[col] = pd.Series([r[col] for r in rows], index=frame.index, dtype=object)
    return frame


def _none(value: Any) -> Any:
    """Return None for a missing value that pandas turned into NaN."""
    return None if isinstance(value, float) and value != value else value


def show(value: Any, what: str) -> str:
    """Return a trail value as a reader sees it (personnummer masked)."""
    if value is None:
        return "–"
    if what == "granskning" and isinstance(value, dict) and "titel" in value:
        return show(value["titel"], "")
    if what == "ärenden" and isinstance(value, dict) and "antal" in value:
        n, reserves = value.get("antal", 0), value.get("reserver", 0)
        return f"{n} + {reserves} reserv" if reserves else f"{antal(n, 'ärende')}"
    if what == "ärenden" and isinstance(value, dict) and set(value) == {"outside_reason"}:
        return show(value["outside_reason"], "")  # the reason a case is outside the audit
    if what == "ärenden" and isinstance(value, dict) and set(value) == {"replaces", "reserve"}:
        replaced = value["replaces"]  # a reserve brought in: the case it replaces
        return "reserv" if replaced is None else f"i st. f. {show_case_id(replaced).strip(chr(34))}"
    if isinstance(value, dict) and set(value) == {"sample_record"}:  # granskning utoka
        return "urvalsprotokollet"
    if isinstance(value, dict):  # columns changed (by utoka, or outside the tool: migration 5)
        return "; ".join(f"{COLUMN_WORDS.get(k, k)}: {show(v, '')}" for k, v in value.items())
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return tal(value, 2).rstrip("0").rstrip(",")
    return pnr.scrub(" ".join(str(value).split()))


def _local(when: Any) -> Any:
    """Return a (pandas or Python) UTC timestamp as a Python datetime in local time."""
    if hasattr(when, "to_pydatetime"):
        when = when.to_pydatetime()
    return when.astimezone()




def render(frame: pd.DataFrame, *, title: str | None = None, width: int = 80) -> str:
    """Return the trail as a Swedish table no wider than ``width`` columns, nothing cut.

    Every cell wraps within its column; a value too long for the Före/Efter
    columns is written whole on the lines below its row ("Före: …", "Efter: …").
    """
    lines = textwrap.wrap(title, width) if title else []
    if frame.empty:
        lines.append("Inga ändringar.")
        return "\n".join(lines)
    heads = ("Tid", "Vem", "Ärende", "Vad", "Före", "Efter")
    fixed = [16, 10, 12, 14, 9]
    widths = [*fixed, max(width - sum(fixed) - 2 * len(fixed), 6)]
    indent = " " * (widths[0] + 2)

    def row(cells: list[str]) -> list[str]:
        wrapped = [_wrap(c, w) for c, w in zip(cells, widths, strict=True)]
        out = []
        for parts in zip_longest(*wrapped, fillvalue=""):
            out.append("  ".join(f"{p:<{w}}" for p, w in zip(parts, widths, strict=True)).rstrip())
        return out

    outside = 0
    lines += row(list(heads))
    lines.append("  ".join("─" * w for w in widths))
    for r in frame.to_dict(orient="records"):
        when = _local(r["changed_at"]).strftime("%Y-%m-%d %H:%M")
        case = "" if r["case_id"] is None else show_case_id(r["case_id"]).strip('"')
        what = f"{r['item']} {r['event']}" if r["item"] is not None else _LABELS[r["event"]]
        if r["tool_version"] == OUTSIDE_TOOL:
            what += " *"
            outside += 1
        old, new = show(r["old_value"], r["what"]), show(r["new_value"], r["what"])
        inline = len(old) <= widths[4] and len(new) <= widths[5]
        lines += row([when, str(r["changed_by"]), case, what, old if inline else "↓",
                      new if inline else "↓"])
        if not inline:
            for label, value in (("Före", old), ("Efter", new)):
                lines += textwrap.wrap(f"{label}: {value}", width, initial_indent=indent,
                                       subsequent_indent=indent + "  ", break_on_hyphens=False)
    lines.append(f"{len(frame)} ändringar.")
    if outside:
        lines += textwrap.wrap(
            f"* {antal(outside, 'ändring', 'ändringar')} gjordes direkt i databasen, utanför "
            "granskning (tid och användare enligt databasen).", width)
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    """Return ``text`` wrapped to ``width`` (a word longer than the column is split)."""
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def as_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the trail as JSON-able dicts with Swedish keys (values as stored).

    Text is masked like the printed trail: a database made before the checks on
    personnummer (or before pseudonyms) may hold one in an answer or a case id.
    """
    def masked(value: Any) -> Any:
        return pnr.scrub(value) if isinstance(value, str) else value

    return [
        {key: masked(value) for key, value in {
            "tid": r["changed_at"].isoformat(),
            "vem": r["changed_by"],
            "ärende": r["case_id"],
            "vad": r["what"],
            "fråga": r["item"],
            "händelse": r["event"],
            "före": r["old_value"],
            "efter": r["new_value"],
            "version": r["version"],
            "verktygsversion": r["tool_version"],
            "databasanvändare": r["db_user"],
        }.items()}
        for r in frame.to_dict(orient="records")
    ]
