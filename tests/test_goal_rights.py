# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import KpiCase


@tagged("post_install", "-at_install")
class TestGoalRights(KpiCase):
    """Who creates and edits which goal, as each role.

    ============  =======================  ==================================
    user          role                     teams
    ============  =======================  ==================================
    user_1        KPI User (salesperson)   member of Team A
    user_2        KPI User (salesperson)   member of Team B
    leader        KPI User                 leader of Team A and of Team C
    manager       KPI Manager              —
    ============  =======================  ==================================

    Goals run 2026-01-01 → 2026-06-30, win rate unless said otherwise, with
    an entered baseline of 40 and a target of 60 (no snapshot: the value is
    unknown, so a goal started on 2026-03-01 is off track, gap ≈ 33 points).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Goal = cls.env["crm.kpi.goal"]
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.quota = cls.env.ref("crm_kpi.crm_kpi_definition_quota")
        kpi_user = cls.env.ref("crm_kpi.crm_kpi_group_user")
        (cls.user_1 | cls.user_2).write({"group_ids": [Command.link(kpi_user.id)]})
        cls.leader = new_test_user(
            cls.env,
            "kpi_rights_leader",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.manager = new_test_user(
            cls.env,
            "kpi_rights_manager",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team_c = cls.env["crm.team"].create({"name": "Team C", "company_id": cls.company.id})
        cls.team_a.write({"member_ids": cls.user_1, "user_id": cls.leader.id})
        cls.team_b.member_ids = cls.user_2
        cls.team_c.user_id = cls.leader

    @contextmanager
    def _refused(self, exception, message):
        """Odoo's assertRaises (rolled back to a savepoint, unlike
        assertRaisesRegex) and the error's message."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), message)

    def _vals(self, **vals):
        return {
            "name": "Win more",
            "kpi_id": self.win_rate.id,
            "company_id": self.company.id,
            "date_start": date(2026, 1, 1),
            "deadline": date(2026, 6, 30),
            "baseline_value": 40,
            "target_value": 60,
            **vals,
        }

    def _create(self, user, **vals):
        return self.Goal.with_user(user).create(self._vals(**vals))

    def _mine(self, **vals):
        """A salesperson goal of user_1, created by user_1."""
        return self._create(self.user_1, scope="user", user_id=self.user_1.id, **vals)

    def _started(self, goal):
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
        self.assertNotEqual(goal.status, "draft")
        return goal

    # ------------------------------------------------------------------
    # What each role may do
    # ------------------------------------------------------------------
    def test_salesperson_owns_their_goals(self):
        goal = self._mine()
        self.assertEqual(goal.responsible_id, self.user_1)
        goal.write({"plan": "Call every lead twice", "target_value": 65})
        self._started(goal)
        # started by the salesperson: the status and the activity are written for them
        self.assertEqual(goal.status, "off_track")
        self.assertEqual(goal.last_notified_status, "off_track")
        self.assertEqual(goal.activity_ids.user_id, self.user_1)
        with freeze_time("2026-03-02 10:00:00"):
            goal.action_update_status()
        self.assertEqual(goal.status, "off_track")
        self.assertEqual(len(goal.activity_ids), 1, "no second activity while the status lasts")
        goal.unlink()
        self.assertFalse(goal.exists())

    def test_cron_updates_the_goals_of_kpi_users(self):
        """The daily evaluation (as superuser) writes the status a KPI User may not."""
        goal = self._mine()
        with freeze_time("2026-01-10 10:00:00"):
            goal.action_start()
        self.assertEqual(goal.status, "on_track")
        with freeze_time("2026-03-01 03:00:00"), self.enter_registry_test_mode():
            self.env.ref("crm_kpi.ir_cron_crm_kpi_goal_update").method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual((goal.status, goal.last_notified_status), ("off_track", "off_track"))
        self.assertEqual(goal.activity_ids.user_id, self.user_1)

    def test_salesperson_cannot_create_goals_for_colleagues(self):
        # a quota for a colleague would set the colleague's quota snapshots
        with self._refused(AccessError, "your own salesperson goals"):
            self._create(
                self.user_1,
                kpi_id=self.quota.id,
                scope="user",
                user_id=self.user_2.id,
                target_value=9000,
            )
        # their own salesperson goal, but someone else responsible for it
        with self._refused(AccessError, "your own salesperson goals"):
            self._mine(responsible_id=self.user_2.id)
        self.assertFalse(self.Goal.search([("user_id", "=", self.user_2.id)]))

    def test_responsible_cannot_start_colleague_quota(self):
        """A KPI Manager gives user_1 the follow-up of user_2's quota: user_1
        reads it but neither starts, edits nor deletes it."""
        quota = self._create(
            self.manager,
            name="Q1 quota",
            kpi_id=self.quota.id,
            scope="user",
            user_id=self.user_2.id,
            responsible_id=self.user_1.id,
            target_value=9000,
            baseline_value=False,
            deadline=date(2026, 3, 31),
        )
        as_user_1 = quota.with_user(self.user_1)
        self.assertEqual(as_user_1.read(["name"])[0]["name"], "Q1 quota")
        with freeze_time("2026-01-10 10:00:00"), self.assertRaises(AccessError):
            as_user_1.action_start()
        self.assertEqual(quota.status, "draft")
        with self.assertRaises(AccessError):
            as_user_1.write({"target_value": 1000})
        with self.assertRaises(AccessError):
            as_user_1.unlink()
        self.assertEqual(quota.target_value, 9000)

    def test_salesperson_cannot_move_goal_to_colleague(self):
        goal = self._mine()
        with self._refused(AccessError, "your own salesperson goals"):
            goal.write({"user_id": self.user_2.id})
        with self._refused(AccessError, "your own salesperson goals"):
            goal.write({"responsible_id": self.user_2.id})
        # nor to a team goal of a team they are only a member of
        with self._refused(AccessError, "your own salesperson goals"):
            goal.write({"scope": "team", "user_id": False, "team_id": self.team_a.id})
        self.assertEqual(
            (goal.scope, goal.user_id, goal.responsible_id), ("user", self.user_1, self.user_1)
        )

    def test_team_goals_only_for_the_leader(self):
        # a member of Team A, and a salesperson of another team
        with self._refused(AccessError, "teams you lead"):
            self._create(self.user_1, scope="team", team_id=self.team_a.id)
        with self._refused(AccessError, "teams you lead"):
            self._create(self.user_1, scope="team", team_id=self.team_b.id)
        # the leader of Team A and C: not of Team B
        with self._refused(AccessError, "teams you lead"):
            self._create(self.leader, scope="team", team_id=self.team_b.id)
        team_goal = self._create(self.leader, scope="team", team_id=self.team_a.id)
        self.assertEqual(team_goal.responsible_id, self.leader)
        team_goal.write({"plan": "Pair juniors with seniors", "responsible_id": self.user_1.id})
        # a draft moves between the teams its leader leads, not beyond
        team_goal.write({"team_id": self.team_c.id})
        with self._refused(AccessError, "teams you lead"):
            team_goal.write({"team_id": self.team_b.id})
        self.assertEqual(team_goal.team_id, self.team_c)
        # the member made responsible reads it, and does not edit it
        with self.assertRaises(AccessError):
            team_goal.with_user(self.user_1).write({"plan": "Mine now"})
        # nor does a leader edit the salesperson goals of their team
        with self._refused(AccessError, "your own salesperson goals"):
            self._create(
                self.leader, scope="user", user_id=self.user_1.id, responsible_id=self.leader.id
            )

    def test_company_goals_only_for_managers(self):
        for user in (self.user_1, self.leader):
            with self.subTest(user=user.login), self._refused(AccessError, "Company goals"):
                self._create(user, scope="company")
        goal = self._create(self.manager, scope="company", responsible_id=self.user_1.id)
        with self.assertRaises(AccessError):
            goal.with_user(self.user_1).write({"plan": "Mine now"})
        goal.with_user(self.manager).write({"plan": "Open two new markets"})
        self.assertEqual(goal.plan, "Open two new markets")

    # ------------------------------------------------------------------
    # Status and computed values
    # ------------------------------------------------------------------
    def test_status_not_writable_by_users(self):
        goal = self._mine()
        for vals in (
            {"status": "achieved"},
            {"last_notified_status": "off_track"},
            {"current_value": 99.0},
            {"progress": 100.0},
            {"kpi_code": "quota"},
        ):
            with self.subTest(vals=vals), self._refused(AccessError, "Only KPI Managers"):
                goal.write(vals)
        self.assertEqual((goal.status, goal.last_notified_status), ("draft", False))
        self.assertEqual(self.win_rate.code, "win_rate")
        # started: the evaluation keeps its status, the salesperson does not set it
        self._started(goal)
        with self._refused(AccessError, "Only KPI Managers"):
            goal.write({"status": "achieved"})
        self.assertEqual(goal.status, "off_track")
        # nor at creation, in the values or as a default
        with self._refused(AccessError, "Only KPI Managers"):
            self._mine(status="achieved")
        with self._refused(AccessError, "already started"):
            self.Goal.with_user(self.user_1).with_context(default_status="achieved").create(
                self._vals(scope="user", user_id=self.user_1.id)
            )
        # a KPI Manager may
        goal.with_user(self.manager).write({"status": "achieved"})
        self.assertEqual(goal.status, "achieved")

    def test_reset_to_draft_only_for_managers(self):
        goal = self._started(self._mine())
        with self._refused(AccessError, "Only KPI Managers can reset"):
            goal.action_draft()
        self.assertEqual(goal.status, "off_track")
        goal.with_user(self.manager).action_draft()
        self.assertEqual((goal.status, goal.last_notified_status), ("draft", False))

    def test_started_goal_keeps_its_owner(self):
        team_goal = self._started(self._create(self.leader, scope="team", team_id=self.team_a.id))
        # Team C is also led by the leader, yet a started goal stays on its team
        for vals in (
            {"team_id": self.team_c.id},
            {"scope": "user", "team_id": False, "user_id": self.leader.id},
        ):
            with self.subTest(vals=vals), self._refused(AccessError, "is started"):
                team_goal.write(vals)
        own = self._started(self._mine())
        other_company = self.env["res.company"].create({"name": "Other KPI Co"})
        self.user_1.company_ids |= other_company
        with self._refused(AccessError, "is started"):
            own.write({"company_id": other_company.id})
        # writing the same values is no change; other fields stay editable
        team_goal.write({"team_id": self.team_a.id, "scope": "team", "plan": "Weekly reviews"})
        self.assertEqual(team_goal.plan, "Weekly reviews")
        # a KPI Manager moves it
        team_goal.with_user(self.manager).write({"team_id": self.team_c.id})
        self.assertEqual(team_goal.team_id, self.team_c)

    # ------------------------------------------------------------------
    # Parent goal
    # ------------------------------------------------------------------
    def test_parent_readable_by_owner(self):
        company_goal = self._create(self.manager, name="Company win rate", scope="company")
        team_b_goal = self._create(
            self.manager, name="Team B win rate", scope="team", team_id=self.team_b.id
        )
        # user_1 reads neither goal, so cannot contribute to them
        with self._refused(ValidationError, "cannot read that goal"):
            self._mine(parent_id=company_goal.id)
        # not even when a KPI Manager sets it up for them
        with self._refused(ValidationError, "cannot read that goal"):
            self._create(
                self.manager, scope="user", user_id=self.user_1.id, parent_id=team_b_goal.id
            )
        # the goal of their own team is readable: fine
        team_a_goal = self._create(
            self.leader, name="Team A win rate", scope="team", team_id=self.team_a.id
        )
        goal = self._mine(parent_id=team_a_goal.id)
        self.assertEqual(team_a_goal.child_ids, goal)
        # the leader contributes to a company goal only if they can read it
        with self._refused(ValidationError, "cannot read that goal"):
            team_a_goal.write({"parent_id": company_goal.id})
        company_goal.with_user(self.manager).responsible_id = self.leader
        team_a_goal.write({"parent_id": company_goal.id})
        self.assertEqual(company_goal.child_ids, team_a_goal)
