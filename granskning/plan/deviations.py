"""The unit's log of deviations, lex Sarah reports, complaints and praise (avvikelser m.m.).

The categories are the city's (the follow-up table of the year-end report): what a
deviation concerned, who identified it and whom it concerns; what a complaint concerned
and whom it came from; lex Sarah reports and whether they were reported to IVO.
:func:`entry` checks what the user typed (a category may be written in any case or as the
start of its name); :func:`period_counts` counts the entries of a year by period (T1, T2,
VB) the way the city's table does.  Free text is checked for personnummer by the store.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from granskning.errors import InputError
from granskning.plan.calendar import period_of
from granskning.plan.model import PERIODS
from granskning.store import identity
from granskning.store.database import Store

__all__ = ["CATEGORIES", "KINDS", "SOURCES", "Entry", "add", "entries", "entry", "period_counts"]

# Kind key -> the words a manager reads.
KINDS: dict[str, str] = {
    "avvikelse": "avvikelse",
    "lex_sarah": "lex Sarah-rapport",
    "klagomal": "klagomål eller synpunkt",
    "berom": "beröm",
}
_COMPLAINT_FROM = (
    "Brukare/patient",
    "Närstående (anhörig, god man, etc.)",
    "Medarbetare/verksamhet inom förvaltningen",
    "Samverkanspart (ex annan förvaltning, Region Stockholm, Polis)",
    "Annan (t.ex. okänd)",
)
# What an entry concerned, per kind (kategori).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "avvikelse": (
        "Bemötande",
        "Brister i rättssäkerhet vid handläggning och utförande",
        "Brister i utförande av insats",
        "Fysisk miljö, utrustning och teknik",
        "Annat",
    ),
    "lex_sarah": (
        "Allvarligt missförhållande",
        "Påtaglig risk för allvarligt missförhållande",
        "Missförhållande eller risk för missförhållande (ej allvarligt)",
    ),
    "klagomal": (
        "Bemanning (kontinuitet, vikarieanskaffning)",
        "Beslut (missnöje, avsaknad av beslut, ej kommunicerat etc.)",
        "Bemötande",
        "Brister i information (utebliven info, obegriplig info, etc.)",
        "Brister i rutiner/utförande av insats eller verksamhet",
        "Fråga/idé",
        "Fysisk inne- eller utemiljö (ej städat, avsaknad av material etc.)",
        "Hantering av personuppgifter",
        "Kompetens",
        "Teknik, verksamhetssystem och IT-relaterade frågor",
        "Tillgänglighet (öppettider, telefontider, fysisk miljö)",
        "Utebliven/försenad insats eller aktivitet",
        "Annat",
    ),
    "berom": (),
}
# Who identified a deviation, or whom a complaint or praise came from (kalla).
SOURCES: dict[str, tuple[str, ...]] = {
    "avvikelse": ("Medarbetare", "Extern samverkanspart/annan verksamhet", "Brukare/närstående",
                  "Annan"),
    "lex_sarah": ("Medarbetare", "Annan"),
    "klagomal": _COMPLAINT_FROM,
    "berom": _COMPLAINT_FROM,
}
# Whom a deviation concerns (avser).
CONCERNS = ("Den egna verksamheten", "Annan verksamhet")
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Entry:
    """One logged deviation, lex Sarah report, complaint or praise."""

    day: dt.date
    kind: str
    category: str | None = None
    source: str | None = None
    concerns: str | None = None
    unit: str | None = None
    reported_ivo: bool = False
    feedback: bool = False
    measures: str | None = None
    description: str | None = None
    id: int | None = None
    created_at: dt.datetime | None = None
    created_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "datum": self.day.isoformat(), "typ": self.kind,
            "period": period_of(self.day), "enhet": self.unit, "kategori": self.category,
            "kalla": self.source, "avser": self.concerns, "anmald_ivo": self.reported_ivo,
            "aterkoppling": self.feedback, "atgard": self.measures,
            "beskrivning": self.description,
            "registrerad": self.created_at.isoformat() if self.created_at else None,
            "registrerad_av": self.created_by,
        }


def _pick(value: str | None, allowed: tuple[str, ...], option: str, what: str) -> str | None:
    """Return the category ``value`` names: its exact name in any case, or a unique start."""
    if value is None or not value.strip():
        return None
    typed = " ".join(value.split())
    if not allowed:
        raise InputError(f"{option} används inte för {what}.")
    folded = typed.casefold()
    exact = [a for a in allowed if a.casefold() == folded]
    starts = [a for a in allowed if a.casefold().startswith(folded)]
    if exact or len(starts) == 1:
        return (exact or starts)[0]
    listed = "; ".join(allowed)
    if len(starts) > 1:
        raise InputError(f'{option} "{typed}" kan vara flera kategorier: {"; ".join(starts)}. '
                         "Skriv mer av namnet.")
    close = difflib.get_close_matches(folded, [a.casefold() for a in allowed], n=1, cutoff=0.6)
    hint = next((f' (menade du "{a}"?)' for a in allowed if close and a.casefold() == close[0]), "")
    raise InputError(f'okänd kategori "{typed}" i {option} för {what}{hint}; välj bland: {listed}')


def _text(value: str | None, option: str) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise InputError(f"{option} är för lång ({len(text)} tecken; högst {MAX_TEXT}).")
    return text


def entry(*, day: dt.date, kind: str, category: str | None = None, source: str | None = None,
          concerns: str | None = None, unit: str | None = None, reported_ivo: bool = False,
          feedback: bool = False, measures: str | None = None,
          description: str | None = None) -> Entry:
    """Return a checked entry; InputError (exit 2) names the option that is wrong."""
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, list(KINDS), n=1, cutoff=0.6)
        hint = f' (menade du "{close[0]}"?)' if close else ""
        raise InputError(f'okänd typ "{kind}"{hint}; välj bland {", ".join(KINDS)}')
    what = KINDS[kind]
    picked = _pick(category, CATEGORIES[kind], "--kategori", what)
    if picked is None and CATEGORIES[kind]:
        raise InputError(f"ange --kategori för {what}; välj bland: {'; '.join(CATEGORIES[kind])}")
    if concerns and kind != "avvikelse":
        raise InputError("--avser används bara för avvikelser (den egna eller en annan verksamhet).")
    if reported_ivo and kind != "lex_sarah":
        raise InputError("--ivo används bara för lex Sarah-rapporter.")
    if feedback and kind != "klagomal":
        raise InputError("--aterkoppling används bara för klagomål och synpunkter.")
    if day > dt.date.today():
        raise InputError(f"datumet {day.isoformat()} ligger i framtiden.")
    return Entry(
        day=day, kind=kind, category=picked,
        source=_pick(source, SOURCES[kind], "--kalla", what),
        concerns=_pick(concerns, CONCERNS, "--avser", what),
        unit=_text(unit, "--enhet"), reported_ivo=reported_ivo, feedback=feedback,
        measures=_text(measures, "--atgard"), description=_text(description, "--beskrivning"),
    )


# The rows of the city's follow-up table: (uppdelning, which entries, category of an entry).
_ROWS = (
    ("Lex Sarah: bedömda som allvarligt missförhållande eller påtaglig risk och anmälda till IVO",
     lambda e: e.kind == "lex_sarah" and e.reported_ivo, lambda e: "Lex Sarah"),
    ("Lex Sarah: rapporter", lambda e: e.kind == "lex_sarah", lambda e: e.category),
    ("Avvikelserapportering enligt SoL – Vem har identifierat avvikelsen?",
     lambda e: e.kind == "avvikelse", lambda e: e.source),
    ("Vad har avvikelsen berört?", lambda e: e.kind == "avvikelse", lambda e: e.category),
    ("Vem avser avvikelsen?", lambda e: e.kind == "avvikelse", lambda e: e.concerns),
    ("Från vem har klagomål eller synpunkt inkommit?", lambda e: e.kind == "klagomal",
     lambda e: e.source),
    ("Vad gällde klagomålet eller synpunkten?", lambda e: e.kind == "klagomal",
     lambda e: e.category),
    ("Återkoppling", lambda e: e.kind == "klagomal" and e.feedback,
     lambda e: "Antal klagomål där återkoppling har lämnats"),
    ("Åtgärder", lambda e: e.kind == "klagomal" and bool(e.measures),
     lambda e: "Antal klagomål där åtgärder vidtagits"),
    ("Beröm", lambda e: e.kind == "berom", lambda e: "Antal beröm"),
)


def period_counts(entries: list[Entry] | tuple[Entry, ...], year: int) -> list[dict[str, Any]]:
    """Count the entries of ``year`` per period in the rows of the city's follow-up table.

    Returns one dict per row with a count (``uppdelning``, ``kategori``, ``T1``, ``T2``, ``VB``,
    ``totalt``), in the table's order and, within a row group, in the order of the category
    list; an entry without a value for a row group (no ``kalla`` given) is counted as
    "Uppgift saknas" there, so that every group adds up to the same total.
    """
    mine = [e for e in entries if e.day.year == year]
    out = []
    for group, belongs, category_of in _ROWS:
        counts: dict[str, dict[str, int]] = {}
        for e in mine:
            if belongs(e):
                name = category_of(e) or "Uppgift saknas"
                row = counts.setdefault(name, dict.fromkeys(PERIODS, 0))
                row[period_of(e.day)] += 1
        order = _order(group)
        for name in sorted(counts, key=lambda n: (order.index(n) if n in order else len(order), n)):
            row = counts[name]
            out.append({"uppdelning": group, "kategori": name, **row,
                        "totalt": sum(row.values())})
    return out


def _order(group: str) -> tuple[str, ...]:
    if "identifierat" in group:
        return SOURCES["avvikelse"]
    if "klagomål eller synpunkt inkommit" in group:
        return SOURCES["klagomal"]
    if "avvikelsen berört" in group:
        return CATEGORIES["avvikelse"]
    if "gällde" in group:
        return CATEGORIES["klagomal"]
    if group.startswith("Vem avser"):
        return CONCERNS
    if group == "Lex Sarah: rapporter":
        return CATEGORIES["lex_sarah"]
    return ()


def _entry_of(row: dict[str, Any]) -> Entry:
    return Entry(day=row["occurred_on"], kind=row["kind"], category=row["category"],
                 source=row["source"], concerns=row["concerns"], unit=row["unit"],
                 reported_ivo=bool(row["reported_ivo"]), feedback=bool(row["feedback"]),
                 measures=row["measures"], description=row["description"], id=int(row["id"]),
                 created_at=row["created_at"], created_by=row["created_by"])


def add(url: str | None, item: Entry) -> tuple[int, str]:
    """Store a checked entry in the database at ``url``; return (its id, the database shown)."""
    with Store.open(url) as store:
        identity.require_coordinator(store, "föra avvikelseloggen")
        new_id = store.add_deviation({
            "occurred_on": item.day, "kind": item.kind, "category": item.category,
            "source": item.source, "concerns": item.concerns, "unit": item.unit,
            "reported_ivo": item.reported_ivo, "feedback": item.feedback,
            "measures": item.measures, "description": item.description,
        }, identity.current(store))
        return new_id, store.display_url


def entries(url: str | None, year: int | None = None, unit: str | None = None) -> list[Entry]:
    """Return the logged entries (of ``year`` and ``unit``, or all) from the database."""
    with Store.open(url) as store:
        identity.require_coordinator(store, "läsa avvikelseloggen")
        rows = store.deviations(year)
    found = [_entry_of(r) for r in rows]
    if unit is not None:
        wanted = " ".join(unit.split()).casefold()
        found = [e for e in found if (e.unit or "").casefold() == wanted]
    return found
