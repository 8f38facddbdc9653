# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import KpiCase, dt
from .test_leaderboard import kpi_user

try:  # OCA queue_job is not a dependency: installed beside crm_kpi by tools/run_tests.py
    from odoo.addons.queue_job.tests.common import trap_jobs
except ImportError:  # pragma: no cover - without queue_job in the addons path
    trap_jobs = None

MONTHS = [date(2026, m, 1) for m in (1, 2, 3, 4)]


@tagged("post_install", "-at_install")
class TestKpiQueue(KpiCase):
    """Back-fill and nightly refresh through queue_job jobs.

    Win rate, January to April 2026: in the test company, each month m has
    m won and 1 lost opportunity (1 / 2, 2 / 3, 3 / 4, 4 / 5); in a second
    company, 1 won and m lost (1 / 2, 1 / 3, 1 / 4, 1 / 5). The jobs must
    give exactly what the direct computation gives.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "queue.job" not in cls.env or trap_jobs is None:
            cls.skipTest(cls, "queue_job is not installed")
        cls.other = cls.env["res.company"].create({"name": "KPI Queue Other Co"})
        cls.other.partner_id.tz = "UTC"
        cls.env.user.company_ids |= cls.other
        cls.manager = kpi_user(cls.env, "kpi_queue_manager", cls.company, manager=True)
        cls.manager.company_ids |= cls.other
        for month in MONTHS:
            day = dt(month.year, month.month, 5)
            for company, won, lost in ((cls.company, month.month, 1), (cls.other, 1, month.month)):
                for i in range(won):
                    cls._lead(
                        f"{company.name} won {month} {i}",
                        day,
                        status="won",
                        closed=day,
                        company_id=company.id,
                    )
                for i in range(lost):
                    cls._lead(
                        f"{company.name} lost {month} {i}",
                        day,
                        status="lost",
                        closed=day,
                        company_id=company.id,
                    )
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.Unit = cls.env["crm.kpi.compute.unit"]

    def request(self, **values):
        return (
            self.env["crm.kpi.compute.request"]
            .with_user(self.manager)
            .with_context(
                crm_kpi_queue=True,
                allowed_company_ids=(self.company | self.other).ids,
            )
            .create(
                {
                    "period_type": "month",
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 4, 30),
                    "kpi_ids": [(6, 0, self.win_rate.ids)],
                    "company_ids": [(6, 0, (self.company | self.other).ids)],
                    **values,
                }
            )
        )

    def rows_domain(self, companies=None):
        return [
            ("kpi_id", "=", self.win_rate.id),
            ("period_type", "=", "month"),
            ("company_id", "in", (companies or self.company | self.other).ids),
            ("date_start", "in", MONTHS),
        ]

    def values(self):
        """Company rows of the win rate, January to April, both companies."""
        snapshots = self.Snapshot.search(
            [
                ("kpi_id", "=", self.win_rate.id),
                ("period_type", "=", "month"),
                ("company_id", "in", (self.company | self.other).ids),
                ("date_start", "in", MONTHS),
                ("dimension", "=", "company"),
            ]
        )
        return {
            (s.company_id.name, s.date_start): (s.numerator, s.denominator, round(s.value, 6))
            for s in snapshots
        }

    def test_units_follow_the_channel_capacity(self):
        """Capacity 1 (nothing configured): one job per company. Capacity 4
        for root.crm_kpi: ceil(4 / 2 companies) = 2 jobs per company, of
        ceil(4 months / 2) = 2 months each. Capacity of root when the
        channel is not named."""
        Snapshot = self.Snapshot
        for channels, capacity, months in (
            ("", 1, [(1, 4)]),
            ("root:2,root.crm_kpi:4", 4, [(1, 2), (3, 4)]),
            ("root:3", 3, [(1, 2), (3, 4)]),
        ):
            with patch.dict(os.environ, {"ODOO_QUEUE_JOB_CHANNELS": channels}), trap_jobs() as trap:
                self.assertEqual(Snapshot._kpi_queue_capacity(), capacity)
                request = self.request()
                units = request.unit_ids
                self.assertEqual(trap.jobs_count(), len(units))
                for company in (self.company, self.other):
                    mine = units.filtered(lambda u, c=company: u.company_id == c)
                    self.assertEqual([(u.date_from.month, u.date_to.month) for u in mine], months)

    def test_backfill_jobs_give_the_direct_values(self):
        """4 months, channel capacity 4, 2 companies: 4 jobs of 2 months on
        root.crm_kpi, each queued once, as the request's user with the
        unit's company only; once run and closed, the request has the values
        of the direct computation."""
        with patch.dict(os.environ, {"ODOO_QUEUE_JOB_CHANNELS": "root:4"}), trap_jobs() as trap:
            request = self.request()
            self.assertTrue(request.use_queue)
            self.assertEqual(request.state, "running")
            trap.assert_jobs_count(4)
            jobs = trap.enqueued_jobs
            self.assertEqual({job.method_name for job in jobs}, {"_kpi_job_compute"})
            self.assertEqual({job.channel for job in jobs}, {"root.crm_kpi"})
            self.assertEqual(len({job.identity_key for job in jobs}), 4)
            self.assertEqual({job.user_id for job in jobs}, {self.manager.id})
            for job in jobs:
                self.assertEqual(
                    job.recordset.env.context["allowed_company_ids"], job.recordset.company_id.ids
                )
            self.assertEqual(request.progress, 0)
            self.assertEqual(len(request.unit_ids), 4)
            trap.perform_enqueued_jobs()
        request.invalidate_recordset()
        self.assertEqual(set(request.unit_ids.mapped("state")), {"done"})
        self.assertEqual(request.progress, 100)
        self.assertEqual(request.state, "running", "closed by the scheduled action")
        request._compute_requests()
        self.assertEqual(request.state, "done")
        # every row written: company, team and salesperson rows of 8 units
        self.assertEqual(request.values_count, self.Snapshot.search_count(self.rows_domain()))
        by_jobs = self.values()
        self.assertEqual(by_jobs[("KPI Test Co", date(2026, 3, 1))], (3, 4, 75.0))
        self.assertEqual(by_jobs[("KPI Queue Other Co", date(2026, 4, 1))], (1, 5, 20.0))
        # the direct computation gives the same
        self.Snapshot.search([("kpi_id", "=", self.win_rate.id)]).unlink()
        self.Snapshot._compute_snapshots(
            "month",
            date(2026, 1, 1),
            date(2026, 4, 30),
            kpi_codes=["win_rate"],
            company_ids=(self.company | self.other).ids,
        )
        self.assertEqual(self.values(), by_jobs)
        self.assertEqual(len(by_jobs), 8)

    def test_a_failing_unit_leaves_the_others_written(self):
        """The manager loses the second company before its jobs run: its 2
        units fail with the reason, the 2 others are written; the request
        fails and says which."""
        with patch.dict(os.environ, {"ODOO_QUEUE_JOB_CHANNELS": "root:4"}), trap_jobs() as trap:
            request = self.request()
            self.manager.company_ids -= self.other
            trap.perform_enqueued_jobs()
        units = self.Unit.search([("request_id", "=", request.id)])
        self.assertEqual(
            sorted((u.company_id.name, u.state) for u in units),
            [("KPI Queue Other Co", "failed")] * 2 + [("KPI Test Co", "done")] * 2,
        )
        self.assertTrue(all(u.message for u in units.filtered(lambda u: u.state == "failed")))
        values = self.values()
        self.assertEqual(sorted(values), [("KPI Test Co", month) for month in MONTHS])
        request = request.sudo()
        request._compute_requests()
        self.assertEqual(request.state, "failed")
        self.assertIn("KPI Queue Other Co", request.message)
        self.assertEqual(
            request.values_count, self.Snapshot.search_count(self.rows_domain(self.company))
        )

    def test_nightly_refresh_queues_each_unit_once(self):
        """Two calls of the refresh on the same day queue each (company,
        period) once; running the test company's month job writes its
        current month."""
        Snapshot = self.Snapshot.with_context(crm_kpi_queue=True)
        today = date(2026, 4, 20)
        units = Snapshot._refresh_units(today)
        with trap_jobs() as trap, freeze_time("2026-04-20"):
            Snapshot._cron_refresh()
            Snapshot._cron_refresh()
            trap.assert_jobs_count(len(units), only=Snapshot._kpi_job_refresh)
            ours = [
                job
                for job in trap.enqueued_jobs
                if job.args[0] == self.company.id
                and job.args[1] == "month"
                and job.args[2] == "2026-04-01"
            ]
            self.assertEqual(len(ours), 1)
            self.assertEqual(ours[0].channel, "root.crm_kpi")
            ours[0].perform()
        april = self.Snapshot.search(
            [
                ("kpi_id", "=", self.win_rate.id),
                ("company_id", "=", self.company.id),
                ("date_start", "=", date(2026, 4, 1)),
                ("dimension", "=", "company"),
            ]
        )
        self.assertEqual((april.numerator, april.denominator), (4, 5))

    def test_without_the_job_runner_nothing_changes(self):
        """queue_job installed but its runner not loaded by this server (as
        in tests): the request is computed by the scheduled action alone."""
        self.assertFalse(self.Snapshot._kpi_use_queue())
        request = (
            self.env["crm.kpi.compute.request"]
            .with_user(self.manager)
            .create(
                {
                    "period_type": "month",
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 1, 31),
                    "kpi_ids": [(6, 0, self.win_rate.ids)],
                    "company_ids": [(6, 0, self.company.ids)],
                }
            )
        )
        self.assertFalse(request.use_queue)
        self.assertFalse(request.unit_ids)
