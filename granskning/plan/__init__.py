"""The unit's internal-control plan (IKP): risks, controls, the year's calendar.

:mod:`~granskning.plan.model` holds the plan as data, :mod:`~granskning.plan.files` reads
and validates a plan file, :mod:`~granskning.plan.calendar` puts each control's due dates
in the year and in the periods T1, T2 and VB, and :mod:`~granskning.plan.overview` builds
what ``granskning plan`` prints.
"""
