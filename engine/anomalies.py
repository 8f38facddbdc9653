# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Anomaly bands: is a final value outside the usual range of its own history?

The band of a value is ``median ± k × MAD`` of the values of the same KPI and
dimension over the previous N periods of the same type:

- ``median`` is the median of the history;
- ``MAD`` is the normal-consistent median absolute deviation,
  ``MAD_SCALE × median(|x − median|)`` with ``MAD_SCALE = 1.4826``
  (Leys et al., 2013), so that ``k = 3`` means about three standard
  deviations for normally distributed values (unscaled, ``k = 3`` would be
  two, and one value in twenty of a steady KPI would be flagged);
- with fewer than ``min_history`` values in the history there is no band
  and no anomaly.

**When MAD is 0** (at least half of the history equals the median, e.g. a
team that loses no customer in most months), the spread falls back to the
mean absolute deviation around the median, scaled to be normal-consistent
as well (``MEAN_AD_SCALE = 1.2533``, the fallback of the modified z-score):
a series of zeros with one 1 keeps a narrow band rather than none, and a
value that already happened once is weighed by how often it happened. When
that is 0 too, the history is constant: the band is the median alone, and
any value different from it (beyond ``TOLERANCE``, relative, for the
rounding of stored values) is outside. A KPI that did not move at all in a
year moving is news; a minimum band width would have to be chosen per unit
(one customer, one point, one euro), which a constant series gives no scale
for.

A value above the band of a higher-is-better KPI is a ``better`` anomaly,
below it ``worse``; the other way round for a lower-is-better KPI.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean, median

DEFAULT_K = 3.0
DEFAULT_PERIODS = 12
DEFAULT_MIN_HISTORY = 6
MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.2533
TOLERANCE = 1e-9
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Band:
    """The usual range of a KPI's value, from ``count`` past values."""

    median: float
    spread: float
    """The scaled MAD (or its fallback): the band is median ± k × spread."""
    low: float
    high: float
    count: int

    def contains(self, value: float) -> bool:
        margin = TOLERANCE * max(1.0, abs(self.median))
        return self.low - margin <= value <= self.high + margin


def _check(k: float, min_history: int) -> None:
    if not k > 0:
        raise ValueError(f"k must be positive, not {k!r}.")
    if min_history < 1:
        raise ValueError(f"The minimum history must be at least 1 value, not {min_history!r}.")


def spread(history: Sequence[float]) -> float:
    """The scaled MAD of ``history``, or its fallback when it is 0 (see the
    module's docstring); 0 for a constant history."""
    center = median(history)
    deviations = [abs(value - center) for value in history]
    mad = median(deviations)
    if mad > 0:
        return MAD_SCALE * mad
    return MEAN_AD_SCALE * fmean(deviations)


def band(
    history: Sequence[float | None],
    k: float = DEFAULT_K,
    min_history: int = DEFAULT_MIN_HISTORY,
) -> Band | None:
    """The band ``median ± k × spread`` of the values of ``history`` (periods
    without a value, ``None``, are left out), or ``None`` with fewer than
    ``min_history`` values."""
    _check(k, min_history)
    values = [float(value) for value in history if value is not None]
    if len(values) < min_history:
        return None
    center = median(values)
    width = k * spread(values)
    return Band(center, width / k, center - width, center + width, len(values))


def classify(value: float | None, value_band: Band | None, direction: str) -> str | None:
    """``"better"``, ``"worse"`` or ``None`` (no value, no band, or inside it)."""
    if direction not in DIRECTIONS:
        raise ValueError(
            f"Unknown direction {direction!r}; expected one of {', '.join(DIRECTIONS)}."
        )
    if value is None or value_band is None or value_band.contains(value):
        return None
    above = value > value_band.high
    return "better" if above == (direction == "higher") else "worse"


def detect(
    value: float | None,
    history: Sequence[float | None],
    direction: str,
    k: float = DEFAULT_K,
    min_history: int = DEFAULT_MIN_HISTORY,
) -> tuple[str | None, Band | None]:
    """The anomaly of ``value`` against its ``history`` (oldest first or
    not: the order does not matter) and the band it was judged by."""
    value_band = band(history, k, min_history)
    return classify(value, value_band, direction), value_band
