# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_kpi.models.crm_kpi_engine import CrmKpiEngine
from odoo.addons.crm_kpi.models.crm_kpi_snapshot import CrmKpiSnapshot

from .common import KpiCase, dt

NAN, INF = float("nan"), float("inf")


@tagged("post_install", "-at_install")
class TestLimits(KpiCase):
    """What a call, a record or a setting may hold: at most
    ``crm_kpi.max_periods`` periods per computation (400 by default), at
    most 400 periods per goal window, bounded settings, finite amounts, whole
    32-bit counts and scores, arguments of the right type, and aggregate
    specs checked as Odoo checks them.

    Data: two won and one lost opportunity closed on 2026-03-02, 03-03 and
    03-04 (win rate of those days 1/1, 1/1, 0/1).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            "limits_kpi_manager",
            groups="crm_kpi.crm_kpi_group_manager,sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.kpi_user = new_test_user(
            cls.env,
            "limits_kpi_user",
            groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.admin = new_test_user(
            cls.env,
            "limits_admin",
            groups="base.group_system,crm_kpi.crm_kpi_group_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.partner = cls.env["res.partner"].create({"name": "Limits Customer"})
        cls._lead(
            "Won 2", dt(2026, 3, 1), cls.team_a, cls.user_1, status="won", closed=dt(2026, 3, 2, 10)
        )
        cls._lead(
            "Won 3", dt(2026, 3, 1), cls.team_a, cls.user_1, status="won", closed=dt(2026, 3, 3, 10)
        )
        cls._lead(
            "Lost 4",
            dt(2026, 3, 1),
            cls.team_b,
            cls.user_2,
            status="lost",
            closed=dt(2026, 3, 4, 10),
        )

    def _set_max_periods(self, value):
        self.env["ir.config_parameter"].sudo().set_param("crm_kpi.max_periods", value)

    def _no_computation(self):
        """Fail at once if a computation starts (the old code would run for hours)."""
        return patch.object(
            CrmKpiEngine, "_open_run", side_effect=AssertionError("a computation started")
        )

    def _day_rows(self):
        return self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "win_rate"),
                ("period_type", "=", "day"),
                ("dimension", "=", "company"),
            ]
        )

    # ------------------------------------------------------------------
    # Periods per computation
    # ------------------------------------------------------------------
    def test_huge_range_is_refused_before_computing(self):
        Snapshot = self.Snapshot.with_user(self.manager)
        # 1976-01-01 to 2026-01-01: 50 years of days, 18,264 periods.
        with self._no_computation(), self.assertRaises(UserError) as caught:
            Snapshot.compute_snapshots(
                "day",
                "1976-01-01",
                "2026-01-01",
                kpi_codes=["win_rate"],
                company_ids=[self.company.id],
            )
        message = str(caught.exception)
        for part in ("18264", "400", "1976-01-01", "2026-01-01", "crm_kpi.max_periods", "Split"):
            self.assertIn(part, message)
        # 401 days is one too many; a bad parameter falls back to 400.
        for value in ("", "abc", "0", "-5", "3.5"):
            with self.subTest(param=value):
                self._set_max_periods(value)
                self.assertEqual(Snapshot._max_periods(), 400)
                with self._no_computation(), self.assertRaisesRegex(UserError, "401 periods"):
                    Snapshot.compute_snapshots(
                        "day",
                        date(2025, 1, 1),
                        date(2026, 2, 5),
                        kpi_codes=["win_rate"],
                    )

    def test_configured_limit(self):
        self._set_max_periods("3")
        Snapshot = self.Snapshot.with_user(self.manager)
        with self._no_computation(), self.assertRaisesRegex(UserError, "4 periods.*at most 3"):
            Snapshot.compute_snapshots(
                "day", date(2026, 3, 1), date(2026, 3, 4), kpi_codes=["win_rate"]
            )
        snapshots = Snapshot.compute_snapshots(
            "day", date(2026, 3, 2), date(2026, 3, 4), kpi_codes=["win_rate"]
        )
        rows = snapshots.filtered(lambda s: s.dimension == "company").sorted("date_start")
        self.assertEqual(
            [(row.date_start.day, row.numerator, row.denominator) for row in rows],
            [(2, 1, 1), (3, 1, 1), (4, 0, 1)],
        )

    def test_backfill_wizard_splits_the_range(self):
        """25 days with at most 10 periods per computation: three calls of
        10, 10 and 5 days, every day written."""
        self._set_max_periods("10")
        wizard = (
            self.env["crm.kpi.backfill.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "period_type": "day",
                    "date_from": date(2026, 2, 20),
                    "date_to": date(2026, 3, 16),
                    "kpi_ids": [Command.set(self.win_rate.ids)],
                    "company_ids": [Command.set(self.company.ids)],
                }
            )
        )
        calls = []
        original = CrmKpiSnapshot._compute_snapshots

        def record(snapshot, period_type, date_from, date_to=None, *args, **kwargs):
            calls.append((date_from, date_to))
            return original(snapshot, period_type, date_from, date_to, *args, **kwargs)

        with patch.object(CrmKpiSnapshot, "_compute_snapshots", autospec=True, side_effect=record):
            action = wizard.action_compute()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            calls,
            [
                (date(2026, 2, 20), date(2026, 3, 1)),
                (date(2026, 3, 2), date(2026, 3, 11)),
                (date(2026, 3, 12), date(2026, 3, 16)),
            ],
        )
        rows = self._day_rows()
        self.assertEqual(len(rows), 25)
        self.assertEqual(min(rows.mapped("date_start")), date(2026, 2, 20))
        self.assertEqual(max(rows.mapped("date_start")), date(2026, 3, 16))
        by_day = {row.date_start: (row.numerator, row.denominator) for row in rows}
        self.assertEqual(by_day[date(2026, 3, 2)], (1, 1))
        self.assertEqual(by_day[date(2026, 3, 4)], (0, 1))
        # The same range in one call is refused.
        with self._no_computation(), self.assertRaisesRegex(UserError, "25 periods"):
            self.Snapshot.with_user(self.manager).compute_snapshots(
                "day", date(2026, 2, 20), date(2026, 3, 16), kpi_codes=["win_rate"]
            )

    def test_export_counts_before_building_periods(self):
        """The XLSX refuses the whole calendar in days (3,652,059 periods)
        without building them."""
        Report = self.env["report.crm_kpi.report_kpi_board_pack"].with_user(self.manager)
        options = {
            "date_from": "0001-01-01",
            "date_to": "9999-12-31",
            "period_type": "day",
            "company_id": self.company.id,
            "scope": "company",
            "kpi_ids": self.win_rate.ids,
        }
        with (
            patch(
                "odoo.addons.crm_kpi.reports.crm_kpi_xlsx.periods_between",
                side_effect=AssertionError("periods built"),
            ),
            self.assertRaisesRegex(UserError, "3652059 periods.*at most 400"),
        ):
            Report._prepare_pack_from_options(options)

    # ------------------------------------------------------------------
    # Goals
    # ------------------------------------------------------------------
    def _goal(self, **vals):
        return (
            self.env["crm.kpi.goal"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Win more",
                    "kpi_id": self.win_rate.id,
                    "company_id": self.company.id,
                    "period_type": "day",
                    "date_start": date(2026, 1, 1),
                    "deadline": date(2026, 6, 30),
                    "target_value": 60,
                    **vals,
                }
            )
        )

    def test_goal_window(self):
        # 2026-01-01 to 2999-12-31 in days: 355,746 periods.
        with self.assertRaises(ValidationError) as caught:
            self._goal(deadline=date(2999, 12, 31))
        self.assertIn("355746", str(caught.exception))
        self.assertIn("400", str(caught.exception))
        # 400 days (to 2027-02-04) is allowed, 401 is not; months go further.
        goal = self._goal(deadline=date(2027, 2, 4))
        self.assertEqual(goal.deadline, date(2027, 2, 4))
        with self.assertRaisesRegex(ValidationError, "401 periods"):
            goal.deadline = date(2027, 2, 5)
        goal.write({"period_type": "month", "deadline": date(2050, 12, 31)})
        self.assertEqual(goal.deadline, date(2050, 12, 31), "300 months")
        with self.assertRaisesRegex(ValidationError, "420 periods"):
            goal.deadline = date(2060, 12, 31)

    def test_goal_margins(self):
        for at_risk, off_track, error in (
            (10, 150, "margins must satisfy"),
            (-1, 20, "margins must satisfy"),
            (10, INF, "Off Track Margin must be a finite number, not inf"),
            (NAN, 20, "At Risk Margin must be a finite number, not nan"),
        ):
            with (
                self.subTest(at_risk=at_risk, off_track=off_track),
                self.assertRaisesRegex(ValidationError, error),
            ):
                self._goal(at_risk_margin=at_risk, off_track_margin=off_track)
        goal = self._goal(at_risk_margin=0, off_track_margin=100)
        self.assertEqual((goal.at_risk_margin, goal.off_track_margin), (0, 100))

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------
    def test_setting_bounds(self):
        Settings = self.env["res.config.settings"].with_user(self.admin)
        for fname, value, label in (
            ("kpi_stale_days", 0, "KPI Stale Delay"),
            ("kpi_stale_days", 3651, "KPI Stale Delay"),
            ("kpi_activity_window_days", 100000, "KPI Activity Window"),
            ("kpi_activity_window_days", -3, "KPI Activity Window"),
            ("kpi_gross_margin", 100.5, "Gross Margin"),
            ("kpi_gross_margin", -1.0, "Gross Margin"),
        ):
            with (
                self.subTest(fname=fname, value=value),
                self.assertRaisesRegex(ValidationError, f"{label}.*not {value}"),
            ):
                Settings.create({fname: value}).execute()
        for fname, value in (
            ("kpi_gross_margin", NAN),
            ("kpi_stale_days", 7.5),
            ("kpi_stale_days", 2**31),
        ):
            with (
                self.subTest(fname=fname, value=value),
                self.assertRaisesRegex(ValidationError, f"not {value}"),
            ):
                Settings.create({fname: value}).execute()
        # Directly on the company too.
        with self.assertRaisesRegex(ValidationError, "KPI Stale Delay.*1 and 3650.*not 5000"):
            self.company.with_user(self.admin).kpi_stale_days = 5000
        Settings.create(
            {
                "kpi_stale_days": 3650,
                "kpi_activity_window_days": 1,
                "kpi_gross_margin": 0.0,
            }
        ).execute()
        self.assertEqual(
            (
                self.company.kpi_stale_days,
                self.company.kpi_activity_window_days,
                self.company.kpi_gross_margin,
            ),
            (3650, 1, 0.0),
        )

    # ------------------------------------------------------------------
    # Amounts, scores and counts
    # ------------------------------------------------------------------
    def _assert_refused(self, model, vals, pattern):
        """``vals`` are refused naming the value, and nothing is written."""
        count = model.search_count([])
        with self.assertRaisesRegex(ValidationError, pattern):
            model.create(vals)
        self.assertEqual(model.search_count([]), count)

    def test_nan_and_infinite_amounts(self):
        Cost = self.env["crm.kpi.cost"].with_user(self.manager)
        Traffic = self.env["crm.kpi.traffic"].with_user(self.manager)
        day = date(2026, 3, 1)
        for value, text in ((NAN, "nan"), (INF, "inf"), (-INF, "-inf")):
            with self.subTest(value=value):
                self._assert_refused(Cost, {"date": day, "amount": value}, f"Amount.*not {text}")
                self._assert_refused(
                    Traffic, {"date": day, "visitors": value}, f"Visitors.*not {text}"
                )
                self._assert_refused(
                    self.env["crm.kpi.feedback"].with_user(self.manager),
                    {"partner_id": self.partner.id, "date": day, "score": value},
                    f"Score.*not {text}",
                )
                with self.assertRaisesRegex(ValidationError, f"Target Value.*not {text}"):
                    self._goal(target_value=value)
                with self.assertRaisesRegex(ValidationError, f"Baseline Value.*not {text}"):
                    self._goal(baseline_value=value)
        cost = Cost.create({"date": day, "amount": 250.0})
        # As the web client and RPC write (raw values, before Odoo converts them).
        with self.assertRaisesRegex(ValidationError, "not inf"):
            cost.write({"amount": INF})
        goal = self._goal()
        with self.assertRaisesRegex(ValidationError, "not nan"):
            goal.write({"target_value": NAN})
        self.assertEqual((cost.amount, goal.target_value), (250.0, 60.0))

    def test_non_integer_score(self):
        Feedback = self.env["crm.kpi.feedback"].with_user(self.manager)
        base = {"partner_id": self.partner.id, "date": date(2026, 3, 1)}
        self._assert_refused(Feedback, {**base, "kind": "nps", "score": 7.5}, "whole number.*7.5")
        self._assert_refused(Feedback, {**base, "kind": "ces", "score": 3.25}, "whole number.*3.25")
        self._assert_refused(Feedback, {**base, "kind": "nps", "score": "9"}, "whole number.*'9'")
        feedback = Feedback.create({**base, "kind": "nps", "score": 9.0})
        self.assertEqual((feedback.score, feedback.category), (9, "promoter"))
        with self.assertRaisesRegex(ValidationError, "whole number.*6.5"):
            feedback.write({"score": 6.5})
        self.assertEqual(feedback.score, 9)

    def test_integers_beyond_32_bits(self):
        Traffic = self.env["crm.kpi.traffic"].with_user(self.manager)
        day = date(2026, 3, 1)
        self._assert_refused(Traffic, {"date": day, "visitors": 2**31}, "2147483647.*2147483648")
        self._assert_refused(
            self.env["crm.kpi.feedback"].with_user(self.manager),
            {"partner_id": self.partner.id, "date": day, "score": 2**31},
            "2147483648",
        )
        traffic = Traffic.create({"date": day, "visitors": 2**31 - 1})
        with self.assertRaisesRegex(ValidationError, "2147483648"):
            traffic.write({"visitors": 2**31})
        self.assertEqual(traffic.visitors, 2**31 - 1)

    # ------------------------------------------------------------------
    # Arguments of compute_snapshots
    # ------------------------------------------------------------------
    def test_wrong_argument_types(self):
        Snapshot = self.Snapshot.with_user(self.manager)
        good = {"period_type": "day", "date_from": date(2026, 3, 2), "kpi_codes": ["win_rate"]}
        for args, pattern in (
            ({"period_type": "fortnight"}, "Unknown period type 'fortnight'"),
            ({"period_type": ["day"]}, r"Unknown period type \['day'\]"),
            ({"date_from": 20260302}, "20260302 is not a date"),
            ({"date_from": "2 March 2026"}, "'2 March 2026' is not a date"),
            ({"date_to": 3.5}, "3.5 is not a date"),
            ({"date_from": None}, "start date is required"),
            ({"kpi_codes": "win_rate"}, "list of strings, not 'win_rate'"),
            ({"kpi_codes": ["win_rate", 7]}, r"list of strings, not \['win_rate', 7\]"),
            ({"company_ids": self.company.id}, f"list of company ids, not {self.company.id}"),
            ({"company_ids": [str(self.company.id)]}, "list of company ids"),
            ({"company_ids": [True]}, r"list of company ids, not \[True\]"),
            ({"company_ids": [2**31]}, r"list of company ids, not \[2147483648\]"),
        ):
            with (
                self.subTest(args=args),
                self._no_computation(),
                self.assertRaisesRegex(UserError, pattern),
            ):
                Snapshot.compute_snapshots(**{**good, **args})
        # Strings and datetimes are dates too.
        snapshots = Snapshot.compute_snapshots(
            "day",
            "2026-03-02",
            dt(2026, 3, 3, 18),
            kpi_codes=("win_rate",),
            company_ids=(self.company.id,),
        )
        self.assertEqual(
            sorted(snapshots.filtered(lambda s: s.dimension == "company").mapped("date_start")),
            [date(2026, 3, 2), date(2026, 3, 3)],
        )

    # ------------------------------------------------------------------
    # Aggregates of pivot and graph views
    # ------------------------------------------------------------------
    def test_bad_aggregate(self):
        self.Snapshot.compute_snapshots(
            "day",
            date(2026, 3, 2),
            date(2026, 3, 4),
            kpi_codes=["win_rate"],
            company_ids=[self.company.id],
        )
        Snapshot = self.Snapshot.with_user(self.kpi_user)
        domain = [("company_id", "=", self.company.id), ("dimension", "=", "company")]
        for spec, pattern in (
            ("value", "Aggregate method is mandatory"),
            ("value:nope", "Invalid aggregate method 'nope'"),
            ("value:sum) FROM res_users --", "Invalid aggregate/groupby specification"),
            ("value.x:sum", "dot notation is not supported"),
            ("valeur:sum", "Invalid field 'valeur'"),
        ):
            with self.subTest(spec=spec), self.assertRaisesRegex(ValueError, pattern):
                Snapshot._read_group(domain, [], [spec])
        # The view's measure is the roll-up: (1 + 1 + 0) / 3 days = 66.67 %.
        [(value, top)] = Snapshot._read_group(domain, [], ["value:sum", "value:max"])
        self.assertAlmostEqual(value, 66.6667, places=3)
        self.assertEqual(top, 100.0, "other aggregates are Odoo's")
        groups = Snapshot.formatted_read_group(domain, [], ["value:sum"])
        self.assertAlmostEqual(groups[0]["value:sum"], 66.6667, places=3)
        with self.assertRaisesRegex(ValueError, "Invalid aggregate method"):
            Snapshot.formatted_read_group(domain, [], ["value:drop"])
