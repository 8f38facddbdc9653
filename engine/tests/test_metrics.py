# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest

from .. import metrics
from ..metrics import KpiValue, ratio, total


class KpiTestCase(unittest.TestCase):
    def assertKpi(self, kpi, numerator, denominator, value):
        """Check the three parts of a KpiValue, the value to 7 decimals."""
        self.assertIsInstance(kpi, KpiValue)
        self.assertEqual((kpi.numerator, kpi.denominator), (numerator, denominator))
        if value is None:
            self.assertIsNone(kpi.value)
        else:
            self.assertAlmostEqual(kpi.value, value)


class TestRatio(KpiTestCase):
    def test_ratio(self):
        self.assertKpi(ratio(1, 2), 1, 2, 0.5)
        self.assertKpi(ratio(1, 2, 100), 1, 2, 50.0)
        # A zero numerator is a real 0, not "no value".
        self.assertKpi(ratio(0, 4, 100), 0, 4, 0.0)

    def test_no_value(self):
        # Denominator 0 or missing: no value, never 0, never an exception.
        self.assertKpi(ratio(5, 0), 5, 0, None)
        self.assertKpi(ratio(5, None), 5, 0, None)
        self.assertKpi(ratio(0, 0, 100), 0, 0, None)
        self.assertKpi(ratio(None, None), 0, 0, None)
        # A missing numerator counts as 0.
        self.assertKpi(ratio(None, 4), 0, 4, 0.0)

    def test_total(self):
        self.assertKpi(total(12.5), 12.5, 1, 12.5)
        self.assertKpi(total(None), None, 1, None)

    def test_kpi_value_is_frozen(self):
        with self.assertRaises(AttributeError):
            ratio(1, 2).value = 3


