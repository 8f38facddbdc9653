# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Quota attainment: revenue won against the sales teams' targets and the
salespeople's quota goals."""

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEngineQuota(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _amount_goal_kpis(self):
        # a quota goal's target is the revenue to win, its value the revenue won
        return super()._amount_goal_kpis() | {"quota"}

    @api.model
    def _kpi_quota(self, definition, window):
        """Revenue of the opportunities won in the period (expected revenue,
        company currency) against the monthly invoicing target of their
        sales team × the months in the period. Teams without a target have
        no quota and are left out of the company figure too, and so are
        archived teams and teams of another company: the revenue counted is
        that of the teams whose targets are counted."""
        won = self._grouped(
            definition,
            {"team": SQL("l.team_id")},
            {"won": SQL("SUM(l.expected_revenue)")},
            SQL(
                """
                FROM crm_lead l
                JOIN crm_team t ON t.id = l.team_id AND t.active AND t.invoiced_target > 0
                 AND %s
                WHERE %s AND l.type = 'opportunity' AND l.won_status = 'won'
                  AND l.date_closed >= %s AND l.date_closed < %s
                """,
                self._company_clause(SQL("t.company_id"), window),
                self._company_clause(SQL("l.company_id"), window),
                window.utc_from,
                window.utc_to,
            ),
        )
        rows = self._merge(
            won, self._team_quotas(definition, window), defaults={"won": 0, "quota": 0}
        )
        return self._rows(
            rows, lambda r: metrics.quota(revenue=float(r["won"]), quota_amount=float(r["quota"]))
        ) + self._quota_user_rows(definition, window)

    @api.model
    def _team_quotas(self, definition, window):
        """Rows (company and, when ``definition`` allows it, per team) of
        ``quota``: the monthly invoicing target of the active sales teams
        that have one × the months in the window."""
        return self._grouped(
            definition,
            {"team": SQL("t.id")},
            {"quota": SQL("SUM(t.invoiced_target) * %s", self._months_in(window))},
            SQL(
                "FROM crm_team t WHERE t.active AND t.invoiced_target > 0 AND %s",
                self._company_clause(SQL("t.company_id"), window),
            ),
        )

    @api.model
    def _kpi_quota_records(self, definition, window, row=None):
        """The opportunities won in the period: by the teams with a target,
        or for a salesperson's row (a quota goal) by the salesperson."""
        model, domain = self._closed_opportunities_records(window, row, ("won",))
        if row and row["dimension"] == "user":
            return model, domain
        return model, Domain.AND(
            [
                domain,
                Domain("team_id.invoiced_target", ">", 0),
                Domain("team_id.active", "=", True),
                self._company_domain(window, "team_id.company_id"),
            ]
        )

    @api.model
    def _kpi_quota_empty_reason(self):
        return self.env._("No quota: set an invoicing target on the sales teams or a quota goal.")

    @api.model
    def _quota_user_rows(self, definition, window):
        """Per-salesperson rows: the quota is the target of the started
        salesperson goals on ``quota`` overlapping the period, pro-rated by
        days (target × days of the goal in the period / days of the goal);
        the revenue is the expected revenue of the opportunities the
        salesperson won in the period. Salespeople without such a goal have
        no quota and no row."""
        if "user" not in self._allowed_dimensions(definition):
            return []
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH quota AS (%(quotas)s)
                SELECT q.user_id, q.quota,
                       (SELECT COALESCE(SUM(l.expected_revenue), 0)
                          FROM crm_lead l
                         WHERE l.user_id = q.user_id AND %(lead_company)s
                           AND l.type = 'opportunity' AND l.won_status = 'won'
                           AND l.date_closed >= %(utc_from)s AND l.date_closed < %(utc_to)s
                       ) AS won
                  FROM quota q
                """,
                quotas=self._user_quotas_sql(window),
                lead_company=self._company_clause(SQL("l.company_id"), window),
                utc_from=window.utc_from,
                utc_to=window.utc_to,
            )
        )
        return [
            {
                "dimension": "user",
                "user_id": row["user_id"],
                "kpi_value": metrics.quota(
                    revenue=float(row["won"]), quota_amount=float(row["quota"])
                ),
            }
            for row in rows
        ]

    @api.model
    def _user_quotas_sql(self, window):
        """SQL of the rows (``user_id``, ``quota``) of the salespeople with a
        quota: the target of their started goals on ``quota`` overlapping the
        window, pro-rated by days (target × days of the goal in the window /
        days of the goal)."""
        return SQL(
            """
            SELECT g.user_id,
                   SUM(g.target_value
                       * (LEAST(g.deadline + 1, %(date_to)s)
                          - GREATEST(g.date_start, %(date_from)s))
                       / (g.deadline + 1 - g.date_start)::float) AS quota
              FROM crm_kpi_goal g
             WHERE g.active AND g.status != 'draft' AND g.scope = 'user'
               AND g.kpi_code = 'quota' AND g.company_id = %(company)s
               AND g.date_start < %(date_to)s AND g.deadline >= %(date_from)s
             GROUP BY g.user_id
            """,
            date_to=window.date_to,
            date_from=window.date_from,
            company=window.company.id,
        )
