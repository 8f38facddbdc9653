# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A computation of KPI snapshots run in the background.

The Compute KPIs wizard can queue its range instead of computing it while the
user waits: a scheduled action computes the queued requests a few periods at a
time, committing after each step so that the request's progress bar moves,
and notifies the user who asked (inbox message and a notification in the
browser) with the count of values and failures.
"""

import logging
import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

from ..engine.periods import count_periods, split_range
from .crm_kpi_snapshot import PERIOD_TYPE_SELECTION

_logger = logging.getLogger(__name__)

#: About this many commits (steps of the progress bar) per request.
PROGRESS_STEPS = 10


class CrmKpiComputeRequest(models.Model):
    _name = "crm.kpi.compute.request"
    _description = "CRM KPI Computation"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    user_id = fields.Many2one(
        "res.users",
        string="Requested by",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
        index=True,
    )
    period_type = fields.Selection(PERIOD_TYPE_SELECTION, required=True, readonly=True)
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True)
    kpi_ids = fields.Many2many("crm.kpi.definition", string="KPIs", readonly=True)
    company_ids = fields.Many2many("res.company", string="Companies", readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        required=True,
        default="queued",
        readonly=True,
        tracking=True,
    )
    periods_total = fields.Integer(string="Periods", readonly=True)
    periods_done = fields.Integer(string="Periods Computed", readonly=True)
    progress = fields.Float(compute="_compute_progress", help="Share of the periods computed.")
    values_count = fields.Integer(string="Values", readonly=True)
    failures_count = fields.Integer(string="Failures", readonly=True)
    message = fields.Text(readonly=True)
    date_done = fields.Datetime(string="Finished", readonly=True)

    @api.depends("period_type", "date_from", "date_to")
    def _compute_name(self):
        labels = dict(self._fields["period_type"]._description_selection(self.env))
        for request in self:
            request.name = self.env._(
                "%(type)s from %(start)s to %(end)s",
                type=labels.get(request.period_type, ""),
                start=format_date(self.env, request.date_from),
                end=format_date(self.env, request.date_to),
            )

    @api.depends("periods_done", "periods_total")
    def _compute_progress(self):
        for request in self:
            total = request.periods_total
            request.progress = 100.0 * request.periods_done / total if total else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        self.env["crm.kpi.snapshot"]._check_can_compute()
        for vals in vals_list:
            date_from = fields.Date.to_date(vals.get("date_from"))
            date_to = fields.Date.to_date(vals.get("date_to"))
            if not date_from or not date_to or date_to < date_from:
                raise UserError(self.env._("The end of the range must not be before its start."))
            vals["periods_total"] = count_periods(vals.get("period_type"), date_from, date_to)
        requests = super().create(vals_list)
        self.env.ref("crm_kpi.ir_cron_crm_kpi_compute_requests").sudo()._trigger()
        return requests

    # ------------------------------------------------------------------
    # Computing
    # ------------------------------------------------------------------
    @api.model
    def _cron_compute_requests(self):
        """The scheduled action: compute the queued requests, oldest first,
        committing after each step. A request left running by a stopped
        server resumes after its last committed step."""
        requests = self.search([("state", "in", ("queued", "running"))], order="id")
        requests._compute_requests(commit=True)

    def _compute_requests(self, commit=False):
        """Compute each request as its user (their companies and rights).
        With ``commit``, every step is committed as it ends (the progress bar
        moves and a later failure keeps the periods already computed);
        without, everything stays in the caller's transaction (tests)."""
        for request in self:
            user = request.user_id
            request.with_user(user).with_context(
                allowed_company_ids=(request.company_ids or user.company_ids).ids,
                lang=user.lang,
                tz=user.tz,
            )._compute_one(commit)

    def _compute_one(self, commit):
        """Compute one request as its user; its own fields are written with
        sudo, so that a user who lost the rights still gets a failed request
        with the reason."""
        self.ensure_one()
        Snapshot = self.env["crm.kpi.snapshot"]
        request = self.sudo()
        step = max(
            1, min(Snapshot._max_periods(), math.ceil(request.periods_total / PROGRESS_STEPS))
        )
        chunks = split_range(request.period_type, request.date_from, request.date_to, step)
        kpi_codes = request.kpi_ids.mapped("code") or None
        company_ids = request.company_ids.ids or None
        done = request.periods_done
        request.state = "running"
        try:
            committed = 0
            for date_from, date_to in chunks:
                periods = count_periods(request.period_type, date_from, date_to)
                if committed + periods <= done:  # computed before a restart
                    committed += periods
                    continue
                request.periods_done = committed  # a step cut short is redone whole
                committed += periods
                with self.env.cr.savepoint():
                    snapshots, errors = Snapshot._compute_snapshots(
                        request.period_type,
                        date_from,
                        date_to,
                        kpi_codes=kpi_codes,
                        company_ids=company_ids,
                    )
                request.write(
                    {
                        "periods_done": request.periods_done + periods,
                        "values_count": request.values_count
                        + len(snapshots.filtered(lambda s: not s.failure)),
                        "failures_count": request.failures_count + len(errors),
                    }
                )
                if commit:
                    self.env["ir.cron"]._commit_progress()
            with self.env.cr.savepoint():
                self.env["res.partner"]._kpi_refresh_changed_customers()
            request.write({"state": "done", "date_done": fields.Datetime.now()})
        except (UserError, AccessError) as error:  # a reason for the user
            _logger.warning("KPI computation %s failed: %s", self.id, error)
            request.write(
                {"state": "failed", "date_done": fields.Datetime.now(), "message": str(error)}
            )
        except Exception as error:  # noqa: BLE001 - reported to the user, logged
            _logger.exception("KPI computation %s failed", self.id)
            request.write(
                {
                    "state": "failed",
                    "date_done": fields.Datetime.now(),
                    "message": str(error),
                }
            )
        request._notify_done()
        if commit:
            self.env["ir.cron"]._commit_progress()

    def _notify_done(self):
        """Tell the user who asked: an inbox message on the request and a
        notification in their open browser tabs."""
        self.ensure_one()
        if self.state == "done":
            text = self.env._(
                "%(name)s: %(values)s KPI values computed, %(failures)s failures.",
                name=self.name,
                values=self.values_count,
                failures=self.failures_count,
            )
            kind = "warning" if self.failures_count else "success"
        else:
            text = self.env._(
                "%(name)s failed after %(done)s of %(total)s periods: %(error)s",
                name=self.name,
                done=self.periods_done,
                total=self.periods_total,
                error=self.message,
            )
            kind = "danger"
        self.sudo().message_post(
            body=text,
            author_id=self.env.ref("base.partner_root").id,
            message_type="comment",
            partner_ids=self.user_id.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        self.user_id._bus_send(
            "simple_notification",
            {
                "title": self.env._("KPIs computed")
                if kind != "danger"
                else self.env._("KPI computation failed"),
                "message": text,
                "type": kind,
                "sticky": kind != "success",
            },
        )

    def action_open_snapshots(self):
        """The snapshots of the period type computed."""
        self.ensure_one()
        return self.env["crm.kpi.snapshot"]._action_computed_snapshots(self.period_type)
