# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest
from datetime import date, datetime, timedelta
from itertools import pairwise

from ..periods import (
    PERIOD_TYPES,
    Period,
    count_periods,
    local_date,
    period_of,
    periods_between,
    split_range,
)


class TestPeriodOf(unittest.TestCase):
    def test_each_type(self):
        # 2026-11-22 is a Sunday: its ISO week 47 starts on Monday 2026-11-16.
        d = date(2026, 11, 22)
        expected = {
            "day": (date(2026, 11, 22), date(2026, 11, 23), "2026-11-22"),
            "week": (date(2026, 11, 16), date(2026, 11, 23), "2026-W47"),
            "month": (date(2026, 11, 1), date(2026, 12, 1), "2026-11"),
            "quarter": (date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
            "year": (date(2026, 1, 1), date(2027, 1, 1), "2026"),
        }
        self.assertEqual(tuple(expected), PERIOD_TYPES)
        for period_type, (start, end, label) in expected.items():
            with self.subTest(period_type=period_type):
                period = period_of(period_type, d)
                self.assertEqual(period, Period(period_type, start, end))
                self.assertEqual(period.label, label)
                self.assertTrue(period.contains(d))

    def test_week_starts_monday(self):
        # Monday 2026-11-16 opens its own week; Sunday 2026-11-15 closes W46.
        self.assertEqual(period_of("week", date(2026, 11, 16)).date_start, date(2026, 11, 16))
        self.assertEqual(period_of("week", date(2026, 11, 15)).label, "2026-W46")

    def test_quarter_boundaries(self):
        # 31 March is the last day of Q1, 1 April the first of Q2.
        q1 = period_of("quarter", date(2026, 3, 31))
        self.assertEqual((q1.date_start, q1.date_end), (date(2026, 1, 1), date(2026, 4, 1)))
        self.assertEqual(q1.label, "2026-Q1")
        q2 = period_of("quarter", date(2026, 4, 1))
        self.assertEqual((q2.date_start, q2.date_end), (date(2026, 4, 1), date(2026, 7, 1)))
        self.assertEqual(q2.label, "2026-Q2")
        q3 = period_of("quarter", date(2026, 9, 30))
        self.assertEqual(q3.label, "2026-Q3")

    def test_iso_week_53(self):
        # 2026 starts on a Thursday, so it has 53 ISO weeks; W53 runs from
        # Monday 2026-12-28 to Sunday 2027-01-03 and owns 1 January 2027.
        week = period_of("week", date(2027, 1, 1))
        self.assertEqual((week.date_start, week.date_end), (date(2026, 12, 28), date(2027, 1, 4)))
        self.assertEqual(week.label, "2026-W53")
        # Likewise 2020 (starts on a Wednesday, leap year): W53 holds 2021-01-03.
        week = period_of("week", date(2021, 1, 3))
        self.assertEqual((week.date_start, week.date_end), (date(2020, 12, 28), date(2021, 1, 4)))
        self.assertEqual(week.label, "2020-W53")

    def test_iso_week_1_starting_in_previous_year(self):
        # Monday 2025-12-29 opens 2026-W01 (the week of Thursday 2026-01-01).
        week = period_of("week", date(2026, 1, 1))
        self.assertEqual(week.date_start, date(2025, 12, 29))
        self.assertEqual(week.label, "2026-W01")

    def test_unknown_type(self):
        with self.assertRaisesRegex(ValueError, "fortnight"):
            period_of("fortnight", date(2026, 11, 22))


class TestPeriodArithmetic(unittest.TestCase):
    def test_days_and_last_day(self):
        # Feb 2024 (leap): 29 days; Feb 2023: 28; 2024: 366 days; 2026: 365;
        # Q1 2024: 31 + 29 + 31 = 91; Q1 2026: 31 + 28 + 31 = 90; a week: 7.
        cases = [
            ("month", date(2024, 2, 10), 29, date(2024, 2, 29)),
            ("month", date(2023, 2, 10), 28, date(2023, 2, 28)),
            ("year", date(2024, 6, 1), 366, date(2024, 12, 31)),
            ("year", date(2026, 6, 1), 365, date(2026, 12, 31)),
            ("quarter", date(2024, 2, 1), 91, date(2024, 3, 31)),
            ("quarter", date(2026, 2, 1), 90, date(2026, 3, 31)),
            ("quarter", date(2026, 11, 22), 92, date(2026, 12, 31)),
            ("week", date(2026, 12, 31), 7, date(2027, 1, 3)),
            ("day", date(2024, 2, 29), 1, date(2024, 2, 29)),
        ]
        for period_type, d, days, last_day in cases:
            with self.subTest(period_type=period_type, d=d):
                period = period_of(period_type, d)
                self.assertEqual(period.days, days)
                self.assertEqual(period.last_day, last_day)

    def test_contains_is_half_open(self):
        november = period_of("month", date(2026, 11, 22))
        self.assertTrue(november.contains(date(2026, 11, 1)))
        self.assertTrue(november.contains(date(2026, 11, 30)))
        self.assertFalse(november.contains(date(2026, 12, 1)))
        self.assertFalse(november.contains(date(2026, 10, 31)))

    def test_previous_and_next(self):
        cases = [
            # (period type, a date of the period, previous label, next label)
            ("day", date(2024, 3, 1), "2024-02-29", "2024-03-02"),
            ("day", date(2026, 12, 31), "2026-12-30", "2027-01-01"),
            ("week", date(2026, 1, 1), "2025-W52", "2026-W02"),
            ("week", date(2026, 12, 28), "2026-W52", "2027-W01"),
            ("month", date(2026, 1, 15), "2025-12", "2026-02"),
            ("month", date(2024, 1, 31), "2023-12", "2024-02"),
            ("quarter", date(2026, 1, 1), "2025-Q4", "2026-Q2"),
            ("quarter", date(2026, 12, 31), "2026-Q3", "2027-Q1"),
            ("year", date(2026, 11, 22), "2025", "2027"),
        ]
        for period_type, d, previous_label, next_label in cases:
            with self.subTest(period_type=period_type, d=d):
                period = period_of(period_type, d)
                self.assertEqual(period.previous().label, previous_label)
                self.assertEqual(period.next().label, next_label)
                self.assertEqual(period.previous().date_end, period.date_start)
                self.assertEqual(period.next().date_start, period.date_end)
                self.assertEqual(period.next().previous(), period)

    def test_previous_week_across_year_with_53_weeks(self):
        # The week before 2021-W01 (Monday 2021-01-04) is 2020-W53.
        week = period_of("week", date(2021, 1, 4))
        self.assertEqual(week.previous(), Period("week", date(2020, 12, 28), date(2021, 1, 4)))

    def test_same_period_last_year(self):
        cases = [
            # 29 February has no twin: 28 February.
            ("day", date(2024, 2, 29), "2023-02-28"),
            ("day", date(2025, 3, 1), "2024-03-01"),
            # February 2024 (29 days) maps to February 2023 (28 days).
            ("month", date(2024, 2, 29), "2023-02"),
            ("quarter", date(2026, 1, 1), "2025-Q1"),
            ("year", date(2024, 12, 31), "2023"),
            # 2026-W47 maps to 2025-W47 (Monday 2025-11-17).
            ("week", date(2026, 11, 22), "2025-W47"),
            # 2027-W01 (Monday 2027-01-04) maps to 2026-W01 (Monday 2025-12-29).
            ("week", date(2027, 1, 4), "2026-W01"),
            # 2026-W53: 2025 has only 52 weeks, so 2025-W52 (Monday 2025-12-22).
            ("week", date(2026, 12, 31), "2025-W52"),
            # 2020-W53: 2019 has 52 weeks, so 2019-W52.
            ("week", date(2021, 1, 3), "2019-W52"),
            # 2021-W52 maps to 2020-W52, not to 2020-W53.
            ("week", date(2021, 12, 27), "2020-W52"),
        ]
        for period_type, d, label in cases:
            with self.subTest(period_type=period_type, d=d):
                self.assertEqual(period_of(period_type, d).same_period_last_year().label, label)
        last_year_week = period_of("week", date(2026, 11, 22)).same_period_last_year()
        self.assertEqual(last_year_week.date_start, date(2025, 11, 17))
        week_53 = period_of("week", date(2026, 12, 31)).same_period_last_year()
        self.assertEqual(week_53.date_start, date(2025, 12, 22))
        self.assertEqual(
            period_of("week", date(2027, 1, 4)).same_period_last_year().date_start,
            date(2025, 12, 29),
        )

    def test_invalid_period(self):
        # Not aligned on the first day, wrong length, unknown type.
        with self.assertRaises(ValueError):
            Period("month", date(2026, 11, 2), date(2026, 12, 1))
        with self.assertRaises(ValueError):
            Period("month", date(2026, 11, 1), date(2026, 12, 2))
        with self.assertRaises(ValueError):
            Period("week", date(2026, 11, 17), date(2026, 11, 24))  # a Tuesday
        with self.assertRaisesRegex(ValueError, "Unknown period type"):
            Period("fortnight", date(2026, 11, 16), date(2026, 11, 30))

    def test_period_is_hashable_and_immutable(self):
        period = period_of("month", date(2026, 11, 22))
        self.assertEqual(len({period, period_of("month", date(2026, 11, 1))}), 1)
        with self.assertRaises(AttributeError):
            period.date_start = date(2026, 10, 1)


class TestPeriodsBetween(unittest.TestCase):
    def labels(self, *args):
        return [period.label for period in periods_between(*args)]

    def test_ranges(self):
        # Closed range: a period is included as soon as it meets the range.
        self.assertEqual(
            self.labels("month", date(2026, 1, 31), date(2026, 3, 1)),
            ["2026-01", "2026-02", "2026-03"],
        )
        # Sunday 2026-11-22 closes W47, Monday 2026-11-23 opens W48.
        self.assertEqual(
            self.labels("week", date(2026, 11, 22), date(2026, 11, 23)),
            ["2026-W47", "2026-W48"],
        )
        # Leap day included.
        self.assertEqual(
            self.labels("day", date(2024, 2, 28), date(2024, 3, 1)),
            ["2024-02-28", "2024-02-29", "2024-03-01"],
        )
        self.assertEqual(
            self.labels("year", date(2026, 12, 31), date(2027, 1, 1)), ["2026", "2027"]
        )
        # Sunday 2020-12-20 (W51) to Sunday 2021-01-10 (2021-W01), through W53.
        self.assertEqual(
            self.labels("week", date(2020, 12, 20), date(2021, 1, 10)),
            ["2020-W51", "2020-W52", "2020-W53", "2021-W01"],
        )
        self.assertEqual(
            self.labels("quarter", date(2025, 11, 1), date(2026, 4, 1)),
            ["2025-Q4", "2026-Q1", "2026-Q2"],
        )

    def test_contiguous(self):
        periods = periods_between("week", date(2026, 1, 1), date(2026, 12, 31))
        # 2026-W01 (from Monday 2025-12-29) to 2026-W53 (to Sunday 2027-01-03).
        self.assertEqual(len(periods), 53)
        self.assertEqual(periods[0].date_start, date(2025, 12, 29))
        self.assertEqual(periods[-1].date_end, date(2027, 1, 4))
        for before, after in pairwise(periods):
            self.assertEqual(before.date_end, after.date_start)

    def test_single_period(self):
        self.assertEqual(self.labels("quarter", date(2026, 11, 22)), ["2026-Q4"])
        self.assertEqual(self.labels("month", date(2026, 11, 22), date(2026, 11, 22)), ["2026-11"])

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "before the start date"):
            periods_between("month", date(2026, 11, 22), date(2026, 11, 21))
        with self.assertRaisesRegex(ValueError, "Unknown period type 'hour'"):
            periods_between("hour", date(2026, 11, 22))


