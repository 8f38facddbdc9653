# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest

from ..axis import nice_ticks


class TestNiceTicks(unittest.TestCase):
    def test_positive_values_start_at_zero(self):
        # span 0..47 in 4 steps: 11.75 → the next round step is 20
        self.assertEqual(nice_ticks([3, 47, None]), [0, 20, 40, 60])

    def test_percentages_and_small_steps(self):
        # 0..66.7: 16.7 → 20; 0..0.3: 0.075 → 0.1
        self.assertEqual(nice_ticks([66.67, 50, 0]), [0, 20, 40, 60, 80])
        self.assertEqual(nice_ticks([0.1, 0.3]), [0, 0.1, 0.2, 0.3])

    def test_negative_values_and_zero_inside(self):
        # −729 .. 120: span 849, 212.25 → 250; from −750 to 250
        self.assertEqual(nice_ticks([-729, 120]), [-750, -500, -250, 0, 250])

    def test_constant_and_empty(self):
        self.assertEqual(nice_ticks([0, 0]), [0, 0.25, 0.5, 0.75, 1])
        self.assertEqual(nice_ticks([None, None]), [])
        self.assertEqual(nice_ticks([]), [])
