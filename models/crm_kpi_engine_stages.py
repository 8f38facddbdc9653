# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Pipeline stage KPIs (crm.kpi.stage.stay ledger): time in stage and drop-off."""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineStages(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _stays_records(self, window, row, lost=False):
        """(``crm.kpi.stage.stay``, domain) of the stays that ended in the
        period, and with ``lost`` of the open stays of the leads lost in it."""
        ended = Domain("date_out", ">=", window.utc_from) & Domain("date_out", "<", window.utc_to)
        if lost:
            ended |= Domain.AND(
                [
                    Domain("date_out", "=", False),
                    Domain("lead_id.won_status", "=", "lost"),
                    Domain("lead_id.date_closed", ">=", window.utc_from),
                    Domain("lead_id.date_closed", "<", window.utc_to),
                ]
            )
        return "crm.kpi.stage.stay", Domain.AND(
            [
                self._company_domain(window),
                ended,
                self._row_domain(row, {"stage": "stage_id", "team": "team_id", "user": "user_id"}),
            ]
        )

    @api.model
    def _kpi_stage_duration(self, definition, window):
        """Stays in a pipeline stage that ended in the period (the lead left
        the stage): Σ days in the stage / number of stays, per stage."""
        grouped = self._grouped(
            definition,
            {
                "stage": SQL("stay.stage_id"),
                "team": SQL("stay.team_id"),
                "user": SQL("stay.user_id"),
            },
            {"days": SQL("SUM(stay.duration_days)"), "stays": SQL("COUNT(*)")},
            SQL(
                """
                FROM crm_kpi_stage_stay stay
                WHERE %s AND stay.date_out >= %s AND stay.date_out < %s
                """,
                self._company_clause(SQL("stay.company_id"), window),
                window.utc_from,
                window.utc_to,
            ),
        )
        return self._rows(
            grouped,
            lambda r: metrics.stage_duration(total_days=float(r["days"]), stays=r["stays"]),
        )

    @api.model
    def _kpi_stage_duration_records(self, definition, window, row=None):
        return self._stays_records(window, row)

    @api.model
    def _kpi_stage_duration_empty_reason(self):
        return self.env._("No lead left a stage in this period.")

    @api.model
    def _kpi_stage_drop_off(self, definition, window):
        """Leads lost in the period while in a stage (their stay there is
        still open) / those plus the stays of the stage that ended in the
        period (the lead moved on), per stage."""
        company = self._company_clause(SQL("stay.company_id"), window)
        grouped = self._grouped(
            definition,
            {"stage": SQL("x.stage_id"), "team": SQL("x.team_id"), "user": SQL("x.user_id")},
            {"dropped": SQL("COUNT(*) FILTER (WHERE x.dropped)"), "resolved": SQL("COUNT(*)")},
            SQL(
                """
                FROM (
                    SELECT stay.stage_id, stay.team_id, stay.user_id, FALSE AS dropped
                      FROM crm_kpi_stage_stay stay
                     WHERE %(company)s
                       AND stay.date_out >= %(utc_from)s AND stay.date_out < %(utc_to)s
                    UNION ALL
                    SELECT stay.stage_id, stay.team_id, stay.user_id, TRUE
                      FROM crm_kpi_stage_stay stay
                      JOIN crm_lead l ON l.id = stay.lead_id
                     WHERE %(company)s AND stay.date_out IS NULL AND l.won_status = 'lost'
                       AND l.date_closed >= %(utc_from)s AND l.date_closed < %(utc_to)s
                ) x
                """,
                company=company,
                utc_from=window.utc_from,
                utc_to=window.utc_to,
            ),
        )
        return self._rows(
            grouped,
            lambda r: metrics.stage_drop_off(
                left_to_lost_or_stale=r["dropped"], stays=r["resolved"]
            ),
        )

    @api.model
    def _kpi_stage_drop_off_records(self, definition, window, row=None):
        return self._stays_records(window, row, lost=True)

    @api.model
    def _kpi_stage_drop_off_empty_reason(self):
        return self.env._("No lead left or was lost in a stage in this period.")
