# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestGoals(KpiCase):
    """Goals evaluated on hand-built snapshots (win rate, monthly).

    Goal window: 2026-01-01 → 2026-06-30 (180 days from start to deadline),
    i.e. the six months January to June. History: November 3/10 and
    December 4/10 of 2025.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Goal = cls.env["crm.kpi.goal"]
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.quota = cls.env.ref("crm_kpi.crm_kpi_definition_quota")
        kpi_user = cls.env.ref("crm_kpi.crm_kpi_group_user")
        (cls.user_1 | cls.user_2).write({"group_ids": [Command.link(kpi_user.id)]})
        cls.user_3 = new_test_user(
            cls.env,
            "kpi_seller_3",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team_a.member_ids = cls.user_1 | cls.user_3
        cls.team_b.member_ids = cls.user_2
        cls._snap(cls.win_rate, date(2025, 11, 1), 3, 10)
        cls._snap(cls.win_rate, date(2025, 12, 1), 4, 10)
        cls._snap(cls.win_rate, date(2026, 1, 1), 9, 20)
        cls._snap(cls.win_rate, date(2026, 2, 1), 11, 20)

    @classmethod
    def _snap(cls, kpi, day, numerator, denominator, dimension="company", **dims):
        period = period_of("month", day)
        value = numerator / denominator * kpi.factor if denominator else False
        return cls.env["crm.kpi.snapshot"].create(
            {
                "kpi_id": kpi.id,
                "period_type": "month",
                "date_start": period.date_start,
                "date_end": period.date_end,
                "dimension": dimension,
                "company_id": cls.company.id,
                "numerator": numerator,
                "denominator": denominator,
                "value": value,
                "has_value": bool(denominator),
                "computed_at": fields.Datetime.now(),
                **{field: record.id for field, record in dims.items()},
            }
        )

    def _goal(self, **vals):
        return self.Goal.create(
            {
                "name": "Win more",
                "kpi_id": self.win_rate.id,
                "company_id": self.company.id,
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 6, 30),
                "target_value": 60,
                **vals,
            }
        )

    def _todos(self, goal):
        todo = self.env.ref("mail.mail_activity_data_todo")
        return goal.activity_ids.filtered(lambda a: a.activity_type_id == todo)

    def _run_cron(self, when):
        with freeze_time(when), self.enter_registry_test_mode():
            self.env.ref("crm_kpi.ir_cron_crm_kpi_goal_update").method_direct_trigger()
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Evaluation
    # ------------------------------------------------------------------
    def test_evaluation(self):
        goal = self._goal(baseline_value=40)
        self.assertFalse(goal.baseline_from_history, "an explicit baseline is kept")
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
            goal.invalidate_recordset()
            # January and February rolled up: (9 + 11) / (20 + 20) = 50 %, not avg of %
            self.assertAlmostEqual(goal.current_value, 50.0, places=4)
            self.assertEqual((goal.current_text, goal.target_text), ("50.0 %", "60.0 %"))
            # (50 − 40) / (60 − 40) = 50 %
            self.assertAlmostEqual(goal.progress, 50.0, places=4)
            # 59 days of 180 (Jan 1 → Mar 1, Jan 1 → Jun 30) = 32.78 %
            self.assertAlmostEqual(goal.expected_progress, 59 / 180 * 100, places=4)
            # cumulative values: 45 % (9/20) at Feb 1, 50 % at Mar 1 → +5 points in
            # 28 days; Mar 1 → Jun 30 is 121 days: 50 + 5 × 121 / 28 = 71.607
            self.assertAlmostEqual(goal.forecast_value, 50 + 5 * 121 / 28, places=4)
            # ahead of the pace (gap 32.78 − 50 < 10): on track
            self.assertEqual(goal.status, "on_track")
            # history: the six months before (Jul–Dec 2025) hold 3/10 and 4/10 → 35 %;
            # 60 > 35 + 50 % × 35 = 52.5: beyond history
            self.assertAlmostEqual(goal.feasibility_best, 35.0, places=4)
            self.assertAlmostEqual(goal.feasibility_median, 35.0, places=4)
            self.assertTrue(goal.feasibility_warning)
            goal.target_value = 52
            self.assertFalse(goal.feasibility_warning)
        # the graph button opens the company rows of the KPI over Jan–Jun
        action = goal.action_view_snapshots()
        snapshots = self.env["crm.kpi.snapshot"].search(action["domain"])
        self.assertEqual(snapshots.mapped("date_start"), [date(2026, 2, 1), date(2026, 1, 1)])

    def test_baseline_from_history(self):
        goal = self._goal()
        self.assertTrue(goal.baseline_from_history)
        self.assertEqual(goal.status, "draft")
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
        # the six months before the start: (3 + 4) / (10 + 10) = 35 %
        self.assertAlmostEqual(goal.baseline_value, 35.0, places=4)
        self.assertEqual(goal.status, "on_track")
        # a KPI without history before the start cannot capture a baseline
        goal_2 = self._goal(date_start=date(2025, 1, 1), deadline=date(2025, 3, 31))
        with self.assertRaisesRegex(UserError, "no value in the window"):
            goal_2.action_start()

    def test_status_transitions_and_activity_once(self):
        goal = self._goal(baseline_value=40, responsible_id=self.user_1.id)
        reached = self._goal(name="Win a bit more", baseline_value=40, target_value=55)
        with freeze_time("2026-03-01 10:00:00"):
            (goal | reached).action_start()
        self.assertEqual(goal.status, "on_track")
        self.assertFalse(self._todos(goal))

        # April 1: March 8/20 → (9 + 11 + 8) / 60 = 46.67 %; progress
        # (46.67 − 40) / 20 = 33.33 %; expected 90 / 180 = 50 %; gap 16.67
        # is above 10 and at most 25: at risk
        self._snap(self.win_rate, date(2026, 3, 1), 8, 20)
        self._run_cron("2026-04-01 10:00:00")
        self.assertEqual(goal.status, "at_risk")
        self.assertEqual(len(self._todos(goal)), 1)
        self.assertEqual(self._todos(goal).user_id, self.user_1)
        self.assertEqual(goal.last_notified_status, "at_risk")
        # still at risk the next day: no second activity
        self._run_cron("2026-04-02 10:00:00")
        self.assertEqual(goal.status, "at_risk")
        self.assertEqual(len(self._todos(goal)), 1)

        # May 1: April 0/20 → 28 / 80 = 35 %; progress −25 %; expected
        # 120 / 180 = 66.67 %; gap 91.67: off track, a new activity
        self._snap(self.win_rate, date(2026, 4, 1), 0, 20)
        self._run_cron("2026-05-01 10:00:00")
        self.assertEqual(goal.status, "off_track")
        self.assertEqual(len(self._todos(goal)), 2)

        # after the deadline: May 20/20, June 20/20 → 68 / 120 = 56.67 %:
        # below 60 → missed; at or above 55 → achieved
        self._snap(self.win_rate, date(2026, 5, 1), 20, 20)
        self._snap(self.win_rate, date(2026, 6, 1), 20, 20)
        self._run_cron("2026-07-02 10:00:00")
        self.assertEqual(goal.status, "missed")
        self.assertEqual(reached.status, "achieved")
        self.assertEqual(len(self._todos(goal)), 2)

    def test_draft_goals_are_not_updated(self):
        goal = self._goal(baseline_value=40)
        self._run_cron("2026-04-01 10:00:00")
        self.assertEqual(goal.status, "draft")

    def test_margins_per_goal(self):
        # same April 1 situation as above (gap 16.67) with a 20-point at-risk margin
        self._snap(self.win_rate, date(2026, 3, 1), 8, 20)
        goal = self._goal(baseline_value=40, at_risk_margin=20, off_track_margin=30)
        with freeze_time("2026-04-01 10:00:00"):
            goal.action_start()
        self.assertEqual(goal.status, "on_track")

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    def test_constraints(self):
        with self.assertRaisesRegex(ValidationError, "must be after its start"):
            self._goal(deadline=date(2025, 12, 31))
        with self.assertRaisesRegex(ValidationError, "must differ from its baseline"):
            self._goal(baseline_value=60)
        with self.assertRaisesRegex(ValidationError, "must be above its baseline"):
            self._goal(baseline_value=70)
        cycle = self.env.ref("crm_kpi.crm_kpi_definition_sales_cycle")
        with self.assertRaisesRegex(ValidationError, "must be below its baseline"):
            self._goal(kpi_id=cycle.id, baseline_value=30, target_value=40)
        with self.assertRaisesRegex(ValidationError, "set exactly the sales team"):
            self._goal(scope="team")
        with self.assertRaisesRegex(ValidationError, "set exactly the sales team"):
            self._goal(scope="user", user_id=self.user_1.id, team_id=self.team_a.id)
        with self.assertRaisesRegex(ValidationError, "set exactly the sales team"):
            self._goal(team_id=self.team_a.id)
        with self.assertRaisesRegex(ValidationError, "margins must satisfy"):
            self._goal(baseline_value=40, at_risk_margin=30, off_track_margin=20)
        # a draft goal whose baseline comes from history is checked when started
        goal = self._goal(target_value=30)
        with (
            freeze_time("2026-03-01 10:00:00"),
            self.assertRaisesRegex(ValidationError, "must be above its baseline"),
        ):
            goal.action_start()
        company_goal = self._goal(baseline_value=40)
        team_goal = self._goal(
            scope="team", team_id=self.team_a.id, baseline_value=40, parent_id=company_goal.id
        )
        self.assertEqual(company_goal.child_ids, team_goal)
        with self.assertRaisesRegex(ValidationError, "only contribute to a wider goal"):
            self._goal(baseline_value=40, parent_id=team_goal.id)
        with self.assertRaisesRegex(ValidationError, "cannot contribute to itself"):
            company_goal.parent_id = company_goal

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    def test_kpi_user_access(self):
        own = self._goal(scope="user", user_id=self.user_1.id, baseline_value=40)
        teammate = self._goal(scope="user", user_id=self.user_3.id, baseline_value=40)
        team = self._goal(scope="team", team_id=self.team_a.id, baseline_value=40)
        other = self._goal(scope="user", user_id=self.user_2.id, baseline_value=40)
        other_team = self._goal(scope="team", team_id=self.team_b.id, baseline_value=40)
        self.assertEqual(own.responsible_id, self.user_1)
        self.env.invalidate_all()

        Goal = self.Goal.with_user(self.user_1)
        self.assertEqual(
            Goal.search([("id", "in", (own | teammate | team | other | other_team).ids)]),
            own | teammate | team,
        )
        self.assertEqual(teammate.with_user(self.user_1).read(["name"])[0]["name"], "Win more")
        with self.assertRaises(AccessError):
            other.with_user(self.user_1).read(["name"])
        with self.assertRaises(AccessError):
            other_team.with_user(self.user_1).read(["name"])
        with self.assertRaises(AccessError):
            teammate.with_user(self.user_1).write({"plan": "Mine now"})
        with self.assertRaises(AccessError):
            team.with_user(self.user_1).write({"plan": "Mine now"})
        # the search filters "My Goals" and "My Team" of the search view
        view = self.env.ref("crm_kpi.crm_kpi_goal_view_search")
        self.assertIn("filter_my_team", view.arch)
        my_team = [
            "|",
            "|",
            "|",
            ("team_id.member_ids", "in", [self.user_1.id]),
            ("team_id.user_id", "=", self.user_1.id),
            ("user_id.crm_team_member_ids.crm_team_id.member_ids", "in", [self.user_1.id]),
            ("user_id.crm_team_member_ids.crm_team_id.user_id", "=", self.user_1.id),
        ]
        self.assertEqual(Goal.search(my_team), own | teammate | team)
        own.with_user(self.user_1).write({"plan": "Call every lead twice"})
        self.assertEqual(own.plan, "Call every lead twice")
        # the team leader reads the goals of the team's salespeople
        self.team_b.user_id = self.user_3
        self.env.invalidate_all()
        self.assertEqual(other.with_user(self.user_3).read(["name"])[0]["name"], "Win more")
        # a KPI manager sees every goal
        manager = new_test_user(
            self.env,
            "kpi_goal_manager",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.assertEqual(
            len(
                self.Goal.with_user(manager).search(
                    [("id", "in", (own | teammate | team | other | other_team).ids)]
                )
            ),
            5,
        )
        # "My Goals" of the manager lists the salesperson goal they just set
        # for user 1 (user 1 is its salesperson and responsible)
        set_for_user_1 = self.Goal.with_user(manager).create(
            {
                "name": "Win more, user 1",
                "kpi_id": self.win_rate.id,
                "scope": "user",
                "user_id": self.user_1.id,
                "company_id": self.company.id,
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 6, 30),
                "baseline_value": 40,
                "target_value": 60,
            }
        )
        self.assertEqual(set_for_user_1.responsible_id, self.user_1)
        arch = etree.fromstring(view.arch)
        my_goals = safe_eval(
            arch.find(".//filter[@name='filter_my_goals']").get("domain"), {"uid": manager.id}
        )
        self.assertIn(set_for_user_1, self.Goal.with_user(manager).search(my_goals))
        # a salesperson cannot change a KPI Manager's goal
        manager_goal = self._goal(baseline_value=40, responsible_id=manager.id)
        with self.assertRaises(AccessError):
            manager_goal.with_user(self.user_1).write({"target_value": 45})

    def test_multi_company(self):
        goal = self._goal(baseline_value=40)
        other_company = self.env["res.company"].create({"name": "Other KPI Co"})
        outsider = new_test_user(
            self.env,
            "kpi_goal_outsider",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        with self.assertRaises(AccessError):
            goal.with_user(outsider).read(["name"])

    # ------------------------------------------------------------------
    # Quota
    # ------------------------------------------------------------------
    def test_quota_from_goals(self):
        """User 1's quota: 9,000 for Q1 2026 (90 days); user 2's goal is a draft."""
        goal = self.Goal.create(
            {
                "name": "Q1 quota",
                "kpi_id": self.quota.id,
                "company_id": self.company.id,
                "scope": "user",
                "user_id": self.user_1.id,
                "period_type": "month",
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 3, 31),
                "target_value": 9000,
            }
        )
        self.Goal.create(
            {
                "name": "Draft quota",
                "kpi_id": self.quota.id,
                "company_id": self.company.id,
                "scope": "user",
                "user_id": self.user_2.id,
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 3, 31),
                "target_value": 5000,
            }
        )
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
        self.assertEqual(goal.baseline_value, 0.0, "a quota counts from zero")
        self._lead(
            "Jan deal",
            dt(2026, 1, 5),
            user=self.user_1,
            status="won",
            closed=dt(2026, 1, 15, 12),
            expected_revenue=2000,
        )
        self._lead(
            "Feb deal",
            dt(2026, 1, 5),
            user=self.user_1,
            team=self.team_b,
            status="won",
            closed=dt(2026, 2, 10, 12),
            expected_revenue=1000,
        )
        self._lead(
            "Jan lost",
            dt(2026, 1, 5),
            user=self.user_1,
            status="lost",
            closed=dt(2026, 1, 20, 12),
            expected_revenue=7000,
        )
        self._lead(
            "User 2 deal",
            dt(2026, 1, 5),
            user=self.user_2,
            status="won",
            closed=dt(2026, 1, 20, 12),
            expected_revenue=500,
        )

        january = self.compute("quota", "month", date(2026, 1, 1))
        # quota pro-rated: 9,000 × 31 / 90 = 3,100; won 2,000 → 64.52 %
        self.assertKpi(
            self.row(january, "user", user_id=self.user_1), 2000, 3100, 2000 / 3100 * 100
        )
        # user 2's goal is a draft: no quota, no row
        self.assertFalse(january.filtered(lambda s: s.user_id == self.user_2))
        # no team target: the company row keeps its old behaviour (no value)
        self.assertFalse(self.row(january).has_value)
        february = self.compute("quota", "month", date(2026, 2, 1))
        # 9,000 × 28 / 90 = 2,800; won 1,000
        self.assertKpi(
            self.row(february, "user", user_id=self.user_1), 1000, 2800, 1000 / 2800 * 100
        )
        quarter = self.compute("quota", "quarter", date(2026, 1, 1))
        # the whole goal: 3,000 / 9,000 = 33.33 %
        self.assertKpi(self.row(quarter, "user", user_id=self.user_1), 3000, 9000, 100 / 3)

        with freeze_time("2026-03-01 10:00:00"):
            goal.invalidate_recordset()
            # revenue won so far (Σ numerators of January and February): 3,000
            self.assertAlmostEqual(goal.current_value, 3000, places=4)
            # 3,000 / 9,000 = 33.33 %, expected 59 / 89 days = 66.29 %: gap 32.96 > 25
            self.assertAlmostEqual(goal.progress, 100 / 3, places=4)
            self.assertAlmostEqual(goal.expected_progress, 59 / 89 * 100, places=4)
            goal.action_update_status()
            self.assertEqual(goal.status, "off_track")

    def test_quota_goal_shows_its_value_when_started(self):
        """User 1 won 2,000 on 2026-01-02; no snapshot is computed. Started on
        2026-01-03, the Q1 quota goal (9,000, 89 days) computes January at
        once: current 2,000 (22.2 %). Day 2 of 89 (2.2 % < 25 %): no forecast
        — a line through (01-01, 0) and (01-03, 2,000) would say 89,000.
        On 2026-03-01 (59 of 89 days), with 1,000 more won on 02-10 and the
        months computed: current 3,000 and a forecast."""
        self._lead(
            "Early deal",
            dt(2026, 1, 1),
            user=self.user_1,
            status="won",
            closed=dt(2026, 1, 2, 12),
            expected_revenue=2000,
        )
        goal = self.Goal.create(
            {
                "name": "Q1 quota",
                "kpi_id": self.quota.id,
                "company_id": self.company.id,
                "scope": "user",
                "user_id": self.user_1.id,
                "period_type": "month",
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 3, 31),
                "target_value": 9000,
            }
        )
        self.assertFalse(
            self.Snapshot.search([("kpi_id", "=", self.quota.id), ("user_id", "=", self.user_1.id)])
        )
        with freeze_time("2026-01-03 10:00:00"):
            goal.action_start()
            goal.invalidate_recordset()
            self.assertAlmostEqual(goal.current_value, 2000, places=4)
            self.assertAlmostEqual(goal.progress, 2000 / 9000 * 100, places=4)
            self.assertFalse(goal.has_forecast, "too early")
            self.assertEqual(goal.forecast_value, 0.0)
            # a quota is an amount in the company currency, whatever the KPI's unit (%)
            self.assertEqual(goal.goal_unit, "currency")
            currency = self.company.currency_id
            self.assertIn(currency.symbol, goal.target_text)
            self.assertIn("9,000", goal.target_text)
            self.assertIn("2,000", goal.current_text)
            self.assertEqual(goal.forecast_text, "Too early")
        self._lead(
            "Feb deal",
            dt(2026, 1, 5),
            user=self.user_1,
            status="won",
            closed=dt(2026, 2, 10, 12),
            expected_revenue=1000,
        )
        for month in (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)):
            self.compute("quota", "month", month)
        with freeze_time("2026-03-01 10:00:00"):
            goal.invalidate_recordset()
            self.assertAlmostEqual(goal.current_value, 3000, places=4)
            self.assertTrue(goal.has_forecast)

    # ------------------------------------------------------------------
    # A decreasing KPI, and a ratio over several teams
    # ------------------------------------------------------------------
    def test_decreasing_kpi_goal(self):
        churn = self.env.ref("crm_kpi.crm_kpi_definition_churn")
        self._snap(churn, date(2026, 1, 1), 8, 100)
        self._snap(churn, date(2026, 2, 1), 6, 100)
        goal = self._goal(name="Churn down", kpi_id=churn.id, baseline_value=10, target_value=4)
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
            goal.invalidate_recordset()
            # January and February: (8 + 6) / (100 + 100) = 7 %
            self.assertAlmostEqual(goal.current_value, 7.0, places=4)
            # lower is better: (10 − 7) / (10 − 4) = 50 % of the way
            self.assertAlmostEqual(goal.progress, 50.0, places=4)
            self.assertAlmostEqual(goal.expected_progress, 59 / 180 * 100, places=4)
            # cumulative 8 % at Feb 1, 7 % at Mar 1: −1 point in 28 days;
            # 121 more days to Jun 30: 7 − 121 / 28 = 2.679 %
            self.assertAlmostEqual(goal.forecast_value, 7 - 121 / 28, places=4)
            self.assertEqual(goal.status, "on_track")
        # the deadline passes at 7 %, above the 4 % target: missed
        self._run_cron("2026-07-02 04:00:00")
        self.assertEqual(goal.status, "missed")
        # a target above the baseline is refused for a lower-is-better KPI
        with self.assertRaises(ValidationError):
            self._goal(name="Wrong way", kpi_id=churn.id, baseline_value=10, target_value=12)

    def test_ratio_goal_over_three_teams(self):
        team_c = self.env["crm.team"].create({"name": "Team C", "company_id": self.company.id})
        # January 2026 — team A: 1 won of 2; team B: 3 of 4; team C: 0 of 4
        for team, won, lost in ((self.team_a, 1, 1), (self.team_b, 3, 1), (team_c, 0, 4)):
            for index in range(won + lost):
                self._lead(
                    f"{team.name} {index}",
                    dt(2026, 1, 2),
                    team,
                    status="won" if index < won else "lost",
                    closed=dt(2026, 1, 20),
                )
        self.env["crm.kpi.snapshot"].search([("company_id", "=", self.company.id)]).unlink()
        self.Snapshot.compute_snapshots(
            "month", date(2026, 1, 1), kpi_codes=["win_rate"], company_ids=[self.company.id]
        )
        company_goal = self._goal(name="Company win rate", baseline_value=30, target_value=50)
        team_goals = self.Goal.create(
            [
                {
                    "name": f"{team.name} win rate",
                    "kpi_id": self.win_rate.id,
                    "scope": "team",
                    "team_id": team.id,
                    "company_id": self.company.id,
                    "parent_id": company_goal.id,
                    "date_start": date(2026, 1, 1),
                    "deadline": date(2026, 6, 30),
                    "baseline_value": 10,
                    "target_value": 30,
                }
                for team in (self.team_a, self.team_b, team_c)
            ]
        )
        with freeze_time("2026-02-01 10:00:00"):
            (company_goal | team_goals).action_start()
            (company_goal | team_goals).invalidate_recordset()
        # the company: (1 + 3 + 0) / (2 + 4 + 4) = 40 %, not the mean of 50, 75 and 0 (41.7)
        self.assertAlmostEqual(company_goal.current_value, 40.0, places=4)
        # (40 − 30) / (50 − 30) = 50 %
        self.assertAlmostEqual(company_goal.progress, 50.0, places=4)
        self.assertEqual(company_goal.child_ids, team_goals)
        a, b, c = team_goals
        self.assertAlmostEqual(a.current_value, 50.0, places=4)
        self.assertAlmostEqual(b.current_value, 75.0, places=4)
        self.assertAlmostEqual(c.current_value, 0.0, places=4)
        # team C moved away from its target: (0 − 10) / (30 − 10) = −50 % → off track;
        # teams A and B are past their target before the deadline, but on 1 of 2
        # and 3 of 4 deals after 31 of 180 days: on track, not achieved yet
        # (early achievement needs half the window and 10 closed deals)
        self.assertAlmostEqual(c.progress, -50.0, places=4)
        self.assertEqual(c.status, "off_track")
        self.assertEqual((a.status, b.status), ("on_track", "on_track"))
        # at the deadline they are achieved on their value
        self._run_cron("2026-06-30 10:00:00")
        self.assertEqual((a.status, b.status), ("achieved", "achieved"))
