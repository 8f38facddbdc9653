# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.periods import split_range
from ..models.crm_kpi_snapshot import PERIOD_TYPE_SELECTION


class CrmKpiBackfillWizard(models.TransientModel):
    """Compute (or recompute) the snapshots of a past range of periods."""

    _name = "crm.kpi.backfill.wizard"
    _description = "Back-fill CRM KPI Snapshots"

    period_type = fields.Selection(PERIOD_TYPE_SELECTION, required=True, default="month")
    date_from = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1)
        - relativedelta(months=12),
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    kpi_ids = fields.Many2many(
        "crm.kpi.definition",
        string="KPIs",
        help="Leave empty to compute every active KPI.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        default=lambda self: self.env.company,
        help="Leave empty to compute every company you belong to.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise ValidationError(
                    self.env._("The end of the range must not be before its start.")
                )

    def action_compute_background(self):
        """Queue the range for the scheduled action and show its progress."""
        self.ensure_one()
        request = self.env["crm.kpi.compute.request"].create(
            {
                "period_type": self.period_type,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "kpi_ids": [fields.Command.set(self.kpi_ids.ids)],
                "company_ids": [fields.Command.set(self.company_ids.ids)],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": request._name,
            "res_id": request.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_compute(self):
        """Compute the range in consecutive calls of at most the periods one
        computation allows (``crm.kpi.snapshot._max_periods``), in the same
        transaction: every chunk is written whole, and an error in one
        rolls back the whole back-fill."""
        self.ensure_one()
        Snapshot = self.env["crm.kpi.snapshot"]
        snapshots, errors = Snapshot, []
        for date_from, date_to in split_range(
            self.period_type, self.date_from, self.date_to, Snapshot._max_periods()
        ):
            chunk_snapshots, chunk_errors = Snapshot._compute_snapshots(
                self.period_type,
                date_from,
                date_to,
                kpi_codes=self.kpi_ids.mapped("code") or None,
                company_ids=self.company_ids.ids or None,
            )
            snapshots |= chunk_snapshots
            errors += chunk_errors
        # the customer fields of the records follow the same documents
        self.env["res.partner"]._kpi_refresh_changed_customers()
        computed = len(snapshots.filtered(lambda snapshot: not snapshot.failure))
        if errors:
            failed = sorted({code for code, *_rest in errors})
            reasons = sorted(set(snapshots.filtered("failure").mapped("failure")))
            message = self.env._(
                "%(count)s KPI values computed; these KPIs failed and were skipped: "
                "%(codes)s (see the server log).",
                count=computed,
                codes=", ".join(failed),
            )
            if reasons:
                message = "\n".join([message, *reasons[:5]])
            kind = "warning"
        else:
            message = self.env._("%(count)s KPI values computed.", count=computed)
            kind = "success"
        # back on the snapshots of the period type just computed
        action = self.env["crm.kpi.snapshot"]._action_computed_snapshots(self.period_type)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind, "sticky": bool(errors), "next": action},
        }
