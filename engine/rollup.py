# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Roll-up of KPI values over teams, salespeople or periods.

A ratio KPI is recomputed as Σnumerator / Σdenominator × factor, never as the
average of the ratios: 1/2 and 9/10 roll up to 10/12 = 83.33 %, not 70 %.
A sum KPI is Σnumerator.

Over periods, a *stock* KPI (a level at the period's end: MRR, active
customers, open pipeline) is not added up: a quarter of months takes the
last month's value (:func:`rollup_periods` with ``over_time="last"``).
"""

from collections.abc import Callable, Hashable, Iterable, Mapping
from operator import itemgetter

from .metrics import KpiValue, ratio, total

ROLLUP_KINDS = ("ratio", "sum")
TIME_AGGREGATIONS = ("rollup", "last")


def _check_kind(kind: str) -> None:
    if kind not in ROLLUP_KINDS:
        raise ValueError(
            f"Unknown roll-up kind {kind!r}; expected one of {', '.join(ROLLUP_KINDS)}."
        )


def _combine(
    pairs: Iterable[tuple[float | None, float | None]], factor: float, kind: str
) -> KpiValue:
    """Roll up (numerator, denominator) pairs; ``None`` counts as 0."""
    numerator = denominator = 0
    for pair_numerator, pair_denominator in pairs:
        numerator += pair_numerator or 0
        denominator += pair_denominator or 0
    if kind == "sum":
        return total(numerator)
    return ratio(numerator, denominator, factor)


def rollup(values: Iterable[KpiValue], factor: float = 1.0, kind: str = "ratio") -> KpiValue:
    """Roll KPI values up into one.

    ``kind`` "ratio": Σnumerator / Σdenominator × ``factor``, no value when
    Σdenominator is 0; ``kind`` "sum": Σnumerator over a denominator of 1.
    """
    _check_kind(kind)
    return _combine(((v.numerator, v.denominator) for v in values), factor, kind)


def rollup_periods(
    values: Iterable[KpiValue],
    factor: float = 1.0,
    kind: str = "ratio",
    over_time: str = "rollup",
) -> KpiValue:
    """Roll up the values of consecutive periods (oldest first, one value
    per period, each possibly a roll-up of teams already).

    ``over_time`` "rollup": as :func:`rollup` (a flow: revenue won, leads
    created); "last": the value of the last period only (a stock: a level at
    the period's end, e.g. the MRR of a quarter is the MRR of its last
    month). No value without any period.
    """
    _check_kind(kind)
    if over_time not in TIME_AGGREGATIONS:
        raise ValueError(
            f"Unknown aggregation over time {over_time!r}; expected one of "
            f"{', '.join(TIME_AGGREGATIONS)}."
        )
    values = list(values)
    if over_time == "last":
        values = values[-1:]
        if not values:
            return KpiValue(0, 0, None) if kind == "ratio" else total(None)
    return rollup(values, factor, kind)


def group_rollup(
    rows: Iterable[Mapping],
    key: str | Callable[[Mapping], Hashable],
    factor: float = 1.0,
    kind: str = "ratio",
) -> dict[Hashable, KpiValue]:
    """Roll up rows holding "numerator" and "denominator" per group.

    ``key`` is the name of the grouping column, or a function of the row.
    Groups are returned in the order of their first row.
    """
    _check_kind(kind)
    get_key = key if callable(key) else itemgetter(key)
    groups: dict[Hashable, list[tuple[float | None, float | None]]] = {}
    for row in rows:
        pair = (row.get("numerator"), row.get("denominator"))
        groups.setdefault(get_key(row), []).append(pair)
    return {group: _combine(pairs, factor, kind) for group, pairs in groups.items()}
