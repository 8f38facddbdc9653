# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from .crm_kpi_input_mixin import check_numbers
from .res_company import KPI_SETTING_BOUNDS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    kpi_activity_window_days = fields.Integer(
        related="company_id.kpi_activity_window_days", readonly=False
    )
    kpi_stale_days = fields.Integer(related="company_id.kpi_stale_days", readonly=False)
    kpi_clv_method = fields.Selection(related="company_id.kpi_clv_method", readonly=False)
    kpi_gross_margin = fields.Float(related="company_id.kpi_gross_margin", readonly=False)
    kpi_marketing_campaigns = fields.Boolean(
        related="company_id.kpi_marketing_campaigns", readonly=False
    )
    kpi_marketing_medium_ids = fields.Many2many(
        related="company_id.kpi_marketing_medium_ids", readonly=False
    )
    kpi_marketing_source_ids = fields.Many2many(
        related="company_id.kpi_marketing_source_ids", readonly=False
    )
    kpi_anomaly_k = fields.Float(related="company_id.kpi_anomaly_k", readonly=False)
    kpi_anomaly_periods = fields.Integer(related="company_id.kpi_anomaly_periods", readonly=False)
    kpi_anomaly_min_history = fields.Integer(
        related="company_id.kpi_anomaly_min_history", readonly=False
    )
    kpi_anomaly_user_id = fields.Many2one(related="company_id.kpi_anomaly_user_id", readonly=False)
    kpi_leaderboard_visibility = fields.Selection(
        related="company_id.kpi_leaderboard_visibility", readonly=False
    )
    kpi_leaderboard_min_denominator = fields.Integer(
        related="company_id.kpi_leaderboard_min_denominator", readonly=False
    )

    @api.model_create_multi
    def create(self, vals_list):
        # The numbers before Odoo converts them (7.5 days would become 7, NaN
        # an error); their bounds when the company is written (only the
        # changed values are).
        for vals in vals_list:
            check_numbers(self, vals, KPI_SETTING_BOUNDS)
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, vals, KPI_SETTING_BOUNDS)
        return super().write(vals)
