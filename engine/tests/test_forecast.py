# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .. import metrics
from .test_metrics import KpiTestCase


class TestPipelineForecast(KpiTestCase):
    """Open pipeline, coverage, conversion, deal size and velocity."""

    def test_pipeline_sums(self):
        # 1,000 + 500 open; weighted 1,000 × 30 % + 500 × 80 % = 700
        self.assertKpi(metrics.pipeline_value(1500.0), 1500.0, 1, 1500.0)
        self.assertKpi(metrics.weighted_pipeline(700.0), 700.0, 1, 700.0)
        # nothing open: a real 0, not "no value"
        self.assertKpi(metrics.pipeline_value(None), 0, 1, 0)
        self.assertKpi(metrics.weighted_pipeline(0), 0, 1, 0)

    def test_pipeline_coverage(self):
        # 9,000 open at the start against a 3,000 quota: 3×
        self.assertKpi(metrics.pipeline_coverage(9000, 3000), 9000, 3000, 3.0)
        self.assertKpi(metrics.pipeline_coverage(0, 3000), 0, 3000, 0.0)
        # no quota: no value
        self.assertKpi(metrics.pipeline_coverage(9000, 0), 9000, 0, None)

    def test_lead_conversion(self):
        # 3 of 8 leads converted: 37.5 %
        self.assertKpi(metrics.lead_conversion(3, 8), 3, 8, 37.5)
        self.assertKpi(metrics.lead_conversion(0, 8), 0, 8, 0.0)
        self.assertKpi(metrics.lead_conversion(0, 0), 0, 0, None)

    def test_avg_deal_size(self):
        # 1,500 won in 2 deals: 750
        self.assertKpi(metrics.avg_deal_size(1500, 2), 1500, 2, 750.0)
        self.assertKpi(metrics.avg_deal_size(0, 0), 0, 0, None)

    def test_sales_velocity(self):
        # 10 open; won 2, lost 2 → win rate 50 %; 1,500 won → deal size 750;
        # cycle (38 + 4) / 2 = 21 days → 10 × 0.5 × 750 / 21 = 178.57 a day
        velocity = metrics.sales_velocity(
            open_opportunities=10, won=2, lost=2, revenue=1500, total_days=42
        )
        self.assertKpi(velocity, 3750.0, 21.0, 178.5714286)
        # the same as the product of the three KPIs
        win = metrics.win_rate(won=2, lost=2).value / 100
        deal = metrics.avg_deal_size(1500, 2).value
        cycle = metrics.sales_cycle(total_days=42, won=2).value
        self.assertAlmostEqual(velocity.value, 10 * win * deal / cycle)
        # nothing open: 0 a day
        self.assertKpi(metrics.sales_velocity(0, 2, 2, 1500, 42), 0, 21.0, 0.0)

    def test_sales_velocity_without_value(self):
        # only lost: no deal size and no cycle
        self.assertKpi(metrics.sales_velocity(10, 0, 3, 0, 0), 0, 0, None)
        # nothing closed at all
        self.assertKpi(metrics.sales_velocity(10, 0, 0, None, None), 0, 0, None)
        # won at once (0 days): no cycle to divide by
        self.assertKpi(metrics.sales_velocity(10, 1, 0, 100, 0), 1000.0, 0, None)