class TestCountPeriods(unittest.TestCase):
    def test_hand_counted(self):
        # 1976-01-01 to 2026-01-01: 50 years of 365 days and 13 leap days (1976..2024), + 1.
        self.assertEqual(count_periods("day", date(1976, 1, 1), date(2026, 1, 1)), 18264)
        # Sunday 2026-11-22 (W47) and Monday 2026-11-23 (W48): two weeks for two days.
        self.assertEqual(count_periods("week", date(2026, 11, 22), date(2026, 11, 23)), 2)
        self.assertEqual(count_periods("month", date(2026, 1, 31), date(2026, 3, 1)), 3)
        self.assertEqual(count_periods("quarter", date(2025, 11, 1), date(2026, 4, 1)), 3)
        self.assertEqual(count_periods("year", date(2026, 12, 31), date(2027, 1, 1)), 2)
        # No end: one period. 2026 to 2999 in days: 974 years of 365 days and
        # 236 leap days (243 years divisible by 4, less 2100, ..., 2900 but 2400).
        self.assertEqual(count_periods("month", date(2026, 11, 22)), 1)
        self.assertEqual(count_periods("day", date(2026, 1, 1), date(2999, 12, 31)), 355746)

    def test_same_as_periods_between(self):
        starts = (date(2020, 12, 20), date(2024, 2, 29), date(2025, 12, 31), date(2026, 1, 4))
        ends = (date(2026, 1, 4), date(2026, 3, 31), date(2027, 1, 1), date(2028, 12, 31))
        for period_type in PERIOD_TYPES:
            for start in starts:
                for end in ends:
                    with self.subTest(period_type=period_type, start=start, end=end):
                        self.assertEqual(
                            count_periods(period_type, start, end),
                            len(periods_between(period_type, start, end)),
                        )

    def test_far_dates_in_constant_time(self):
        # The whole calendar Python knows, in days, without building a period.
        self.assertEqual(count_periods("day", date.min, date.max), date.max.toordinal())
        self.assertEqual(count_periods("year", date.min, date.max), 9999)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "before the start date"):
            count_periods("month", date(2026, 11, 22), date(2026, 11, 21))
        with self.assertRaisesRegex(ValueError, "Unknown period type 'hour'"):
            count_periods("hour", date(2026, 11, 22))


