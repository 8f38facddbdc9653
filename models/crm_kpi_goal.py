import logging
import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date, split_every

from ..engine import goals as goal_engine
from ..engine.metrics import KpiValue
from ..engine.periods import MAX_PERIODS, count_periods, period_of, periods_between
from ..engine.rollup import rollup_periods
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
    source_id = fields.Many2one("utm.source", string="Source")
    medium_id = fields.Many2one("utm.medium", string="Medium")
    campaign_id = fields.Many2one("utm.campaign", string="Campaign")
    responsible_id = fields.Many2one(
        "res.users",
        string="Responsible",
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
    why = fields.Text(string="Why", help="Why this goal matters now; the strategy it serves.")
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

    @api.depends(
        "kpi_id", "scope", "company_id", "team_id", "user_id", "source_id", "medium_id",
        "campaign_id", "period_type", "date_start", "deadline", "baseline_value",
        "target_value", "status", "at_risk_margin", "off_track_margin",
    )
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
                text(evaluation["forecast"]) if evaluation.get("forecast") is not None
                else self.env._("Too early")
            )

    @api.depends("kpi_id.unit", "kpi_id.code")
    def _compute_goal_unit(self):
        engine = self.env["crm.kpi.engine"]
        for goal in self:
            goal.goal_unit = (
                "currency" if goal.kpi_id and engine._goal_is_amount(goal.kpi_code)
                else goal.kpi_id.unit
            )

    @api.depends("date_start", "deadline")
    def _compute_is_this_quarter(self):
        quarter = period_of("quarter", fields.Date.context_today(self))
        for goal in self:
            goal.is_this_quarter = bool(
                goal.date_start and goal.deadline
                and goal.date_start < quarter.date_end and goal.deadline >= quarter.date_start
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

    @api.constrains("scope", "team_id", "user_id", "source_id", "medium_id", "campaign_id", "kpi_id")
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
            if utm and (
                goal.scope != "company" or len(utm) > 1
                or not allows(goal.kpi_id, utm[0])
            ):
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

    @api.constrains("scope", "company_id", "team_id", "user_id", "responsible_id")
    def _check_owner_rights(self):
        """A KPI User owns only their own salesperson goals (as salesperson
        and responsible) and the goals of the sales teams they lead; a KPI
        Manager any goal. Checked on what a KPI User creates or writes
        (``create`` and ``write`` set OWNER_CHECK_KEY), before the record
        rules, which say the same but not why."""
        if not self.env.context.get(OWNER_CHECK_KEY):
            return
        user = self.env.user
        expected = {"company": (False, False), "team": (True, False), "user": (False, True)}
        for goal in self:
            if (bool(goal.team_id), bool(goal.user_id)) != expected[goal.scope]:
                continue  # _check_scope explains it
            if goal.scope == "user" and goal.user_id == user and goal.responsible_id == user:
                continue
            if goal.scope == "team" and goal.team_id.user_id == user:
                continue
            raise AccessError(
                self.env._(
                    "Goal %(goal)s: you can only create and edit your own salesperson goals "
                    "(with you as salesperson and responsible) and the goals of the sales "
                    "teams you lead. Company goals, and goals for other salespeople or "
                    "teams, are set by KPI Managers.",
                    goal=goal.name,
                )
            )

    @api.constrains("parent_id", "scope", "team_id", "user_id", "responsible_id")
    def _check_parent_access(self):
        """The goal's owner (see ``_goal_owner``) must be able to read the
        goal it contributes to. Named to run before ``_check_parent_id``,
        which reads the parent."""
        for goal in self.filtered("parent_id"):
            owner = goal._goal_owner()
            parent = goal.parent_id.with_user(owner).with_context(
                allowed_company_ids=owner.company_ids.ids
            )
            if not parent.has_access("read"):
                raise ValidationError(
                    self.env._(
                        "Goal %(goal)s cannot contribute to the goal chosen: %(owner)s, "
                        "whose goal it is, cannot read that goal.",
                        goal=goal.name,
                        owner=owner.name,
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
                labels = ", ".join(goal._fields[fname].get_description(self.env)["string"]
                                   for fname in changed)
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
                        goal.period_type, window[0].date_start, window[-1].date_start,
                        kpi_codes=[goal.kpi_code], company_ids=goal.company_id.ids,
                    )

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
        action.update({
            "name": self.env._("%(kpi)s: %(goal)s", kpi=self.kpi_id.name, goal=self.name),
            "view_mode": "graph,list,pivot",
            "views": [(False, "graph"), (False, "list"), (False, "pivot")],
            "domain": list(self._snapshot_domain(periods[0].date_start, periods[-1].date_start)),
            "context": {"graph_measure": "value", "graph_mode": "line"},
        })
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

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _is_kpi_manager(self):
        """Whether the current user may edit any goal and its status: KPI
        Managers, and superuser mode (crons, ``sudo()``)."""
        return self.env.su or self.env.user.has_group("crm_kpi.crm_kpi_group_manager")

    @api.model
    def _get_manager_only_fields(self):
        """Fields only KPI Managers (and superuser mode) write: the status
        and the values computed by the add-on. Intended to be inherited."""
        computed = {
            fname for fname, field in self._fields.items()
            if field.compute and field.readonly and "crm_kpi" in field._modules
        }
        return computed | {"status", "last_notified_status"}

    @api.model
    def _check_manager_only_fields(self, vals):
        forbidden = sorted(set(vals) & self._get_manager_only_fields())
        if forbidden:
            labels = ", ".join(
                self._fields[fname].get_description(self.env)["string"] for fname in forbidden
            )
            raise AccessError(
                self.env._(
                    "Only KPI Managers can set %(fields)s of a goal: the status is set "
                    "by starting the goal and by its evaluation.",
                    fields=labels,
                )
            )

    def _value_differs(self, fname, value):
        """Whether writing ``value`` (as in ``write``) would change ``fname``."""
        self.ensure_one()
        field = self._fields[fname]
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[fname]

    def _goal_owner(self):
        """The user whose goal it is: the salesperson of a salesperson goal,
        the leader of a team goal (else its responsible), the responsible
        of a company goal."""
        self.ensure_one()
        if self.scope == "user" and self.user_id:
            return self.user_id
        if self.scope == "team" and self.team_id.user_id:
            return self.team_id.user_id
        return self.responsible_id

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
        domain = Domain([
            ("kpi_id", "=", self.kpi_id.id),
            ("period_type", "=", self.period_type),
            ("company_id", "=", self.company_id.id),
            ("dimension", "=", dimension),
            ("date_start", ">=", first_start),
            ("date_start", "<=", last_start),
        ])
        if fname:
            domain &= Domain(fname, "=", value)
        return domain

    def _snapshot_pairs(self):
        """{goal: {period start: (numerator, denominator)}} for the goal
        window and its history windows, read in one query."""
        pairs = {goal: {} for goal in self}
        domains, goals_of = [], {}
        for goal in self:
            periods = goal._goal_periods()
            first = goal._history_windows(periods)[-1][0]
            domains.append(goal._snapshot_domain(first.date_start, periods[-1].date_start))
            dimension, _fname, value = goal._scope_dimension()
            key = (goal.kpi_id.id, goal.period_type, goal.company_id.id, dimension, value)
            goals_of.setdefault(key, []).append(goal)
        if not domains:
            return pairs
        Snapshot = self.env["crm.kpi.snapshot"]
        dimension_fields = Snapshot._kpi_dimension_fields()
        snapshot_fields = [
            "kpi_id", "period_type", "company_id", "dimension", *Snapshot._kpi_key_fields(),
            "date_start", "numerator", "denominator",
        ]
        snapshots = Snapshot.sudo().search_fetch(Domain.OR(domains), snapshot_fields)
        for snapshot in snapshots:
            fname = dimension_fields.get(snapshot.dimension)
            key = (
                snapshot.kpi_id.id, snapshot.period_type, snapshot.company_id.id,
                snapshot.dimension, snapshot[fname].id if fname else None,
            )
            for goal in goals_of.get(key, ()):
                pairs[goal][snapshot.date_start] = (snapshot.numerator, snapshot.denominator)
        return pairs

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
            lambda g: g.kpi_id and g.company_id and g.period_type and g.date_start
            and g.deadline and g.deadline > g.date_start
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
                        additive=goal._is_additive(), denominator=denominator,
                        date_start=goal.date_start, deadline=goal.deadline, today=today,
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
                "is_level": goal.kpi_id.aggregation == "ratio" and goal.goal_unit == goal.kpi_id.unit,
            }
            for goal in self.search(domain, order="deadline, id", limit=12)
        ]
