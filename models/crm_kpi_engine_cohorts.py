# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Retention cohorts (``crm.kpi.cohort.cell``) from the customer base and
the MRR of the customer and recurring families: which customers a cohort
holds (:meth:`_first_purchases_sql`), who is active at a month's end
(:meth:`_active_customers_sql`) and the MRR they pay then (:meth:`_mrr_at_sql`).

A monthly run computes, for each of its months ``P``, the cells measured at
the end of ``P``: those of the cohorts of the 24 months before ``P`` and of
``P`` itself (month since = months from the cohort to ``P``). One query per
month, whatever the number of customers, cohorts and teams.
"""

from odoo import api, models
from odoo.tools import SQL

from ..engine.cohorts import MAX_MONTHS, add_months, months_between
from ..engine.periods import period_of


class CrmKpiEngineCohorts(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cohort_kpis(self):
        """The KPIs whose monthly runs compute the cohort cells too: the
        customer and MRR definitions the cohorts share. Intended to be
        inherited."""
        return {"active_customers", "mrr"}

    @api.model
    def _customer_table_reads(self, periods, codes):
        # the cells of each month read the purchase events, the first
        # purchases and the subscription intervals: without the run's tables
        # they would rebuild them from all history (a minute at L)
        reads = super()._customer_table_reads(periods, codes)
        if self._cohort_kpis() & codes:
            reads += 3 * sum(1 for period in periods if period.period_type == "month")
        return reads

    @api.model
    def _computes_cohorts(self, window, codes):
        return window.period.period_type == "month" and bool(self._cohort_kpis() & set(codes))

    @api.model
    def _cohort_base_sql(self, window, oldest):
        """The WITH clause of the cohorts measured at the end of the window's
        month, of the cohorts from ``oldest`` (a month's first day):
        ``kpi_cohort`` (customer, team of the first purchase, cohort month),
        ``kpi_active`` (customers active at the month's end), ``kpi_mrr_now``
        (their MRR then per currency) and ``kpi_mrr_first`` (their MRR at the
        end of their acquisition month per currency)."""
        day = window.date_to
        return SQL(
            """
            WITH kpi_events AS %(inline)s (%(events)s),
            kpi_sub_intervals AS %(inline)s (%(intervals)s),
            kpi_first AS %(inline)s (%(first)s),
            kpi_cohort AS (
                SELECT customer_id, team_id, date_trunc('month', first_day)::date AS cohort_month
                  FROM kpi_first WHERE first_day >= %(oldest)s AND first_day < %(day)s
            ),
            kpi_active AS (%(active)s),
            kpi_mrr_now AS (
                SELECT m.partner_id AS customer_id, m.currency_id, SUM(m.mrr) AS mrr
                  FROM (%(mrr_at)s) m WHERE m.mrr <> 0 GROUP BY m.partner_id, m.currency_id
            ),
            kpi_mrr_first AS (
                SELECT customer_id, currency_id, SUM(mrr) AS mrr FROM (
                    SELECT DISTINCT ON (m.subscription_id) c.customer_id, m.currency_id,
                           m.mrr_after AS mrr
                      FROM crm_kpi_subscription_movement m
                      JOIN kpi_cohort c ON c.customer_id = m.partner_id
                     WHERE m.company_id = %(company)s
                       AND m.date < c.cohort_month + INTERVAL '1 month'
                     ORDER BY m.subscription_id, m.date DESC, m.id DESC
                ) first_mrr WHERE mrr <> 0 GROUP BY customer_id, currency_id
            )
            """,
            inline=self._inline_run_tables(window),
            events=self._purchase_events_sql(window),
            intervals=self._subscription_intervals_sql(window),
            first=self._first_purchases_sql(window, SQL("SELECT * FROM kpi_events")),
            oldest=oldest,
            day=day,
            active=self._active_customers_sql(window, day),
            mrr_at=self._mrr_at_sql(window, day),
            company=window.company.id,
        )

    @api.model
    def _cohort_cells(self, window):
        """The cells measured at the end of the window's month, for the
        company and per sales team of the customers' first purchase: dicts
        with ``dimension``, ``team_id``, ``cohort_month``, ``months_since``,
        ``cohort_size``, ``customers``, ``mrr`` and ``mrr_start`` (company
        currency, both at the rate of the month's last day, so that exchange
        rates do not move revenue retention)."""
        oldest = add_months(window.date_from, -MAX_MONTHS)
        query = SQL(
            """
            %(base)s
            SELECT x.cohort_month, x.team_id, GROUPING(x.team_id) AS g_team, x.currency_id,
                   SUM(x.size) AS cohort_size, SUM(x.active) AS customers,
                   SUM(x.mrr) AS mrr, SUM(x.mrr_start) AS mrr_start
              FROM (
                SELECT c.cohort_month, c.team_id, NULL::integer AS currency_id, 1 AS size,
                       CASE WHEN a.customer_id IS NULL THEN 0 ELSE 1 END AS active,
                       0.0 AS mrr, 0.0 AS mrr_start
                  FROM kpi_cohort c LEFT JOIN kpi_active a ON a.customer_id = c.customer_id
                UNION ALL
                SELECT c.cohort_month, c.team_id, n.currency_id, 0, 0, n.mrr, 0.0
                  FROM kpi_cohort c JOIN kpi_mrr_now n ON n.customer_id = c.customer_id
                UNION ALL
                SELECT c.cohort_month, c.team_id, f.currency_id, 0, 0, 0.0, f.mrr
                  FROM kpi_cohort c JOIN kpi_mrr_first f ON f.customer_id = c.customer_id
              ) x
             GROUP BY GROUPING SETS ((x.cohort_month, x.currency_id),
                                     (x.cohort_month, x.team_id, x.currency_id))
            """,
            base=self._cohort_base_sql(window, oldest),
        )
        rows = self.env.execute_query_dict(query)
        company = window.company
        money = [row for row in rows if row["currency_id"] and (row["mrr"] or row["mrr_start"])]
        currencies = self.env["res.currency"].browse({row["currency_id"] for row in money})
        self._check_rates(currencies, company, window.period.last_day)
        rates = (currencies | company.currency_id)._get_rates(company, window.period.last_day)
        company_rate = rates[company.currency_id.id]
        cells = {}
        for row in rows:
            dimension = "company" if row["g_team"] else "team"
            key = (dimension, row["team_id"] if dimension == "team" else None, row["cohort_month"])
            cell = cells.setdefault(
                key,
                {
                    "dimension": dimension,
                    "team_id": key[1],
                    "cohort_month": row["cohort_month"],
                    "months_since": months_between(row["cohort_month"], window.date_from),
                    "cohort_size": 0,
                    "customers": 0,
                    "mrr": 0.0,
                    "mrr_start": 0.0,
                },
            )
            factor = company_rate / rates[row["currency_id"]] if row["currency_id"] else 1.0
            cell["cohort_size"] += int(row["cohort_size"] or 0)
            cell["customers"] += int(row["customers"] or 0)
            cell["mrr"] += float(row["mrr"] or 0) * factor
            cell["mrr_start"] += float(row["mrr_start"] or 0) * factor
        return list(cells.values())

    @api.model
    def _cohort_customer_ids(self, company, cohort_month, months_since, mode, team=None):
        """Ids of the customers behind a cell: the cohort's customers active
        at the end of month ``cohort_month + months_since`` (``mode`` logo),
        or paying MRR then (revenue), of the company or of one team."""
        window = self._make_window(
            company, period_of("month", add_months(cohort_month, months_since))
        )
        measured = SQL("kpi_active") if mode == "logo" else SQL("kpi_mrr_now")
        condition = SQL("TRUE")
        if team is not None:
            condition = SQL("c.team_id IS NOT DISTINCT FROM %s", team.id or None)
        return [
            customer_id
            for (customer_id,) in self.env.execute_query(
                SQL(
                    """
            %(base)s
            SELECT DISTINCT c.customer_id FROM kpi_cohort c
              JOIN %(measured)s x ON x.customer_id = c.customer_id
             WHERE c.cohort_month = %(cohort)s AND %(condition)s
            """,
                    base=self._cohort_base_sql(window, cohort_month),
                    measured=measured,
                    cohort=cohort_month,
                    condition=condition,
                )
            )
        ]
