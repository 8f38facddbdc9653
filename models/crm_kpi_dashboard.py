# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Data of the KPI dashboard, read from the snapshots only.

Read-only methods (``@api.readonly``), so that a deployment with a read
replica (``db_replica_host``) serves the dashboard from the replica. Loading
costs a constant number of queries: the definitions, one search over the
snapshots of the 12 trend periods and of the same period last year (the
board of :meth:`crm.kpi.snapshot._kpi_board`), and the filter choices.

Every number is sent with its text, formatted on the server by the one
table of units (``engine/units.py``); the web client formats nothing.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine.axis import nice_ticks
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

        # all of them on purpose (the catalog: a few dozen KPIs)
        definitions = self.env["crm.kpi.definition"].search([]).filtered("is_available")  # pylint: disable=no-search-all
        allowed_by = self.env["crm.kpi.snapshot"]._kpi_dimensions()[dimension]["allowed_by"]
        if allowed_by:
            definitions = definitions.filtered(allowed_by)
        Snapshot = self.env["crm.kpi.snapshot"]
        scope = self._dashboard_scope(team_id, user_id)
        company = self.env.company
        board = Snapshot._kpi_board(
            period_type, trend, company, scope=scope, definitions=definitions
        )
        previous, last_year = (
            board.column("compare", "previous"),
            board.column("compare", "last_year"),
        )
        # KPIs of a team or salesperson without a row: computed for the
        # company (nothing of the slice to measure) or not computed at all
        computed = set()
        if scope:
            computed = {
                kpi.id
                for [kpi] in Snapshot._read_group(
                    [
                        ("company_id", "=", company.id),
                        ("period_type", "=", period_type),
                        ("date_start", "=", period.date_start),
                        ("dimension", "=", "company"),
                        ("kpi_id", "in", definitions.ids),
                    ],
                    ["kpi_id"],
                )
            }
        formatter = Snapshot._kpi_formatter(company)
        goals = self._dashboard_goals(team_id, user_id)
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
            "cards": [
                self._dashboard_card(definition, board, formatter, scope, computed, goals)
                for definition in definitions
            ],
            "goals": goals,
            "teams": [
                {"id": team.id, "name": team.name}
                for team in self.env["crm.team"].search(
                    [("company_id", "in", [False, self.env.company.id])]
                )
            ],
            "users": [
                {"id": user.id, "name": user.name}
                for user in self.env["res.users"].search(
                    [
                        ("share", "=", False),
                        ("company_ids", "in", self.env.company.id),
                    ]
                )
            ],
            "has_data": any(cell.computed for cell in board.cells.values()),
        }

    @api.model
    def _dashboard_filters(self, team_id, user_id):
        """{dimension: record id} of the dashboard's filters (the registry's
        ``board`` dimensions the dashboard sends: sales team, salesperson)
        that are set."""
        values = {"team_id": team_id, "user_id": user_id}
        return {
            code: int(values[entry["field"]])
            for code, entry in self.env["crm.kpi.snapshot"]._kpi_dimensions().items()
            if entry["board"] and entry["field"] and values.get(entry["field"])
        }

    @api.model
    def _dashboard_scope(self, team_id, user_id):
        """The record the dashboard is filtered on (None: the whole company)."""
        dimension, _domain = self._dashboard_dimension(team_id, user_id)
        if dimension == "company":
            return None
        Snapshot = self.env["crm.kpi.snapshot"]
        fname = Snapshot._kpi_dimension_fields()[dimension]
        return self.env[Snapshot._fields[fname].comodel_name].browse(
            self._dashboard_filters(team_id, user_id)[dimension]
        )

    @api.model
    def _dashboard_dimension(self, team_id, user_id):
        """(dimension, snapshot domain) of the dashboard's filter."""
        filters = self._dashboard_filters(team_id, user_id)
        if len(filters) > 1:
            raise UserError(self.env._("Choose a sales team or a salesperson, not both."))
        for dimension, value in filters.items():
            fname = self.env["crm.kpi.snapshot"]._kpi_dimension_fields()[dimension]
            return dimension, [(fname, "=", value)]
        return "company", []

    @api.model
    def _dashboard_card(self, definition, board, formatter, scope=None, computed=(), goals=()):
        """One card: the board's row of the KPI, its current value, the
        comparisons and the trend, each number with its text."""
        row = board.row(definition.code)
        current = board.cell(row, board.column("period"))
        # the running goal of this KPI and scope, drawn on the trend chart
        scope_kind = (
            {"crm.team": "team", "res.users": "user"}.get(scope._name) if scope else "company"
        )
        goal = next(
            (
                goal
                for goal in goals
                if goal["kpi_id"] == definition.id and goal["scope"] == scope_kind
            ),
            None,
        )
        snapshot = current.source
        engine = self.env["crm.kpi.engine"]
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
            "trend_texts": [board.cell(row, column).text for column in board.columns_of("period")],
            "trend_axis": [
                {
                    "value": tick,
                    "text": formatter.text(tick, definition.unit, definition.aggregation),
                }
                for tick in nice_ticks(
                    [board.cell(row, column).number for column in board.columns_of("period")]
                    + ([goal["target_value"]] if goal and goal["is_level"] else [])
                )
            ],
            "goal": goal,
            "fraction_text": self._fraction_text(definition, snapshot, formatter),
            "drillable": engine._has_records(definition.code),
            "anomaly": snapshot._kpi_anomaly_info(formatter) if snapshot else None,
            "empty_reason": (
                ""
                if current.number is not None
                else self._empty_reason(
                    definition,
                    snapshot,
                    scope=scope,
                    computed_for_company=definition.id in computed,
                )
            ),
        }

    @api.model
    def _fraction_text(self, definition, snapshot, formatter):
        """ "4 of 9": the counts behind a percentage of counts (win rate,
        churn…); empty for other KPIs and for amounts."""
        if not snapshot or not snapshot.has_value or definition.unit != "percent":
            return ""
        numerator, denominator = snapshot.numerator, snapshot.denominator
        if numerator != int(numerator) or denominator != int(denominator):
            return ""
        return self.env._(
            "%(numerator)s of %(denominator)s",
            numerator=formatter.text(numerator, "count"),
            denominator=formatter.text(denominator, "count"),
        )

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
    def _empty_reason(self, definition, snapshot, scope=None, computed_for_company=False):
        """Why a KPI has no value, in words a user can act on: not computed
        yet, computed but nothing of this team or salesperson to measure
        (``scope``, when the company row exists), failed, or nothing to
        divide by (the family's reason)."""
        engine = self.env["crm.kpi.engine"]
        if not snapshot and scope and computed_for_company:
            return self.env._(
                "Nothing for %(scope)s in this period. %(reason)s",
                scope=scope.display_name,
                reason=engine._empty_reason_of(definition),
            )
        if not snapshot:
            return self.env._("Not computed yet for this period: run Configuration → Compute KPIs.")
        if snapshot.failure:
            return snapshot.failure
        return engine._empty_reason_of(definition)

    @api.model
    def _dashboard_goals(self, team_id, user_id):
        """Progress of the running goals in scope, with the text of their
        progress."""
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
    def action_open_kpi_records(
        self, code, period_type="month", date=None, team_id=False, user_id=False
    ):
        """Window action on the records behind a KPI's numerator and
        denominator for the period (and team or salesperson)."""
        day = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        definition = self.env["crm.kpi.definition"].search([("code", "=", code)], limit=1)
        if not definition:
            raise UserError(self.env._("Unknown KPI %(code)s.", code=code))
        engine = self.env["crm.kpi.engine"]
        period = period_of(period_type, day)
        window = engine._make_window(self.env.company, period)
        dimension, _domain = self._dashboard_dimension(team_id, user_id)
        row = {"dimension": dimension}
        if dimension != "company":
            row[f"{dimension}_id"] = self._dashboard_filters(team_id, user_id)[dimension]
        # the family lists the records of the card's row: for customer KPIs
        # the customers counted for the team of their first purchase, not
        # the partners whose own team it is
        model, domain = self._drilldown(code, window, row)
        if model is None:
            raise UserError(
                self.env._("The records behind %(kpi)s cannot be listed.", kpi=definition.name)
            )
        label = self.env["crm.kpi.snapshot"]._kpi_period_label(period)
        scope = self._dashboard_scope(team_id, user_id)
        name = (
            self.env._(
                "%(kpi)s, %(period)s, %(scope)s",
                kpi=definition.name,
                period=label,
                scope=scope.display_name,
            )
            if scope
            else self.env._("%(kpi)s, %(period)s", kpi=definition.name, period=label)
        )
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "views": [[False, "list"], [False, "form"]],
            "domain": list(domain),
            "context": {"active_test": False},
            "help": Markup("<p class='o_view_nocontent_smiling_face'>%s</p>")
            % self.env._("No record behind this value."),
        }

    @api.model
    def _drilldown(self, code, window, row=None):
        """(model, domain) of the records behind a KPI (of a dimension
        ``row``), or (None, None): the drill-down of the KPI's family
        (``_kpi_<code>_records``)."""
        definition = self.env["crm.kpi.definition"].search([("code", "=", code)], limit=1)
        return self.env["crm.kpi.engine"]._records_of(definition, window, row)
