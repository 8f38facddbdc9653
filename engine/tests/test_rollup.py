# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest

from ..metrics import KpiValue, churn, ratio, total, win_rate
from ..rollup import group_rollup, rollup, rollup_periods


class TestRollup(unittest.TestCase):
    def test_not_the_average_of_ratios(self):
        # 1/2 = 50 % and 9/10 = 90 % roll up to (1 + 9) / (2 + 10) = 10/12
        # = 83.33 %, not (50 + 90) / 2 = 70 %.
        result = rollup([ratio(1, 2, 100), ratio(9, 10, 100)], factor=100)
        self.assertEqual((result.numerator, result.denominator), (10, 12))
        self.assertAlmostEqual(result.value, 83.3333333)
        self.assertNotAlmostEqual(result.value, 70.0)

    def test_churn_over_teams(self):
        # Team A lost 5 of 200 (2.5 %), team B 10 of 50 (20 %): the company lost
        # 15 of 250 = 6 %, not (2.5 + 20) / 2 = 11.25 %.
        result = rollup([churn(5, 200), churn(10, 50)], factor=100)
        self.assertEqual(result, KpiValue(15, 250, 6.0))

    def test_win_rate_over_periods(self):
        # January 1 won / 4 closed, February 3 won / 4 closed: 4 / 8 = 50 %.
        result = rollup([win_rate(1, 3), win_rate(3, 1)], factor=100)
        self.assertEqual(result, KpiValue(4, 8, 50.0))

    def test_default_factor(self):
        # Sales cycle: 300 days / 10 won and 100 days / 10 won: 400 / 20 = 20 days.
        self.assertEqual(rollup([ratio(300, 10), ratio(100, 10)]), KpiValue(400, 20, 20.0))

    def test_empty_and_zero(self):
        # Nothing to roll up, or only zero denominators: no value.
        self.assertEqual(rollup([], factor=100), KpiValue(0, 0, None))
        self.assertEqual(rollup([ratio(3, 0), ratio(0, 0)]), KpiValue(3, 0, None))
        # A zero denominator beside a real one is just ignored: 3 / 4 = 75 %.
        self.assertEqual(rollup([ratio(0, 0), ratio(3, 4)], factor=100), KpiValue(3, 4, 75.0))

    def test_missing_parts_count_as_zero(self):
        values = [
            KpiValue(None, None, None),
            KpiValue(3, 4, 75.0),
            KpiValue(1, None, None),
        ]
        # (0 + 3 + 1) / (0 + 4 + 0) × 100 = 100 %.
        self.assertEqual(rollup(values, factor=100), KpiValue(4, 4, 100.0))

    def test_accepts_any_iterable(self):
        # A generator is consumed once: (2 + 4) / (4 + 4) = 0.75.
        values = (ratio(n, 4) for n in (2, 4))
        self.assertEqual(rollup(values), KpiValue(6, 8, 0.75))

    def test_sum(self):
        # 100 + 250.5 + nothing = 350.5, over a denominator of 1.
        values = [total(100), total(250.5), total(None)]
        self.assertEqual(rollup(values, kind="sum"), KpiValue(350.5, 1, 350.5))
        # Net new MRR may be negative: 1,000 − 1,500 = −500.
        self.assertEqual(rollup([total(1000), total(-1500)], kind="sum"), KpiValue(-500, 1, -500))
        # A sum of nothing is 0.
        self.assertEqual(rollup([], kind="sum"), KpiValue(0, 1, 0))

    def test_unknown_kind(self):
        with self.assertRaisesRegex(ValueError, "Unknown roll-up kind 'average'"):
            rollup([ratio(1, 2)], kind="average")


ROWS = (
    {"team": "A", "month": "2026-01", "numerator": 1, "denominator": 2},
    {"team": "B", "month": "2026-01", "numerator": 9, "denominator": 10},
    {"team": "A", "month": "2026-02", "numerator": 3, "denominator": 2},
    {"team": "C", "month": "2026-02", "numerator": 0, "denominator": 0},
)


class TestGroupRollup(unittest.TestCase):
    def test_by_column(self):
        result = group_rollup(ROWS, "team", factor=100)
        # A: (1 + 3) / (2 + 2) = 100 %; B: 9 / 10 = 90 %; C: 0 / 0, no value.
        self.assertEqual(
            result,
            {
                "A": KpiValue(4, 4, 100.0),
                "B": KpiValue(9, 10, 90.0),
                "C": KpiValue(0, 0, None),
            },
        )
        # Groups come in the order of their first row.
        self.assertEqual(list(result), ["A", "B", "C"])

    def test_by_function(self):
        result = group_rollup(ROWS, lambda row: row["month"], factor=100)
        # January: (1 + 9) / (2 + 10) = 83.33 %; February: (3 + 0) / (2 + 0) = 150 %.
        self.assertEqual(result["2026-02"], KpiValue(3, 2, 150.0))
        self.assertEqual((result["2026-01"].numerator, result["2026-01"].denominator), (10, 12))
        self.assertAlmostEqual(result["2026-01"].value, 83.3333333)

    def test_sum_rows_without_denominator(self):
        rows = [
            {"source": "Email", "numerator": 12},
            {"source": "Website", "numerator": 30},
            {"source": "Email", "numerator": 8},
            {"source": "Website", "numerator": None},
        ]
        # Email: 12 + 8 = 20; Website: 30 + nothing = 30.
        self.assertEqual(
            group_rollup(rows, "source", kind="sum"),
            {"Email": KpiValue(20, 1, 20), "Website": KpiValue(30, 1, 30)},
        )

    def test_empty(self):
        self.assertEqual(group_rollup([], "team"), {})

    def test_unknown_kind(self):
        with self.assertRaisesRegex(ValueError, "Unknown roll-up kind"):
            group_rollup([], "team", kind="median")


class TestRollupPeriods(unittest.TestCase):
    def test_flow_adds_up(self):
        # revenue won in three months: 100 + 200 + 50 = 350
        values = [total(100), total(200), total(50)]
        self.assertEqual(rollup_periods(values, kind="sum"), KpiValue(350, 1, 350))

    def test_stock_takes_the_last_period(self):
        # MRR at the end of January 100, February 120, March 90: the quarter's
        # MRR is March's 90, not 310
        values = [total(100), total(120), total(90)]
        self.assertEqual(rollup_periods(values, kind="sum", over_time="last"), KpiValue(90, 1, 90))
        # a ratio stock (ARPA: MRR / paying customers): the last period's 90 / 3 = 30
        arpa = [ratio(100, 2), ratio(90, 3)]
        self.assertEqual(rollup_periods(arpa, over_time="last"), KpiValue(90, 3, 30.0))

    def test_stock_without_period(self):
        self.assertEqual(rollup_periods([], kind="sum", over_time="last"), KpiValue(None, 1, None))
        self.assertEqual(rollup_periods([], over_time="last"), KpiValue(0, 0, None))
        with self.assertRaises(ValueError):
            rollup_periods([], over_time="average")
