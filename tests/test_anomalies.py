# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_kpi.engine.metrics import KpiValue
from odoo.addons.crm_kpi.engine.periods import period_of

from .common import KpiCase, dt

MARCH = date(2026, 3, 1)


@tagged("post_install", "-at_install")
class TestAnomalies(KpiCase):
    """Anomalies of final periods against a history stored the way the
    engine stores it (``_store``: one upsert per KPI, period and company),
    and a real March 2026 computed from leads.

    Win rate (higher is better), the 12 months 2025-03 … 2026-02:

    | row     | won / closed each month               | values               |
    |---------|---------------------------------------|----------------------|
    | company | 4 5 6 5 4 5 6 5 4 5 6 5 of 10         | 40 50 60 50 … %      |
    | team A  | 1 of 2 every month                    | 50 % (constant)      |
    | team B  | none                                  | no history           |

    Company: median 50, |x − 50| six 0 and six 10, MAD (0 + 10) / 2 = 5,
    band 50 ± 3 × 1.4826 × 5 = [27.761, 72.239]. Team A: MAD 0 and mean
    deviation 0, band [50, 50].

    March 2026 (leads): team A loses 2; team B wins 1, loses 2. Win rate:
    company 1 / 5 = 20 % (worse: below 27.761), team A 0 / 2 = 0 % (worse:
    below 50), team B 1 / 3 = 33.3 % (no history: not judged).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.churn = cls.env.ref("crm_kpi.crm_kpi_definition_churn")
        cls.alert_user = new_test_user(
            cls.env,
            "kpi_anomaly_alerts",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.company.kpi_anomaly_user_id = cls.alert_user
        month = period_of("month", date(2025, 3, 1))
        for won in (4, 5, 6, 5, 4, 5, 6, 5, 4, 5, 6, 5):
            cls._store_rows(
                cls.win_rate,
                month,
                [
                    ("company", None, won, 10),
                    ("team", cls.team_a.id, 1, 2),
                ],
            )
            month = month.next()
        for team, status in (
            (cls.team_a, "lost"),
            (cls.team_a, "lost"),
            (cls.team_b, "won"),
            (cls.team_b, "lost"),
            (cls.team_b, "lost"),
        ):
            cls._lead(f"March {status}", dt(2026, 3, 2), team, status=status, closed=dt(2026, 3, 9))

    @classmethod
    def _store_rows(cls, definition, period, rows, is_final=True):
        """Store (dimension, team id, numerator, denominator) rows of one
        period as the engine does; returns the snapshots."""
        stored = [
            {
                "dimension": dimension,
                **({"team_id": team_id} if dimension == "team" else {}),
                "kpi_value": KpiValue(
                    numerator,
                    denominator,
                    numerator / denominator * definition.factor if denominator else None,
                ),
            }
            for dimension, team_id, numerator, denominator in rows
        ]
        ids = cls.env["crm.kpi.snapshot"]._store(
            definition, cls.company, period, stored, is_final=is_final
        )
        return cls.env["crm.kpi.snapshot"].browse(ids)

    def _activities(self, snapshots):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.kpi.snapshot"),
                ("res_id", "in", snapshots.ids),
            ]
        )

    def test_final_period_is_flagged(self):
        snapshots = self.compute("win_rate", "month", MARCH)
        company = self.row(snapshots)
        self.assertKpi(company, 1, 5, 20.0)
        self.assertTrue(company.is_final)
        self.assertEqual(company.anomaly, "worse")
        self.assertAlmostEqual(company.anomaly_median, 50.0)
        self.assertAlmostEqual(company.anomaly_low, 27.761, places=3)
        self.assertAlmostEqual(company.anomaly_high, 72.239, places=3)
        self.assertEqual(company.anomaly_history, 12)
        team_a = self.row(snapshots, "team", team_id=self.team_a)
        self.assertEqual(team_a.anomaly, "worse", "a constant history: any move is outside")
        self.assertEqual((team_a.anomaly_low, team_a.anomaly_high), (50.0, 50.0))
        team_b = self.row(snapshots, "team", team_id=self.team_b)
        self.assertFalse(team_b.anomaly, "no history, no verdict")
        self.assertEqual(team_b.anomaly_history, 0)
        # salespeople and UTM rows are not judged
        self.assertFalse(
            snapshots.filtered(
                lambda s: s.dimension not in ("company", "team") and s.anomaly_history
            )
        )
        # the pivot's filter "Anomalies"
        self.assertEqual(
            self.Snapshot.search([("company_id", "=", self.company.id), ("anomaly", "!=", False)]),
            company | team_a,
        )

    def test_open_period_is_not_judged(self):
        """The current month (December 2026 when these tests were written,
        today in any case) is computed as open: no verdict, even with a
        history and a value far outside it (100 % against 90 % every month)."""
        self._lead("Won today", fields.Datetime.now(), status="won", closed=fields.Datetime.now())
        today = period_of("month", fields.Date.today())
        month = today
        for _i in range(12):
            month = month.previous()
            self._store_rows(self.win_rate, month, [("company", None, 9, 10)])
        snapshots = self.compute("win_rate", "month", today.date_start)
        company = self.row(snapshots)
        self.assertFalse(company.is_final)
        self.assertFalse(company.anomaly)
        self.assertEqual(company.anomaly_history, 0)

    def test_lower_is_better(self):
        """Churn (lower is better), 12 months of 2 and 3 lost of 100
        (2 %, 3 %): median 2.5, MAD 0.5, band 2.5 ± 3 × 1.4826 × 0.5 =
        [0.2761, 4.7239]. March: the company loses 8 of 100 (8 %, above:
        worse), team A none of 50 (0 %, below: better), team B 2 of 100
        (inside)."""
        month = period_of("month", date(2025, 3, 1))
        for lost in (2, 3) * 6:
            self._store_rows(
                self.churn,
                month,
                [
                    ("company", None, lost, 100),
                    ("team", self.team_a.id, lost, 100),
                    ("team", self.team_b.id, lost, 100),
                ],
            )
            month = month.next()
        march = self._store_rows(
            self.churn,
            month,
            [
                ("company", None, 8, 100),
                ("team", self.team_a.id, 0, 50),
                ("team", self.team_b.id, 2, 100),
            ],
        )
        march._kpi_flag_anomalies()
        company = self.row(march)
        self.assertEqual(company.anomaly, "worse")
        self.assertAlmostEqual(company.anomaly_low, 0.2761, places=4)
        self.assertAlmostEqual(company.anomaly_high, 4.7239, places=4)
        self.assertEqual(self.row(march, "team", team_id=self.team_a).anomaly, "better")
        self.assertFalse(self.row(march, "team", team_id=self.team_b).anomaly)
        # the reader of the e-mail report: worse first, then by KPI
        anomalies = self.Snapshot._kpi_anomalies(self.company, "month", MARCH)
        self.assertEqual(
            [(a["snapshot"], a["direction"]) for a in anomalies],
            [(company, "worse"), (self.row(march, "team", team_id=self.team_a), "better")],
        )
        self.assertEqual(anomalies[0]["scope"], "Whole company")
        self.assertEqual(anomalies[0]["value_text"], "8.0 %")
        self.assertEqual(anomalies[0]["band_text"], "0.3 % to 4.7 %")
        self.assertEqual(
            self.Snapshot._kpi_anomalies(
                self.company, "month", MARCH, team=self.team_a, direction="better"
            )[0]["snapshot"],
            self.row(march, "team", team_id=self.team_a),
        )
        self.assertFalse(
            self.Snapshot._kpi_anomalies(self.company, "month", MARCH, team=self.team_b)
        )

    def test_a_new_value_clears_the_verdict(self):
        first = self.row(self.compute("win_rate", "month", MARCH))
        self.assertEqual(first.anomaly, "worse")
        # two more wins for team B: company 3 / 7 = 42.9 %, inside the band
        for _i in range(2):
            self._lead(
                "March won again", dt(2026, 3, 3), self.team_b, status="won", closed=dt(2026, 3, 9)
            )
        again = self.row(self.compute("win_rate", "month", MARCH))
        self.assertEqual(again, first)
        self.assertKpi(again, 3, 7, 42.857)
        self.assertFalse(again.anomaly)
        self.assertEqual(again.anomaly_history, 12, "judged, inside the band")

    @freeze_time("2026-04-02")
    def test_activity_once_per_kpi_company_and_period(self):
        snapshots = self.compute("win_rate", "month", MARCH)
        company = self.row(snapshots)
        activities = self._activities(snapshots)
        # one activity, on the company row, for the configured user, listing
        # the company and team A (both worse)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.res_id, company.id)
        self.assertEqual(activities.user_id, self.alert_user)
        self.assertIn("Win Rate", activities.summary)
        self.assertIn("20.0 %", activities.note)
        self.assertIn("27.8 % to 72.2 %", activities.note)
        self.assertIn("Team A", activities.note)
        self.assertIn(f"/odoo/crm.kpi.snapshot/{company.id}", activities.note)
        self.assertTrue(company.anomaly_notified)
        # computed again (as the nightly run or the back-fill wizard do):
        # no second activity, also once the first is done
        self.compute("win_rate", "month", MARCH)
        self.assertEqual(self._activities(snapshots), activities)
        activities.action_done()
        self.compute("win_rate", "month", MARCH)
        self.assertFalse(self._activities(snapshots))
        self.assertEqual(
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search_count(
                [
                    ("res_model", "=", "crm.kpi.snapshot"),
                    ("res_id", "=", company.id),
                ]
            ),
            1,
        )

    @freeze_time("2026-04-02")
    def test_activity_to_the_kpi_managers(self):
        """Without a configured user every KPI Manager of the company gets
        one."""
        self.company.kpi_anomaly_user_id = False
        manager = new_test_user(
            self.env,
            "kpi_anomaly_manager",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        kpi_user = new_test_user(
            self.env,
            "kpi_anomaly_reader",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        # computed by the manager (the back-fill wizard runs as its user)
        snapshots = (
            self.Snapshot.with_user(manager)
            .compute_snapshots(
                "month", MARCH, kpi_codes=["win_rate"], company_ids=[self.company.id]
            )
            .sudo()
        )
        users = self._activities(snapshots).user_id
        self.assertIn(manager, users)
        self.assertNotIn(kpi_user, users)
        manager_group = self.env.ref("crm_kpi.crm_kpi_group_manager")
        self.assertTrue(all(manager_group in user.all_group_ids for user in users))
        self.assertEqual(len(self._activities(snapshots)), len(users), "one each")
        # the manager opens the records behind the value from the activity's record
        company = self.row(snapshots).with_user(manager)
        action = company.action_open_records()
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(
            self.env["crm.lead"].with_context(active_test=False).search_count(action["domain"]), 5
        )
        team_a = self.row(snapshots, "team", team_id=self.team_a).with_user(manager)
        self.assertEqual(
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search_count(team_a.action_open_records()["domain"]),
            2,
        )

    def test_no_activity_for_older_periods(self):
        """Computed in December 2026 (a back-fill), March is flagged but is
        no news: no activity. Only the last ended period of its type
        alerts."""
        with freeze_time("2026-12-04"):
            snapshots = self.compute("win_rate", "month", MARCH)
        self.assertEqual(self.row(snapshots).anomaly, "worse")
        self.assertFalse(self._activities(snapshots))
        self.assertFalse(self.row(snapshots).anomaly_notified)
        with freeze_time("2026-04-30"):
            self.compute("win_rate", "month", MARCH)
        self.assertEqual(len(self._activities(snapshots)), 1)

    def test_settings_and_overrides(self):
        """k = 6 on the win rate: band 50 ± 6 × 7.413 = [5.522, 94.478], 20 %
        is inside; at least 13 past months: not judged at all."""
        self.win_rate.anomaly_k = 6
        company = self.row(self.compute("win_rate", "month", MARCH))
        self.assertFalse(company.anomaly)
        self.assertAlmostEqual(company.anomaly_low, 5.522, places=3)
        self.company.kpi_anomaly_periods = 24
        self.win_rate.anomaly_min_history = 13
        company = self.row(self.compute("win_rate", "month", MARCH))
        self.assertEqual(company.anomaly_history, 0)
        # a history of 6 months, 2025-09 … 2026-02: 60 50 40 50 60 50 %,
        # median 50, deviations 10 0 10 0 10 0, MAD 5: the same band, 20 % is
        # worse again
        self.win_rate.write({"anomaly_k": 0, "anomaly_min_history": 0, "anomaly_periods": 6})
        company = self.row(self.compute("win_rate", "month", MARCH))
        self.assertEqual((company.anomaly, company.anomaly_history), ("worse", 6))

    def test_bad_settings(self):
        with self.assertRaises(ValidationError):
            self.company.kpi_anomaly_k = 0
        with self.assertRaises(ValidationError):
            self.company.kpi_anomaly_periods = 1000
        with self.assertRaises(ValidationError):
            self.company.write({"kpi_anomaly_periods": 6, "kpi_anomaly_min_history": 8})
        with self.assertRaises(ValidationError):
            self.win_rate.anomaly_k = -1
        with self.assertRaises(ValidationError):
            self.win_rate.anomaly_periods = 2.5

    def test_kpi_manager_edits_the_overrides(self):
        manager = new_test_user(
            self.env,
            "kpi_anomaly_editor",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.win_rate.with_user(manager).write(
            {"anomaly_k": 2.5, "anomaly_periods": 24, "anomaly_min_history": 8}
        )
        self.assertEqual(self.win_rate._anomaly_settings(self.company), (2.5, 24, 8))
        with self.assertRaises(ValidationError):
            self.win_rate.with_user(manager).direction = "lower"

    def test_query_count_does_not_grow(self):
        """Judging one KPI of one month or three KPIs of four months, with
        their team rows: the same queries (one read of the rows and their
        history, one update)."""
        kpis = self.win_rate | self.churn | self.env.ref("crm_kpi.crm_kpi_definition_renewal")

        def flag(definitions, months):
            snapshots = self.Snapshot
            month = period_of("month", date(2026, 3, 1))
            for _i in range(months):
                for definition in definitions:
                    snapshots |= self._store_rows(
                        definition,
                        month,
                        [
                            ("company", None, 3, 4),
                            ("team", self.team_a.id, 1, 2),
                            ("team", self.team_b.id, 2, 2),
                        ],
                    )
                month = month.next()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            snapshots._kpi_flag_anomalies()
            return self.env.cr.sql_log_count - before

        # the caches of the registry warm (ir.model, settings), as in any run
        self.Snapshot.search([("company_id", "=", self.company.id)])._kpi_flag_anomalies()
        few = flag(self.win_rate, 1)
        many = flag(kpis, 4)
        self.assertEqual(few, many)
        self.assertLessEqual(many, 6)

    def test_dashboard_card(self):
        self.compute("win_rate", "month", MARCH)
        data = (
            self.env["crm.kpi.dashboard"]
            .with_company(self.company)
            .get_dashboard_data("month", "2026-03-15")
        )
        card = next(card for card in data["cards"] if card["code"] == "win_rate")
        self.assertEqual(card["anomaly"]["direction"], "worse")
        self.assertEqual(
            card["anomaly"]["text"],
            "Worse than usual: 20.0 %, usually 27.8 % to 72.2 % (median 50.0 % of the 12 "
            "previous periods)",
        )
        data = (
            self.env["crm.kpi.dashboard"]
            .with_company(self.company)
            .get_dashboard_data("month", "2026-03-15", team_id=self.team_b.id)
        )
        card = next(card for card in data["cards"] if card["code"] == "win_rate")
        self.assertIsNone(card["anomaly"])
