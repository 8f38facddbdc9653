# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.board import threshold_state
from .crm_kpi_input_mixin import check_numbers
from .res_company import KPI_SETTING_BOUNDS

UNITS = [
    ("percent", "Percent"),
    ("currency", "Currency"),
    ("days", "Days"),
    ("hours", "Hours"),
    ("count", "Count"),
    ("score", "Score"),
    ("months", "Months"),
    ("ratio", "Ratio"),
]

AREAS = [
    ("acquisition", "Acquisition"),
    ("sales", "Sales"),
    ("retention", "Retention"),
    ("revenue", "Revenue"),
    ("satisfaction", "Satisfaction"),
    ("marketing", "Marketing"),
    ("adoption", "CRM adoption"),
    ("data", "Data health"),
]


# What a KPI is (how it is computed, read and split): fixed by its code and
# the catalog data, never edited by users.
LOCKED_FIELDS = (
    "area",
    "unit",
    "direction",
    "aggregation",
    "factor",
    "allow_team",
    "allow_user",
    "allow_utm",
    "allow_stage",
    "required_model",
)

# The per-KPI overrides of the company's anomaly settings (0: the company's)
# and the company setting each overrides; editable by KPI Managers.
ANOMALY_OVERRIDES = {
    "anomaly_k": "kpi_anomaly_k",
    "anomaly_periods": "kpi_anomaly_periods",
    "anomaly_min_history": "kpi_anomaly_min_history",
}


