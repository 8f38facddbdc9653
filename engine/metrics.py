# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""KPI formulas on plain numbers.

Every KPI is returned as a :class:`KpiValue` that keeps its numerator and
denominator, so that values of several teams or periods can be rolled up as
Σnumerator / Σdenominator (see :mod:`.rollup`). A ratio whose denominator is
zero or missing has no value (``None``), never 0 and never an error. Counts
and amounts that were not gathered (``None``) count as 0 in sums.
"""

from collections.abc import Sequence
from dataclasses import dataclass

PERCENT = 100.0

SCALES = {"0_10": (0, 10), "1_5": (1, 5), "1_7": (1, 7)}

# Per NPS scale: highest detractor score and lowest promoter score.
_NPS_BANDS = {"0_10": (6, 9), "1_5": (2, 4)}

# Recurrence units in one month.
_UNITS_PER_MONTH = {
    "daily": 30.4375,
    "weekly": 4.348125,
    "monthly": 1.0,
    "yearly": 1 / 12,
}


@dataclass(frozen=True)
class KpiValue:
    """A KPI value with the numerator and denominator it was computed from.

    Sum and count KPIs have ``denominator == 1``; ``value`` is ``None`` when
    the KPI has no value.
    """

    numerator: float | None
    denominator: float | None
    value: float | None


def ratio(numerator: float | None, denominator: float | None, factor: float = 1.0) -> KpiValue:
    """Return numerator / denominator × factor.

    No value when the denominator is 0 or missing; a missing numerator
    counts as 0.
    """
    numerator = numerator or 0
    denominator = denominator or 0
    value = numerator / denominator * factor if denominator else None
    return KpiValue(numerator, denominator, value)


def total(amount: float | None) -> KpiValue:
    """Return a sum-like value (``None`` means no value) over a denominator of 1."""
    return KpiValue(amount, 1, amount)


def _sum(*terms: float | None) -> float:
    """Add the terms, a missing one (``None``) counting as 0."""
    return sum(term or 0 for term in terms)


def _divide(numerator: float | None, denominator: float | None) -> float | None:
    """Return numerator / denominator; ``None`` if either is missing or 0 divides."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


# ---------------------------------------------------------------------------
# Acquisition
# ---------------------------------------------------------------------------


def cac(acquisition_costs: float | None, new_customers: int | None) -> KpiValue:
    """Customer acquisition cost: acquisition costs / new customers."""
    return ratio(acquisition_costs, new_customers)


def cac_payback(cac_value: float | None, monthly_margin_revenue: float | None) -> KpiValue:
    """Months to recover the CAC: CAC / average monthly margin-adjusted revenue.

    Both figures are averages over the same new customers, so passing the
    totals instead (acquisition costs, Σ monthly margin revenue of the new
    customers) gives the same value and keeps roll-ups exact.
    """
    return ratio(cac_value, monthly_margin_revenue)


def marketing_share(marketing_new_customers: int | None, new_customers: int | None) -> KpiValue:
    """Share of new customers that are marketing-sourced, in %."""
    return ratio(marketing_new_customers, new_customers, PERCENT)


def marketing_revenue_share(
    marketing_revenue: float | None, new_customer_revenue: float | None
) -> KpiValue:
    """Share of the new customers' revenue brought by marketing-sourced ones, in %."""
    return ratio(marketing_revenue, new_customer_revenue, PERCENT)


def marketing_roi(revenue: float | None, costs: float | None) -> KpiValue:
    """Marketing ROI: (marketing-sourced revenue − marketing costs) / costs, in %."""
    return ratio(_sum(revenue) - _sum(costs), costs, PERCENT)


def traffic_to_lead(leads: int | None, visitors: int | None) -> KpiValue:
    """Traffic-to-lead conversion: leads created / website visitors, in %."""
    return ratio(leads, visitors, PERCENT)


def lead_sources(leads: int | None) -> KpiValue:
    """Leads created (per UTM source, medium or campaign): a count."""
    return total(_sum(leads))


# ---------------------------------------------------------------------------
# Sales
# ---------------------------------------------------------------------------


def win_rate(won: int | None, lost: int | None) -> KpiValue:
    """Win rate: won / (won + lost), in %."""
    return ratio(won, _sum(won, lost), PERCENT)


