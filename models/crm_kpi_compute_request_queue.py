# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Background computations run by ``queue_job`` jobs, one per company and
chunk of periods (see :mod:`.crm_kpi_queue`), instead of by the scheduled
action alone: the request shows its jobs and their progress; the scheduled
action closes it (counts, customer fields, notification) once every job has
ended."""

import math

from odoo import api, fields, models

from ..engine.periods import count_periods, split_range


class CrmKpiComputeRequestQueue(models.Model):
    _inherit = "crm.kpi.compute.request"

    use_queue = fields.Boolean(
        string="Parallel Jobs",
        readonly=True,
        help="Computed by queue_job jobs, one per company and chunk of periods, on every "
        "worker at once.",
    )
    unit_ids = fields.One2many("crm.kpi.compute.unit", "request_id", string="Jobs", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        requests = super().create(vals_list)
        if self.env["crm.kpi.snapshot"]._kpi_use_queue():
            requests._kpi_enqueue_units()
        return requests

    @api.depends("unit_ids.state", "unit_ids.periods")
    def _compute_progress(self):
        parallel = self.filtered("use_queue")
        for request in parallel:
            total = sum(request.unit_ids.mapped("periods"))
            ended = sum(request.unit_ids.filtered(lambda u: u.state != "queued").mapped("periods"))
            request.progress = 100.0 * ended / total if total else 0.0
        return super(CrmKpiComputeRequestQueue, self - parallel)._compute_progress()

    def _kpi_enqueue_units(self):
        """Cut each request into units (company × chunk of periods) and queue
        one job per unit, as the request's user with only the unit's
        company. Each job builds the run's tables again, so the units are as
        few as keep every job slot of the channel busy: about the channel's
        capacity over all companies (each within the most periods one
        computation may span)."""
        Snapshot = self.env["crm.kpi.snapshot"]
        capacity = Snapshot._kpi_queue_capacity()
        for request in self.sudo():
            user = request.user_id
            companies = request.company_ids or user.company_ids
            per_company = max(1, math.ceil(capacity / len(companies)))
            step = max(
                1, min(Snapshot._max_periods(), math.ceil(request.periods_total / per_company))
            )
            chunks = split_range(request.period_type, request.date_from, request.date_to, step)
            units = request.env["crm.kpi.compute.unit"].create(
                [
                    {
                        "request_id": request.id,
                        "company_id": company.id,
                        "date_from": date_from,
                        "date_to": date_to,
                        "periods": count_periods(request.period_type, date_from, date_to),
                    }
                    for company in companies
                    for date_from, date_to in chunks
                ]
            )
            request.write({"use_queue": True, "state": "running"})
            for unit in units:
                job = Snapshot._kpi_delayable(
                    unit.with_user(user).with_context(
                        allowed_company_ids=unit.company_id.ids, lang=user.lang, tz=user.tz
                    ),
                    identity_key=f"crm_kpi.unit:{unit.id}",
                    description=self.env._(
                        "KPIs of %(company)s: %(name)s, %(start)s to %(end)s",
                        company=unit.company_id.name,
                        name=request.name,
                        start=unit.date_from,
                        end=unit.date_to,
                    ),
                )._kpi_job_compute()
                unit.job_uuid = job.uuid if job else False

    def _compute_requests(self, commit=False):
        """Requests computed by jobs are only closed here, once every job
        has ended; the others are computed as before."""
        parallel = self.filtered("use_queue")
        for request in parallel:
            request.with_context(lang=request.user_id.lang)._kpi_close_when_done(commit)
        return super(CrmKpiComputeRequestQueue, self - parallel)._compute_requests(commit)

    def _kpi_close_when_done(self, commit):
        """Close the request when every unit has ended: a unit whose job
        failed for good (queue_job gave up) is failed with the job's error."""
        self.ensure_one()
        request = self.sudo()
        if request.state not in ("queued", "running"):
            return
        waiting = request.unit_ids.filtered(lambda u: u.state == "queued")
        if waiting and "queue.job" in self.env:
            jobs = (
                self.env["queue.job"]
                .sudo()
                .search(
                    [
                        ("uuid", "in", waiting.mapped("job_uuid")),
                        ("state", "=", "failed"),
                    ]
                )
            )
            failed = {job.uuid: job for job in jobs}
            for unit in waiting:
                if unit.job_uuid in failed:
                    job = failed[unit.job_uuid]
                    unit.write(
                        {"state": "failed", "message": job.exc_message or job.exc_name or ""}
                    )
            waiting = waiting.filtered(lambda u: u.state == "queued")
        if waiting:
            return
        units = request.unit_ids
        failed_units = units.filtered(lambda u: u.state == "failed")
        with self.env.cr.savepoint():
            self.env["res.partner"]._kpi_refresh_changed_customers()
        request.write(
            {
                "state": "failed" if failed_units else "done",
                "date_done": fields.Datetime.now(),
                "periods_done": sum(units.filtered(lambda u: u.state == "done").mapped("periods"))
                // max(1, len(units.company_id)),
                "values_count": sum(units.mapped("values_count")),
                "failures_count": sum(units.mapped("failures_count")),
                "message": "\n".join(
                    f"{unit.company_id.name}, {unit.date_from} – {unit.date_to}: {unit.message}"
                    for unit in failed_units
                )
                or False,
            }
        )
        request._notify_done()
        if commit:
            self.env["ir.cron"]._commit_progress()
