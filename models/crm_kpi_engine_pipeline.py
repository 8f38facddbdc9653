"""Pipeline KPIs (crm.lead): win rate, sales cycle, lead sources and abandonment."""

from datetime import datetime, timedelta

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics
from .crm_kpi_engine import LEAD_DIMENSIONS


class CrmKpiEnginePipeline(models.AbstractModel):
    _inherit = "crm.kpi.engine"

    @api.model
    def _closed_opportunities_where(self, window):
        """Opportunities won or lost in the period (won/lost status is read
        from ``won_status``, the closing date from ``date_closed``)."""
        return SQL(
            """
            FROM crm_lead l
            WHERE %s AND l.type = 'opportunity'
              AND l.won_status IN ('won', 'lost')
              AND l.date_closed >= %s AND l.date_closed < %s
            """,
            self._company_clause(SQL("l.company_id"), window),
            window.utc_from,
            window.utc_to,
        )


    @api.model
    def _closed_opportunities_records(self, window, row=None, statuses=("won", "lost")):
        """(``crm.lead``, domain) of :meth:`_closed_opportunities_where`,
        of the opportunities won or lost (``statuses``) in the period."""
        return "crm.lead", Domain.AND([
            self._company_domain(window),
            Domain("type", "=", "opportunity"),
            Domain("won_status", "in", list(statuses)),
            Domain("date_closed", ">=", window.utc_from),
            Domain("date_closed", "<", window.utc_to),
            self._row_domain(row, LEAD_DIMENSIONS),
        ])

    @api.model
    def _kpi_win_rate(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "won": SQL("COUNT(*) FILTER (WHERE l.won_status = 'won')"),
                "lost": SQL("COUNT(*) FILTER (WHERE l.won_status = 'lost')"),
            },
            self._closed_opportunities_where(window),
        )
        return self._rows(grouped, lambda r: metrics.win_rate(won=r["won"], lost=r["lost"]))


    @api.model
    def _kpi_win_rate_records(self, definition, window, row=None):
        return self._closed_opportunities_records(window, row)

    @api.model
    def _kpi_win_rate_empty_reason(self):
        return self.env._("No opportunity was won or lost in this period.")

    @api.model
    def _kpi_sales_cycle(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "days": SQL(
                    "SUM(EXTRACT(EPOCH FROM l.date_closed - l.create_date) / 86400.0)"
                    " FILTER (WHERE l.won_status = 'won')"
                ),
                "won": SQL("COUNT(*) FILTER (WHERE l.won_status = 'won')"),
            },
            self._closed_opportunities_where(window),
        )
        return self._rows(
            grouped, lambda r: metrics.sales_cycle(total_days=float(r["days"]), won=r["won"])
        )


    @api.model
    def _kpi_sales_cycle_records(self, definition, window, row=None):
        return self._closed_opportunities_records(window, row, ("won",))

    @api.model
    def _kpi_sales_cycle_empty_reason(self):
        return self.env._("No opportunity was won in this period.")

    @api.model
    def _created_leads_where(self, window):
        """Leads and opportunities created in the period, archived ones included."""
        return SQL(
            "FROM crm_lead l WHERE %s AND l.create_date >= %s AND l.create_date < %s",
            self._company_clause(SQL("l.company_id"), window),
            window.utc_from,
            window.utc_to,
        )


    @api.model
    def _created_leads_records(self, window, row=None):
        """(``crm.lead``, domain) of :meth:`_created_leads_where`."""
        return "crm.lead", Domain.AND([
            self._company_domain(window),
            Domain("create_date", ">=", window.utc_from),
            Domain("create_date", "<", window.utc_to),
            self._row_domain(row, LEAD_DIMENSIONS),
        ])

    @api.model
    def _kpi_lead_sources(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {"leads": SQL("COUNT(*)")},
            self._created_leads_where(window),
        )
        return self._rows(grouped, lambda r: metrics.lead_sources(r["leads"]))


    @api.model
    def _kpi_lead_sources_records(self, definition, window, row=None):
        return self._created_leads_records(window, row)

    @api.model
    def _lead_abandoned_condition(self, window):
        """A lead is abandoned when it was lost, archived, or is still open
        with no planned activity and no stage change for the stale delay
        (counted back from the computation date)."""
        return SQL(
            "(l.won_status = 'lost' OR NOT l.active OR %s)", self._lead_stale_condition(window)
        )

    @api.model
    def _lead_stale_condition(self, window):
        """SQL condition on ``l`` (crm_lead): the lead is still pending with
        no planned activity and no stage change for the stale delay, counted
        back from now. Shared by the abandonment KPI and ``crm.lead.kpi_is_stale``."""
        stale_since = datetime.now() - self._stale_delta(window)
        return SQL(
            """
            (l.won_status = 'pending'
             AND COALESCE(l.date_last_stage_update, l.create_date) < %s
             AND NOT EXISTS (
                 SELECT 1 FROM mail_activity a
                  WHERE a.res_model = 'crm.lead' AND a.res_id = l.id
             ))
            """,
            stale_since,
        )

    @api.model
    def _stale_delta(self, window):
        return timedelta(days=window.company._kpi_setting("kpi_stale_days"))

    @api.model
    def _kpi_lead_abandonment(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "abandoned": SQL(
                    "COUNT(*) FILTER (WHERE %s)", self._lead_abandoned_condition(window)
                ),
                "created": SQL("COUNT(*)"),
            },
            self._created_leads_where(window),
        )
        return self._rows(
            grouped,
            lambda r: metrics.lead_abandonment(abandoned=r["abandoned"], created=r["created"]),
        )

    @api.model
    def _kpi_lead_abandonment_records(self, definition, window, row=None):
        return self._created_leads_records(window, row)
