# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Customer lifetime value, CAC payback and LTV : CAC."""

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineLifetime(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _customer_kpis(self):
        return super()._customer_kpis() | {"clv", "cac_payback", "ltv_cac"}

    @api.model
    def _sourced_kpis(self):
        return super()._sourced_kpis() | {"ltv_cac"}

    @api.model
    def _new_customer_monthly_revenue(self, definition, window):
        """Σ monthly revenue (company currency) of the customers new in the
        window: the MRR of their subscriptions at its end, or, for customers
        without MRR, their revenue in the window / its months."""
        rows = self._grouped(
            definition,
            {},
            {"monthly": SQL("SUM(x.monthly)")},
            SQL(
                """
                FROM (
                    WITH kpi_new AS MATERIALIZED (
                        SELECT f.customer_id FROM (%(first)s) f
                         WHERE f.first_day >= %(date_from)s AND f.first_day < %(date_to)s
                    ),
                    kpi_period_events AS MATERIALIZED (
                        SELECT * FROM (%(events)s) e
                         WHERE e.day >= %(date_from)s AND e.day < %(date_to)s
                    ),
                    kpi_mrr AS (%(mrr)s)
                    SELECT m.currency_id, m.mrr AS monthly
                      FROM kpi_mrr m JOIN kpi_new n ON n.customer_id = m.partner_id
                     WHERE m.mrr > 0
                    UNION ALL
                    SELECT ev.currency_id, ev.amount / %(months)s
                      FROM kpi_period_events ev JOIN kpi_new n ON n.customer_id = ev.customer_id
                     WHERE NOT EXISTS (SELECT 1 FROM kpi_mrr m
                                        WHERE m.partner_id = ev.customer_id AND m.mrr > 0)
                ) x
                """,
                events=self._purchase_events_sql(window),
                first=self._first_purchases_sql(window),
                mrr=self._mrr_at_sql(window, window.date_to),
                date_from=window.date_from,
                date_to=window.date_to,
                months=self._months_in(window),
            ),
            currency=SQL("x.currency_id"),
        )
        return self._in_company_currency(rows, ["monthly"], window)

    @api.model
    def _kpi_cac_payback(self, definition, window):
        """Acquisition costs / Σ margin-adjusted monthly revenue of the new
        customers: CAC / their average monthly margin, in months."""
        margin = window.company.kpi_gross_margin / 100.0
        rows = self._merge(
            self._costs(definition, window, "acquisition"),
            self._new_customer_monthly_revenue(definition, window),
            defaults={"costs": 0, "monthly": 0},
        )
        return self._rows(
            [row for row in rows if row["dimension"] == "company"],
            lambda r: metrics.cac_payback(
                cac_value=r["costs"], monthly_margin_revenue=r["monthly"] * margin
            ),
        )

    @api.model
    def _kpi_cac_payback_records(self, definition, window, row=None):
        return self._customer_records(window, "new", row)

    @api.model
    def _kpi_cac_payback_empty_reason(self):
        return self.env._("No revenue from new customers in this period.")

    @api.model
    def _trailing_purchases(self, definition, window):
        """Revenue (company currency), purchases and distinct purchasing
        customers of the window. Revenue is that of every event (credit
        notes deducted); purchases are the events that are one (see
        :meth:`_purchase_events_sql`): not reactivations, recurring
        documents of subscriptions or invoices of orders."""
        events_where = SQL(
            "FROM (%s) ev WHERE ev.day >= %s AND ev.day < %s",
            self._purchase_events_sql(window),
            window.date_from,
            window.date_to,
        )
        revenue = self._in_company_currency(
            self._grouped(
                definition,
                {},
                {"revenue": SQL("SUM(ev.amount)")},
                events_where,
                currency=SQL("ev.currency_id"),
            ),
            ["revenue"],
            window,
        )
        counts = self._grouped(
            definition,
            {},
            {
                "purchases": SQL("COUNT(*) FILTER (WHERE ev.is_purchase)"),
                "customers": SQL("COUNT(DISTINCT ev.customer_id) FILTER (WHERE ev.is_purchase)"),
            },
            events_where,
        )
        return self._merge(revenue, counts)[0]

    @api.model
    def _customer_lifetime_years(self, definition, window):
        """Average years between the first and the last activity of the
        customers who churned (not active at the end of the window), else
        1 / the churn rate of the trailing year."""
        row = self.env.execute_query_dict(
            SQL(
                """
            WITH kpi_events AS %(inline)s (%(events)s),
            kpi_sub_intervals AS %(inline)s (%(intervals)s),
            kpi_active_end AS (%(active_end)s),
            kpi_span AS (
                SELECT customer_id, MIN(day) AS first_day, MAX(day) AS last_day FROM (
                    SELECT customer_id, day FROM kpi_events
                     WHERE kind <> 'refund' AND day < %(date_to)s
                    UNION ALL
                    SELECT customer_id, date_to FROM kpi_sub_intervals
                     WHERE date_to IS NOT NULL AND date_to < %(date_to)s
                ) activity GROUP BY customer_id
            )
            SELECT COUNT(*) AS churned, AVG((last_day - first_day) / 365.25) AS years
              FROM kpi_span s
             WHERE NOT EXISTS (SELECT 1 FROM kpi_active_end a WHERE a.customer_id = s.customer_id)
            """,
                inline=self._inline_run_tables(window),
                events=self._purchase_events_sql(window),
                intervals=self._subscription_intervals_sql(window),
                active_end=self._active_customers_sql(window, window.date_to),
                date_to=window.date_to,
            )
        )[0]
        if row["churned"]:
            return float(row["years"])
        year = self._trailing(window, relativedelta(years=1))
        counts = self._customer_counts(definition, year)[0]
        yearly_churn = metrics.churn(lost=counts["lost"], active_at_start=counts["active_start"])
        return metrics.customer_lifetime_years([], yearly_churn.value)

    @api.model
    def _kpi_clv(self, definition, window):
        """Customer lifetime value by the company's method (KPI_SPEC §3.1),
        over the trailing 12 months ending with the period."""
        company = window.company
        year = self._trailing(window, relativedelta(years=1))
        margin_pct = company.kpi_gross_margin
        if company._kpi_setting("kpi_clv_method") == "subscription":
            bridge = self._mrr_at_end(definition, window)[0]
            month = self._trailing(window, relativedelta(months=1))
            counts = self._customer_counts(definition, month)[0]
            monthly_churn = metrics.churn(
                lost=counts["lost"], active_at_start=counts["active_start"]
            )
            arpa = metrics.ratio(bridge["mrr"], bridge["customers"]).value
            value = metrics.clv_subscription(arpa, margin_pct, monthly_churn.value)
        else:
            purchases = self._trailing_purchases(definition, year)
            lifetime = self._customer_lifetime_years(definition, window)
            if company._kpi_setting("kpi_clv_method") == "purchase":
                value = metrics.clv_purchase(
                    revenue=purchases["revenue"],
                    purchases=purchases["purchases"],
                    customers=purchases["customers"],
                    lifetime_years=lifetime,
                )
            else:
                costs = self._costs(definition, year, "acquisition")
                new = self._customer_counts(definition, year)
                cac = metrics.cac(costs[0]["costs"], new[0]["new"]).value
                profit = metrics.ratio(
                    purchases["revenue"] * margin_pct / 100.0, purchases["customers"]
                ).value
                value = metrics.clv_margin_minus_cac(profit, lifetime, cac)
        return [{"dimension": "company", "kpi_value": value}]

    @api.model
    def _kpi_ltv_cac(self, definition, window):
        """CLV (:meth:`_kpi_clv`, the company's method, trailing 12 months)
        / CAC of the period (:meth:`_kpi_cac`): the very numbers those two
        KPIs store for the period."""
        clv = self._kpi_clv(definition, window)[0]["kpi_value"]
        cac = next(
            row["kpi_value"]
            for row in self._kpi_cac(definition, window)
            if row["dimension"] == "company"
        )
        return [{"dimension": "company", "kpi_value": metrics.ltv_cac(clv.value, cac.value)}]

    @api.model
    def _kpi_ltv_cac_records(self, definition, window, row=None):
        return self._kpi_cac_records(definition, window, row)

    @api.model
    def _kpi_ltv_cac_empty_reason(self):
        return self.env._(
            "No lifetime value, or no acquisition cost per new customer, for this period: "
            "it needs new customers and their acquisition costs (Inputs → Costs)."
        )
