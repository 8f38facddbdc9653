# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..engine.units import CurrencyStyle, Formatter
from .common import KpiCase, dt, tour_setup


@tagged("post_install", "-at_install")
class TestDashboardData(KpiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # March 2026: team A wins one, loses one; March 2025: team A wins one of three
        cls._lead("W", dt(2026, 3, 1), cls.team_a, cls.user_1, status="won", closed=dt(2026, 3, 10))
        cls._lead(
            "L", dt(2026, 3, 1), cls.team_a, cls.user_1, status="lost", closed=dt(2026, 3, 11)
        )
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

    def test_texts_come_from_the_server(self):
        """Every number of a card comes with its text (the one table of units):
        percentage points for a change of a percentage, the currency's decimals
        and symbol for amounts; periods in the user's language."""
        data = self.Dashboard.get_dashboard_data("month", "2026-03-15")
        self.assertEqual(data["period"]["title"], "Mar 2026")
        self.assertEqual(data["period"]["previous_title"], "Feb 2026")
        self.assertEqual(data["period"]["last_year_title"], "Mar 2025")
        card = self._card(data, "win_rate")
        self.assertEqual(card["value_text"], "50.0 %")
        self.assertEqual(card["delta_previous"]["text"], "+50.0 pp")
        self.assertEqual(card["delta_previous"]["state"], "better")
        self.assertEqual(card["delta_previous"]["percent_text"], "", "no Δ% against 0")
        self.assertEqual(card["delta_year"]["text"], "+16.7 pp")
        self.assertEqual(card["delta_year"]["percent_text"], "+50.0 %")
        self.assertEqual(card["trend_labels"][-1], "Mar 2026")
        self.assertEqual(self._card(data, "nps")["value_text"], "n/a")
        # won in 9 days in March 2026 and in March 2025; nothing won in February
        cycle = self._card(data, "sales_cycle")
        self.assertEqual(cycle["value_text"], "9.0 days")
        self.assertIsNone(cycle["delta_previous"])
        self.assertEqual(
            (cycle["delta_year"]["text"], cycle["delta_year"]["state"]), ("0.0 days", "none")
        )
        revenue = self._card(data, "net_new_revenue")
        currency = self.company.currency_id
        self.assertEqual(
            revenue["value_text"],
            Formatter(
                currency=CurrencyStyle(currency.symbol, currency.position, currency.decimal_places)
            ).text(revenue["value"], "currency"),
        )
        self.assertIn(f"{0:.{currency.decimal_places}f}", revenue["value_text"])
        dutch = self.Dashboard.with_context(lang="nl_NL")
        self.env["res.lang"]._activate_lang("nl_NL")
        self.assertEqual(
            dutch.get_dashboard_data("month", "2026-03-15")["period"]["title"], "mrt. 2026"
        )

    def test_board_reader(self):
        """The one reader of the dashboard and the XLSX: team A's win rate in
        February (0 of 1) and March 2026 (1 of 2), against March 2025 (1 of 3)."""
        board = self.Snapshot._kpi_board(
            "month",
            [date(2026, 2, 1), date(2026, 3, 1)],
            self.company,
            scope=self.team_a,
            kpi_codes=["win_rate"],
        )
        self.assertEqual([row.code for row in board.rows], ["win_rate"])
        self.assertEqual(
            [(c.key, c.label) for c in board.columns_of("period")],
            [("month:2026-02-01", "Feb 2026"), ("month:2026-03-01", "Mar 2026")],
        )
        march = board.cell("win_rate", "month:2026-03-01")
        self.assertEqual((march.value.numerator, march.value.denominator, march.number), (1, 2, 50))
        self.assertEqual((march.text, march.state), ("50.0 %", "ok"))
        self.assertEqual(march.source.team_id, self.team_a)
        self.assertEqual(board.cell("win_rate", "month:2026-02-01").state, "critical")
        self.assertAlmostEqual(board.cell("win_rate", "last_year").number, 33.33, places=2)
        self.assertEqual(board.cell("win_rate", "delta_previous").text, "+50.0 pp")
        self.assertEqual(board.cell("win_rate", "delta_last_year").text, "+16.7 pp")
        with self.assertRaises(ValueError):
            self.Snapshot._kpi_board("month", [date(2026, 3, 1)], self.company, scope=self.company)

    def test_team_scope_and_bad_input(self):
        data = self.Dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_a.id)
        codes = {card["code"] for card in data["cards"]}
        self.assertIn("win_rate", codes)
        self.assertNotIn("nps", codes, "NPS cannot be split by team")
        self.assertAlmostEqual(self._card(data, "win_rate")["value"], 50.0)
        with self.assertRaises(UserError):
            self.Dashboard.get_dashboard_data(
                "month", team_id=self.team_a.id, user_id=self.user_1.id
            )
        with self.assertRaises(UserError):
            self.Dashboard.get_dashboard_data("fortnight")

    def test_empty_reasons_fractions_and_clickable_cards(self):
        """March 2026, company: win rate 1 of 2. Team B has no opportunity:
        the company row exists, so its card says there is nothing of team B
        (not "not computed"); January 2024 was never computed."""
        data = self.Dashboard.get_dashboard_data("month", "2026-03-15")
        win_rate = self._card(data, "win_rate")
        self.assertEqual(win_rate["fraction_text"], "1 of 2")
        self.assertTrue(win_rate["drillable"])
        self.assertFalse(self._card(data, "data_quality")["drillable"])
        self.assertEqual(self._card(data, "net_new_revenue")["fraction_text"], "")
        team_b = self._card(
            self.Dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_b.id),
            "win_rate",
        )
        self.assertIsNone(team_b["value"])
        self.assertEqual(
            team_b["empty_reason"],
            f"Nothing for {self.team_b.name} in this period. "
            "No opportunity was won or lost in this period.",
        )
        old = self._card(self.Dashboard.get_dashboard_data("month", "2024-01-15"), "win_rate")
        self.assertIn("Not computed yet", old["empty_reason"])
        # an empty drill-down says so
        action = self.Dashboard.action_open_kpi_records("win_rate", "month", "2024-01-15")
        self.assertIn("No record behind this value.", action["help"])

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
        # the demo data opens the dashboard on the last complete month; this
        # tour reads today's values
        self.env.ref("crm_kpi.crm_kpi_dashboard_action").context = "{}"
        self.start_tour("/odoo/crm-kpis", "crm_kpi_dashboard_tour", login=manager.login)

    def test_demo_opens_on_the_last_complete_month(self):
        action = self.env.ref("crm_kpi.crm_kpi_dashboard_action")
        if not self.env.ref("crm_kpi.crm_kpi_goal_demo_win_rate", raise_if_not_found=False):
            self.skipTest("crm_kpi was installed without its demo data")
        self.assertEqual(action.context, "{'kpi_date': 'last_complete'}")


