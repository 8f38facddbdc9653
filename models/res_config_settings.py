from odoo import fields, models


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
