# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestComputeInBackground(KpiCase):
    """Compute KPIs → Compute in Background, for the twelve months of 2026.

    March 2026: team A wins one opportunity and loses one, team B wins one:
    the company's win rate of March is 2 / 3 = 66.67 %; the other months have
    nothing closed (win rate without value).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._lead(
            "A won", dt(2026, 3, 1), cls.team_a, cls.user_1, status="won", closed=dt(2026, 3, 10)
        )
        cls._lead(
            "A lost", dt(2026, 3, 1), cls.team_a, cls.user_1, status="lost", closed=dt(2026, 3, 12)
        )
        cls._lead(
            "B won", dt(2026, 3, 1), cls.team_b, cls.user_2, status="won", closed=dt(2026, 3, 20)
        )
        cls.manager = new_test_user(
            cls.env,
            "kpi_background_manager",
            groups="crm_kpi.crm_kpi_group_manager,sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")

    def _queue(self, user=None, **values):
        wizard = (
            self.env["crm.kpi.backfill.wizard"]
            .with_user(user or self.manager)
            .create(
                {
                    "period_type": "month",
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 12, 31),
                    "kpi_ids": [(6, 0, self.win_rate.ids)],
                    "company_ids": [(6, 0, self.company.ids)],
                    **values,
                }
            )
        )
        action = wizard.action_compute_background()
        return self.env["crm.kpi.compute.request"].browse(action["res_id"])

    def _company_rows(self):
        return self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "win_rate"),
                ("dimension", "=", "company"),
                ("period_type", "=", "month"),
            ]
        )

    def test_queued_then_computed_and_notified(self):
        cron = self.env.ref("crm_kpi.ir_cron_crm_kpi_compute_requests")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        request = self._queue()
        # queued: nothing computed yet, the scheduled action is triggered
        self.assertEqual(
            (request.state, request.periods_total, request.progress), ("queued", 12, 0)
        )
        self.assertFalse(self._company_rows())
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )

        request._compute_requests()
        self.assertEqual(request.state, "done")
        self.assertEqual((request.periods_done, request.progress), (12, 100))
        rows = self._company_rows()
        self.assertEqual(len(rows), 12)  # one row per month, with or without value
        march = rows.filtered(lambda row: row.date_start == date(2026, 3, 1))
        self.assertKpi(march, 2, 3, 200 / 3)
        stored = self.Snapshot.search_count(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "win_rate"),
                ("failure", "=", False),
            ]
        )
        self.assertEqual((request.values_count, request.failures_count), (stored, 0))
        # the manager gets an inbox message naming the count
        message = request.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn(f"{stored} KPI values computed, 0 failures", message.body)
        self.assertEqual(message.partner_ids, self.manager.partner_id)
        # and from the request, the snapshots of the type computed
        context = request.action_open_snapshots()["context"]
        self.assertEqual(context["search_default_filter_month"], 1)

    def test_resumes_after_the_last_committed_step(self):
        """A server stopped half-way left the request running with six months
        committed (steps of two months: 12 / 10 rounded up): it goes on with
        July and leaves January to June alone."""
        request = self._queue()
        request.write({"state": "running", "periods_done": 6})
        request._compute_requests()
        self.assertEqual((request.state, request.periods_done), ("done", 12))
        self.assertEqual(
            sorted(self._company_rows().mapped("date_start")),
            [date(2026, month, 1) for month in range(7, 13)],
        )

    def test_failure_is_reported_and_keeps_the_state(self):
        """The requester lost the KPI Manager rights before the run: the
        request fails with the reason, nothing is stored, and they are told."""
        request = self._queue()
        self.manager.group_ids -= self.env.ref("crm_kpi.crm_kpi_group_manager")
        with mute_logger("odoo.addons.crm_kpi.models.crm_kpi_compute_request"):
            request._compute_requests()
        self.assertEqual(request.state, "failed")
        self.assertIn("Only KPI Managers can compute KPI snapshots.", request.message)
        self.assertFalse(self._company_rows())
        message = request.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertIn("failed after 0 of 12 periods", message.body)

    def test_only_managers_queue(self):
        with self.assertRaises(AccessError):
            self._queue(user=self.user_1)
