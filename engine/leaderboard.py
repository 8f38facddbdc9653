# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The leaderboard: the rows of one KPI for one period, ranked.

A row is a team or a salesperson (whatever the caller ranks) with the
stored :class:`~.metrics.KpiValue` of the KPI, or ``None`` when nothing was
stored for it. :func:`rank` orders them:

1. *ranked* rows, best first in the KPI's direction (higher or lower is
   better); equal values share a rank and the next rank skips ("1, 2, 2,
   4", as sports tables do), equal rows are listed by name;
2. rows *below the minimum*: a ratio KPI whose denominator is smaller than
   the minimum (e.g. a win rate over 2 closed opportunities) is shown with
   its value but not ranked, after the ranked rows, in the same order;
3. rows *without value* (not computed, or nothing to divide by), last, by
   name.

Sum KPIs (a denominator of 1) have no minimum. Nothing here reads a
database; the caller formats the texts (:mod:`.units`).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .metrics import KpiValue

RANKED = "ranked"
BELOW_MINIMUM = "below_minimum"
NO_VALUE = "no_value"
STATUSES = (RANKED, BELOW_MINIMUM, NO_VALUE)
DEFAULT_MIN_DENOMINATOR = 5


@dataclass(frozen=True)
class Entry:
    """One competitor: what the caller knows it by, its name and its value."""

    key: Any
    name: str
    value: KpiValue | None = None
    """``None``: nothing stored for this row in the period."""


@dataclass(frozen=True)
class Ranked:
    entry: Entry
    status: str
    """One of :data:`STATUSES`."""
    rank: int | None = None
    """1 for the best; ``None`` for rows that are not ranked."""

    @property
    def key(self):
        return self.entry.key

    @property
    def number(self) -> float | None:
        value = self.entry.value
        return value.value if value else None


@dataclass(frozen=True)
class Leaderboard:
    rows: list[Ranked]

    @property
    def ranked_count(self) -> int:
        """How many rows hold a rank (the "of N" of "rank 2 of N")."""
        return sum(1 for row in self.rows if row.status == RANKED)

    def row(self, key) -> Ranked | None:
        return next((row for row in self.rows if row.key == key), None)


def status_of(value: KpiValue | None, is_ratio: bool, min_denominator: float) -> str:
    """Whether a value is ranked, below the minimum denominator, or has no value."""
    if value is None or value.value is None:
        return NO_VALUE
    if is_ratio and (value.denominator or 0) < min_denominator:
        return BELOW_MINIMUM
    return RANKED


def _same(a: float, b: float) -> bool:
    # values are stored rounded to 4 decimals: equal ones tie, float noise aside
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def rank(
    entries: Iterable[Entry],
    direction: str = "higher",
    is_ratio: bool = True,
    min_denominator: float = DEFAULT_MIN_DENOMINATOR,
) -> Leaderboard:
    """The leaderboard of ``entries`` (see the module docstring).

    ``direction``: "higher" or "lower" is better. ``is_ratio``: the KPI rolls
    up as a ratio, so ``min_denominator`` applies (0 ranks every value).
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"Unknown direction {direction!r}.")
    if min_denominator is None or not math.isfinite(min_denominator) or min_denominator < 0:
        raise ValueError(f"The minimum denominator must be 0 or more, not {min_denominator!r}.")
    sign = -1 if direction == "higher" else 1
    groups = {status: [] for status in STATUSES}
    for entry in entries:
        groups[status_of(entry.value, is_ratio, min_denominator)].append(entry)

    def by_value(entry):
        return (sign * entry.value.value, entry.name, str(entry.key))

    rows, previous = [], None
    for position, entry in enumerate(sorted(groups[RANKED], key=by_value), start=1):
        if previous is not None and _same(entry.value.value, previous.number):
            current_rank = previous.rank
        else:
            current_rank = position
        previous = Ranked(entry, RANKED, current_rank)
        rows.append(previous)
    rows += [Ranked(entry, BELOW_MINIMUM) for entry in sorted(groups[BELOW_MINIMUM], key=by_value)]
    rows += [
        Ranked(entry, NO_VALUE)
        for entry in sorted(groups[NO_VALUE], key=lambda e: (e.name, str(e.key)))
    ]
    return Leaderboard(rows)
