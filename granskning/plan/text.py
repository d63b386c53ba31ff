"""The plan overview as text for the terminal: controls, the calendar by period, the matrix."""

from __future__ import annotations

from granskning.fmt import procent
from granskning.plan import calendar
from granskning.plan.model import Plan
from granskning.plan.overview import UNKNOWN, Overview, matrix_cells
from granskning.wording import antal

__all__ = ["render"]

PERIOD_NAMES = {"T1": "januari–april", "T2": "maj–augusti", "VB": "september–december"}
_WIDTH = 38


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _controls(plan: Plan) -> list[str]:
    lines = ["Kontroller"]
    for c in plan.controls:
        lines.append(f"  {c.id}: {c.what}")
        lines.append(f"    {c.method_text}, {c.frequency_text}; ansvarig: {c.owner}; "
                     f"rapporteras i {', '.join(c.periods)}")
        lines.append(f"    population: {c.population}")
        extra = []
        if c.risks:
            extra.append("risker: " + ", ".join(c.risks))
        if c.tolerable is not None:
            extra.append(f"tolerabel avvikelse {procent(c.tolerable)}")
        if c.target is not None:
            extra.append(f"mål {procent(c.target)}")
        if extra:
            lines.append("    " + "; ".join(extra))
    return lines


def _status(o: calendar.Occurrence) -> str:
    if o.run is None:
        return o.status
    return f"{o.status} {o.run.day.isoformat()} (granskning {o.run.audit_id})"


def _calendar(view: Overview) -> list[str]:
    source = (f"genomförda kontroller ur databasen {view.database}" if view.database else
              "ingen databas, så genomförda kontroller syns inte; ange --db")
    lines = [f"Kalender {view.year}, läget {view.today.isoformat()} ({source})"]
    idw = max([len(c.id) for c in view.plan.controls] + [8])
    ow = min(max([len(c.owner) for c in view.plan.controls] + [8]), 28)
    for period in PERIOD_NAMES:
        lines.append(f"  {period} ({PERIOD_NAMES[period]})")
        for o in (o for o in view.occurrences if o.period == period):
            lines.append(f"    {o.due.isoformat()}  {o.control.id:<{idw}}  "
                         f"{_short(o.control.what, _WIDTH):<{_WIDTH}}  "
                         f"{_short(o.control.owner, ow):<{ow}}  {_status(o)}")
    return lines


def _matrix(plan: Plan) -> list[str]:
    cells = matrix_cells(plan)
    width = max([len(",".join(c["risker"])) + 1 for c in cells] + [6])
    lines = [f"Riskmatris (riskvärde = sannolikhet × konsekvens; kontroll krävs från riskvärde "
             f"{plan.threshold}, markerat med *)",
             " " * 14 + "Sannolikhet",
             "Konsekvens    " + "".join(f"{p:<{width + 2}}" for p in range(1, plan.scale + 1)).rstrip()]
    for row in range(plan.scale):
        part = cells[row * plan.scale:(row + 1) * plan.scale]
        shown = [(",".join(c["risker"]) or "·") + ("*" if c["kraver_kontroll"] else "")
                 for c in part]
        lines.append(f"{part[0]['konsekvens']:>10}    " +
                     "".join(f"{s:<{width + 2}}" for s in shown).rstrip())
    return lines


def _risks(plan: Plan) -> list[str]:
    if not plan.risks:
        return ["Planen har inga risker (nyckeln risker)."]
    lines = ["Risker"]
    for r in sorted(plan.risks, key=lambda r: (-r.value, r.id)):
        covered = plan.controls_of(r.id)
        if covered:
            tail = "kontroller: " + ", ".join(c.id for c in covered)
        elif plan.needs_control(r):
            tail = "SAKNAR KONTROLL"
        else:
            tail = "ingen kontroll krävs"
        lines.append(f"  {r.id}: {r.title} (sannolikhet {r.probability} × konsekvens "
                     f"{r.consequence} = {r.value}); {tail}")
    return lines


def render(view: Overview) -> str:
    """Return the whole overview as text."""
    plan = view.plan
    head = [f"{plan.title} ({plan.id})"]
    if plan.unit:
        head.append(f"Enhet: {plan.unit}")
    head.append(f"Planen är giltig: {antal(len(plan.risks), 'risk', 'risker')}, "
                f"{antal(len(plan.controls), 'kontroll', 'kontroller')}, "
                f"{antal(len(view.occurrences), 'kontrolltillfälle', 'kontrolltillfällen')} "
                f"under {view.year}.")
    parts = [head, _controls(plan), _calendar(view)]
    late = view.overdue
    if late:
        lines = [f"Försenade: {antal(len(late), 'kontrolltillfälle', 'kontrolltillfällen')}"]
        for c in plan.controls:
            days = [o.due.isoformat() for o in late if o.control is c]
            if days:
                lines.append(f"  {c.id} (ansvarig: {c.owner}) skulle ha gjorts senast "
                             + ", ".join(days))
        parts.append(lines)
    elif view.database:
        parts.append(["Inga försenade kontroller."])
    if any(o.status == UNKNOWN for o in view.occurrences):
        parts.append(["Passerade tillfällen har status okänd: utan databas syns inte vilka "
                      "kontroller som har gjorts (ange databasen med --db eller GRANSKNING_DB)."])
    parts.append(_matrix(plan))
    parts.append(_risks(plan))
    warnings = view.warnings()
    if warnings:
        parts.append(["Varning"] + [f"  {w}" for w in warnings])
    return "\n\n".join("\n".join(p) for p in parts)
