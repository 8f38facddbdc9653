# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestRecurringKpis(KpiCase):
    """MRR, ARR, ARPA, active customers and LTV : CAC at the end of March
    2026 (company in EUR; USD per EUR: none before 2026-03-15, then 2.0,
    4.0 from 2026-04-15; activity window 365 days; gross margin 60 %).
    Subscriptions made through subscription_oca's own actions:

      ==  ====  ====  ====  =====================  ================================
      S   cust  team  user  recurring price        story
      ==  ====  ====  ====  =====================  ================================
      S1  K1    A     1     100 EUR a month        start 01-10, upgraded 03-05 to 300
      S2  K2    A     1     200 EUR a month        start 01-15, closed 03-20
      S3  K3    B     2     100 USD a month        start 02-01
      S4  K3    B     2     1,200 EUR a year       start 03-12 (100 a month)
      S5  K4    B     1     40 EUR a month         start 03-31, the period's last day
      S6  K5    A     2     70 EUR a month         start 04-01, the day after March
      S7  K6    A     1     80 EUR a month         start 02-01, closed 04-01
      ==  ====  ====  ====  =====================  ================================

    K7 bought once (an order of team A, 2025-10-01). Acquisition costs of
    March: 90 EUR and 60 USD (30 EUR).

    MRR at 2026-04-01 (S2 closed, S6 not started, S7 closes only on 04-01):
    S1 300 + S3 100 USD / 2 = 50 + S4 100 + S5 40 + S7 80 = 570 EUR, paid
    by K1, K3, K4, K6 → ARPA 570 / 4 = 142.5; ARR 12 × 570 = 6,840.

    ====== =================== ===== ===========================
    row    subscriptions       MRR   paying customers (ARPA)
    ====== =================== ===== ===========================
    team A S1, S7              380   K1, K6 → 190
    team B S3, S4, S5          190   K3, K4 → 95
    user 1 S1, S5, S7          420
    user 2 S3, S4              150
    ====== =================== ===== ===========================

    Active customers at 2026-04-01: K1, K3, K4, K6 (subscriptions) and K7
    (one-off purchase within 365 days) = 5; by the team of their first
    purchase: A K1, K6, K7 = 3; B K3, K4 = 2. K2 churned.

    LTV : CAC of March: CLV (subscription method) = ARPA 142.5 × 60 % /
    March churn (1 lost, K2, of 5 active at 03-01: K1, K2, K3, K6, K7 = 20 %)
    = 427.5; CAC = 120 / 1 new customer (K4) = 120 → 427.5 / 120 = 3.5625.

    April (USD at 4.0): S1 300 + S3 25 + S4 100 + S5 40 + S6 70 = 535 for
    K1, K3, K4, K5; no acquisition cost for its new customer K5: CAC 0, so
    LTV : CAC has no value. January 2025: nothing yet.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._company_in_eur({"2026-03-15": 2.0, "2026-04-15": 4.0})
        cls.company.kpi_gross_margin = 60
        cls.eur_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI recurring EUR",
                "currency_id": cls.eur.id,
                "company_id": cls.company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI recurring plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        Template = cls.env["sale.subscription.template"]
        cls.monthly = Template.create(
            {
                "name": "KPI recurring monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        cls.yearly = Template.create(
            {
                "name": "KPI recurring yearly",
                "recurring_rule_type": "years",
                "recurring_interval": 1,
            }
        )
        cls.reason = cls.env["sale.subscription.close.reason"].create({"name": "KPI: recurring"})
        partners = cls.env["res.partner"].create(
            [{"name": f"KPI Recurring K{i}", "is_company": True} for i in range(1, 8)]
        )
        cls.k1, cls.k2, cls.k3, cls.k4, cls.k5, cls.k6, cls.k7 = partners
        A, B, u1, u2 = cls.team_a, cls.team_b, cls.user_1, cls.user_2
        cls.s1 = cls._start(cls.k1, 100, "2026-01-10 09:00:00", A, u1)
        cls.s2 = cls._start(cls.k2, 200, "2026-01-15 09:00:00", A, u1)
        cls.s3 = cls._start(cls.k3, 100, "2026-02-01 09:00:00", B, u2, pricelist=cls.usd_pricelist)
        cls.s7 = cls._start(cls.k6, 80, "2026-02-01 09:00:00", A, u1)
        with freeze_time("2026-03-05 09:00:00"):
            cls.s1.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(cls.s1.sale_subscription_line_ids.id, {"product_uom_qty": 3})
                    ]
                }
            )
        cls.s4 = cls._start(cls.k3, 1200, "2026-03-12 09:00:00", B, u2, template=cls.yearly)
        with freeze_time("2026-03-20 09:00:00"):
            cls.s2.close_subscription(cls.reason.id)
        cls.s5 = cls._start(cls.k4, 40, "2026-03-31 09:00:00", B, u1)
        cls.s6 = cls._start(cls.k5, 70, "2026-04-01 09:00:00", A, u2)
        with freeze_time("2026-04-01 09:00:00"):
            cls.s7.close_subscription(cls.reason.id)
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.k7.id,
                "company_id": cls.company.id,
                "pricelist_id": cls.eur_pricelist.id,
                "team_id": A.id,
                "user_id": u1.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": 500,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        cls._set_dates(order, date_order=dt(2025, 10, 1, 10))
        cost = {"company_id": cls.company.id, "category": "acquisition", "date": "2026-03-20"}
        cls.env["crm.kpi.cost"].create(
            [
                {**cost, "amount": 90, "currency_id": cls.eur.id},
                {**cost, "amount": 60, "currency_id": cls.usd.id},
            ]
        )

    @classmethod
    def _start(cls, partner, price, when, team, user, template=None, pricelist=None):
        with freeze_time(when):
            subscription = cls.env["sale.subscription"].create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "template_id": (template or cls.monthly).id,
                    "pricelist_id": (pricelist or cls.eur_pricelist).id,
                    "crm_team_id": team.id,
                    "user_id": user.id,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
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

    def _month(self, code, month=3, year=2026):
        return self.compute(code, "month", date(year, month, 1))

    def assertAddsUp(self, snapshots, dimension):
        """The rows of ``dimension`` add up to the company row: numerators
        (the values of a sum KPI) and, for a ratio, denominators."""
        company = self.row(snapshots)
        rows = snapshots.filtered(lambda s: s.dimension == dimension)
        self.assertTrue(rows, f"{dimension} rows expected")
        self.assertAlmostEqual(sum(rows.mapped("numerator")), company.numerator, places=4)
        if company.aggregation == "ratio":
            self.assertAlmostEqual(sum(rows.mapped("denominator")), company.denominator, places=4)

    def listed(self, code, row=None, month=3, year=2026):
        """Names of the records the drill-down of ``code`` lists."""
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(year, month, 1)))
        definition = self.env.ref(f"crm_kpi.crm_kpi_definition_{code}")
        model, domain = engine._records_of(definition, window, row)
        records = self.env[model].with_context(active_test=False).search(domain)
        if model == "sale.subscription":
            return sorted(records.mapped(lambda sub: (sub.partner_id.name, sub.kpi_mrr)))
        return sorted(records.mapped("name"))

    def names(self, *partners):
        return sorted(partner.name for partner in partners)

    def test_ledger_as_expected(self):
        self.assertEqual(self.s1.kpi_mrr, 300)
        self.assertEqual(self.s4.kpi_mrr, 100)
        self.assertEqual(self.s3.currency_id, self.usd)

    def test_mrr(self):
        snapshots = self._month("mrr")
        self.assertKpi(self.row(snapshots), 570, 1, 570)
        A, B, u1, u2 = self.team_a, self.team_b, self.user_1, self.user_2
        self.assertKpi(self.row(snapshots, "team", team_id=A), 380, 1, 380)
        self.assertKpi(self.row(snapshots, "team", team_id=B), 190, 1, 190)
        self.assertKpi(self.row(snapshots, "user", user_id=u1), 420, 1, 420)
        self.assertKpi(self.row(snapshots, "user", user_id=u2), 150, 1, 150)
        self.assertAddsUp(snapshots, "team")
        self.assertAddsUp(snapshots, "user")
        # the drill-down lists the subscriptions paying it (S3 at 100 USD)
        self.assertEqual(
            self.listed("mrr"),
            sorted(
                [
                    (self.k1.name, 300),
                    (self.k3.name, 100),
                    (self.k3.name, 100),
                    (self.k4.name, 40),
                    (self.k6.name, 80),
                ]
            ),
        )
        self.assertEqual(
            self.listed("mrr", {"dimension": "team", "team_id": B.id}),
            sorted([(self.k3.name, 100), (self.k3.name, 100), (self.k4.name, 40)]),
        )
        self.assertEqual(
            self.listed("arr", {"dimension": "user", "user_id": u2.id}),
            [(self.k3.name, 100), (self.k3.name, 100)],
        )

    def test_mrr_at_that_days_rate(self):
        # April: 100 USD at 4.0 = 25; S6 started, S7 closed on 04-01
        snapshots = self._month("mrr", month=4)
        self.assertKpi(self.row(snapshots), 535, 1, 535)
        self.assertAddsUp(snapshots, "team")
        self.assertEqual(
            self.listed("mrr", month=4),
            sorted(
                [
                    (self.k1.name, 300),
                    (self.k3.name, 100),
                    (self.k3.name, 100),
                    (self.k4.name, 40),
                    (self.k5.name, 70),
                ]
            ),
        )
        # no USD rate on or before 2026-02-28: February fails with the reason
        with self.assertLogs("odoo.addons.crm_kpi.models.crm_kpi_snapshot", "WARNING"):
            february = self.row(self._month("mrr", month=2))
        self.assertFalse(february.has_value, "no number rather than USD converted 1:1")
        self.assertIn("USD", february.failure)

    def test_mrr_at_the_end_is_the_next_bridge_start(self):
        # MRR of team A (all in EUR) at the end of March = the MRR at the
        # start of April that April's revenue churn divides by; S7's close
        # on 04-01 is April's churn: 80 / 380
        march = self.row(self._month("mrr"), "team", team_id=self.team_a)
        april = self.row(self._month("mrr_churn", month=4), "team", team_id=self.team_a)
        self.assertKpi(april, 80, march.numerator, 21.0526)

    def test_arr(self):
        snapshots = self._month("arr")
        self.assertKpi(self.row(snapshots), 6840, 1, 6840)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 4560, 1, 4560)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 1800, 1, 1800)
        self.assertAddsUp(snapshots, "team")
        self.assertAddsUp(snapshots, "user")

    def test_arpa(self):
        snapshots = self._month("arpa")
        self.assertKpi(self.row(snapshots), 570, 4, 142.5)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 380, 2, 190)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 190, 2, 95)
        self.assertFalse(snapshots.filtered(lambda s: s.dimension == "user"), "no split by user")
        self.assertAddsUp(snapshots, "team")
        # the drill-down lists the paying customers, K3 once
        self.assertEqual(self.listed("arpa"), self.names(self.k1, self.k3, self.k4, self.k6))
        self.assertEqual(
            self.listed("arpa", {"dimension": "team", "team_id": self.team_a.id}),
            self.names(self.k1, self.k6),
        )
        # April: 535 / (K1, K3, K4, K5)
        self.assertKpi(self.row(self._month("arpa", month=4)), 535, 4, 133.75)

    def test_active_customers(self):
        snapshots = self._month("active_customers")
        self.assertKpi(self.row(snapshots), 5, 1, 5)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 3, 1, 3)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 2, 1, 2)
        self.assertAddsUp(snapshots, "team")
        self.assertEqual(
            self.listed("active_customers"),
            self.names(self.k1, self.k3, self.k4, self.k6, self.k7),
        )
        self.assertEqual(
            self.listed("active_customers", {"dimension": "team", "team_id": self.team_b.id}),
            self.names(self.k3, self.k4),
        )
        # the same customers churn counts as active at the end: 1 lost of 5
        self.assertKpi(self.row(self._month("churn")), 1, 5, 20.0)

    def test_ltv_cac(self):
        self.company.kpi_clv_method = "subscription"
        clv = self.row(self._month("clv"))
        cac = self.row(self._month("cac"))
        self.assertAlmostEqual(clv.value, 427.5, places=2)
        self.assertKpi(cac, 120, 1, 120)
        snapshots = self._month("ltv_cac")
        self.assertEqual(snapshots.mapped("dimension"), ["company"])
        self.assertKpi(snapshots, 427.5, 120, 3.5625)
        self.assertEqual(snapshots.kpi_id.threshold_state(snapshots.value), "ok")
        # the drill-down lists the acquisition costs behind the CAC
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))
        model, domain = engine._records_of(snapshots.kpi_id, window)
        self.assertEqual(model, "crm.kpi.cost")
        self.assertEqual(sorted(self.env[model].search(domain).mapped("amount")), [60, 90])
        # April: CLV 133.75 × 60 % / 20 % (K6 lost of 5) = 401.25, but no
        # acquisition cost for K5: CAC 0 → no value
        self.assertKpi(self.row(self._month("ltv_cac", month=4)), 401.25, 0, None)

    def test_empty_period(self):
        # January 2025: no subscription, no purchase yet
        for code in ("mrr", "arr", "active_customers"):
            with self.subTest(code=code):
                self.assertKpi(self.row(self._month(code, 1, 2025)), 0, 1, 0)
        # ARPA and LTV : CAC: zero denominators, no value
        self.assertKpi(self.row(self._month("arpa", 1, 2025)), 0, 0, None)
        self.company.kpi_clv_method = "subscription"
        self.assertFalse(self.row(self._month("ltv_cac", 1, 2025)).has_value)
        self.assertEqual(self.listed("mrr", month=1, year=2025), [])
