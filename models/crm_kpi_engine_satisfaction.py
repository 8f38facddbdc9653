# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Satisfaction KPIs (crm.kpi.feedback): NPS, CES and the share of easy CES answers."""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineSatisfaction(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _feedback_where(self, window, kind):
        return SQL(
            """
            FROM crm_kpi_feedback fb
            WHERE fb.company_id = %s AND fb.kind = %s AND fb.date >= %s AND fb.date < %s
            """,
            window.company.id,
            kind,
            window.date_from,
            window.date_to,
        )

    @api.model
    def _feedback_dimensions(self):
        """{dimension: SQL column} of the answers ``fb``: the dimensions the
        registry maps on ``crm.kpi.feedback`` (its ``columns``; none by
        default: answers have no sales team or salesperson of their own)."""
        return {
            dim: SQL.identifier("fb", column)
            for dim, column in self._dimension_columns("crm.kpi.feedback").items()
        }

    @api.model
    def _feedback_records(self, window, kind, row=None):
        """(``crm.kpi.feedback``, domain) of :meth:`_feedback_where` (of
        ``row``, a dimension row, when given)."""
        return "crm.kpi.feedback", Domain.AND(
            [
                Domain("company_id", "=", window.company.id),
                Domain("kind", "=", kind),
                Domain("date", ">=", window.date_from),
                Domain("date", "<", window.date_to),
                self._row_domain(row, self._dimension_columns("crm.kpi.feedback")),
            ]
        )

    @api.model
    def _ces_empty_reason(self):
        return self.env._("No CES answer in this period (Inputs → Feedback, or a survey).")

    @api.model
    def _kpi_nps(self, definition, window):
        grouped = self._grouped(
            definition,
            self._feedback_dimensions(),
            {
                "promoters": SQL("COUNT(*) FILTER (WHERE fb.category = 'promoter')"),
                "detractors": SQL("COUNT(*) FILTER (WHERE fb.category = 'detractor')"),
                "responses": SQL("COUNT(*)"),
            },
            self._feedback_where(window, "nps"),
        )
        return self._rows(
            grouped,
            lambda r: metrics.nps(
                promoters=r["promoters"], detractors=r["detractors"], responses=r["responses"]
            ),
        )

    @api.model
    def _kpi_nps_records(self, definition, window, row=None):
        return self._feedback_records(window, "nps", row)

    @api.model
    def _kpi_nps_empty_reason(self):
        return self.env._("No NPS answer in this period (Inputs → Feedback, or a survey).")

    @api.model
    def _kpi_ces(self, definition, window):
        grouped = self._grouped(
            definition,
            self._feedback_dimensions(),
            {"score_sum": SQL("SUM(fb.score)"), "responses": SQL("COUNT(*)")},
            self._feedback_where(window, "ces"),
        )
        return self._rows(
            grouped,
            lambda r: metrics.ces(score_sum=float(r["score_sum"]), responses=r["responses"]),
        )

    @api.model
    def _kpi_ces_records(self, definition, window, row=None):
        return self._feedback_records(window, "ces", row)

    @api.model
    def _kpi_ces_empty_reason(self):
        return self._ces_empty_reason()

    @api.model
    def _kpi_ces_easy_share(self, definition, window):
        grouped = self._grouped(
            definition,
            self._feedback_dimensions(),
            {"easy": SQL("COUNT(*) FILTER (WHERE fb.score >= 5)"), "responses": SQL("COUNT(*)")},
            self._feedback_where(window, "ces"),
        )
        return self._rows(
            grouped,
            lambda r: metrics.ces_easy_share(responses_ge_5=r["easy"], responses=r["responses"]),
        )

    @api.model
    def _kpi_ces_easy_share_records(self, definition, window, row=None):
        return self._feedback_records(window, "ces", row)

    @api.model
    def _kpi_ces_easy_share_empty_reason(self):
        return self._ces_empty_reason()
