# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, split_every

from ..engine import metrics
from .crm_kpi_feedback import NPS_CATEGORIES
from .crm_kpi_snapshot import TRANSACTION_CONFLICTS

_logger = logging.getLogger(__name__)

# When the customer facts were last refreshed (UTC, the start of the run).
REFRESHED_AT_PARAM = "crm_kpi.customer_fields_refreshed_at"

CUSTOMER_STATUSES = [
    ("prospect", "Prospect"),
    ("active", "Active"),
    ("churned", "Churned"),
]

# Stored, company-dependent customer facts written by
# _kpi_refresh_customer_fields: {field name: column of the facts query}.
CUSTOMER_FACT_COLUMNS = {
    "kpi_customer_since": "first_day",
    "kpi_last_purchase": "last_day",
    "kpi_customer_status": "status",
    "kpi_churn_date": "churn_date",
    "kpi_lifetime_revenue": "revenue",
    "kpi_purchase_count": "purchases",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Commercial figures: the kpi_* fields are readable (and searchable) by
    # KPI Users and salespeople only (the movement count by KPI Users, like
    # the ledger it counts), so the partner form still opens for any internal
    # user; the engine and the crons read them in SQL or as superuser.

    # Stored per company (company-dependent), refreshed by the daily
    # scheduled action: they depend on time passing and on other models.
    kpi_customer_since = fields.Date(
        string="Customer Since",
        company_dependent=True,
        index=False,
        readonly=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Date of the first purchase (confirmed order, posted invoice or "
        "subscription start) of the commercial entity, in this company.",
    )
    kpi_last_purchase = fields.Date(
        string="Last Purchase",
        company_dependent=True,
        index=False,
        readonly=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_customer_status = fields.Selection(
        CUSTOMER_STATUSES,
        string="Customer Status",
        company_dependent=True,
        index=False,
        readonly=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Prospect: never bought. Active: a subscription in progress or a "
        "purchase within the company's activity window. Churned: a former "
        "customer who is no longer active. Refreshed every 15 minutes for "
        "customers with new documents, and daily for all.",
    )
    kpi_churn_date = fields.Date(
        string="Churn Date",
        company_dependent=True,
        index=False,
        readonly=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="First day the churned customer was no longer active.",
    )
    kpi_lifetime_revenue = fields.Float(
        string="Lifetime Revenue",
        company_dependent=True,
        index=False,
        readonly=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        digits=(16, 2),
        help="Untaxed confirmed orders, invoices of no order and subscription "
        "starts not created by an order, less credit notes, in the company "
        "currency at today's rate. Refreshed every 15 minutes for customers "
        "with new documents, and daily for all. Left at 0 when one of them is "
        "in a currency without exchange rate.",
    )
    kpi_purchase_count = fields.Integer(
        string="Purchases",
        company_dependent=True,
        index=False,
        readonly=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Confirmed orders and subscription starts.",
    )
    # Computed on the fly, in batch, for the current company.
    kpi_currency_id = fields.Many2one(
        "res.currency",
        string="KPI Currency",
        compute="_compute_kpi_currency_id",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_mrr = fields.Monetary(
        string="Current MRR",
        currency_field="kpi_currency_id",
        compute="_compute_kpi_mrr",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Monthly recurring revenue of the subscriptions in progress, in the company currency.",
    )
    kpi_clv = fields.Monetary(
        string="Lifetime Value",
        currency_field="kpi_currency_id",
        compute="_compute_kpi_clv",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="The company's CLV method applied to this customer's last 12 "
        "months (revenue, purchases, MRR), with the company-wide lifetime, "
        "CAC and churn rate.",
    )
    kpi_nps_score = fields.Integer(
        string="Latest NPS",
        compute="_compute_kpi_feedback",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_nps_category = fields.Selection(
        NPS_CATEGORIES,
        string="NPS Category",
        compute="_compute_kpi_feedback",
        search="_search_kpi_nps_category",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_ces_score = fields.Integer(
        string="Latest CES",
        compute="_compute_kpi_feedback",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_source_id = fields.Many2one(
        "utm.source",
        string="Acquisition Source",
        compute="_compute_kpi_acquisition",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_medium_id = fields.Many2one(
        "utm.medium",
        string="Acquisition Medium",
        compute="_compute_kpi_acquisition",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_campaign_id = fields.Many2one(
        "utm.campaign",
        string="Acquisition Campaign",
        compute="_compute_kpi_acquisition",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    # Counted with the reader's rights on the movement ledger, which only
    # KPI Users may read.
    kpi_movement_count = fields.Integer(
        string="Subscription Movements",
        compute="_compute_kpi_movement_count",
        groups="crm_kpi.crm_kpi_group_user",
    )

    # ------------------------------------------------------------
    # Computes (one or a few queries for the whole recordset)
    # ------------------------------------------------------------

    def _kpi_customer_ids(self):
        """{partner id: commercial partner id} of the saved partners."""
        return {
            partner.id: partner.commercial_partner_id.id
            for partner in self
            if isinstance(partner.id, int)
        }

    @api.depends_context("company")
    def _compute_kpi_currency_id(self):
        self.kpi_currency_id = self.env.company.currency_id

    @api.depends_context("company")
    def _compute_kpi_mrr(self):
        customers = self._kpi_customer_ids()
        engine = self.env["crm.kpi.engine"]
        mrr = {}
        if customers:
            self.env["crm.kpi.subscription.movement"].flush_model()
            mrr = engine._customer_mrr(
                engine._record_window(self.env.company), set(customers.values())
            )
        for partner in self:
            partner.kpi_mrr = mrr.get(customers.get(partner.id)) or 0.0

    @api.depends_context("company")
    def _compute_kpi_clv(self):
        customers = self._kpi_customer_ids()
        self.kpi_clv = 0.0
        if not customers:
            return
        self.env.flush_all()
        engine = self.env["crm.kpi.engine"]
        company = self.env.company
        window = engine._record_window(company)
        inputs = engine._clv_company_inputs(window)
        customer_ids = set(customers.values())
        if company._kpi_setting("kpi_clv_method") == "subscription":
            mrr = engine._customer_mrr(window, customer_ids)
            for partner in self:
                customer_mrr = mrr.get(customers.get(partner.id), 0.0)
                value = (
                    customer_mrr is not None
                    and metrics.clv_subscription(
                        customer_mrr,
                        company.kpi_gross_margin,
                        inputs["monthly_churn"],
                    ).value
                )
                partner.kpi_clv = value or 0.0
            return
        trailing = engine._customer_trailing_revenue(window, customer_ids)
        for partner in self:
            revenue, purchases = trailing.get(customers.get(partner.id), (0.0, 0))
            if revenue is None:
                # an amount in a currency without rate: unknown, not 1:1
                value = None
            elif company._kpi_setting("kpi_clv_method") == "purchase":
                value = metrics.clv_purchase(
                    revenue=revenue,
                    purchases=purchases,
                    customers=1,
                    lifetime_years=inputs["lifetime"],
                ).value
            else:
                value = (
                    metrics.clv_margin_minus_cac(
                        revenue * company.kpi_gross_margin / 100.0,
                        inputs["lifetime"],
                        inputs["cac"],
                    ).value
                    if purchases
                    else None
                )
            partner.kpi_clv = value or 0.0

    def _kpi_latest_feedback_sql(self):
        """SQL of the latest feedback of each kind per commercial partner in
        the current company: ``customer_id``, ``kind``, ``score``, ``category``."""
        return SQL(
            """
            SELECT DISTINCT ON (fb.commercial_partner_id, fb.kind)
                   fb.commercial_partner_id AS customer_id, fb.kind, fb.score, fb.category
              FROM crm_kpi_feedback fb
             WHERE fb.company_id = %s
             ORDER BY fb.commercial_partner_id, fb.kind, fb.date DESC, fb.id DESC
            """,
            self.env.company.id,
        )

    @api.depends_context("company")
    def _compute_kpi_feedback(self):
        customers = self._kpi_customer_ids()
        latest = {}
        if customers:
            self.env["crm.kpi.feedback"].flush_model()
            rows = self.env.execute_query(
                SQL(
                    "SELECT customer_id, kind, score, category FROM (%s) f"
                    " WHERE customer_id = ANY(%s)",
                    self._kpi_latest_feedback_sql(),
                    list(set(customers.values())),
                )
            )
            latest = {
                (customer_id, kind): (score, category)
                for customer_id, kind, score, category in rows
            }
        for partner in self:
            customer_id = customers.get(partner.id)
            nps_score, nps_category = latest.get((customer_id, "nps"), (0, False))
            partner.kpi_nps_score = nps_score
            partner.kpi_nps_category = nps_category
            partner.kpi_ces_score = latest.get((customer_id, "ces"), (0, False))[0]

    def _search_kpi_nps_category(self, operator, value):
        # Odoo checks the field's groups when it turns a condition into SQL,
        # not before calling a search method: refuse here like a stored field.
        self._check_field_access(self._fields["kpi_nps_category"], "read")
        if operator != "in":
            return NotImplemented
        self.env["crm.kpi.feedback"].flush_model()
        return Domain(
            "id",
            "in",
            SQL(
                """
            SELECT p.id FROM res_partner p
              JOIN (%s) f ON f.customer_id = p.commercial_partner_id AND f.kind = 'nps'
             WHERE f.category = ANY(%s)
            """,
                self._kpi_latest_feedback_sql(),
                [category for category in value if category],
            ),
        )

    @api.depends_context("company")
    def _compute_kpi_acquisition(self):
        customers = self._kpi_customer_ids()
        first = {}
        if customers:
            self.env["crm.lead"].flush_model()
            engine = self.env["crm.kpi.engine"]
            rows = self.env.execute_query(
                SQL(
                    """
                SELECT customer_id, source_id, medium_id, campaign_id FROM (%s) fw
                 WHERE customer_id = ANY(%s)
                """,
                    engine._first_won_leads_sql(engine._record_window(self.env.company)),
                    list(set(customers.values())),
                )
            )
            first = {row[0]: row[1:] for row in rows}
        for partner in self:
            source_id, medium_id, campaign_id = first.get(
                customers.get(partner.id), (False, False, False)
            )
            partner.kpi_source_id = source_id
            partner.kpi_medium_id = medium_id
            partner.kpi_campaign_id = campaign_id

    @api.depends_context("company")
    def _compute_kpi_movement_count(self):
        customers = self._kpi_customer_ids()
        counts = (
            dict(
                self.env["crm.kpi.subscription.movement"]._read_group(
                    [
                        ("partner_id", "in", list(set(customers.values()))),
                        ("company_id", "=", self.env.company.id),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
            )
            if customers
            else {}
        )
        counts = {partner.id: count for partner, count in counts.items()}
        for partner in self:
            partner.kpi_movement_count = counts.get(customers.get(partner.id), 0)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_kpi_view_movements(self):
        """The subscription movements (MRR history) of the customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_kpi.crm_kpi_subscription_movement_action"
        )
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id),
        ]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # Refresh of the stored customer facts
    # ------------------------------------------------------------

    def _kpi_refresh_customer_fields(self, company):
        """Recompute the stored customer facts of the commercial entities of
        ``self`` for ``company`` and write them on the entities and all
        their contacts: one set-based UPDATE whatever the number of partners.
        Partners that were customers and no longer have any purchase lose
        their value (back to prospect)."""
        customer_ids = list(set(self.commercial_partner_id.ids))
        if not customer_ids:
            return
        self.env.flush_all()
        engine = self.env["crm.kpi.engine"]
        window = engine._record_window(company)
        key = str(company.id)
        values = {
            "first_day": SQL("f.first_day"),
            "last_day": SQL("f.last_day"),
            "status": SQL("CASE WHEN f.is_active THEN 'active' ELSE 'churned' END"),
            "churn_date": SQL("f.churn_date"),
            "revenue": SQL("ROUND(f.revenue::numeric, 2)"),
            "purchases": SQL("f.purchases"),
        }
        assignments = SQL(", ").join(
            SQL(
                """%(col)s = CASE WHEN f.customer_id IS NULL THEN p.%(col)s - %(key)s
                    ELSE (COALESCE(p.%(col)s, '{}'::jsonb) - %(key)s)
                         || jsonb_strip_nulls(jsonb_build_object(%(key)s, %(value)s))
                    END""",
                col=SQL.identifier(field_name),
                key=key,
                value=values[column],
            )
            for field_name, column in CUSTOMER_FACT_COLUMNS.items()
        )
        self.env.cr.execute(
            SQL(
                """
            WITH kpi_facts AS (%(facts)s)
            UPDATE res_partner p SET %(assignments)s
              FROM res_partner cp
              LEFT JOIN kpi_facts f ON f.customer_id = cp.id
             WHERE p.commercial_partner_id = cp.id AND cp.id = ANY(%(ids)s)
               AND (f.customer_id IS NOT NULL OR p.kpi_customer_status ? %(key)s)
            """,
                facts=engine._customer_record_facts_sql(window, customer_ids),
                assignments=assignments,
                ids=customer_ids,
                key=key,
            )
        )
        self.invalidate_model(list(CUSTOMER_FACT_COLUMNS))

    @api.model
    def _cron_refresh_kpi_fields(self, batch_size=1000):
        """Daily: refresh the stored KPI fields that depend on time passing or
        on other models (the customer facts of every commercial partner),
        company by company, in batches of commercial partners, committing
        after each unit of work."""
        self._kpi_refresh_customers(
            self._kpi_commercial_entity_ids(), batch_size=batch_size, commit=True
        )

    @api.model
    def _kpi_commercial_entity_ids(self):
        """Ids of every commercial entity (partners that are their own)."""
        return [
            row[0]
            for row in self.env.execute_query(
                SQL("SELECT id FROM res_partner WHERE id = commercial_partner_id ORDER BY id")
            )
        ]

    @api.model
    def _cron_refresh_changed_kpi_fields(self, batch_size=1000):
        """Every few minutes: refresh the customer facts of the commercial
        partners whose documents changed since the last refresh."""
        self._kpi_refresh_changed_customers(batch_size=batch_size, commit=True)

    @api.model
    def _kpi_refresh_changed_customers(self, batch_size=1000, commit=False):
        """Refresh the customer facts of the commercial partners whose
        orders, customer invoices, subscriptions, subscription movements or
        own partner records were written since the last refresh (all of them
        when there was none), in every company. Set-based: one query finds
        them, one UPDATE per company and batch refreshes them. Returns the
        ids refreshed."""
        since = self.env["ir.config_parameter"].sudo().get_param(REFRESHED_AT_PARAM)
        if not since:
            return self._kpi_refresh_customers(
                self._kpi_commercial_entity_ids(), batch_size=batch_size, commit=commit
            )
        customer_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
            SELECT p.commercial_partner_id FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id WHERE so.write_date >= %(since)s
            UNION
            SELECT am.commercial_partner_id FROM account_move am
             WHERE am.write_date >= %(since)s AND am.move_type IN ('out_invoice', 'out_refund')
            UNION
            SELECT p.commercial_partner_id FROM sale_subscription s
              JOIN res_partner p ON p.id = s.partner_id WHERE s.write_date >= %(since)s
            UNION
            SELECT p.commercial_partner_id FROM crm_kpi_subscription_movement m
              JOIN res_partner p ON p.id = m.partner_id WHERE m.write_date >= %(since)s
            UNION
            SELECT commercial_partner_id FROM res_partner WHERE write_date >= %(since)s
            ORDER BY 1
            """,
                    since=since,
                )
            )
            if row[0]
        ]
        return self._kpi_refresh_customers(customer_ids, batch_size=batch_size, commit=commit)

    @api.model
    def _kpi_refresh_customers(self, customer_ids, batch_size=1000, commit=False):
        """Refresh the customer facts of the commercial partners
        ``customer_ids`` in every company, in units of (company, batch of
        partners), each in a savepoint so that one failing unit does not
        stop the others; with ``commit`` (scheduled actions), commit after
        each unit. When every unit is done, remember the start of the run
        as the last refresh (documents written since then are refreshed by
        the next incremental run). Returns the ids refreshed."""
        started = self.env.cr.now()
        # all of them on purpose (every company, a handful)
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        units = [
            (company, chunk)
            for company in companies
            for chunk in split_every(batch_size, customer_ids)
        ]
        cron = self.env["ir.cron"]
        if commit:
            cron._commit_progress(remaining=len(units))
        for company, chunk in units:
            try:
                with self.env.cr.savepoint():
                    self.sudo().browse(chunk)._kpi_refresh_customer_fields(company)
            except TRANSACTION_CONFLICTS:
                raise
            except Exception:  # noqa: BLE001 -- isolate one unit's failure
                _logger.exception("KPI field refresh failed for %s", company.name)
            if commit and cron._commit_progress(1) <= 0:
                return customer_ids
        self.env["ir.config_parameter"].sudo().set_param(
            REFRESHED_AT_PARAM, fields.Datetime.to_string(started)
        )
        return customer_ids
