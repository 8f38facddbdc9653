"""Data of the KPI dashboard, read from the snapshots only.

Read-only methods (``@api.readonly``), so that a deployment with a read
replica (``db_replica_host``) serves the dashboard from the replica. Loading
costs a constant number of queries: the definitions, one search over the
snapshots of the 12 trend periods and of the same period last year (the
board of :meth:`crm.kpi.snapshot._kpi_board`), and the filter choices.

Every number is sent with its text, formatted on the server by the one
table of units (``engine/units.py``); the web client formats nothing.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

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
        dimension, _domain = self._dashboard_dimension(team_id, user_id)

        definitions = self.env["crm.kpi.definition"].search([]).filtered("is_available")
        if dimension == "team":
            definitions = definitions.filtered("allow_team")
        elif dimension == "user":
            definitions = definitions.filtered("allow_user")
        Snapshot = self.env["crm.kpi.snapshot"]
        scope = self._dashboard_scope(team_id, user_id)
        company = self.env.company
        board = Snapshot._kpi_board(
            period_type, trend, company, scope=scope, definitions=definitions
        )
        previous, last_year = board.column("compare", "previous"), board.column("compare", "last_year")
        return {
            "period": {
                "type": period_type,
                "label": period.label,
                "title": board.column("period").label,
                "date_start": fields.Date.to_string(period.date_start),
                "date_end": fields.Date.to_string(period.date_end),
                "previous_label": period.previous().label,
                "previous_title": previous.label,
                "last_year_label": last_year.period.label,
                "last_year_title": last_year.label,
            },
            "cards": [self._dashboard_card(definition, board) for definition in definitions],
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
            "has_data": any(cell.computed for cell in board.cells.values()),
        }

    @api.model
    def _dashboard_scope(self, team_id, user_id):
        """The record the dashboard is filtered on (None: the whole company)."""
        if team_id:
            return self.env["crm.team"].browse(int(team_id))
        if user_id:
            return self.env["res.users"].browse(int(user_id))
        return None

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
    def _dashboard_card(self, definition, board):
        """One card: the board's row of the KPI, its current value, the
        comparisons and the trend, each number with its text."""
        row = board.row(definition.code)
        current = board.cell(row, board.column("period"))
        snapshot = current.source
        return {
            "id": definition.id,
            "code": definition.code,
            "name": definition.name,
            "description": definition.description or "",
            "unit": definition.unit,
            "direction": definition.direction,
            "value": current.number,
            "value_text": current.text,
            "numerator": snapshot.numerator if snapshot else None,
            "denominator": snapshot.denominator if snapshot else None,
            "computed": bool(snapshot),
            "state": current.state,
            "delta_previous": self._dashboard_delta(board, row, "previous"),
            "delta_year": self._dashboard_delta(board, row, "last_year"),
            "trend": [board.cell(row, column).number for column in board.columns_of("period")],
            "trend_labels": [column.label for column in board.columns_of("period")],
            "empty_reason": (
                "" if current.number is not None else self._empty_reason(definition, snapshot)
            ),
        }

    @staticmethod
    def _dashboard_delta(board, row, comparison):
        """Δ and Δ% of the current value against a comparison, with their
        texts and whether it is better; None when either value is missing
        (Δ% has no value when the reference is 0)."""
        delta = board.cell(row, board.column("delta", comparison))
        if delta.number is None:
            return None
        change = board.cell(row, board.column("change", comparison))
        return {
            "delta": delta.number,
            "percent": change.number,
            "text": delta.text,
            "percent_text": change.text if change.number is not None else "",
            "state": delta.state,
        }

    @api.model
    def _empty_reason(self, definition, snapshot):
        """Why a KPI has no value, in words a user can act on."""
        if not snapshot:
            return self.env._("Not computed yet for this period: run Configuration → Compute KPIs.")
        if snapshot.failure:
            return snapshot.failure
        reasons = {
            "cac": self.env._("No new customer in this period."),
            "cac_payback": self.env._("No revenue from new customers in this period."),
            "retention_cost": self.env._("No customer retained over this period."),
            "marketing_roi": self.env._("No marketing cost recorded yet for this period (Inputs → Costs)."),
            "traffic_to_lead": self.env._("No web traffic recorded for this period (Inputs → Web Traffic)."),
            "nps": self.env._("No NPS answer in this period (Inputs → Feedback, or a survey)."),
            "ces": self.env._("No CES answer in this period (Inputs → Feedback, or a survey)."),
            "ces_easy_share": self.env._("No CES answer in this period (Inputs → Feedback, or a survey)."),
            "win_rate": self.env._("No opportunity was won or lost in this period."),
            "sales_cycle": self.env._("No opportunity was won in this period."),
            "quota": self.env._("No quota: set an invoicing target on the sales teams or a quota goal."),
            "renewal": self.env._("No subscription was up for renewal in this period."),
            "stage_duration": self.env._("No lead left a stage in this period."),
            "stage_drop_off": self.env._("No lead left or was lost in a stage in this period."),
        }
        if definition.code in reasons:
            return reasons[definition.code]
        if definition.code in ("mrr_churn", "nrr", "grr", "quick_ratio"):
            return self.env._("No recurring revenue at the start of this period.")
        if definition.code in ("churn", "retention", "upsell"):
            return self.env._("No active customer at the start of this period.")
        return self.env._("Nothing to measure in this period.")

    @api.model
    def _dashboard_goals(self, team_id, user_id):
        """Progress of the running goals in scope (once SMART goals exist),
        with the text of their progress."""
        if "crm.kpi.goal" not in self.env:
            return []
        goals = self.env["crm.kpi.goal"]._dashboard_goals(team_id=team_id, user_id=user_id)
        formatter = self.env["crm.kpi.snapshot"]._kpi_formatter(self.env.company)
        for goal in goals:
            goal["progress_text"] = formatter.text(goal.get("progress"), "percent")
        return goals

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
    def _drilldown(self, code, context):
        """(model, domain) of the records behind a KPI, or (None, None)."""
        company = [("company_id", "in", [context.company.id, False])]
        created = [("create_date", ">=", context.utc_from), ("create_date", "<", context.utc_to)]
        closed = [
            ("type", "=", "opportunity"), ("won_status", "in", ["won", "lost"]),
            ("date_closed", ">=", context.utc_from), ("date_closed", "<", context.utc_to),
        ]
        dated = [("date", ">=", context.date_from), ("date", "<", context.date_to)]
        if code in ("win_rate", "sales_cycle", "quota"):
            return "crm.lead", Domain.AND([company, closed])
        if code in ("lead_sources", "lead_abandonment", "traffic_to_lead", "records_created"):
            return "crm.lead", Domain.AND([company, created])
        if code in ("stage_duration", "stage_drop_off"):
            return "crm.kpi.stage.stay", Domain.AND([
                company, [("date_out", ">=", context.utc_from), ("date_out", "<", context.utc_to)],
            ])
        if code in ("nps", "ces", "ces_easy_share"):
            kind = "nps" if code == "nps" else "ces"
            return "crm.kpi.feedback", Domain.AND([company, dated, [("kind", "=", kind)]])
        if code in ("cac", "retention_cost", "marketing_roi"):
            category = "retention" if code == "retention_cost" else "acquisition"
            return "crm.kpi.cost", Domain.AND([company, dated, [("category", "=", category)]])
        if code in ("mrr_churn", "nrr", "grr", "quick_ratio", "net_new_mrr", "renewal"):
            return "crm.kpi.subscription.movement", Domain.AND([company, dated])
        customers = {
            "churn": "c.active_start AND NOT c.active_end",
            "retention": "c.active_start",
            "upsell": "c.active_start AND c.existed_before"
                      " AND (c.bought_in_period OR c.upgraded_in_period)",
            "net_new_revenue": "c.is_new",
            "marketing_share": "c.is_new",
            "marketing_revenue_share": "c.is_new",
            "cac_payback": "c.is_new",
        }
        if code in customers:
            return "res.partner", [("id", "in", self._customer_ids(context, customers[code]))]
        return None, None

    @api.model
    def _customer_ids(self, context, condition):
        """Ids of the customers of the period meeting a condition on the
        customer facts of :meth:`crm.kpi.engine._customer_facts_sql`."""
        facts = self.env["crm.kpi.engine"]._customer_facts_sql(context)
        rows = self.env.execute_query(
            SQL("SELECT c.customer_id FROM (%s) c WHERE %s", facts, SQL(condition))
        )
        return [row[0] for row in rows]
