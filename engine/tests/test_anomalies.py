# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest

from ..anomalies import MAD_SCALE, MEAN_AD_SCALE, band, classify, detect, spread

# Twelve months around 11:
# sorted 9 10 10 10 11 11 11 12 12 12 13 13, median (11 + 11) / 2 = 11;
# |x − 11| sorted 0 0 0 1 1 1 1 1 1 2 2 2, MAD (1 + 1) / 2 = 1;
# spread 1.4826 × 1, band 11 ± 3 × 1.4826 = [6.5522, 15.4478].
STEADY = [10, 12, 11, 13, 9, 10, 12, 11, 10, 13, 11, 12]


class TestBand(unittest.TestCase):
    def test_median_and_mad(self):
        result = band(STEADY)
        self.assertEqual(result.median, 11)
        self.assertAlmostEqual(result.spread, MAD_SCALE)
        self.assertAlmostEqual(result.low, 6.5522)
        self.assertAlmostEqual(result.high, 15.4478)
        self.assertEqual(result.count, 12)

    def test_k(self):
        # k = 2: 11 ± 2 × 1.4826 = [8.0348, 13.9652]
        result = band(STEADY, k=2)
        self.assertAlmostEqual(result.low, 8.0348)
        self.assertAlmostEqual(result.high, 13.9652)

    def test_order_does_not_matter(self):
        self.assertEqual(band(STEADY), band(sorted(STEADY)))

    def test_too_little_history(self):
        # 5 values, 6 required: no band, no anomaly whatever the value.
        self.assertIsNone(band([10, 11, 12, 11, 10]))
        self.assertEqual(detect(1000, [10, 11, 12, 11, 10], "higher"), (None, None))
        # periods without a value do not count: 8 periods, 5 values
        self.assertIsNone(band([10, None, 11, None, 12, 11, None, 10]))
        # with a minimum of 5 they are enough: median 11, |x − 11| 1 0 1 0 1, MAD 1
        result = band([10, None, 11, None, 12, 11, None, 10], min_history=5)
        self.assertEqual((result.median, result.count), (11, 5))
        self.assertAlmostEqual(result.high, 11 + 3 * MAD_SCALE)

    def test_bad_settings(self):
        with self.assertRaises(ValueError):
            band(STEADY, k=0)
        with self.assertRaises(ValueError):
            band(STEADY, min_history=0)
        with self.assertRaises(ValueError):
            classify(1, band(STEADY), "sideways")


class TestConstantSeries(unittest.TestCase):
    """MAD and mean absolute deviation are 0: the band is the median alone."""

    def test_same_value_is_no_anomaly(self):
        result = band([10] * 12)
        self.assertEqual((result.low, result.high, result.spread), (10, 10, 0))
        self.assertIsNone(classify(10, result, "higher"))
        # a difference of rounding only is no anomaly
        self.assertIsNone(classify(10 + 1e-12, result, "higher"))

    def test_any_move_is_outside(self):
        result = band([10] * 12)
        self.assertEqual(classify(10.5, result, "higher"), "better")
        self.assertEqual(classify(10.5, result, "lower"), "worse")
        self.assertEqual(classify(9.99, result, "higher"), "worse")
        self.assertEqual(classify(9.99, result, "lower"), "better")

    def test_mostly_constant_falls_back_to_mean_deviation(self):
        # 11 months without a lost customer, one with 1: median 0, MAD 0;
        # mean |x − 0| = 1 / 12, spread 1.2533 / 12 = 0.104442,
        # band 0 ± 3 × 0.104442 = ±0.313325: a second lost customer is outside.
        history = [0] * 11 + [1]
        self.assertAlmostEqual(spread(history), MEAN_AD_SCALE / 12)
        result = band(history)
        self.assertAlmostEqual(result.high, 0.313325)
        self.assertEqual(classify(1, result, "lower"), "worse")
        self.assertIsNone(classify(0, result, "lower"))

    def test_frequent_value_is_usual(self):
        # 7 zeros and 5 ones: median 0, MAD 0 (7 deviations of 0 of 12);
        # mean |x − 0| = 5 / 12, spread 1.2533 × 5 / 12 = 0.522208,
        # band ±1.566625: 1 is inside, 2 outside.
        result = band([0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0])
        self.assertAlmostEqual(result.high, 1.566625)
        self.assertIsNone(classify(1, result, "lower"))
        self.assertEqual(classify(2, result, "lower"), "worse")


class TestSpikeAndDrift(unittest.TestCase):
    def test_spike(self):
        # 20 is above 15.4478: better when higher is better, worse when lower is.
        anomaly, result = detect(20, STEADY, "higher")
        self.assertEqual(anomaly, "better")
        self.assertAlmostEqual(result.high, 15.4478)
        self.assertEqual(detect(20, STEADY, "lower")[0], "worse")
        # a drop to 5 is below 6.5522
        self.assertEqual(detect(5, STEADY, "higher")[0], "worse")
        self.assertEqual(detect(5, STEADY, "lower")[0], "better")

    def test_inside_the_band(self):
        self.assertIsNone(detect(15, STEADY, "higher")[0])
        self.assertIsNone(detect(7, STEADY, "lower")[0])
        self.assertIsNone(detect(None, STEADY, "higher")[0], "no value, no anomaly")

    def test_drift(self):
        # A KPI rising by 1 a month, 1 … 12: median 6.5; |x − 6.5| sorted
        # 0.5 0.5 1.5 1.5 2.5 2.5 3.5 3.5 4.5 4.5 5.5 5.5, MAD (2.5 + 3.5) / 2 = 3;
        # band 6.5 ± 3 × 1.4826 × 3 = [−6.8434, 19.8434]. Going on with 13
        # is no anomaly: a steady drift widens its own band.
        history = list(range(1, 13))
        anomaly, result = detect(13, history, "higher")
        self.assertIsNone(anomaly)
        self.assertAlmostEqual(result.low, -6.8434)
        self.assertAlmostEqual(result.high, 19.8434)
        # a jump to 21 is outside
        self.assertEqual(detect(21, history, "higher")[0], "better")
        # after a level shift 10 → 20 (six months each): median 15, MAD 5,
        # band 15 ± 22.239; the new level 20 is usual
        shifted = [10] * 6 + [20] * 6
        self.assertAlmostEqual(band(shifted).high, 15 + 3 * MAD_SCALE * 5)
        self.assertIsNone(detect(20, shifted, "higher")[0])
