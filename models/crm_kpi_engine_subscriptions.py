# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Recurring revenue KPIs (crm.kpi.subscription.movement ledger): the MRR
bridge of a period (MRR churn, NRR, GRR, quick ratio, net new MRR), the MRR
in progress at its end (MRR, ARR, ARPA) and renewal."""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics

# Measures of the MRR bridge of a period (see CrmKpiEngineSubscriptions._mrr_bridge).
MRR_MEASURES = (
    "mrr_start",
    "new",
    "expansion",
    "contraction",
    "churned",
    "reactivation",
    "expansion_existing",
    "contraction_existing",
    "churned_existing",
)


class CrmKpiEngineSubscriptions(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _last_value_kpis(self):
        # levels at the period's end (ARPA: the MRR / the paying customers then)
        return super()._last_value_kpis() | {"mrr", "arr", "arpa"}

    @api.model
    def _mrr_bridge(self, definition, window):
        """The MRR bridge of the period in company currency, for the company
        and per team and salesperson of the subscription: MRR at the start
        (each subscription's MRR after its last movement before the period),
        and the movements of the period by kind. ``*_existing`` keep only the
        subscriptions that had MRR at the start (for NRR, GRR and MRR churn).
        Computed once per window and shared by the five MRR KPIs.
        """
        return self._shared(
            window,
            ("mrr_bridge", frozenset(self._allowed_dimensions(definition) & {"team", "user"})),
            lambda: self._mrr_bridge_query(definition, window),
        )

    @api.model
    def _mrr_bridge_query(self, definition, window):
        def kind(movement_type, sign=1):
            return SQL(
                "CASE WHEN m.movement_type = %s THEN %s * m.mrr_delta ELSE 0 END",
                movement_type,
                sign,
            )

        def existing(expr):
            return SQL("CASE WHEN s.mrr > 0 THEN %s ELSE 0 END", expr)

        rows = self._grouped(
            definition,
            {"team": SQL("x.team_id"), "user": SQL("x.user_id")},
            {name: SQL("SUM(%s)", SQL.identifier("x", name)) for name in MRR_MEASURES},
            SQL(
                """
                FROM (
                    WITH kpi_start AS (%(start)s)
                    SELECT team_id, user_id, currency_id, mrr AS mrr_start,
                           0 AS new, 0 AS expansion, 0 AS contraction, 0 AS churned,
                           0 AS reactivation, 0 AS expansion_existing,
                           0 AS contraction_existing, 0 AS churned_existing
                      FROM kpi_start WHERE mrr <> 0
                    UNION ALL
                    SELECT m.team_id, m.user_id, m.currency_id, 0,
                           %(new)s, %(expansion)s, %(contraction)s, %(churned)s, %(reactivation)s,
                           %(expansion_existing)s, %(contraction_existing)s, %(churned_existing)s
                      FROM crm_kpi_subscription_movement m
                      LEFT JOIN kpi_start s ON s.subscription_id = m.subscription_id
                     WHERE m.company_id = %(company)s
                       AND m.date >= %(date_from)s AND m.date < %(date_to)s
                ) x
                """,
                start=self._mrr_at_sql(window, window.date_from),
                company=window.company.id,
                date_from=window.date_from,
                date_to=window.date_to,
                new=kind("start"),
                expansion=kind("upgrade"),
                contraction=kind("downgrade", -1),
                churned=kind("close", -1),
                reactivation=kind("reactivation"),
                expansion_existing=existing(kind("upgrade")),
                contraction_existing=existing(kind("downgrade", -1)),
                churned_existing=existing(kind("close", -1)),
            ),
            currency=SQL("x.currency_id"),
        )
        return self._in_company_currency(rows, MRR_MEASURES, window)

    @api.model
    def _mrr_at_sql(self, window, day):
        """SQL of one row per subscription of the company that started
        before ``day``, as its last movement before that day left it:
        ``subscription_id``, ``partner_id`` (the customer), ``team_id``,
        ``user_id``, ``currency_id`` and ``mrr`` (in the subscription's
        currency; 0 once closed). The MRR at the start of a period (the
        bridge's) is the MRR at the end of the period before."""
        return SQL(
            """
            SELECT DISTINCT ON (subscription_id) subscription_id, partner_id, team_id, user_id,
                   currency_id, mrr_after AS mrr
              FROM crm_kpi_subscription_movement
             WHERE company_id = %s AND date < %s
             ORDER BY subscription_id, date DESC, id DESC
            """,
            window.company.id,
            day,
        )

    @api.model
    def _mrr_at_end(self, definition, window):
        """MRR in progress at the end of the window (company currency, at the
        rate of its last day) and the customers paying it, for the company
        and per team and salesperson of each subscription's last movement:
        ``mrr`` and ``customers`` (a customer paying subscriptions of two
        teams counts once for the company and once in each team). Computed
        once per window and shared by MRR, ARR, ARPA and the subscription
        CLV."""
        return self._allowed_rows(
            definition,
            self._shared(window, ("mrr_at_end",), lambda: self._mrr_at_end_query(window)),
        )

    @api.model
    def _mrr_at_end_query(self, window):
        dimensions = {"team": SQL("m.team_id"), "user": SQL("m.user_id")}
        from_where = SQL("FROM (%s) m WHERE m.mrr > 0", self._mrr_at_sql(window, window.date_to))
        mrr = self._in_company_currency(
            self._grouped(
                None,
                dimensions,
                {"mrr": SQL("SUM(m.mrr)")},
                from_where,
                currency=SQL("m.currency_id"),
            ),
            ["mrr"],
            window,
        )
        customers = self._grouped(
            None, dimensions, {"customers": SQL("COUNT(DISTINCT m.partner_id)")}, from_where
        )
        return self._merge(mrr, customers, defaults={"mrr": 0.0, "customers": 0})

    @api.model
    def _mrr_at_end_ids(self, window, row=None, column="subscription_id"):
        """Ids of the subscriptions (or, ``column="partner_id"``, of the
        customers) that :meth:`_mrr_at_end` counts, for the company or one
        team or salesperson (``row``)."""
        condition = SQL("TRUE")
        if row and row["dimension"] in ("team", "user"):
            condition = SQL(
                "%s IS NOT DISTINCT FROM %s",
                SQL.identifier("m", f"{row['dimension']}_id"),
                row.get(f"{row['dimension']}_id") or None,
            )
        return [
            record_id
            for (record_id,) in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT %s FROM (%s) m WHERE m.mrr > 0 AND %s",
                    SQL.identifier("m", column),
                    self._mrr_at_sql(window, window.date_to),
                    condition,
                )
            )
        ]

    @api.model
    def _mrr_at_end_records(self, window, row=None):
        """(``sale.subscription``, domain) of the subscriptions paying the MRR
        at the end of the window."""
        return "sale.subscription", Domain("id", "in", self._mrr_at_end_ids(window, row))

    @api.model
    def _kpi_mrr(self, definition, window):
        return self._rows(
            self._mrr_at_end(definition, window),
            lambda r: metrics.recurring_revenue(r["mrr"]),
        )

    @api.model
    def _kpi_mrr_records(self, definition, window, row=None):
        return self._mrr_at_end_records(window, row)

    @api.model
    def _kpi_arr(self, definition, window):
        return self._rows(
            self._mrr_at_end(definition, window),
            lambda r: metrics.annual_recurring_revenue(r["mrr"]),
        )

    @api.model
    def _kpi_arr_records(self, definition, window, row=None):
        return self._mrr_at_end_records(window, row)

    @api.model
    def _kpi_arpa(self, definition, window):
        return self._rows(
            self._mrr_at_end(definition, window),
            lambda r: metrics.arpa(mrr_total=r["mrr"], paying_customers=r["customers"]),
        )

    @api.model
    def _kpi_arpa_records(self, definition, window, row=None):
        """The customers paying the MRR at the end of the window."""
        if row and row["dimension"] not in ("company", "team", "user"):
            return None, None
        return "res.partner", Domain(
            "id", "in", self._mrr_at_end_ids(window, row, column="partner_id")
        )

    @api.model
    def _kpi_arpa_empty_reason(self):
        return self.env._(
            "No subscription in progress with recurring revenue at the end of this period."
        )

    @api.model
    def _movements_records(self, window, row=None):
        """(``crm.kpi.subscription.movement``, domain) of the movements of the period."""
        return "crm.kpi.subscription.movement", Domain.AND(
            [
                Domain("company_id", "=", window.company.id),
                Domain("date", ">=", window.date_from),
                Domain("date", "<", window.date_to),
                self._row_domain(row, {"team": "team_id", "user": "user_id"}),
            ]
        )

    @api.model
    def _mrr_empty_reason(self):
        return self.env._("No recurring revenue at the start of this period.")

    @api.model
    def _kpi_mrr_churn(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.mrr_churn(
                contraction=r["contraction_existing"],
                churned=r["churned_existing"],
                mrr_start=r["mrr_start"],
            ),
        )

    @api.model
    def _kpi_mrr_churn_records(self, definition, window, row=None):
        return self._movements_records(window, row)

    @api.model
    def _kpi_mrr_churn_empty_reason(self):
        return self._mrr_empty_reason()

    @api.model
    def _kpi_nrr(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.nrr(
                mrr_start=r["mrr_start"],
                expansion=r["expansion_existing"],
                contraction=r["contraction_existing"],
                churned=r["churned_existing"],
            ),
        )

    @api.model
    def _kpi_nrr_records(self, definition, window, row=None):
        return self._movements_records(window, row)

    @api.model
    def _kpi_nrr_empty_reason(self):
        return self._mrr_empty_reason()

    @api.model
    def _kpi_grr(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.grr(
                mrr_start=r["mrr_start"],
                contraction=r["contraction_existing"],
                churned=r["churned_existing"],
            ),
        )

    @api.model
    def _kpi_grr_records(self, definition, window, row=None):
        return self._movements_records(window, row)

    @api.model
    def _kpi_grr_empty_reason(self):
        return self._mrr_empty_reason()

    @api.model
    def _kpi_quick_ratio(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.quick_ratio(
                new=r["new"],
                expansion=r["expansion"],
                reactivation=r["reactivation"],
                contraction=r["contraction"],
                churned=r["churned"],
            ),
        )

    @api.model
    def _kpi_quick_ratio_records(self, definition, window, row=None):
        return self._movements_records(window, row)

    @api.model
    def _kpi_quick_ratio_empty_reason(self):
        return self._mrr_empty_reason()

    @api.model
    def _kpi_net_new_mrr(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.net_new_mrr(
                new=r["new"],
                expansion=r["expansion"],
                contraction=r["contraction"],
                churned=r["churned"],
                reactivation=r["reactivation"],
            ),
        )

    @api.model
    def _kpi_net_new_mrr_records(self, definition, window, row=None):
        return self._movements_records(window, row)

    @api.model
    def _kpi_renewal(self, definition, window):
        """Subscriptions renewed in the period (a ``renewal`` movement is
        dated at the end date it extended) / subscriptions whose end date
        fell in the period: the renewed ones and those whose current end
        date is in the period and that were not renewed."""
        grouped = self._grouped(
            definition,
            {"team": SQL("r.team_id"), "user": SQL("r.user_id")},
            {"renewed": SQL("COUNT(*) FILTER (WHERE r.renewed)"), "due": SQL("COUNT(*)")},
            SQL(
                """
                FROM (
                    SELECT DISTINCT ON (m.subscription_id) m.subscription_id,
                           m.team_id, m.user_id, TRUE AS renewed
                      FROM crm_kpi_subscription_movement m
                     WHERE m.company_id = %(company)s AND m.movement_type = 'renewal'
                       AND m.date >= %(date_from)s AND m.date < %(date_to)s
                    UNION ALL
                    SELECT s.id, s.crm_team_id, s.user_id, FALSE
                      FROM sale_subscription s
                      JOIN sale_subscription_stage st ON st.id = s.stage_id
                     WHERE %(sub_company)s AND st.type IN ('in_progress', 'post')
                       AND s.date >= %(date_from)s AND s.date < %(date_to)s
                       AND NOT EXISTS (
                           SELECT 1 FROM crm_kpi_subscription_movement m
                            WHERE m.subscription_id = s.id AND m.movement_type = 'renewal'
                              AND m.date >= %(date_from)s AND m.date < %(date_to)s)
                ) r
                """,
                company=window.company.id,
                sub_company=self._company_clause(SQL("s.company_id"), window),
                date_from=window.date_from,
                date_to=window.date_to,
            ),
        )
        return self._rows(
            grouped, lambda r: metrics.renewal(renewed=r["renewed"], up_for_renewal=r["due"])
        )

    @api.model
    def _kpi_renewal_records(self, definition, window, row=None):
        return self._movements_records(window, row)

    @api.model
    def _kpi_renewal_empty_reason(self):
        return self.env._("No subscription was up for renewal in this period.")