class TestAcquisitionAndSales(KpiTestCase):
    def test_cac(self):
        # 50,000 spent to win 125 customers: 400 each.
        self.assertKpi(metrics.cac(acquisition_costs=50000, new_customers=125), 50000, 125, 400.0)
        # Spend but no new customer: no value (not 0, not infinity).
        self.assertKpi(metrics.cac(acquisition_costs=1000, new_customers=0), 1000, 0, None)

    def test_cac_payback(self):
        # CAC 400 recovered at 50 a month: 8 months.
        self.assertKpi(metrics.cac_payback(cac_value=400, monthly_margin_revenue=50), 400, 50, 8.0)
        # Same with totals: 50,000 costs / (125 customers × 50 = 6,250 a month).
        self.assertKpi(metrics.cac_payback(50000, 6250), 50000, 6250, 8.0)
        self.assertKpi(metrics.cac_payback(400, 0), 400, 0, None)

    def test_sales_cycle(self):
        # 15 opportunities won after 450 days in all: 30 days each.
        self.assertKpi(metrics.sales_cycle(total_days=450, won=15), 450, 15, 30.0)
        self.assertKpi(metrics.sales_cycle(total_days=0, won=0), 0, 0, None)

    def test_marketing_shares(self):
        # 30 of 120 new customers: 25 %; 25,000 of 200,000 revenue: 12.5 %.
        self.assertKpi(metrics.marketing_share(30, 120), 30, 120, 25.0)
        self.assertKpi(metrics.marketing_revenue_share(25000, 200000), 25000, 200000, 12.5)
        self.assertKpi(metrics.marketing_share(0, 0), 0, 0, None)

    def test_marketing_roi(self):
        # (30,000 − 10,000) / 10,000 × 100 = 200 %.
        self.assertKpi(metrics.marketing_roi(revenue=30000, costs=10000), 20000, 10000, 200.0)
        # (5,000 − 10,000) / 10,000 × 100 = −50 %.
        self.assertKpi(metrics.marketing_roi(revenue=5000, costs=10000), -5000, 10000, -50.0)
        # No spend: no ROI.
        self.assertKpi(metrics.marketing_roi(revenue=5000, costs=0), 5000, 0, None)

    def test_traffic_to_lead(self):
        # 150 leads from 6,000 visitors: 2.5 %.
        self.assertKpi(metrics.traffic_to_lead(leads=150, visitors=6000), 150, 6000, 2.5)
        self.assertKpi(metrics.traffic_to_lead(leads=3, visitors=0), 3, 0, None)

    def test_win_rate(self):
        # 1 won, 3 lost: 1 / (1 + 3) = 25 %.
        self.assertKpi(metrics.win_rate(won=1, lost=3), 1, 4, 25.0)
        self.assertKpi(metrics.win_rate(won=0, lost=5), 0, 5, 0.0)
        self.assertKpi(metrics.win_rate(won=4, lost=0), 4, 4, 100.0)
        self.assertKpi(metrics.win_rate(won=0, lost=0), 0, 0, None)
        # Nothing gathered for the won side: 0 / (0 + 2).
        self.assertKpi(metrics.win_rate(won=None, lost=2), 0, 2, 0.0)

    def test_stage(self):
        # 12 stays, 84 days in all: 7 days each; 3 of them dropped: 25 %.
        self.assertKpi(metrics.stage_duration(total_days=84, stays=12), 84, 12, 7.0)
        self.assertKpi(metrics.stage_drop_off(left_to_lost_or_stale=3, stays=12), 3, 12, 25.0)
        self.assertKpi(metrics.stage_duration(total_days=0, stays=0), 0, 0, None)
        self.assertKpi(metrics.stage_drop_off(0, 0), 0, 0, None)

    def test_lead_abandonment(self):
        # 18 of 120 leads abandoned: 15 %.
        self.assertKpi(metrics.lead_abandonment(abandoned=18, created=120), 18, 120, 15.0)
        self.assertKpi(metrics.lead_abandonment(abandoned=0, created=0), 0, 0, None)

    def test_quota(self):
        # 45,000 won on a 60,000 quota: 75 %.
        self.assertKpi(metrics.quota(revenue=45000, quota_amount=60000), 45000, 60000, 75.0)
        self.assertKpi(metrics.quota(revenue=45000, quota_amount=0), 45000, 0, None)

    def test_sums_and_counts(self):
        self.assertKpi(metrics.net_new_revenue(12500.5), 12500.5, 1, 12500.5)
        self.assertKpi(metrics.records_created(37), 37, 1, 37)
        self.assertKpi(metrics.lead_sources(12), 12, 1, 12)
        # Nothing gathered: a sum of nothing is 0.
        self.assertKpi(metrics.net_new_revenue(None), 0, 1, 0)
        self.assertKpi(metrics.records_created(0), 0, 1, 0)
        self.assertKpi(metrics.lead_sources(None), 0, 1, 0)


class TestCustomers(KpiTestCase):
    def test_churn(self):
        # 5 lost of 200 active at start: 2.5 %.
        self.assertKpi(metrics.churn(lost=5, active_at_start=200), 5, 200, 2.5)
        self.assertKpi(metrics.churn(lost=0, active_at_start=0), 0, 0, None)

    def test_retention(self):
        # (220 active at end − 40 new) / 200 active at start = 90 %.
        self.assertKpi(
            metrics.retention(active_at_end=220, new=40, active_at_start=200),
            180,
            200,
            90.0,
        )
        self.assertKpi(metrics.retention(active_at_end=10, new=10, active_at_start=0), 0, 0, None)

    def test_retention_cost(self):
        # 9,000 spent on 180 retained customers: 50 each.
        self.assertKpi(metrics.retention_cost(retention_costs=9000, retained=180), 9000, 180, 50.0)
        self.assertKpi(metrics.retention_cost(retention_costs=9000, retained=0), 9000, 0, None)

    def test_renewal(self):
        # 45 renewed of 50 up for renewal: 90 %.
        self.assertKpi(metrics.renewal(renewed=45, up_for_renewal=50), 45, 50, 90.0)
        self.assertKpi(metrics.renewal(renewed=0, up_for_renewal=0), 0, 0, None)

    def test_upsell(self):
        # 12 of 240 existing customers upgraded or bought again: 5 %.
        self.assertKpi(metrics.upsell(upsold=12, active_at_start=240), 12, 240, 5.0)
        self.assertKpi(metrics.upsell(upsold=0, active_at_start=0), 0, 0, None)

    def test_resolution_time(self):
        # 48 tickets closed after 360 hours in all: 7.5 hours each.
        self.assertKpi(metrics.resolution_time(total_hours=360, closed=48), 360, 48, 7.5)
        self.assertKpi(metrics.resolution_time(total_hours=0, closed=0), 0, 0, None)

    def test_adoption_and_data_quality(self):
        # 440 logins by 22 users: 20 each; 45 of 900 records flagged: 5 %.
        self.assertKpi(metrics.login_frequency(logins=440, active_users=22), 440, 22, 20.0)
        self.assertKpi(metrics.login_frequency(logins=0, active_users=0), 0, 0, None)
        self.assertKpi(metrics.data_quality(flagged=45, records=900), 45, 900, 5.0)
        self.assertKpi(metrics.data_quality(flagged=0, records=0), 0, 0, None)


