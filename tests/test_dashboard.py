from datetime import date

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import KpiCase, dt, tour_setup


@tagged("post_install", "-at_install")
class TestDashboardData(KpiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # March 2026: team A wins one, loses one; March 2025: team A wins one of three
        cls._lead("W", dt(2026, 3, 1), cls.team_a, cls.user_1, status="won", closed=dt(2026, 3, 10))
        cls._lead("L", dt(2026, 3, 1), cls.team_a, cls.user_1, status="lost", closed=dt(2026, 3, 11))
        cls._lead("W25", dt(2025, 3, 1), cls.team_a, status="won", closed=dt(2025, 3, 10))
        cls._lead("L25a", dt(2025, 3, 1), cls.team_a, status="lost", closed=dt(2025, 3, 10))
        cls._lead("L25b", dt(2025, 3, 1), cls.team_a, status="lost", closed=dt(2025, 3, 10))
        # February 2026: lost only
        cls._lead("L26", dt(2026, 2, 1), cls.team_a, status="lost", closed=dt(2026, 2, 10))
        cls.Snapshot.compute_snapshots(
            "month", date(2025, 3, 1), date(2026, 3, 1), company_ids=[cls.company.id]
        )
        cls.Dashboard = cls.env["crm.kpi.dashboard"].with_company(cls.company)

    def _card(self, data, code):
        return next(card for card in data["cards"] if card["code"] == code)

    def test_cards(self):
        data = self.Dashboard.get_dashboard_data("month", "2026-03-15")
        self.assertEqual(data["period"]["label"], "2026-03")
        card = self._card(data, "win_rate")
        # 1 won / 2 closed = 50 %; February 0 % → +50 points; March 2025 33.33 % → +16.67
        self.assertAlmostEqual(card["value"], 50.0)
        self.assertAlmostEqual(card["delta_previous"]["delta"], 50.0)
        self.assertIsNone(card["delta_previous"]["percent"], "no Δ% against 0")
        self.assertAlmostEqual(card["delta_year"]["delta"], 16.6667, places=3)
        self.assertAlmostEqual(card["delta_year"]["percent"], 50.0, places=3)
        # thresholds of win_rate: warning 20, critical 10 → 50 % is ok
        self.assertEqual(card["state"], "ok")
        self.assertEqual(len(card["trend"]), 12)
        self.assertEqual(card["trend"][-2], 0.0)
        nps = self._card(data, "nps")
        self.assertIsNone(nps["value"])
        self.assertIn("NPS", nps["empty_reason"])

    def test_team_scope_and_bad_input(self):
        data = self.Dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_a.id)
        codes = {card["code"] for card in data["cards"]}
        self.assertIn("win_rate", codes)
        self.assertNotIn("nps", codes, "NPS cannot be split by team")
        self.assertAlmostEqual(self._card(data, "win_rate")["value"], 50.0)
        with self.assertRaises(UserError):
            self.Dashboard.get_dashboard_data("month", team_id=self.team_a.id, user_id=self.user_1.id)
        with self.assertRaises(UserError):
            self.Dashboard.get_dashboard_data("fortnight")

    def test_constant_query_count(self):
        def count():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Dashboard.get_dashboard_data("month", "2026-03-15")
            return self.env.cr.sql_log_count - before

        count()
        few = count()
        self.Snapshot.compute_snapshots(
            "month", date(2024, 1, 1), date(2025, 2, 1), company_ids=[self.company.id]
        )
        self.assertEqual(count(), few)
        self.assertLessEqual(few, 12)

    def test_drill_down(self):
        action = self.Dashboard.action_open_kpi_records("win_rate", "month", "2026-03-15")
        leads = self.env["crm.lead"].with_context(active_test=False).search(action["domain"])
        self.assertEqual(sorted(leads.mapped("name")), ["L", "W"])
        churn = self.Dashboard.action_open_kpi_records("churn", "month", "2026-03-15")
        self.assertEqual(churn["res_model"], "res.partner")
        with self.assertRaises(UserError):
            self.Dashboard.action_open_kpi_records("data_quality", "month", "2026-03-15")

    def test_drill_down_keeps_the_kpi_company_condition(self):
        """A lead without company counts for the main company only: this
        company's win rate does not count it, nor does its drill-down list it."""
        self._lead("Shared", dt(2026, 3, 1), status="won", closed=dt(2026, 3, 12), company_id=False)
        self.Snapshot.compute_snapshots("month", date(2026, 3, 1), company_ids=[self.company.id])
        action = self.Dashboard.action_open_kpi_records("win_rate", "month", "2026-03-15")
        leads = self.env["crm.lead"].with_context(active_test=False).search(action["domain"])
        self.assertEqual(sorted(leads.mapped("name")), ["L", "W"])
        card = self._card(self.Dashboard.get_dashboard_data("month", "2026-03-15"), "win_rate")
        self.assertEqual(card["denominator"], len(leads))


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    def test_dashboard_tour(self):
        company, manager = tour_setup(self.env, "KPI Tour Co", "kpi_tour_manager")
        today = fields.Date.context_today(self.env["crm.lead"])
        for period_type in ("month", "quarter"):
            self.env["crm.kpi.snapshot"].compute_snapshots(
                period_type, today, company_ids=[company.id]
            )
        self.start_tour("/odoo/crm-kpis", "crm_kpi_dashboard_tour", login=manager.login)


@tagged("post_install", "-at_install")
class TestDashboardGoals(KpiCase):
    def test_goal_strip(self):
        win_rate = self.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        goal = self.env["crm.kpi.goal"].with_company(self.company).create({
            "name": "Win more", "kpi_id": win_rate.id, "scope": "team",
            "team_id": self.team_a.id, "company_id": self.company.id,
            "date_start": date(2026, 1, 1), "deadline": date(2026, 12, 31),
            "baseline_value": 20, "target_value": 40,
        })
        dashboard = self.env["crm.kpi.dashboard"].with_company(self.company)
        self.assertEqual(dashboard.get_dashboard_data("month", "2026-03-15")["goals"], [],
                         "a draft goal is not shown")
        goal.status = "at_risk"
        strip = dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_a.id)["goals"]
        self.assertEqual([(g["name"], g["color"]) for g in strip], [("Win more", "warning")])
        self.assertFalse(
            dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_b.id)["goals"]
        )
