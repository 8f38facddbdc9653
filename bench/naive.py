# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A deliberately naive ORM implementation of win rate, churn and CAC, the
way many App Store modules compute KPIs: loop over leads and customers, and
browse or search once per record. Same definitions as the engine (company
total only), to show what the set-based engine saves. Never use this.
"""

from datetime import timedelta

import pytz


def _local_date(value, tz):
    return pytz.utc.localize(value).astimezone(pytz.timezone(tz)).date()


def _bounds(env, company, period):
    tz = company.partner_id.tz or env.user.tz or "UTC"
    utc_from, utc_to = period.utc_bounds(tz)
    return tz, utc_from, utc_to


def win_rate(env, company, period):
    _tz, utc_from, utc_to = _bounds(env, company, period)
    Lead = env["crm.lead"].with_context(active_test=False)
    main = env.ref("base.main_company")
    company_domain = [
        ("company_id", "in", [company.id, False] if company == main else [company.id])
    ]
    lead_ids = Lead.search(
        company_domain
        + [
            ("type", "=", "opportunity"),
            ("date_closed", ">=", utc_from),
            ("date_closed", "<", utc_to),
        ]
    ).ids
    won = closed = 0
    for lead_id in lead_ids:
        lead = Lead.browse(lead_id)  # one record at a time: no prefetching
        if lead.won_status == "won":
            won += 1
            closed += 1
        elif lead.won_status == "lost":
            closed += 1
    return {
        "numerator": won,
        "denominator": closed,
        "value": 100.0 * won / closed if closed else None,
    }


def _customers(env, company):
    """Every commercial partner that ever bought from the company."""
    Partner = env["res.partner"].with_context(active_test=False)
    return Partner.search([("is_company", "=", True)]).filtered(
        lambda p: p.commercial_partner_id == p
    ) | Partner.search([("parent_id", "=", False), ("is_company", "=", False)])


def _purchase_days(env, company, partner, tz):
    """Days of the purchases of one customer (one search per document kind):
    ``(one_off, purchases)``. One-off purchases keep a customer active for
    the activity window: confirmed orders that no subscription generated or
    started, posted invoices of no order and no subscription. Purchases also
    count orders that started a subscription and subscription starts not
    created by a confirmed order."""
    one_off, purchases = [], []
    for order in env["sale.order"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "=", "sale"),
            ("company_id", "=", company.id),
            ("order_subscription_id", "=", False),
        ]
    ):
        day = _local_date(order.date_order, tz)
        purchases.append(day)
        if not order.subscription_ids:
            one_off.append(day)
    for move in env["account.move"].search(
        [
            ("commercial_partner_id", "=", partner.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("company_id", "=", company.id),
            ("subscription_id", "=", False),
        ]
    ):
        if move.invoice_date and not move.invoice_line_ids.sale_line_ids:
            one_off.append(move.invoice_date)
            purchases.append(move.invoice_date)
    for movement in env["crm.kpi.subscription.movement"].search(
        [
            ("partner_id", "=", partner.id),
            ("company_id", "=", company.id),
            ("movement_type", "=", "start"),
        ]
    ):
        if movement.subscription_id.sale_order_id.state != "sale":
            purchases.append(movement.date)
    return one_off, purchases


def _in_subscription(env, company, partner, day):
    """Whether one of the customer's subscriptions was in progress at ``day``."""
    Movement = env["crm.kpi.subscription.movement"]
    for subscription in env["sale.subscription"].search(
        [
            ("partner_id", "=", partner.id),
            ("company_id", "=", company.id),
        ]
    ):
        last = Movement.search(
            [
                ("subscription_id", "=", subscription.id),
                ("date", "<", day),
                ("movement_type", "in", ("start", "reactivation", "close")),
            ],
            order="date desc, id desc",
            limit=1,
        )
        if last and last.movement_type != "close":
            return True
    return False


def _is_active(env, company, partner, one_off, day):
    window = timedelta(days=company.kpi_activity_window_days)
    if any(day - window <= d < day for d in one_off):
        return True
    return _in_subscription(env, company, partner, day)


def churn(env, company, period):
    tz, _f, _t = _bounds(env, company, period)
    lost = active = 0
    for partner in _customers(env, company):
        one_off, _purchases = _purchase_days(env, company, partner, tz)
        if _is_active(env, company, partner, one_off, period.date_start):
            active += 1
            if not _is_active(env, company, partner, one_off, period.date_end):
                lost += 1
    return {
        "numerator": lost,
        "denominator": active,
        "value": 100.0 * lost / active if active else None,
    }


def cac(env, company, period):
    tz, _f, _t = _bounds(env, company, period)
    last_day = period.date_end - timedelta(days=1)
    costs = 0.0
    for cost in env["crm.kpi.cost"].search(
        [
            ("company_id", "=", company.id),
            ("category", "=", "acquisition"),
            ("date", ">=", period.date_start),
            ("date", "<", period.date_end),
        ]
    ):
        costs += cost.currency_id._convert(
            cost.amount, company.currency_id, company, last_day, round=False
        )
    new = 0
    for partner in _customers(env, company):
        _one_off, purchases = _purchase_days(env, company, partner, tz)
        if purchases and period.date_start <= min(purchases) < period.date_end:
            new += 1
    return {"numerator": costs, "denominator": new, "value": costs / new if new else None}


KPIS = {"win_rate": win_rate, "churn": churn, "cac": cac}
