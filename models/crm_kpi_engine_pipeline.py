# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Pipeline KPIs (crm.lead): win rate, sales cycle, lead sources and abandonment."""

from datetime import timedelta

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import metrics


class CrmKpiEnginePipeline(models.AbstractModel):
    _inherit = "crm.kpi.engine"  # pylint: disable=consider-merging-classes-inherited

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
        return "crm.lead", Domain.AND(
            [
                self._company_domain(window),
                Domain("type", "=", "opportunity"),
                Domain("won_status", "in", list(statuses)),
                Domain("date_closed", ">=", window.utc_from),
                Domain("date_closed", "<", window.utc_to),
                self._row_domain(row, self._dimension_columns("crm.lead")),
            ]
        )

    @api.model
    def _closed_opportunity_totals(self, window):
        """Rows of the company and of every lead dimension with the
        opportunities won and lost in the period: ``won``, ``lost``,
        ``days`` (Σ days from creation to win of the won ones) and
        ``revenue`` (their expected revenue); one query per period shared by
        the KPIs that read them (win rate, sales cycle, deal size, velocity),
        each keeping the rows of its dimensions (:meth:`_allowed_rows`)."""
        return self._shared(
            window,
            ("closed_opportunities",),
            lambda: self._grouped(
                None,
                self._lead_dimensions(),
                {
                    "won": SQL("COUNT(*) FILTER (WHERE l.won_status = 'won')"),
                    "lost": SQL("COUNT(*) FILTER (WHERE l.won_status = 'lost')"),
                    "days": SQL(
                        "SUM(EXTRACT(EPOCH FROM l.date_closed - l.create_date) / 86400.0)"
                        " FILTER (WHERE l.won_status = 'won')"
                    ),
                    "revenue": SQL("SUM(l.expected_revenue) FILTER (WHERE l.won_status = 'won')"),
                },
                self._closed_opportunities_where(window),
            ),
        )

    @api.model
    def _kpi_win_rate(self, definition, window):
        grouped = self._allowed_rows(definition, self._closed_opportunity_totals(window))
        return self._rows(grouped, lambda r: metrics.win_rate(won=r["won"], lost=r["lost"]))

    @api.model
    def _kpi_win_rate_records(self, definition, window, row=None):
        return self._closed_opportunities_records(window, row)

    @api.model
    def _kpi_win_rate_empty_reason(self):
        return self.env._("No opportunity was won or lost in this period.")

    @api.model
    def _kpi_sales_cycle(self, definition, window):
        grouped = self._allowed_rows(definition, self._closed_opportunity_totals(window))
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
        return "crm.lead", Domain.AND(
            [
                self._company_domain(window),
                Domain("create_date", ">=", window.utc_from),
                Domain("create_date", "<", window.utc_to),
                self._row_domain(row, self._dimension_columns("crm.lead")),
            ]
        )

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
        back from the run's moment (:meth:`_now`). Shared by the abandonment
        KPI and ``crm.lead.kpi_is_stale``."""
        stale_since = self._now(window) - self._stale_delta(window)
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

    # ------------------------------------------------------------------
    # Open pipeline: pipeline_value, weighted_pipeline, pipeline_coverage,
    # sales_velocity (see the README for what is exact and approximated)
    # ------------------------------------------------------------------

    @api.model
    def _open_opportunities_where(self, window, moment):
        """Opportunities open at ``moment`` (a UTC datetime): created before
        it and not won or lost before it (``date_closed``), archived ones
        left out unless they were lost (an opportunity archived without a
        loss is out of the pipeline, since an unknown day). ``stay`` is the
        lead's stay in the stage ledger at that moment, if any; ``tracked``
        the first change of its expected revenue tracked in the chatter
        after the moment, if any (see :meth:`_open_amount_sql`)."""
        return SQL(
            """
            FROM crm_lead l
            LEFT JOIN LATERAL (
                SELECT s.stage_id FROM crm_kpi_stage_stay s
                 WHERE s.lead_id = l.id AND s.date_in <= %(moment)s
                   AND (s.date_out IS NULL OR s.date_out > %(moment)s)
                 ORDER BY s.date_in DESC, s.id DESC LIMIT 1
            ) stay ON TRUE
            LEFT JOIN LATERAL (
                SELECT val.old_value_float AS amount
                  FROM mail_message msg
                  JOIN mail_tracking_value val ON val.mail_message_id = msg.id
                 WHERE msg.model = 'crm.lead' AND msg.res_id = l.id
                   AND val.field_id = %(amount_field)s AND msg.date > %(moment)s
                 ORDER BY msg.date, val.id LIMIT 1
            ) tracked ON TRUE
            WHERE %(company)s AND l.type = 'opportunity' AND l.create_date < %(moment)s
              AND (l.active OR l.won_status != 'pending')
              AND (l.won_status = 'pending' OR l.date_closed >= %(moment)s)
            """,
            moment=moment,
            amount_field=self.env["ir.model.fields"]._get("crm.lead", "expected_revenue").id,
            company=self._company_clause(SQL("l.company_id"), window),
        )

    @api.model
    def _open_amount_sql(self):
        """SQL of the expected revenue of an open opportunity at the moment
        of :meth:`_open_opportunities_where`: the old value of its first
        change tracked after the moment, else its amount of today."""
        return SQL("COALESCE(tracked.amount, l.expected_revenue)")

    @api.model
    def _open_opportunities_records(self, window, moment, row=None):
        """(``crm.lead``, domain) of :meth:`_open_opportunities_where`; a
        stage row keeps the leads that were in the stage at ``moment`` (by
        the ledger, else by their stage of today)."""
        domain = Domain.AND(
            [
                self._company_domain(window),
                Domain("type", "=", "opportunity"),
                Domain("create_date", "<", moment),
                Domain("active", "=", True) | Domain("won_status", "!=", "pending"),
                Domain("won_status", "=", "pending") | Domain("date_closed", ">=", moment),
            ]
        )
        if not row or row["dimension"] != "stage":
            return "crm.lead", domain & self._row_domain(row, self._dimension_columns("crm.lead"))
        at_moment = Domain("date_in", "<=", moment) & (
            Domain("date_out", "=", False) | Domain("date_out", ">", moment)
        )
        stage_id = row.get("stage_id") or False
        in_stage = Domain(
            "kpi_stage_stay_ids", "any", at_moment & Domain("stage_id", "=", stage_id)
        ) | (~Domain("kpi_stage_stay_ids", "any", at_moment) & Domain("stage_id", "=", stage_id))
        return "crm.lead", domain & in_stage

    @api.model
    def _open_pipeline_totals(self, window, moment):
        """Rows of the company, team, salesperson and stage (at ``moment``,
        from the ledger) with the opportunities open at ``moment``:
        ``open`` (their number), ``amount`` (Σ expected revenue at the
        moment) and ``weighted`` (Σ expected revenue at the moment ×
        probability of today); one query per moment shared by the KPIs that
        read them."""
        dimensions = {
            "team": SQL("l.team_id"),
            "user": SQL("l.user_id"),
            "stage": SQL("COALESCE(stay.stage_id, l.stage_id)"),
        }
        return self._shared(
            window,
            ("open_pipeline", moment),
            lambda: self._grouped(
                None,
                dimensions,
                {
                    "open": SQL("COUNT(*)"),
                    "amount": SQL("SUM(%s)", self._open_amount_sql()),
                    "weighted": SQL("SUM(%s * l.probability / 100.0)", self._open_amount_sql()),
                },
                self._open_opportunities_where(window, moment),
            ),
        )

    @api.model
    def _last_value_kpis(self):
        return super()._last_value_kpis() | {"pipeline_value", "weighted_pipeline"}

    @api.model
    def _kpi_pipeline_value(self, definition, window):
        grouped = self._allowed_rows(definition, self._open_pipeline_totals(window, window.utc_to))
        return self._rows(grouped, lambda r: metrics.pipeline_value(float(r["amount"])))

    @api.model
    def _kpi_pipeline_value_records(self, definition, window, row=None):
        return self._open_opportunities_records(window, window.utc_to, row)

    @api.model
    def _kpi_pipeline_value_empty_reason(self):
        return self.env._("No opportunity was open at the end of this period.")

    @api.model
    def _kpi_weighted_pipeline(self, definition, window):
        grouped = self._allowed_rows(definition, self._open_pipeline_totals(window, window.utc_to))
        return self._rows(grouped, lambda r: metrics.weighted_pipeline(float(r["weighted"])))

    @api.model
    def _kpi_weighted_pipeline_records(self, definition, window, row=None):
        return self._open_opportunities_records(window, window.utc_to, row)

    @api.model
    def _kpi_weighted_pipeline_empty_reason(self):
        return self._kpi_pipeline_value_empty_reason()

    @api.model
    def _kpi_pipeline_coverage(self, definition, window):
        """The open pipeline at the period's start against the quota of the
        period (see :meth:`_kpi_quota`): per team with an invoicing target,
        for the company those teams together, per salesperson with a quota
        goal. Teams and salespeople without a quota have no row."""
        pipeline = self._open_pipeline_totals(window, window.utc_from)
        amounts = {self._row_key(row): float(row["amount"]) for row in pipeline}
        team_quotas = self._team_quotas(definition, window)
        rows = [
            {**row, "amount": amounts.get(self._row_key(row), 0.0)}
            for row in team_quotas
            if row["dimension"] == "team"
        ]
        rows.append(
            {
                "dimension": "company",
                "amount": sum(row["amount"] for row in rows),
                "quota": sum(row["quota"] for row in team_quotas if row["dimension"] == "company"),
            }
        )
        if "user" in self._allowed_dimensions(definition):
            rows += [
                {
                    "dimension": "user",
                    "user_id": quota["user_id"],
                    "quota": quota["quota"],
                    "amount": amounts.get(("user", quota["user_id"]), 0.0),
                }
                for quota in self.env.execute_query_dict(self._user_quotas_sql(window))
            ]
        return self._rows(
            rows,
            lambda r: metrics.pipeline_coverage(
                pipeline=r["amount"], quota_amount=float(r["quota"] or 0)
            ),
        )

    @api.model
    def _kpi_pipeline_coverage_records(self, definition, window, row=None):
        """The opportunities open at the period's start: of the active teams
        with an invoicing target, or for a salesperson's row (a quota goal)
        of the salesperson."""
        model, domain = self._open_opportunities_records(window, window.utc_from, row)
        if row and row["dimension"] == "user":
            return model, domain
        return model, domain & Domain("team_id.invoiced_target", ">", 0) & Domain(
            "team_id.active", "=", True
        )

    @api.model
    def _kpi_pipeline_coverage_empty_reason(self):
        return self._kpi_quota_empty_reason()

    @api.model
    def _kpi_avg_deal_size(self, definition, window):
        grouped = self._allowed_rows(definition, self._closed_opportunity_totals(window))
        return self._rows(
            grouped, lambda r: metrics.avg_deal_size(revenue=float(r["revenue"]), won=r["won"])
        )

    @api.model
    def _kpi_avg_deal_size_records(self, definition, window, row=None):
        return self._closed_opportunities_records(window, row, ("won",))

    @api.model
    def _kpi_avg_deal_size_empty_reason(self):
        return self._kpi_sales_cycle_empty_reason()

    @api.model
    def _kpi_sales_velocity(self, definition, window):
        """Opportunities open at the period's start × win rate × average deal
        size / sales cycle days of the opportunities closed in the period."""
        rows = self._merge(
            [
                {key: row[key] for key in ("dimension", "team_id", "user_id", "open") if key in row}
                for row in self._allowed_rows(
                    definition, self._open_pipeline_totals(window, window.utc_from)
                )
            ],
            self._allowed_rows(definition, self._closed_opportunity_totals(window)),
            defaults={"open": 0, "won": 0, "lost": 0, "days": 0, "revenue": 0},
        )
        return self._rows(
            rows,
            lambda r: metrics.sales_velocity(
                open_opportunities=r["open"],
                won=r["won"],
                lost=r["lost"],
                revenue=float(r["revenue"]),
                total_days=float(r["days"]),
            ),
        )

    @api.model
    def _kpi_sales_velocity_records(self, definition, window, row=None):
        """The opportunities open at the period's start and those won or lost in it."""
        model, open_domain = self._open_opportunities_records(window, window.utc_from, row)
        _model, closed_domain = self._closed_opportunities_records(window, row)
        return model, open_domain | closed_domain

    @api.model
    def _kpi_sales_velocity_empty_reason(self):
        return self._kpi_sales_cycle_empty_reason()

    @api.model
    def _kpi_lead_conversion(self, definition, window):
        """Leads created in the period (those created as leads: still leads,
        or converted since, ``date_conversion``) and how many of them were
        converted to an opportunity, by now."""
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "converted": SQL("COUNT(*) FILTER (WHERE l.date_conversion IS NOT NULL)"),
                "leads": SQL("COUNT(*)"),
            },
            SQL("%s AND %s", self._created_leads_where(window), self._created_as_lead_condition()),
        )
        return self._rows(
            grouped, lambda r: metrics.lead_conversion(converted=r["converted"], leads=r["leads"])
        )

    @api.model
    def _created_as_lead_condition(self):
        """SQL condition on ``l``: the record was created as a lead."""
        return SQL("(l.type = 'lead' OR l.date_conversion IS NOT NULL)")

    @api.model
    def _kpi_lead_conversion_records(self, definition, window, row=None):
        model, domain = self._created_leads_records(window, row)
        return model, domain & (
            Domain("type", "=", "lead") | Domain("date_conversion", "!=", False)
        )

    @api.model
    def _kpi_lead_conversion_empty_reason(self):
        return self.env._("No lead was created in this period.")