@tagged("post_install", "-at_install")
class TestDashboardGoals(KpiCase):
    def test_goal_strip(self):
        win_rate = self.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        goal = (
            self.env["crm.kpi.goal"]
            .with_company(self.company)
            .create(
                {
                    "name": "Win more",
                    "kpi_id": win_rate.id,
                    "scope": "team",
                    "team_id": self.team_a.id,
                    "company_id": self.company.id,
                    "date_start": date(2026, 1, 1),
                    "deadline": date(2026, 12, 31),
                    "baseline_value": 20,
                    "target_value": 40,
                }
            )
        )
        dashboard = self.env["crm.kpi.dashboard"].with_company(self.company)
        self.assertEqual(
            dashboard.get_dashboard_data("month", "2026-03-15")["goals"],
            [],
            "a draft goal is not shown",
        )
        goal.status = "at_risk"
        strip = dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_a.id)["goals"]
        self.assertEqual([(g["name"], g["color"]) for g in strip], [("Win more", "warning")])
        self.assertFalse(
            dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_b.id)["goals"]
        )

    def test_trend_chart_axis_and_target(self):
        """The card's trend chart: ticks chosen and formatted on the server,
        covering the values and the running goal's target, which is drawn
        for the goal's own scope only.

        Team A, March 2026: won 1 of 2 → 50 %; goal target 40 %: ticks over
        0..50 in about four steps of 12.5 → 20 → 0, 20, 40, 60."""
        self._lead(
            "A won", dt(2026, 3, 1), self.team_a, self.user_1, status="won", closed=dt(2026, 3, 10)
        )
        self._lead(
            "A lost",
            dt(2026, 3, 1),
            self.team_a,
            self.user_1,
            status="lost",
            closed=dt(2026, 3, 11),
        )
        self.Snapshot.compute_snapshots("month", date(2026, 3, 1), company_ids=[self.company.id])
        win_rate = self.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        self.env["crm.kpi.goal"].with_company(self.company).create(
            {
                "name": "Win more",
                "kpi_id": win_rate.id,
                "scope": "team",
                "team_id": self.team_a.id,
                "company_id": self.company.id,
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 12, 31),
                "baseline_value": 20,
                "target_value": 40,
                "status": "on_track",
            }
        )
        dashboard = self.env["crm.kpi.dashboard"].with_company(self.company)
        data = dashboard.get_dashboard_data("month", "2026-03-15", team_id=self.team_a.id)
        card = next(card for card in data["cards"] if card["code"] == "win_rate")
        self.assertEqual(card["trend_texts"][-1], "50.0 %")
        self.assertEqual(card["trend_texts"][0], "n/a")
        self.assertEqual(card["trend_labels"][-1], "Mar 2026")
        self.assertEqual(
            [tick["text"] for tick in card["trend_axis"]], ["0.0 %", "20.0 %", "40.0 %", "60.0 %"]
        )
        self.assertEqual((card["goal"]["target_text"], card["goal"]["is_level"]), ("40.0 %", True))
        # the team's goal is not the company's target
        data = dashboard.get_dashboard_data("month", "2026-03-15")
        card = next(card for card in data["cards"] if card["code"] == "win_rate")
        self.assertIsNone(card["goal"])


@tagged("post_install", "-at_install")
class TestFirstHourTour(HttpCase):
    def test_first_hour_tour(self):
        """The first hour of a sales manager, on the demo data (issue 16)."""
        if not self.env.ref("crm_kpi.crm_kpi_goal_demo_win_rate", raise_if_not_found=False):
            self.skipTest("crm_kpi was installed without its demo data")
        self.start_tour("/odoo/crm-kpis", "crm_kpi_first_hour_tour", login="admin", timeout=300)
        goal = self.env["crm.kpi.goal"].search([("name", "=", "Mitchell's quota")])
        self.assertEqual(
            (goal.goal_unit, goal.target_value, goal.user_id.login), ("currency", 90000, "admin")
        )
        self.assertNotEqual(goal.status, "draft")
        request = self.env["crm.kpi.compute.request"].search([], limit=1)
        self.assertEqual((request.period_type, request.state), ("quarter", "queued"))
