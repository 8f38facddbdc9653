# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import KpiCase


@tagged("post_install", "-at_install")
class TestFieldRights(KpiCase):
    """Who reads the customer and subscription KPI fields, and the ledgers.

    Company "KPI Test Co" (its currency), users of it only:
      employee      internal user (base.group_user), no sales rights
      user_1        salesperson, own documents only, no KPI access
      kpi_user      KPI User (salesperson, own documents only)
      kpi_all       KPI User who sees all leads
      kpi_manager   KPI Manager (salesperson, own documents only)
    Customer "FR Customer": two monthly subscriptions in progress, at 100
    (kpi_user's) and 40 (user_2's) → MRR 140, 2 start movements; refreshed →
    active, lifetime revenue 100 + 40 = 140, 2 purchases; a latest NPS answer
    of 3 → detractor.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def user(login, groups):
            return new_test_user(
                cls.env,
                login,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[cls.company.id],
            )

        cls.employee = user("fr_employee", "base.group_user")
        cls.kpi_user = user("fr_kpi_user", "crm_kpi.crm_kpi_group_user")
        cls.kpi_all = user(
            "fr_kpi_all", "crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman_all_leads"
        )
        cls.kpi_manager = user("fr_kpi_manager", "crm_kpi.crm_kpi_group_manager")
        cls.other_company = cls.env["res.company"].create({"name": "FR Other Co"})

        cls.customer = cls.env["res.partner"].create({"name": "FR Customer", "is_company": True})
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "FR pricelist",
                "currency_id": cls.company.currency_id.id,
                "company_id": cls.company.id,
            }
        )
        cls.template = cls.env["sale.subscription.template"].create(
            {
                "name": "FR monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        cls.plan = cls.env["product.product"].create(
            {
                "name": "FR plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        cls.subscription = cls._subscription(100.0, cls.kpi_user)
        cls.other_subscription = cls._subscription(40.0, cls.user_2)
        cls.env["res.partner"].browse(cls.customer.id)._kpi_refresh_customer_fields(cls.company)
        cls.env["crm.kpi.feedback"].create(
            {
                "partner_id": cls.customer.id,
                "date": "2026-03-01",
                "kind": "nps",
                "score": 3,
                "company_id": cls.company.id,
            }
        )
        cls.kpi_fields = sorted(
            name for name in cls.env["res.partner"]._fields if name.startswith("kpi_")
        )

    @classmethod
    def _subscription(cls, price, salesperson):
        subscription = cls.env["sale.subscription"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "template_id": cls.template.id,
                "pricelist_id": cls.pricelist.id,
                "user_id": salesperson.id,
                "sale_subscription_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.plan.id,
                            "product_uom_qty": 1,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        subscription.action_start_subscription()
        return subscription

    def _arch(self, model, user, view_type="form"):
        return (
            self.env[model]
            .with_user(user)
            .get_views([(False, view_type)])["views"][view_type]["arch"]
        )

    # ------------------------------------------------------------------
    # Customer KPI fields
    # ------------------------------------------------------------------
    def test_employee_opens_partner_without_kpi_fields(self):
        partner = self.customer.with_user(self.employee)
        self.assertEqual(partner.read(["name"])[0]["name"], "FR Customer")
        form = Form(partner)
        self.assertEqual(form.name, "FR Customer")
        views = (
            self.env["res.partner"]
            .with_user(self.employee)
            .get_views([(False, "form"), (False, "list"), (False, "search")])
        )
        for view_type, view in views["views"].items():
            with self.subTest(view=view_type):
                self.assertNotIn("kpi_", view["arch"])
        self.assertFalse(
            [name for name in views["models"]["res.partner"]["fields"] if name.startswith("kpi_")]
        )
        self.assertFalse(
            [name for name in partner.fields_get(attributes=["type"]) if name.startswith("kpi_")]
        )
        self.assertGreaterEqual(len(self.kpi_fields), 15)
        for name in self.kpi_fields:
            with self.subTest(field=name):
                with self.assertRaises(AccessError):
                    partner.read([name])
                with self.assertRaises(AccessError):
                    getattr(partner, name)  # the read is the test

    def test_employee_cannot_search_on_kpi_fields(self):
        Partner = self.env["res.partner"].with_user(self.employee)
        self.assertEqual(
            Partner.search([("id", "=", self.customer.id), ("name", "=", "FR Customer")]),
            self.customer,
        )
        for domain in (
            [("kpi_customer_status", "=", "active")],
            [("kpi_lifetime_revenue", ">", 0)],
            [("kpi_customer_since", "!=", False)],
            [("kpi_nps_category", "=", "detractor")],
        ):
            with self.subTest(domain=domain), self.assertRaises(AccessError):
                Partner.search(domain)
        with self.assertRaises(AccessError):
            Partner.search([("id", "=", self.customer.id)], order="kpi_lifetime_revenue desc")
        with self.assertRaises(AccessError):
            Partner._read_group([("id", "=", self.customer.id)], ["kpi_customer_status"])

    def test_salesperson_reads_and_searches_kpi_fields(self):
        partner = self.customer.with_user(self.user_1)
        values = partner.read(
            [
                "kpi_customer_status",
                "kpi_lifetime_revenue",
                "kpi_purchase_count",
                "kpi_mrr",
                "kpi_nps_score",
                "kpi_nps_category",
                "kpi_currency_id",
            ]
        )[0]
        self.assertEqual(
            (
                values["kpi_customer_status"],
                values["kpi_lifetime_revenue"],
                values["kpi_purchase_count"],
                values["kpi_mrr"],
                values["kpi_nps_score"],
                values["kpi_nps_category"],
            ),
            ("active", 140.0, 2, 140.0, 3, "detractor"),
        )
        self.assertEqual(values["kpi_currency_id"][0], self.company.currency_id.id)
        self.assertEqual(partner.kpi_clv, partner.sudo().kpi_clv)
        Partner = self.env["res.partner"].with_user(self.user_1)
        scope = [("id", "=", self.customer.id)]
        self.assertEqual(
            Partner.search(scope + [("kpi_customer_status", "=", "active")]), self.customer
        )
        self.assertEqual(
            Partner.search(scope + [("kpi_nps_category", "=", "detractor")]), self.customer
        )
        # the KPI page of the form, list columns and filters: for salespeople;
        # the MRR history button opens the ledger: for KPI Users only
        arch = self._arch("res.partner", self.user_1)
        for name in ("kpi_customer_status", "kpi_lifetime_revenue", "kpi_mrr", "kpi_clv"):
            self.assertIn(f'name="{name}"', arch)
        self.assertNotIn("action_kpi_view_movements", arch)
        search_arch = self._arch("res.partner", self.user_1, "search")
        self.assertIn('name="kpi_active_customers"', search_arch)
        self.assertIn('name="kpi_mrr"', self._arch("res.partner", self.user_1, "list"))
        self.assertEqual(Form(partner).kpi_customer_status, "active")
        with self.assertRaises(AccessError):
            partner.read(["kpi_movement_count"])
        self.assertIn("action_kpi_view_movements", self._arch("res.partner", self.kpi_user))
        self.assertEqual(self.customer.with_user(self.kpi_user).kpi_movement_count, 2)

    # ------------------------------------------------------------------
    # Subscription KPI fields
    # ------------------------------------------------------------------
    def test_salesperson_reads_subscription_kpis(self):
        subscription = self.subscription.with_user(self.user_1)
        self.assertEqual((subscription.kpi_mrr, subscription.kpi_arr), (100.0, 1200.0))
        self.assertEqual(
            self.env["sale.subscription"]
            .with_user(self.user_1)
            .search(
                [
                    ("id", "in", (self.subscription | self.other_subscription).ids),
                    ("kpi_mrr", ">", 50),
                ]
            ),
            self.subscription,
        )
        arch = self._arch("sale.subscription", self.user_1)
        self.assertIn('name="kpi_mrr"', arch)
        self.assertNotIn('name="kpi_movement_ids"', arch)
        self.assertIn('name="kpi_movement_ids"', self._arch("sale.subscription", self.kpi_user))

    def test_subscription_kpis_need_sales_rights(self):
        """A group given access to subscriptions by another add-on, without
        sales rights, reads and changes them but not their KPI fields; its
        changes still reach the movement ledger."""
        billing = self.env["res.groups"].create({"name": "FR Subscription billing"})
        self.env["ir.model.access"].create(
            [
                {
                    "name": "FR billing subscriptions",
                    "model_id": self.env["ir.model"]._get_id("sale.subscription"),
                    "group_id": billing.id,
                    "perm_read": True,
                    "perm_write": True,
                },
                {
                    "name": "FR billing subscription stages",
                    "model_id": self.env["ir.model"]._get_id("sale.subscription.stage"),
                    "group_id": billing.id,
                    "perm_read": True,
                },
            ]
        )
        clerk = new_test_user(
            self.env,
            "fr_billing_clerk",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        clerk.group_ids |= billing
        subscription = self.subscription.with_user(clerk)
        self.assertEqual(subscription.read(["name"])[0]["name"], self.subscription.name)
        for name in ("kpi_mrr", "kpi_arr", "kpi_tenure_months", "kpi_expansion_mrr"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                subscription.read([name])
        with self.assertRaises(AccessError):
            self.env["sale.subscription"].with_user(clerk).search([("kpi_mrr", ">", 0)])
        subscription.action_pause()
        self.assertEqual(
            self.subscription.kpi_movement_ids.sorted("id").mapped("movement_type"),
            ["start", "pause"],
        )

    # ------------------------------------------------------------------
    # Ledgers follow the rules of their lead / subscription
    # ------------------------------------------------------------------
    def test_stays_follow_lead_rules(self):
        own, others, unassigned = self.env["crm.lead"].create(
            [
                {
                    "name": name,
                    "type": "opportunity",
                    "company_id": self.company.id,
                    "user_id": user.id,
                }
                for name, user in (
                    ("FR own", self.kpi_user),
                    ("FR others", self.user_2),
                    ("FR unassigned", self.env["res.users"]),
                )
            ]
        )
        leads = own | others | unassigned
        Stay = self.env["crm.kpi.stage.stay"]
        self.assertEqual(len(Stay.search([("lead_id", "in", leads.ids)])), 3)
        for user, expected in (
            (self.kpi_user, own | unassigned),
            (self.kpi_all, leads),
            (self.kpi_manager, leads),
        ):
            with self.subTest(user=user.login):
                stays = Stay.with_user(user).search([("lead_id", "in", leads.ids)])
                self.assertEqual(stays.lead_id, expected)
                if user != self.kpi_manager:  # the leads the user reads
                    self.assertEqual(
                        self.env["crm.lead"].with_user(user).search([("id", "in", leads.ids)]),
                        expected,
                    )
        with self.assertRaises(AccessError):
            others.sudo().kpi_stage_stay_ids.with_user(self.kpi_user).read(["stage_id"])
        self.assertEqual(own.with_user(self.kpi_user).kpi_stage_stay_ids, own.kpi_stage_stay_ids)
        # a lead moved to another company takes its stays along
        unassigned.company_id = self.other_company
        self.assertEqual(
            Stay.with_user(self.kpi_all).search([("lead_id", "in", leads.ids)]).lead_id,
            own | others,
        )

    def test_movements_follow_subscription_rules(self):
        """subscription_oca restricts subscriptions by company only: every
        salesperson, own documents or not, reads every subscription of their
        companies, and so its movements."""
        subscriptions = self.subscription | self.other_subscription
        Movement = self.env["crm.kpi.subscription.movement"]
        for user in (self.kpi_user, self.kpi_manager):
            with self.subTest(user=user.login):
                self.assertEqual(
                    self.env["sale.subscription"]
                    .with_user(user)
                    .search([("id", "in", subscriptions.ids)]),
                    subscriptions,
                )
                movements = Movement.with_user(user).search(
                    [("subscription_id", "in", subscriptions.ids)]
                )
                self.assertEqual(movements.subscription_id, subscriptions)
        # a subscription moved to another company takes its movements along
        self.other_subscription.company_id = self.other_company
        for user in (self.kpi_user, self.kpi_manager):
            with self.subTest(user=user.login, moved=True):
                movements = Movement.with_user(user).search(
                    [("subscription_id", "in", subscriptions.ids)]
                )
                self.assertEqual(movements.subscription_id, self.subscription)
                with self.assertRaises(AccessError):
                    self.other_subscription.kpi_movement_ids.with_user(user).read(["date"])
