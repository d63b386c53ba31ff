"""``granskning status``: how far an audit has come, per reviewer and per stratum."""

from __future__ import annotations

import json

import click

from granskning.audit.status import UNASSIGNED, AuditStatus, Counts, Oldest, audit_status
from granskning.cli.options import audit_option, db_option, json_option, reviewer_option
from granskning.fmt import procent
from granskning.secrecy import scrub
from granskning.store.database import Store
from granskning.wording import antal

HELP = """Visa hur långt granskningen har kommit: per granskare och per stratum hur
många ärenden som är klara, påbörjade (minst ett svar, inte klara) och orörda,
och vem som har det äldsta orörda ärendet (räknat i dagar från tilldelningen).

Reserver som inte används och ärenden utanför populationen (granskning utanfor)
räknas för sig och ingår inte i totalen. Granskarnas namn jämförs utan hänsyn
till stora och små bokstäver. På PostgreSQL ser en granskare bara sina egna
ärenden.

\b
  granskning status --granskning 1
  granskning status --granskning 1 --granskare anna --json
"""


@click.command(name="status", help=HELP, options_metavar="[FLAGGOR]")
@audit_option()
@reviewer_option("Visa bara den här granskarens ärenden (stora och små bokstäver lika).")
@db_option
@json_option("Skriv läget som JSON (nycklarna beskrivs i docs/status.md).")
def status(audit_id: int, reviewer: str | None, url: str | None, as_json: bool) -> None:
    with Store.open(url) as store:
        result = audit_status(store, audit_id, reviewer=reviewer)
    if as_json:
        click.echo(json.dumps(as_dict(result), ensure_ascii=False, allow_nan=False))
    else:
        click.echo(render(result))


# -- JSON ------------------------------------------------------------------------


def _counts(c: Counts) -> dict:
    return {"klara": c.done, "påbörjade": c.begun, "orörda": c.untouched, "totalt": c.total,
            "andel_klara": c.share_done, "reserver_oanvända": c.reserves, "utanför": c.outside}


def _oldest(o: Oldest | None, status: AuditStatus) -> dict | None:
    if o is None:
        return None
    return {"granskare": o.reviewer, "ärende": scrub(o.case_id),
            "tilldelat": o.assigned_at.astimezone().date().isoformat(), "dagar": o.days}


def as_dict(s: AuditStatus) -> dict:
    """Return the ``--json`` object (keys documented in docs/status.md)."""
    return {
        "granskning": s.audit_id,
        "titel": scrub(s.title),
        "datum": s.today.isoformat(),
        "totalt": _counts(s.total),
        "granskare": [
            {"granskare": r.reviewer, **_counts(r.counts),
             "per_stratum": {k: _counts(v) for k, v in sorted(r.per_stratum.items())},
             "äldsta_orörda": _oldest(r.oldest, s)}
            for r in s.reviewers
        ],
        "ej_tilldelade": _counts(s.unassigned),
        "strata": {k: _counts(v) for k, v in s.strata},
        "äldsta_orörda": _oldest(s.oldest, s),
        "andra_läsningar": {"klara": s.second_done, "totalt": s.second_total},
    }


# -- text ------------------------------------------------------------------------

_HEAD = ("Klara", "Påbörjade", "Orörda", "Totalt", "Andel klara")


def _row(name: str, c: Counts, width: int, extra: tuple[str, ...] = ()) -> str:
    cells = (str(c.done), str(c.begun), str(c.untouched), str(c.total), procent(c.share_done))
    body = "  ".join(f"{v:>{len(h)}}" for v, h in zip(cells, _HEAD, strict=True))
    more = "".join(f"  {v}" for v in extra)
    return f"{name:<{width}}  {body}{more}".rstrip()


def _table(title: str, rows: list[tuple[str, Counts]], total: Counts | None,
           apart: bool) -> list[str]:
    names = [n for n, _ in rows] + ["Totalt"]
    width = max(len(n) for n in [title, *names])
    head = "  ".join(_HEAD)
    extra_head = "  Reserver  Utanför" if apart else ""
    lines = [f"{title:<{width}}  {head}{extra_head}"]
    for name, c in rows:
        lines.append(_row(name, c, width, _apart(c) if apart else ()))
    if total is not None:
        lines.append(_row("Totalt", total, width, _apart(total) if apart else ()))
    return lines


def _apart(c: Counts) -> tuple[str, ...]:
    return (f"{c.reserves:>8}", f"{c.outside:>7}")


def render(s: AuditStatus) -> str:
    """Return the Swedish text table of ``granskning status``."""
    lines = [f"Granskning {s.audit_id}: {scrub(s.title)} – läget {s.today.isoformat()}", ""]
    people = [(r.reviewer, r.counts) for r in s.reviewers]
    if s.unassigned.total:
        people.append((UNASSIGNED, s.unassigned))
    if people:
        lines += _table("Granskare", people, s.total, apart=False)
    else:
        lines.append("Inga ärenden att granska.")
    lines.append("")
    lines += _table("Stratum", list(s.strata), s.total, apart=True)
    lines.append("")
    lines.append(_oldest_text(s.oldest))
    if s.total.reserves or s.total.outside:
        lines.append(
            f"Utanför totalen: {antal(s.total.reserves, 'reserv', 'reserver')} som inte används, "
            f"{antal(s.total.outside, 'ärende')} utanför populationen."
        )
    if s.second_total:
        lines.append(f"Dubbelgranskning: {s.second_done} av {s.second_total} andra läsningar "
                     "klara (granskning jamfor).")
    return "\n".join(lines)


def _oldest_text(o: Oldest | None) -> str:
    if o is None:
        return "Inga orörda tilldelade ärenden."
    when = o.assigned_at.astimezone().date().isoformat()
    ago = "i dag" if o.days == 0 else f"för {antal(o.days, 'dag', 'dagar')} sedan"
    return f"Äldsta orörda ärende: {o.reviewer}, ärende {scrub(o.case_id)}, tilldelat {when} ({ago})."
