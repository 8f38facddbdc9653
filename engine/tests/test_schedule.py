# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest
from datetime import date

from ..periods import Period
from ..schedule import first_working_day, next_send_date, reported_period


class TestFirstWorkingDay(unittest.TestCase):
    def test_weekday_first(self):
        # 1 December 2026 is a Tuesday
        self.assertEqual(first_working_day(2026, 12), date(2026, 12, 1))

    def test_weekend_first(self):
        # 1 August 2026 is a Saturday: Monday 3 August
        self.assertEqual(first_working_day(2026, 8), date(2026, 8, 3))
        # 1 November 2026 is a Sunday: Monday 2 November
        self.assertEqual(first_working_day(2026, 11), date(2026, 11, 2))


class TestNextSendDate(unittest.TestCase):
    def test_weekly(self):
        # Wednesday 2 December 2026, weekly on Monday (0): Monday 7 December
        self.assertEqual(next_send_date("weekly", date(2026, 12, 2), 0), date(2026, 12, 7))
        # on the weekday itself: the next week, never the same day
        self.assertEqual(next_send_date("weekly", date(2026, 12, 7), 0), date(2026, 12, 14))
        # Friday (4) after Wednesday: two days later
        self.assertEqual(next_send_date("weekly", date(2026, 12, 2), 4), date(2026, 12, 4))
        # Sunday (6) after Sunday 6 December: 13 December
        self.assertEqual(next_send_date("weekly", date(2026, 12, 6), 6), date(2026, 12, 13))

    def test_weekly_bad_weekday(self):
        with self.assertRaises(ValueError):
            next_send_date("weekly", date(2026, 12, 2), 7)

    def test_monthly(self):
        # after Tuesday 1 December (itself a send day): the next one is
        # Friday 1 January 2027
        self.assertEqual(next_send_date("monthly", date(2026, 12, 1)), date(2027, 1, 1))
        # the day before: 1 December
        self.assertEqual(next_send_date("monthly", date(2026, 11, 30)), date(2026, 12, 1))
        # 1 August 2026 is a Saturday: from 31 July, Monday 3 August
        self.assertEqual(next_send_date("monthly", date(2026, 7, 31)), date(2026, 8, 3))
        # Saturday 1 August itself, not yet sent that month: Monday 3 August
        self.assertEqual(next_send_date("monthly", date(2026, 8, 1)), date(2026, 8, 3))

    def test_quarterly(self):
        # from 2 December 2026: Friday 1 January 2027
        self.assertEqual(next_send_date("quarterly", date(2026, 12, 2)), date(2027, 1, 1))
        # from 1 January 2027 (a send day): Thursday 1 April 2027
        self.assertEqual(next_send_date("quarterly", date(2027, 1, 1)), date(2027, 4, 1))
        # 1 July 2028 is a Saturday: Monday 3 July; from 15 May 2028
        self.assertEqual(next_send_date("quarterly", date(2028, 5, 15)), date(2028, 7, 3))
        # between 1 and 3 July 2028, still 3 July
        self.assertEqual(next_send_date("quarterly", date(2028, 7, 2)), date(2028, 7, 3))

    def test_unknown_cadence(self):
        with self.assertRaises(ValueError):
            next_send_date("daily", date(2026, 12, 2))


class TestReportedPeriod(unittest.TestCase):
    def test_month_sent_on_first(self):
        # sent on 1 December: November
        self.assertEqual(
            reported_period("month", date(2026, 12, 1)),
            Period("month", date(2026, 11, 1), date(2026, 12, 1)),
        )

    def test_month_so_far(self):
        # a weekly report of months sent on Monday 7 December: December so far
        self.assertEqual(
            reported_period("month", date(2026, 12, 7)),
            Period("month", date(2026, 12, 1), date(2027, 1, 1)),
        )

    def test_week(self):
        # sent on Monday 7 December: the week of Monday 30 November
        self.assertEqual(reported_period("week", date(2026, 12, 7)).date_start, date(2026, 11, 30))

    def test_quarter(self):
        # sent on 1 January 2027: Q4 2026
        self.assertEqual(reported_period("quarter", date(2027, 1, 1)).date_start, date(2026, 10, 1))
