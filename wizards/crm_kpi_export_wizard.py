# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..models.crm_kpi_snapshot import PERIOD_TYPE_SELECTION


class CrmKpiExportWizard(models.TransientModel):
    """Choose what goes into the XLSX board pack, then download it.

    The wizard only gathers options: the workbook is written by the report
    ``crm_kpi.report_kpi_board_pack`` from the snapshots the user may read.
    """

    _name = "crm.kpi.export.wizard"
    _description = "Export CRM KPIs to XLSX"

    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: self._default_date_from(),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)
    period_type = fields.Selection(PERIOD_TYPE_SELECTION, required=True, default="month")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    scope = fields.Selection(
        [
            ("company", "Whole company"),
            ("team", "Sales teams"),
            ("user", "Salespeople"),
        ],
        required=True,
        default="company",
        help="Besides the company summary, one sheet per chosen sales team or salesperson.",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        check_company=True,
        help="Leave empty for every team with KPI values in the range.",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Salespeople",
        domain="[('share', '=', False)]",
        help="Leave empty for every salesperson with KPI values in the range.",
    )
    kpi_ids = fields.Many2many(
        "crm.kpi.definition",
        string="KPIs",
        default=lambda self: self.env["crm.kpi.definition"].search([]),
        help="Leave empty to export every active KPI.",
    )
    include_goals = fields.Boolean(
        default=True, help="Add a Goals sheet (when goals are available)."
    )
    include_definitions = fields.Boolean(
        default=True, help="Add a sheet describing each exported KPI."
    )

    @api.model
    def _default_date_from(self):
        """The first day of the month eleven months ago: a year of months."""
        today = fields.Date.context_today(self)
        return today.replace(day=1) - relativedelta(months=11)

    @api.model
    def default_get(self, fields_list):
        """Opened from selected snapshots, start from their range and KPIs."""
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "crm.kpi.snapshot" and context.get("active_ids"):
            snapshots = self.env["crm.kpi.snapshot"].search([("id", "in", context["active_ids"])])
            if snapshots:
                values.update(self._prepare_values_from_snapshots(snapshots, fields_list))
        return values

    def _prepare_values_from_snapshots(self, snapshots, fields_list):
        period_types = snapshots.mapped("period_type")
        values = {
            "date_from": min(snapshots.mapped("date_start")),
            "date_to": max(snapshots.mapped("date_end")) - relativedelta(days=1),
            "period_type": max(set(period_types), key=period_types.count),
            "kpi_ids": [fields.Command.set(snapshots.kpi_id.ids)],
        }
        if len(snapshots.company_id) == 1:
            values["company_id"] = snapshots.company_id.id
        return {name: value for name, value in values.items() if name in fields_list}

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise ValidationError(
                    self.env._("The end of the range must not be before its start.")
                )

    def action_export(self):
        self.ensure_one()
        report = self.env.ref("crm_kpi.report_kpi_board_pack")
        return report.report_action(
            [], data={"board_pack": self._get_report_options()}, config=False
        )

    def _get_report_options(self):
        """The options of the report, as plain JSON values (they travel in the URL)."""
        self.ensure_one()
        return {
            "date_from": fields.Date.to_string(self.date_from),
            "date_to": fields.Date.to_string(self.date_to),
            "period_type": self.period_type,
            "company_id": self.company_id.id,
            "scope": self.scope,
            "team_ids": self.team_ids.ids if self.scope == "team" else [],
            "user_ids": self.user_ids.ids if self.scope == "user" else [],
            "kpi_ids": self.kpi_ids.ids,
            "include_goals": self.include_goals,
            "include_definitions": self.include_definitions,
        }
