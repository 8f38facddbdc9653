# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.metrics import SCALES, nps_category

FEEDBACK_KINDS = [
    ("nps", "Net Promoter Score"),
    ("ces", "Customer Effort Score"),
]
FEEDBACK_SCALES = [
    ("0_10", "0 to 10"),
    ("1_5", "1 to 5"),
    ("1_7", "1 to 7"),
]
NPS_CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]
# Scales each kind of feedback may use; the first one is the default. The
# lowest and highest score of each scale are engine.metrics.SCALES.
KIND_SCALES = {"nps": ("0_10", "1_5"), "ces": ("1_7",)}


def scale_from_bounds(low, high):
    """Return the scale key whose bounds are exactly (low, high), or None."""
    for scale, bounds in SCALES.items():
        if bounds == (low, high):
            return scale
    return None


def score_fits(kind, scale, score):
    """True when ``scale`` is allowed for ``kind`` and ``score`` lies in it."""
    if scale not in KIND_SCALES.get(kind, ()):
        return False
    low, high = SCALES[scale]
    return low <= score <= high


class CrmKpiFeedback(models.Model):
    """One customer answer to an NPS or CES question.

    Entered by hand, imported from CSV or created from the answers to the
    survey questions marked as NPS / CES (see survey.user_input._mark_done).
    """

    _name = "crm.kpi.feedback"
    _inherit = ["crm.kpi.input.mixin"]
    _kpi_precheck_fields = ("kind", "scale", "score", "date")
    _description = "CRM KPI Customer Feedback"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        string="Commercial Entity",
        store=True,
        index=True,
    )
    date = fields.Date(required=True, index=True, default=fields.Date.context_today)
    kind = fields.Selection(FEEDBACK_KINDS, required=True, default="nps")
    score = fields.Integer(required=True, aggregator="avg")
    scale = fields.Selection(
        FEEDBACK_SCALES,
        compute="_compute_scale",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="NPS is asked on 0-10 (or 1-5), CES on 1-7 (7 = easiest).",
    )
    category = fields.Selection(
        NPS_CATEGORIES,
        string="NPS Category",
        compute="_compute_category",
        store=True,
        help="NPS only: on 0-10, 9-10 are promoters and 0-6 detractors; "
        "on 1-5, 4-5 are promoters and 1-2 detractors.",
    )
    comment = fields.Text()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    res_model = fields.Char(
        string="Source Model",
        index="btree_not_null",
        help="Technical name of the model of the source document, e.g. survey.user_input.",
    )
    res_id = fields.Many2oneReference(
        string="Source ID", model_field="res_model", help="Id of the source document."
    )
    survey_answer_id = fields.Many2one(
        "survey.user_input.line",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
    )

    _kind_scale = models.Constraint(
        "CHECK ((kind = 'nps' AND scale IN ('0_10', '1_5')) OR (kind = 'ces' AND scale = '1_7'))",
        "NPS is scored on 0-10 or 1-5, CES on 1-7.",
    )
    _score_in_scale = models.Constraint(
        "CHECK ((scale = '0_10' AND score BETWEEN 0 AND 10)"
        " OR (scale = '1_5' AND score BETWEEN 1 AND 5)"
        " OR (scale = '1_7' AND score BETWEEN 1 AND 7))",
        "The score must lie within its scale.",
    )
    _survey_answer_unique = models.Constraint(
        "UNIQUE (survey_answer_id)",
        "This survey answer has already been recorded as feedback.",
    )

    @api.depends("kind")
    def _compute_scale(self):
        for feedback in self:
            allowed = KIND_SCALES.get(feedback.kind, ())
            if allowed and feedback.scale not in allowed:
                feedback.scale = allowed[0]
            else:
                feedback.scale = feedback.scale

    @api.depends("kind", "scale", "score")
    def _compute_category(self):
        for feedback in self:
            category = False
            if feedback.kind == "nps" and score_fits("nps", feedback.scale, feedback.score):
                category = nps_category(feedback.score, feedback.scale)
            feedback.category = category

    @api.constrains("kind", "scale", "score")
    def _check_score(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        scales = dict(self._fields["scale"]._description_selection(self.env))
        for feedback in self:
            allowed = KIND_SCALES.get(feedback.kind, ())
            if feedback.scale not in allowed:
                raise ValidationError(
                    self.env._(
                        "%(kind)s cannot be scored on %(scale)s; allowed scales: %(allowed)s.",
                        kind=kinds.get(feedback.kind, feedback.kind),
                        allowed=", ".join(scales[s] for s in allowed),
                        scale=scales.get(feedback.scale, feedback.scale),
                    )
                )
            if not score_fits(feedback.kind, feedback.scale, feedback.score):
                raise ValidationError(
                    self.env._(
                        "The score %(score)s of %(partner)s on %(date)s is outside "
                        "its scale (%(scale)s).",
                        score=feedback.score,
                        partner=feedback.partner_id.display_name,
                        date=feedback.date,
                        scale=scales[feedback.scale],
                    )
                )

    @api.constrains("res_model", "res_id")
    def _check_source(self):
        for feedback in self:
            if feedback.res_id and not feedback.res_model:
                raise ValidationError(
                    self.env._("A source document needs its model, not only its id.")
                )
            if feedback.res_model and feedback.res_model not in self.env:
                raise ValidationError(
                    self.env._(
                        "The source model %(model)s does not exist.",
                        model=feedback.res_model,
                    )
                )

    def _kpi_precheck(self):
        self._check_score()

    def action_open_source(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "target": "current",
        }
