# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest
from datetime import date

from ..goals import (
    GOAL_STATUSES,
    early_achievement,
    expected_progress,
    feasibility,
    forecast,
    goal_status,
    linear_forecast,
    progress,
    target_reached,
)

START = date(2026, 1, 1)
DEADLINE = date(2026, 12, 31)
# 2026-01-01 → 2026-07-02 is 182 days of 364: expected progress 50 %.
MID_YEAR = date(2026, 7, 2)


class TestProgress(unittest.TestCase):
    def test_higher_is_better(self):
        # From 100 towards 200.
        self.assertAlmostEqual(progress(100, 200, 150), 50.0)  # 50 / 100
        self.assertAlmostEqual(progress(100, 200, 250), 150.0)  # beyond the target
        self.assertAlmostEqual(progress(100, 200, 50), -50.0)  # went backwards
        self.assertAlmostEqual(progress(0, 80, 0), 0.0)

    def test_lower_is_better(self):
        # Churn from 10 % down to 5 %: at 8 %, (8 − 10) / (5 − 10) = 40 %.
        self.assertAlmostEqual(progress(10, 5, 8), 40.0)
        # At 4 %: (4 − 10) / (5 − 10) = 120 %; at 12 %: (12 − 10) / (5 − 10) = −40 %.
        self.assertAlmostEqual(progress(10, 5, 4), 120.0)
        self.assertAlmostEqual(progress(10, 5, 12), -40.0)

    def test_no_progress(self):
        self.assertIsNone(progress(5, 5, 7))  # target equals baseline
        self.assertIsNone(progress(100, 200, None))
        self.assertIsNone(progress(None, 200, 150))
        self.assertIsNone(progress(100, None, 150))


class TestExpectedProgress(unittest.TestCase):
    def test_linear_pace(self):
        self.assertAlmostEqual(expected_progress(START, DEADLINE, MID_YEAR), 50.0)
        # 2026-01-01 → 2026-04-01: 31 + 28 + 31 = 90 days of 364: 24.7253 %.
        self.assertAlmostEqual(expected_progress(START, DEADLINE, date(2026, 4, 1)), 9000 / 364)

    def test_leap_year(self):
        # 2024-01-01 → 2024-12-31 is 365 days; → 2024-03-01 is 31 + 29 = 60 days.
        self.assertAlmostEqual(
            expected_progress(date(2024, 1, 1), date(2024, 12, 31), date(2024, 3, 1)),
            6000 / 365,
        )

    def test_clamped(self):
        self.assertEqual(expected_progress(START, DEADLINE, date(2025, 12, 1)), 0.0)
        self.assertEqual(expected_progress(START, DEADLINE, START), 0.0)
        self.assertEqual(expected_progress(START, DEADLINE, DEADLINE), 100.0)
        self.assertEqual(expected_progress(START, DEADLINE, date(2027, 3, 1)), 100.0)

    def test_one_day_goal(self):
        self.assertEqual(expected_progress(START, START, date(2025, 12, 31)), 0.0)
        self.assertEqual(expected_progress(START, START, START), 100.0)

    def test_deadline_before_start(self):
        with self.assertRaisesRegex(ValueError, "before the start"):
            expected_progress(START, date(2025, 12, 31), MID_YEAR)


class TestLinearForecast(unittest.TestCase):
    def test_no_or_one_point(self):
        self.assertIsNone(linear_forecast([], DEADLINE))
        self.assertEqual(linear_forecast([(START, 5.0)], DEADLINE), 5.0)
        # Points all on one date: their mean, (4 + 6) / 2.
        self.assertEqual(linear_forecast([(START, 4.0), (START, 6.0)], DEADLINE), 5.0)

    def test_exact_line(self):
        # +1 a day: 10 on 1 Jan, 20 on 11 Jan, 30 on 21 Jan → 40 on 31 Jan.
        points = [
            (date(2026, 1, 1), 10),
            (date(2026, 1, 11), 20),
            (date(2026, 1, 21), 30),
        ]
        self.assertAlmostEqual(linear_forecast(points, date(2026, 1, 31)), 40.0)
        # The order of the points does not matter.
        self.assertAlmostEqual(linear_forecast(points[::-1], date(2026, 1, 31)), 40.0)

    def test_least_squares(self):
        # x = 0, 1, 2 (1–3 March), y = 1, 3, 2: mean x 1, mean y 2,
        # slope = Σ(dx·dy) / Σdx² = (1 + 0 + 0) / 2 = 0.5; at x = 4 (5 March):
        # 2 + 0.5 × (4 − 1) = 3.5.
        points = [(date(2026, 3, 1), 1), (date(2026, 3, 2), 3), (date(2026, 3, 3), 2)]
        self.assertAlmostEqual(linear_forecast(points, date(2026, 3, 5)), 3.5)

    def test_decreasing(self):
        # Churn 10 on day 0 and 8 on day 10 (−0.2 a day) → 4 on day 30.
        points = [(date(2026, 1, 1), 10.0), (date(2026, 1, 11), 8.0)]
        self.assertAlmostEqual(linear_forecast(points, date(2026, 1, 31)), 4.0)