def sales_cycle(total_days: float | None, won: int | None) -> KpiValue:
    """Sales cycle length: Σ days from creation to win / opportunities won."""
    return ratio(total_days, won)


def stage_duration(total_days: float | None, stays: int | None) -> KpiValue:
    """Average days in a pipeline stage: Σ days of the stays ended / stays."""
    return ratio(total_days, stays)


def stage_drop_off(left_to_lost_or_stale: int | None, stays: int | None) -> KpiValue:
    """Drop-off of a stage: stays that ended lost or stale / stays, in %."""
    return ratio(left_to_lost_or_stale, stays, PERCENT)


def lead_abandonment(abandoned: int | None, created: int | None) -> KpiValue:
    """Leads created that were lost, archived or left stale / leads created, in %."""
    return ratio(abandoned, created, PERCENT)


def quota(revenue: float | None, quota_amount: float | None) -> KpiValue:
    """Quota attainment: won (or invoiced) revenue / quota, in %."""
    return ratio(revenue, quota_amount, PERCENT)


def net_new_revenue(revenue: float | None) -> KpiValue:
    """Revenue from the customers new in the period: a sum."""
    return total(_sum(revenue))


def pipeline_value(amount: float | None) -> KpiValue:
    """Open pipeline: Σ expected revenue of the opportunities open at a moment (a sum)."""
    return total(_sum(amount))


def weighted_pipeline(weighted_amount: float | None) -> KpiValue:
    """Weighted pipeline: Σ expected revenue × probability of the open opportunities (a sum)."""
    return total(_sum(weighted_amount))


def pipeline_coverage(pipeline: float | None, quota_amount: float | None) -> KpiValue:
    """Pipeline coverage: open pipeline at the period's start / quota of the period (×)."""
    return ratio(pipeline, quota_amount)


def lead_conversion(converted: int | None, leads: int | None) -> KpiValue:
    """Lead-to-opportunity conversion: leads converted / leads created, in %."""
    return ratio(converted, leads, PERCENT)


def avg_deal_size(revenue: float | None, won: int | None) -> KpiValue:
    """Average deal size: revenue won / opportunities won."""
    return ratio(revenue, won)


def sales_velocity(
    open_opportunities: int | None,
    won: int | None,
    lost: int | None,
    revenue: float | None,
    total_days: float | None,
) -> KpiValue:
    """Sales velocity, revenue per day: open opportunities × win rate ×
    average deal size / sales cycle days.

    Win rate (won / (won + lost)), deal size (revenue / won) and cycle
    (Σ days to win / won) are those of the same closed opportunities. The
    numerator is open × win rate × deal size = open × revenue / (won +
    lost), the denominator the sales cycle in days: no value when nothing
    was won (no deal size, no cycle).
    """
    closed = _sum(won, lost)
    numerator = _sum(open_opportunities) * _sum(revenue) / closed if closed else 0.0
    return ratio(numerator, _divide(total_days, won))


# ---------------------------------------------------------------------------
# Customers and retention
# ---------------------------------------------------------------------------


def churn(lost: int | None, active_at_start: int | None) -> KpiValue:
    """Customer churn rate: lost customers / active at start, in %."""
    return ratio(lost, active_at_start, PERCENT)


def retention(active_at_end: int | None, new: int | None, active_at_start: int | None) -> KpiValue:
    """Customer retention rate: (active at end − new) / active at start, in %."""
    return ratio(_sum(active_at_end) - _sum(new), active_at_start, PERCENT)


def retention_cost(retention_costs: float | None, retained: int | None) -> KpiValue:
    """Customer retention cost: retention costs / retained customers."""
    return ratio(retention_costs, retained)


def active_customers(active: int | None) -> KpiValue:
    """Customers active at a day (a subscription in progress or a one-off
    purchase in the activity window): a count."""
    return total(_sum(active))


def renewal(renewed: int | None, up_for_renewal: int | None) -> KpiValue:
    """Renewal rate: subscriptions renewed / subscriptions up for renewal, in %."""
    return ratio(renewed, up_for_renewal, PERCENT)


def upsell(upsold: int | None, active_at_start: int | None) -> KpiValue:
    """Upsell rate: existing customers who upgraded or bought again / active, in %."""
    return ratio(upsold, active_at_start, PERCENT)


