# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL, sql

from ..engine.periods import period_of
from ..models.crm_kpi_snapshot_dimension import OLD_SNAPSHOT_KEY, SNAPSHOT_KEY
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestDimensionRegistry(KpiCase):
    """The dimensions come from one registry,
    ``crm.kpi.snapshot._kpi_dimensions()``.

    The test adds a dimension the way an inheriting add-on would
    (``super()`` then one more entry): ``creator``, the user who created the
    lead (``crm_lead.create_uid``), stored in the snapshot's ``user_id``
    (a field it shares with the salesperson dimension, so that no new column
    is needed: a test cannot add one), allowed by the definition's
    ``allow_user``, neither a goal scope nor a board sheet. The method is
    replaced on the registry's class for the test only; nothing of Odoo is
    mocked.

    Opportunities closed in March 2026:

      ====  ======  ====  ===========  ==========
      lead  status  team  salesperson  created by
      ====  ======  ====  ===========  ==========
      L1    won     A     user 1       user 2
      L2    lost    A     user 1       user 2
      L3    won     B     user 2       user 1
      ====  ======  ====  ===========  ==========
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        A, B, u1, u2 = cls.team_a, cls.team_b, cls.user_1, cls.user_2
        cls.l1 = cls._lead("L1", dt(2026, 3, 1), A, u1, status="won", closed=dt(2026, 3, 5))
        cls.l2 = cls._lead("L2", dt(2026, 3, 2), A, u1, status="lost", closed=dt(2026, 3, 6))
        cls.l3 = cls._lead("L3", dt(2026, 3, 3), B, u2, status="won", closed=dt(2026, 3, 7))
        cls._set_dates(cls.l1 | cls.l2, create_uid=u2.id)
        cls._set_dates(cls.l3, create_uid=u1.id)
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")

    def _with_creator(self):
        """The registry of a test-only inherit adding the creator dimension."""
        registry_class = type(self.Snapshot)
        original = registry_class._kpi_dimensions

        def _kpi_dimensions(snapshot):
            dimensions = original(snapshot)
            dimensions["creator"] = {
                "field": "user_id",
                "label": "Created by",
                "allowed_by": "allow_user",
                "columns": {"crm.lead": "create_uid"},
                "goal": None,
                "board": False,
            }
            return dimensions

        return patch.object(registry_class, "_kpi_dimensions", _kpi_dimensions)

    def test_default_registry(self):
        """Without an inherit: the dimensions and fields as before the registry."""
        self.assertEqual(
            [code for code, _label in self.Snapshot._selection_dimension()],
            ["company", "team", "user", "source", "medium", "campaign", "stage"],
        )
        self.assertEqual(
            self.Snapshot._kpi_key_fields(),
            [
                "team_id",
                "user_id",
                "source_id",
                "medium_id",
                "campaign_id",
                "stage_id",
            ],
        )
        self.assertEqual(
            self.env["crm.kpi.engine"]._allowed_dimensions(self.win_rate),
            {"company", "team", "user", "source", "medium", "campaign"},
        )
        self.assertEqual(
            self.env["crm.kpi.goal"]._goal_filters(),
            {"source": "source_id", "medium": "medium_id", "campaign": "campaign_id"},
        )
        self.assertEqual(
            self.env["report.crm_kpi.report_kpi_board_pack"]._sheet_dimensions(),
            {"team": "team_id", "user": "user_id"},
        )

    def test_unique_index_from_registry(self):
        """init() built the unique index from the registry; the upsert's
        conflict target is the same expression list, and the index of the
        static definition is gone."""
        _indexdef, comment = sql.index_definition(self.env.cr, SNAPSHOT_KEY)
        self.assertEqual(comment, f"UNIQUE INDEX ({self.Snapshot._kpi_key_sql().code})")
        self.assertIn('COALESCE("stage_id", 0)', comment)
        self.assertEqual(sql.index_definition(self.env.cr, OLD_SNAPSHOT_KEY), (None, None))
        # init() again with an unchanged registry keeps the index as it is
        oid = self._index_oid()
        self.Snapshot.init()
        self.assertEqual(self._index_oid(), oid)

    def _index_oid(self):
        return self.env.execute_query(SQL("SELECT %s::regclass::oid", SNAPSHOT_KEY))[0][0]

    def test_added_dimension_flows_through(self):
        with self._with_creator():
            self.assertIn(("creator", "Created by"), self.Snapshot._selection_dimension())
            self.assertIn("creator", self.env["crm.kpi.engine"]._allowed_dimensions(self.win_rate))
            snapshots = self.compute("win_rate", "month", date(2026, 3, 1))
            # created by user 2: L1 won, L2 lost → 1 / 2 × 100 = 50 %;
            # created by user 1: L3 won → 1 / 1 = 100 %
            by_user_2 = self.row(snapshots, "creator", user_id=self.user_2)
            self.assertKpi(by_user_2, 1, 2, 50.0)
            self.assertKpi(self.row(snapshots, "creator", user_id=self.user_1), 1, 1, 100.0)
            # the salesperson rows are unchanged: user 1 has L1, L2 → 1 / 2
            self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 1, 2, 50.0)
            self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 1, 1, 100.0)
            # company: won L1, L3 / closed 3 → 66.67 %
            self.assertKpi(self.row(snapshots), 2, 3, 66.6667)
            self.assertEqual(by_user_2.dimension, "creator")
            # the upsert updates the creator rows in place (the unique key
            # tells them apart from the salesperson rows of the same user)
            again = self.compute("win_rate", "month", date(2026, 3, 1))
            self.assertEqual(sorted(again.ids), sorted(snapshots.ids))
            # the drill-down of a creator row lists the leads it created
            # (L2, lost, is archived)
            engine = self.env["crm.kpi.engine"]
            window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))
            model, domain = engine._records_of(
                self.win_rate, window, {"dimension": "creator", "creator_id": self.user_2.id}
            )
            self.assertEqual(
                self.env[model].with_context(active_test=False).search(domain), self.l1 | self.l2
            )
        # without the inherit, the KPI is split as before: no creator rows
        snapshots = self.compute("win_rate", "month", date(2026, 3, 1))
        self.assertNotIn("creator", snapshots.mapped("dimension"))
        self.assertEqual(len(snapshots.filtered(lambda s: s.dimension == "user")), 2)

    def test_cost_dimension_from_registry(self):
        """The costs are split by the dimensions the registry maps on
        ``crm.kpi.cost``: a test-only entry ``cost_creator`` (the user who
        entered the cost, ``create_uid``, in the snapshot's ``user_id``).

        March 2026 acquisition costs: C1 100 (team A, entered by user 1),
        C2 250 (no team, entered by user 2), C3 50 (team A, entered by user 2).
        """
        c1, c2, c3 = self.env["crm.kpi.cost"].create(
            [
                {
                    "date": date(2026, 3, day),
                    "amount": amount,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "team_id": team.id if team else False,
                }
                for day, amount, team in (
                    (1, 100, self.team_a),
                    (2, 250, None),
                    (3, 50, self.team_a),
                )
            ]
        )
        self._set_dates(c1, create_uid=self.user_1.id)
        self._set_dates(c2 | c3, create_uid=self.user_2.id)
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))

        def costs_of(rows, dimension):
            return {
                row.get(f"{dimension}_id"): row["costs"]
                for row in rows
                if row["dimension"] == dimension
            }

        with self._with_entry("cost_creator", "crm.kpi.cost"):
            rows = engine._costs(None, window, "acquisition")
            # user 1: C1 = 100; user 2: C2 + C3 = 250 + 50 = 300
            self.assertEqual(
                costs_of(rows, "cost_creator"), {self.user_1.id: 100, self.user_2.id: 300}
            )
            row = {"dimension": "cost_creator", "cost_creator_id": self.user_2.id}
            model, domain = engine._costs_records(window, "acquisition", row)
            self.assertEqual(self.env[model].search(domain), c2 | c3)
        # the registry's own mapping: team A C1 + C3 = 150, no team C2 = 250;
        # the company 100 + 250 + 50 = 400; no creator rows without the inherit
        rows = engine._costs(None, window, "acquisition")
        self.assertEqual(costs_of(rows, "team"), {self.team_a.id: 150, None: 250})
        self.assertEqual([row["costs"] for row in rows if row["dimension"] == "company"], [400])
        self.assertFalse(costs_of(rows, "cost_creator"))

    def _with_entry(self, code, model_name):
        """The registry of a test-only inherit adding dimension ``code``: the
        user who created the records of ``model_name`` (``create_uid``), in
        the snapshot's ``user_id``."""
        registry_class = type(self.Snapshot)
        original = registry_class._kpi_dimensions

        def _kpi_dimensions(snapshot):
            dimensions = original(snapshot)
            dimensions[code] = {
                "field": "user_id",
                "label": "Entered by",
                "allowed_by": "allow_user",
                "columns": {model_name: "create_uid"},
                "goal": None,
                "board": False,
            }
            return dimensions

        return patch.object(registry_class, "_kpi_dimensions", _kpi_dimensions)

    def test_feedback_dimension_from_registry(self):
        """The answers (NPS) are split by the dimensions the registry maps on
        ``crm.kpi.feedback``; none by default.

        March 2026 NPS answers (0-10): 10 and 3 entered by user 1, 9 and 9
        entered by user 2.
        """
        partner = self.env["res.partner"].create({"name": "KPI Respondent"})
        answers = self.env["crm.kpi.feedback"].create(
            [
                {
                    "partner_id": partner.id,
                    "date": date(2026, 3, 10),
                    "kind": "nps",
                    "scale": "0_10",
                    "score": score,
                    "company_id": self.company.id,
                }
                for score in (10, 3, 9, 9)
            ]
        )
        self._set_dates(answers[:2], create_uid=self.user_1.id)
        self._set_dates(answers[2:], create_uid=self.user_2.id)
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))

        def values(rows):
            return {
                (row["dimension"], row.get(f"{row['dimension']}_id")): row["kpi_value"].value
                for row in rows
            }

        with self._with_entry("answer_creator", "crm.kpi.feedback"):
            rows = engine._kpi_nps(None, window)
            # company: (3 promoters − 1 detractor) / 4 × 100 = 50; user 1: (1 − 1) / 2 = 0;
            # user 2: (2 − 0) / 2 × 100 = 100
            self.assertEqual(
                values(rows),
                {
                    ("company", None): 50.0,
                    ("answer_creator", self.user_1.id): 0.0,
                    ("answer_creator", self.user_2.id): 100.0,
                },
            )
            model, domain = engine._kpi_nps_records(
                None, window, {"dimension": "answer_creator", "answer_creator_id": self.user_2.id}
            )
            self.assertEqual(self.env[model].search(domain), answers[2:])
        # without the inherit: the company row only, and every answer behind it
        self.assertEqual(values(engine._kpi_nps(None, window)), {("company", None): 50.0})
        model, domain = engine._kpi_nps_records(None, window, {"dimension": "company"})
        self.assertEqual(self.env[model].search(domain), answers)
