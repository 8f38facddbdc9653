# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestRealFlows(KpiCase):
    """Customer KPIs on documents Odoo and subscription_oca make themselves
    (activity window 365 days, company currency, no taxes):

      Y      direct invoice 2024-03-10, 500 (no order), credit note
             2024-03-20, 100
      X      order 2024-05-10, 200, invoiced 2024-06-05 (the order's invoice)
      T1, T2 subscriptions "sale order & invoice" at 100 a month, started
             and invoiced 2024-07-01 (subscription_oca creates, confirms and
             invoices an order for each), closed 2024-07-20
      F1-F10 orders 2025-02-10, 100 each (one-off customers)
      S1-S20 subscriptions "invoice" at 100 a month, started 2025-06-01 and
             invoiced by subscription_oca on 06-01, 07-01, 08-01 and 09-01;
             S1-S3 closed 2025-09-15
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company, install_demo=False
        )
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                allowed_company_ids=[cls.company.id],
                tracking_disable=False,
            )
        )
        cls.Snapshot = cls.env["crm.kpi.snapshot"]
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI flow plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
                "invoice_policy": "order",
            }
        )
        # subscription_oca's invoice lines take the product's income account
        sales = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.product.with_company(cls.company).property_account_income_id = sales.default_account_id
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI flows",
                "currency_id": cls.company.currency_id.id,
                "company_id": cls.company.id,
            }
        )
        Template = cls.env["sale.subscription.template"]
        cls.invoice_mode = Template.create(
            {
                "name": "KPI monthly, invoice",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
                "invoicing_mode": "invoice",
            }
        )
        cls.order_mode = Template.create(
            {
                "name": "KPI monthly, order and invoice",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
                "invoicing_mode": "sale_and_invoice",
            }
        )
        cls.reason = cls.env["sale.subscription.close.reason"].create({"name": "KPI: flows"})

        def customers(prefix, count):
            return cls.env["res.partner"].create(
                [
                    {
                        "name": f"KPI {prefix}{i}",
                        "is_company": True,
                        "email": f"{prefix.lower()}{i}@kpi.example.com",
                    }
                    for i in range(1, count + 1)
                ]
            )

        cls.y = customers("Y", 1)
        invoice = cls._invoice(cls.y, date(2024, 3, 10), 500)
        refund = cls._invoice(
            cls.y, date(2024, 3, 20), 100, move_type="out_refund", reversed_entry_id=invoice.id
        )
        cls.assertTrue(cls, invoice.state == refund.state == "posted")

        cls.x = customers("X", 1)
        order = cls._order(cls.x, dt(2024, 5, 10, 10), 200)
        order_invoice = order._create_invoices()
        order_invoice.invoice_date = date(2024, 6, 5)
        order_invoice.action_post()

        cls.t = customers("T", 2)
        cls.t_subscriptions = cls._subscribe(cls.t, cls.order_mode, "2024-07-01 09:00:00")
        cls._invoice_subscriptions(cls.t_subscriptions, ["2024-07-01"])
        with freeze_time("2024-07-20 09:00:00"):
            for subscription in cls.t_subscriptions:
                subscription.close_subscription(cls.reason.id)

        cls.f = customers("F", 10)
        for partner in cls.f:
            cls._order(partner, dt(2025, 2, 10, 10), 100)

        cls.s = customers("S", 20)
        cls.s_subscriptions = cls._subscribe(cls.s, cls.invoice_mode, "2025-06-01 09:00:00")
        cls._invoice_subscriptions(
            cls.s_subscriptions, ["2025-06-01", "2025-07-01", "2025-08-01", "2025-09-01"]
        )
        with freeze_time("2025-09-15 09:00:00"):
            for subscription in cls.s_subscriptions[:3]:
                subscription.close_subscription(cls.reason.id)

    @classmethod
    def _order(cls, partner, when, amount):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        cls._set_dates(order, date_order=when)
        return order

    @classmethod
    def _invoice(cls, partner, day, amount, move_type="out_invoice", **values):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "invoice_date": day,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
                **values,
            }
        )
        move.action_post()
        return move

    @classmethod
    def _subscribe(cls, partners, template, when):
        with freeze_time(when):
            subscriptions = cls.env["sale.subscription"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": cls.company.id,
                        "template_id": template.id,
                        "pricelist_id": cls.pricelist.id,
                        "sale_subscription_line_ids": [
                            Command.create(
                                {
                                    "product_id": cls.product.id,
                                    "product_uom_qty": 1,
                                    "price_unit": 100,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                    for partner in partners
                ]
            )
            for subscription in subscriptions:
                subscription.action_start_subscription()
        return subscriptions

    @classmethod
    def _invoice_subscriptions(cls, subscriptions, days):
        """What subscription_oca's scheduled action does on each day: invoice
        the subscriptions that are due."""
        for day in days:
            with freeze_time(f"{day} 10:00:00"):
                for subscription in subscriptions:
                    if subscription.recurring_next_date <= date.fromisoformat(day):
                        subscription.generate_invoice()

    def test_flows_made_the_documents(self):
        # 4 recurring invoices per S subscriber, posted, of their subscription
        invoices = self.env["account.move"].search(
            [
                ("subscription_id", "in", self.s_subscriptions.ids),
                ("state", "=", "posted"),
            ]
        )
        self.assertEqual(len(invoices), 80)
        # one generated, confirmed and invoiced order per T subscriber
        orders = self.env["sale.order"].search(
            [
                ("order_subscription_id", "in", self.t_subscriptions.ids),
            ]
        )
        self.assertEqual(len(orders), 2)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertEqual(set(orders.mapped("invoice_status")), {"invoiced"})

    def test_churn_of_subscribers(self):
        # active at 2025-09-01: F1-F10 (one-off, within the window) + S1-S20 = 30;
        # at 10-01: F1-F10 + S4-S20 = 27 (the recurring invoice of 09-01 does
        # not keep S1-S3 active): lost 3 / 30 × 100 = 10 %
        self.assertKpi(self.row(self.compute("churn", "month", date(2025, 9, 1))), 3, 30, 10.0)
        # retention: (27 − 0 new) / 30 = 90 %
        self.assertKpi(self.row(self.compute("retention", "month", date(2025, 9, 1))), 27, 30, 90.0)

    def test_mrr_churn_of_subscribers(self):
        # MRR at 09-01: 20 × 100 = 2,000; churned in September 3 × 100 = 300 → 15 %
        self.assertKpi(
            self.row(self.compute("mrr_churn", "month", date(2025, 9, 1))), 300, 2000, 15.0
        )

    def test_recurring_invoices_are_no_upsell(self):
        # July 2025: active at 07-01 F1-F10 + S1-S20 = 30; the only documents
        # of July are recurring invoices → 0 / 30 = 0 %
        self.assertKpi(self.row(self.compute("upsell", "month", date(2025, 7, 1))), 0, 30, 0.0)

    def test_invoice_of_an_earlier_order_is_no_upsell(self):
        # June 2024: active at 06-01 X (order in May) and Y (invoice in
        # March) = 2; X's invoice of its May order is the same purchase → 0 %
        self.assertKpi(self.row(self.compute("upsell", "month", date(2024, 6, 1))), 0, 2, 0.0)

    def test_subscription_revenue_counted_once(self):
        # July 2024: T1 and T2 are new; each first month is its start's
        # recurring price (100), not again the order subscription_oca
        # generates for it: 2 × 100 = 200
        self.assertKpi(
            self.row(self.compute("net_new_revenue", "month", date(2024, 7, 1))), 200, 1, 200
        )
        # June 2025: 20 new subscribers × 100 = 2,000 (their recurring
        # invoices add nothing)
        self.assertKpi(
            self.row(self.compute("net_new_revenue", "month", date(2025, 6, 1))), 2000, 1, 2000
        )

    def test_direct_invoice_and_credit_note(self):
        # March 2024: Y is new with a direct invoice of 500, less its credit
        # note of 100 posted the same month = 400
        self.assertKpi(
            self.row(self.compute("net_new_revenue", "month", date(2024, 3, 1))), 400, 1, 400
        )
        # the credit note is no purchase: Y is new once, in March
        self.assertKpi(self.row(self.compute("cac", "month", date(2024, 3, 1))), 0, 1, 0)

    def test_order_revenue_not_doubled_by_its_invoice(self):
        # May 2024: X new with its order of 200; June: its invoice adds nothing
        self.assertKpi(
            self.row(self.compute("net_new_revenue", "month", date(2024, 5, 1))), 200, 1, 200
        )
        self.assertKpi(
            self.row(self.compute("net_new_revenue", "month", date(2024, 6, 1))), 0, 1, 0
        )


@tagged("post_install", "-at_install")
class TestMoneyWithoutRate(KpiCase):
    """A currency ("KPX", made here so that no shared rate exists) with its
    first rate on 2026-03-01: 2 KPX per company currency unit.

      K1 order 2026-02-10, 300 KPX (February has no rate on or before 02-28)
      K2 order 2026-03-10, 100 KPX → 50 in company currency
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kpx = cls.env["res.currency"].create({"name": "KPX", "symbol": "K¤"})
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.kpx.id,
                "company_id": cls.company.id,
                "name": "2026-03-01",
                "rate": 2.0,
            }
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI KPX",
                "currency_id": cls.kpx.id,
                "company_id": cls.company.id,
            }
        )
        product = cls.env["product.product"].create({"name": "KPI KPX product", "type": "service"})
        cls.k1, cls.k2 = cls.env["res.partner"].create(
            [
                {"name": "KPI K1", "is_company": True},
                {"name": "KPI K2", "is_company": True},
            ]
        )
        for partner, when, amount in (
            (cls.k1, dt(2026, 2, 10), 300),
            (cls.k2, dt(2026, 3, 10), 100),
        ):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "pricelist_id": cls.pricelist.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            order.action_confirm()
            cls._set_dates(order, date_order=when)

    def test_kpi_of_a_period_without_rate_fails_with_its_reason(self):
        with self.assertLogs("odoo.addons.crm_kpi.models.crm_kpi_snapshot", "WARNING") as logs:
            snapshot = self.row(self.compute("net_new_revenue", "month", date(2026, 2, 1)))
        self.assertIn("KPX", logs.output[0])
        self.assertFalse(snapshot.has_value, "no number rather than 300 converted 1:1")
        self.assertIn("KPX", snapshot.failure)
        self.assertFalse(snapshot.is_final, "computed again by the next refresh")
        # the dashboard card shows the reason
        reason = self.env["crm.kpi.dashboard"]._empty_reason(snapshot.kpi_id, snapshot)
        self.assertEqual(reason, snapshot.failure)
        # the compute wizard names it
        wizard = self.env["crm.kpi.backfill.wizard"].create(
            {
                "period_type": "month",
                "date_from": "2026-02-01",
                "date_to": "2026-02-28",
                "kpi_ids": [Command.set(snapshot.kpi_id.ids)],
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        with self.assertLogs("odoo.addons.crm_kpi.models.crm_kpi_snapshot", "WARNING"):
            message = wizard.action_compute()["params"]["message"]
        self.assertIn("net_new_revenue", message)
        self.assertIn(snapshot.failure, message)

    def test_customer_fields_without_rate_are_unknown_not_one_to_one(self):
        """The record fields use today's rate. KPY has no rate at all.

        K1 300 KPX at today's rate 2 → 150; K2 100 KPX → 50
        K3 120 KPY and 80 KPX (→ 40): unknown, not 120 + 40 = 160 (KPY 1:1)
        """
        kpy = self.env["res.currency"].create({"name": "KPY", "symbol": "Y¤"})
        kpy_pricelist = self.env["product.pricelist"].create(
            {
                "name": "KPI KPY",
                "currency_id": kpy.id,
                "company_id": self.company.id,
            }
        )
        product = self.env["product.product"].create({"name": "KPI KPY product", "type": "service"})
        k3 = self.env["res.partner"].create({"name": "KPI K3", "is_company": True})
        for pricelist, amount in ((kpy_pricelist, 120), (self.pricelist, 80)):
            order = self.env["sale.order"].create(
                {
                    "partner_id": k3.id,
                    "company_id": self.company.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            order.action_confirm()
            self._set_dates(order, date_order=dt(2026, 3, 20))
        partners = (self.k1 | self.k2 | k3).with_company(self.company)
        partners._kpi_refresh_customer_fields(self.company)
        self.assertAlmostEqual(self.k1.with_company(self.company).kpi_lifetime_revenue, 150.0)
        self.assertAlmostEqual(self.k2.with_company(self.company).kpi_lifetime_revenue, 50.0)
        k3 = k3.with_company(self.company)
        self.assertEqual(k3.kpi_purchase_count, 2, "the purchases still count")
        self.assertEqual(k3.kpi_customer_status, "active")
        self.assertFalse(k3.kpi_lifetime_revenue, "no number rather than 160 with KPY 1:1")
        # the factors of the record context leave KPY out, the others in
        engine = self.env["crm.kpi.engine"]
        factors = engine._currency_factors(engine._record_window(self.company))
        self.assertNotIn(kpy.id, factors)
        self.assertAlmostEqual(factors[self.kpx.id], 0.5)
        self.assertEqual(factors[self.company.currency_id.id], 1.0)

    def test_kpi_of_a_period_with_rate(self):
        # March: K2 100 KPX / 2 = 50; the failure of February is not carried over
        snapshot = self.row(self.compute("net_new_revenue", "month", date(2026, 3, 1)))
        self.assertKpi(snapshot, 50, 1, 50)
        self.assertFalse(snapshot.failure)

    def test_recomputed_once_the_rate_exists(self):
        with self.assertLogs("odoo.addons.crm_kpi.models.crm_kpi_snapshot", "WARNING"):
            self.compute("net_new_revenue", "month", date(2026, 2, 1))
        self.env["res.currency.rate"].create(
            {
                "currency_id": self.kpx.id,
                "company_id": self.company.id,
                "name": "2026-02-01",
                "rate": 3.0,
            }
        )
        # 300 KPX / 3 = 100, in the same row, without failure
        snapshot = self.row(self.compute("net_new_revenue", "month", date(2026, 2, 1)))
        self.assertKpi(snapshot, 100, 1, 100)
        self.assertFalse(snapshot.failure)

    def test_cost_in_a_currency_without_rate_is_refused(self):
        Cost = self.env["crm.kpi.cost"]
        with self.assertRaisesRegex(ValidationError, "KPX"):
            Cost.create(
                {
                    "date": "2026-02-15",
                    "amount": 10,
                    "currency_id": self.kpx.id,
                    "category": "acquisition",
                    "company_id": self.company.id,
                }
            )
        cost = Cost.create(
            {
                "date": "2026-03-15",
                "amount": 10,
                "currency_id": self.kpx.id,
                "category": "acquisition",
                "company_id": self.company.id,
            }
        )
        with self.assertRaisesRegex(ValidationError, "KPX"):
            cost.date = "2026-02-20"
