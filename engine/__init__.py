"""Pure-Python computation core of crm_kpi: periods, KPI formulas, roll-ups, goals.

Nothing here imports Odoo, so every formula is tested without a database.
"""

from . import goals, metrics, periods, rollup
