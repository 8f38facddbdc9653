# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import fields, models

from .crm_kpi_feedback import score_fits

_logger = logging.getLogger(__name__)


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    def _mark_done(self):
        result = super()._mark_done()
        self._kpi_create_feedback()
        return result

    def _kpi_get_feedback_lines(self):
        """Answer lines of these participations that become feedback: scale
        answers to a question marked NPS or CES, given by a known partner
        (anonymous answers and test entries are left out)."""
        user_inputs = self.filtered(
            lambda user_input: user_input.state == "done"
            and user_input.partner_id
            and not user_input.test_entry
        )
        return user_inputs.user_input_line_ids.filtered(
            lambda line: not line.skipped
            and line.answer_type == "scale"
            and line.question_id.kpi_feedback_kind
        )

    def _kpi_prepare_feedback_vals(self, line):
        user_input = line.user_input_id
        partner = user_input.partner_id
        question = line.question_id
        return {
            "partner_id": partner.id,
            "date": fields.Date.context_today(self, user_input.end_datetime),
            "kind": question.kpi_feedback_kind,
            "scale": question.kpi_feedback_scale,
            "score": line.value_scale,
            "company_id": partner.company_id.id or self.env.company.id,
            "res_model": user_input._name,
            "res_id": user_input.id,
            "survey_answer_id": line.id,
        }

    def _kpi_create_feedback(self):
        """Create the NPS / CES feedback of completed participations, once per
        answer line; return the created feedback records."""
        Feedback = self.env["crm.kpi.feedback"].sudo()
        lines = self.sudo()._kpi_get_feedback_lines()
        if not lines:
            return Feedback
        recorded = Feedback.search([("survey_answer_id", "in", lines.ids)]).survey_answer_id
        vals_list = []
        for line in lines - recorded:
            question = line.question_id
            kind, scale = question.kpi_feedback_kind, question.kpi_feedback_scale
            if not score_fits(kind, scale, line.value_scale):
                _logger.warning(
                    "Survey answer %s: score %s does not fit the %s scale of question %s; "
                    "not recorded as feedback.",
                    line.id,
                    line.value_scale,
                    scale,
                    question.id,
                )
                continue
            vals_list.append(self._kpi_prepare_feedback_vals(line))
        return Feedback.create(vals_list)
