# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""KPI family *helpdesk*: the tickets of OCA ``helpdesk_mgmt``.

``resolution_time``: Σ hours from creation to ``closed_date`` of the tickets
closed in the period / the number of those tickets, for the company and per
service representative (the ticket's ``user_id``, the snapshots' *user*
dimension).

crm_kpi does not depend on ``helpdesk_mgmt``. The definition record names
``helpdesk.ticket`` as its ``required_model``: without that model in the
registry the KPI is not available, so neither computed nor shown, and the
methods below are never called (they return no value if they are).

Everything this family owns is in this file: the gatherer, the records
behind a value (drill-down) and the reason shown when there is no value.
"""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics

TICKET_MODEL = "helpdesk.ticket"


class CrmKpiEngine(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # resolution_time
    # ------------------------------------------------------------------
    @api.model
    def _closed_tickets_where(self, window):
        """Tickets of the company closed in the window (``closed_date``),
        archived ones included."""
        return SQL(
            "FROM %s t WHERE %s AND t.closed_date >= %s AND t.closed_date < %s",
            SQL.identifier(self.env[TICKET_MODEL]._table),
            self._company_clause(SQL("t.company_id"), window),
            window.utc_from,
            window.utc_to,
        )

    @api.model
    def _kpi_resolution_time(self, definition, window):
        if TICKET_MODEL not in self.env:
            return self._rows(self._merge(), lambda _row: metrics.resolution_time(0, 0))
        grouped = self._grouped(
            definition,
            {"user": SQL("t.user_id")},
            {
                "hours": SQL("SUM(EXTRACT(EPOCH FROM t.closed_date - t.create_date) / 3600.0)"),
                "closed": SQL("COUNT(*)"),
            },
            self._closed_tickets_where(window),
        )
        return self._rows(
            grouped,
            lambda r: metrics.resolution_time(total_hours=float(r["hours"]), closed=r["closed"]),
        )

    @api.model
    def _kpi_resolution_time_records(self, definition, window, row=None):
        """(model, domain) of the tickets behind a value: those closed in the
        window, of the row's service representative for a *user* row (none
        for its *none* row). Numerator and denominator are the same tickets.
        Archived tickets count: list them with ``active_test=False``."""
        if TICKET_MODEL not in self.env:
            return None, None
        domain = Domain.AND(
            [
                self._company_domain(window),
                Domain("closed_date", ">=", window.utc_from),
                Domain("closed_date", "<", window.utc_to),
                self._row_domain(row, {"user": "user_id"}),
            ]
        )
        return TICKET_MODEL, domain

    @api.model
    def _kpi_resolution_time_empty_reason(self):
        """Why the KPI has no value for a period that was computed."""
        return self.env._("No ticket was closed in this period.")