class TestSatisfaction(KpiTestCase):
    def test_nps(self):
        # (60 promoters − 15 detractors) / 100 responses × 100 = 45.
        self.assertKpi(metrics.nps(promoters=60, detractors=15, responses=100), 45, 100, 45.0)
        # (10 − 30) / 50 × 100 = −40.
        self.assertKpi(metrics.nps(promoters=10, detractors=30, responses=50), -20, 50, -40.0)
        self.assertKpi(metrics.nps(promoters=0, detractors=0, responses=0), 0, 0, None)

    def test_ces(self):
        # 530 points over 100 responses: 5.3; 72 of them scored 5 or more: 72 %.
        self.assertKpi(metrics.ces(score_sum=530, responses=100), 530, 100, 5.3)
        self.assertKpi(metrics.ces_easy_share(responses_ge_5=72, responses=100), 72, 100, 72.0)
        self.assertKpi(metrics.ces(score_sum=0, responses=0), 0, 0, None)
        self.assertKpi(metrics.ces_easy_share(responses_ge_5=0, responses=0), 0, 0, None)

    def test_nps_category_0_10(self):
        expected = ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2  # 0–6, 7–8, 9–10
        for score, category in enumerate(expected):
            with self.subTest(score=score):
                self.assertEqual(metrics.nps_category(score, "0_10"), category)

    def test_nps_category_1_5(self):
        expected = {
            1: "detractor",
            2: "detractor",
            3: "passive",
            4: "promoter",
            5: "promoter",
        }
        for score, category in expected.items():
            with self.subTest(score=score):
                self.assertEqual(metrics.nps_category(score, "1_5"), category)

    def test_nps_category_errors(self):
        with self.assertRaisesRegex(ValueError, "not an NPS scale"):
            metrics.nps_category(5, "1_7")
        with self.assertRaisesRegex(ValueError, "not an integer from"):
            metrics.nps_category(11, "0_10")
        with self.assertRaisesRegex(ValueError, "not an integer from"):
            metrics.nps_category(0, "1_5")

    def test_check_score(self):
        for scale, (low, high) in metrics.SCALES.items():
            with self.subTest(scale=scale):
                metrics.check_score(low, scale)
                metrics.check_score(high, scale)
                with self.assertRaises(ValueError):
                    metrics.check_score(low - 1, scale)
                with self.assertRaises(ValueError):
                    metrics.check_score(high + 1, scale)
        # Not integers (a bool is not a score either): "not an integer from 1 to 7".
        for score in (7.5, 5.0, "5", None, True):
            with (
                self.subTest(score=score),
                self.assertRaisesRegex(ValueError, "not an integer"),
            ):
                metrics.check_score(score, "1_7")
        with self.assertRaisesRegex(ValueError, "Unknown scale"):
            metrics.check_score(5, "0_100")


