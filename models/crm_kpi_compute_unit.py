# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One unit of a background computation run by a ``queue_job`` job: one
company and a chunk of periods (see :mod:`.crm_kpi_queue`)."""

import logging

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from .crm_kpi_snapshot import TRANSACTION_CONFLICTS

_logger = logging.getLogger(__name__)

UNIT_STATES = [
    ("queued", "Queued"),
    ("done", "Done"),
    ("failed", "Failed"),
]


class CrmKpiComputeUnit(models.Model):
    _name = "crm.kpi.compute.unit"
    _description = "CRM KPI Computation Job"
    _order = "request_id, company_id, date_from"

    request_id = fields.Many2one(
        "crm.kpi.compute.request", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True)
    periods = fields.Integer(readonly=True)
    state = fields.Selection(UNIT_STATES, required=True, default="queued", readonly=True)
    values_count = fields.Integer(string="Values", readonly=True)
    failures_count = fields.Integer(string="Failures", readonly=True)
    message = fields.Text(readonly=True)
    job_uuid = fields.Char(string="Job", readonly=True, index=True, copy=False)

    def _kpi_job_compute(self):
        """The job: compute the unit's periods for its company as the
        request's user; the unit records the outcome (with sudo). A
        transaction conflict is raised again, for queue_job to retry the
        job in a new transaction."""
        self.ensure_one()
        unit = self.sudo()
        if unit.state != "queued":
            return f"already {unit.state}"
        request = unit.request_id
        try:
            with self.env.cr.savepoint():
                snapshots, errors = self.env["crm.kpi.snapshot"]._compute_snapshots(
                    request.period_type,
                    unit.date_from,
                    unit.date_to,
                    kpi_codes=request.kpi_ids.mapped("code") or None,
                    company_ids=unit.company_id.ids,
                )
        except TRANSACTION_CONFLICTS:
            raise
        except (UserError, AccessError) as error:
            _logger.warning("KPI computation unit %s failed: %s", unit.id, error)
            unit.write({"state": "failed", "message": str(error)})
        else:
            unit.write(
                {
                    "state": "done",
                    "values_count": len(snapshots.filtered(lambda s: not s.failure)),
                    "failures_count": len(errors),
                }
            )
        # the scheduled action closes the request once every unit has ended
        self.env.ref("crm_kpi.ir_cron_crm_kpi_compute_requests").sudo()._trigger()
        return f"{unit.state}: {unit.values_count} values, {unit.failures_count} failures"
