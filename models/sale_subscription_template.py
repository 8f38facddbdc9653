# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from .sale_subscription import SKIP_MOVEMENT_LEDGER

RECURRENCE_FIELDS = ("recurring_interval", "recurring_rule_type")


class SaleSubscriptionTemplate(models.Model):
    _inherit = "sale.subscription.template"

    def write(self, vals):
        if self.env.context.get(SKIP_MOVEMENT_LEDGER) or not any(
            name in vals for name in RECURRENCE_FIELDS
        ):
            return super().write(vals)
        # A new recurrence changes the MRR of every running subscription.
        subscriptions = self.subscription_ids
        before = subscriptions._kpi_state()
        result = super().write(vals)
        subscriptions._kpi_log_movements(before)
        return result
