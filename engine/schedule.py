# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""When a scheduled e-mail report is due, and which period it reports.

Cadences:

- ``weekly``: every week on a weekday (0 = Monday … 6 = Sunday);
- ``monthly``: on the first working day (Monday to Friday) of each month;
- ``quarterly``: on the first working day of January, April, July and
  October.

A report sent on a day shows the period (of its period type) holding the
day before: a monthly report sent on Monday 1 June shows May, a weekly
report of months sent on Monday 8 June shows June so far.
"""

from datetime import date, timedelta

from .periods import Period, period_of

CADENCES = ("weekly", "monthly", "quarterly")
_MONTHS_BETWEEN = {"monthly": 1, "quarterly": 3}


def first_working_day(year: int, month: int) -> date:
    """The first Monday-to-Friday day of a month."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def next_send_date(cadence: str, after: date, weekday: int = 0) -> date:
    """The first day strictly after ``after`` on which a report of
    ``cadence`` is sent."""
    if cadence == "weekly":
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
        return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)
    if cadence not in _MONTHS_BETWEEN:
        raise ValueError(f"unknown cadence {cadence!r}; expected one of {CADENCES}")
    step = _MONTHS_BETWEEN[cadence]
    # the first month of the cadence at or before after's month
    index = (after.year * 12 + after.month - 1) // step * step
    while True:
        candidate = first_working_day(index // 12, index % 12 + 1)
        if candidate > after:
            return candidate
        index += step


def reported_period(period_type: str, send_day: date) -> Period:
    """The period a report sent on ``send_day`` shows: the one holding the
    day before."""
    return period_of(period_type, send_day - timedelta(days=1))
