# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest
from datetime import date

from ..board import BoardRow, Stored, build_board, change_state, threshold_state
from ..metrics import KpiValue, ratio, total
from ..periods import period_of, periods_between
from ..units import CurrencyStyle, Formatter

WIN_RATE = BoardRow("win_rate", "Win Rate", "percent", "higher", thresholds=(20, 10))
CYCLE = BoardRow("sales_cycle", "Sales Cycle", "days", "lower")
REVENUE = BoardRow("net_new_revenue", "Net New Revenue", "currency", aggregation="sum")


class TestBoard(unittest.TestCase):
    """January to March 2026, compared with February 2026 and March 2025.

    Win rate: Jan 2/3 = 66.67 %, Feb 0/1 = 0 % (critical), Mar 2/4 = 50 %,
      Mar 2025 1/3 = 33.33 %: Δ previous +50 pp (no Δ% against 0),
      Δ last year +16.67 pp = +50 % of 33.33.
    Sales cycle: Jan 30/2 = 15 days, Feb nothing won (no value), Mar 14/2 = 7,
      Mar 2025 not computed: no Δ at all; lower is better.
    Net new revenue: Jan 1,000 €, Mar 500 €, Feb 0 €, Mar 2025 1,000 €:
      Δ previous +500.00 €, Δ last year −500.00 € = −50 %.
    """

    def setUp(self):
        super().setUp()
        self.periods = periods_between("month", date(2026, 1, 1), date(2026, 3, 31))
        jan, feb, mar = self.periods
        mar_2025 = period_of("month", date(2025, 3, 1))
        self.stored = {
            ("win_rate", jan): Stored(ratio(2, 3, 100)),
            ("win_rate", feb): Stored(ratio(0, 1, 100)),
            ("win_rate", mar): Stored(ratio(2, 4, 100)),
            ("win_rate", mar_2025): Stored(ratio(1, 3, 100)),
            ("sales_cycle", jan): Stored(ratio(30, 2)),
            ("sales_cycle", feb): Stored(ratio(0, 0)),
            ("sales_cycle", mar): Stored(ratio(14, 2)),
            ("net_new_revenue", jan): Stored(total(1000)),
            ("net_new_revenue", feb): Stored(total(0), source="feb row"),
            ("net_new_revenue", mar): Stored(total(500)),
            ("net_new_revenue", mar_2025): Stored(total(1000)),
        }
        self.board = build_board(
            [CYCLE, WIN_RATE, REVENUE],
            self.periods,
            self.stored,
            Formatter(currency=CurrencyStyle("€", "after", 2)),
        )

    def test_columns(self):
        self.assertEqual(
            [(c.key, c.kind, c.label) for c in self.board.columns],
            [
                ("month:2026-01-01", "period", "2026-01"),
                ("month:2026-02-01", "period", "2026-02"),
                ("month:2026-03-01", "period", "2026-03"),
                ("previous", "compare", "2026-02"),
                ("delta_previous", "delta", "2026-02"),
                ("change_previous", "change", "2026-02"),
                ("last_year", "compare", "2025-03"),
                ("delta_last_year", "delta", "2025-03"),
                ("change_last_year", "change", "2025-03"),
            ],
        )
        self.assertEqual(
            [r.code for r in self.board.rows], ["sales_cycle", "win_rate", "net_new_revenue"]
        )
        self.assertEqual(self.board.column("period").key, "month:2026-03-01")
        self.assertEqual(self.board.column("delta", "last_year").key, "delta_last_year")

    def test_win_rate(self):
        cell = self.board.cell
        self.assertAlmostEqual(cell("win_rate", "month:2026-01-01").number, 66.6667, places=3)
        self.assertEqual(cell("win_rate", "month:2026-01-01").text, "66.7 %")
        feb = cell("win_rate", "month:2026-02-01")
        self.assertEqual((feb.number, feb.state, feb.text), (0, "critical", "0.0 %"))
        march = cell("win_rate", "month:2026-03-01")
        self.assertEqual((march.number, march.state), (50, "ok"))
        self.assertEqual(march.value, KpiValue(2, 4, 50.0))
        delta = cell("win_rate", "delta_previous")
        self.assertEqual((delta.number, delta.state, delta.text), (50, "better", "+50.0 pp"))
        change = cell("win_rate", "change_previous")
        self.assertEqual((change.number, change.text), (None, "n/a"))
        self.assertAlmostEqual(cell("win_rate", "delta_last_year").number, 16.6667, places=3)
        self.assertEqual(cell("win_rate", "delta_last_year").text, "+16.7 pp")
        self.assertAlmostEqual(cell("win_rate", "change_last_year").number, 50.0)
        self.assertEqual(cell("win_rate", "change_last_year").text, "+50.0 %")

    def test_no_value_and_not_computed(self):
        cell = self.board.cell
        feb = cell("sales_cycle", "month:2026-02-01")
        self.assertTrue(feb.computed, "stored, nothing to divide by")
        self.assertEqual((feb.number, feb.text, feb.state), (None, "n/a", "none"))
        last_year = cell("sales_cycle", "last_year")
        self.assertFalse(last_year.computed)
        self.assertEqual(cell("sales_cycle", "delta_previous").text, "n/a")
        self.assertEqual(cell("sales_cycle", "delta_last_year").number, None)
        self.assertEqual(cell("sales_cycle", "month:2026-03-01").text, "7.0 days")

    def test_currency_and_lower_is_better(self):
        cell = self.board.cell
        self.assertEqual(cell("net_new_revenue", "month:2026-01-01").text, "1,000.00 €")
        self.assertEqual(cell("net_new_revenue", "delta_previous").text, "+500.00 €")
        last_year = cell("net_new_revenue", "delta_last_year")
        self.assertEqual(
            (last_year.number, last_year.state, last_year.text), (-500, "worse", "-500.00 €")
        )
        self.assertEqual(cell("net_new_revenue", "change_last_year").text, "-50.0 %")
        self.assertEqual(cell("net_new_revenue", "previous").source, "feb row")
        # lower is better: a shorter cycle is better
        self.assertEqual(change_state(-3, "lower"), "better")
        self.assertEqual(change_state(0, "lower"), "none")

    def test_thresholds(self):
        self.assertEqual(threshold_state(25, "higher", (20, 10)), "ok")
        self.assertEqual(threshold_state(15, "higher", (20, 10)), "warning")
        self.assertEqual(threshold_state(5, "higher", (20, 10)), "critical")
        self.assertEqual(threshold_state(35, "lower", (30, 40)), "warning")
        self.assertEqual(threshold_state(None, "higher", (20, 10)), "none")
        self.assertEqual(threshold_state(5, "higher", None), "none")

    def test_as_dict(self):
        data = self.board.as_dict()
        self.assertEqual(len(data["columns"]), 9)
        win_rate = data["rows"][1]
        self.assertEqual(win_rate["code"], "win_rate")
        self.assertEqual(
            win_rate["cells"]["month:2026-03-01"],
            {
                "value": 50.0,
                "numerator": 2,
                "denominator": 4,
                "computed": True,
                "state": "ok",
                "text": "50.0 %",
                "failure": "",
            },
        )
        self.assertNotIn("source", data["rows"][2]["cells"]["previous"])

    def test_labels_and_no_comparison(self):
        board = build_board(
            [WIN_RATE],
            self.periods[-1:],
            self.stored,
            comparisons=(),
            labels={self.periods[-1]: "Mar 2026"},
        )
        self.assertEqual(
            [(c.key, c.label) for c in board.columns], [("month:2026-03-01", "Mar 2026")]
        )
        empty = build_board([WIN_RATE], [], self.stored)
        self.assertEqual((empty.columns, empty.cells), ([], {}))