class TestRecurringRevenue(KpiTestCase):
    def test_monthly_factor(self):
        self.assertEqual(metrics.monthly_factor("monthly", 1), 1.0)
        self.assertAlmostEqual(metrics.monthly_factor("monthly", 3), 1 / 3)
        self.assertAlmostEqual(metrics.monthly_factor("yearly", 1), 1 / 12)
        self.assertAlmostEqual(metrics.monthly_factor("daily", 1), 30.4375)
        # Every 2 weeks: 4.348125 / 2 = 2.1740625.
        self.assertAlmostEqual(metrics.monthly_factor("weekly", 2), 2.1740625)

    def test_mrr(self):
        # 1,200 a year: 100 a month; 2,400 every 2 years: 100; 300 a quarter: 100.
        self.assertAlmostEqual(metrics.mrr(1200, "yearly", 1), 100.0)
        self.assertAlmostEqual(metrics.mrr(2400, "yearly", 2), 100.0)
        self.assertAlmostEqual(metrics.mrr(300, "monthly", 3), 100.0)
        # 100 a week: 434.8125; 10 a day: 304.375.
        self.assertAlmostEqual(metrics.mrr(100, "weekly", 1), 434.8125)
        self.assertAlmostEqual(metrics.mrr(10, "daily", 1), 304.375)
        self.assertEqual(metrics.mrr(0, "monthly", 1), 0)

    def test_mrr_errors(self):
        with self.assertRaisesRegex(ValueError, "Unknown recurrence 'hourly'"):
            metrics.mrr(100, "hourly", 1)
        with self.assertRaisesRegex(ValueError, "at least 1"):
            metrics.monthly_factor("monthly", 0)

    def test_net_new_mrr(self):
        # 1,000 + 500 − 200 − 300 = 1,000; with 100 reactivated: 1,100.
        self.assertKpi(metrics.net_new_mrr(1000, 500, 200, 300), 1000, 1, 1000)
        self.assertKpi(
            metrics.net_new_mrr(
                new=1000, expansion=500, contraction=200, churned=300, reactivation=100
            ),
            1100,
            1,
            1100,
        )
        # Only losses: 0 + 0 − 100 − 400 = −500.
        self.assertKpi(metrics.net_new_mrr(0, 0, 100, 400), -500, 1, -500)
        self.assertKpi(metrics.net_new_mrr(None, None, None, None), 0, 1, 0)

    def test_mrr_churn(self):
        # (300 downgraded + 700 closed) / 20,000 × 100 = 5 %.
        self.assertKpi(
            metrics.mrr_churn(contraction=300, churned=700, mrr_start=20000),
            1000,
            20000,
            5.0,
        )
        self.assertKpi(metrics.mrr_churn(contraction=0, churned=0, mrr_start=0), 0, 0, None)

    def test_nrr_and_grr(self):
        # NRR: (20,000 + 3,000 − 1,000 − 1,000) / 20,000 × 100 = 105 %.
        self.assertKpi(metrics.nrr(20000, 3000, 1000, 1000), 21000, 20000, 105.0)
        # GRR ignores expansion: (20,000 − 1,000 − 1,000) / 20,000 × 100 = 90 %.
        self.assertKpi(metrics.grr(20000, 1000, 1000), 18000, 20000, 90.0)
        # No MRR at start: neither has a value.
        self.assertKpi(metrics.nrr(0, 500, 0, 0), 500, 0, None)
        self.assertKpi(metrics.grr(None, 0, 0), 0, 0, None)

    def test_quick_ratio(self):
        # (2,000 + 1,000 + 500) / (500 + 1,250) = 3,500 / 1,750 = 2.
        self.assertKpi(
            metrics.quick_ratio(
                new=2000,
                expansion=1000,
                reactivation=500,
                contraction=500,
                churned=1250,
            ),
            3500,
            1750,
            2.0,
        )
        # Nothing lost: no value (the ratio would be infinite).
        self.assertKpi(metrics.quick_ratio(2000, 0, 0, 0, 0), 2000, 0, None)


