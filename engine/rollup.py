"""Roll-up of KPI values over teams, salespeople or periods.

A ratio KPI is recomputed as Σnumerator / Σdenominator × factor, never as the
average of the ratios: 1/2 and 9/10 roll up to 10/12 = 83.33 %, not 70 %.
A sum KPI is Σnumerator.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping
from operator import itemgetter

from .metrics import KpiValue, ratio, total

ROLLUP_KINDS = ("ratio", "sum")


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


def rollup(
    values: Iterable[KpiValue], factor: float = 1.0, kind: str = "ratio"
) -> KpiValue:
    """Roll KPI values up into one.

    ``kind`` "ratio": Σnumerator / Σdenominator × ``factor``, no value when
    Σdenominator is 0; ``kind`` "sum": Σnumerator over a denominator of 1.
    """
    _check_kind(kind)
    return _combine(((v.numerator, v.denominator) for v in values), factor, kind)


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
