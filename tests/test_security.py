# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestKpiSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kpi_user = new_test_user(cls.env, "kpi_user", groups="crm_kpi.crm_kpi_group_user")
        cls.kpi_manager = new_test_user(
            cls.env, "kpi_manager", groups="crm_kpi.crm_kpi_group_manager"
        )
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")

    def test_groups_sit_under_one_privilege(self):
        user_group = self.env.ref("crm_kpi.crm_kpi_group_user")
        manager_group = self.env.ref("crm_kpi.crm_kpi_group_manager")
        self.assertEqual(user_group.privilege_id, manager_group.privilege_id)
        self.assertEqual(
            user_group.privilege_id.category_id, self.env.ref("base.module_category_sales")
        )
        self.assertIn(user_group, manager_group.all_implied_ids)
        self.assertTrue(self.kpi_user.has_group("sales_team.group_sale_salesman"))

    def test_kpi_user_reads_but_cannot_write_definitions(self):
        definition = self.win_rate.with_user(self.kpi_user)
        self.assertEqual(definition.code, "win_rate")
        with self.assertRaises(AccessError):
            definition.write({"name": "Changed"})
        with self.assertRaises(AccessError):
            self.env["crm.kpi.definition"].with_user(self.kpi_user).create(
                {"name": "Mine", "code": "mine"}
            )

    def test_kpi_manager_configures_definitions(self):
        definition = self.win_rate.with_user(self.kpi_manager)
        definition.write({"name": "Close Rate", "warning_threshold": 25})
        self.assertEqual(self.win_rate.name, "Close Rate")
        # nothing computes a "custom" KPI: refused (see test_definition)
        with self.assertRaises(ValidationError):
            self.env["crm.kpi.definition"].with_user(self.kpi_manager).create(
                {"name": "Custom KPI", "code": "custom", "unit": "count"}
            )

    def test_plain_salesperson_has_no_kpi_access(self):
        salesperson = new_test_user(
            self.env, "plain_sales", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.env["crm.kpi.definition"].with_user(salesperson).search([])

    def test_settings_write_company_parameters(self):
        settings = self.env["res.config.settings"].create(
            {
                "kpi_activity_window_days": 180,
                "kpi_stale_days": 14,
                "kpi_clv_method": "subscription",
                "kpi_gross_margin": 70,
            }
        )
        settings.execute()
        company = self.env.company
        self.assertEqual(
            (
                company.kpi_activity_window_days,
                company.kpi_stale_days,
                company.kpi_clv_method,
                company.kpi_gross_margin,
            ),
            (180, 14, "subscription", 70),
        )