def resolution_time(total_hours: float | None, closed: int | None) -> KpiValue:
    """Average resolution time: Σ hours from open to close / tickets closed."""
    return ratio(total_hours, closed)


# ---------------------------------------------------------------------------
# Satisfaction
# ---------------------------------------------------------------------------


def check_score(score: int, scale: str) -> None:
    """Raise :class:`ValueError` unless ``score`` is an integer within ``scale``."""
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; expected one of {', '.join(SCALES)}.")
    low, high = SCALES[scale]
    is_integer = isinstance(score, int) and not isinstance(score, bool)
    if not (is_integer and low <= score <= high):
        raise ValueError(f"The score {score!r} is not an integer from {low} to {high}.")


def nps_category(score: int, scale: str) -> str:
    """Return "promoter", "passive" or "detractor" for an NPS score.

    On 0–10, 9–10 are promoters and 0–6 detractors; on 1–5, 4–5 are
    promoters and 1–2 detractors.
    """
    if scale not in _NPS_BANDS:
        raise ValueError(
            f"The scale {scale!r} is not an NPS scale; expected one of {', '.join(_NPS_BANDS)}."
        )
    check_score(score, scale)
    detractor_max, promoter_min = _NPS_BANDS[scale]
    if score >= promoter_min:
        return "promoter"
    if score <= detractor_max:
        return "detractor"
    return "passive"


def nps(promoters: int | None, detractors: int | None, responses: int | None) -> KpiValue:
    """Net promoter score: (promoters − detractors) / responses × 100."""
    return ratio(_sum(promoters) - _sum(detractors), responses, PERCENT)


def ces(score_sum: float | None, responses: int | None) -> KpiValue:
    """Customer effort score: Σ scores / responses (1–7, 7 = easiest)."""
    return ratio(score_sum, responses)


def ces_easy_share(responses_ge_5: int | None, responses: int | None) -> KpiValue:
    """Share of CES responses scoring 5 or more, in %."""
    return ratio(responses_ge_5, responses, PERCENT)


# ---------------------------------------------------------------------------
# Recurring revenue
# ---------------------------------------------------------------------------


def monthly_factor(rule_type: str, interval: int) -> float:
    """Return the factor turning an amount billed every ``interval`` units into MRR.

    Daily ×30.4375, weekly ×4.348125, monthly ×1, yearly ÷12, then divided
    by the interval (billed every 3 months: ÷3).
    """
    if rule_type not in _UNITS_PER_MONTH:
        raise ValueError(
            f"Unknown recurrence {rule_type!r}; expected one of {', '.join(_UNITS_PER_MONTH)}."
        )
    if interval < 1:
        raise ValueError(f"The recurrence interval must be at least 1, not {interval}.")
    return _UNITS_PER_MONTH[rule_type] / interval


def mrr(recurring_total: float, rule_type: str, interval: int) -> float:
    """Return the MRR of an amount billed every ``interval`` ``rule_type`` units."""
    return recurring_total * monthly_factor(rule_type, interval)


def recurring_revenue(mrr_total: float | None) -> KpiValue:
    """Monthly recurring revenue at a day: Σ MRR of the subscriptions in progress (a sum)."""
    return total(_sum(mrr_total))


def annual_recurring_revenue(mrr_total: float | None) -> KpiValue:
    """Annual recurring revenue: 12 × MRR (a sum)."""
    return total(12 * _sum(mrr_total))


def arpa(mrr_total: float | None, paying_customers: int | None) -> KpiValue:
    """Average revenue per account: MRR / customers paying it."""
    return ratio(mrr_total, paying_customers)


def net_new_mrr(
    new: float | None,
    expansion: float | None,
    contraction: float | None,
    churned: float | None,
    reactivation: float | None = 0.0,
) -> KpiValue:
    """Net new MRR: new + expansion + reactivation − contraction − churned (a sum)."""
    return total(_sum(new, expansion, reactivation) - _sum(contraction, churned))


def mrr_churn(
    contraction: float | None, churned: float | None, mrr_start: float | None
) -> KpiValue:
    """Revenue churn: MRR lost to downgrades and closes / MRR at start, in %."""
    return ratio(_sum(contraction, churned), mrr_start, PERCENT)


