# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The floor: every KPI the engine computes for a month, company totals only,
with one hand-written SQL query per KPI family and company (nothing stored,
no ORM in the queries — only the company's settings are read from its
record —, no temporary table; run inside :func:`jit_off`). It is the least
SQL a careful DBA would write over Odoo's tables and the add-on's ledgers (``crm_kpi_stage_stay``,
``crm_kpi_subscription_movement``) for the figures of README "How each KPI
is computed"; the arithmetic from the aggregates to numerator, denominator
and value is written out here too (not imported from ``engine/metrics.py``),
so that the cross-check also checks the formulas.

``FAMILIES`` maps a family (``models/crm_kpi_engine_<family>.py``) to its
function ``(env, company, period) -> {code: {"numerator", "denominator",
"value"}}``; ``FAMILY_CODES`` lists the codes each one covers. Left out:
``resolution_time`` (needs helpdesk, which the benchmark database lacks).

``KNOWN_MISMATCHES``: KPIs where the floor follows the KPI's documented
meaning and the engine is believed to differ; bench/run.py reports them
apart from the other mismatches (they do not fail the run).
"""

import contextlib
from datetime import timedelta

from dateutil.relativedelta import relativedelta

PERCENT = 100.0

# KPIs whose engine value is believed wrong (see the notes); {code: why}.
# The floor follows the documented meaning for them; bench/run.py reports a
# difference as a known mismatch (it does not fail the run), and says so
# when the data of the run does not show it. Empty: the two found when the
# floor was written (quota of archived teams, records_created of leads
# without a company) were fixed in the engine.
KNOWN_MISMATCHES = {}

SKIPPED = {"resolution_time": "needs helpdesk (helpdesk_mgmt), absent from the benchmark database"}


# ----------------------------------------------------------------------
# Small helpers: session, parameters, formulas
# ----------------------------------------------------------------------


@contextlib.contextmanager
def jit_off(env):
    """Run the block with PostgreSQL's JIT compilation off, as the engine
    runs its KPIs (see crm.kpi.engine._open_run): short reporting queries
    planned on rough estimates pay more for JIT than they gain (at M the
    floor takes 10 times longer with it: 26 s instead of 2.2 s), and the
    floor and the engine must run under the same settings. The setting in
    force before is restored. bench/run.py times the floor inside it."""
    env.cr.execute("SELECT current_setting('jit')")
    jit = env.cr.fetchone()[0]
    env.cr.execute("SET LOCAL jit = off")
    try:
        yield
    finally:
        env.cr.execute("SELECT set_config('jit', %s, true)", [jit])


def _params(env, company, period):
    """Query parameters of one company and month."""
    tz = company.partner_id.tz or env.user.tz or "UTC"
    utc_from, utc_to = period.utc_bounds(tz)
    main = env.ref("base.main_company", raise_if_not_found=False)
    return {
        "company": company.id,
        "root": company.root_id.id,
        "company_currency": company.currency_id.id,
        "unassigned": company == main,
        "tz": tz,
        "utc_from": utc_from,
        "utc_to": utc_to,
        "ds": period.date_start,
        "de": period.date_end,
        "last_day": period.date_end - timedelta(days=1),
    }


def _one(env, query, params):
    env.cr.execute(query, params)
    columns = [desc[0] for desc in env.cr.description]
    return dict(zip(columns, env.cr.fetchone(), strict=False))


def _f(x):
    return float(x) if x is not None else 0.0


def _ratio(num, den, factor=1.0):
    num, den = _f(num), _f(den)
    return {"numerator": num, "denominator": den, "value": num / den * factor if den else None}


def _total(amount):
    return {"numerator": amount, "denominator": 1.0, "value": amount}


# Company clause of records that may have no company (leads, teams,
# contacts): those count for the main company.
_OWN = "(%(col)s = %%(company)s OR (%%(unassigned)s AND %(col)s IS NULL))"


def _own(column):
    return _OWN % {"col": column}


# Conversion factor of every currency to the company currency at the rate
# of the month's last day, as Odoo picks it: the company's (root's) rate
# before the shared one, the latest on or before the day, else the oldest.
_FX = """
    rates AS (
        SELECT cur.id AS currency_id, COALESCE(
            (SELECT r.rate FROM res_currency_rate r
              WHERE r.currency_id = cur.id AND r.name <= %(last_day)s
                AND (r.company_id = %(root)s OR r.company_id IS NULL)
              ORDER BY r.company_id NULLS LAST, r.name DESC LIMIT 1),
            (SELECT r.rate FROM res_currency_rate r
              WHERE r.currency_id = cur.id
                AND (r.company_id = %(root)s OR r.company_id IS NULL)
              ORDER BY r.company_id NULLS LAST, r.name LIMIT 1),
            1.0) AS rate
          FROM res_currency cur
    ),
    fx AS (
        SELECT r.currency_id, own.rate / r.rate AS factor
          FROM rates r JOIN rates own ON own.currency_id = %(company_currency)s
    )
