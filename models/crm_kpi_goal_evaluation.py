# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The evaluation of SMART goals: their value over the goal window read
from the KPI's snapshots through the board reader
(``crm.kpi.snapshot._kpi_boards``, one query for many goals), the progress, pace,
forecast, status and feasibility of ``engine.goals``, the status updates
and their activities, and the dashboard's goal strip.

The fields, constraints, create/write, actions and the scheduled action
are in ``crm_kpi_goal.py``."""

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import format_date

from ..engine import goals as goal_engine
from ..engine.board import period_key
from ..engine.metrics import KpiValue
from ..engine.periods import MAX_PERIODS, count_periods, periods_between
from ..engine.rollup import rollup_periods
from ..engine.units import Formatter
from .crm_kpi_goal import ALERT_STATUSES, HISTORY_WINDOWS


class CrmKpiGoalEvaluation(models.Model):
    _inherit = "crm.kpi.goal"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends(
        "kpi_id",
        "scope",
        "company_id",
        "team_id",
        "user_id",
        "source_id",
        "medium_id",
        "campaign_id",
        "period_type",
        "date_start",
        "deadline",
        "baseline_value",
        "target_value",
        "status",
        "at_risk_margin",
        "off_track_margin",
    )
    @api.depends_context("lang")  # the texts are in the reader's language
    def _compute_evaluation(self):
        evaluations = self._evaluate()
        for goal in self:
            evaluation = evaluations.get(goal, {})
            goal.current_value = evaluation.get("current") or 0.0
            goal.has_current_value = evaluation.get("current") is not None
            goal.progress = evaluation.get("progress") or 0.0
            goal.expected_progress = evaluation.get("expected") or 0.0
            goal.forecast_value = evaluation.get("forecast") or 0.0
            goal.has_forecast = evaluation.get("forecast") is not None
            goal.feasibility_best = evaluation.get("best") or 0.0
            goal.feasibility_median = evaluation.get("median") or 0.0
            goal.feasibility_warning = bool(evaluation.get("exceeds_history"))
        self._compute_texts(evaluations)

    def _compute_texts(self, evaluations):
        """The goal's numbers as the user reads them, with their unit (the
        one table of units: the dashboard's and the XLSX's)."""
        Snapshot = self.env["crm.kpi.snapshot"]
        formatters = {}
        for goal in self:
            evaluation = evaluations.get(goal, {})
            company = goal.company_id or self.env.company
            if company not in formatters:
                formatters[company] = Snapshot._kpi_formatter(company)
            formatter = formatters[company]
            unit, aggregation = goal.goal_unit, goal.kpi_id.aggregation

            def text(value, unit=unit, aggregation=aggregation, formatter=formatter):
                return formatter.text(value, unit, aggregation) if unit else ""

            goal.current_text = text(evaluation.get("current"))
            goal.target_text = text(goal.target_value)
            goal.baseline_text = text(goal.baseline_value)
            goal.forecast_text = (
                text(evaluation["forecast"])
                if evaluation.get("forecast") is not None
                else self.env._("Too early")
            )

    # ------------------------------------------------------------------
    # Snapshots of the goal window
    # ------------------------------------------------------------------
    def _compute_missing_snapshots(self, history=False, today=None):
        """Compute (as superuser) the goal's KPI over the elapsed periods of
        its window (with ``history``: over the window before it, for a
        baseline from history) when the goal's scope has no value in them
        yet (a new salesperson's quota, a KPI never computed): the goal
        shows its value as soon as it starts, not after the next nightly
        refresh. Periods that already have values are left as they are."""
        today = today or fields.Date.context_today(self)
        Snapshot = self.env["crm.kpi.snapshot"].sudo()
        pairs_of = self._snapshot_pairs()
        for goal in self.filtered(lambda g: g.kpi_id.is_available):
            periods = goal._goal_periods()
            if not history:
                windows = [[p for p in periods if p.date_start <= today]]
            elif goal.baseline_from_history and not goal._is_additive():
                windows = [goal._history_windows(periods)[0]]
            else:
                windows = []
            for window in windows:
                if window and not any(p.date_start in pairs_of[goal] for p in window):
                    Snapshot.with_company(goal.company_id)._compute_snapshots(
                        goal.period_type,
                        window[0].date_start,
                        window[-1].date_start,
                        kpi_codes=[goal.kpi_code],
                        company_ids=goal.company_id.ids,
                    )

    # ------------------------------------------------------------------
    # Evaluation
    # ------------------------------------------------------------------
    def _update_status(self, today=None, evaluation=None):
        """Store the evaluated status; schedule one activity for the
        responsible when the status turns at risk or off track (not again
        while it stays the same)."""
        today = today or fields.Date.context_today(self)
        evaluations = {self: evaluation} if evaluation is not None else self._evaluate(today)
        for goal in self:
            if goal not in evaluations:
                continue  # not evaluable, e.g. a window beyond MAX_PERIODS from before the limit
            status = evaluations[goal]["status"]
            vals = {}
            if goal.status != status:
                vals["status"] = status
            if status in ALERT_STATUSES and goal.last_notified_status != status:
                goal._notify_status(status)
                vals["last_notified_status"] = status
            elif status not in ALERT_STATUSES and goal.last_notified_status:
                vals["last_notified_status"] = False
            if vals:
                # status fields are manager-only: the evaluation writes them as superuser
                goal.sudo().write(vals)

    def _notify_status(self, status):
        self.ensure_one()
        label = dict(self._fields["status"]._description_selection(self.env))[status]
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.responsible_id.id,
            summary=self.env._("Goal %(status)s: %(goal)s", status=label, goal=self.name),
            note=self.env._(
                "Progress %(progress).1f %% against %(expected).1f %% expected at this date.",
                progress=self.progress,
                expected=self.expected_progress,
            ),
        )

    def _is_additive(self):
        """Whether the goal's value adds up over its window from zero: sum
        KPIs (not the levels, whose value is the last period's), and quota
        goals (revenue won against the quota amount)."""
        self.ensure_one()
        return self.env["crm.kpi.engine"]._goal_is_amount(self.kpi_code) or (
            self.kpi_id.aggregation == "sum" and self.kpi_id.time_aggregation != "last"
        )

    @api.model
    def _goal_filters(self):
        """{dimension: goal field} of the filters of company goals: the
        dimensions of the registry (``crm.kpi.snapshot._kpi_dimensions``)
        that goals use as a filter, on the goal's field of the same name."""
        return {
            code: entry["field"]
            for code, entry in self.env["crm.kpi.snapshot"]._kpi_dimensions().items()
            if entry["goal"] == "filter"
        }

    def _scope_dimension(self):
        """(snapshot dimension, snapshot field, value) of the goal's scope."""
        self.ensure_one()
        if self.scope != "company":
            fname = self.env["crm.kpi.snapshot"]._kpi_dimension_fields()[self.scope]
            return self.scope, fname, self[fname].id
        for dimension, fname in self._goal_filters().items():
            if self[fname]:
                return dimension, fname, self[fname].id
        return "company", None, None

    def _goal_periods(self):
        """The periods of ``period_type`` meeting ``[date_start, deadline]``."""
        self.ensure_one()
        return periods_between(self.period_type, self.date_start, self.deadline)

    def _history_windows(self, periods):
        """Up to HISTORY_WINDOWS windows of ``len(periods)`` periods each
        just before ``periods``, the most recent first."""
        windows, period = [], periods[0]
        for _index in range(HISTORY_WINDOWS):
            window = []
            for _count in periods:
                period = period.previous()
                window.insert(0, period)
            windows.append(window)
        return windows

    def _snapshot_domain(self, first_start, last_start):
        self.ensure_one()
        dimension, fname, value = self._scope_dimension()
        domain = Domain(
            [
                ("kpi_id", "=", self.kpi_id.id),
                ("period_type", "=", self.period_type),
                ("company_id", "=", self.company_id.id),
                ("dimension", "=", dimension),
                ("date_start", ">=", first_start),
                ("date_start", "<=", last_start),
            ]
        )
        if fname:
            domain &= Domain(fname, "=", value)
        return domain

    def _snapshot_pairs(self):
        """{goal: {period start: (numerator, denominator)}} for the goal
        window and its history windows, read through the board reader
        (:meth:`_goal_boards`)."""
        boards = self._goal_boards()
        pairs = {}
        for goal in self:
            board, code = boards[goal], goal.kpi_id.code
            pairs[goal] = {}
            for period in goal._read_periods():
                cell = board.cells.get((code, period_key(period)))
                if cell and cell.computed:
                    pairs[goal][period.date_start] = (cell.value.numerator, cell.value.denominator)
        return pairs

    def _read_periods(self):
        """The periods the goal's value is read over: its history windows
        and its window, oldest first."""
        self.ensure_one()
        periods = self._goal_periods()
        first = self._history_windows(periods)[-1][0]
        return periods_between(self.period_type, first.date_start, periods[-1].date_start)

    def _goal_boards(self):
        """{goal: board} of the goal's KPI for its scope (see
        :meth:`_scope_dimension`) over its window and its history windows,
        from ``crm.kpi.snapshot._kpi_boards`` as superuser: one search per
        company and period type, however many goals, KPIs and scopes. A
        board may hold more periods and KPIs than its goal's (those of the
        other goals read with it): read it over :meth:`_read_periods`."""
        groups = {}
        for goal in self:
            group = groups.setdefault(
                (goal.company_id, goal.period_type),
                {
                    "kpis": [],
                    "starts": set(),
                    "scopes": {},
                },
            )
            group["kpis"].append(goal.kpi_id)
            group["starts"].update(p.date_start for p in goal._read_periods())
            dimension, fname, _value = goal._scope_dimension()
            group["scopes"][goal] = (dimension, goal[fname] if fname else None)
        Snapshot = self.env["crm.kpi.snapshot"].sudo()
        boards = {}
        for (company, period_type), group in groups.items():
            scopes = group["scopes"]
            boards_of = Snapshot._kpi_boards(
                period_type,
                sorted(group["starts"]),
                company,
                set(scopes.values()),
                definitions=self.env["crm.kpi.definition"].union(*group["kpis"]),
                # the goals read numbers only: their texts are _compute_texts'
                comparisons=(),
                local_labels=False,
                formatter=Formatter(),
            )
            boards.update({goal: boards_of[scope] for goal, scope in scopes.items()})
        return boards

    def _window_value(self, pairs, periods):
        """The goal's value over ``periods``, or None without any snapshot:
        Σnumerator for additive goals, else the KPI's roll-up over periods
        (the last period's value for a level such as MRR)."""
        found = [pairs[p.date_start] for p in periods if p.date_start in pairs]
        if not found:
            return None
        if self.env["crm.kpi.engine"]._goal_is_amount(self.kpi_code):
            return sum(numerator for numerator, _denominator in found)
        values = (KpiValue(numerator, denominator, None) for numerator, denominator in found)
        return rollup_periods(
            values, self.kpi_id.factor, self.kpi_id.aggregation, self.kpi_id.time_aggregation
        ).value

    def _history_baseline(self):
        """The baseline captured at start: 0 for additive goals, else the
        value over the window of the same length just before the start."""
        self.ensure_one()
        if self._is_additive():
            return 0.0
        periods = self._goal_periods()
        pairs = self._snapshot_pairs()[self]
        return self._window_value(pairs, self._history_windows(periods)[0])

    def _evaluate(self, today=None):
        """{goal: dict of current, progress, expected, forecast, best,
        median, exceeds_history, status} for the goals that can be evaluated."""
        today = today or fields.Date.context_today(self)
        goals = self.filtered(
            lambda g: g.kpi_id
            and g.company_id
            and g.period_type
            and g.date_start
            and g.deadline
            and g.deadline > g.date_start
            and count_periods(g.period_type, g.date_start, g.deadline) <= MAX_PERIODS
            and (g.scope == "company" or g.team_id or g.user_id)
        )
        pairs_of = goals._snapshot_pairs()
        evaluations = {}
        for goal in goals:
            pairs = pairs_of[goal]
            periods = goal._goal_periods()
            elapsed = [p for p in periods if p.date_start <= today]
            current = goal._window_value(pairs, elapsed)
            points = [(periods[0].date_start, 0.0)] if goal._is_additive() else []
            for index, period in enumerate(elapsed):
                if period.date_start in pairs:
                    value = goal._window_value(pairs, elapsed[: index + 1])
                    if value is not None:
                        points.append((min(period.date_end, today), value))
            direction = goal.kpi_id.direction
            denominator = sum(pairs[p.date_start][1] for p in elapsed if p.date_start in pairs)
            history = [
                goal._window_value(pairs, window) for window in goal._history_windows(periods)
            ]
            feasibility = goal_engine.feasibility(history, goal.target_value, direction)
            evaluations[goal] = {
                "current": current,
                "progress": goal_engine.progress(goal.baseline_value, goal.target_value, current),
                "expected": goal_engine.expected_progress(goal.date_start, goal.deadline, today),
                "forecast": goal_engine.forecast(points, goal.date_start, goal.deadline, today),
                "best": feasibility["best"],
                "median": feasibility["median"],
                "exceeds_history": feasibility["exceeds_history"],
                "status": goal_engine.goal_status(
                    baseline=goal.baseline_value,
                    target=goal.target_value,
                    current=current,
                    direction=direction,
                    date_start=goal.date_start,
                    deadline=goal.deadline,
                    today=today,
                    draft=goal.status == "draft",
                    at_risk_margin=goal.at_risk_margin,
                    off_track_margin=goal.off_track_margin,
                    early=goal_engine.early_achievement(
                        additive=goal._is_additive(),
                        denominator=denominator,
                        date_start=goal.date_start,
                        deadline=goal.deadline,
                        today=today,
                    ),
                ),
            }
        return evaluations

    @api.model
    def _dashboard_goals(self, team_id=False, user_id=False):
        """Progress of the goals running in the current company (and team or
        salesperson), for the dashboard's goal strip; read with the user's
        access rights."""
        domain = [
            ("company_id", "=", self.env.company.id),
            ("status", "in", ["on_track", "at_risk", "off_track"]),
        ]
        if team_id:
            domain.append(("team_id", "=", int(team_id)))
        if user_id:
            domain.append(("user_id", "=", int(user_id)))
        colors = {"on_track": "info", "at_risk": "warning", "off_track": "danger"}
        labels = dict(self._fields["status"]._description_selection(self.env))
        return [
            {
                "id": goal.id,
                "name": goal.name,
                "progress": goal.progress,
                "status": goal.status,
                "status_label": labels[goal.status],
                "color": colors[goal.status],
                "kpi_id": goal.kpi_id.id,
                "scope": goal.scope,
                "target_value": goal.target_value,
                "target_text": goal.target_text,
                "current_text": goal.current_text,
                "deadline": format_date(self.env, goal.deadline),
                # a target a period's value can be drawn against: a ratio in
                # the KPI's own unit (a sum's target is for the whole window)
                "is_level": goal.kpi_id.aggregation == "ratio"
                and goal.goal_unit == goal.kpi_id.unit,
            }
            for goal in self.search(domain, order="deadline, id", limit=12)
        ]
