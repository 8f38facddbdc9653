# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""SMART goals on KPIs: fields, constraints, create/write, actions and the
scheduled action.

Their evaluation (value, progress, forecast, status, feasibility) is in
``crm_kpi_goal_evaluation.py``, who may own and edit them in
``crm_kpi_goal_rights.py``."""

import logging
import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import split_every

from ..engine import goals as goal_engine
from ..engine.periods import MAX_PERIODS, count_periods, period_of
from .crm_kpi_definition import UNITS
from .crm_kpi_input_mixin import check_numbers
from .crm_kpi_snapshot import PERIOD_TYPE_SELECTION

_logger = logging.getLogger(__name__)

SCOPE_SELECTION = [
    ("company", "Company"),
    ("team", "Sales Team"),
    ("user", "Salesperson"),
]
STATUS_SELECTION = [
    ("draft", "Draft"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("off_track", "Off Track"),
    ("achieved", "Achieved"),
    ("missed", "Missed"),
]
assert tuple(key for key, _label in STATUS_SELECTION) == goal_engine.GOAL_STATUSES

# Statuses that earn the responsible a to-do activity.
ALERT_STATUSES = ("at_risk", "off_track")
# Number of comparable past windows read for the feasibility hint.
HISTORY_WINDOWS = 8
# How wide each scope is, for the parent check: a parent is strictly wider.
SCOPE_WIDTH = {"user": 0, "team": 1, "company": 2}
# Fields that say whose goal it is: only KPI Managers change them once started.
OWNER_FIELDS = ("scope", "company_id", "team_id", "user_id")
# Context key set by create() and write() for KPI Users: _check_owner_rights
# then checks the values written (constraints run before the record rules).
OWNER_CHECK_KEY = "crm_kpi_goal_check_owner"


class CrmKpiGoal(models.Model):
    """A SMART goal: move one KPI, for one scope, from a baseline to a target
    by a deadline.

    The goal is evaluated from the snapshots of its KPI (period type
    ``period_type``) for its scope's dimension, rolled up over the periods
    meeting ``[date_start, deadline]`` with ``engine.rollup`` (Σnumerator /
    Σdenominator for ratios); progress, pace, forecast, status and
    feasibility come from ``engine.goals``. A goal on ``quota`` measures the
    revenue won (the snapshots' numerator) against a target that is the
    quota amount.
    """

    _name = "crm.kpi.goal"
    _description = "CRM KPI Goal"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "deadline desc, id desc"
    _check_company_auto = True

    # Specific
    name = fields.Char(string="Goal", required=True, tracking=True, help="What, specifically.")
    description = fields.Text(help="What exactly is to change, for whom, and how it is measured.")
    active = fields.Boolean(default=True)
    scope = fields.Selection(SCOPE_SELECTION, required=True, default="company", tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", check_company=True, index="btree_not_null", tracking=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        check_company=True,
        index="btree_not_null",
        tracking=True,
        domain="[('share', '=', False)]",
    )
    source_id = fields.Many2one("utm.source")
    medium_id = fields.Many2one("utm.medium")
    campaign_id = fields.Many2one("utm.campaign")
    responsible_id = fields.Many2one(
        "res.users",
        compute="_compute_responsible_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        tracking=True,
        domain="[('share', '=', False)]",
        help="Gets an activity when the goal turns at risk or off track.",
    )
    # Measurable
    kpi_id = fields.Many2one(
        "crm.kpi.definition",
        string="KPI",
        required=True,
        ondelete="restrict",
        index=True,
        tracking=True,
    )
    kpi_code = fields.Char(related="kpi_id.code", store=True, index=True, string="KPI Code")
    kpi_unit = fields.Selection(related="kpi_id.unit", string="KPI Unit")
    goal_unit = fields.Selection(
        UNITS,
        compute="_compute_goal_unit",
        string="Unit",
        help="Unit of the baseline, target and values: the KPI's, or the "
        "company currency for goals on an amount (a quota).",
    )
    current_text = fields.Char(compute="_compute_evaluation", string="Current")
    target_text = fields.Char(compute="_compute_evaluation", string="Target")
    baseline_text = fields.Char(compute="_compute_evaluation", string="Baseline")
    forecast_text = fields.Char(compute="_compute_evaluation", string="Forecast")
    direction = fields.Selection(related="kpi_id.direction", store=True)
    period_type = fields.Selection(
        PERIOD_TYPE_SELECTION,
        required=True,
        default="month",
        help="Granularity of the snapshots the goal is evaluated from.",
    )
    baseline_from_history = fields.Boolean(
        string="Baseline from History",
        default=True,
        help="Capture the baseline from the KPI's snapshots when the goal is "
        "started: the value over the window of the same length just before the "
        "start (0 for sum KPIs and quotas, which count from the start).",
    )
    baseline_value = fields.Float(digits=(16, 4), tracking=True, help="KPI value at the start.")
    target_value = fields.Float(
        digits=(16, 4),
        required=True,
        tracking=True,
        help="Value to reach by the deadline. For a Quota Attainment goal: the "
        "revenue to win (the quota).",
    )
    current_value = fields.Float(compute="_compute_evaluation", digits=(16, 4))
    has_current_value = fields.Boolean(compute="_compute_evaluation")
    progress = fields.Float(
        compute="_compute_evaluation", help="Share of the way from baseline to target, in %."
    )
    expected_progress = fields.Float(
        compute="_compute_evaluation", help="Progress expected today at a linear pace, in %."
    )
    forecast_value = fields.Float(
        compute="_compute_evaluation",
        digits=(16, 4),
        string="Forecast at Deadline",
        help="Linear trend of the goal's value over the elapsed periods, at the "
        "deadline; none before a quarter of the goal's window has elapsed.",
    )
    has_forecast = fields.Boolean(compute="_compute_evaluation")
    # Achievable
    plan = fields.Text(help="How the target will be reached: actions, resources.")
    feasibility_best = fields.Float(
        compute="_compute_evaluation",
        digits=(16, 4),
        string="Best in History",
        help="Best value reached over comparable past windows (same number of periods).",
    )
    feasibility_median = fields.Float(
        compute="_compute_evaluation", digits=(16, 4), string="Median in History"
    )
    feasibility_warning = fields.Boolean(
        compute="_compute_evaluation",
        string="Beyond History",
        help="The target is more than 50 % beyond the best value of the past windows.",
    )
    # Relevant
    why = fields.Text(help="Why this goal matters now; the strategy it serves.")
    parent_id = fields.Many2one(
        "crm.kpi.goal",
        string="Contributes to",
        index="btree_not_null",
        check_company=True,
        ondelete="set null",
        help="The wider goal (team or company) this one rolls up to.",
    )
    child_ids = fields.One2many("crm.kpi.goal", "parent_id", string="Contributing Goals")
    # Time-bound
    date_start = fields.Date(
        string="Start", required=True, default=fields.Date.context_today, tracking=True
    )
    deadline = fields.Date(required=True, tracking=True, help="Last day of the goal (included).")
    review_cadence = fields.Selection(
        [("weekly", "Weekly"), ("monthly", "Monthly"), ("quarterly", "Quarterly")],
        default="monthly",
        required=True,
    )
    # Status
    status = fields.Selection(
        STATUS_SELECTION,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    at_risk_margin = fields.Float(
        default=goal_engine.AT_RISK_MARGIN,
        help="At risk when progress lags the expected pace by more than this many points.",
    )
    off_track_margin = fields.Float(
        default=goal_engine.OFF_TRACK_MARGIN,
        help="Off track when progress lags the expected pace by more than this many points.",
    )
    last_notified_status = fields.Selection(
        STATUS_SELECTION,
        readonly=True,
        copy=False,
        help="Status the responsible last got an activity for; no second one while it lasts.",
    )
    is_this_quarter = fields.Boolean(
        compute="_compute_is_this_quarter", search="_search_is_this_quarter"
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("scope", "user_id")
    def _compute_responsible_id(self):
        for goal in self:
            if goal.scope == "user" and goal.user_id:
                goal.responsible_id = goal.user_id
            elif not goal.responsible_id:
                goal.responsible_id = self.env.user

    @api.depends("kpi_id.unit", "kpi_id.code")
    def _compute_goal_unit(self):
        engine = self.env["crm.kpi.engine"]
        for goal in self:
            goal.goal_unit = (
                "currency"
                if goal.kpi_id and engine._goal_is_amount(goal.kpi_code)
                else goal.kpi_id.unit
            )

    @api.depends("date_start", "deadline")
    def _compute_is_this_quarter(self):
        quarter = period_of("quarter", fields.Date.context_today(self))
        for goal in self:
            goal.is_this_quarter = bool(
                goal.date_start
                and goal.deadline
                and goal.date_start < quarter.date_end
                and goal.deadline >= quarter.date_start
            )

    def _search_is_this_quarter(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        quarter = period_of("quarter", fields.Date.context_today(self))
        domain = Domain("date_start", "<", quarter.date_end) & Domain(
            "deadline", ">=", quarter.date_start
        )
        return domain if (operator == "=") == bool(value) else ~domain

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("date_start", "deadline")
    def _check_dates(self):
        for goal in self:
            if goal.deadline <= goal.date_start:
                raise ValidationError(
                    self.env._(
                        "The deadline of goal %(goal)s (%(deadline)s) must be after its "
                        "start (%(start)s).",
                        goal=goal.name,
                        deadline=goal.deadline,
                        start=goal.date_start,
                    )
                )

    @api.constrains("period_type", "date_start", "deadline")
    def _check_window(self):
        """At most MAX_PERIODS periods from the start to the deadline: the
        goal is evaluated from that many snapshots (and its history from
        eight times as many)."""
        labels = dict(self._fields["period_type"]._description_selection(self.env))
        for goal in self:
            if goal.deadline <= goal.date_start:
                continue  # _check_dates
            count = count_periods(goal.period_type, goal.date_start, goal.deadline)
            if count > MAX_PERIODS:
                raise ValidationError(
                    self.env._(
                        "Goal %(goal)s spans %(count)s periods (%(type)s) from %(start)s to "
                        "%(deadline)s; at most %(max)s: choose a nearer deadline or a longer "
                        "period type.",
                        goal=goal.name,
                        count=count,
                        type=labels[goal.period_type],
                        start=goal.date_start,
                        deadline=goal.deadline,
                        max=MAX_PERIODS,
                    )
                )

    @api.constrains("baseline_value", "target_value")
    def _check_finite(self):
        for goal in self:
            for fname in ("baseline_value", "target_value"):
                if not math.isfinite(goal[fname]):
                    raise ValidationError(
                        self.env._(
                            "Goal %(goal)s: %(field)s must be a finite number, not %(value)s.",
                            goal=goal.name,
                            field=self._fields[fname]._description_string(self.env),
                            value=goal[fname],
                        )
                    )

    @api.constrains("baseline_value", "target_value", "kpi_id", "status", "baseline_from_history")
    def _check_target(self):
        for goal in self:
            if goal.status == "draft" and goal.baseline_from_history:
                continue  # the baseline is captured when the goal starts
            baseline, target = goal.baseline_value, goal.target_value
            if target == baseline:
                raise ValidationError(
                    self.env._(
                        "The target of goal %(goal)s must differ from its baseline (%(baseline)s).",
                        goal=goal.name,
                        baseline=baseline,
                    )
                )
            if goal.kpi_id.direction == "higher" and target < baseline:
                raise ValidationError(
                    self.env._(
                        "%(kpi)s is better when higher: the target of goal %(goal)s "
                        "(%(target)s) must be above its baseline (%(baseline)s).",
                        kpi=goal.kpi_id.name,
                        goal=goal.name,
                        target=target,
                        baseline=baseline,
                    )
                )
            if goal.kpi_id.direction == "lower" and target > baseline:
                raise ValidationError(
                    self.env._(
                        "%(kpi)s is better when lower: the target of goal %(goal)s "
                        "(%(target)s) must be below its baseline (%(baseline)s).",
                        kpi=goal.kpi_id.name,
                        goal=goal.name,
                        target=target,
                        baseline=baseline,
                    )
                )

    @api.constrains(
        "scope", "team_id", "user_id", "source_id", "medium_id", "campaign_id", "kpi_id"
    )
    def _check_scope(self):
        scope_labels = dict(self._fields["scope"]._description_selection(self.env))
        dimensions = self.env["crm.kpi.snapshot"]._kpi_dimensions()
        filters = self._goal_filters()

        def allows(definition, dimension):
            allowed_by = dimensions[dimension]["allowed_by"]
            return not allowed_by or definition[allowed_by]

        for goal in self:
            expected = {"company": (False, False), "team": (True, False), "user": (False, True)}
            if (bool(goal.team_id), bool(goal.user_id)) != expected[goal.scope]:
                raise ValidationError(
                    self.env._(
                        "Goal %(goal)s has scope %(scope)s: set exactly the sales team for a "
                        "team goal, exactly the salesperson for a salesperson goal, and "
                        "neither for a company goal.",
                        goal=goal.name,
                        scope=scope_labels[goal.scope],
                    )
                )
            if not allows(goal.kpi_id, goal.scope):
                raise ValidationError(
                    self.env._(
                        "KPI %(kpi)s is not computed per %(scope)s: goal %(goal)s cannot use "
                        "that scope.",
                        kpi=goal.kpi_id.name,
                        scope=scope_labels[goal.scope],
                        goal=goal.name,
                    )
                )
            utm = [dim for dim, fname in filters.items() if goal[fname]]
            if utm and (goal.scope != "company" or len(utm) > 1 or not allows(goal.kpi_id, utm[0])):
                raise ValidationError(
                    self.env._(
                        "Goal %(goal)s: a marketing filter (one source, medium or campaign) "
                        "is only possible on a company goal whose KPI is split by marketing "
                        "source.",
                        goal=goal.name,
                    )
                )

    @api.constrains("at_risk_margin", "off_track_margin")
    def _check_margins(self):
        for goal in self:
            if not 0 <= goal.at_risk_margin <= goal.off_track_margin <= 100:
                raise ValidationError(
                    self.env._(
                        "Goal %(goal)s: the margins must satisfy 0 ≤ at-risk margin "
                        "(%(at_risk)s) ≤ off-track margin (%(off_track)s) ≤ 100.",
                        goal=goal.name,
                        at_risk=goal.at_risk_margin,
                        off_track=goal.off_track_margin,
                    )
                )

    @api.constrains("parent_id", "scope")
    def _check_parent_id(self):
        if self._has_cycle():
            raise ValidationError(self.env._("A goal cannot contribute to itself."))
        for goal in self:
            links = [(goal, goal.parent_id)] if goal.parent_id else []
            links += [(child, goal) for child in goal.child_ids]
            for child, parent in links:
                if SCOPE_WIDTH[parent.scope] <= SCOPE_WIDTH[child.scope]:
                    raise ValidationError(
                        self.env._(
                            "Goal %(goal)s can only contribute to a wider goal (a salesperson "
                            "goal to a team or company goal, a team goal to a company goal), "
                            "not to %(parent)s.",
                            goal=child.name,
                            parent=parent.name,
                        )
                    )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        manager = self._is_kpi_manager()
        for vals in vals_list:
            check_numbers(self, vals)
            if not manager:
                self._check_manager_only_fields(vals)
            # A baseline given explicitly (0 included) is kept; an absent one is captured.
            baseline = vals.get("baseline_value")
            vals.setdefault("baseline_from_history", baseline is None or baseline is False)
        if manager:
            return super().create(vals_list)
        goals = super(CrmKpiGoal, self.with_context(**{OWNER_CHECK_KEY: True})).create(vals_list)
        # also catches a status passed as a context default
        if any(goal.status != "draft" or goal.last_notified_status for goal in goals):
            raise AccessError(
                self.env._("Only KPI Managers can create a goal that is already started.")
            )
        return goals.with_env(self.env)

    def write(self, vals):
        check_numbers(self, vals)
        if self._is_kpi_manager():
            return super().write(vals)
        self._check_manager_only_fields(vals)
        moved = [fname for fname in OWNER_FIELDS if fname in vals]
        for goal in self.filtered(lambda g: g.status != "draft"):
            changed = [fname for fname in moved if goal._value_differs(fname, vals[fname])]
            if changed:
                labels = ", ".join(
                    goal._fields[fname].get_description(self.env)["string"] for fname in changed
                )
                raise AccessError(
                    self.env._(
                        "Goal %(goal)s is started: only a KPI Manager can change its "
                        "%(fields)s. Ask one to reset it to draft first.",
                        goal=goal.name,
                        fields=labels,
                    )
                )
        return super(CrmKpiGoal, self.with_context(**{OWNER_CHECK_KEY: True})).write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_start(self):
        """Start draft goals: capture the baseline when it comes from the
        history, then evaluate their status. Whoever may edit a goal may
        start it; the status itself is written as superuser."""
        self.check_access("write")
        drafts = self.filtered(lambda g: g.status == "draft")
        drafts._compute_missing_snapshots(history=True)
        for goal in drafts.filtered("baseline_from_history"):
            baseline = goal._history_baseline()
            if baseline is None:
                raise UserError(
                    self.env._(
                        "Goal %(goal)s: %(kpi)s has no value in the window before %(start)s. "
                        "Compute its snapshots for that window, or enter the baseline.",
                        goal=goal.name,
                        kpi=goal.kpi_id.name,
                        start=goal.date_start,
                    )
                )
            goal.baseline_value = baseline
        # Leave draft first, so that the constraints check the baseline.
        drafts.sudo().write({"status": "on_track"})
        # a started quota goal is the quota of its salesperson: computed now
        drafts._compute_missing_snapshots()
        drafts._update_status()
        return True

    def action_draft(self):
        """Reset goals to draft: KPI Managers only, as it lets the scope,
        the salesperson or the team of a started goal change."""
        if not self._is_kpi_manager():
            raise AccessError(self.env._("Only KPI Managers can reset a goal to draft."))
        self.write({"status": "draft", "last_notified_status": False})
        return True

    def action_update_status(self):
        self.check_access("write")
        self.filtered(lambda g: g.status != "draft")._update_status()
        return True

    def action_view_snapshots(self):
        """The KPI's snapshots of the goal's scope over the goal window (graph first)."""
        self.ensure_one()
        periods = self._goal_periods()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_kpi.crm_kpi_snapshot_action")
        action.update(
            {
                "name": self.env._("%(kpi)s: %(goal)s", kpi=self.kpi_id.name, goal=self.name),
                "view_mode": "graph,list,pivot",
                "views": [(False, "graph"), (False, "list"), (False, "pivot")],
                "domain": list(
                    self._snapshot_domain(periods[0].date_start, periods[-1].date_start)
                ),
                "context": {"graph_measure": "value", "graph_mode": "line"},
            }
        )
        return action

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    @api.model
    def _cron_update_goals(self, batch_size=100):
        """Evaluate every started goal that is still running (or whose
        deadline is today or later), notify the responsibles of goals that
        turned at risk or off track, and close the goals past their deadline
        as achieved or missed. Progress is committed per batch; a goal that
        fails is logged and skipped."""
        today = fields.Date.context_today(self)
        goals = self.search(
            Domain("status", "in", ("on_track", "at_risk", "off_track"))
            | (Domain("status", "in", ("achieved", "missed")) & Domain("deadline", ">=", today))
        )
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(goals))
        for ids in split_every(batch_size, goals.ids):
            batch = self.browse(ids)
            try:
                evaluations = batch._evaluate(today)
            except Exception:  # noqa: BLE001 -- evaluate one by one to isolate the failure
                _logger.exception("Goal batch evaluation failed; evaluating one by one")
                evaluations = {}
            for goal in batch:
                try:
                    with self.env.cr.savepoint():
                        goal._update_status(today, evaluations.get(goal))
                except Exception:  # noqa: BLE001 -- isolate one goal's failure
                    _logger.exception("Goal %s (id %s) could not be updated", goal.name, goal.id)
            if cron._commit_progress(len(ids)) <= 0:
                break
