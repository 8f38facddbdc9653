# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
from datetime import date

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import KpiCase, dt, tour_setup


def kpi_user(env, login, company, manager=False):
    groups = "crm_kpi.crm_kpi_group_manager" if manager else "crm_kpi.crm_kpi_group_user"
    return new_test_user(
        env,
        login,
        groups=groups,
        company_id=company.id,
        company_ids=[company.id],
        name=login,
    )


@tagged("post_install", "-at_install")
class TestLeaderboard(KpiCase):
    """Win rate, March 2026 (February for the Δ), minimum denominator 5.

    ======  ======  ========================  ============================
    team    who     won / closed              leaderboard
    ======  ======  ========================  ============================
    A       Ann     4 / 5 = 80 % (Feb 1 / 2)  rank 1, Δ +30.0 pp
    A       Bob     3 / 5 = 60 %              rank 2
    A       Cid     2 / 2 = 100 %             2 < 5: shown, not ranked
    A       Dan     nothing                   no value, last
    B       Eve     1 / 5 = 20 %              (team B)
    ======  ======  ========================  ============================

    Teams: A 9 / 12 = 75 % rank 1 (Feb 1 / 2 = 50 %: Δ +25.0 pp), B 1 / 5 =
    20 % rank 2, C nothing (no row): last. Leo leads team A.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        cls.ann, cls.bob, cls.cid, cls.dan, cls.eve, cls.leo = (
            kpi_user(cls.env, login, company)
            for login in ("Ann", "Bob", "Cid", "Dan", "Eve", "Leo")
        )
        cls.team_a.write(
            {
                "member_ids": [(6, 0, (cls.ann | cls.bob | cls.cid | cls.dan).ids)],
                "user_id": cls.leo.id,
            }
        )
        cls.team_b.member_ids = cls.eve
        cls.team_c = cls.env["crm.team"].create({"name": "Team C", "company_id": company.id})
        march, closed = dt(2026, 3, 2), dt(2026, 3, 10)
        for user, team, won, lost in (
            (cls.ann, cls.team_a, 4, 1),
            (cls.bob, cls.team_a, 3, 2),
            (cls.cid, cls.team_a, 2, 0),
            (cls.eve, cls.team_b, 1, 4),
        ):
            for i in range(won):
                cls._lead(f"{user.name} won {i}", march, team, user, status="won", closed=closed)
            for i in range(lost):
                cls._lead(f"{user.name} lost {i}", march, team, user, status="lost", closed=closed)
        cls._lead(
            "Ann Feb won", dt(2026, 2, 2), cls.team_a, cls.ann, status="won", closed=dt(2026, 2, 9)
        )
        cls._lead(
            "Ann Feb lost",
            dt(2026, 2, 2),
            cls.team_a,
            cls.ann,
            status="lost",
            closed=dt(2026, 2, 9),
        )
        cls.Snapshot.compute_snapshots(
            "month",
            date(2026, 2, 1),
            date(2026, 3, 1),
            kpi_codes=["win_rate"],
            company_ids=[company.id],
        )
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.Leaderboard = cls.env["crm.kpi.leaderboard"].with_company(company)

    def board(self, user=None, **kwargs):
        model = self.Leaderboard.with_user(user) if user else self.Leaderboard
        kwargs = {
            "kpi_id": self.win_rate.id,
            "period_type": "month",
            "date": "2026-03-15",
            **kwargs,
        }
        return model.get_leaderboard_data(**kwargs)

    @staticmethod
    def table(data):
        return [
            (row["name"], row["rank"], row["status"], row["value_text"]) for row in data["rows"]
        ]

    def test_teams(self):
        data = self.board()
        self.assertEqual(data["dimension"], "team")
        self.assertEqual(
            self.table(data),
            [
                ("Team A", 1, "ranked", "75.0 %"),
                ("Team B", 2, "ranked", "20.0 %"),
                ("Team C", None, "no_value", "n/a"),
            ],
        )
        team_a, _team_b, team_c = data["rows"]
        self.assertEqual(team_a["fraction_text"], "9 of 12")
        self.assertEqual(team_a["delta"], {"text": "+25.0 pp", "state": "better"})
        self.assertEqual(team_c["note"], "No value in this period.")
        self.assertEqual(data["ranked_count"], 2)
        self.assertEqual(
            (data["period"]["title"], data["period"]["previous_title"]), ("Mar 2026", "Feb 2026")
        )

    def test_salespeople_of_a_team(self):
        data = self.board(team_id=self.team_a.id)
        self.assertEqual(data["dimension"], "user")
        self.assertEqual(
            self.table(data),
            [
                ("Ann", 1, "ranked", "80.0 %"),
                ("Bob", 2, "ranked", "60.0 %"),
                ("Cid", None, "below_minimum", "100.0 %"),
                ("Dan", None, "no_value", "n/a"),
            ],
        )
        ann, bob, cid, _dan = data["rows"]
        self.assertEqual((ann["fraction_text"], ann["delta"]["text"]), ("4 of 5", "+30.0 pp"))
        self.assertIsNone(bob["delta"], "Bob closed nothing in February")
        self.assertEqual(cid["note"], "Not ranked: fewer than 5 to divide by.")
        self.assertFalse(data["personal"])

    def test_minimum_denominator_setting(self):
        self.company.kpi_leaderboard_min_denominator = 0
        self.assertEqual(
            [(name, rank) for name, rank, _s, _v in self.table(self.board(team_id=self.team_a.id))],
            [("Cid", 1), ("Ann", 2), ("Bob", 3), ("Dan", None)],
        )
        self.company.kpi_leaderboard_min_denominator = 6
        self.assertEqual(self.board(team_id=self.team_a.id)["ranked_count"], 0)
        with self.assertRaises(ValidationError):
            self.company.kpi_leaderboard_min_denominator = -1
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"kpi_leaderboard_min_denominator": 2.5})

    def test_ranking_mode(self):
        """Ranking (the default): the members of team A see its board, and
        every team's; not the salespeople of a team they are not in."""
        self.assertEqual(self.company.kpi_leaderboard_visibility, "ranking")
        data = self.board(self.bob, team_id=self.team_a.id)
        self.assertEqual([row["name"] for row in data["rows"]], ["Ann", "Bob", "Cid", "Dan"])
        self.assertEqual([row["is_me"] for row in data["rows"]], [False, True, False, False])
        self.assertEqual(data["teams"], [{"id": self.team_a.id, "name": "Team A"}])
        self.assertEqual(len(self.board(self.bob)["rows"]), 3)
        with self.assertRaises(AccessError):
            self.board(self.bob, team_id=self.team_b.id)

    def test_personal_mode(self):
        """Personal: Bob sees his own row (rank 2 of 2 ranked) and nothing of
        the others; Cid his unranked row; among the teams, only team A. The
        leader of team A and the KPI Manager still see the whole team."""
        self.company.kpi_leaderboard_visibility = "personal"
        data = self.board(self.bob, team_id=self.team_a.id)
        self.assertTrue(data["personal"])
        self.assertEqual(self.table(data), [("Bob", 2, "ranked", "60.0 %")])
        self.assertEqual(data["ranked_count"], 2)
        sent = json.dumps(data["rows"])
        for other in ("Ann", "Cid", "Dan", "80.0", "4 of 5"):
            self.assertNotIn(other, sent)
        self.assertEqual(
            self.table(self.board(self.cid, team_id=self.team_a.id)),
            [("Cid", None, "below_minimum", "100.0 %")],
        )
        self.assertEqual(self.table(self.board(self.bob)), [("Team A", 1, "ranked", "75.0 %")])
        self.assertEqual(len(self.board(self.leo, team_id=self.team_a.id)["rows"]), 4)
        manager = kpi_user(self.env, "kpi_leader_manager", self.company, manager=True)
        self.assertEqual(len(self.board(manager, team_id=self.team_b.id)["rows"]), 1)
        self.assertFalse(self.board(manager)["personal"])

    def test_running_goal(self):
        """Ann's goal: 50 % → 90 % over March: at 80 %, (80 − 50) / (90 − 50) = 75 %.
        In personal mode Bob does not get it."""
        goal = self.env["crm.kpi.goal"].create(
            {
                "name": "Ann wins more",
                "kpi_id": self.win_rate.id,
                "scope": "user",
                "user_id": self.ann.id,
                "company_id": self.company.id,
                "date_start": date(2026, 3, 1),
                "deadline": date(2026, 3, 31),
                "baseline_from_history": False,
                "baseline_value": 50,
                "target_value": 90,
            }
        )
        goal.status = "on_track"
        ann, bob, *_rest = self.board(team_id=self.team_a.id)["rows"]
        self.assertEqual(
            (ann["goal"]["name"], ann["goal"]["progress_text"], ann["goal"]["color"]),
            ("Ann wins more", "75.0 %", "info"),
        )
        self.assertFalse(bob["goal"])
        self.company.kpi_leaderboard_visibility = "personal"
        self.assertNotIn(
            "Ann wins more", json.dumps(self.board(self.bob, team_id=self.team_a.id)["rows"])
        )

    def test_kpis_by_scope_and_bad_input(self):
        nps = self.env.ref("crm_kpi.crm_kpi_definition_nps")
        data = self.board(kpi_id=nps.id)
        self.assertNotIn(nps.id, [kpi["id"] for kpi in data["kpis"]], "NPS is not split by team")
        self.assertEqual(data["kpi"]["id"], self.win_rate.id, "falls back to the win rate")
        with self.assertRaises(UserError):
            self.board(period_type="fortnight")
        with self.assertRaises(UserError):
            self.board(kpi_id="win_rate")
        other = self.env["crm.team"].create(
            {
                "name": "Elsewhere",
                "company_id": self.env.ref("base.main_company").id,
            }
        )
        with self.assertRaises(UserError):
            self.board(team_id=other.id)

    def test_no_kpi_to_rank(self):
        """With every KPI that can be split by team archived, nothing to rank."""
        self.env["crm.kpi.definition"].search([("allow_team", "=", True)]).active = False
        data = self.board(kpi_id=False)
        self.assertEqual((data["kpi"], data["kpis"], data["rows"]), (False, [], []))

    def test_constant_query_count(self):
        def count(**kwargs):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.board(**kwargs)
            return self.env.cr.sql_log_count - before

        count()
        teams, people = count(), count(team_id=self.team_a.id)
        for name in ("Team D", "Team E"):
            team = self.env["crm.team"].create({"name": name, "company_id": self.company.id})
            self._lead(
                f"{name} won", dt(2026, 3, 2), team, self.dan, status="won", closed=dt(2026, 3, 10)
            )
        self.Snapshot.compute_snapshots(
            "month", date(2026, 3, 1), kpi_codes=["win_rate"], company_ids=[self.company.id]
        )
        self.assertEqual(count(), teams)
        self.assertEqual(count(team_id=self.team_a.id), people)


