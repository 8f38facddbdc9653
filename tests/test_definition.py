# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

# Every KPI code of KPI_SPEC.md §3, plus the variants the spec names beside
# them: marketing_revenue_share, ces_easy_share (CES "% of responses ≥ 5")
# and stage_drop_off (stage_duration's "drop-off % per stage").
SPEC_CODES = {
    "cac",
    "clv",
    "cac_payback",
    "sales_cycle",
    "marketing_share",
    "marketing_revenue_share",
    "nps",
    "ces",
    "churn",
    "mrr_churn",
    "renewal",
    "retention",
    "retention_cost",
    "win_rate",
    "stage_duration",
    "net_new_revenue",
    "net_new_mrr",
    "nrr",
    "grr",
    "quick_ratio",
    "quota",
    "upsell",
    "resolution_time",
    "marketing_roi",
    "traffic_to_lead",
    "lead_abandonment",
    "login_frequency",
    "records_created",
    "lead_sources",
    "data_quality",
    "ces_easy_share",
    "stage_drop_off",
    # issue 17: recurring revenue and the customer base at the period's end
    "mrr",
    "arr",
    "arpa",
    "active_customers",
    "ltv_cac",
    # issue 17: the pipeline and its forecast
    "pipeline_value",
    "weighted_pipeline",
    "pipeline_coverage",
    "lead_conversion",
    "avg_deal_size",
    "sales_velocity",
}


@tagged("post_install", "-at_install")
class TestKpiDefinition(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Definition = cls.env["crm.kpi.definition"]
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        cls.churn = cls.env.ref("crm_kpi.crm_kpi_definition_churn")

    def test_catalog_has_every_spec_code(self):
        codes = set(self.Definition.with_context(active_test=False).search([]).mapped("code"))
        self.assertEqual(codes, SPEC_CODES)

    def test_catalog_is_consistent(self):
        for definition in self.Definition.search([]):
            with self.subTest(code=definition.code):
                self.assertTrue(definition.description, "every KPI explains its formula")
                if definition.unit == "percent":
                    self.assertEqual(definition.factor, 100)

    def test_resolution_time_needs_a_ticket_model(self):
        resolution = self.env.ref("crm_kpi.crm_kpi_definition_resolution_time")
        self.assertEqual(resolution.is_available, "helpdesk.ticket" in self.env)
        self.assertTrue(self.win_rate.is_available)

    def test_code_is_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Definition.create({"name": "Again", "code": "win_rate"})

    def test_code_cannot_change(self):
        with self.assertRaises(ValidationError):
            self.win_rate.code = "close_rate"
        self.win_rate.name = "Close Rate"  # the rest stays editable
        self.assertEqual(self.win_rate.code, "win_rate")

    def test_thresholds_follow_direction(self):
        # Higher is better: critical must not be above warning.
        with self.assertRaises(ValidationError):
            self.win_rate.write({"warning_threshold": 10, "critical_threshold": 20})
        # Lower is better: critical must not be below warning.
        with self.assertRaises(ValidationError):
            self.churn.write({"warning_threshold": 10, "critical_threshold": 5})

    def test_threshold_state(self):
        # win_rate ships with warning 20, critical 10 (higher is better).
        self.assertEqual(self.win_rate.threshold_state(25.0), "ok")
        self.assertEqual(self.win_rate.threshold_state(20.0), "ok")
        self.assertEqual(self.win_rate.threshold_state(15.0), "warning")
        self.assertEqual(self.win_rate.threshold_state(9.9), "critical")
        self.assertEqual(self.win_rate.threshold_state(None), "none")
        # churn ships with warning 5, critical 10 (lower is better).
        self.assertEqual(self.churn.threshold_state(4.0), "ok")
        self.assertEqual(self.churn.threshold_state(7.5), "warning")
        self.assertEqual(self.churn.threshold_state(12.0), "critical")

    def test_manager_edits_only_what_does_not_change_the_numbers(self):
        manager = new_test_user(self.env, "kpi_def_manager", groups="crm_kpi.crm_kpi_group_manager")
        win_rate = self.win_rate.with_user(manager)
        win_rate.write(
            {
                "name": "Close Rate",
                "description": "Won / closed",
                "sequence": 3,
                "warning_threshold": 25,
                "critical_threshold": 15,
                "use_thresholds": True,
            }
        )
        win_rate.active = False
        win_rate.active = True
        self.assertEqual(self.win_rate.name, "Close Rate")
        for field, value in (
            ("unit", "count"),
            ("direction", "lower"),
            ("aggregation", "sum"),
            ("factor", 1.0),
            ("allow_team", False),
            ("allow_utm", False),
            ("allow_stage", True),
            ("area", "data"),
        ):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                win_rate.write({field: value})
        self.assertEqual(
            (self.win_rate.unit, self.win_rate.direction, self.win_rate.factor),
            ("percent", "higher", 100.0),
        )
        # writing a locked field with its own value (a form saving it) is fine
        win_rate.write({"unit": "percent", "allow_team": True})
        # no new KPI that nothing computes; a KPI with its gatherer is data
        with self.assertRaisesRegex(ValidationError, "my_kpi"):
            self.Definition.with_user(manager).create({"name": "Mine", "code": "my_kpi"})

    def test_grouped_lists_do_not_add_up_thresholds(self):
        fields_info = self.Definition.fields_get(
            ["warning_threshold", "critical_threshold", "factor", "sequence"], ["aggregator"]
        )
        self.assertFalse([name for name, info in fields_info.items() if info.get("aggregator")])
