"""The year's calendar of an internal-control plan: when each control is due, and by when.

Each frequency splits the year into windows of whole months; a control is due on the last
day of each window (:data:`WINDOWS`):

=============  ==========================================  =============
frekvens       due on                                      periods
=============  ==========================================  =============
manadsvis      the last day of every month                 T1 ×4, T2 ×4, VB ×4
kvartalsvis    31 March, 30 June, 30 September, 31 Dec.    T1, T2, VB ×2
tertialvis     30 April, 31 August, 31 December            T1, T2, VB
halvarsvis     30 June, 31 December                        T2, VB
var_och_host   31 May, 31 October (the control days)       T2, VB
arsvis         31 December                                 VB
=============  ==========================================  =============

The periods are the city's: T1 is January–April, T2 May–August and VB (the year-end
report) September–December.

A *run* of a control is an audit created from the plan (``granskning ny --plan``).  A run
settles the due date of the window it is dated in ("genomförd").  A run whose window is
already settled, or that is dated after the last window (a control day in November), settles
the latest earlier due date still open, late ("genomförd sent"); a run with nothing left
to settle is not shown.  A due date without a run is "försenad" once the day has passed and
"planerad" until then (the due date itself is not late).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass

from granskning.plan.model import Control, Plan

__all__ = ["DONE", "LATE", "OVERDUE", "PLANNED", "Occurrence", "Run", "due_dates",
           "period_of", "schedule"]

# (first month, last month) of each window, per frequency.
WINDOWS: dict[str, tuple[tuple[int, int], ...]] = {
    "manadsvis": tuple((m, m) for m in range(1, 13)),
    "kvartalsvis": ((1, 3), (4, 6), (7, 9), (10, 12)),
    "tertialvis": ((1, 4), (5, 8), (9, 12)),
    "halvarsvis": ((1, 6), (7, 12)),
    "var_och_host": ((1, 5), (6, 10)),
    "arsvis": ((1, 12),),
}
# Last month of each period.
PERIOD_ENDS = (("T1", 4), ("T2", 8), ("VB", 12))

DONE, LATE, OVERDUE, PLANNED = "genomförd", "genomförd sent", "försenad", "planerad"


def period_of(day: dt.date) -> str:
    """Return the period (T1, T2 or VB) a day falls in.

    >>> period_of(dt.date(2026, 4, 30)), period_of(dt.date(2026, 5, 1)), period_of(dt.date(2026, 9, 1))
    ('T1', 'T2', 'VB')
    """
    return next(name for name, last in PERIOD_ENDS if day.month <= last)


def due_dates(frequency: str, year: int) -> list[tuple[dt.date, dt.date]]:
    """Return (first day of the window, due date) for each time a control is due in ``year``.

    >>> due_dates("tertialvis", 2026)[0]
    (datetime.date(2026, 1, 1), datetime.date(2026, 4, 30))
    >>> due_dates("manadsvis", 2028)[1][1]  # a leap year
    datetime.date(2028, 2, 29)
    """
    out = []
    for first, last in WINDOWS[frequency]:
        end = dt.date(year, last, _calendar.monthrange(year, last)[1])
        out.append((dt.date(year, first, 1), end))
    return out


@dataclass(frozen=True, slots=True)
class Run:
    """An audit created from the plan for one control."""

    control_id: str
    day: dt.date
    audit_id: int


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One time a control is due, with its status on the day the calendar is drawn."""

    control: Control
    number: int
    start: dt.date
    due: dt.date
    status: str
    run: Run | None = None

    @property
    def period(self) -> str:
        return period_of(self.due)


def schedule(plan: Plan, year: int, today: dt.date, runs: list[Run] | tuple[Run, ...] = ()
             ) -> list[Occurrence]:
    """Return every due date of the plan's controls in ``year``, by date, with its status."""
    out: list[Occurrence] = []
    for control in plan.controls:
        mine = sorted((r for r in runs if r.control_id == control.id and r.day.year == year),
                      key=lambda r: (r.day, r.audit_id))
        out.extend(_control_schedule(control, year, today, mine))
    out.sort(key=lambda o: (o.due, plan.controls.index(o.control)))
    return out


def _control_schedule(control: Control, year: int, today: dt.date, runs: list[Run]
                      ) -> list[Occurrence]:
    windows = due_dates(control.frequency, year)
    settled: dict[int, Run] = {}
    left: list[Run] = []
    for run in runs:  # a run settles the due date of the window it is dated in ...
        k = next((k for k, (start, due) in enumerate(windows) if start <= run.day <= due), None)
        if k is not None and k not in settled:
            settled[k] = run
        else:
            left.append(run)
    late: set[int] = set()
    for run in left:  # ... or, late, the latest earlier one still open
        k = next((k for k in reversed(range(len(windows)))
                  if k not in settled and windows[k][1] < run.day), None)
        if k is not None:
            settled[k] = run
            late.add(k)
    out = []
    for k, (start, due) in enumerate(windows):
        run = settled.get(k)
        if run is not None:
            status = LATE if k in late else DONE
        else:
            status = OVERDUE if due < today else PLANNED
        out.append(Occurrence(control=control, number=k + 1, start=start, due=due,
                              status=status, run=run))
    return out
