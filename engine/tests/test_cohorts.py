# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest
from datetime import date

from ..cohorts import (
    CohortFact,
    add_months,
    build_triangle,
    heat_colour,
    logo_retention,
    months_between,
    revenue_retention,
)
from ..metrics import KpiValue

JAN, FEB, MAR, APR = (date(2026, month, 1) for month in (1, 2, 3, 4))


def fact(cohort, k, customers, size, mrr, mrr_start):
    return CohortFact(cohort, k, customers, size, mrr, mrr_start)


class TestCohortTriangle(unittest.TestCase):
    """Two cohorts measured up to March 2026 (January: 4 customers, 400 of
    starting MRR; February: 2 customers, 100 of starting MRR), each split
    over two scopes (teams) that the triangle adds up."""

    FACTS = [
        # January, team A (3 customers, 300) and team B (1 customer, 100)
        fact(JAN, 0, 3, 3, 300, 300),
        fact(JAN, 0, 1, 1, 100, 100),
        fact(JAN, 1, 2, 3, 250, 300),
        fact(JAN, 1, 1, 1, 100, 100),
        fact(JAN, 2, 2, 3, 450, 300),
        fact(JAN, 2, 0, 1, 0, 100),
        # February, team A only
        fact(FEB, 0, 2, 2, 100, 100),
        fact(FEB, 1, 1, 2, 40, 100),
        # a fact beyond the last month is left out
        fact(FEB, 2, 1, 2, 40, 100),
    ]

    def shares(self, row):
        return [None if cell.share is None else round(cell.share, 2) for cell in row.cells]

    def test_logo(self):
        triangle = build_triangle(self.FACTS, "logo", MAR)
        self.assertEqual(triangle.months, [0, 1, 2])
        self.assertEqual([row.cohort for row in triangle.rows], [JAN, FEB])
        january, february = triangle.rows
        # January: 4/4, (2 + 1)/4 = 75 %, (2 + 0)/4 = 50 %
        self.assertEqual(january.size, 4)
        self.assertEqual(self.shares(january), [100.0, 75.0, 50.0])
        self.assertEqual(january.cells[1].value, KpiValue(3, 4, 75.0))
        # February reached month 1 only in March: 2/2, 1/2
        self.assertEqual(february.size, 2)
        self.assertEqual(self.shares(february), [100.0, 50.0])
        # average over the cohorts that reached the month:
        # month 0 (4 + 2)/(4 + 2), month 1 (3 + 1)/(4 + 2) = 66.67 %, month 2 2/4
        self.assertEqual(self.shares(triangle.average), [100.0, 66.67, 50.0])
        self.assertEqual(triangle.average.cells[1].value.denominator, 6)

    def test_revenue_exceeds_100(self):
        triangle = build_triangle(self.FACTS, "revenue", MAR)
        january, february = triangle.rows
        self.assertEqual(january.size, 400)
        # January: 400/400, 350/400 = 87.5 %, 450/400 = 112.5 % (expansion)
        self.assertEqual(self.shares(january), [100.0, 87.5, 112.5])
        # February: 100/100, 40/100
        self.assertEqual(self.shares(february), [100.0, 40.0])
        # average month 1: (350 + 40) / (400 + 100) = 78 %
        self.assertEqual(self.shares(triangle.average), [100.0, 78.0, 112.5])

    def test_no_value_and_missing_cells(self):
        facts = [
            fact(JAN, 0, 1, 1, 0, 0),  # no MRR at the start: no revenue share
            fact(JAN, 2, 0, 1, 0, 0),  # month 1 was never computed
        ]
        logo = build_triangle(facts, "logo", MAR)
        row = logo.rows[0]
        self.assertEqual(self.shares(row), [100.0, None, 0.0])
        self.assertEqual([cell.computed for cell in row.cells], [True, False, True])
        # no starting MRR: no revenue row, its later MRR not in the average
        facts += [
            fact(FEB, 0, 1, 1, 50, 50),
            fact(FEB, 1, 1, 1, 20, 50),
            fact(JAN, 1, 1, 1, 500, 0),
        ]
        revenue = build_triangle(facts, "revenue", MAR)
        self.assertEqual([row.cohort for row in revenue.rows], [FEB])
        self.assertEqual(revenue.months, [0, 1])
        self.assertEqual(self.shares(revenue.average), [100.0, 40.0])

    def test_window_of_cohorts(self):
        # only the cohorts from February: January is left out
        triangle = build_triangle(self.FACTS, "logo", MAR, first_cohort=FEB)
        self.assertEqual([row.cohort for row in triangle.rows], [FEB])
        self.assertEqual(triangle.months, [0, 1])
        # at most 1 month since: January's month 2 is cut
        short = build_triangle(self.FACTS, "logo", APR, first_cohort=JAN, max_months=1)
        self.assertEqual(short.months, [0, 1])
        self.assertEqual(self.shares(short.rows[1]), [100.0, 50.0])

    def test_empty(self):
        triangle = build_triangle([], "logo", MAR)
        self.assertTrue(triangle.is_empty)
        self.assertEqual(triangle.months, [])
        self.assertEqual(triangle.average.cells, [])
        with self.assertRaises(ValueError):
            build_triangle([], "churn", MAR)

    def test_formulas(self):
        self.assertEqual(logo_retention(3, 4), KpiValue(3, 4, 75.0))
        self.assertEqual(logo_retention(0, 0), KpiValue(0, 0, None))
        self.assertEqual(revenue_retention(450, 400), KpiValue(450, 400, 112.5))

    def test_months(self):
        self.assertEqual(add_months(date(2025, 11, 20), 3), date(2026, 2, 1))
        self.assertEqual(add_months(JAN, -24), date(2024, 1, 1))
        self.assertEqual(months_between(date(2025, 11, 30), date(2026, 2, 1)), 3)

    def test_heat_colour(self):
        self.assertIsNone(heat_colour(None))
        self.assertEqual(heat_colour(0), ("#FFFFFF", "#212529"))
        self.assertEqual(heat_colour(100), ("#1F5EA0", "#FFFFFF"))
        # above 100 % the colour of 100 %
        self.assertEqual(heat_colour(130), heat_colour(100))