class CrmKpiDefinition(models.Model):
    """One KPI of the catalog: what it measures, how, and how to read it.

    The catalog ships as data (one record per KPI code); managers may tune
    names, descriptions, thresholds, the anomaly settings, the order and the
    active flag, nothing
    else (see ``LOCKED_FIELDS``); a new definition needs its gatherer.
    """

    _name = "crm.kpi.definition"
    _description = "CRM KPI Definition"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        index=True,
        help="Technical key of the KPI, used by snapshots, goals and exports.",
    )
    sequence = fields.Integer(default=10, aggregator=None)
    active = fields.Boolean(default=True)
    area = fields.Selection(AREAS, required=True, default="sales")
    description = fields.Text(translate=True, help="What the KPI measures and its formula.")
    unit = fields.Selection(UNITS, required=True, default="count")
    direction = fields.Selection(
        [("higher", "Higher is better"), ("lower", "Lower is better")],
        required=True,
        default="higher",
    )
    aggregation = fields.Selection(
        [
            ("ratio", "Ratio (sum of numerators / sum of denominators)"),
            ("sum", "Sum"),
        ],
        required=True,
        default="ratio",
        help="How values of several teams or periods combine: a ratio is "
        "recomputed from the summed numerators and denominators, never "
        "averaged.",
    )
    time_aggregation = fields.Selection(
        [
            ("rollup", "Roll-up of the periods"),
            ("last", "Last period's value"),
        ],
        string="Over Time",
        compute="_compute_time_aggregation",
        store=True,
        help="How values of several periods combine (a goal's window, a pivot "
        "over months): a roll-up like the teams', or, for a level at the "
        "period's end (MRR, active customers, open pipeline), the value of "
        "the last period.",
    )
    factor = fields.Float(
        default=1.0,
        aggregator=None,
        help="Multiplier applied to numerator / denominator (100 for percentages).",
    )
    allow_team = fields.Boolean(string="By Sales Team")
    allow_user = fields.Boolean(string="By Salesperson")
    allow_utm = fields.Boolean(
        string="By Marketing Source",
        help="Can be split by UTM source, medium and campaign.",
    )
    allow_stage = fields.Boolean(string="By Pipeline Stage")
    warning_threshold = fields.Float(
        aggregator=None,
        help="Value from which the KPI is shown as a warning (amber). Below it "
        "for a higher-is-better KPI, above it for a lower-is-better one.",
    )
    critical_threshold = fields.Float(
        aggregator=None, help="Value from which the KPI is shown as critical (red)."
    )
    use_thresholds = fields.Boolean(
        string="Colour by Thresholds",
        help="Without thresholds, values are shown without colour.",
    )
    anomaly_k = fields.Float(
        string="Anomaly Band Width (k)",
        aggregator=None,
        help="Overrides the company setting for this KPI: a final value is an anomaly "
        "outside median ± k × MAD of its own history. 0: the company setting.",
    )
    anomaly_periods = fields.Integer(
        string="Anomaly History (periods)",
        aggregator=None,
        help="Overrides the company setting: how many previous periods the band is "
        "computed from. 0: the company setting.",
    )
    anomaly_min_history = fields.Integer(
        string="Anomaly Minimum History (periods)",
        aggregator=None,
        help="Overrides the company setting: no anomaly with fewer past values. "
        "0: the company setting.",
    )
    required_model = fields.Char(
        help="Technical name of a model that must be installed for this KPI "
        "to be offered (e.g. helpdesk.ticket)."
    )
    is_available = fields.Boolean(
        compute="_compute_is_available",
        help="False when a model this KPI needs is not installed.",
    )

    _code_unique = models.Constraint("UNIQUE (code)", "Each KPI code can be defined only once.")

    @api.depends("code")
    def _compute_time_aggregation(self):
        stocks = self.env["crm.kpi.engine"]._last_value_kpis()
        for definition in self:
            definition.time_aggregation = "last" if definition.code in stocks else "rollup"

    @api.depends("required_model")
    def _compute_is_available(self):
        for definition in self:
            definition.is_available = (
                not definition.required_model or definition.required_model in self.env
            )

    @api.constrains("use_thresholds", "direction", "warning_threshold", "critical_threshold")
    def _check_thresholds(self):
        for definition in self.filtered("use_thresholds"):
            warning = definition.warning_threshold
            critical = definition.critical_threshold
            if definition.direction == "higher" and critical > warning:
                raise ValidationError(
                    self.env._(
                        "KPI %(kpi)s is better when higher: its critical threshold "
                        "(%(critical)s) cannot be above its warning threshold "
                        "(%(warning)s).",
                        kpi=definition.name,
                        critical=critical,
                        warning=warning,
                    )
                )
            if definition.direction == "lower" and critical < warning:
                raise ValidationError(
                    self.env._(
                        "KPI %(kpi)s is better when lower: its critical threshold "
                        "(%(critical)s) cannot be below its warning threshold "
                        "(%(warning)s).",
                        kpi=definition.name,
                        critical=critical,
                        warning=warning,
                    )
                )

    @api.constrains(*ANOMALY_OVERRIDES)
    def _check_anomaly_overrides(self):
        for definition in self:
            for fname, setting in ANOMALY_OVERRIDES.items():
                if definition[fname]:
                    low, high = KPI_SETTING_BOUNDS[setting]
                    if not low <= definition[fname] <= high:
                        raise ValidationError(
                            self.env._(
                                "%(field)s of KPI %(kpi)s must be 0 (the company setting) or lie "
                                "between %(min)s and %(max)s, not %(value)s.",
                                field=self._fields[fname]._description_string(self.env),
                                kpi=definition.name,
                                min=low,
                                max=high,
                                value=definition[fname],
                            )
                        )
            minimum, periods = definition.anomaly_min_history, definition.anomaly_periods
            if minimum and periods and minimum > periods:
                raise ValidationError(
                    self.env._(
                        "An anomaly needs at least %(minimum)s past periods, more than the "
                        "%(periods)s periods of history it is judged by.",
                        minimum=minimum,
                        periods=periods,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_numbers(self, vals, ANOMALY_OVERRIDES)
        # A KPI is only as good as the code that computes it: add-ons add
        # definitions in their data files (as superuser) with their gatherer.
        if not self.env.su:
            self.browse().check_access("create")
            engine = self.env["crm.kpi.engine"]
            for vals in vals_list:
                if not engine._has_gatherer(vals.get("code")):
                    raise ValidationError(
                        self.env._(
                            "No KPI can be computed for the code %(code)s: a new KPI "
                            "needs an add-on that computes it.",
                            code=vals.get("code") or "",
                        )
                    )
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, vals, ANOMALY_OVERRIDES)
        if "code" in vals and any(d.code != vals["code"] for d in self):
            raise ValidationError(
                self.env._("The code of a KPI cannot be changed: snapshots and goals refer to it.")
            )
        if not self.env.su:
            locked = [
                name
                for name in LOCKED_FIELDS
                if name in vals
                and any(
                    self._fields[name].convert_to_write(definition[name], definition) != vals[name]
                    for definition in self
                )
            ]
            if locked:
                raise ValidationError(
                    self.env._(
                        "%(fields)s of a KPI cannot be changed: every value already "
                        "computed and every goal depends on them. Only the name, the "
                        "description, the thresholds, the anomaly settings, the sequence "
                        "and the active flag can be changed.",
                        fields=", ".join(
                            self._fields[name].get_description(self.env)["string"]
                            for name in locked
                        ),
                    )
                )
        return super().write(vals)

    def _anomaly_settings(self, company):
        """(k, periods of history, minimum history) of this KPI in
        ``company``: its own overrides, else the company's settings; the
        minimum is at most the periods of history (a history of N periods
        holds at most N values)."""
        self.ensure_one()
        k, periods, minimum = (
            self[fname] or company._kpi_setting(setting)
            for fname, setting in ANOMALY_OVERRIDES.items()
        )
        return k, periods, min(minimum, periods)

    def threshold_state(self, value):
        """Return 'ok', 'warning', 'critical' or 'none' for a value of this KPI."""
        self.ensure_one()
        thresholds = (
            (self.warning_threshold, self.critical_threshold) if self.use_thresholds else None
        )
        return threshold_state(value, self.direction, thresholds)
