# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import SQL

SECONDS_PER_DAY = 86400.0


class CrmKpiStageStay(models.Model):
    """One stay of a lead in a pipeline stage: the append-only stage ledger.

    Rows are written by the module only (sudo), when a lead is created and on
    every stage change; the KPI engine reads them with SQL to measure the time
    spent per stage. Users read them, nobody edits them.
    """

    _name = "crm.kpi.stage.stay"
    _description = "CRM KPI Lead Stage Stay"
    _order = "date_in desc, id desc"
    _rec_name = "stage_id"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    stage_id = fields.Many2one("crm.stage", required=True, ondelete="restrict", index=True)
    date_in = fields.Datetime(string="Entered On", required=True)
    date_out = fields.Datetime(string="Left On", help="Empty while the lead is still in the stage.")
    user_id = fields.Many2one("res.users", string="Salesperson")
    team_id = fields.Many2one("crm.team", string="Sales Team")
    company_id = fields.Many2one("res.company")
    duration_days = fields.Float(
        string="Days in Stage",
        compute="_compute_duration_days",
        store=True,
        aggregator="avg",
        help="Time between entering and leaving the stage, in days; empty "
        "while the lead is still in the stage.",
    )
    is_backfilled = fields.Boolean(
        string="Back-filled",
        readonly=True,
        help="Rebuilt from the tracked stage changes of the chatter when the "
        "add-on was installed, not recorded live.",
    )

    _stage_date_out_idx = models.Index("(stage_id, date_out)")
    # stays that ended in a period (time in stage, stage drop-off)
    _date_out_idx = models.Index("(date_out) WHERE date_out IS NOT NULL")

    @api.depends("date_in", "date_out")
    def _compute_duration_days(self):
        for stay in self:
            if stay.date_in and stay.date_out:
                delta = stay.date_out - stay.date_in
                stay.duration_days = delta.total_seconds() / SECONDS_PER_DAY
            else:
                stay.duration_days = False

    # ------------------------------------------------------------
    # Ledger writing (called by crm.lead, always as superuser)
    # ------------------------------------------------------------

    @api.model
    def _prepare_stay_vals(self, lead, date_in):
        return {
            "lead_id": lead.id,
            "stage_id": lead.stage_id.id,
            "date_in": date_in,
            "user_id": lead.user_id.id,
            "team_id": lead.team_id.id,
            "company_id": lead.company_id.id,
        }

    @api.model
    def _open_stays(self, leads, date_in):
        """Open a stay in the current stage of each of ``leads`` (one INSERT)."""
        vals_list = [self._prepare_stay_vals(lead, date_in) for lead in leads if lead.stage_id]
        if vals_list:
            self.sudo().create(vals_list)

    @api.model
    def _close_stays(self, leads, date_out):
        """Close the open stays of ``leads`` at ``date_out`` (one UPDATE)."""
        if not leads:
            return
        # flush every field: a pending recompute of duration_days would
        # otherwise overwrite the one set below
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s
                   SET date_out = %(date_out)s,
                       duration_days = EXTRACT(EPOCH FROM (%(date_out)s - date_in))
                                       / %(per_day)s,
                       write_date = %(now)s,
                       write_uid = %(uid)s
                 WHERE lead_id = ANY(%(lead_ids)s)
                   AND date_out IS NULL
                """,
                table=SQL.identifier(self._table),
                date_out=date_out,
                per_day=SECONDS_PER_DAY,
                now=self.env.cr.now(),
                uid=self.env.uid,
                lead_ids=leads.ids,
            )
        )
        self.invalidate_model(["date_out", "duration_days", "write_date", "write_uid"])

    # ------------------------------------------------------------
    # Back-fill from the chatter
    # ------------------------------------------------------------

    @api.model
    def _kpi_backfill_stage_stays(self, lead_ids=None):
        """Rebuild the stays of leads that have none from the tracked changes
        of ``crm.lead.stage_id`` (``mail.tracking.value``), in one INSERT.

        The first stay starts at the lead's creation, in the old stage of its
        first tracked change (or its current stage when the stage was never
        tracked); every tracked change closes the previous stay and opens one
        in the new stage; the last stay stays open. Salesperson, team and
        company are the lead's current ones. Leads that already have stays
        are left alone, so the method can be re-run safely.

        :param lead_ids: restrict to these leads (all leads by default)
        :return: number of stays inserted
        """
        self.env.flush_all()
        stage_field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        lead_filter = SQL("TRUE")
        if lead_ids is not None:
            lead_filter = SQL("lead.id = ANY(%s)", list(lead_ids))
        self.env.cr.execute(
            SQL(
                """
                WITH leads AS (
                    SELECT lead.id, lead.create_date, lead.stage_id,
                           lead.user_id, lead.team_id, lead.company_id
                      FROM crm_lead lead
                     WHERE %(lead_filter)s
                       AND NOT EXISTS (
                           SELECT 1 FROM %(table)s stay WHERE stay.lead_id = lead.id
                       )
                ),
                changes AS (
                    SELECT msg.res_id AS lead_id,
                           COALESCE(msg.date, val.create_date) AS changed_at,
                           val.old_value_integer AS old_stage_id,
                           val.new_value_integer AS new_stage_id,
                           ROW_NUMBER() OVER (
                               PARTITION BY msg.res_id
                               ORDER BY COALESCE(msg.date, val.create_date), val.id
                           ) AS seq
                      FROM mail_tracking_value val
                      JOIN mail_message msg ON msg.id = val.mail_message_id
                      JOIN leads ON leads.id = msg.res_id
                     WHERE msg.model = 'crm.lead'
                       AND val.field_id = %(field_id)s
                ),
                stays AS (
                    -- the first stay: from creation to the first change
                    SELECT leads.id AS lead_id,
                           COALESCE(first.old_stage_id, leads.stage_id) AS stage_id,
                           leads.create_date AS date_in,
                           first.changed_at AS date_out
                      FROM leads
                 LEFT JOIN changes first ON first.lead_id = leads.id AND first.seq = 1
                    UNION ALL
                    -- one stay per change, until the next change
                    SELECT change.lead_id,
                           change.new_stage_id,
                           change.changed_at,
                           LEAD(change.changed_at) OVER (
                               PARTITION BY change.lead_id ORDER BY change.seq
                           )
                      FROM changes change
                )
                INSERT INTO %(table)s (
                    lead_id, stage_id, date_in, date_out, duration_days,
                    user_id, team_id, company_id, is_backfilled,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT stays.lead_id, stays.stage_id, stays.date_in, stays.date_out,
                       EXTRACT(EPOCH FROM (stays.date_out - stays.date_in)) / %(per_day)s,
                       leads.user_id, leads.team_id, leads.company_id, TRUE,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM stays
                  JOIN leads ON leads.id = stays.lead_id
                  JOIN crm_stage stage ON stage.id = stays.stage_id
                 WHERE stays.date_in IS NOT NULL
                """,
                lead_filter=lead_filter,
                table=SQL.identifier(self._table),
                field_id=stage_field.id,
                per_day=SECONDS_PER_DAY,
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        return count