class TestSplitRange(unittest.TestCase):
    def test_two_years_of_days(self):
        # 2024-01-01 to 2025-12-31: 731 days (2024 is a leap year) in 400 + 331.
        ranges = split_range("day", date(2024, 1, 1), date(2025, 12, 31), 400)
        self.assertEqual(
            ranges,
            [
                (date(2024, 1, 1), date(2025, 2, 3)),
                (date(2025, 2, 4), date(2025, 12, 31)),
            ],
        )
        self.assertEqual([count_periods("day", *r) for r in ranges], [400, 331])

    def test_ranges_partition_the_periods(self):
        # Mid-period bounds: the first range starts on date_from, the last ends on date_to.
        cases = [
            ("day", date(2026, 1, 15), date(2026, 2, 10), 10),
            ("week", date(2020, 12, 20), date(2021, 3, 3), 4),
            ("month", date(2025, 11, 20), date(2027, 2, 2), 5),
            ("quarter", date(2025, 2, 14), date(2026, 12, 31), 3),
            ("year", date(2019, 7, 1), date(2026, 7, 1), 2),
        ]
        for period_type, start, end, size in cases:
            with self.subTest(period_type=period_type):
                ranges = split_range(period_type, start, end, size)
                self.assertEqual(ranges[0][0], start)
                self.assertEqual(ranges[-1][1], end)
                chunks = [periods_between(period_type, *r) for r in ranges]
                self.assertTrue(all(1 <= len(chunk) <= size for chunk in chunks))
                self.assertTrue(all(len(chunk) == size for chunk in chunks[:-1]))
                self.assertEqual(
                    [p for chunk in chunks for p in chunk],
                    periods_between(period_type, start, end),
                )
                for (_start, before_end), (after_start, _end) in pairwise(ranges):
                    self.assertEqual(before_end + timedelta(days=1), after_start)

    def test_short_range_and_end_of_calendar(self):
        self.assertEqual(
            split_range("month", date(2026, 3, 5), None, 400), [(date(2026, 3, 5),) * 2]
        )
        # Chunks reaching past 9999-12-31 end on the last date instead of overflowing.
        self.assertEqual(
            split_range("year", date(9990, 1, 1), date.max, 4),
            [
                (date(9990, 1, 1), date(9993, 12, 31)),
                (date(9994, 1, 1), date(9997, 12, 31)),
                (date(9998, 1, 1), date.max),
            ],
        )

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "At least one period"):
            split_range("day", date(2026, 1, 1), date(2026, 1, 2), 0)
        with self.assertRaisesRegex(ValueError, "before the start date"):
            split_range("day", date(2026, 1, 2), date(2026, 1, 1), 10)


