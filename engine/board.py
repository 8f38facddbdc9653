# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The board: KPIs as rows, periods and comparisons as columns.

One result object that every renderer reads (the dashboard's cards, the
XLSX sheets): each cell holds the :class:`~.metrics.KpiValue` of a stored
snapshot, its state and its text, formatted once by :mod:`.units`. Nothing
here reads a database; the caller passes the stored values.

Columns, in order:

- one per period (``kind == "period"``), oldest first; the last one is the
  *current* period the comparisons are made for;
- per comparison (``"previous"``: the period before the current one,
  ``"last_year"``: the same period one year earlier): the value of that
  period (``"compare"``), the difference current − compared (``"delta"``,
  in the KPI's unit, percentage points for percents) and the relative
  change (``"change"``: Δ / |compared| × 100, no value against 0).

A cell without a stored value (not computed) has ``value`` ``None``; a
stored value without a number (nothing to divide by) has a
:class:`~.metrics.KpiValue` whose ``value`` is ``None``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .metrics import KpiValue
from .periods import Period
from .units import Formatter

COMPARISONS = ("previous", "last_year")
COLUMN_KINDS = ("period", "compare", "delta", "change")


@dataclass(frozen=True)
class BoardRow:
    """A KPI definition as the board needs it."""

    code: str
    name: str
    unit: str
    direction: str = "higher"
    aggregation: str = "ratio"
    thresholds: tuple[float, float] | None = None
    """(warning, critical), or ``None`` when the KPI has no thresholds."""
    key: Any = None
    """What the caller knows the KPI by (e.g. a record id)."""


@dataclass(frozen=True)
class BoardColumn:
    key: str
    kind: str
    label: str = ""
    period: Period | None = None
    comparison: str | None = None


@dataclass(frozen=True)
class Stored:
    """A stored value of a KPI for a period (e.g. one snapshot)."""

    value: KpiValue
    failure: str | None = None
    source: Any = field(default=None, compare=False, repr=False)
    """The record it was read from, for the caller (never rendered)."""


@dataclass(frozen=True)
class BoardCell:
    value: KpiValue | None
    """``None``: not computed (period and compare cells) or no difference."""
    number: float | None
    """What is shown: the value, the Δ or the Δ%; ``None``: n/a."""
    state: str
    """Value cells: "ok", "warning", "critical" or "none" (thresholds);
    delta and change cells: "better", "worse" or "none"."""
    text: str
    failure: str | None = None
    source: Any = field(default=None, compare=False, repr=False)

    @property
    def computed(self) -> bool:
        return self.value is not None

    def as_dict(self) -> dict:
        value = self.value
        return {
            "value": self.number,
            "numerator": value.numerator if value else None,
            "denominator": value.denominator if value else None,
            "computed": self.computed,
            "state": self.state,
            "text": self.text,
            "failure": self.failure or "",
        }


def threshold_state(
    value: float | None, direction: str, thresholds: tuple[float, float] | None
) -> str:
    """'ok', 'warning', 'critical', or 'none' (no value or no thresholds).

    Better when higher: below the critical threshold is critical, below the
    warning threshold a warning; better when lower, above them.
    """
    if value is None or thresholds is None:
        return "none"
    warning, critical = thresholds
    sign = 1 if direction == "higher" else -1
    if sign * value < sign * critical:
        return "critical"
    if sign * value < sign * warning:
        return "warning"
    return "ok"


def change_state(delta: float | None, direction: str) -> str:
    """'better', 'worse', or 'none' (no change or no value)."""
    if not delta:
        return "none"
    better = delta > 0 if direction == "higher" else delta < 0
    return "better" if better else "worse"


def compare_periods(current: Period) -> dict[str, Period]:
    """{comparison: period} for the current period."""
    return {"previous": current.previous(), "last_year": current.same_period_last_year()}


class Board:
    """KPIs × (periods + comparisons), see the module docstring."""

    def __init__(self, rows, columns, cells):
        self.rows: list[BoardRow] = list(rows)
        self.columns: list[BoardColumn] = list(columns)
        self.cells: dict[tuple[str, str], BoardCell] = cells

    def cell(self, row: BoardRow | str, column: BoardColumn | str) -> BoardCell:
        code = row.code if isinstance(row, BoardRow) else row
        key = column.key if isinstance(column, BoardColumn) else column
        return self.cells[code, key]

    def row(self, code: str) -> BoardRow:
        return next(row for row in self.rows if row.code == code)

    def columns_of(self, kind: str) -> list[BoardColumn]:
        return [column for column in self.columns if column.kind == kind]

    def column(self, kind: str, comparison: str | None = None) -> BoardColumn | None:
        """The column of ``kind`` for ``comparison`` (the current one for "period")."""
        if kind == "period":
            periods = self.columns_of("period")
            return periods[-1] if periods else None
        return next(
            (c for c in self.columns if c.kind == kind and c.comparison == comparison), None
        )

    @property
    def periods(self) -> list[Period]:
        return [column.period for column in self.columns_of("period")]

    def as_dict(self) -> dict:
        """The board for the web client: plain types only."""
        return {
            "columns": [
                {
                    "key": c.key,
                    "kind": c.kind,
                    "label": c.label,
                    "comparison": c.comparison,
                    "date_start": c.period.date_start.isoformat() if c.period else None,
                }
                for c in self.columns
            ],
            "rows": [
                {
                    "code": row.code,
                    "name": row.name,
                    "unit": row.unit,
                    "direction": row.direction,
                    "cells": {c.key: self.cell(row, c).as_dict() for c in self.columns},
                }
                for row in self.rows
            ],
        }


def period_key(period: Period) -> str:
    return f"{period.period_type}:{period.date_start.isoformat()}"


def build_board(
    rows: Iterable[BoardRow],
    periods: Iterable[Period],
    stored: Mapping[tuple[str, Any], Stored],
    formatter: Formatter | None = None,
    comparisons: Iterable[str] = COMPARISONS,
    labels: Mapping[Period, str] | None = None,
) -> Board:
    """The board of ``rows`` over ``periods`` (in that order).

    ``stored`` maps (row code, :class:`~.periods.Period`) to a
    :class:`Stored` value; a missing key is "not computed". ``comparisons`` are compared
    with the last period. ``labels`` names the periods (default
    :attr:`Period.label`).
    """
    formatter = formatter or Formatter()
    rows, periods = list(rows), list(periods)
    labels = labels or {}

    def label(period):
        return labels.get(period) or period.label

    columns = [BoardColumn(period_key(p), "period", label(p), p) for p in periods]
    compared = compare_periods(periods[-1]) if periods else {}
    for name in comparisons if periods else ():
        other = compared[name]
        columns += [
            BoardColumn(name, "compare", label(other), other, name),
            BoardColumn(f"delta_{name}", "delta", label(other), other, name),
            BoardColumn(f"change_{name}", "change", label(other), other, name),
        ]

    cells = {}
    for row in rows:
        current = None
        for column in columns:
            if column.kind in ("period", "compare"):
                found = stored.get((row.code, column.period))
                cell = _value_cell(row, found, formatter)
                if column.kind == "period":
                    current = cell
            elif column.kind == "delta":
                reference = cells[row.code, column.comparison]
                cell = _delta_cell(row, current, reference, formatter)
            else:
                reference = cells[row.code, column.comparison]
                cell = _change_cell(row, current, reference, formatter)
            cells[row.code, column.key] = cell
    return Board(rows, columns, cells)


def _value_cell(row, found, formatter):
    if found is None:
        return BoardCell(None, None, "none", formatter.na)
    number = found.value.value
    return BoardCell(
        found.value,
        number,
        threshold_state(number, row.direction, row.thresholds),
        formatter.text(number, row.unit, row.aggregation),
        found.failure,
        found.source,
    )


def _difference(current, reference):
    if current is None or reference is None or current.number is None or reference.number is None:
        return None
    return current.number - reference.number


def _delta_cell(row, current, reference, formatter):
    delta = _difference(current, reference)
    return BoardCell(
        None if delta is None else KpiValue(delta, 1, delta),
        delta,
        change_state(delta, row.direction),
        formatter.delta_text(delta, row.unit, row.aggregation),
    )


def _change_cell(row, current, reference, formatter):
    delta = _difference(current, reference)
    percent = None
    if delta is not None and reference.number:
        percent = delta / abs(reference.number) * 100
    return BoardCell(
        None if percent is None else KpiValue(delta, abs(reference.number), percent),
        percent,
        change_state(percent, row.direction),
        formatter.change_text(percent),
    )
