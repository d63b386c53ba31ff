"""The year's calendar: due dates per frequency, periods T1/T2/VB, runs, overdue controls."""

from __future__ import annotations

import datetime as dt

import pytest

from granskning.plan import calendar as cal
from granskning.plan.calendar import Run, due_dates, period_of, schedule
from granskning.plan.files import EXAMPLE, load, loads
from granskning.plan.model import Control, Plan

D = dt.date


def control(frequency: str, cid: str = "K") -> Control:
    return Control(id=cid, what="Kontroll", population="Akter", method="stickprov",
                   frequency=frequency, owner="Gruppledare", periods=("T1", "T2", "VB"))


def plan_of(*controls: Control) -> Plan:
    return Plan(id="p", title="P", unit=None, year=2026, scale=4, threshold=8, risks=(),
                controls=controls)


# Due dates written out by hand from the calendar (the last day of each window) and the
# city's periods: T1 January–April, T2 May–August, VB September–December.
@pytest.mark.parametrize("frequency, due, periods", [
    ("kvartalsvis", ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"],
     ["T1", "T2", "VB", "VB"]),
    ("tertialvis", ["2026-04-30", "2026-08-31", "2026-12-31"], ["T1", "T2", "VB"]),
    ("halvarsvis", ["2026-06-30", "2026-12-31"], ["T2", "VB"]),
    ("var_och_host", ["2026-05-31", "2026-10-31"], ["T2", "VB"]),
    ("arsvis", ["2026-12-31"], ["VB"]),
])
def test_each_frequency_falls_in_the_right_periods(frequency, due, periods) -> None:
    dates = [d for _, d in due_dates(frequency, 2026)]
    assert [d.isoformat() for d in dates] == due
    assert [period_of(d) for d in dates] == periods


def test_monthly_is_due_every_month_end_four_per_period_and_on_29_february_in_a_leap_year() -> None:
    ends_2026 = [d for _, d in due_dates("manadsvis", 2026)]
    ends_2028 = [d for _, d in due_dates("manadsvis", 2028)]
    assert [d.day for d in ends_2026] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert [d.day for d in ends_2028][:2] == [31, 29]  # 2028 is a leap year
    assert [period_of(d) for d in ends_2026] == ["T1"] * 4 + ["T2"] * 4 + ["VB"] * 4
    # Each window starts the day after the previous one ends: nothing falls between.
    windows = due_dates("manadsvis", 2028)
    assert all(b[0] - a[1] == dt.timedelta(days=1) for a, b in zip(windows, windows[1:], strict=False))
    assert windows[0][0] == D(2028, 1, 1) and windows[-1][1] == D(2028, 12, 31)


def test_period_boundaries() -> None:
    assert [period_of(D(2026, m, 1)) for m in (1, 4, 5, 8, 9, 12)] == ["T1", "T1", "T2", "T2",
                                                                         "VB", "VB"]
    assert period_of(D(2026, 4, 30)) == "T1" and period_of(D(2026, 8, 31)) == "T2"


def statuses(frequency: str, today: dt.date, runs: list[Run]) -> list[str]:
    return [o.status for o in schedule(plan_of(control(frequency)), 2026, today, runs)]


def test_without_runs_a_passed_due_date_is_overdue_but_not_on_the_day_itself() -> None:
    assert statuses("tertialvis", D(2026, 9, 15), []) == ["försenad", "försenad", "planerad"]
    assert statuses("tertialvis", D(2026, 4, 30), []) == ["planerad"] * 3
    assert statuses("tertialvis", D(2026, 5, 1), []) == ["försenad", "planerad", "planerad"]


def test_a_run_settles_the_window_it_is_dated_in() -> None:
    runs = [Run("K", D(2026, 4, 10), 1)]
    assert statuses("tertialvis", D(2026, 9, 15), runs) == ["genomförd", "försenad", "planerad"]
    # A run early in the second tertial settles the second one, not the first.
    runs = [Run("K", D(2026, 5, 3), 2)]
    assert statuses("tertialvis", D(2026, 9, 15), runs) == ["försenad", "genomförd", "planerad"]