@tagged("post_install", "-at_install")
class TestLeaderboardTour(HttpCase):
    def _setup(self):
        company, manager = tour_setup(self.env, "KPI Leaderboard Co", "kpi_board_manager")
        self.ann = kpi_user(self.env, "Tour Ann", company)
        self.bob = kpi_user(self.env, "Tour Bob", company)
        team = self.env["crm.team"].create(
            {
                "name": "Tour Team",
                "company_id": company.id,
                "member_ids": [(6, 0, (self.ann | self.bob).ids)],
            }
        )
        # this month: Ann wins 4 of 5 (80 %), Bob 3 of 5 (60 %)
        for user, won, lost in ((self.ann, 4, 1), (self.bob, 3, 2)):
            leads = self.env["crm.lead"].create(
                [
                    {
                        "name": f"{user.name} {i}",
                        "type": "opportunity",
                        "company_id": company.id,
                        "team_id": team.id,
                        "user_id": user.id,
                    }
                    for i in range(won + lost)
                ]
            )
            leads[:won].action_set_won()
            leads[won:].action_set_lost()
        self.env["crm.kpi.snapshot"].compute_snapshots(
            "month",
            fields.Date.context_today(self.env["crm.lead"]),
            kpi_codes=["win_rate"],
            company_ids=[company.id],
        )
        # the demo data opens both on the last complete month; the tours read today's
        self.env.ref("crm_kpi.crm_kpi_dashboard_action").context = "{}"
        self.env.ref("crm_kpi.crm_kpi_leaderboard_action").context = "{}"
        return company, manager

    def test_leaderboard_tour(self):
        _company, manager = self._setup()
        self.start_tour("/odoo/crm-kpis", "crm_kpi_leaderboard_tour", login=manager.login)

    def test_leaderboard_personal_tour(self):
        company, _manager = self._setup()
        company.kpi_leaderboard_visibility = "personal"
        self.start_tour(
            "/odoo/crm-kpi-leaderboard", "crm_kpi_leaderboard_personal_tour", login=self.bob.login
        )
