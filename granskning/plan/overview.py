"""What ``granskning plan`` shows: the plan checked, the year's calendar and the risk matrix.

:func:`year_overview` reads the plan, the runs of its controls from the database (when
there is one) and puts each due date in the calendar with its status; :func:`to_json`
and :mod:`granskning.plan.text` render it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from granskning.plan import calendar
from granskning.plan.calendar import Occurrence, Run
from granskning.plan.files import load
from granskning.plan.model import PERIODS, Plan, Risk
from granskning.store.database import Store
from granskning.store.engine import DEFAULT_FILE, ENV_VAR

__all__ = ["UNKNOWN", "Overview", "matrix_cells", "to_json", "year_overview"]

# The status of a passed due date when there is no database to look for runs in.
UNKNOWN = "okänd"


@dataclass(frozen=True, slots=True)
class Overview:
    """A plan with its calendar for one year, as of ``today``."""

    plan: Plan
    year: int
    today: dt.date
    occurrences: tuple[Occurrence, ...]
    database: str | None  # None: no database, runs unknown

    @property
    def overdue(self) -> tuple[Occurrence, ...]:
        return tuple(o for o in self.occurrences if o.status == calendar.OVERDUE)

    def warnings(self) -> list[str]:
        """What the plan's own rule says is missing: risks that need a control but have none."""
        return [f"Risken {r.id} ({r.title}) har riskvärde {r.value} och ska enligt planens regel "
                f"(från {self.plan.threshold}) ha en kontroll, men ingen kontroll avser den."
                for r in self.plan.uncovered()]


def year_overview(path: str | Path, *, year: int | None = None, today: dt.date | None = None,
                  url: str | None = None) -> Overview:
    """Validate the plan in ``path`` and return its calendar for ``year`` as of ``today``.

    The year is ``year``, else the plan's ``ar``, else today's.  Runs are read from the
    database named by ``url`` (or ``GRANSKNING_DB``); without either and without a
    ``granskning.db`` in the current directory the calendar is drawn without runs and a
    passed due date has the status :data:`UNKNOWN`.
    """
    plan = load(path)
    today = today or dt.date.today()
    year = year or plan.year or today.year
    runs: list[Run] | None = None
    database = None
    if url or os.environ.get(ENV_VAR) or Path(DEFAULT_FILE).exists():
        with Store.open(url) as store:
            database = store.display_url
            runs = [Run(control_id=c, day=when.astimezone().date(), audit_id=a)
                    for c, when, a in store.plan_runs(plan.id)]
    occurrences = calendar.schedule(plan, year, today, runs or ())
    if runs is None:
        occurrences = [o if o.status != calendar.OVERDUE else
                       Occurrence(o.control, o.number, o.start, o.due, UNKNOWN)
                       for o in occurrences]
    return Overview(plan=plan, year=year, today=today, occurrences=tuple(occurrences),
                    database=database)


def matrix_cells(plan: Plan) -> list[dict[str, Any]]:
    """Return the matrix's cells, highest consequence first, each with its risks."""
    cells = []
    for consequence in range(plan.scale, 0, -1):
        for probability in range(1, plan.scale + 1):
            value = probability * consequence
            cells.append({
                "sannolikhet": probability, "konsekvens": consequence, "riskvarde": value,
                "kraver_kontroll": value >= plan.threshold,
                "risker": [r.id for r in plan.risks
                           if (r.probability, r.consequence) == (probability, consequence)],
            })
    return cells


def _risk_json(plan: Plan, risk: Risk) -> dict[str, Any]:
    return {"id": risk.id, "titel": risk.title, "sannolikhet": risk.probability,
            "konsekvens": risk.consequence, "riskvarde": risk.value,
            "kraver_kontroll": plan.needs_control(risk),
            "kontroller": [c.id for c in plan.controls_of(risk.id)]}


def _occurrence_json(o: Occurrence) -> dict[str, Any]:
    return {"nr": o.number, "fran": o.start.isoformat(), "forfaller": o.due.isoformat(),
            "period": o.period, "status": o.status,
            "granskning": o.run.audit_id if o.run else None,
            "genomford": o.run.day.isoformat() if o.run else None}


def to_json(view: Overview) -> dict[str, Any]:
    """The overview as one JSON object (proportions as fractions, dates as ÅÅÅÅ-MM-DD)."""
    plan = view.plan
    controls = []
    for c in plan.controls:
        mine = [o for o in view.occurrences if o.control is c]
        controls.append({
            "id": c.id, "kontrollmoment": c.what, "population": c.population, "metod": c.method,
            "frekvens": c.frequency, "ansvarig": c.owner, "rapporteras": list(c.periods),
            "risker": list(c.risks), "tolerabel": c.tolerable, "mal": c.target,
            "tillfallen": [_occurrence_json(o) for o in mine],
        })
    return {
        "plan": {"id": plan.id, "titel": plan.title, "enhet": plan.unit, "ar": plan.year,
                 "fil": plan.source},
        "ar": view.year,
        "idag": view.today.isoformat(),
        "databas": view.database,
        "perioder": list(PERIODS),
        "kontroller": controls,
        "kalender": [{"datum": o.due.isoformat(), "period": o.period, "kontroll": o.control.id,
                      "ansvarig": o.control.owner, "status": o.status,
                      "granskning": o.run.audit_id if o.run else None}
                     for o in view.occurrences],
        "forsenade": [{"kontroll": o.control.id, "forfaller": o.due.isoformat(),
                       "ansvarig": o.control.owner} for o in view.overdue],
        "riskmatris": {"skala": plan.scale, "kontroll_fran": plan.threshold,
                       "celler": matrix_cells(plan)},
        "risker": [_risk_json(plan, r) for r in plan.risks],
        "varningar": view.warnings(),
    }
