# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import math

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

COST_CATEGORIES = [
    ("acquisition", "Acquisition"),
    ("retention", "Retention"),
]


class CrmKpiCost(models.Model):
    """A spend that Odoo does not record elsewhere: marketing and sales costs
    to win customers (acquisition) or to keep them (retention).

    A cost counts in every KPI period that contains its date; a monthly
    total is typically entered on the first day of the month.
    """

    _name = "crm.kpi.cost"
    _inherit = ["crm.kpi.input.mixin"]
    _kpi_precheck_fields = ("amount", "date")
    _description = "CRM KPI Cost"
    _order = "date desc, id desc"
    _check_company_auto = True

    date = fields.Date(required=True, index=True, default=fields.Date.context_today)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    category = fields.Selection(
        COST_CATEGORIES,
        required=True,
        default="acquisition",
        help="Acquisition: marketing and sales spend to win new customers. "
        "Retention: spend to keep existing customers.",
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", index="btree_not_null", check_company=True
    )
    campaign_id = fields.Many2one("utm.campaign", string="UTM Campaign", index="btree_not_null")
    source_id = fields.Many2one("utm.source", string="UTM Source", index="btree_not_null")
    medium_id = fields.Many2one("utm.medium", string="UTM Medium", index="btree_not_null")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    note = fields.Text()

    _amount_positive = models.Constraint(
        "CHECK (amount >= 0)", "The amount of a cost cannot be negative."
    )

    @api.constrains("amount")
    def _check_amount(self):
        for cost in self:
            if not math.isfinite(cost.amount):
                raise ValidationError(
                    self.env._(
                        "The amount of a cost must be a finite number, not %(amount)s "
                        "(on %(date)s).",
                        amount=cost.amount,
                        date=cost.date,
                    )
                )
            if cost.amount < 0:
                raise ValidationError(
                    self.env._(
                        "The amount of a cost cannot be negative (%(amount)s on %(date)s).",
                        amount=cost.amount,
                        date=cost.date,
                    )
                )

    @api.constrains("currency_id", "date", "company_id")
    def _check_currency_rate(self):
        """A cost in another currency than its company's needs a rate on or
        before its date: the KPIs never convert it at a later rate or 1:1."""
        engine = self.env["crm.kpi.engine"].sudo()
        for cost in self.filtered(lambda c: c.currency_id and c.company_id and c.date):
            try:
                engine._check_rates(cost.currency_id, cost.company_id, cost.date)
            except UserError as error:
                raise ValidationError(error.args[0]) from None

    def _kpi_precheck(self):
        self._check_amount()
