# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.fields import Command
from odoo.tests import freeze_time, tagged

from ..engine.periods import period_of
from .common import KpiCase


@tagged("post_install", "-at_install")
class TestSubscriptionKpis(KpiCase):
    """Monthly subscriptions of five customers, in the company currency.

      S1 (K1) start 2026-01-10 at 100, upgraded 2026-03-05 to 300 (+200);
         end date 2026-03-31, renewed on 2026-03-25 until 2027-03-31
      S2 (K2) start 2026-01-15 at 200, closed 2026-03-20 (−200)
      S3 (K3) start 2026-02-01 at 50, downgraded 2026-03-10 to 20 (−30);
         end date 2026-03-15, not renewed
      S4 (K4) start 2026-03-12 at 80 (new)
      S5 (K5) start 2025-06-01 at 60, closed 2025-12-01, reactivated 2026-03-15 (+60)

    MRR at 2026-03-01: S1 100 + S2 200 + S3 50 = 350 (S5 is closed).
    March: new 80, expansion 200, contraction 30, churned 200, reactivation 60.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI subscriptions",
                "currency_id": cls.company.currency_id.id,
                "company_id": cls.company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        cls.monthly = cls.env["sale.subscription.template"].create(
            {
                "name": "KPI monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        cls.reason = cls.env["sale.subscription.close.reason"].create({"name": "KPI: budget"})
        cls.k1, cls.k2, cls.k3, cls.k4, cls.k5 = cls.env["res.partner"].create(
            [{"name": f"KPI Subscriber {i}", "is_company": True} for i in range(1, 6)]
        )
        cls.s1 = cls._start(cls.k1, 100, "2026-01-10 09:00:00", end_date=date(2026, 3, 31))
        cls.s2 = cls._start(cls.k2, 200, "2026-01-15 09:00:00")
        cls.s3 = cls._start(cls.k3, 50, "2026-02-01 09:00:00", end_date=date(2026, 3, 15))
        cls.s5 = cls._start(cls.k5, 60, "2025-06-01 09:00:00")
        with freeze_time("2025-12-01 09:00:00"):
            cls.s5.close_subscription(cls.reason.id)
        with freeze_time("2026-03-05 09:00:00"):
            cls._set_line(cls.s1, quantity=3)
        with freeze_time("2026-03-10 09:00:00"):
            cls._set_line(cls.s3, price=20)
        cls.s4 = cls._start(cls.k4, 80, "2026-03-12 09:00:00")
        with freeze_time("2026-03-15 09:00:00"):
            cls.s5.action_start_subscription()
        with freeze_time("2026-03-20 09:00:00"):
            cls.s2.close_subscription(cls.reason.id)
        with freeze_time("2026-03-25 09:00:00"):
            cls.s1.date = date(2027, 3, 31)

    @classmethod
    def _start(cls, partner, price, when, end_date=None):
        with freeze_time(when):
            subscription = cls.env["sale.subscription"].create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "template_id": cls.monthly.id,
                    "pricelist_id": cls.pricelist.id,
                    "crm_team_id": cls.team_a.id,
                    "user_id": cls.user_1.id,
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
            if end_date:
                # starting recomputes the end date from the template (none
                # for an open-ended one): set the contract's end afterwards
                subscription.date = end_date
        return subscription

    @classmethod
    def _set_line(cls, subscription, quantity=None, price=None):
        values = {}
        if quantity is not None:
            values["product_uom_qty"] = quantity
        if price is not None:
            values["price_unit"] = price
        subscription.write(
            {
                "sale_subscription_line_ids": [
                    Command.update(subscription.sale_subscription_line_ids.id, values)
                ]
            }
        )

    def _march(self, code):
        return self.row(self.compute(code, "month", date(2026, 3, 1)))

    def test_ledger_as_expected(self):
        self.assertEqual(self.s1.kpi_mrr, 300)
        self.assertEqual(self.s3.kpi_mrr, 20)

    def test_mrr_churn(self):
        # (contraction 30 + churned 200) / 350 × 100 = 65.71 %
        self.assertKpi(self._march("mrr_churn"), 230, 350, 65.7143)

    def test_nrr(self):
        # (350 + 200 − 30 − 200) / 350 × 100 = 91.43 %
        self.assertKpi(self._march("nrr"), 320, 350, 91.4286)

    def test_grr(self):
        # (350 − 30 − 200) / 350 × 100 = 34.29 %
        self.assertKpi(self._march("grr"), 120, 350, 34.2857)

    def test_quick_ratio(self):
        # (new 80 + expansion 200 + reactivation 60) / (contraction 30 + churned 200) = 1.478
        self.assertKpi(self._march("quick_ratio"), 340, 230, 1.4783)

    def test_net_new_mrr(self):
        # 80 + 200 + 60 − 30 − 200 = 110
        snapshots = self.compute("net_new_mrr", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 110, 1, 110)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 110, 1, 110)

    def test_mrr_kpis_without_starting_mrr(self):
        # January 2026: no MRR at the start → NRR, GRR and MRR churn have no value;
        # quick ratio: new 300 / no loss → no value
        for code in ("nrr", "grr", "mrr_churn", "quick_ratio"):
            with self.subTest(code=code):
                snapshot = self.row(self.compute(code, "month", date(2026, 1, 1)))
                self.assertFalse(snapshot.has_value)

    def test_renewal(self):
        # up for renewal in March: S1 (renewed) and S3 (not) → 1 / 2 × 100 = 50 %
        self.assertKpi(self._march("renewal"), 1, 2, 50.0)

    def test_churn_from_subscriptions(self):
        # With a 30-day activity window, activity comes from subscriptions in progress.
        # active at 03-01: K1, K2, K3 (K5 closed in December) = 3
        # active at 04-01: K1, K3, K4, K5 (reactivated); K2 closed on 03-20 → lost 1
        self.company.kpi_activity_window_days = 30
        self.assertKpi(self._march("churn"), 1, 3, 33.3333)
        # retention: (active at end 4 − new 1 (K4; K5 is a returning customer)) / 3 = 100 %
        self.assertKpi(self._march("retention"), 3, 3, 100.0)
        # upsell: K1 upgraded (and existed before March) → 1 / 3
        self.assertKpi(self._march("upsell"), 1, 3, 33.3333)

    def test_clv_subscription(self):
        self.company.kpi_activity_window_days = 30
        self.company.kpi_clv_method = "subscription"
        # MRR at 04-01: S1 300 + S3 20 + S4 80 + S5 60 = 460 for 4 customers → ARPA 115;
        # March customer churn 33.33 % → CLV = 115 × 100 % / 33.33 % = 345
        snapshot = self.row(self.compute("clv", "month", date(2026, 3, 1)))
        self.assertAlmostEqual(snapshot.value, 345.0, places=2)


@tagged("post_install", "-at_install")
class TestStageDuration(KpiCase):
    def test_stage_duration(self):
        Stage = self.env["crm.stage"]
        stage_a, stage_b, stage_c = Stage.create(
            [
                {"name": "KPI A", "sequence": 901},
                {"name": "KPI B", "sequence": 902},
                {"name": "KPI C", "sequence": 903},
            ]
        )

        def lead(name, when):
            with freeze_time(when):
                return self.env["crm.lead"].create(
                    {
                        "name": name,
                        "type": "opportunity",
                        "stage_id": stage_a.id,
                        "company_id": self.company.id,
                        "team_id": self.team_a.id,
                    }
                )

        x = lead("X", "2026-03-01 00:00:00")
        y = lead("Y", "2026-02-20 00:00:00")
        lead("Z", "2026-03-10 00:00:00")  # still in A: an open stay does not count
        w = lead("W", "2026-03-01 00:00:00")
        with freeze_time("2026-03-02 00:00:00"):
            y.stage_id = stage_b  # Y stayed 10 days in A
        with freeze_time("2026-03-04 00:00:00"):
            x.stage_id = stage_b  # X stayed 3 days in A
        with freeze_time("2026-03-14 00:00:00"):
            x.stage_id = stage_c  # X stayed 10 days in B
        with freeze_time("2026-03-20 00:00:00"):
            w.action_set_lost()  # W dropped out in A (its stay stays open)
        snapshots = self.compute("stage_duration", "month", date(2026, 3, 1))
        # all stays ended in March: (10 + 3 + 10) / 3 = 7.67 days
        self.assertKpi(self.row(snapshots), 23, 3, 7.6667)
        # stage A: (10 + 3) / 2 = 6.5; stage B: 10 / 1
        self.assertKpi(self.row(snapshots, "stage", stage_id=stage_a), 13, 2, 6.5)
        self.assertKpi(self.row(snapshots, "stage", stage_id=stage_b), 10, 1, 10.0)

        # drop-off: stage A resolved X, Y (moved on) and W (lost there) → 1 / 3;
        # stage B: X moved on → 0 / 1; the company: 1 / 4 = 25 %
        drop_off = self.compute("stage_drop_off", "month", date(2026, 3, 1))
        self.assertKpi(self.row(drop_off), 1, 4, 25.0)
        self.assertKpi(self.row(drop_off, "stage", stage_id=stage_a), 1, 3, 33.3333)
        self.assertKpi(self.row(drop_off, "stage", stage_id=stage_b), 0, 1, 0.0)

        # the drill-down lists the stays behind each value, W's open one included
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))
        Stay = self.env["crm.kpi.stage.stay"].with_context(active_test=False)

        def listed(code, row=None):
            definition = self.env.ref(f"crm_kpi.crm_kpi_definition_{code}")
            model, domain = engine._records_of(definition, window, row)
            self.assertEqual(model, "crm.kpi.stage.stay")
            stays = Stay.search(domain)
            return sorted((stay.lead_id.name, stay.stage_id.name) for stay in stays)

        ended = [("X", "KPI A"), ("X", "KPI B"), ("Y", "KPI A")]
        self.assertEqual(listed("stage_duration"), ended)
        self.assertEqual(listed("stage_drop_off"), sorted([*ended, ("W", "KPI A")]))
        row = {"dimension": "stage", "stage_id": stage_a.id}
        self.assertEqual(
            listed("stage_drop_off", row), [("W", "KPI A"), ("X", "KPI A"), ("Y", "KPI A")]
        )
