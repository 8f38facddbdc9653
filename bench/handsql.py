# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The floor: win rate, churn and CAC of one company and period, each with one
hand-written SQL aggregate (company total only, no dimensions, nothing
stored). Same definitions as the engine (README, "How each KPI is
computed"), so the numbers must be equal; used as a correctness cross-check
and as the time the engine is compared with.
"""

from datetime import timedelta


def _bounds(env, company, period):
    tz = company.partner_id.tz or env.user.tz or "UTC"
    utc_from, utc_to = period.utc_bounds(tz)
    main = env.ref("base.main_company", raise_if_not_found=False)
    return tz, utc_from, utc_to, company == main


def win_rate(env, company, period):
    _tz, utc_from, utc_to, owns_unassigned = _bounds(env, company, period)
    env.cr.execute(
        """
        SELECT COUNT(*) FILTER (WHERE won_status = 'won'), COUNT(*)
          FROM crm_lead
         WHERE (company_id = %(company)s OR (%(unassigned)s AND company_id IS NULL))
           AND type = 'opportunity' AND won_status IN ('won', 'lost')
           AND date_closed >= %(utc_from)s AND date_closed < %(utc_to)s
        """,
        {
            "company": company.id,
            "unassigned": owns_unassigned,
            "utc_from": utc_from,
            "utc_to": utc_to,
        },
    )
    won, closed = env.cr.fetchone()
    return {
        "numerator": won,
        "denominator": closed,
        "value": 100.0 * won / closed if closed else None,
    }


# Purchase events of one company, shared by churn and CAC: ``p`` a purchase
# (first purchase), ``o`` a one-off purchase (keeps a customer active for the
# activity window). One-off: confirmed orders that no subscription generated
# or started, posted invoices of no order and no subscription; purchases
# also: orders that started a subscription, subscription starts not created
# by a confirmed order. Plus the subscription intervals (in progress).
_EVENTS = """
    ev AS (
        SELECT p.commercial_partner_id AS c,
               ((so.date_order AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date AS d,
               TRUE AS p,
               NOT EXISTS (SELECT 1 FROM sale_subscription s WHERE s.sale_order_id = so.id) AS o
          FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND so.company_id = %(company)s
           AND so.order_subscription_id IS NULL
        UNION ALL
        SELECT am.commercial_partner_id, am.invoice_date, TRUE, TRUE FROM account_move am
         WHERE am.move_type = 'out_invoice' AND am.state = 'posted'
           AND am.invoice_date IS NOT NULL AND am.company_id = %(company)s
           AND am.subscription_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM account_move_line l
                             JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id
                            WHERE l.move_id = am.id)
        UNION ALL
        SELECT m.partner_id, m.date, TRUE, FALSE
          FROM crm_kpi_subscription_movement m
          JOIN sale_subscription s ON s.id = m.subscription_id
         WHERE m.movement_type = 'start' AND m.company_id = %(company)s
           AND NOT EXISTS (SELECT 1 FROM sale_order so
                            WHERE so.id = s.sale_order_id AND so.state = 'sale')
    ),
    iv AS (
        SELECT c, df, dt FROM (
            SELECT partner_id AS c, movement_type AS t, date AS df,
                   LEAD(date) OVER (PARTITION BY subscription_id ORDER BY date, id) AS dt
              FROM crm_kpi_subscription_movement
             WHERE movement_type IN ('start', 'reactivation', 'close')
               AND company_id = %(company)s
        ) x WHERE t <> 'close'
    )
"""


def churn(env, company, period):
    tz, _f, _t, _o = _bounds(env, company, period)
    window = timedelta(days=company.kpi_activity_window_days)
    ds, de = period.date_start, period.date_end
    env.cr.execute(
        f"""
        WITH {_EVENTS},
        flags AS (
            SELECT c, bool_or(d >= %(ws)s AND d < %(ds)s) AS s,
                      bool_or(d >= %(we)s AND d < %(de)s) AS e
              FROM ev WHERE o AND d >= %(ws)s AND d < %(de)s GROUP BY c
            UNION ALL
            SELECT c, bool_or(df < %(ds)s AND (dt IS NULL OR dt >= %(ds)s)),
                      bool_or(df < %(de)s AND (dt IS NULL OR dt >= %(de)s))
              FROM iv WHERE df < %(de)s GROUP BY c
        )
        SELECT COUNT(*) FILTER (WHERE s AND NOT e), COUNT(*) FILTER (WHERE s)
          FROM (SELECT c, bool_or(s) AS s, bool_or(e) AS e FROM flags GROUP BY c) x
        """,
        {"tz": tz, "company": company.id, "ds": ds, "de": de, "ws": ds - window, "we": de - window},
    )
    lost, active = env.cr.fetchone()
    return {
        "numerator": lost,
        "denominator": active,
        "value": 100.0 * lost / active if active else None,
    }


def cac(env, company, period):
    """Acquisition costs converted at the rate of the period's last day (the
    company's own rates first, then the shared ones) / new customers."""
    tz, _f, _t, _o = _bounds(env, company, period)
    last_day = period.date_end - timedelta(days=1)
    env.cr.execute(
        f"""
        WITH {_EVENTS},
        rate AS (
            SELECT cur.id AS currency_id, COALESCE((
                SELECT r.rate FROM res_currency_rate r
                 WHERE r.currency_id = cur.id AND r.name <= %(last_day)s
                   AND (r.company_id = %(company)s OR r.company_id IS NULL)
                 ORDER BY r.company_id IS NULL, r.name DESC LIMIT 1), 1.0) AS rate
              FROM res_currency cur
        )
        SELECT
            (SELECT SUM(cost.amount * own.rate / r.rate)
               FROM crm_kpi_cost cost
               JOIN rate r ON r.currency_id = cost.currency_id
               JOIN rate own ON own.currency_id = %(company_currency)s
              WHERE cost.company_id = %(company)s AND cost.category = 'acquisition'
                AND cost.date >= %(ds)s AND cost.date < %(de)s),
            (SELECT COUNT(*) FROM (SELECT c, MIN(d) AS f FROM ev WHERE p GROUP BY c) first
              WHERE f >= %(ds)s AND f < %(de)s)
        """,
        {
            "tz": tz,
            "company": company.id,
            "ds": period.date_start,
            "de": period.date_end,
            "last_day": last_day,
            "company_currency": company.currency_id.id,
        },
    )
    costs, new = env.cr.fetchone()
    costs = float(costs or 0.0)
    return {"numerator": costs, "denominator": new, "value": costs / new if new else None}


KPIS = {"win_rate": win_rate, "churn": churn, "cac": cac}
