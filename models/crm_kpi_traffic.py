# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmKpiTraffic(models.Model):
    """Website visitors counted outside Odoo (web analytics), for the
    traffic-to-lead KPI.

    One record per company, day, UTM source, medium, campaign and landing
    page: a figure covering a longer period (a week, a month) is entered
    once, on the first day of that period. The UTM fields and the landing
    page are optional; an empty one is a value of its own in the uniqueness
    key ("all sources", "all pages").
    """

    _name = "crm.kpi.traffic"
    _inherit = ["crm.kpi.input.mixin"]
    _kpi_precheck_fields = ("visitors", "date")
    _description = "CRM KPI Web Traffic"
    _order = "date desc, id desc"
    _rec_name = "date"

    date = fields.Date(required=True, index=True, default=fields.Date.context_today)
    visitors = fields.Integer(required=True, aggregator="sum")
    source_id = fields.Many2one("utm.source", string="UTM Source", index="btree_not_null")
    medium_id = fields.Many2one("utm.medium", string="UTM Medium", index="btree_not_null")
    campaign_id = fields.Many2one("utm.campaign", string="UTM Campaign", index="btree_not_null")
    landing_page = fields.Char(
        help="URL or path of the page the visitors arrived on, e.g. /pricing."
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    _visitors_positive = models.Constraint(
        "CHECK (visitors >= 0)", "The number of visitors cannot be negative."
    )
    _unique_key = models.UniqueIndex(
        "(company_id, date, COALESCE(source_id, 0), COALESCE(medium_id, 0),"
        " COALESCE(campaign_id, 0), COALESCE(landing_page, ''))",
        "Web traffic is already recorded for this company, date, source, medium, "
        "campaign and landing page: update that line instead.",
    )

    @api.constrains("visitors")
    def _check_visitors(self):
        for traffic in self:
            if traffic.visitors < 0:
                raise ValidationError(
                    self.env._(
                        "The number of visitors cannot be negative (%(visitors)s on %(date)s).",
                        visitors=traffic.visitors,
                        date=traffic.date,
                    )
                )

    def _kpi_precheck(self):
        self._check_visitors()
