# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from .common import KpiCase


@tagged("post_install", "-at_install")
class TestStockRollup(KpiCase):
    """Levels at a period's end (MRR, ARPA, active customers, open
    pipeline) take the last period's value over several periods; flows
    (net new MRR) add up. Monthly subscriptions in the company currency:

      S1 (K1) 100 from 2026-01-10
      S2 (K2) 200 from 2026-02-05, closed 2026-03-20
      S3 (K3) 50 from 2026-03-05

    MRR at the end of January 100, February 300, March 150 (S1 + S3): the
    first quarter's MRR is March's 150, not 100 + 300 + 150 = 550. ARPA:
    100/1, 300/2, 150/2 → the quarter's is 75, not 550/5 = 110. Net new
    MRR: +100, +200, +50 − 200 = −150 → the quarter's is their sum, 150.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI stock",
                "currency_id": cls.company.currency_id.id,
                "company_id": cls.company.id,
            }
        )
        product = cls.env["product.product"].create(
            {
                "name": "KPI stock plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        monthly = cls.env["sale.subscription.template"].create(
            {
                "name": "KPI stock monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        reason = cls.env["sale.subscription.close.reason"].create({"name": "KPI: stock"})
        subscriptions = []
        for index, (price, when) in enumerate(
            ((100, "2026-01-10"), (200, "2026-02-05"), (50, "2026-03-05")), 1
        ):
            partner = cls.env["res.partner"].create(
                {"name": f"KPI Stock K{index}", "is_company": True}
            )
            with freeze_time(f"{when} 09:00:00"):
                subscription = cls.env["sale.subscription"].create(
                    {
                        "partner_id": partner.id,
                        "company_id": cls.company.id,
                        "template_id": monthly.id,
                        "pricelist_id": pricelist.id,
                        "sale_subscription_line_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "product_uom_qty": 1,
                                    "price_unit": price,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
                subscription.action_start_subscription()
            subscriptions.append(subscription)
        with freeze_time("2026-03-20 09:00:00"):
            subscriptions[1].close_subscription(reason.id)
        cls.Snapshot.compute_snapshots(
            "month",
            date(2026, 1, 1),
            date(2026, 3, 31),
            kpi_codes=["mrr", "arpa", "net_new_mrr"],
            company_ids=[cls.company.id],
        )
        cls.mrr = cls.env.ref("crm_kpi.crm_kpi_definition_mrr")

    def _quarter_of_months(self, code):
        """The value of the company rows of January to March in one group,
        as a pivot reads it."""
        [(value,)] = self.Snapshot._read_group(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", code),
                ("period_type", "=", "month"),
                ("dimension", "=", "company"),
                ("date_start", ">=", date(2026, 1, 1)),
                ("date_start", "<", date(2026, 4, 1)),
            ],
            aggregates=["value:sum"],
        )
        return value

    def test_flags(self):
        codes = {"mrr", "arr", "arpa", "active_customers", "pipeline_value", "weighted_pipeline"}
        definitions = self.env["crm.kpi.definition"].with_context(active_test=False).search([])
        self.assertEqual(
            set(definitions.filtered(lambda d: d.time_aggregation == "last").mapped("code")), codes
        )
        self.assertEqual(
            self.env.ref("crm_kpi.crm_kpi_definition_win_rate").time_aggregation, "rollup"
        )

    def test_pivot(self):
        self.assertAlmostEqual(self._quarter_of_months("mrr"), 150)
        self.assertAlmostEqual(self._quarter_of_months("arpa"), 75)
        self.assertAlmostEqual(self._quarter_of_months("net_new_mrr"), 150)
        # one month per group: its own value
        groups = self.Snapshot._read_group(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "mrr"),
                ("dimension", "=", "company"),
            ],
            ["date_start:month"],
            ["value:sum"],
        )
        self.assertEqual([value for _month, value in groups], [100, 300, 150])

    def test_goal_over_a_quarter_of_months(self):
        goal = self.env["crm.kpi.goal"].create(
            {
                "name": "Grow MRR",
                "kpi_id": self.mrr.id,
                "company_id": self.company.id,
                "period_type": "month",
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 3, 31),
                "baseline_value": 50,
                "target_value": 250,
            }
        )
        self.assertFalse(goal._is_additive(), "a level does not add up from zero")
        with freeze_time("2026-04-05 10:00:00"):
            goal.action_start()
            goal.invalidate_recordset()
            # March's 150, not 550: (150 − 50) / (250 − 50) = 50 %
            self.assertAlmostEqual(goal.current_value, 150, places=4)
            self.assertAlmostEqual(goal.progress, 50, places=4)
