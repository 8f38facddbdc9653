# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import unittest

from ..leaderboard import (
    BELOW_MINIMUM,
    NO_VALUE,
    RANKED,
    Entry,
    rank,
    status_of,
)
from ..metrics import KpiValue, ratio, total


def table(board):
    return [(row.key, row.rank, row.status) for row in board.rows]


class TestLeaderboard(unittest.TestCase):
    """Win rate of six salespeople in a month (minimum denominator 5):

    ====  =========  ========  ============================
    who   won/closed  value    why
    ====  =========  ========  ============================
    Ann   6 / 10     60 %      ranked 1
    Bob   3 / 6      50 %      tie with Cid: both rank 2
    Cid   5 / 10     50 %      rank 2 (listed after Bob)
    Dan   4 / 10     40 %      rank 4 (the rank after a tie skips)
    Eve   2 / 2      100 %     best value, but 2 < 5: shown, not ranked
    Fay   0 / 0      n/a       nothing to divide by: last
    Gus   (none)               nothing stored: last, by name
    ====  =========  ========  ============================
    """

    def setUp(self):
        super().setUp()
        self.entries = [
            Entry("gus", "Gus"),
            Entry("eve", "Eve", ratio(2, 2, 100)),
            Entry("dan", "Dan", ratio(4, 10, 100)),
            Entry("fay", "Fay", ratio(0, 0, 100)),
            Entry("cid", "Cid", ratio(5, 10, 100)),
            Entry("ann", "Ann", ratio(6, 10, 100)),
            Entry("bob", "Bob", ratio(3, 6, 100)),
        ]

    def test_higher_is_better(self):
        board = rank(self.entries, "higher", is_ratio=True, min_denominator=5)
        self.assertEqual(
            table(board),
            [
                ("ann", 1, RANKED),
                ("bob", 2, RANKED),
                ("cid", 2, RANKED),
                ("dan", 4, RANKED),
                ("eve", None, BELOW_MINIMUM),
                ("fay", None, NO_VALUE),
                ("gus", None, NO_VALUE),
            ],
        )
        self.assertEqual(board.ranked_count, 4)
        self.assertEqual(board.row("dan").number, 40.0)
        self.assertIsNone(board.row("gus").number)
        self.assertIsNone(board.row("nobody"))

    def test_lower_is_better(self):
        """Sales cycle (days, lower is better), minimum 5 won:
        Ann 50/5 = 10 days rank 1, Bob 60/5 = 12 rank 2, Cid 3/1 = 3 days
        below the minimum (after the ranked ones), Dan nothing won."""
        entries = [
            Entry("bob", "Bob", ratio(60, 5)),
            Entry("cid", "Cid", ratio(3, 1)),
            Entry("dan", "Dan", ratio(0, 0)),
            Entry("ann", "Ann", ratio(50, 5)),
        ]
        self.assertEqual(
            table(rank(entries, "lower", min_denominator=5)),
            [
                ("ann", 1, RANKED),
                ("bob", 2, RANKED),
                ("cid", None, BELOW_MINIMUM),
                ("dan", None, NO_VALUE),
            ],
        )

    def test_below_minimum_rows_keep_the_order_of_values(self):
        """Eve 2/2 = 100 % and Hal 1/3 = 33.3 %, both under 5: Eve first."""
        entries = [Entry("hal", "Hal", ratio(1, 3, 100)), Entry("eve", "Eve", ratio(2, 2, 100))]
        self.assertEqual(
            [(row.key, row.status) for row in rank(entries, min_denominator=5).rows],
            [("eve", BELOW_MINIMUM), ("hal", BELOW_MINIMUM)],
        )

    def test_minimum_zero_ranks_every_value(self):
        board = rank(self.entries, "higher", min_denominator=0)
        # Eve's 100 % now leads; Ann, Bob = Cid, Dan follow
        self.assertEqual(
            [(row.key, row.rank) for row in board.rows if row.status == RANKED],
            [("eve", 1), ("ann", 2), ("bob", 3), ("cid", 3), ("dan", 5)],
        )

    def test_sum_kpis_have_no_minimum(self):
        """Net new revenue (sum): 1,000 and 250 are ranked though their
        denominator is 1; a 0 is a value (ranked), a missing row is not."""
        entries = [
            Entry("a", "A", total(250)),
            Entry("b", "B", total(1000)),
            Entry("c", "C", total(0)),
            Entry("d", "D"),
        ]
        self.assertEqual(
            table(rank(entries, "higher", is_ratio=False, min_denominator=5)),
            [
                ("b", 1, RANKED),
                ("a", 2, RANKED),
                ("c", 3, RANKED),
                ("d", None, NO_VALUE),
            ],
        )

    def test_status_of(self):
        self.assertEqual(status_of(None, True, 5), NO_VALUE)
        self.assertEqual(status_of(KpiValue(0, 0, None), True, 5), NO_VALUE)
        self.assertEqual(status_of(ratio(4, 4.999, 100), True, 5), BELOW_MINIMUM)
        self.assertEqual(status_of(ratio(4, 5, 100), True, 5), RANKED, "the minimum itself ranks")

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            rank(self.entries, "sideways")
        with self.assertRaises(ValueError):
            rank(self.entries, min_denominator=-1)
        with self.assertRaises(ValueError):
            rank(self.entries, min_denominator=float("nan"))

    def test_empty(self):
        board = rank([])
        self.assertEqual((board.rows, board.ranked_count), ([], 0))
