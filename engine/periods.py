# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Period windows: half-open ``[date_start, date_end)`` calendar intervals.

A period is a day, an ISO week (Monday first), a month, a quarter or a year,
expressed in local calendar dates. Datetimes stored in UTC are compared with
the bounds returned by :meth:`Period.utc_bounds` for the company's timezone.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

PERIOD_TYPES = ("day", "week", "month", "quarter", "year")

# Most periods one computation, one goal window or one workbook may span.
MAX_PERIODS = 400

_LENGTHS = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}


def _check_period_type(period_type: str) -> None:
    if period_type not in PERIOD_TYPES:
        raise ValueError(
            f"Unknown period type {period_type!r}; expected one of {', '.join(PERIOD_TYPES)}."
        )


def _start_of(period_type: str, d: date) -> date:
    """Return the first day of the period of type ``period_type`` holding ``d``."""
    if period_type == "day":
        return d
    if period_type == "week":
        return d - timedelta(days=d.weekday())
    if period_type == "month":
        return d.replace(day=1)
    if period_type == "quarter":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    return date(d.year, 1, 1)


def _iso_weeks_in_year(iso_year: int) -> int:
    """Return 52 or 53: 28 December always lies in the last ISO week."""
    return date(iso_year, 12, 28).isocalendar().week


def _zone(tz_name: str | None) -> tzinfo:
    """Return the IANA zone ``tz_name``, or UTC when it is empty or unknown."""
    if not tz_name:
        return timezone.utc
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _utc_midnight(d: date, zone: tzinfo) -> datetime:
    """Return the naive UTC datetime of the local midnight starting ``d``.

    A midnight skipped by a DST change is resolved to the first instant of
    the day, as :mod:`zoneinfo` does for non-existent local times.
    """
    local = datetime.combine(d, time.min, tzinfo=zone)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Period:
    """A calendar period ``[date_start, date_end)`` of one of :data:`PERIOD_TYPES`."""

    period_type: str
    date_start: date
    date_end: date

    def __post_init__(self) -> None:
        _check_period_type(self.period_type)
        start = _start_of(self.period_type, self.date_start)
        if start != self.date_start or self.date_end != start + _LENGTHS[self.period_type]:
            raise ValueError(
                f"[{self.date_start}, {self.date_end}) is not a {self.period_type} period."
            )

    def previous(self) -> "Period":
        """Return the period just before this one."""
        return period_of(self.period_type, self.date_start - timedelta(days=1))

    def next(self) -> "Period":
        """Return the period just after this one."""
        return period_of(self.period_type, self.date_end)

    def same_period_last_year(self) -> "Period":
        """Return the comparable period one year earlier.

        A week maps to the ISO week with the same number in the previous ISO
        year, week 53 to week 52 when that year has no week 53; 29 February
        maps to 28 February.
        """
        if self.period_type == "week":
            iso_year, week, _weekday = self.date_start.isocalendar()
            week = min(week, _iso_weeks_in_year(iso_year - 1))
            return period_of("week", date.fromisocalendar(iso_year - 1, week, 1))
        return period_of(self.period_type, self.date_start - relativedelta(years=1))

    def contains(self, d: date) -> bool:
        """Tell whether the date ``d`` falls in the period."""
        return self.date_start <= d < self.date_end

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.date_end - self.date_start).days

    @property
    def last_day(self) -> date:
        """Last day of the period (the day before ``date_end``)."""
        return self.date_end - timedelta(days=1)

    @property
    def label(self) -> str:
        """Short sortable label: 2026-11-22, 2026-W47, 2026-11, 2026-Q4, 2026."""
        start = self.date_start
        if self.period_type == "day":
            return start.isoformat()
        if self.period_type == "week":
            iso_year, week, _weekday = start.isocalendar()
            return f"{iso_year}-W{week:02d}"
        if self.period_type == "month":
            return f"{start.year}-{start.month:02d}"
        if self.period_type == "quarter":
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        return str(start.year)

    def utc_bounds(self, tz_name: str | None) -> tuple[datetime, datetime]:
        """Return the naive UTC datetimes of the local midnights bounding the period.

        ``tz_name`` is an IANA zone name; an empty or unknown one means UTC.
        """
        zone = _zone(tz_name)
        return _utc_midnight(self.date_start, zone), _utc_midnight(self.date_end, zone)


def period_of(period_type: str, d: date) -> Period:
    """Return the period of type ``period_type`` containing the date ``d``."""
    _check_period_type(period_type)
    start = _start_of(period_type, d)
    return Period(period_type, start, start + _LENGTHS[period_type])


def periods_between(period_type: str, date_from: date, date_to: date | None = None) -> list[Period]:
    """Return, in order, the periods meeting the closed range ``[date_from, date_to]``.

    Without ``date_to``, return the single period containing ``date_from``.
    """
    _check_period_type(period_type)
    if date_to is None:
        date_to = date_from
    if date_to < date_from:
        raise ValueError(f"The end date {date_to} is before the start date {date_from}.")
    periods = [period_of(period_type, date_from)]
    while periods[-1].date_end <= date_to:
        periods.append(periods[-1].next())
    return periods


def _index_of(period_type: str, d: date) -> int:
    """Return the rank of the period holding ``d`` in an endless sequence of
    periods of ``period_type``: consecutive periods have consecutive ranks."""
    if period_type == "day":
        return d.toordinal()
    if period_type == "week":
        return (d.toordinal() - d.weekday()) // 7
    if period_type == "month":
        return d.year * 12 + d.month - 1
    if period_type == "quarter":
        return d.year * 4 + (d.month - 1) // 3
    return d.year


def _check_range(period_type: str, date_from: date, date_to: date) -> None:
    _check_period_type(period_type)
    if date_to < date_from:
        raise ValueError(f"The end date {date_to} is before the start date {date_from}.")


def count_periods(period_type: str, date_from: date, date_to: date | None = None) -> int:
    """Return how many periods :func:`periods_between` would return, without
    building them (constant time, whatever the range)."""
    if date_to is None:
        date_to = date_from
    _check_range(period_type, date_from, date_to)
    return _index_of(period_type, date_to) - _index_of(period_type, date_from) + 1


def split_range(
    period_type: str, date_from: date, date_to: date | None, max_periods: int
) -> list[tuple[date, date]]:
    """Split the closed range ``[date_from, date_to]`` into consecutive closed
    ranges meeting at most ``max_periods`` periods each.

    Together the ranges meet the same periods as the whole one, each period
    in exactly one range; the first range starts on ``date_from``, the next
    ones on the first day of a period, the last one ends on ``date_to``.
    """
    if date_to is None:
        date_to = date_from
    _check_range(period_type, date_from, date_to)
    if max_periods < 1:
        raise ValueError(f"At least one period per range is needed, not {max_periods}.")
    chunk_length = _LENGTHS[period_type] * max_periods
    ranges, start = [], date_from
    while True:
        try:
            after = _start_of(period_type, start) + chunk_length
        except (OverflowError, ValueError):  # beyond date.max, so beyond date_to
            after = None
        if after is None or after > date_to:
            ranges.append((start, date_to))
            return ranges
        ranges.append((start, after - timedelta(days=1)))
        start = after


def local_date(utc_datetime: datetime, tz_name: str | None) -> date:
    """Return the calendar date, in the zone ``tz_name``, of a naive UTC datetime."""
    return utc_datetime.replace(tzinfo=timezone.utc).astimezone(_zone(tz_name)).date()
