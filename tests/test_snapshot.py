# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_kpi.models.crm_kpi_engine_pipeline import CrmKpiEnginePipeline

from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestSnapshotComputation(KpiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # March 2026: team A wins one and loses one; team B wins one.
        cls.won_a = cls._lead(
            "A won", dt(2026, 3, 1), cls.team_a, cls.user_1, status="won", closed=dt(2026, 3, 10)
        )
        cls.lost_a = cls._lead(
            "A lost", dt(2026, 3, 1), cls.team_a, cls.user_1, status="lost", closed=dt(2026, 3, 12)
        )
        cls.won_b = cls._lead(
            "B won", dt(2026, 3, 1), cls.team_b, cls.user_2, status="won", closed=dt(2026, 3, 20)
        )

    def _values(self, snapshots):
        return sorted(
            (
                s.kpi_code,
                s.dimension,
                s.team_id.id,
                s.user_id.id,
                s.numerator,
                s.denominator,
                s.value,
                s.has_value,
            )
            for s in snapshots
        )

    def test_idempotent(self):
        first = self.compute("win_rate", "month", date(2026, 3, 1))
        again = self.compute("win_rate", "month", date(2026, 3, 1))
        self.assertEqual(first, again, "the same rows are updated in place")
        self.assertEqual(self._values(first), self._values(again))
        stored = self.Snapshot.search(
            [
                ("kpi_code", "=", "win_rate"),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(stored, first, "no duplicate rows")
        # company 2/3, team A 1/2, team B 1/1, user 1 1/2, user 2 1/1, and
        # "no source", "no medium", "no campaign" 2/3 each
        self.assertEqual(len(first), 8)

    def test_rows_that_no_longer_apply_are_removed(self):
        first = self.compute("win_rate", "month", date(2026, 3, 1))
        self.assertTrue(first.filtered(lambda s: s.team_id == self.team_b))
        self.won_b.team_id = self.team_a
        again = self.compute("win_rate", "month", date(2026, 3, 1))
        self.assertFalse(again.filtered(lambda s: s.team_id == self.team_b))
        self.assertFalse(
            self.Snapshot.search(
                [
                    ("kpi_code", "=", "win_rate"),
                    ("team_id", "=", self.team_b.id),
                ]
            )
        )
        # team A now: won 2 / closed 3
        self.assertKpi(self.row(again, "team", team_id=self.team_a), 2, 3, 66.6667)

    def test_range_of_periods(self):
        snapshots = self.compute("win_rate", "month", date(2026, 2, 15), date_to=date(2026, 4, 2))
        company_rows = snapshots.filtered(lambda s: s.dimension == "company")
        self.assertEqual(
            company_rows.mapped("date_start"),
            [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)],
        )
        self.assertTrue(all(s.is_final for s in snapshots), "periods before today are final")

    def test_failure_in_one_kpi_keeps_the_others(self):
        def broken(self, definition, context):
            raise ZeroDivisionError("injected failure")

        with (
            patch.object(CrmKpiEnginePipeline, "_kpi_sales_cycle", broken),
            self.assertLogs("odoo.addons.crm_kpi.models.crm_kpi_snapshot", "ERROR"),
        ):
            snapshots, errors = self.Snapshot._compute_snapshots(
                "month",
                date(2026, 3, 1),
                kpi_codes=["sales_cycle", "win_rate"],
                company_ids=[self.company.id],
            )
        self.assertEqual([error[0] for error in errors], ["sales_cycle"])
        self.assertEqual(set(snapshots.mapped("kpi_code")), {"win_rate"})

    def test_bad_input(self):
        with self.assertRaises(UserError):
            self.compute("win_rate", "fortnight", date(2026, 3, 1))
        with self.assertRaises(UserError):
            self.compute("win_rate", "month", date(2026, 3, 1), date_to=date(2026, 1, 1))
        with self.assertRaises(UserError):
            self.compute("no_such_kpi", "month", date(2026, 3, 1))

    def test_only_managers_compute(self):
        kpi_user = new_test_user(
            self.env,
            "kpi_reader",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=self.company.id,
        )
        with self.assertRaises(AccessError):
            self.Snapshot.with_user(kpi_user).compute_snapshots("month", date(2026, 3, 1))
        manager = new_test_user(
            self.env,
            "kpi_boss",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=self.company.id,
        )
        snapshots = self.Snapshot.with_user(manager).compute_snapshots(
            "month", date(2026, 3, 1), kpi_codes=["win_rate"]
        )
        self.assertKpi(self.row(snapshots), 2, 3, 66.6667)
        # a KPI user reads them
        self.assertEqual(len(snapshots.with_user(kpi_user).read(["value"])), len(snapshots))

    def test_other_company_data_never_mixes(self):
        other = self.env["res.company"].create({"name": "KPI Other Co"})
        self.env["crm.lead"].create(
            {
                "name": "Other",
                "type": "opportunity",
                "company_id": other.id,
            }
        ).action_set_won()
        snapshots = self.compute("win_rate", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 2, 3, 66.6667)

    def test_query_count_does_not_grow_with_data(self):
        """Every KPI of the catalog, one month: the same number of queries
        with 3 leads and 2 orders as with ten times more."""
        customer = self.env["res.partner"].create({"name": "KPI Bulk Customer"})
        product = self.env["product.product"].create({"name": "KPI Bulk", "type": "service"})

        def add_data(count):
            leads = self.env["crm.lead"].create(
                [
                    {
                        "name": f"Bulk {i}",
                        "type": "opportunity",
                        "company_id": self.company.id,
                        "team_id": (self.team_a if i % 2 else self.team_b).id,
                        "user_id": (self.user_1 if i % 3 else self.user_2).id,
                    }
                    for i in range(count)
                ]
            )
            leads[: count // 2].action_set_won()
            leads[count // 2 :].action_set_lost()
            self._set_dates(leads, create_date=dt(2026, 3, 2), date_closed=dt(2026, 3, 15))
            orders = self.env["sale.order"].create(
                [
                    {
                        "partner_id": customer.id,
                        "company_id": self.company.id,
                        "order_line": [(0, 0, {"product_id": product.id, "price_unit": 10})],
                    }
                    for _i in range(count)
                ]
            )
            orders.action_confirm()
            self._set_dates(orders, date_order=dt(2026, 3, 3))

        def count_queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            snapshots = self.Snapshot.compute_snapshots(
                "month", date(2026, 3, 1), company_ids=[self.company.id]
            )
            return self.env.cr.sql_log_count - before, snapshots

        add_data(4)
        count_queries()  # warm the caches
        small, snapshots = count_queries()
        self.assertGreaterEqual(len(set(snapshots.mapped("kpi_code"))), 29)
        add_data(40)
        count_queries()
        large, _snapshots = count_queries()
        self.assertEqual(small, large, "queries per period do not depend on the data size")

    def test_cron_refreshes_current_periods(self):
        self._lead(
            "Today", dt(2026, 11, 1), self.team_a, self.user_1, status="won", closed=dt(2026, 11, 2)
        )
        cron = self.env.ref("crm_kpi.ir_cron_crm_kpi_refresh")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        current = self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "win_rate"),
                ("dimension", "=", "company"),
                ("is_final", "=", False),
            ]
        )
        self.assertEqual(
            sorted(current.mapped("period_type")), ["day", "month", "quarter", "week", "year"]
        )

    def test_snapshots_of_another_company_are_hidden(self):
        self.compute("win_rate", "month", date(2026, 3, 1))
        other = self.env["res.company"].create({"name": "KPI Elsewhere"})
        outsider = new_test_user(
            self.env,
            "kpi_outsider",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(
            self.Snapshot.with_user(outsider).search([("company_id", "=", self.company.id)])
        )
        with self.assertRaises(AccessError):
            self.Snapshot.with_user(outsider).compute_snapshots(
                "month", date(2026, 3, 1), company_ids=[self.company.id]
            )

    def test_backfill_wizard(self):
        wizard = self.env["crm.kpi.backfill.wizard"].create(
            {
                "period_type": "month",
                "date_from": date(2026, 1, 1),
                "date_to": date(2026, 3, 31),
                "kpi_ids": [(6, 0, self.env.ref("crm_kpi.crm_kpi_definition_win_rate").ids)],
                "company_ids": [(6, 0, self.company.ids)],
            }
        )
        action = wizard.action_compute()
        self.assertEqual(action["params"]["type"], "success")
        rows = self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "win_rate"),
                ("dimension", "=", "company"),
            ]
        )
        self.assertEqual(
            rows.mapped("date_start"), [date(2026, 3, 1), date(2026, 2, 1), date(2026, 1, 1)]
        )
        # back on the snapshots of the type computed, without empty periods
        context = action["params"]["next"]["context"]
        self.assertEqual(context["search_default_filter_month"], 1)
        self.assertNotIn("search_default_filter_quarter", context)
        self.assertEqual(context["search_default_filter_has_value"], 1)
        quarters = (
            self.env["crm.kpi.backfill.wizard"]
            .create(
                {
                    "period_type": "quarter",
                    "date_from": date(2026, 1, 1),
                    "date_to": date(2026, 3, 31),
                    "kpi_ids": [(6, 0, self.env.ref("crm_kpi.crm_kpi_definition_win_rate").ids)],
                    "company_ids": [(6, 0, self.company.ids)],
                }
            )
            .action_compute()
        )
        context = quarters["params"]["next"]["context"]
        self.assertEqual(context["search_default_filter_quarter"], 1)
        self.assertNotIn("search_default_filter_month", context)
        with self.assertRaises(UserError):
            self.env["crm.kpi.backfill.wizard"].create(
                {
                    "period_type": "month",
                    "date_from": date(2026, 3, 1),
                    "date_to": date(2026, 1, 1),
                }
            )