def nrr(
    mrr_start: float | None,
    expansion: float | None,
    contraction: float | None,
    churned: float | None,
) -> KpiValue:
    """Net revenue retention, in %.

    (MRR at start + expansion − contraction − churned) / MRR at start, the
    movements being those of the customers active at the start.
    """
    numerator = _sum(mrr_start, expansion) - _sum(contraction, churned)
    return ratio(numerator, mrr_start, PERCENT)


def grr(mrr_start: float | None, contraction: float | None, churned: float | None) -> KpiValue:
    """Gross revenue retention, in %.

    (MRR at start − contraction − churned) / MRR at start, the movements
    being those of the customers active at the start.
    """
    return ratio(_sum(mrr_start) - _sum(contraction, churned), mrr_start, PERCENT)


def quick_ratio(
    new: float | None,
    expansion: float | None,
    reactivation: float | None,
    contraction: float | None,
    churned: float | None,
) -> KpiValue:
    """SaaS quick ratio: (new + expansion + reactivation) / (contraction + churned)."""
    return ratio(_sum(new, expansion, reactivation), _sum(contraction, churned))


# ---------------------------------------------------------------------------
# Customer lifetime value (spec 3.1)
# ---------------------------------------------------------------------------


def customer_lifetime_years(
    churned_lifetimes_years: Sequence[float], yearly_churn_rate_pct: float | None
) -> float | None:
    """Average customer lifetime in years.

    The average lifetime of the customers who churned, else 1 / yearly churn
    rate; ``None`` when there is neither.
    """
    if churned_lifetimes_years:
        return sum(churned_lifetimes_years) / len(churned_lifetimes_years)
    return _divide(PERCENT, yearly_churn_rate_pct)


def clv_purchase(
    revenue: float | None,
    purchases: int | None,
    customers: int | None,
    lifetime_years: float | None,
) -> KpiValue:
    """CLV = average purchase value × purchases per customer a year × lifetime years.

    Revenue, purchases and customers are those of the trailing 12 months.
    """
    purchase_value = _divide(revenue, purchases)
    frequency = _divide(purchases, customers)
    if purchase_value is None or frequency is None or lifetime_years is None:
        return total(None)
    return total(purchase_value * frequency * lifetime_years)


def clv_margin_minus_cac(
    yearly_gross_profit_per_customer: float | None,
    retention_years: float | None,
    cac: float | None,
) -> KpiValue:
    """CLV = yearly gross profit per customer × retention years − CAC.

    No value when any input has none.
    """
    inputs = (yearly_gross_profit_per_customer, retention_years, cac)
    if any(amount is None for amount in inputs):
        return total(None)
    return total(yearly_gross_profit_per_customer * retention_years - cac)


def clv_subscription(
    arpa: float | None,
    gross_margin_pct: float | None,
    monthly_churn_rate_pct: float | None,
) -> KpiValue:
    """CLV = ARPA (MRR per active customer) × gross margin % ÷ monthly churn rate."""
    if arpa is None or gross_margin_pct is None:
        return total(None)
    return total(_divide(arpa * gross_margin_pct, monthly_churn_rate_pct))


def ltv_cac(clv: float | None, cac_value: float | None) -> KpiValue:
    """LTV : CAC, customer lifetime value / customer acquisition cost.

    No value when either has none or the CAC is 0 (nothing was spent).
    """
    if clv is None or cac_value is None:
        return KpiValue(clv, cac_value, None)
    return ratio(clv, cac_value)


CLV_METHODS = {
    "purchase": clv_purchase,
    "margin_minus_cac": clv_margin_minus_cac,
    "subscription": clv_subscription,
}


# ---------------------------------------------------------------------------
# CRM adoption and data health
# ---------------------------------------------------------------------------


def login_frequency(logins: int | None, active_users: int | None) -> KpiValue:
    """Logins per internal user who logged in."""
    return ratio(logins, active_users)


def records_created(records: int | None) -> KpiValue:
    """Leads, contacts, orders and activities created: a count."""
    return total(_sum(records))


def data_quality(flagged: int | None, records: int | None) -> KpiValue:
    """Records without email and phone, or duplicates / all records, in %."""
    return ratio(flagged, records, PERCENT)
