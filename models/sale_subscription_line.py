# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models

from .sale_subscription import SKIP_MOVEMENT_LEDGER


class SaleSubscriptionLine(models.Model):
    _inherit = "sale.subscription.line"

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get(SKIP_MOVEMENT_LEDGER):
            return super().create(vals_list)
        subscriptions = self.env["sale.subscription"].browse(
            {vals["sale_subscription_id"] for vals in vals_list if vals.get("sale_subscription_id")}
        )
        before = subscriptions._kpi_state()
        lines = super(
            SaleSubscriptionLine, self.with_context(**{SKIP_MOVEMENT_LEDGER: True})
        ).create(vals_list)
        subscriptions._kpi_log_movements(before)
        return lines.with_env(self.env)

    def write(self, vals):
        if self.env.context.get(SKIP_MOVEMENT_LEDGER):
            return super().write(vals)
        subscriptions = self.sale_subscription_id
        if vals.get("sale_subscription_id"):
            subscriptions |= subscriptions.browse(vals["sale_subscription_id"])
        before = subscriptions._kpi_state()
        result = super(
            SaleSubscriptionLine, self.with_context(**{SKIP_MOVEMENT_LEDGER: True})
        ).write(vals)
        subscriptions._kpi_log_movements(before)
        return result

    def unlink(self):
        if self.env.context.get(SKIP_MOVEMENT_LEDGER):
            return super().unlink()
        subscriptions = self.sale_subscription_id
        before = subscriptions._kpi_state()
        result = super().unlink()
        subscriptions._kpi_log_movements(before)
        return result
