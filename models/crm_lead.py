from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Context key set while the ledger is being written, so that the nested
# writes of a lead's own write() do not log the same change twice.
SKIP_STAGE_LEDGER = "crm_kpi_skip_stage_ledger"

# crm.lead.stage_id is computed from these fields as well (_compute_stage_id).
STAGE_TRIGGERS = ("stage_id", "team_id", "type")

SECONDS_PER_DAY = 86400.0


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Opportunities closed in a period (win rate, sales cycle, quota, stage
    # drop-off): Odoo does not index the closing date.
    _kpi_date_closed_idx = models.Index("(date_closed) WHERE date_closed IS NOT NULL")

    kpi_stage_stay_ids = fields.One2many(
        "crm.kpi.stage.stay",
        "lead_id",
        string="Stage History",
        groups="crm_kpi.crm_kpi_group_user",
        readonly=True,
    )
    kpi_days_in_stage = fields.Float(
        string="Days in Stage",
        compute="_compute_kpi_days_in_stage",
        help="Days since the lead entered its current stage (from the stage "
        "history; a lead that came back to a stage counts from its return).",
    )
    kpi_cycle_days = fields.Float(
        string="Cycle Days",
        compute="_compute_kpi_cycle_days",
        help="Won opportunities: days from creation to the won date.",
    )
    kpi_is_marketing = fields.Boolean(
        string="Marketing-Sourced",
        compute="_compute_kpi_is_marketing",
        store=True,
        help="Tagged with a UTM campaign, medium or source that the company "
        "counts as marketing (company settings).",
    )
    kpi_is_stale = fields.Boolean(
        string="Stale",
        compute="_compute_kpi_is_stale",
        store=True,
        help="Still open, with no planned activity and no stage change for "
        "the company's stale delay (refreshed daily; the same rule as the "
        "lead abandonment KPI).",
    )
    kpi_is_first_deal = fields.Boolean(
        string="First Deal of the Customer",
        compute="_compute_kpi_is_first_deal",
        help="The first won opportunity of its customer (commercial entity), "
        "the one that gives the customer's acquisition source.",
    )

    def _kpi_company(self):
        """The company whose KPI settings apply: the lead's, else the company
        that counts records without a company."""
        self.ensure_one()
        return self.company_id or self.env["crm.kpi.engine"]._unassigned_owner()

    def _compute_kpi_days_in_stage(self):
        now = fields.Datetime.now()
        lead_ids = [lead_id for lead_id in self._origin.ids if lead_id]
        entered = {}
        if lead_ids:
            stays = self.env["crm.kpi.stage.stay"]
            stays.flush_model(["lead_id", "date_in", "date_out"])
            entered = dict(self.env.execute_query(SQL(
                """
                SELECT lead_id, MAX(date_in) FROM %s
                 WHERE lead_id = ANY(%s) AND date_out IS NULL GROUP BY lead_id
                """,
                SQL.identifier(stays._table),
                lead_ids,
            )))
        for lead in self:
            since = entered.get(lead._origin.id) or lead.date_last_stage_update or lead.create_date
            lead.kpi_days_in_stage = (
                max((now - since).total_seconds(), 0.0) / SECONDS_PER_DAY if since else 0.0
            )

    @api.depends("won_status", "create_date", "date_closed")
    def _compute_kpi_cycle_days(self):
        for lead in self:
            if lead.won_status == "won" and lead.create_date and lead.date_closed:
                delta = lead.date_closed - lead.create_date
                lead.kpi_cycle_days = delta.total_seconds() / SECONDS_PER_DAY
            else:
                lead.kpi_cycle_days = 0.0

    @api.depends(
        "campaign_id",
        "medium_id",
        "source_id",
        "company_id.kpi_marketing_campaigns",
        "company_id.kpi_marketing_medium_ids",
        "company_id.kpi_marketing_source_ids",
    )
    def _compute_kpi_is_marketing(self):
        for lead in self:
            company = lead._kpi_company()
            lead.kpi_is_marketing = bool(
                (company.kpi_marketing_campaigns and lead.campaign_id)
                or (lead.medium_id and lead.medium_id in company.kpi_marketing_medium_ids)
                or (lead.source_id and lead.source_id in company.kpi_marketing_source_ids)
            )

    @api.depends(
        "active", "won_status", "date_last_stage_update", "activity_ids", "company_id.kpi_stale_days"
    )
    def _compute_kpi_is_stale(self):
        now = fields.Datetime.now()
        for lead in self:
            since = lead.date_last_stage_update or lead.create_date or now
            stale_since = now - timedelta(days=lead._kpi_company().kpi_stale_days)
            lead.kpi_is_stale = bool(
                lead.active
                and lead.won_status == "pending"
                and since < stale_since
                and not lead.activity_ids
            )

    @api.depends("won_status", "partner_id", "date_closed")
    def _compute_kpi_is_first_deal(self):
        self.kpi_is_first_deal = False
        won = self.filtered(lambda lead: lead.won_status == "won" and lead._origin.id)
        if not won:
            return
        self.env["crm.lead"].flush_model()
        engine = self.env["crm.kpi.engine"]
        first_ids = set()
        for company in {lead._kpi_company() for lead in won}:
            first_ids.update(row[0] for row in self.env.execute_query(SQL(
                """
                SELECT fw.lead_id FROM (%s) fw
                  JOIN res_partner p ON p.commercial_partner_id = fw.customer_id
                 WHERE p.id = ANY(%s)
                """,
                engine._first_won_leads_sql(engine._record_context(company)),
                list(set(won.partner_id.ids)),
            )))
        for lead in won:
            lead.kpi_is_first_deal = lead._origin.id in first_ids

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["crm.kpi.stage.stay"]._open_stays(leads, fields.Datetime.now())
        return leads

    def write(self, vals):
        if self.env.context.get(SKIP_STAGE_LEDGER) or not any(
            name in vals for name in STAGE_TRIGGERS
        ):
            return super().write(vals)
        old_stage_ids = {lead.id: lead.stage_id.id for lead in self}
        result = super(CrmLead, self.with_context(**{SKIP_STAGE_LEDGER: True})).write(
            vals
        )
        moved = self.filtered(lambda lead: lead.stage_id.id != old_stage_ids[lead.id])
        if moved:
            moved._kpi_log_stage_change()
        return result

    def _kpi_log_stage_change(self):
        """Close the open stay of each lead and open one in its new stage."""
        now = fields.Datetime.now()
        stays = self.env["crm.kpi.stage.stay"]
        stays._close_stays(self, now)
        stays._open_stays(self, now)

    @api.model
    def _kpi_refresh_lead_flags(self, company):
        """Refresh the stale and marketing flags of the company's leads with
        one set-based UPDATE (called daily by the scheduled action: staleness
        depends on time passing, and company settings may have changed)."""
        self.env.flush_all()
        engine = self.env["crm.kpi.engine"]
        context = engine._record_context(company)
        stale = SQL("(l.active AND %s)", engine._lead_stale_condition(context))
        marketing = engine._marketing_condition("l", context)
        self.env.cr.execute(SQL(
            """
            UPDATE crm_lead l SET kpi_is_stale = %(stale)s, kpi_is_marketing = %(marketing)s
             WHERE %(company)s
               AND (l.kpi_is_stale IS DISTINCT FROM %(stale)s
                    OR l.kpi_is_marketing IS DISTINCT FROM %(marketing)s)
            """,
            stale=stale,
            marketing=marketing,
            company=engine._company_clause(SQL("l.company_id"), context),
        ))
        self.invalidate_model(["kpi_is_stale", "kpi_is_marketing"])