class TestTimezones(unittest.TestCase):
    def test_utc_and_fallbacks(self):
        day = period_of("day", date(2026, 11, 22))
        expected = (datetime(2026, 11, 22), datetime(2026, 11, 23))
        for tz_name in ("UTC", None, "", "Mars/Olympus_Mons", "../etc/passwd"):
            with self.subTest(tz_name=tz_name):
                self.assertEqual(day.utc_bounds(tz_name), expected)

    def test_tokyo(self):
        # UTC+9 all year: local midnight is 15:00 UTC the day before.
        day = period_of("day", date(2026, 11, 22))
        self.assertEqual(
            day.utc_bounds("Asia/Tokyo"),
            (datetime(2026, 11, 21, 15), datetime(2026, 11, 22, 15)),
        )
        month = period_of("month", date(2026, 11, 22))
        self.assertEqual(
            month.utc_bounds("Asia/Tokyo"),
            (datetime(2026, 10, 31, 15), datetime(2026, 11, 30, 15)),
        )

    def test_brussels_spring_forward(self):
        # 2026-03-29 02:00 CET (+1) jumps to 03:00 CEST (+2): a 23-hour day,
        # from 2026-03-28 23:00 UTC to 2026-03-29 22:00 UTC.
        start, end = period_of("day", date(2026, 3, 29)).utc_bounds("Europe/Brussels")
        self.assertEqual((start, end), (datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22)))
        self.assertEqual(end - start, timedelta(hours=23))
        # The week of that Sunday (W13, Monday 2026-03-23) lasts 7 × 24 − 1 hours.
        start, end = period_of("week", date(2026, 3, 29)).utc_bounds("Europe/Brussels")
        self.assertEqual((start, end), (datetime(2026, 3, 22, 23), datetime(2026, 3, 29, 22)))
        self.assertEqual(end - start, timedelta(hours=167))
        # March: from 2026-03-01 00:00 CET to 2026-04-01 00:00 CEST.
        start, end = period_of("month", date(2026, 3, 1)).utc_bounds("Europe/Brussels")
        self.assertEqual((start, end), (datetime(2026, 2, 28, 23), datetime(2026, 3, 31, 22)))

    def test_brussels_fall_back(self):
        # 2026-10-25 03:00 CEST (+2) falls back to 02:00 CET (+1): a 25-hour day,
        # from 2026-10-24 22:00 UTC to 2026-10-25 23:00 UTC.
        start, end = period_of("day", date(2026, 10, 25)).utc_bounds("Europe/Brussels")
        self.assertEqual((start, end), (datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23)))
        self.assertEqual(end - start, timedelta(hours=25))
        # Q4 2026: from 2026-10-01 00:00 CEST to 2027-01-01 00:00 CET.
        start, end = period_of("quarter", date(2026, 11, 22)).utc_bounds("Europe/Brussels")
        self.assertEqual((start, end), (datetime(2026, 9, 30, 22), datetime(2026, 12, 31, 23)))

    def test_midnight_skipped_by_dst(self):
        # Santiago, 2023-09-03: 00:00 (-4) jumps to 01:00 (-3), so the day
        # starts at 04:00 UTC (01:00 local) and ends at 2023-09-04 00:00 -3.
        start, end = period_of("day", date(2023, 9, 3)).utc_bounds("America/Santiago")
        self.assertEqual((start, end), (datetime(2023, 9, 3, 4), datetime(2023, 9, 4, 3)))
        self.assertEqual(local_date(start, "America/Santiago"), date(2023, 9, 3))
        self.assertEqual(
            local_date(start - timedelta(seconds=1), "America/Santiago"),
            date(2023, 9, 2),
        )

    def test_local_date(self):
        cases = [
            # Tokyo (+9): 15:00 UTC is the next local midnight.
            (datetime(2026, 11, 21, 15), "Asia/Tokyo", date(2026, 11, 22)),
            (datetime(2026, 11, 21, 14, 59, 59), "Asia/Tokyo", date(2026, 11, 21)),
            # Brussels after the fall back (+1): 22:59 UTC is 23:59 local.
            (datetime(2026, 10, 25, 22, 59), "Europe/Brussels", date(2026, 10, 25)),
            (datetime(2026, 10, 25, 23), "Europe/Brussels", date(2026, 10, 26)),
            # Brussels in summer (+2): 22:00 UTC is midnight.
            (datetime(2026, 7, 1, 22), "Europe/Brussels", date(2026, 7, 2)),
            # New York (-5 in winter): 03:00 UTC on 1 January is still the old year.
            (datetime(2026, 1, 1, 3), "America/New_York", date(2025, 12, 31)),
            (datetime(2026, 11, 22, 23, 59), None, date(2026, 11, 22)),
            (datetime(2026, 11, 22, 23, 59), "Unknown/Zone", date(2026, 11, 22)),
        ]
        for moment, tz_name, expected in cases:
            with self.subTest(moment=moment, tz_name=tz_name):
                self.assertEqual(local_date(moment, tz_name), expected)

    def test_bounds_round_trip(self):
        # The start bound is local midnight of date_start; the end bound minus one
        # second lies on the last day, for every type and zone.
        for tz_name in ("UTC", "Asia/Tokyo", "Europe/Brussels", "America/New_York"):
            for period_type in PERIOD_TYPES:
                for d in (date(2026, 3, 29), date(2026, 10, 25), date(2024, 2, 29)):
                    period = period_of(period_type, d)
                    start, end = period.utc_bounds(tz_name)
                    with self.subTest(tz_name=tz_name, period=period.label):
                        self.assertEqual(local_date(start, tz_name), period.date_start)
                        self.assertEqual(
                            local_date(end - timedelta(seconds=1), tz_name),
                            period.last_day,
                        )
                        self.assertEqual(local_date(end, tz_name), period.date_end)
