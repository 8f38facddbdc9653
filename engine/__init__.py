# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Pure-Python computation core of crm_kpi: periods, KPI formulas, roll-ups,
goals, the board, the leaderboard and its units.

Nothing here imports Odoo, so every formula is tested without a database.
"""

from . import anomalies, board, cohorts, goals, leaderboard, metrics, periods, rollup, units
