from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    kpi_activity_window_days = fields.Integer(
        string="KPI Activity Window (days)",
        default=365,
        help="A customer without a subscription in progress is active while "
        "their last purchase is less than this many days old.",
    )
    kpi_stale_days = fields.Integer(
        string="KPI Stale Delay (days)",
        default=30,
        help="An open lead without any activity for this many days counts as abandoned.",
    )
    kpi_clv_method = fields.Selection(
        [
            ("purchase", "Purchase value x frequency x lifetime"),
            ("margin_minus_cac", "Gross profit x retention years - CAC"),
            ("subscription", "ARPA x gross margin / monthly churn"),
        ],
        string="CLV Method",
        default="purchase",
        required=True,
    )
    kpi_gross_margin = fields.Float(
        string="Gross Margin (%)",
        default=100.0,
        help="Share of revenue kept as gross profit, used by CLV and CAC payback.",
    )

    _kpi_activity_window_positive = models.Constraint(
        "CHECK (kpi_activity_window_days > 0)",
        "The KPI activity window must be at least one day.",
    )
    _kpi_stale_days_positive = models.Constraint(
        "CHECK (kpi_stale_days > 0)", "The KPI stale delay must be at least one day."
    )
    _kpi_gross_margin_range = models.Constraint(
        "CHECK (kpi_gross_margin >= 0 AND kpi_gross_margin <= 100)",
        "The gross margin is a percentage between 0 and 100.",
    )
