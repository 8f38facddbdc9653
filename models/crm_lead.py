# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.fields import Domain
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
    # Not stored: a stored flag would be recomputed on every write of a
    # lead's UTM, stage, activities or state (Odoo's lead assignment and mass
    # writes), and staleness changes with time alone. Both are evaluated by
    # the same SQL condition as the engine's KPIs, for display and in search.
    kpi_is_marketing = fields.Boolean(
        string="Marketing-Sourced",
        compute="_compute_kpi_flags",
        search="_search_kpi_is_marketing",
        help="Tagged with a UTM campaign, medium or source that the company "
        "counts as marketing (company settings).",
    )
    kpi_is_stale = fields.Boolean(
        string="Stale",
        compute="_compute_kpi_flags",
        search="_search_kpi_is_stale",
        help="Still open, with no planned activity and no stage change for "
        "the company's stale delay (the same rule as the lead abandonment KPI).",
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
            entered = dict(
                self.env.execute_query(
                    SQL(
                        """
                SELECT lead_id, MAX(date_in) FROM %s
                 WHERE lead_id = ANY(%s) AND date_out IS NULL GROUP BY lead_id
                """,
                        SQL.identifier(stays._table),
                        lead_ids,
                    )
                )
            )
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

    @api.model
    def _kpi_flag_condition(self, flag):
        """SQL condition on ``l`` (crm_lead): the lead has the flag (``marketing``
        or ``stale``) under the settings of the company it belongs to. One
        branch per company; leads without a company follow the company that
        counts them (the engine's rule)."""
        engine = self.env["crm.kpi.engine"]
        branches = []
        # all of them on purpose (every company, a handful)
        for company in self.env["res.company"].sudo().search([], order="id"):  # pylint: disable=no-search-all
            window = engine._record_window(company)
            if flag == "marketing":
                condition = engine._marketing_condition("l", window)
            else:
                condition = SQL("(l.active AND %s)", engine._lead_stale_condition(window))
            branches.append(
                SQL("(%s AND %s)", engine._company_clause(SQL("l.company_id"), window), condition)
            )
        return SQL("(%s)", SQL(" OR ").join(branches)) if branches else SQL("FALSE")

    def _kpi_flag_domain(self, flag, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        self.env["crm.lead"].flush_model()
        self.env["mail.activity"].flush_model(["res_model", "res_id"])
        condition = self._kpi_flag_condition(flag)
        flagged = Domain.custom(
            to_sql=lambda model, alias, query: SQL(
                "%s IN (SELECT l.id FROM crm_lead l WHERE %s)",
                SQL.identifier(alias, "id"),
                condition,
            ),
            predicate=lambda lead: lead[f"kpi_is_{flag}"],
        )
        wanted = {bool(item) for item in value}
        if operator == "not in":
            wanted = {True, False} - wanted
        if wanted == {True, False}:
            return Domain.TRUE
        if not wanted:
            return Domain.FALSE
        return flagged if True in wanted else ~flagged

    def _search_kpi_is_marketing(self, operator, value):
        return self._kpi_flag_domain("marketing", operator, value)

    def _search_kpi_is_stale(self, operator, value):
        return self._kpi_flag_domain("stale", operator, value)

    @api.depends(
        "active",
        "won_status",
        "stage_id",
        "date_last_stage_update",
        "activity_ids",
        "campaign_id",
        "medium_id",
        "source_id",
        "company_id",
        "company_id.kpi_stale_days",
        "company_id.kpi_marketing_campaigns",
        "company_id.kpi_marketing_medium_ids",
        "company_id.kpi_marketing_source_ids",
    )
    def _compute_kpi_flags(self):
        lead_ids = [lead_id for lead_id in self._origin.ids if lead_id]
        flagged = {"marketing": set(), "stale": set()}
        if lead_ids:
            self.env["crm.lead"].flush_model()
            self.env["mail.activity"].flush_model(["res_model", "res_id"])
            for flag, ids in flagged.items():
                ids.update(
                    row[0]
                    for row in self.env.execute_query(
                        SQL(
                            "SELECT l.id FROM crm_lead l WHERE l.id = ANY(%s) AND %s",
                            lead_ids,
                            self._kpi_flag_condition(flag),
                        )
                    )
                )
        for lead in self:
            lead.kpi_is_marketing = lead._origin.id in flagged["marketing"]
            lead.kpi_is_stale = lead._origin.id in flagged["stale"]

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
            first_ids.update(
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        """
                SELECT fw.lead_id FROM (%s) fw
                  JOIN res_partner p ON p.commercial_partner_id = fw.customer_id
                 WHERE p.id = ANY(%s)
                """,
                        engine._first_won_leads_sql(engine._record_window(company)),
                        list(set(won.partner_id.ids)),
                    )
                )
            )
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
        result = super(CrmLead, self.with_context(**{SKIP_STAGE_LEDGER: True})).write(vals)
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
