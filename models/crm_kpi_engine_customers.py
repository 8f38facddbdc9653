# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Customer KPIs (sale.order, account.move, sale.subscription): the customer
base of a period (purchase events, first purchases, subscription intervals,
the run tables holding them), churn, retention, upsell, retention cost and
the active customers at the period's end."""

from datetime import timedelta

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineCustomers(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _customer_kpis(self):
        """The KPIs that read the customer data a run materializes (see
        :meth:`_run_tables`): purchase events, first purchases and
        subscription intervals. A KPI missing here still computes the same
        value, from inlined SQL. Intended to be inherited by the families
        whose KPIs read them."""
        return {"churn", "retention", "upsell", "retention_cost", "active_customers"}

    @api.model
    def _customer_table_reads(self, periods, codes):
        """How many times a run over ``periods`` computing ``codes`` reads
        the customer data of :meth:`_run_tables` (the tables are built when
        it is more than twice). Intended to be inherited by what else reads
        them."""
        return len(periods) * len(self._customer_kpis() & codes)

    @api.model
    def _last_value_kpis(self):
        return super()._last_value_kpis() | {"active_customers"}

    @api.model
    def _run_tables(self, window, periods, codes):
        tables = super()._run_tables(window, periods, codes)
        # A table pays off when it is read several times: over several
        # periods, or by more than two KPIs of one period (two customer KPIs
        # such as churn and retention share one read of the customer counts).
        if self._customer_table_reads(periods, codes) > 2:
            tables += [
                {
                    "kind": "events",
                    "query": self._purchase_events_sql,
                    "indexes": ("day", "customer_id"),
                },
                {
                    "kind": "first",
                    "query": self._first_purchases_sql,
                    "indexes": ("first_day",),
                    "primary_key": "customer_id",
                },
                {
                    "kind": "intervals",
                    "query": self._subscription_intervals_sql,
                    "indexes": ("customer_id",),
                },
            ]
        return tables

    @api.model
    def _purchase_events_sql(self, window):
        """SQL of one row per customer event that carries a purchase or
        revenue: ``customer_id`` (commercial partner), ``day`` (company-local
        date), ``currency_id``, ``amount`` (untaxed, in the document
        currency), ``team_id`` and ``user_id`` (the document's sales team
        and salesperson), ``kind``,
        ``is_purchase`` (a purchase: first purchase, upsell, CLV frequency)
        and ``is_one_off`` (a one-off purchase: it keeps the customer active
        for the activity window).

        =====================  ========  ========  ================================
        kind                   purchase  one-off   amount
        =====================  ========  ========  ================================
        ``order``              yes       yes       the order's untaxed amount
        ``subscription_order`` yes       no        the order's untaxed amount
        ``invoice``            yes       yes       the invoice's untaxed amount
        ``start``              yes       no        the subscription's recurring
                                                   price (0 if its order counts)
        ``reactivation``       no        no        0
        ``refund``             no        no        minus the credit note's
        =====================  ========  ========  ================================

        - ``order``: a confirmed sale order that no subscription generated
          and that started no subscription; ``subscription_order``: one whose
          recurring lines started a subscription (that subscription's
          purchase, which its in-progress interval keeps active, not the
          window). Orders a subscription generates are not events.
        - ``invoice``: a posted customer invoice of no order (no line linked
          to an order line) and no subscription. Invoices of orders are the
          same purchase as their order, recurring invoices of subscriptions
          no purchase: neither is an event.
        - ``start`` / ``reactivation``: from the movement ledger
          (``date_start`` itself is reset by a reactivation). The start of a
          subscription created by a confirmed order is not an event: its
          order is.
        - ``refund``: a posted credit note of no subscription and of no
          order a subscription generated, in the period it is posted.
        """
        if "events" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["events"]))
        return SQL(
            """
            SELECT p.commercial_partner_id AS customer_id, %(so_day)s AS day,
                   so.currency_id, so.amount_untaxed AS amount, so.team_id, so.user_id,
                   CASE WHEN started.sale_order_id IS NULL THEN 'order'
                        ELSE 'subscription_order' END AS kind,
                   TRUE AS is_purchase, started.sale_order_id IS NULL AS is_one_off
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              LEFT JOIN (SELECT DISTINCT sale_order_id FROM sale_subscription
                          WHERE sale_order_id IS NOT NULL) started
                     ON started.sale_order_id = so.id
             WHERE so.state = 'sale' AND so.order_subscription_id IS NULL AND %(so_company)s
            UNION ALL
            SELECT am.commercial_partner_id, am.invoice_date, am.currency_id,
                   CASE WHEN am.move_type = 'out_refund' THEN -am.amount_untaxed
                        ELSE am.amount_untaxed END,
                   am.team_id, am.invoice_user_id,
                   CASE WHEN am.move_type = 'out_refund' THEN 'refund' ELSE 'invoice' END,
                   am.move_type = 'out_invoice', am.move_type = 'out_invoice'
              FROM account_move am
             WHERE am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'
               AND am.invoice_date IS NOT NULL AND am.company_id = %(company)s
               AND am.subscription_id IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM account_move_line aml
                     JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                     JOIN sale_order_line sol ON sol.id = rel.order_line_id
                     JOIN sale_order so ON so.id = sol.order_id
                    WHERE aml.move_id = am.id
                      AND (am.move_type = 'out_invoice' OR so.order_subscription_id IS NOT NULL))
            UNION ALL
            SELECT m.partner_id, m.date, m.currency_id,
                   CASE WHEN m.movement_type = 'start' THEN s.recurring_total ELSE 0.0 END,
                   m.team_id, m.user_id, m.movement_type, m.movement_type = 'start', FALSE
              FROM crm_kpi_subscription_movement m
              JOIN sale_subscription s ON s.id = m.subscription_id
              LEFT JOIN sale_order origin ON origin.id = s.sale_order_id
             WHERE m.movement_type IN ('start', 'reactivation') AND m.company_id = %(company)s
               AND (m.movement_type = 'reactivation' OR origin.state IS DISTINCT FROM 'sale')
            """,
            so_day=self._local_date(SQL("so.date_order"), window),
            so_company=SQL("so.company_id = %s", window.company.id),
            company=window.company.id,
        )

    @api.model
    def _subscription_intervals_sql(self, window):
        """SQL of the periods subscriptions were in progress: one row per
        start or reactivation, ``customer_id``, ``date_from`` and
        ``date_to`` (the next close, empty while still running)."""
        if "intervals" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["intervals"]))
        return SQL(
            """
            SELECT customer_id, date_from, date_to FROM (
                SELECT m.partner_id AS customer_id, m.movement_type, m.date AS date_from,
                       LEAD(m.date) OVER (PARTITION BY m.subscription_id ORDER BY m.date, m.id)
                           AS date_to
                  FROM crm_kpi_subscription_movement m
                 WHERE m.movement_type IN ('start', 'reactivation', 'close')
                   AND m.company_id = %s
            ) intervals
            WHERE movement_type IN ('start', 'reactivation')
            """,
            window.company.id,
        )

    @api.model
    def _first_purchase_sql(self, events):
        """SQL of one row per customer: ``customer_id``, ``first_day`` (date
        of the first purchase), ``team_id`` and ``user_id``, the sales team
        and the salesperson of that first purchase, which are the team and
        the salesperson a customer is counted for."""
        return SQL(
            """
            SELECT DISTINCT ON (customer_id) customer_id, day AS first_day, team_id, user_id
              FROM (%s) e
             WHERE e.is_purchase
             ORDER BY customer_id, day, team_id IS NULL, team_id, user_id IS NULL, user_id
            """,
            events,
        )

    @api.model
    def _inline_run_tables(self, window):
        """``NOT MATERIALIZED`` for a CTE over a run table, so that the
        planner reads the table itself (its statistics and indexes) in each
        place the CTE is used; an inlined event union is better computed
        once (PostgreSQL's default for a CTE used several times)."""
        return SQL("NOT MATERIALIZED") if "events" in window.run else SQL()

    @api.model
    def _first_purchases_sql(self, window, events=None):
        """:meth:`_first_purchase_sql` of the company's purchase events (or
        of ``events``, a query over them), read from the run's table when
        there is one."""
        if "first" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["first"]))
        return self._first_purchase_sql(events or self._purchase_events_sql(window))

    @api.model
    def _active_customers_sql(self, window, day):
        """SQL of the customers active at the start of ``day``: a
        subscription in progress at that moment (started before it and not
        closed before it), or a one-off purchase in the activity window
        before it."""
        window_start = day - timedelta(days=window.company._kpi_setting("kpi_activity_window_days"))
        return SQL(
            """
            SELECT customer_id FROM kpi_events
             WHERE is_one_off AND day >= %(window_start)s AND day < %(day)s
            UNION
            SELECT customer_id FROM kpi_sub_intervals
             WHERE date_from < %(day)s AND (date_to IS NULL OR date_to >= %(day)s)
            """,
            window_start=window_start,
            day=day,
        )

    @api.model
    def _customer_facts_sql(self, window):
        """SQL (a WITH ... SELECT) of one row per customer of the company
        relevant to the period: ``customer_id``, ``team_id`` (the team of
        their first purchase), ``is_new`` (first purchase in the period),
        ``active_start``, ``active_end``, ``bought_in_period``,
        ``upgraded_in_period``."""
        return SQL(
            """
            WITH kpi_events AS %(inline)s (%(events)s),
            kpi_sub_intervals AS %(inline)s (%(intervals)s),
            kpi_first AS %(inline)s (%(first)s),
            kpi_active_start AS (%(active_start)s),
            kpi_active_end AS (%(active_end)s),
            kpi_bought AS (
                SELECT DISTINCT customer_id FROM kpi_events
                 WHERE is_purchase AND day >= %(date_from)s AND day < %(date_to)s
            ),
            kpi_upgraded AS (
                SELECT DISTINCT m.partner_id AS customer_id FROM crm_kpi_subscription_movement m
                 WHERE m.movement_type = 'upgrade' AND m.company_id = %(company)s
                   AND m.date >= %(date_from)s AND m.date < %(date_to)s
            ),
            kpi_customers AS (
                SELECT customer_id FROM kpi_active_start
                UNION SELECT customer_id FROM kpi_active_end
                UNION SELECT customer_id FROM kpi_first
                 WHERE first_day >= %(date_from)s AND first_day < %(date_to)s
            )
            SELECT c.customer_id, f.team_id,
                   (f.first_day >= %(date_from)s AND f.first_day < %(date_to)s) AS is_new,
                   (f.first_day < %(date_from)s) AS existed_before,
                   (s.customer_id IS NOT NULL) AS active_start,
                   (e.customer_id IS NOT NULL) AS active_end,
                   (b.customer_id IS NOT NULL) AS bought_in_period,
                   (u.customer_id IS NOT NULL) AS upgraded_in_period
              FROM kpi_customers c
              LEFT JOIN kpi_first f ON f.customer_id = c.customer_id
              LEFT JOIN kpi_active_start s ON s.customer_id = c.customer_id
              LEFT JOIN kpi_active_end e ON e.customer_id = c.customer_id
              LEFT JOIN kpi_bought b ON b.customer_id = c.customer_id
              LEFT JOIN kpi_upgraded u ON u.customer_id = c.customer_id
            """,
            inline=self._inline_run_tables(window),
            events=self._purchase_events_sql(window),
            first=self._first_purchases_sql(window, SQL("SELECT * FROM kpi_events")),
            intervals=self._subscription_intervals_sql(window),
            company=window.company.id,
            active_start=self._active_customers_sql(window, window.date_from),
            active_end=self._active_customers_sql(window, window.date_to),
            date_from=window.date_from,
            date_to=window.date_to,
        )

    @api.model
    def _customer_counts(self, definition, window):
        """Customer counts of the period, for the company and per team;
        computed once per window and shared by the KPIs that need them."""
        return self._shared(
            window,
            ("customer_counts", "team" in self._allowed_dimensions(definition)),
            lambda: self._customer_counts_query(definition, window),
        )

    @api.model
    def _customer_conditions(self):
        """{count: SQL condition on ``c``, a row of :meth:`_customer_facts_sql`}:
        the customers each count of :meth:`_customer_counts` counts, and
        that the drill-down of the KPIs reading it lists."""
        return {
            "new": SQL("c.is_new"),
            "active_start": SQL("c.active_start"),
            "active_end": SQL("c.active_end"),
            "lost": SQL("c.active_start AND NOT c.active_end"),
            "retained": SQL("c.active_start AND c.active_end"),
            "upsold": SQL(
                "c.active_start AND c.existed_before"
                " AND (c.bought_in_period OR c.upgraded_in_period)"
            ),
        }

    @api.model
    def _customer_records(self, window, count, row=None):
        """(``res.partner``, domain) of the customers of the window counted
        by ``count`` (a key of :meth:`_customer_conditions`), for the company
        or one team (``row``); (None, None) for other dimensions."""
        condition = self._customer_conditions()[count]
        if row and row["dimension"] == "team":
            condition = SQL(
                "%s AND c.team_id IS NOT DISTINCT FROM %s", condition, row.get("team_id")
            )
        elif row and row["dimension"] != "company":
            return None, None
        ids = [
            customer_id
            for (customer_id,) in self.env.execute_query(
                SQL(
                    "SELECT c.customer_id FROM (%s) c WHERE %s",
                    self._customer_facts_sql(window),
                    condition,
                )
            )
        ]
        return "res.partner", Domain("id", "in", ids)

    @api.model
    def _customer_counts_query(self, definition, window):
        return self._grouped(
            definition,
            {"team": SQL("c.team_id")},
            {
                name: SQL("COUNT(*) FILTER (WHERE %s)", condition)
                for name, condition in self._customer_conditions().items()
            },
            SQL("FROM (%s) c", self._customer_facts_sql(window)),
        )

    @api.model
    def _kpi_churn(self, definition, window):
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.churn(lost=r["lost"], active_at_start=r["active_start"]),
        )

    @api.model
    def _kpi_churn_records(self, definition, window, row=None):
        return self._customer_records(window, "lost", row)

    @api.model
    def _kpi_churn_empty_reason(self):
        return self._active_customer_empty_reason()

    @api.model
    def _kpi_retention(self, definition, window):
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.retention(
                active_at_end=r["active_end"], new=r["new"], active_at_start=r["active_start"]
            ),
        )

    @api.model
    def _kpi_retention_records(self, definition, window, row=None):
        return self._customer_records(window, "active_start", row)

    @api.model
    def _kpi_retention_empty_reason(self):
        return self._active_customer_empty_reason()

    @api.model
    def _kpi_upsell(self, definition, window):
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.upsell(upsold=r["upsold"], active_at_start=r["active_start"]),
        )

    @api.model
    def _kpi_upsell_records(self, definition, window, row=None):
        return self._customer_records(window, "upsold", row)

    @api.model
    def _kpi_upsell_empty_reason(self):
        return self._active_customer_empty_reason()

    @api.model
    def _kpi_active_customers(self, definition, window):
        """Customers active at the end of the period, as churn counts them."""
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.active_customers(r["active_end"]),
        )

    @api.model
    def _kpi_active_customers_records(self, definition, window, row=None):
        return self._customer_records(window, "active_end", row)

    @api.model
    def _active_customer_empty_reason(self):
        return self.env._("No active customer at the start of this period.")

    @api.model
    def _customer_dimensions(self, first="f", sources="src"):
        """The dimensions of a customer: the sales team and the salesperson
        of their first purchase (``first``, a :meth:`_first_purchase_sql`
        row) and the UTM source, medium and campaign of their first won lead
        (``sources``, a :meth:`_customer_sources_sql` row)."""
        return {
            "team": SQL.identifier(first, "team_id"),
            "user": SQL.identifier(first, "user_id"),
            "source": SQL.identifier(sources, "source_id"),
            "medium": SQL.identifier(sources, "medium_id"),
            "campaign": SQL.identifier(sources, "campaign_id"),
        }

    @api.model
    def _costs(self, definition, window, category, condition=None):
        """Costs of a category recorded in the period (and meeting the SQL
        ``condition`` on ``cost``), in company currency, for the company and
        per dimension the registry maps on the costs (``crm.kpi.cost`` in
        its ``columns``: the sales team, UTM source, medium and campaign of
        the cost)."""
        rows = self._grouped(
            definition,
            {
                dim: SQL.identifier("cost", column)
                for dim, column in self._dimension_columns("crm.kpi.cost").items()
            },
            {"costs": SQL("SUM(cost.amount)")},
            SQL(
                """
                FROM crm_kpi_cost cost
                WHERE cost.company_id = %s AND cost.category = %s AND %s
                  AND cost.date >= %s AND cost.date < %s
                """,
                window.company.id,
                category,
                condition or SQL("TRUE"),
                window.date_from,
                window.date_to,
            ),
            currency=SQL("cost.currency_id"),
        )
        return self._in_company_currency(rows, ["costs"], window)

    @api.model
    def _costs_records(self, window, category, row=None):
        """(``crm.kpi.cost``, domain) of the costs :meth:`_costs` adds up."""
        return "crm.kpi.cost", Domain.AND(
            [
                Domain("company_id", "=", window.company.id),
                Domain("category", "=", category),
                Domain("date", ">=", window.date_from),
                Domain("date", "<", window.date_to),
                self._row_domain(row, self._dimension_columns("crm.kpi.cost")),
            ]
        )

    @api.model
    def _kpi_retention_cost(self, definition, window):
        rows = self._merge(
            self._costs(definition, window, "retention"),
            self._customer_counts(definition, window),
            defaults={"costs": 0, "retained": 0},
        )
        return self._rows(
            rows,
            lambda r: metrics.retention_cost(retention_costs=r["costs"], retained=r["retained"]),
        )

    @api.model
    def _kpi_retention_cost_records(self, definition, window, row=None):
        return self._costs_records(window, "retention", row)

    @api.model
    def _kpi_retention_cost_empty_reason(self):
        return self.env._("No customer retained over this period.")
