# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Retention cohorts: the triangle of acquisition months × months since.

A *cohort* is the customers whose first purchase fell in one month (its
first day names it). For each month ``k`` since (0 = the acquisition month
itself, up to :data:`MAX_MONTHS`) a cell keeps four numbers, measured at the
end of month ``cohort + k``:

- ``customers``: the cohort's customers active then (logo retention's
  numerator) and ``cohort_size`` (its denominator);
- ``mrr``: the MRR the cohort's customers pay then (revenue retention's
  numerator) and ``mrr_start``: the MRR they paid at the end of their
  acquisition month (its denominator). Revenue retention exceeds 100 %
  when expansion (upgrades, later subscriptions) outweighs churn.

Cells of several scopes (e.g. the sales teams of a company) are added up
number by number and the shares recomputed (Σnumerator / Σdenominator),
never averaged. A share whose denominator is 0 has no value.

No Odoo import: the ORM gathers the cells (``crm.kpi.cohort.cell``), this
module turns them into the :class:`Triangle` every renderer draws.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .metrics import PERCENT, KpiValue, ratio

# Months since acquisition kept per cohort (cells 0 to 24).
MAX_MONTHS = 24
MODES = ("logo", "revenue")

# The colour scale of the cells (the view and the XLSX use the same ends):
# from 0 % (white) to 100 % and more (deep blue).
HEAT_LOW = (255, 255, 255)
HEAT_HIGH = (31, 94, 160)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


def months_between(first: date, later: date) -> int:
    """Whole calendar months from the month of ``first`` to that of ``later``."""
    return (later.year - first.year) * 12 + later.month - first.month


def logo_retention(customers: float | None, cohort_size: float | None) -> KpiValue:
    """Logo retention: cohort customers still active / cohort size × 100."""
    return ratio(customers, cohort_size, PERCENT)


def revenue_retention(mrr: float | None, mrr_start: float | None) -> KpiValue:
    """Revenue retention: the cohort's MRR now / its MRR at the end of its
    acquisition month × 100 (above 100 with net expansion)."""
    return ratio(mrr, mrr_start, PERCENT)


@dataclass(frozen=True)
class CohortFact:
    """The numbers of one cell of one scope (a stored cohort cell)."""

    cohort: date
    months_since: int
    customers: float = 0
    cohort_size: float = 0
    mrr: float = 0.0
    mrr_start: float = 0.0
    source: object = field(default=None, compare=False, repr=False)
    """What the fact was read from (a record), for the caller."""


@dataclass(frozen=True)
class TriangleCell:
    months_since: int
    value: KpiValue
    """The share (percent) with its numerator and denominator."""
    computed: bool = True
    """False when the month was reached but no cell is stored for it."""

    @property
    def share(self) -> float | None:
        return self.value.value


@dataclass
class TriangleRow:
    cohort: date | None
    """First day of the acquisition month; None for the average row."""
    size: float
    """Cohort customers (logo) or starting MRR (revenue)."""
    cells: list = field(default_factory=list)
    """One :class:`TriangleCell` per month reached, in order from month 0."""


@dataclass
class Triangle:
    mode: str
    months: list
    """The column headers: months since acquisition, 0 first."""
    rows: list
    """One :class:`TriangleRow` per cohort, oldest first."""
    average: TriangleRow
    """Σnumerator / Σdenominator over the cohorts that reached each month."""

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _share(mode, customers, cohort_size, mrr, mrr_start):
    if mode == "logo":
        return logo_retention(customers, cohort_size)
    return revenue_retention(mrr, mrr_start)


def build_triangle(
    facts,
    mode: str,
    last_month: date,
    first_cohort: date | None = None,
    max_months: int = MAX_MONTHS,
) -> Triangle:
    """The triangle of ``mode`` ("logo" or "revenue") from ``facts``
    (:class:`CohortFact`, of any number of scopes: facts of the same cohort
    and month are added up), for the cohorts from ``first_cohort`` (default:
    ``max_months`` before ``last_month``) to ``last_month``, measured up to
    the end of ``last_month``.

    A cohort is a row when it has a fact; its cells run from month 0 to the
    month reached at ``last_month`` (at most ``max_months``), a reached month
    without a fact being a cell not computed (no value). The row's size is
    the cohort size or starting MRR of its month-0 cell (else of its first
    cell). In revenue mode a cohort without starting MRR (one-off buyers
    only) has no row: nothing to retain, and its later MRR is not added to
    the average either.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown cohort mode {mode!r}; use one of {MODES}.")
    last_month = month_start(last_month)
    first_cohort = (
        month_start(first_cohort) if first_cohort else add_months(last_month, -max_months)
    )
    sums = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for fact in facts:
        cohort = month_start(fact.cohort)
        if not first_cohort <= cohort <= last_month:
            continue
        if not 0 <= fact.months_since <= min(max_months, months_between(cohort, last_month)):
            continue
        numbers = sums[cohort, fact.months_since]
        numbers[0] += fact.customers or 0
        numbers[1] += fact.cohort_size or 0
        numbers[2] += fact.mrr or 0
        numbers[3] += fact.mrr_start or 0
    cohorts = sorted({cohort for cohort, _k in sums})
    totals = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    rows = []
    for cohort in cohorts:
        reached = min(max_months, months_between(cohort, last_month))
        first_k = min(k for c, k in sums if c == cohort)
        base = sums[cohort, 0] if (cohort, 0) in sums else sums[cohort, first_k]
        row = TriangleRow(cohort, base[1] if mode == "logo" else base[3])
        if not row.size:
            continue
        for k in range(reached + 1):
            if (cohort, k) not in sums:
                row.cells.append(TriangleCell(k, KpiValue(None, None, None), computed=False))
                continue
            numbers = sums[cohort, k]
            row.cells.append(TriangleCell(k, _share(mode, *numbers)))
            total = totals[k]
            for index, number in enumerate(numbers):
                total[index] += number
        rows.append(row)
    reach = min(max_months, months_between(rows[0].cohort, last_month)) if rows else -1
    months = list(range(reach + 1))
    average = TriangleRow(None, sum(row.size for row in rows))
    for k in months:
        if k in totals:
            average.cells.append(TriangleCell(k, _share(mode, *totals[k])))
        else:
            average.cells.append(TriangleCell(k, KpiValue(None, None, None), computed=False))
    return Triangle(mode, months, rows, average)


def heat_colour(share: float | None) -> tuple[str, str] | None:
    """(background, text) colours of a cell of ``share`` percent: a linear
    scale from white at 0 % to deep blue at 100 % (and above); None without
    a value."""
    if share is None:
        return None
    weight = max(0.0, min(1.0, share / PERCENT))
    rgb = [
        round(low + (high - low) * weight) for low, high in zip(HEAT_LOW, HEAT_HIGH, strict=False)
    ]
    background = "#{:02X}{:02X}{:02X}".format(*rgb)
    return background, "#FFFFFF" if weight > 0.55 else "#212529"


def heat_ends() -> tuple[str, str]:
    """The colours of 0 % and 100 %, for renderers with their own scale (Excel)."""
    return "#{:02X}{:02X}{:02X}".format(*HEAT_LOW), "#{:02X}{:02X}{:02X}".format(*HEAT_HIGH)
