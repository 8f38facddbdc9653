"""Data of the KPI dashboard, read from the snapshots only.

Read-only methods (``@api.readonly``), so that a deployment with a read
replica (``db_replica_host``) serves the dashboard from the replica. Loading
costs a constant number of queries: the definitions, one search over the
snapshots of the 12 trend periods and of the same period last year, and the
filter choices.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..engine.periods import PERIOD_TYPES, period_of

TREND_LENGTH = 12


class CrmKpiDashboard(models.AbstractModel):
    _name = "crm.kpi.dashboard"
    _description = "CRM KPI Dashboard"

    @api.readonly
    @api.model
    def get_dashboard_data(self, period_type="month", date=None, team_id=False, user_id=False):
        """Cards of every active KPI for the period of ``period_type``
        containing ``date`` (default today), for the whole company, one team
        or one salesperson (KPIs that cannot be split that way are left out)."""
        if period_type not in PERIOD_TYPES:
            raise UserError(self.env._("Unknown period type %(type)s.", type=period_type))
        day = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        period = period_of(period_type, day)
        trend = [period]
        for _i in range(TREND_LENGTH - 1):
            trend.insert(0, trend[0].previous())
        last_year = period.same_period_last_year()
        dimension, dimension_domain = self._dashboard_dimension(team_id, user_id)

        definitions = self.env["crm.kpi.definition"].search([]).filtered("is_available")
        if dimension == "team":
            definitions = definitions.filtered("allow_team")
        elif dimension == "user":
            definitions = definitions.filtered("allow_user")
        snapshots = self.env["crm.kpi.snapshot"].search_fetch(
            Domain.AND([
                [("company_id", "=", self.env.company.id)],
                [("period_type", "=", period_type)],
                [("dimension", "=", dimension)],
                dimension_domain,
                [("kpi_id", "in", definitions.ids)],
                [("date_start", "in", [p.date_start for p in trend] + [last_year.date_start])],
            ]),
            ["kpi_id", "date_start", "value", "has_value", "numerator", "denominator", "failure"],
        )
        by_key = {(s.kpi_id.id, s.date_start): s for s in snapshots}
        currency = self.env.company.currency_id
        return {
            "period": {
                "type": period_type,
                "label": period.label,
                "date_start": fields.Date.to_string(period.date_start),
                "date_end": fields.Date.to_string(period.date_end),
                "previous_label": period.previous().label,
                "last_year_label": last_year.label,
            },
            "currency": {"symbol": currency.symbol, "position": currency.position},
            "cards": [
                self._dashboard_card(definition, by_key, trend, last_year)
                for definition in definitions
            ],
            "goals": self._dashboard_goals(team_id, user_id),
            "teams": [
                {"id": team.id, "name": team.name}
                for team in self.env["crm.team"].search([("company_id", "in", [False, self.env.company.id])])
            ],
            "users": [
                {"id": user.id, "name": user.name}
                for user in self.env["res.users"].search([
                    ("share", "=", False), ("company_ids", "in", self.env.company.id),
                ])
            ],
            "has_data": bool(snapshots),
        }

    @api.model
    def _dashboard_dimension(self, team_id, user_id):
        if team_id and user_id:
            raise UserError(self.env._("Choose a sales team or a salesperson, not both."))
        if team_id:
            return "team", [("team_id", "=", int(team_id))]
        if user_id:
            return "user", [("user_id", "=", int(user_id))]
        return "company", []

    @api.model
    def _dashboard_card(self, definition, by_key, trend, last_year):
        def value_of(period):
            snapshot = by_key.get((definition.id, period.date_start))
            return snapshot.value if snapshot and snapshot.has_value else None

        current = value_of(trend[-1])
        previous = value_of(trend[-2])
        year_ago = value_of(last_year)
        snapshot = by_key.get((definition.id, trend[-1].date_start))
        return {
            "id": definition.id,
            "code": definition.code,
            "name": definition.name,
            "description": definition.description or "",
            "unit": definition.unit,
            "direction": definition.direction,
            "value": current,
            "numerator": snapshot.numerator if snapshot else None,
            "denominator": snapshot.denominator if snapshot else None,
            "computed": bool(snapshot),
            "state": definition.threshold_state(current),
            "delta_previous": self._delta(current, previous),
            "delta_year": self._delta(current, year_ago),
            "trend": [value_of(period) for period in trend],
            "trend_labels": [period.label for period in trend],
            "empty_reason": "" if current is not None else self._empty_reason(definition, snapshot),
        }

    @staticmethod
    def _delta(current, reference):
        """Δ and Δ% of a value against a reference; Δ% has no value when the
        reference is 0 or missing."""
        if current is None or reference is None:
            return None
        delta = current - reference
        return {"delta": delta, "percent": delta / abs(reference) * 100 if reference else None}

    @api.model
    def _empty_reason(self, definition, snapshot):
        """Why a KPI has no value, in words a user can act on."""
        if not snapshot:
            return self.env._("Not computed yet for this period: run Configuration → Compute KPIs.")
        if snapshot.failure:
            return snapshot.failure
        return self.env["crm.kpi.engine"]._empty_reason_of(definition)

    @api.model
    def _dashboard_goals(self, team_id, user_id):
        """Progress of the running goals in scope."""
        return self.env["crm.kpi.goal"]._dashboard_goals(team_id=team_id, user_id=user_id)

    # ------------------------------------------------------------------
    # Drill-down: the records behind a card
    # ------------------------------------------------------------------
    @api.readonly
    @api.model
    def action_open_kpi_records(self, code, period_type="month", date=None, team_id=False, user_id=False):
        """Window action on the records behind a KPI's numerator and
        denominator for the period (and team or salesperson)."""
        day = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        definition = self.env["crm.kpi.definition"].search([("code", "=", code)], limit=1)
        if not definition:
            raise UserError(self.env._("Unknown KPI %(code)s.", code=code))
        engine = self.env["crm.kpi.engine"]
        context = engine._make_context(self.env.company, period_of(period_type, day))
        model, domain = self._drilldown(code, context)
        if model is None:
            raise UserError(
                self.env._("The records behind %(kpi)s cannot be listed.", kpi=definition.name)
            )
        fields_of = self.env[model]._fields
        if team_id and "team_id" in fields_of:
            domain = Domain.AND([domain, [("team_id", "=", int(team_id))]])
        if user_id and "user_id" in fields_of:
            domain = Domain.AND([domain, [("user_id", "=", int(user_id))]])
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("%(kpi)s, %(period)s", kpi=definition.name, period=context.period.label),
            "res_model": model,
            "views": [[False, "list"], [False, "form"]],
            "domain": list(domain),
            "context": {"active_test": False},
        }

    @api.model
    def _drilldown(self, code, window):
        """(model, domain) of the records behind a KPI, or (None, None): the
        drill-down of the KPI's family (``_kpi_<code>_records``)."""
        definition = self.env["crm.kpi.definition"].search([("code", "=", code)], limit=1)
        return self.env["crm.kpi.engine"]._records_of(definition, window)
