# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The SQL behind the KPI fields of records (res.partner, crm.lead,
sale.subscription): the figures of one customer as of today."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import metrics
from ..engine.periods import Period


class CrmKpiEngineRecords(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _record_window(self, company):
        """Context of the day containing today in the company's time zone:
        the KPI fields of records describe the customer as of the end of
        today (``date_to`` is tomorrow)."""
        tz = company.partner_id.tz or self.env.user.tz or "UTC"
        today = fields.Date.context_today(self.with_context(tz=tz))
        return self._make_window(company, Period("day", today, today + timedelta(days=1)))

    @api.model
    def _currency_factors(self, window):
        """{currency_id: factor} turning an amount into the company currency
        at the rate of the window's last day, for the company currency and the
        currencies with a rate on or before that day (their own or a shared
        one). A currency without such a rate has no factor: Odoo would
        convert it 1:1, so amounts in it make the customer's figure unknown
        rather than wrong (see :meth:`_check_rates` for snapshots)."""
        company = window.company
        day = window.period.last_day
        with_rate = [
            currency_id
            for (currency_id,) in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT currency_id FROM res_currency_rate
                WHERE name <= %s AND (company_id IS NULL OR company_id = %s)""",
                    day,
                    company.root_id.id,
                )
            )
        ]
        currencies = self.env["res.currency"].browse(with_rate) | company.currency_id
        rates = currencies._get_rates(company, day)
        company_rate = rates[company.currency_id.id]
        return {currency_id: company_rate / rate for currency_id, rate in rates.items()}

    @api.model
    def _currency_factors_sql(self, window):
        """SQL of (currency_id, factor) rows, see :meth:`_currency_factors`."""
        factors = self._currency_factors(window)
        return SQL(
            "SELECT * FROM unnest(%s::int[], %s::float8[]) AS r(currency_id, factor)",
            list(factors),
            list(factors.values()),
        )

    @api.model
    def _customer_record_facts_sql(self, window, customer_ids):
        """SQL of one row per customer among ``customer_ids`` (commercial
        partners) with a purchase before the end of the window:
        ``customer_id``, ``first_day`` and ``last_day`` (first purchase, last
        purchase or reactivation), ``purchases`` (see :meth:`_purchase_events_sql`),
        ``revenue`` (company currency at the window's last day, credit
        notes deducted),
        ``is_active`` (active at the end of the window) and, for inactive
        ones, ``churn_date``: the first day they were no longer active (the
        day after their last one-off purchase left the activity window, or
        after their last subscription close, whichever is later)."""
        return SQL(
            """
            WITH kpi_events AS (
                SELECT * FROM (%(events)s) e
                 WHERE e.customer_id = ANY(%(ids)s) AND e.day < %(day)s
            ),
            kpi_sub_intervals AS (
                SELECT * FROM (%(intervals)s) i
                 WHERE i.customer_id = ANY(%(ids)s) AND i.date_from < %(day)s
            ),
            kpi_active AS (SELECT DISTINCT customer_id FROM (%(active)s) a),
            kpi_rates AS (%(rates)s),
            kpi_closes AS (
                SELECT customer_id, MAX(date_to) AS last_close FROM kpi_sub_intervals
                 WHERE date_to < %(day)s GROUP BY customer_id
            )
            SELECT ev.customer_id, MIN(ev.day) FILTER (WHERE ev.is_purchase) AS first_day,
                   MAX(ev.day) FILTER (WHERE ev.kind <> 'refund') AS last_day,
                   COUNT(*) FILTER (WHERE ev.is_purchase) AS purchases,
                   CASE WHEN bool_and(r.factor IS NOT NULL OR ev.currency_id IS NULL
                                      OR ev.amount = 0)
                        THEN COALESCE(SUM(ev.amount::float8
                                          * COALESCE(r.factor, 1.0)), 0.0)
                   END AS revenue,
                   (a.customer_id IS NOT NULL) AS is_active,
                   CASE WHEN a.customer_id IS NULL
                        THEN GREATEST(MAX(ev.day) FILTER (WHERE ev.is_one_off) + %(window)s + 1,
                                      MAX(c.last_close) + 1)
                   END AS churn_date
              FROM kpi_events ev
              LEFT JOIN kpi_rates r ON r.currency_id = ev.currency_id
              LEFT JOIN kpi_active a ON a.customer_id = ev.customer_id
              LEFT JOIN kpi_closes c ON c.customer_id = ev.customer_id
             GROUP BY ev.customer_id, a.customer_id
            HAVING bool_or(ev.is_purchase)
            """,
            events=self._purchase_events_sql(window),
            intervals=self._subscription_intervals_sql(window),
            active=self._active_customers_sql(window, window.date_to),
            rates=self._currency_factors_sql(window),
            ids=list(customer_ids),
            day=window.date_to,
            window=window.company._kpi_setting("kpi_activity_window_days"),
        )

    @api.model
    def _customer_trailing_revenue(self, window, customer_ids):
        """{customer_id: (revenue, purchases)} of the trailing 12 months
        ending with the window, revenue in company currency (the per-customer
        counterpart of :meth:`_trailing_purchases`)."""
        year = self._trailing(window, relativedelta(years=1))
        rows = self.env.execute_query(
            SQL(
                """
            SELECT ev.customer_id,
                   CASE WHEN bool_and(r.factor IS NOT NULL OR ev.currency_id IS NULL
                                      OR ev.amount = 0)
                        THEN SUM(ev.amount::float8 * COALESCE(r.factor, 1.0))
                   END,
                   COUNT(*) FILTER (WHERE ev.is_purchase)
              FROM (%(events)s) ev
              LEFT JOIN (%(rates)s) r ON r.currency_id = ev.currency_id
             WHERE ev.customer_id = ANY(%(ids)s)
               AND ev.day >= %(date_from)s AND ev.day < %(date_to)s
             GROUP BY ev.customer_id
            """,
                events=self._purchase_events_sql(year),
                rates=self._currency_factors_sql(year),
                ids=list(customer_ids),
                date_from=year.date_from,
                date_to=year.date_to,
            )
        )
        return {customer_id: (revenue, count) for customer_id, revenue, count in rows}

    @api.model
    def _customer_mrr(self, window, customer_ids):
        """{customer_id: MRR} at the end of the window, in company currency:
        the MRR after the last movement of each of their subscriptions."""
        rows = self.env.execute_query(
            SQL(
                """
            SELECT m.partner_id, m.currency_id, SUM(m.mrr_after) FROM (
                SELECT DISTINCT ON (subscription_id) partner_id, currency_id, mrr_after
                  FROM crm_kpi_subscription_movement
                 WHERE company_id = %s AND date < %s AND partner_id = ANY(%s)
                 ORDER BY subscription_id, date DESC, id DESC
            ) m WHERE m.mrr_after > 0
             GROUP BY m.partner_id, m.currency_id
            """,
                window.company.id,
                window.date_to,
                list(customer_ids),
            )
        )
        factors = self._currency_factors(window) if rows else {}
        result, unknown = {}, set()
        for customer_id, currency_id, mrr in rows:
            if currency_id and currency_id not in factors:
                unknown.add(customer_id)
                continue
            result[customer_id] = result.get(customer_id, 0.0) + float(mrr) * factors.get(
                currency_id, 1.0
            )
        for customer_id in unknown:
            result[customer_id] = None
        return result

    @api.model
    def _clv_company_inputs(self, window):
        """What the company's CLV method takes from the whole customer base
        (see :meth:`_kpi_clv`), for the window ending with ``window``:
        ``lifetime`` (years), ``cac`` and ``monthly_churn`` (%)."""
        definition = (
            self.env["crm.kpi.definition"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", "clv")], limit=1)
        )
        company = window.company
        inputs = {"lifetime": None, "cac": None, "monthly_churn": None}
        if company._kpi_setting("kpi_clv_method") == "subscription":
            month = self._trailing(window, relativedelta(months=1))
            counts = self._customer_counts(definition, month)[0]
            inputs["monthly_churn"] = metrics.churn(
                lost=counts["lost"], active_at_start=counts["active_start"]
            ).value
            return inputs
        inputs["lifetime"] = self._customer_lifetime_years(definition, window)
        if company._kpi_setting("kpi_clv_method") == "margin_minus_cac":
            year = self._trailing(window, relativedelta(years=1))
            costs = self._costs(definition, year, "acquisition")
            new = self._customer_counts(definition, year)
            inputs["cac"] = metrics.cac(costs[0]["costs"], new[0]["new"]).value
        return inputs
