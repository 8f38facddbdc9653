from odoo import api, fields, models

# Context key set while the ledger is being written, so that the nested
# writes of a lead's own write() do not log the same change twice.
SKIP_STAGE_LEDGER = "crm_kpi_skip_stage_ledger"

# crm.lead.stage_id is computed from these fields as well (_compute_stage_id).
STAGE_TRIGGERS = ("stage_id", "team_id", "type")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kpi_stage_stay_ids = fields.One2many(
        "crm.kpi.stage.stay",
        "lead_id",
        string="Stage History",
        groups="crm_kpi.crm_kpi_group_user",
        readonly=True,
    )

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
