"""Pure-Python computation core of crm_kpi: periods, KPI formulas, roll-ups,
goals, the board, the leaderboard and its units.

Nothing here imports Odoo, so every formula is tested without a database.
"""

from . import anomalies, board, cohorts, goals, leaderboard, metrics, periods, rollup, units