"""

# Purchase events of the company (see the engine's _purchase_events_sql):
# c customer (commercial partner), d local day, cur currency, amt untaxed
# amount, p a purchase, o a one-off purchase, k kind.
# - confirmed orders no subscription generated (one-off unless they started one);
# - posted invoices of no order and no subscription; credit notes of no
#   subscription and of no subscription-generated order (negative amount);
# - subscription starts not created by a confirmed order (their recurring
#   price), reactivations (no amount, no purchase).
_EVENTS = """
    ev AS (
        SELECT p.commercial_partner_id AS c,
               ((so.date_order AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date AS d,
               so.currency_id AS cur, so.amount_untaxed AS amt, TRUE AS p,
               NOT EXISTS (SELECT 1 FROM sale_subscription s WHERE s.sale_order_id = so.id) AS o,
               'order' AS k
          FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND so.company_id = %(company)s
           AND so.order_subscription_id IS NULL
        UNION ALL
        SELECT am.commercial_partner_id, am.invoice_date, am.currency_id,
               CASE WHEN am.move_type = 'out_refund' THEN -am.amount_untaxed
                    ELSE am.amount_untaxed END,
               am.move_type = 'out_invoice', am.move_type = 'out_invoice',
               CASE WHEN am.move_type = 'out_refund' THEN 'refund' ELSE 'invoice' END
          FROM account_move am
         WHERE am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'
           AND am.invoice_date IS NOT NULL AND am.company_id = %(company)s
           AND am.subscription_id IS NULL
           AND NOT EXISTS (
               SELECT 1 FROM account_move_line l
                 JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id
                 JOIN sale_order_line sol ON sol.id = r.order_line_id
                 JOIN sale_order so ON so.id = sol.order_id
                WHERE l.move_id = am.id
                  AND (am.move_type = 'out_invoice' OR so.order_subscription_id IS NOT NULL))
        UNION ALL
        SELECT m.partner_id, m.date, m.currency_id,
               CASE WHEN m.movement_type = 'start' THEN s.recurring_total ELSE 0.0 END,
               m.movement_type = 'start', FALSE, m.movement_type
          FROM crm_kpi_subscription_movement m
          JOIN sale_subscription s ON s.id = m.subscription_id
          LEFT JOIN sale_order so ON so.id = s.sale_order_id
         WHERE m.movement_type IN ('start', 'reactivation') AND m.company_id = %(company)s
           AND (m.movement_type = 'reactivation' OR so.state IS DISTINCT FROM 'sale')
    ),
    iv AS (
        SELECT c, df, dt FROM (
            SELECT partner_id AS c, movement_type AS t, date AS df,
                   LEAD(date) OVER (PARTITION BY subscription_id ORDER BY date, id) AS dt
              FROM crm_kpi_subscription_movement
             WHERE movement_type IN ('start', 'reactivation', 'close')
               AND company_id = %(company)s
        ) x WHERE t <> 'close'
    ),
    firsts AS (SELECT c, MIN(d) AS f FROM ev WHERE p GROUP BY c)
"""


# The purchase events as temporary tables, one company at a time (see
# shared_events); empty: each family query builds them in its CTEs.
_SHARED = {}


def _events():
    """The CTEs ev, iv and firsts: inlined (:data:`_EVENTS`), or read from
    the temporary tables of :func:`shared_events`."""
    if not _SHARED:
        return _EVENTS
    # NOT MATERIALIZED: the planner reads the tables themselves (their
    # statistics and index) wherever the CTE is used
    return """
        ev AS NOT MATERIALIZED (SELECT * FROM floor_ev),
        iv AS NOT MATERIALIZED (SELECT * FROM floor_iv),
        firsts AS NOT MATERIALIZED (SELECT * FROM floor_first)
    """


@contextlib.contextmanager
def shared_events(env, company, period):
    """The stricter floor of the whole catalog: the purchase events, the
    subscription intervals and the first purchases of ``company`` built once
    in temporary tables (indexed, analyzed), read by the customer, marketing
    and lifetime queries instead of rebuilding them in each, as a DBA
    computing every KPI at once would do."""
    p = _params(env, company, period)
    for table, query in (
        ("floor_ev", f"WITH {_EVENTS} SELECT * FROM ev"),
        ("floor_iv", f"WITH {_EVENTS} SELECT * FROM iv"),
        ("floor_first", "SELECT c, MIN(d) AS f FROM floor_ev WHERE p GROUP BY c"),
    ):
        env.cr.execute(f"DROP TABLE IF EXISTS {table}")
        env.cr.execute(f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {query}", p)
        env.cr.execute(f"CREATE INDEX ON {table} (c)")
        env.cr.execute(f"ANALYZE {table}")
    _SHARED["company"] = company.id
    try:
        yield
    finally:
        _SHARED.clear()
        for table in ("floor_ev", "floor_iv", "floor_first"):
            env.cr.execute(f"DROP TABLE IF EXISTS {table}")


def _active_at(day, window_start):
    """SQL of the customers active at the start of ``day`` (parameter names)."""
    return f"""
        SELECT c FROM ev WHERE o AND d >= %({window_start})s AND d < %({day})s
        UNION
        SELECT c FROM iv WHERE df < %({day})s AND (dt IS NULL OR dt >= %({day})s)
    """


def _marketing_condition(company, alias):
    """SQL condition: the lead or cost ``alias`` is marketing-sourced per the
    company's settings (a campaign, one of the marketing media or sources)."""
    conditions = []
    if company.kpi_marketing_campaigns:
        conditions.append(f"{alias}.campaign_id IS NOT NULL")
    if company.kpi_marketing_medium_ids:
        ids = ",".join(str(i) for i in company.kpi_marketing_medium_ids.ids)
        conditions.append(f"{alias}.medium_id IN ({ids})")
    if company.kpi_marketing_source_ids:
        ids = ",".join(str(i) for i in company.kpi_marketing_source_ids.ids)
        conditions.append(f"{alias}.source_id IN ({ids})")
    return "(" + " OR ".join(conditions) + ")" if conditions else "FALSE"


# ----------------------------------------------------------------------
# Families
# ----------------------------------------------------------------------


def pipeline(env, company, period):
    """Closed, created and open opportunities of the month: win rate, sales
    cycle, deal size, lead sources, abandonment, conversion, open pipeline
    (at the month's end and start), coverage and velocity."""
    p = _params(env, company, period)
    p["stale_since"] = _now(env) - timedelta(days=company._kpi_setting("kpi_stale_days"))
    p["months"] = 1
    row = _one(
        env,
        f"""
        WITH amount_field AS (
            SELECT id FROM ir_model_fields WHERE model = 'crm.lead' AND name = 'expected_revenue'
        ),
        open_at AS (
            -- opportunities open at the month's end (e) or start (s), at
            -- their expected revenue of then (the old value of the first
            -- change tracked after the moment, else today's)
            SELECT m.at, l.team_id, l.probability,
                   COALESCE((SELECT v.old_value_float
                               FROM mail_message msg
                               JOIN mail_tracking_value v ON v.mail_message_id = msg.id
                              WHERE msg.model = 'crm.lead' AND msg.res_id = l.id
                                AND v.field_id = (SELECT id FROM amount_field)
                                AND msg.date > m.moment
                              ORDER BY msg.date, v.id LIMIT 1), l.expected_revenue) AS amount
              FROM (VALUES ('s', %(utc_from)s::timestamp), ('e', %(utc_to)s::timestamp))
                   AS m(at, moment)
              JOIN crm_lead l ON l.create_date < m.moment
             WHERE {_own("l.company_id")} AND l.type = 'opportunity'
               AND (l.active OR l.won_status <> 'pending')
               AND (l.won_status = 'pending' OR l.date_closed >= m.moment)
        )
        SELECT
            closed.*, created.*,
            (SELECT COUNT(*) FROM open_at WHERE at = 's') AS open_start,
            (SELECT SUM(amount) FROM open_at WHERE at = 'e') AS open_amount,
            (SELECT SUM(amount * probability / 100.0) FROM open_at WHERE at = 'e') AS open_weighted,
            (SELECT SUM(o.amount) FROM open_at o
               JOIN crm_team t ON t.id = o.team_id
              WHERE o.at = 's' AND t.active AND t.invoiced_target > 0
                AND {_own("t.company_id")}) AS covered_amount,
            (SELECT SUM(t.invoiced_target) * %(months)s FROM crm_team t
              WHERE t.active AND t.invoiced_target > 0 AND {_own("t.company_id")}) AS quota
          FROM (
            SELECT COUNT(*) FILTER (WHERE won_status = 'won') AS won,
                   COUNT(*) FILTER (WHERE won_status = 'lost') AS lost,
                   SUM(EXTRACT(EPOCH FROM date_closed - create_date) / 86400.0)
                       FILTER (WHERE won_status = 'won') AS days,
                   SUM(expected_revenue) FILTER (WHERE won_status = 'won') AS revenue
              FROM crm_lead l
             WHERE {_own("l.company_id")} AND type = 'opportunity'
               AND won_status IN ('won', 'lost')
               AND date_closed >= %(utc_from)s AND date_closed < %(utc_to)s
          ) closed, (
            SELECT COUNT(*) AS created,
                   COUNT(*) FILTER (WHERE l.won_status = 'lost' OR NOT l.active
                       OR (l.won_status = 'pending'
                           AND COALESCE(l.date_last_stage_update, l.create_date) < %(stale_since)s
                           AND NOT EXISTS (SELECT 1 FROM mail_activity a
                                            WHERE a.res_model = 'crm.lead' AND a.res_id = l.id))
                   ) AS abandoned,
                   COUNT(*) FILTER (WHERE l.type = 'lead' OR l.date_conversion IS NOT NULL)
                       AS as_lead,
                   COUNT(*) FILTER (WHERE l.date_conversion IS NOT NULL) AS converted
              FROM crm_lead l
             WHERE {_own("l.company_id")}
               AND l.create_date >= %(utc_from)s AND l.create_date < %(utc_to)s
          ) created
    """,
        p,
    )
    won, lost, days, revenue = row["won"], row["lost"], _f(row["days"]), _f(row["revenue"])
    closed = won + lost
    cycle = days / won if won else None
    velocity_num = row["open_start"] * revenue / closed if closed else 0.0
    return {
        "win_rate": _ratio(won, closed, PERCENT),
        "sales_cycle": _ratio(days, won),
        "avg_deal_size": _ratio(revenue, won),
        "lead_sources": _total(float(row["created"])),
        "lead_abandonment": _ratio(row["abandoned"], row["created"], PERCENT),
        "lead_conversion": _ratio(row["converted"], row["as_lead"], PERCENT),
        "pipeline_value": _total(_f(row["open_amount"])),
        "weighted_pipeline": _total(_f(row["open_weighted"])),
        "pipeline_coverage": _ratio(row["covered_amount"], row["quota"]),
        "sales_velocity": _ratio(velocity_num, cycle),
    }


def _now(env):
    env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
    return env.cr.fetchone()[0]


def stages(env, company, period):
    """Stays in a stage that ended in the month, and the open stays of the
    leads lost in it: time in stage and drop-off."""
    p = _params(env, company, period)
    row = _one(
        env,
        f"""
        SELECT
            (SELECT COUNT(*) FROM crm_kpi_stage_stay s
              WHERE {_own("s.company_id")}
                AND s.date_out >= %(utc_from)s AND s.date_out < %(utc_to)s) AS ended,
            (SELECT SUM(s.duration_days) FROM crm_kpi_stage_stay s
              WHERE {_own("s.company_id")}
                AND s.date_out >= %(utc_from)s AND s.date_out < %(utc_to)s) AS days,
            (SELECT COUNT(*) FROM crm_kpi_stage_stay s JOIN crm_lead l ON l.id = s.lead_id
              WHERE {_own("s.company_id")} AND s.date_out IS NULL AND l.won_status = 'lost'
                AND l.date_closed >= %(utc_from)s AND l.date_closed < %(utc_to)s) AS dropped
    """,
        p,
    )
    return {
        "stage_duration": _ratio(row["days"], row["ended"]),
        "stage_drop_off": _ratio(row["dropped"], row["ended"] + row["dropped"], PERCENT),
    }


def _customer_counts(env, company, p):
    """Customers active at the start and at the end of [ds, de), new ones
    (first purchase in it), retained, lost and upsold."""
    window = timedelta(days=company._kpi_setting("kpi_activity_window_days"))
    p = dict(p, ws=p["ds"] - window, we=p["de"] - window)
    return _one(
        env,
        f"""
        WITH {_events()},
        act_s AS ({_active_at("ds", "ws")}),
        act_e AS ({_active_at("de", "we")}),
        upsold AS (
            SELECT c FROM ev WHERE p AND d >= %(ds)s AND d < %(de)s
            UNION
            SELECT partner_id FROM crm_kpi_subscription_movement
             WHERE movement_type = 'upgrade' AND company_id = %(company)s
               AND date >= %(ds)s AND date < %(de)s
        )
        SELECT
            (SELECT COUNT(*) FROM act_s) AS active_start,
            (SELECT COUNT(*) FROM act_e) AS active_end,
            (SELECT COUNT(*) FROM act_s JOIN act_e USING (c)) AS retained,
            (SELECT COUNT(*) FROM firsts WHERE f >= %(ds)s AND f < %(de)s) AS new,
            (SELECT COUNT(*) FROM act_s JOIN firsts USING (c) JOIN upsold USING (c)
              WHERE firsts.f < %(ds)s) AS upsold
    """,
        p,
    )


def _costs(env, p, category, condition="TRUE"):
    return _f(
        _one(
            env,
            f"""
        WITH {_FX}
        SELECT SUM(cost.amount * fx.factor) AS costs
          FROM crm_kpi_cost cost JOIN fx ON fx.currency_id = cost.currency_id
         WHERE cost.company_id = %(company)s AND cost.category = %(category)s AND {condition}
           AND cost.date >= %(ds)s AND cost.date < %(de)s
    """,
            dict(p, category=category),
        )["costs"]
    )


def customers(env, company, period):
    """The customer base of the month: churn, retention, upsell, active
    customers, retention cost."""
    p = _params(env, company, period)
    counts = _customer_counts(env, company, p)
    start, end = counts["active_start"], counts["active_end"]
    return {
        "churn": _ratio(start - counts["retained"], start, PERCENT),
        "retention": _ratio(end - counts["new"], start, PERCENT),
        "upsell": _ratio(counts["upsold"], start, PERCENT),
        "active_customers": _total(float(end)),
        "retention_cost": _ratio(_costs(env, p, "retention"), counts["retained"]),
    }


def _first_won_leads(company):
    return f"""
        src AS (
            SELECT DISTINCT ON (p.commercial_partner_id) p.commercial_partner_id AS c,
                   {_marketing_condition(company, "l")} AS mkt
              FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
             WHERE l.won_status = 'won' AND {_own("l.company_id")}
             ORDER BY p.commercial_partner_id, l.date_closed, l.id
        )
    """


def marketing(env, company, period):
    """New customers of the month, their revenue and where they came from:
    CAC, net new revenue, marketing shares and ROI; traffic to lead."""
    p = _params(env, company, period)
    row = _one(
        env,
        f"""
        WITH {_events()}, {_FX}, {_first_won_leads(company)},
        new AS (SELECT f.c, COALESCE(src.mkt, FALSE) AS mkt FROM firsts f
                  LEFT JOIN src ON src.c = f.c WHERE f.f >= %(ds)s AND f.f < %(de)s)
        SELECT
            (SELECT COUNT(*) FROM new) AS new,
            (SELECT COUNT(*) FROM new WHERE mkt) AS mkt_new,
            (SELECT SUM(ev.amt * fx.factor) FROM ev JOIN new USING (c)
               JOIN fx ON fx.currency_id = ev.cur WHERE ev.d >= %(ds)s AND ev.d < %(de)s)
                AS revenue,
            (SELECT SUM(ev.amt * fx.factor) FROM ev JOIN new USING (c)
               JOIN fx ON fx.currency_id = ev.cur
              WHERE new.mkt AND ev.d >= %(ds)s AND ev.d < %(de)s) AS mkt_revenue,
            (SELECT COUNT(*) FROM crm_lead l WHERE {_own("l.company_id")}
                AND l.create_date >= %(utc_from)s AND l.create_date < %(utc_to)s) AS leads,
            (SELECT SUM(visitors) FROM crm_kpi_traffic WHERE company_id = %(company)s
                AND date >= %(ds)s AND date < %(de)s) AS visitors
    """,
        p,
    )
    costs = _costs(env, p, "acquisition")
    mkt_costs = _costs(env, p, "acquisition", _marketing_condition(company, "cost"))
    revenue, mkt_revenue = _f(row["revenue"]), _f(row["mkt_revenue"])
    return {
        "cac": _ratio(costs, row["new"]),
        "marketing_share": _ratio(row["mkt_new"], row["new"], PERCENT),
        "net_new_revenue": _total(revenue),
        "marketing_revenue_share": _ratio(mkt_revenue, revenue, PERCENT),
        "marketing_roi": _ratio(mkt_revenue - mkt_costs, mkt_costs, PERCENT),
        "traffic_to_lead": _ratio(row["leads"], row["visitors"], PERCENT),
    }


# The subscriptions as their last movement before a day left them.
_MRR_AT = """
    SELECT DISTINCT ON (subscription_id) subscription_id, partner_id, currency_id,
           mrr_after AS mrr
      FROM crm_kpi_subscription_movement
     WHERE company_id = %(company)s AND date < %({day})s
     ORDER BY subscription_id, date DESC, id DESC
"""


def subscriptions(env, company, period):
    """The MRR bridge of the month (movements of the ledger), the MRR at its
    end and the renewals due in it."""
    p = _params(env, company, period)
    row = _one(
        env,
        f"""
        WITH {_FX},
        s0 AS ({_MRR_AT.format(day="ds")}),
        s1 AS ({_MRR_AT.format(day="de")}),
        mv AS (
            SELECT m.movement_type AS t, m.mrr_delta * fx.factor AS delta,
                   COALESCE(s0.mrr, 0) > 0 AS existing
              FROM crm_kpi_subscription_movement m
              JOIN fx ON fx.currency_id = m.currency_id
              LEFT JOIN s0 ON s0.subscription_id = m.subscription_id
             WHERE m.company_id = %(company)s AND m.date >= %(ds)s AND m.date < %(de)s
        ),
        renewed AS (
            SELECT DISTINCT subscription_id FROM crm_kpi_subscription_movement
             WHERE company_id = %(company)s AND movement_type = 'renewal'
               AND date >= %(ds)s AND date < %(de)s
        )
        SELECT
            (SELECT SUM(s0.mrr * fx.factor) FROM s0 JOIN fx USING (currency_id)) AS mrr_start,
            (SELECT SUM(s1.mrr * fx.factor) FROM s1 JOIN fx USING (currency_id)
              WHERE s1.mrr > 0) AS mrr_end,
            (SELECT COUNT(DISTINCT partner_id) FROM s1 WHERE mrr > 0) AS paying,
            (SELECT SUM(delta) FROM mv WHERE t = 'start') AS new,
            (SELECT SUM(delta) FROM mv WHERE t = 'reactivation') AS reactivation,
            (SELECT SUM(delta) FROM mv WHERE t = 'upgrade') AS expansion,
            (SELECT -SUM(delta) FROM mv WHERE t = 'downgrade') AS contraction,
            (SELECT -SUM(delta) FROM mv WHERE t = 'close') AS churned,
            (SELECT SUM(delta) FROM mv WHERE t = 'upgrade' AND existing) AS expansion_e,
            (SELECT -SUM(delta) FROM mv WHERE t = 'downgrade' AND existing) AS contraction_e,
            (SELECT -SUM(delta) FROM mv WHERE t = 'close' AND existing) AS churned_e,
            (SELECT COUNT(*) FROM renewed) AS renewed,
            (SELECT COUNT(*) FROM sale_subscription s
               JOIN sale_subscription_stage st ON st.id = s.stage_id
              WHERE {_own("s.company_id")} AND st.type IN ('in_progress', 'post')
                AND s.date >= %(ds)s AND s.date < %(de)s
                AND NOT EXISTS (SELECT 1 FROM renewed r WHERE r.subscription_id = s.id))
                AS not_renewed
    """,
        p,
    )
    v = {k: _f(x) for k, x in row.items()}
    start, end = v["mrr_start"], v["mrr_end"]
    lost_e = v["contraction_e"] + v["churned_e"]
    gained = v["new"] + v["expansion"] + v["reactivation"]
    lost = v["contraction"] + v["churned"]
    return {
        "mrr": _total(end),
        "arr": _total(12 * end),
        "arpa": _ratio(end, v["paying"]),
        "mrr_churn": _ratio(lost_e, start, PERCENT),
        "nrr": _ratio(start + v["expansion_e"] - lost_e, start, PERCENT),
        "grr": _ratio(start - lost_e, start, PERCENT),
        "quick_ratio": _ratio(gained, lost),
        "net_new_mrr": _total(gained - lost),
        "renewal": _ratio(v["renewed"], v["renewed"] + v["not_renewed"], PERCENT),
    }


def quota(env, company, period):
    """Revenue won by the sales teams with a target against that target: the
    same teams on both sides (active, of the company, with a target), as
    pipeline coverage counts them."""
    p = _params(env, company, period)
    row = _one(
        env,
        f"""
        SELECT
            (SELECT SUM(l.expected_revenue) FROM crm_lead l
               JOIN crm_team t ON t.id = l.team_id
              WHERE t.active AND t.invoiced_target > 0 AND {_own("t.company_id")}
                AND {_own("l.company_id")} AND l.type = 'opportunity' AND l.won_status = 'won'
                AND l.date_closed >= %(utc_from)s AND l.date_closed < %(utc_to)s) AS won,
            (SELECT SUM(t.invoiced_target) FROM crm_team t
              WHERE t.active AND t.invoiced_target > 0 AND {_own("t.company_id")}) AS target
    """,
        p,
    )
    return {"quota": _ratio(row["won"], row["target"], PERCENT)}


def lifetime(env, company, period):
    """CAC payback of the month; CLV over the trailing year by the company's
    method; LTV : CAC. One query for the three (and the three methods)."""
    p = _params(env, company, period)
    margin_pct = company.kpi_gross_margin
    window = timedelta(days=company._kpi_setting("kpi_activity_window_days"))
    p["yf"] = p["de"] - relativedelta(years=1)
    p.update(ws=p["ds"] - window, we=p["de"] - window, wy=p["yf"] - window)
    row = _one(
        env,
        f"""
        WITH {_events()}, {_FX},
        new AS (SELECT c FROM firsts WHERE f >= %(ds)s AND f < %(de)s),
        paying AS (SELECT * FROM ({_MRR_AT.format(day="de")}) s1 WHERE mrr > 0),
        act_m AS ({_active_at("ds", "ws")}),
        act_e AS ({_active_at("de", "we")}),
        act_y AS ({_active_at("yf", "wy")}),
        span AS (
            -- first and last activity (no credit note) of every customer
            SELECT c, MIN(d) AS first_day, MAX(d) AS last_day FROM (
                SELECT c, d FROM ev WHERE k <> 'refund' AND d < %(de)s
                UNION ALL
                SELECT c, dt FROM iv WHERE dt IS NOT NULL AND dt < %(de)s
            ) a GROUP BY c
        ),
        costs AS (
            SELECT cost.date, cost.amount * fx.factor AS amount
              FROM crm_kpi_cost cost JOIN fx ON fx.currency_id = cost.currency_id
             WHERE cost.company_id = %(company)s AND cost.category = 'acquisition'
               AND cost.date >= %(yf)s AND cost.date < %(de)s
        )
        SELECT
            -- CAC payback and CAC of the month: the new customers' MRR at
            -- the month's end, else their revenue of the month
            COALESCE((SELECT SUM(s.mrr * fx.factor) FROM paying s
                        JOIN new ON new.c = s.partner_id JOIN fx USING (currency_id)), 0)
          + COALESCE((SELECT SUM(ev.amt * fx.factor) FROM ev JOIN new USING (c)
                        JOIN fx ON fx.currency_id = ev.cur
                       WHERE ev.d >= %(ds)s AND ev.d < %(de)s
                         AND NOT EXISTS (SELECT 1 FROM paying s WHERE s.partner_id = ev.c)), 0)
                AS monthly,
            (SELECT SUM(amount) FROM costs WHERE date >= %(ds)s) AS costs,
            (SELECT COUNT(*) FROM new) AS new,
            -- the trailing year: revenue, purchases, customers, CAC
            (SELECT SUM(ev.amt * fx.factor) FROM ev JOIN fx ON fx.currency_id = ev.cur
              WHERE ev.d >= %(yf)s AND ev.d < %(de)s) AS revenue,
            (SELECT COUNT(*) FROM ev WHERE p AND d >= %(yf)s AND d < %(de)s) AS purchases,
            (SELECT COUNT(DISTINCT c) FROM ev WHERE p AND d >= %(yf)s AND d < %(de)s)
                AS customers,
            (SELECT SUM(amount) FROM costs) AS year_costs,
            (SELECT COUNT(*) FROM firsts WHERE f >= %(yf)s AND f < %(de)s) AS year_new,
            -- lifetime: the customers who churned, else the yearly churn
            (SELECT COUNT(*) FROM span
              WHERE NOT EXISTS (SELECT 1 FROM act_e WHERE act_e.c = span.c)) AS churned,
            (SELECT AVG((last_day - first_day) / 365.25) FROM span
              WHERE NOT EXISTS (SELECT 1 FROM act_e WHERE act_e.c = span.c)) AS years,
            (SELECT COUNT(*) FROM act_y) AS year_start,
            (SELECT COUNT(*) FROM act_y JOIN act_e USING (c)) AS year_retained,
            -- subscription method: ARPA at the month's end, churn of the month
            (SELECT SUM(s.mrr * fx.factor) FROM paying s JOIN fx USING (currency_id)) AS mrr,
            (SELECT COUNT(DISTINCT partner_id) FROM paying) AS paying,
            (SELECT COUNT(*) FROM act_m) AS month_start,
            (SELECT COUNT(*) FROM act_m JOIN act_e USING (c)) AS month_retained
    """,
        p,
    )
    costs = _f(row["costs"])
    result = {"cac_payback": _ratio(costs, _f(row["monthly"]) * margin_pct / 100.0)}
    cac = costs / row["new"] if row["new"] else None

    def churn_pct(start, retained):
        return PERCENT * (start - retained) / start if start else None

    method = company._kpi_setting("kpi_clv_method")
    if method == "subscription":
        arpa = _f(row["mrr"]) / row["paying"] if row["paying"] else None
        month_churn = churn_pct(row["month_start"], row["month_retained"])
        clv = arpa * margin_pct / month_churn if arpa is not None and month_churn else None
    else:
        if row["churned"]:
            years = float(row["years"])
        else:
            year_churn = churn_pct(row["year_start"], row["year_retained"])
            years = PERCENT / year_churn if year_churn else None
        revenue, customers_ = _f(row["revenue"]), row["customers"]
        if method == "purchase":
            clv = (
                revenue / customers_ * years
                if row["purchases"] and customers_ and years is not None
                else None
            )
        else:  # margin_minus_cac: yearly profit per customer x years - CAC of the year
            year_cac = _f(row["year_costs"]) / row["year_new"] if row["year_new"] else None
            profit = revenue * margin_pct / 100.0 / customers_ if customers_ else None
            clv = profit * years - year_cac if None not in (profit, years, year_cac) else None
    result["clv"] = _total(clv)
    if clv is None or cac is None:
        result["ltv_cac"] = {"numerator": clv, "denominator": cac, "value": None}
    else:
        result["ltv_cac"] = _ratio(clv, cac)
    return result


def satisfaction(env, company, period):
    """Feedback answers of the month: NPS, CES, easy CES share."""
    p = _params(env, company, period)
    row = _one(
        env,
        """
        SELECT COUNT(*) FILTER (WHERE kind = 'nps') AS nps,
               COUNT(*) FILTER (WHERE kind = 'nps' AND category = 'promoter') AS promoters,
               COUNT(*) FILTER (WHERE kind = 'nps' AND category = 'detractor') AS detractors,
               COUNT(*) FILTER (WHERE kind = 'ces') AS ces,
               SUM(score) FILTER (WHERE kind = 'ces') AS ces_sum,
               COUNT(*) FILTER (WHERE kind = 'ces' AND score >= 5) AS easy
          FROM crm_kpi_feedback
         WHERE company_id = %(company)s AND kind IN ('nps', 'ces')
           AND date >= %(ds)s AND date < %(de)s
    """,
        p,
    )
    return {
        "nps": _ratio(row["promoters"] - row["detractors"], row["nps"], PERCENT),
        "ces": _ratio(row["ces_sum"], row["ces"]),
        "ces_easy_share": _ratio(row["easy"], row["ces"], PERCENT),
    }


def adoption(env, company, period):
    """Logins and records created by the company's internal users in the
    month; data health of its leads and CRM contacts at the month's end."""
    p = _params(env, company, period)
    row = _one(
        env,
        f"""
        WITH recs AS (
            SELECT 'lead' AS kind, l.email_normalized AS email,
                   (COALESCE(l.email_from, '') = '' AND COALESCE(l.phone, '') = '') AS bare
              FROM crm_lead l
             WHERE l.active AND {_own("l.company_id")} AND l.create_date < %(utc_to)s
            UNION ALL
            SELECT 'contact', p.email_normalized,
                   (COALESCE(p.email, '') = '' AND COALESCE(p.phone, '') = '')
              FROM res_partner p
             WHERE p.active AND p.type = 'contact' AND {_own("p.company_id")}
               AND p.create_date < %(utc_to)s
               AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
        ),
        health AS (
            SELECT COUNT(*) AS records,
                   CASE WHEN email IS NOT NULL AND COUNT(*) > 1 THEN COUNT(*)
                        ELSE COUNT(*) FILTER (WHERE bare) END AS flagged
              FROM recs GROUP BY kind, email
        )
        SELECT
            (SELECT COUNT(*) FROM res_users_log g JOIN res_users u ON u.id = g.create_uid
              WHERE NOT u.share AND u.company_id = %(company)s
                AND g.create_date >= %(utc_from)s AND g.create_date < %(utc_to)s) AS logins,
            (SELECT COUNT(DISTINCT g.create_uid) FROM res_users_log g
               JOIN res_users u ON u.id = g.create_uid
              WHERE NOT u.share AND u.company_id = %(company)s
                AND g.create_date >= %(utc_from)s AND g.create_date < %(utc_to)s) AS users,
            (SELECT COUNT(*) FROM (
                SELECT l.create_uid AS uid FROM crm_lead l JOIN res_users u ON u.id = l.create_uid
                 WHERE COALESCE(l.company_id, u.company_id) = %(company)s
                   AND l.create_date >= %(utc_from)s AND l.create_date < %(utc_to)s
                UNION ALL
                SELECT r.create_uid FROM res_partner r JOIN res_users u ON u.id = r.create_uid
                 WHERE COALESCE(r.company_id, u.company_id) = %(company)s
                   AND r.create_date >= %(utc_from)s AND r.create_date < %(utc_to)s
                UNION ALL
                SELECT create_uid FROM sale_order
                 WHERE company_id = %(company)s
                   AND create_date >= %(utc_from)s AND create_date < %(utc_to)s
                UNION ALL
                SELECT a.create_uid FROM mail_activity a JOIN res_users u ON u.id = a.create_uid
                 WHERE u.company_id = %(company)s
                   AND a.create_date >= %(utc_from)s AND a.create_date < %(utc_to)s
             ) rec JOIN res_users u ON u.id = rec.uid WHERE NOT u.share) AS created,
            (SELECT SUM(records) FROM health) AS records,
            (SELECT SUM(flagged) FROM health) AS flagged
    """,
        p,
    )
    return {
        "login_frequency": _ratio(row["logins"], row["users"]),
        "records_created": _total(float(row["created"])),
        "data_quality": _ratio(row["flagged"], row["records"], PERCENT),
    }


FAMILIES = {
    "pipeline": pipeline,
    "stages": stages,
    "quota": quota,
    "customers": customers,
    "marketing": marketing,
    "lifetime": lifetime,
    "subscriptions": subscriptions,
    "satisfaction": satisfaction,
    "adoption": adoption,
}

FAMILY_CODES = {
    "pipeline": (
        "win_rate",
        "sales_cycle",
        "avg_deal_size",
        "lead_sources",
        "lead_abandonment",
        "lead_conversion",
        "pipeline_value",
        "weighted_pipeline",
        "pipeline_coverage",
        "sales_velocity",
    ),
    "stages": ("stage_duration", "stage_drop_off"),
    "quota": ("quota",),
    "customers": ("churn", "retention", "upsell", "active_customers", "retention_cost"),
    "marketing": (
        "cac",
        "marketing_share",
        "net_new_revenue",
        "marketing_revenue_share",
        "marketing_roi",
        "traffic_to_lead",
    ),
    "lifetime": ("cac_payback", "clv", "ltv_cac"),
    "subscriptions": (
        "mrr",
        "arr",
        "arpa",
        "mrr_churn",
        "nrr",
        "grr",
        "quick_ratio",
        "net_new_mrr",
        "renewal",
    ),
    "satisfaction": ("nps", "ces", "ces_easy_share"),
    "adoption": ("login_frequency", "records_created", "data_quality"),
}


def all_kpis(env, companies, period, shared=False):
    """{(company id, code): value} of every family for every company (call
    it inside :func:`jit_off`, as bench/run.py does); with ``shared``, the
    events of each company built once (:func:`shared_events`)."""
    values = {}
    for company in companies:
        with shared_events(env, company, period) if shared else contextlib.nullcontext():
            for func in FAMILIES.values():
                for code, value in func(env, company, period).items():
                    values[company.id, code] = value
    return values


# ----------------------------------------------------------------------
# The first floor: win rate, churn and CAC, one query each (the rows
# "win rate + churn + CAC" of bench/run.py, kept to compare with earlier runs)
# ----------------------------------------------------------------------


def _bounds3(env, company, period):
    tz = company.partner_id.tz or env.user.tz or "UTC"
    utc_from, utc_to = period.utc_bounds(tz)
    main = env.ref("base.main_company", raise_if_not_found=False)
    return tz, utc_from, utc_to, company == main


def win_rate3(env, company, period):
    _tz, utc_from, utc_to, owns_unassigned = _bounds3(env, company, period)
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
_EVENTS3 = """
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


def churn3(env, company, period):
    tz, _f, _t, _o = _bounds3(env, company, period)
    window = timedelta(days=company.kpi_activity_window_days)
    ds, de = period.date_start, period.date_end
    env.cr.execute(
        f"""
        WITH {_EVENTS3},
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


def cac3(env, company, period):
    """Acquisition costs converted at the rate of the period's last day (the
    company's own rates first, then the shared ones) / new customers."""
    tz, _f, _t, _o = _bounds3(env, company, period)
    last_day = period.date_end - timedelta(days=1)
    env.cr.execute(
        f"""
        WITH {_EVENTS3},
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


THREE = {"win_rate": win_rate3, "churn": churn3, "cac": cac3}