class TestCustomerLifetimeValue(KpiTestCase):
    def test_purchase(self):
        # Spec 3.1: 100,000 / 2,500 = 40 per purchase, 2,500 / 500 = 5 purchases
        # a year, 4 years: 40 × 5 × 4 = 800.
        self.assertKpi(metrics.clv_purchase(100000, 2500, 500, 4), 800, 1, 800)
        self.assertKpi(metrics.clv_purchase(100000, 0, 500, 4), None, 1, None)
        self.assertKpi(metrics.clv_purchase(100000, 2500, 0, 4), None, 1, None)
        self.assertKpi(metrics.clv_purchase(100000, 2500, 500, None), None, 1, None)
        self.assertKpi(metrics.clv_purchase(None, 2500, 500, 4), None, 1, None)

    def test_customer_lifetime_years(self):
        # Churned customers stayed 2, 3 and 4 years: (2 + 3 + 4) / 3 = 3.
        self.assertAlmostEqual(metrics.customer_lifetime_years([2, 3, 4], 25), 3.0)
        # None churned yet, 25 % yearly churn: 1 / 0.25 = 4 years.
        self.assertAlmostEqual(metrics.customer_lifetime_years([], 25), 4.0)
        self.assertIsNone(metrics.customer_lifetime_years([], 0))
        self.assertIsNone(metrics.customer_lifetime_years([], None))

    def test_margin_minus_cac(self):
        # Spec 3.1: 3,000 × 2 − 1,000 = 5,000.
        self.assertKpi(metrics.clv_margin_minus_cac(3000, 2, 1000), 5000, 1, 5000)
        # A CAC above the lifetime profit gives a negative CLV: 500 × 1 − 1,000.
        self.assertKpi(metrics.clv_margin_minus_cac(500, 1, 1000), -500, 1, -500)
        self.assertKpi(metrics.clv_margin_minus_cac(3000, 2, None), None, 1, None)

    def test_subscription(self):
        # ARPA 100 × 80 % margin ÷ 2 % monthly churn = 80 / 0.02 = 4,000.
        self.assertKpi(metrics.clv_subscription(100, 80, 2), 4000, 1, 4000)
        self.assertKpi(metrics.clv_subscription(100, 80, 0), None, 1, None)
        self.assertKpi(metrics.clv_subscription(None, 80, 2), None, 1, None)

    def test_methods(self):
        self.assertEqual(set(metrics.CLV_METHODS), {"purchase", "margin_minus_cac", "subscription"})
        self.assertKpi(metrics.CLV_METHODS["purchase"](100000, 2500, 500, 4), 800, 1, 800)


class TestRecurringTotals(KpiTestCase):
    """MRR, ARR, ARPA, active customers and LTV : CAC (issue 17)."""

    def test_recurring_revenue(self):
        # 300 + 20 + 80 + 60 = 460 a month; ARR 12 × 460 = 5,520.
        self.assertKpi(metrics.recurring_revenue(460), 460, 1, 460)
        self.assertKpi(metrics.annual_recurring_revenue(460), 5520, 1, 5520)
        # No subscription in progress: a real 0, not "no value".
        self.assertKpi(metrics.recurring_revenue(None), 0, 1, 0)
        self.assertKpi(metrics.annual_recurring_revenue(0), 0, 1, 0)

    def test_arpa(self):
        # 460 a month paid by 4 customers: 115 each.
        self.assertKpi(metrics.arpa(mrr_total=460, paying_customers=4), 460, 4, 115.0)
        # Nobody pays a subscription: no value.
        self.assertKpi(metrics.arpa(0, 0), 0, 0, None)
        self.assertKpi(metrics.arpa(None, None), 0, 0, None)

    def test_active_customers(self):
        self.assertKpi(metrics.active_customers(7), 7, 1, 7)
        self.assertKpi(metrics.active_customers(None), 0, 1, 0)

    def test_ltv_cac(self):
        # CLV 3,600 against a CAC of 1,200: 3.0, the usual healthy mark.
        self.assertKpi(metrics.ltv_cac(clv=3600, cac_value=1200), 3600, 1200, 3.0)
        # A negative CLV (margin minus CAC) keeps its sign: −500 / 1,000.
        self.assertKpi(metrics.ltv_cac(-500, 1000), -500, 1000, -0.5)
        # No acquisition cost spent (CAC 0): no value, never infinity.
        self.assertKpi(metrics.ltv_cac(3600, 0), 3600, 0, None)
        # No CLV, or no CAC (no new customer): no value, not 0.
        self.assertKpi(metrics.ltv_cac(None, 1200), None, 1200, None)
        self.assertKpi(metrics.ltv_cac(3600, None), 3600, None, None)