class TestForecastTooEarly(unittest.TestCase):
    # A quarter (2026-10-01 → 12-31, 91 days); won 4,000 on day 2: the line
    # through (10-01, 0) and (10-03, 4,000) reaches 180,000 at the deadline.
    POINTS = [(date(2026, 10, 1), 0.0), (date(2026, 10, 3), 4000.0)]

    def test_no_forecast_before_a_quarter_of_the_window(self):
        start, deadline = date(2026, 10, 1), date(2026, 12, 31)
        self.assertIsNone(forecast(self.POINTS, start, deadline, date(2026, 10, 3)))
        # day 22 of 91 = 24.2 %: still too early; day 23 = 25.3 %: forecast
        self.assertIsNone(forecast(self.POINTS, start, deadline, date(2026, 10, 23)))
        self.assertAlmostEqual(
            forecast(self.POINTS, start, deadline, date(2026, 10, 24)), 4000 / 2 * 91
        )

    def test_threshold_is_a_parameter(self):
        start, deadline = date(2026, 10, 1), date(2026, 12, 31)
        self.assertAlmostEqual(
            forecast(self.POINTS, start, deadline, date(2026, 10, 3), min_elapsed=0), 182000
        )


class TestEarlyAchievement(unittest.TestCase):
    def allowed(self, today, denominator, additive=False):
        return early_achievement(
            additive=additive,
            denominator=denominator,
            date_start=START,
            deadline=DEADLINE,
            today=today,
        )

    def test_ratio_goals_need_half_the_window_and_ten_items(self):
        # day 1 of a year, 2 closed deals: not yet (a 100 % win rate of 2 deals)
        self.assertFalse(self.allowed(date(2026, 1, 2), 2))
        self.assertFalse(self.allowed(MID_YEAR, 9))  # half elapsed, 9 items
        self.assertFalse(self.allowed(date(2026, 6, 30), 50))  # 180 / 364 < 50 %
        self.assertTrue(self.allowed(MID_YEAR, 10))
        self.assertFalse(self.allowed(MID_YEAR, None))

    def test_sum_goals_always(self):
        self.assertTrue(self.allowed(date(2026, 1, 2), 0, additive=True))


