# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Evaluation of SMART goals: progress, expected pace, forecast, status, feasibility.

A goal moves a KPI from a baseline to a target by a deadline, in a direction:
"higher" (the target is reached when the value is at or above it) or "lower"
(at or below it).

Status rules, with ``gap`` = expected progress − progress (percentage points):

- ``draft``: the goal is not confirmed yet;
- ``achieved``: the target is reached (before the deadline: achieved early);
- ``missed``: the deadline has passed without reaching the target;
- ``on_track``: gap ≤ ``at_risk_margin`` (default 10 points);
- ``at_risk``: gap ≤ ``off_track_margin`` (default 25 points);
- ``off_track``: otherwise.

A goal whose KPI has no value yet counts as having made no progress.

Two rules keep a few days of data from deciding a goal:

- no forecast (``None``, shown as "too early") before
  ``FORECAST_MIN_ELAPSED`` % of the window has elapsed;
- a goal on a ratio KPI that reaches its target before the deadline is
  *achieved* only once ``EARLY_MIN_ELAPSED`` % of the window has elapsed
  and its value rests on at least ``EARLY_MIN_DENOMINATOR`` items (closed
  deals, customers, answers: the ratio's denominator); before that it is
  on track. Sum and quota goals are achieved as soon as the target is
  reached (what was won stays won). At the deadline every goal is
  achieved or not by its value.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from statistics import fmean, linear_regression, median
from typing import TypedDict

DIRECTIONS = ("higher", "lower")
GOAL_STATUSES = ("draft", "on_track", "at_risk", "off_track", "achieved", "missed")
AT_RISK_MARGIN = 10.0
OFF_TRACK_MARGIN = 25.0
FEASIBILITY_MARGIN_PCT = 50.0
FORECAST_MIN_ELAPSED = 25.0
EARLY_MIN_ELAPSED = 50.0
EARLY_MIN_DENOMINATOR = 10


class Feasibility(TypedDict):
    """How a target compares with the values a KPI reached before."""

    best: float | None
    median: float | None
    exceeds_history: bool


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(
            f"Unknown direction {direction!r}; expected one of {', '.join(DIRECTIONS)}."
        )


def progress(baseline: float | None, target: float | None, current: float | None) -> float | None:
    """Return the share of the way from ``baseline`` to ``target`` covered, in %.

    Works for targets below the baseline (lower is better) as well; the
    result may exceed 100 or be negative. ``None`` when the target equals
    the baseline or a value is missing.
    """
    if baseline is None or target is None or current is None or target == baseline:
        return None
    return (current - baseline) / (target - baseline) * 100.0


def expected_progress(date_start: date, deadline: date, today: date) -> float:
    """Return the progress expected at ``today`` at a linear pace, in % (0 to 100).

    The pace reaches 100 % on the deadline.
    """
    if deadline < date_start:
        raise ValueError(f"The deadline {deadline} is before the start {date_start}.")
    if today >= deadline:
        return 100.0
    if today <= date_start:
        return 0.0
    return (today - date_start).days / (deadline - date_start).days * 100.0


def linear_forecast(points: Sequence[tuple[date, float]], deadline: date) -> float | None:
    """Return the least-squares line through the dated values, at the deadline.

    One point (or points all on one date) forecasts their mean; no point,
    ``None``.
    """
    if not points:
        return None
    # Days counted from the deadline: the forecast is the line's intercept.
    offsets = [(day - deadline).days for day, _value in points]
    values = [value for _day, value in points]
    if len(set(offsets)) == 1:
        return fmean(values)
    return linear_regression(offsets, values).intercept


def forecast(
    points: Sequence[tuple[date, float]],
    date_start: date,
    deadline: date,
    today: date,
    min_elapsed: float = FORECAST_MIN_ELAPSED,
) -> float | None:
    """Return :func:`linear_forecast` at the deadline, or ``None`` (too early)
    while less than ``min_elapsed`` % of the window has elapsed: the trend of
    a few days says nothing of a quarter."""
    if expected_progress(date_start, deadline, today) < min_elapsed:
        return None
    return linear_forecast(points, deadline)


def early_achievement(
    *,
    additive: bool,
    denominator: float | None,
    date_start: date,
    deadline: date,
    today: date,
    min_elapsed: float = EARLY_MIN_ELAPSED,
    min_denominator: float = EARLY_MIN_DENOMINATOR,
) -> bool:
    """Tell whether a goal that reached its target before its deadline is
    achieved already (see the module doc): always for sum and quota goals,
    for ratio goals once ``min_elapsed`` % of the window has elapsed with at
    least ``min_denominator`` items behind the value."""
    if additive:
        return True
    return (
        expected_progress(date_start, deadline, today) >= min_elapsed
        and (denominator or 0) >= min_denominator
    )


def target_reached(current: float | None, target: float, direction: str) -> bool:
    """Tell whether ``current`` is at or beyond ``target`` in the goal's direction."""
    _check_direction(direction)
    if current is None:
        return False
    return current >= target if direction == "higher" else current <= target


def goal_status(
    *,
    baseline: float | None,
    target: float,
    current: float | None,
    direction: str,
    date_start: date,
    deadline: date,
    today: date,
    draft: bool = False,
    at_risk_margin: float = AT_RISK_MARGIN,
    off_track_margin: float = OFF_TRACK_MARGIN,
    early: bool = True,
) -> str:
    """Return the status of a goal, one of :data:`GOAL_STATUSES` (see module
    doc). With ``early`` false (see :func:`early_achievement`), a target
    reached before the deadline does not make the goal achieved yet."""
    _check_direction(direction)
    if not 0 <= at_risk_margin <= off_track_margin:
        raise ValueError(
            "The margins must satisfy 0 ≤ at-risk margin ≤ off-track margin, "
            f"not {at_risk_margin} and {off_track_margin}."
        )
    if draft:
        return "draft"
    if target_reached(current, target, direction) and (early or today >= deadline):
        return "achieved"
    if today > deadline:
        return "missed"
    expected = expected_progress(date_start, deadline, today)
    gap = expected - (progress(baseline, target, current) or 0.0)
    if gap <= at_risk_margin:
        return "on_track"
    if gap <= off_track_margin:
        return "at_risk"
    return "off_track"


def feasibility(
    history_values: Iterable[float | None],
    target: float | None,
    direction: str,
    margin_pct: float = FEASIBILITY_MARGIN_PCT,
) -> Feasibility:
    """Compare a target with the KPI's history (values of comparable past windows).

    ``exceeds_history`` is set when the target is beyond the best value ever
    reached by more than ``margin_pct`` % of that best value's magnitude.
    Missing values (``None``) are ignored.
    """
    _check_direction(direction)
    values = [value for value in history_values if value is not None]
    if not values:
        return {"best": None, "median": None, "exceeds_history": False}
    best = max(values) if direction == "higher" else min(values)
    allowance = abs(best) * margin_pct / 100.0
    if target is None:
        exceeds = False
    elif direction == "higher":
        exceeds = target > best + allowance
    else:
        exceeds = target < best - allowance
    return {"best": best, "median": median(values), "exceeds_history": exceeds}
