# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_kpi_feedback import FEEDBACK_KINDS, FEEDBACK_SCALES, KIND_SCALES, scale_from_bounds


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    kpi_feedback_kind = fields.Selection(
        FEEDBACK_KINDS,
        string="KPI Feedback",
        help="Answers to this scale question are recorded as NPS or CES feedback "
        "of the participant when the survey is completed. NPS needs a 0-10 or "
        "1-5 scale, CES a 1-7 scale.",
    )
    kpi_feedback_scale = fields.Selection(
        FEEDBACK_SCALES,
        string="KPI Feedback Scale",
        compute="_compute_kpi_feedback_scale",
        help="Feedback scale matching the question's minimum and maximum values.",
    )

    @api.depends("question_type", "scale_min", "scale_max")
    def _compute_kpi_feedback_scale(self):
        for question in self:
            scale = None
            if question.question_type == "scale":
                scale = scale_from_bounds(question.scale_min, question.scale_max)
            question.kpi_feedback_scale = scale or False

    @api.constrains("kpi_feedback_kind", "question_type", "scale_min", "scale_max")
    def _check_kpi_feedback_kind(self):
        kinds = dict(self._fields["kpi_feedback_kind"]._description_selection(self.env))
        scales = dict(self._fields["kpi_feedback_scale"]._description_selection(self.env))
        for question in self.filtered("kpi_feedback_kind"):
            if question.question_type != "scale":
                raise ValidationError(
                    self.env._(
                        "Only a Scale question can be the %(kind)s question (%(question)s).",
                        kind=kinds[question.kpi_feedback_kind],
                        question=question.title,
                    )
                )
            allowed = KIND_SCALES[question.kpi_feedback_kind]
            if question.kpi_feedback_scale not in allowed:
                raise ValidationError(
                    self.env._(
                        "Question %(question)s goes from %(min)s to %(max)s: as the %(kind)s "
                        "question its scale must be %(allowed)s.",
                        question=question.title,
                        min=question.scale_min,
                        max=question.scale_max,
                        kind=kinds[question.kpi_feedback_kind],
                        allowed=", ".join(scales[s] for s in allowed),
                    )
                )