class TestGoalStatus(unittest.TestCase):
    def status(
        self,
        current,
        today=MID_YEAR,
        baseline=100,
        target=200,
        direction="higher",
        **kwargs,
    ):
        return goal_status(
            baseline=baseline,
            target=target,
            current=current,
            direction=direction,
            date_start=START,
            deadline=DEADLINE,
            today=today,
            **kwargs,
        )

    def test_pace_thresholds(self):
        # Mid-year, expected 50 %; from 100 towards 200 a point of value is 1 %.
        cases = [
            (150, "on_track"),  # 50 %, gap 0
            (160, "on_track"),  # ahead of pace
            (140, "on_track"),  # gap 10: exactly the at-risk margin
            (139, "at_risk"),  # gap 11
            (125, "at_risk"),  # gap 25: exactly the off-track margin
            (124, "off_track"),  # gap 26
            (90, "off_track"),  # went backwards: −10 %, gap 60
        ]
        for current, expected in cases:
            with self.subTest(current=current):
                self.assertEqual(self.status(current), expected)

    def test_custom_margins(self):
        cases = [
            (146, "on_track"),
            (139, "at_risk"),
            (134, "off_track"),
        ]  # gaps 4, 11, 16
        for current, expected in cases:
            with self.subTest(current=current):
                self.assertEqual(
                    self.status(current, at_risk_margin=5, off_track_margin=15),
                    expected,
                )

    def test_achieved_and_missed(self):
        self.assertEqual(self.status(200), "achieved")  # early
        self.assertEqual(self.status(230), "achieved")
        after = date(2027, 1, 1)
        self.assertEqual(self.status(200, today=after), "achieved")
        self.assertEqual(self.status(199, today=after), "missed")
        self.assertEqual(self.status(None, today=after), "missed")
        # On the deadline itself the goal is still open: expected 100 %,
        # progress 90 %, gap 10 → on track.
        self.assertEqual(self.status(190, today=DEADLINE), "on_track")

    def test_not_achieved_early(self):
        # reached before the deadline, but early achievement not allowed: on
        # track (ahead of pace); at the deadline: achieved
        self.assertEqual(self.status(200, early=False), "on_track")
        self.assertEqual(self.status(200, early=False, today=DEADLINE), "achieved")
        self.assertEqual(self.status(200, early=False, today=date(2027, 1, 1)), "achieved")

    def test_lower_is_better(self):
        # Churn from 5 % to 3 %; at 4 % mid-year: (4 − 5) / (3 − 5) = 50 %, gap 0.
        churn = {"baseline": 5, "target": 3, "direction": "lower"}
        self.assertEqual(self.status(4, **churn), "on_track")
        # At 4.6 %: 20 %, gap 30 → off track.
        self.assertEqual(self.status(4.6, **churn), "off_track")
        self.assertEqual(self.status(3, **churn), "achieved")
        self.assertEqual(self.status(2.5, **churn), "achieved")
        self.assertEqual(self.status(3.5, today=date(2027, 1, 1), **churn), "missed")

    def test_no_value_yet(self):
        # No value counts as no progress: fine on the first day (expected 0),
        # off track mid-year (gap 50).
        self.assertEqual(self.status(None, today=START), "on_track")
        self.assertEqual(self.status(None), "off_track")

    def test_before_start(self):
        # Expected 0 %, progress 0 %: on track.
        self.assertEqual(self.status(100, today=date(2025, 12, 15)), "on_track")

    def test_target_equals_baseline(self):
        # Keep churn at 5 %: reaching it achieves; otherwise no progress, gap 50.
        keep = {"baseline": 5, "target": 5, "direction": "lower"}
        self.assertEqual(self.status(5, **keep), "achieved")
        self.assertEqual(self.status(6, **keep), "off_track")

    def test_draft(self):
        self.assertEqual(self.status(250, draft=True), "draft")
        self.assertEqual(self.status(None, draft=True), "draft")

    def test_every_status_is_known(self):
        statuses = {
            self.status(150),
            self.status(130),
            self.status(110),
            self.status(200),
            self.status(150, today=date(2027, 1, 1)),
            self.status(150, draft=True),
        }
        self.assertEqual(statuses, set(GOAL_STATUSES))

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "Unknown direction 'up'"):
            self.status(150, direction="up")
        with self.assertRaisesRegex(ValueError, "margins"):
            self.status(150, at_risk_margin=30, off_track_margin=25)
        with self.assertRaisesRegex(ValueError, "margins"):
            self.status(150, at_risk_margin=-1)

    def test_target_reached(self):
        self.assertTrue(target_reached(200, 200, "higher"))
        self.assertFalse(target_reached(199.99, 200, "higher"))
        self.assertTrue(target_reached(3, 3, "lower"))
        self.assertFalse(target_reached(3.01, 3, "lower"))
        self.assertFalse(target_reached(None, 3, "lower"))


class TestFeasibility(unittest.TestCase):
    def test_higher(self):
        history = [120, 150, 90, None, 130]
        # Best 150; median of 90, 120, 130, 150 = (120 + 130) / 2 = 125;
        # 50 % of 150 = 75, so targets above 225 exceed the history.
        self.assertEqual(
            feasibility(history, 200, "higher"),
            {"best": 150, "median": 125.0, "exceeds_history": False},
        )
        self.assertFalse(feasibility(history, 225, "higher")["exceeds_history"])
        self.assertTrue(feasibility(history, 230, "higher")["exceeds_history"])

    def test_lower(self):
        # Churn history 4, 2, 3: best 2, median 3; 50 % of 2 = 1, so targets
        # below 1 exceed the history.
        history = [4.0, 2.0, 3.0]
        self.assertEqual(
            feasibility(history, 0.9, "lower"),
            {"best": 2.0, "median": 3.0, "exceeds_history": True},
        )
        self.assertFalse(feasibility(history, 1.0, "lower")["exceeds_history"])

    def test_custom_margin(self):
        # Best 100, 10 % margin: beyond 110 exceeds.
        self.assertTrue(feasibility([100], 111, "higher", margin_pct=10)["exceeds_history"])
        self.assertFalse(feasibility([100], 110, "higher", margin_pct=10)["exceeds_history"])

    def test_zero_and_negative_best(self):
        # Best 0: no margin, any higher target exceeds.
        self.assertTrue(feasibility([0, -5], 1, "higher")["exceeds_history"])
        # Net new MRR history −500, −200: best −200, margin 100, limit −100.
        self.assertTrue(feasibility([-500, -200], 100, "higher")["exceeds_history"])
        self.assertFalse(feasibility([-500, -200], -100, "higher")["exceeds_history"])

    def test_no_history_or_target(self):
        empty = {"best": None, "median": None, "exceeds_history": False}
        self.assertEqual(feasibility([], 100, "higher"), empty)
        self.assertEqual(feasibility([None, None], 100, "lower"), empty)
        self.assertFalse(feasibility([100], None, "higher")["exceeds_history"])

    def test_unknown_direction(self):
        with self.assertRaisesRegex(ValueError, "Unknown direction"):
            feasibility([1], 2, "sideways")
