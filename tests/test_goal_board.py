# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import date

from odoo import fields
from odoo.tests import tagged

from ..engine.periods import period_of
from .common import KpiCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestGoalBoard(KpiCase):
    """Goals read their KPI through the board reader
    (``crm.kpi.snapshot._kpi_boards``): the boards of many scopes in one
    search, so that evaluating the goals of six scopes costs the queries of
    two.

    Win rate, monthly, January 2026 (hand-built snapshots):

      ============  ===  ===  ========
      scope         won  of   win rate
      ============  ===  ===  ========
      company       12   40   30 %
      team 1        1    10   10 %
      team 2        2    10   20 %
      ...           ...  ...  ...
      team 5        5    10   50 %
      salesperson 1 3    4    75 %
      ============  ===  ===  ========

    December 2025, team 1: 1 of 5 (20 %), its history.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.teams = (
            cls.team_a
            | cls.team_b
            | cls.env["crm.team"].create(
                [{"name": f"Team {index}", "company_id": cls.company.id} for index in (3, 4, 5)]
            )
        )
        january = date(2026, 1, 1)
        cls._snap(january, 12, 40)
        for index, team in enumerate(cls.teams, start=1):
            cls._snap(january, index, 10, "team", team_id=team)
        cls._snap(date(2025, 12, 1), 1, 5, "team", team_id=cls.team_a)
        cls._snap(january, 3, 4, "user", user_id=cls.user_1)

    @classmethod
    def _snap(cls, day, numerator, denominator, dimension="company", **dims):
        period = period_of("month", day)
        return cls.env["crm.kpi.snapshot"].create(
            {
                "kpi_id": cls.win_rate.id,
                "period_type": "month",
                "date_start": period.date_start,
                "date_end": period.date_end,
                "dimension": dimension,
                "company_id": cls.company.id,
                "numerator": numerator,
                "denominator": denominator,
                "value": numerator / denominator * 100,
                "has_value": True,
                "computed_at": fields.Datetime.now(),
                **{fname: record.id for fname, record in dims.items()},
            }
        )

    def _goals(self, teams, users):
        vals = {
            "kpi_id": self.win_rate.id,
            "company_id": self.company.id,
            "date_start": date(2026, 1, 1),
            "deadline": date(2026, 6, 30),
            "baseline_value": 5,
            "target_value": 90,
        }
        return self.env["crm.kpi.goal"].create(
            [
                *(
                    {**vals, "name": f"{team.name} wins", "scope": "team", "team_id": team.id}
                    for team in teams
                ),
                *(
                    {**vals, "name": f"{user.name} wins", "scope": "user", "user_id": user.id}
                    for user in users
                ),
            ]
        )

    def _count_evaluation(self, goals):
        """(queries, evaluations) of evaluating ``goals`` on 2026-02-15."""
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        evaluations = goals._evaluate(date(2026, 2, 15))
        return self.env.cr.sql_log_count - before, evaluations

    def test_boards_of_many_scopes(self):
        """One board per scope, the same as the board of that scope alone."""
        Snapshot = self.Snapshot
        scopes = [None, self.team_a, self.team_b, self.user_1]
        months = [date(2025, 12, 1), date(2026, 1, 1)]
        boards = Snapshot._kpi_boards("month", months, self.company, scopes, kpi_codes=["win_rate"])
        self.assertEqual(set(boards), set(scopes))

        def cells(board):
            return [
                (column.key, cell.number, cell.text, cell.value.numerator if cell.value else None)
                for column, cell in ((c, board.cell("win_rate", c)) for c in board.columns)
            ]

        for scope in scopes:
            alone = Snapshot._kpi_board(
                "month", months, self.company, scope=scope, kpi_codes=["win_rate"]
            )
            self.assertEqual(cells(boards[scope]), cells(alone))
        january = "month:2026-01-01"
        # the company 12 / 40 = 30 %; team A 1 / 10 = 10 % (December: 1 / 5 = 20 %);
        # team B 2 / 10 = 20 %; salesperson 1: 3 / 4 = 75 %
        self.assertAlmostEqual(boards[None].cell("win_rate", january).number, 30.0)
        self.assertAlmostEqual(boards[self.team_a].cell("win_rate", january).number, 10.0)
        december = "month:2025-12-01"
        self.assertAlmostEqual(boards[self.team_a].cell("win_rate", december).number, 20.0)
        self.assertAlmostEqual(boards[self.team_b].cell("win_rate", january).number, 20.0)
        self.assertFalse(boards[self.team_b].cell("win_rate", december).computed)
        self.assertAlmostEqual(boards[self.user_1].cell("win_rate", january).number, 75.0)
        # a scope naming its dimension reads the same rows as its record
        named = Snapshot._kpi_boards(
            "month", months, self.company, [("team", self.team_a)], kpi_codes=["win_rate"]
        )
        self.assertAlmostEqual(named["team", self.team_a].cell("win_rate", january).number, 10.0)

    def test_goal_evaluation_queries_do_not_grow_with_scopes(self):
        """Goals of 2 scopes (team 1, salesperson 1) and of 6 (teams 1 to 5,
        salesperson 1) cost the same queries; their values are those of
        their own scope: team n's current value n / 10, i.e. n × 10 %."""
        small = self._goals(self.team_a, self.user_1)
        large = self._goals(self.teams, self.user_1)
        self._count_evaluation(small)  # warm the caches (languages, registry)
        small_count, small_evaluations = self._count_evaluation(small)
        large_count, evaluations = self._count_evaluation(large)
        _logger.info("goal evaluation: %s queries for 2 scopes, %s for 6", small_count, large_count)
        self.assertEqual(large_count, small_count)
        # the goals, their KPIs and one search of the snapshots
        self.assertEqual(small_count, 3)
        for index, goal in enumerate(large[:5], start=1):
            # January only (February has no snapshot): index / 10
            self.assertAlmostEqual(evaluations[goal]["current"], index * 10.0, places=4)
        # salesperson 1: 3 / 4 = 75 %
        self.assertAlmostEqual(evaluations[large[5]]["current"], 75.0, places=4)
        self.assertAlmostEqual(small_evaluations[small[0]]["current"], 10.0, places=4)
        # team 1's history: December 2025 in the six months before, 1 / 5 = 20 %
        self.assertAlmostEqual(evaluations[large[0]]["best"], 20.0, places=4)
        # progress of team 3: (30 − 5) / (90 − 5) = 29.41 %
        self.assertAlmostEqual(evaluations[large[2]]["progress"], 25 / 85 * 100, places=4)
