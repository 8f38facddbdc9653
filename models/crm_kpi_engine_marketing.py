# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Acquisition and marketing KPIs: new customers and their revenue, where
they came from (their first won lead, the run table of customer sources),
CAC, net new revenue, the marketing shares and ROI, traffic to lead."""

from odoo import api, models
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineMarketing(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _customer_kpis(self):
        return super()._customer_kpis() | self._sourced_kpis()

    @api.model
    def _sourced_kpis(self):
        """The KPIs that read the first won lead of each customer (see
        :meth:`_customer_sources_sql`), a run table when read more than once.
        Intended to be inherited."""
        return {
            "cac",
            "net_new_revenue",
            "marketing_share",
            "marketing_revenue_share",
            "marketing_roi",
        }

    @api.model
    def _run_tables(self, window, periods, codes):
        tables = super()._run_tables(window, periods, codes)
        if len(periods) * len(self._sourced_kpis() & codes) > 1:
            tables.append(
                {
                    "kind": "sources",
                    "query": self._customer_sources_sql,
                    "primary_key": "customer_id",
                }
            )
        return tables

    @api.model
    def _marketing_condition(self, alias, window):
        """SQL condition: the record behind ``alias`` (a lead or a cost, with
        UTM columns) is marketing-sourced per the company's settings."""
        company = window.company
        conditions = []
        if company.kpi_marketing_campaigns:
            conditions.append(SQL("%s IS NOT NULL", SQL.identifier(alias, "campaign_id")))
        if company.kpi_marketing_medium_ids:
            conditions.append(
                SQL(
                    "%s = ANY(%s)",
                    SQL.identifier(alias, "medium_id"),
                    company.kpi_marketing_medium_ids.ids,
                )
            )
        if company.kpi_marketing_source_ids:
            conditions.append(
                SQL(
                    "%s = ANY(%s)",
                    SQL.identifier(alias, "source_id"),
                    company.kpi_marketing_source_ids.ids,
                )
            )
        return SQL("(%s)", SQL(" OR ").join(conditions)) if conditions else SQL("FALSE")

    @api.model
    def _first_won_leads_sql(self, window):
        """SQL of one row per customer that has a won lead, about their first
        won lead (earliest closing date): ``customer_id``, ``lead_id``,
        ``source_id``, ``medium_id``, ``campaign_id`` and ``is_marketing``."""
        return SQL(
            """
            SELECT DISTINCT ON (p.commercial_partner_id)
                   p.commercial_partner_id AS customer_id, l.id AS lead_id,
                   l.source_id, l.medium_id, l.campaign_id, %s AS is_marketing
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
             WHERE l.won_status = 'won' AND %s
             ORDER BY p.commercial_partner_id, l.date_closed, l.id
            """,
            self._marketing_condition("l", window),
            self._company_clause(SQL("l.company_id"), window),
        )

    @api.model
    def _customer_sources_sql(self, window):
        """SQL of one row per customer that has a won lead, from their first
        won lead (earliest closing date): ``customer_id``, ``is_marketing``
        (whether it is marketing-sourced) and its ``source_id``,
        ``medium_id`` and ``campaign_id``, the UTM a customer is counted for."""
        if "sources" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["sources"]))
        return SQL(
            """
            SELECT fw.customer_id, fw.is_marketing, fw.source_id, fw.medium_id, fw.campaign_id
              FROM (%s) fw
            """,
            self._first_won_leads_sql(window),
        )

    @api.model
    def _new_customers(self, definition, window):
        """Customers whose first purchase falls in the period: ``new`` and
        ``marketing`` (the marketing-sourced ones), for the company and per
        :meth:`_customer_dimensions`. Computed once per window (by every
        dimension) and shared by CAC and the marketing share."""
        rows = self._shared(
            window,
            ("new_customers",),
            lambda: self._grouped(
                None,
                self._customer_dimensions(),
                {
                    "new": SQL("COUNT(*)"),
                    "marketing": SQL("COUNT(*) FILTER (WHERE src.is_marketing)"),
                },
                SQL(
                    """
                    FROM (%(first)s) f
                    LEFT JOIN (%(sources)s) src ON src.customer_id = f.customer_id
                    WHERE f.first_day >= %(date_from)s AND f.first_day < %(date_to)s
                    """,
                    first=self._first_purchases_sql(window),
                    sources=self._customer_sources_sql(window),
                    date_from=window.date_from,
                    date_to=window.date_to,
                ),
            ),
        )
        return self._allowed_rows(definition, rows)

    @api.model
    def _new_customer_revenue(self, definition, window):
        """Revenue (company currency) of the period's purchases by customers
        whose first purchase falls in the period: ``revenue`` for all of
        them and ``marketing_revenue`` for the marketing-sourced ones, for
        the company and per :meth:`_customer_dimensions`. Computed once per
        window (by every dimension) and shared by net new revenue, the
        marketing revenue share and the marketing ROI."""
        return self._allowed_rows(
            definition,
            self._shared(
                window,
                ("new_customer_revenue",),
                lambda: self._new_customer_revenue_query(window),
            ),
        )

    @api.model
    def _new_customer_revenue_query(self, window):
        rows = self._grouped(
            None,
            self._customer_dimensions("x", "x"),
            {
                "revenue": SQL("SUM(x.amount)"),
                "marketing_revenue": SQL("SUM(x.amount) FILTER (WHERE x.is_marketing)"),
            },
            SQL(
                """
                FROM (
                    -- both materialized: joining the new customers to an
                    -- inlined event union would rescan it per customer
                    WITH kpi_new AS MATERIALIZED (
                        SELECT f.customer_id, f.team_id, f.user_id FROM (%(first)s) f
                         WHERE f.first_day >= %(date_from)s AND f.first_day < %(date_to)s
                    ),
                    kpi_period_events AS MATERIALIZED (
                        SELECT * FROM (%(events)s) e
                         WHERE e.day >= %(date_from)s AND e.day < %(date_to)s
                    )
                    SELECT ev.amount, ev.currency_id, n.team_id, n.user_id, src.is_marketing,
                           src.source_id, src.medium_id, src.campaign_id
                      FROM kpi_period_events ev
                      JOIN kpi_new n ON n.customer_id = ev.customer_id
                      LEFT JOIN (%(sources)s) src ON src.customer_id = ev.customer_id
                ) x
                """,
                events=self._purchase_events_sql(window),
                first=self._first_purchases_sql(window),
                sources=self._customer_sources_sql(window),
                date_from=window.date_from,
                date_to=window.date_to,
            ),
            currency=SQL("x.currency_id"),
        )
        return self._in_company_currency(rows, ["revenue", "marketing_revenue"], window)

    @api.model
    def _kpi_net_new_revenue(self, definition, window):
        rows = self._new_customer_revenue(definition, window)
        return self._rows(rows, lambda r: metrics.net_new_revenue(r["revenue"]))

    @api.model
    def _kpi_net_new_revenue_records(self, definition, window, row=None):
        return self._customer_records(window, "new", row)

    @api.model
    def _kpi_cac(self, definition, window):
        """Acquisition costs / new customers; per UTM, the costs tagged with
        it / the new customers whose first won lead carries it."""
        rows = self._merge(
            self._costs(definition, window, "acquisition"),
            self._new_customers(definition, window),
            defaults={"costs": 0, "new": 0},
        )
        return self._rows(
            rows, lambda r: metrics.cac(acquisition_costs=r["costs"], new_customers=r["new"])
        )

    @api.model
    def _kpi_cac_records(self, definition, window, row=None):
        return self._costs_records(window, "acquisition", row)

    @api.model
    def _kpi_cac_empty_reason(self):
        return self.env._("No new customer in this period.")

    @api.model
    def _kpi_marketing_share(self, definition, window):
        return self._rows(
            self._new_customers(definition, window),
            lambda r: metrics.marketing_share(
                marketing_new_customers=r["marketing"], new_customers=r["new"]
            ),
        )

    @api.model
    def _kpi_marketing_share_records(self, definition, window, row=None):
        return self._customer_records(window, "new", row)

    @api.model
    def _kpi_marketing_revenue_share(self, definition, window):
        return self._rows(
            self._new_customer_revenue(definition, window),
            lambda r: metrics.marketing_revenue_share(
                marketing_revenue=r["marketing_revenue"], new_customer_revenue=r["revenue"]
            ),
        )

    @api.model
    def _kpi_marketing_revenue_share_records(self, definition, window, row=None):
        return self._customer_records(window, "new", row)

    @api.model
    def _kpi_marketing_roi(self, definition, window):
        """Revenue of marketing-sourced new customers against the acquisition
        costs tagged with a marketing campaign, medium or source; per UTM,
        the revenue of the customers whose first won lead carries it against
        the costs tagged with it."""
        rows = self._merge(
            self._costs(
                definition, window, "acquisition", self._marketing_condition("cost", window)
            ),
            self._new_customer_revenue(definition, window),
            defaults={"costs": 0, "marketing_revenue": 0},
        )
        return self._rows(
            rows,
            lambda r: metrics.marketing_roi(revenue=r["marketing_revenue"], costs=r["costs"]),
        )

    @api.model
    def _kpi_marketing_roi_records(self, definition, window, row=None):
        return self._costs_records(window, "acquisition", row)

    @api.model
    def _kpi_marketing_roi_empty_reason(self):
        return self.env._("No marketing cost recorded yet for this period (Inputs → Costs).")

    @api.model
    def _visitors_sql(self, window):
        """SQL of (source_id, medium_id, campaign_id, visitors) rows: the web
        traffic recorded in ``crm.kpi.traffic`` for the period."""
        return SQL(
            """
            SELECT t.source_id, t.medium_id, t.campaign_id, t.visitors FROM crm_kpi_traffic t
             WHERE t.company_id = %s AND t.date >= %s AND t.date < %s
            """,
            window.company.id,
            window.date_from,
            window.date_to,
        )

    @api.model
    def _kpi_traffic_to_lead(self, definition, window):
        utm = ("source", "medium", "campaign")
        leads = self._grouped(
            definition,
            {dim: expr for dim, expr in self._lead_dimensions().items() if dim in utm},
            {"leads": SQL("COUNT(*)")},
            self._created_leads_where(window),
        )
        visitors = self._grouped(
            definition,
            {dim: expr for dim, expr in self._lead_dimensions("v").items() if dim in utm},
            {"visitors": SQL("SUM(v.visitors)")},
            SQL("FROM (%s) v", self._visitors_sql(window)),
        )
        rows = self._merge(leads, visitors, defaults={"leads": 0, "visitors": 0})
        return self._rows(
            rows, lambda r: metrics.traffic_to_lead(leads=r["leads"], visitors=r["visitors"])
        )

    @api.model
    def _kpi_traffic_to_lead_records(self, definition, window, row=None):
        return self._created_leads_records(window, row)

    @api.model
    def _kpi_traffic_to_lead_empty_reason(self):
        return self.env._("No web traffic recorded for this period (Inputs → Web Traffic).")