def test_a_second_run_in_a_window_settles_an_earlier_open_due_date_late() -> None:
    runs = [Run("K", D(2026, 5, 3), 1), Run("K", D(2026, 5, 20), 2)]
    occ = schedule(plan_of(control("tertialvis")), 2026, D(2026, 9, 15), runs)
    assert [(o.status, o.run.audit_id if o.run else None) for o in occ] == [
        ("genomförd sent", 2), ("genomförd", 1), ("planerad", None)]


def test_a_late_control_day_settles_the_latest_open_day_late() -> None:
    runs = [Run("K", D(2026, 10, 12), 1), Run("K", D(2026, 11, 5), 2)]
    assert statuses("var_och_host", D(2026, 12, 1), runs) == ["genomförd sent", "genomförd"]
    # With both days open, a run in December is the late autumn day, not the spring day.
    runs = [Run("K", D(2026, 12, 2), 1)]
    assert statuses("var_och_host", D(2026, 12, 15), runs) == ["försenad", "genomförd sent"]
    # A monthly control: two runs in March settle March and, late, February (the latest open).
    runs = [Run("K", D(2026, 3, 2), 1), Run("K", D(2026, 3, 20), 2)]
    assert statuses("manadsvis", D(2026, 4, 15), runs)[:4] == [
        "försenad", "genomförd sent", "genomförd", "planerad"]
    # With nothing open, an extra run is simply not shown.
    runs = [Run("K", D(2026, 5, 12), 1), Run("K", D(2026, 10, 2), 2), Run("K", D(2026, 11, 5), 3)]
    occ = schedule(plan_of(control("var_och_host")), 2026, D(2026, 12, 1), runs)
    assert [o.run.audit_id for o in occ] == [1, 2]


def test_runs_of_other_controls_and_other_years_do_not_count() -> None:
    runs = [Run("ANNAN", D(2026, 2, 1), 1), Run("K", D(2025, 12, 30), 2)]
    assert statuses("arsvis", D(2027, 1, 5), runs) == ["försenad"]
    assert statuses("arsvis", D(2027, 1, 5), [Run("K", D(2026, 6, 1), 3)]) == ["genomförd"]


def test_the_example_plans_year_has_forty_due_dates_in_date_order() -> None:
    plan = load(EXAMPLE)
    occ = schedule(plan, 2026, D(2026, 1, 1))
    # BUD and EGEN monthly (2 × 12), DOK, DEL, SIP tertial (3 × 3), FAKT half-yearly (2),
    # IKD and ENK spring and autumn (2 × 2), NOJD yearly (1): 24 + 9 + 2 + 4 + 1 = 40.
    assert len(occ) == 40
    assert [o.due for o in occ] == sorted(o.due for o in occ)
    by_period = {p: sum(o.period == p for o in occ) for p in ("T1", "T2", "VB")}
    # T1: 4 + 4 monthly + 3 tertial = 11; T2: 8 monthly + 3 tertial + FAKT + IKD + ENK = 14;
    # VB: 8 monthly + 3 tertial + FAKT + IKD + ENK + NOJD = 15.
    assert by_period == {"T1": 11, "T2": 14, "VB": 15}
    assert all(o.status == cal.PLANNED for o in occ)


def test_a_plan_without_risks_still_has_a_calendar() -> None:
    text = """\
id: enkel
titel: Enkel plan
riskmatris: {kontroll_fran: 6}
kontroller:
  - {id: A, kontrollmoment: X, population: Y, metod: genomgang, frekvens: halvarsvis,
     ansvarig: Enhetschef, rapporteras: [T2, VB]}
"""
    plan = loads(text, source="enkel.yaml")
    assert [o.due for o in schedule(plan, 2027, D(2027, 7, 1))] == [D(2027, 6, 30), D(2027, 12, 31)]
