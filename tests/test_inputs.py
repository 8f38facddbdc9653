# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestKpiInputs(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "KPI Company B"})
        cls.Cost = cls.env["crm.kpi.cost"]
        cls.Feedback = cls.env["crm.kpi.feedback"]
        cls.Traffic = cls.env["crm.kpi.traffic"]
        cls.partner = cls.env["res.partner"].create({"name": "Feedback Customer"})
        cls.source = cls.env["utm.source"].create({"name": "KPI Test Fair"})
        cls.kpi_user = new_test_user(
            cls.env, "inputs_kpi_user", groups="crm_kpi.crm_kpi_group_user"
        )
        cls.kpi_manager = new_test_user(
            cls.env, "inputs_kpi_manager", groups="crm_kpi.crm_kpi_group_manager"
        )
        cls.manager_b = new_test_user(
            cls.env,
            "inputs_manager_b",
            groups="crm_kpi.crm_kpi_group_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    def _feedback(self, **vals):
        return self.Feedback.create(
            {"partner_id": self.partner.id, "date": date(2025, 3, 14), **vals}
        )

    # Valid records

    def test_create_valid_records(self):
        cost = self.Cost.create(
            {
                "date": date(2025, 3, 1),
                "amount": 1500.0,
                "category": "acquisition",
                "source_id": self.source.id,
            }
        )
        self.assertEqual(cost.company_id, self.company_a)
        self.assertEqual(cost.currency_id, self.company_a.currency_id)
        traffic = self.Traffic.create(
            {"date": date(2025, 3, 1), "visitors": 420, "landing_page": "/pricing"}
        )
        self.assertEqual(traffic.company_id, self.company_a)
        ces = self._feedback(kind="ces", score=6)
        self.assertEqual(ces.scale, "1_7", "CES defaults to its only scale")
        self.assertFalse(ces.category, "only NPS answers have a category")
        nps = self._feedback(kind="nps", score=0)
        self.assertEqual(nps.scale, "0_10", "NPS defaults to 0-10")
        self.assertEqual(nps.commercial_partner_id, self.partner.commercial_partner_id)

    # Validation

    def _assert_refused(self, model, vals):
        """The values are refused with a ValidationError and nothing is written."""
        count = model.search_count([])
        with self.assertRaises(ValidationError):
            model.create(vals)
        self.assertEqual(model.search_count([]), count)

    def test_negative_amount_is_refused(self):
        self._assert_refused(
            self.Cost, {"date": date(2025, 3, 1), "amount": -1.0, "category": "retention"}
        )
        cost = self.Cost.create({"date": date(2025, 3, 1), "amount": 0.0, "category": "retention"})
        with self.assertRaises(ValidationError):
            cost.amount = -10.0
            cost.flush_recordset()

    def test_negative_visitors_are_refused(self):
        self._assert_refused(self.Traffic, {"date": date(2025, 3, 1), "visitors": -5})
        traffic = self.Traffic.create({"date": date(2025, 3, 1), "visitors": 0})
        with self.assertRaises(ValidationError):
            traffic.visitors = -1
            traffic.flush_recordset()

    def test_out_of_scale_scores_are_refused(self):
        base = {"partner_id": self.partner.id, "date": date(2025, 3, 14)}
        for kind, scale, score in [
            ("nps", "0_10", 11),
            ("nps", "0_10", -1),
            ("nps", "1_5", 0),
            ("nps", "1_5", 6),
            ("ces", "1_7", 0),
            ("ces", "1_7", 8),
        ]:
            with self.subTest(kind=kind, scale=scale, score=score):
                self._assert_refused(self.Feedback, dict(base, kind=kind, scale=scale, score=score))
        feedback = self._feedback(kind="nps", scale="1_5", score=5)
        with self.assertRaises(ValidationError):
            feedback.score = 7
            feedback.flush_recordset()

    def test_wrong_scale_for_kind_is_refused(self):
        base = {"partner_id": self.partner.id, "date": date(2025, 3, 14), "score": 3}
        self._assert_refused(self.Feedback, dict(base, kind="ces", scale="0_10"))
        self._assert_refused(self.Feedback, dict(base, kind="ces", scale="1_5"))
        self._assert_refused(self.Feedback, dict(base, kind="nps", scale="1_7"))

    def test_nps_category_per_scale(self):
        expected = {
            "0_10": {
                0: "detractor",
                3: "detractor",
                6: "detractor",
                7: "passive",
                8: "passive",
                9: "promoter",
                10: "promoter",
            },
            "1_5": {1: "detractor", 2: "detractor", 3: "passive", 4: "promoter", 5: "promoter"},
        }
        for scale, categories in expected.items():
            for score, category in categories.items():
                with self.subTest(scale=scale, score=score):
                    feedback = self._feedback(kind="nps", scale=scale, score=score)
                    self.assertEqual(feedback.category, category)
        # The category follows a corrected score.
        feedback = self._feedback(kind="nps", scale="0_10", score=6)
        feedback.score = 9
        self.assertEqual(feedback.category, "promoter")

    def test_traffic_is_unique_per_company_date_source_page(self):
        vals = {"date": date(2025, 3, 1), "visitors": 10, "source_id": self.source.id}
        self.Traffic.create(vals)
        self.Traffic.create(dict(vals, landing_page="/pricing"))
        self.Traffic.create(dict(vals, source_id=False))
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.Traffic.create(vals)

    # Security

    def test_kpi_user_reads_but_cannot_write_inputs(self):
        cost = self.Cost.create(
            {"date": date(2025, 3, 1), "amount": 10.0, "category": "acquisition"}
        )
        feedback = self._feedback(kind="nps", score=9)
        traffic = self.Traffic.create({"date": date(2025, 3, 1), "visitors": 10})
        for record in (cost, feedback, traffic):
            with self.subTest(model=record._name):
                as_user = record.with_user(self.kpi_user)
                self.assertTrue(as_user.date)
                with self.assertRaises(AccessError):
                    as_user.write({"date": date(2025, 3, 2)})
                with self.assertRaises(AccessError):
                    as_user.unlink()
        with self.assertRaises(AccessError):
            self.Cost.with_user(self.kpi_user).create(
                {"date": date(2025, 3, 1), "amount": 10.0, "category": "acquisition"}
            )
        with self.assertRaises(AccessError):
            self.Feedback.with_user(self.kpi_user).create(
                {"partner_id": self.partner.id, "kind": "nps", "score": 9}
            )
        with self.assertRaises(AccessError):
            self.Traffic.with_user(self.kpi_user).create({"date": date(2025, 3, 1), "visitors": 1})

    def test_kpi_manager_manages_inputs(self):
        cost = self.Cost.with_user(self.kpi_manager).create(
            {"date": date(2025, 3, 1), "amount": 10.0, "category": "acquisition"}
        )
        cost.amount = 20.0
        feedback = self.Feedback.with_user(self.kpi_manager).create(
            {"partner_id": self.partner.id, "kind": "ces", "score": 5}
        )
        feedback.comment = "Easy enough"
        traffic = self.Traffic.with_user(self.kpi_manager).create(
            {"date": date(2025, 3, 1), "visitors": 1}
        )
        traffic.visitors = 2
        for record in (cost, feedback, traffic):
            record.flush_recordset()
            record.unlink()
            self.assertFalse(record.exists())

    def test_company_b_does_not_see_company_a_inputs(self):
        cost_a = self.Cost.create(
            {"date": date(2025, 3, 1), "amount": 100.0, "category": "acquisition"}
        )
        cost_b = self.Cost.with_user(self.manager_b).create(
            {"date": date(2025, 3, 1), "amount": 200.0, "category": "acquisition"}
        )
        self.assertEqual(cost_b.company_id, self.company_b)
        visible = self.Cost.with_user(self.manager_b).search([])
        self.assertIn(cost_b, visible)
        self.assertNotIn(cost_a, visible)
        with self.assertRaises(AccessError):
            cost_a.with_user(self.manager_b).read(["amount"])
        feedback_a = self._feedback(kind="nps", score=9)
        self.assertNotIn(feedback_a, self.Feedback.with_user(self.manager_b).search([]))
        traffic_a = self.Traffic.create({"date": date(2025, 3, 1), "visitors": 3})
        self.assertNotIn(traffic_a, self.Traffic.with_user(self.manager_b).search([]))

    def test_team_of_another_company_is_refused(self):
        team_b = self.env["crm.team"].create({"name": "Team B", "company_id": self.company_b.id})
        with self.assertRaises(UserError):  # raised by check_company
            self.Cost.create(
                {
                    "date": date(2025, 3, 1),
                    "amount": 1.0,
                    "category": "acquisition",
                    "team_id": team_b.id,
                }
            )

    # CSV import

    def test_csv_import_creates_costs(self):
        fields = ["date", "amount", "category", "source_id", "note"]
        rows = [
            ["2025-03-01", "1200", "acquisition", "KPI Test Fair", "Booth"],
            ["2025-03-15", "300.50", "Retention", "", "Gifts"],
        ]
        result = self.Cost.load(fields, rows)
        self.assertFalse(result["messages"], result["messages"])
        costs = self.Cost.browse(result["ids"])
        self.assertEqual(costs.mapped("amount"), [1200.0, 300.5])
        self.assertEqual(costs.mapped("category"), ["acquisition", "retention"])
        self.assertEqual(costs[0].source_id, self.source)

    def test_csv_import_bad_row_writes_nothing(self):
        count = self.Cost.search_count([])
        fields = ["date", "amount", "category"]
        rows = [
            ["2025-03-01", "1200", "acquisition"],
            ["2025-03-02", "-50", "acquisition"],
            ["2025-03-03", "80", "retention"],
        ]
        result = self.Cost.load(fields, rows)
        self.assertFalse(result["ids"])
        errors = [m for m in result["messages"] if m["type"] == "error"]
        self.assertTrue(errors)
        # load() first tries the whole batch (its error is reported on the first
        # row), then row by row: the bad row itself is named.
        self.assertIn(1, [m["rows"]["from"] for m in errors], result["messages"])
        for error in errors:
            self.assertIn("cannot be negative", error["message"])
        self.assertEqual(self.Cost.search_count([]), count)

    # Survey bridge

    def _scale_survey(self, kind, scale_min, scale_max):
        return self.env["survey.survey"].create(
            {
                "title": "How are we doing?",
                "question_and_page_ids": [
                    Command.create(
                        {
                            "title": "How likely are you to recommend us?",
                            "question_type": "scale",
                            "scale_min": scale_min,
                            "scale_max": scale_max,
                            "kpi_feedback_kind": kind,
                        }
                    ),
                ],
            }
        )

    def test_survey_question_scale_must_fit_kind(self):
        survey = self._scale_survey("nps", 0, 10)
        question = survey.question_ids
        self.assertEqual(question.kpi_feedback_scale, "0_10")
        with self.assertRaises(ValidationError):
            question.scale_max = 7
            question.flush_recordset()
        question.invalidate_recordset()
        with self.assertRaises(ValidationError):
            self._scale_survey("ces", 0, 10).flush_recordset()
        with self.assertRaises(ValidationError):
            self._scale_survey("nps", 2, 8).flush_recordset()
        self.assertEqual(self._scale_survey("ces", 1, 7).question_ids.kpi_feedback_scale, "1_7")
        self.assertEqual(self._scale_survey("nps", 1, 5).question_ids.kpi_feedback_scale, "1_5")

    def test_survey_answers_become_feedback_once(self):
        survey = self._scale_survey("nps", 0, 10)
        question = survey.question_ids
        promoter = self.env["res.partner"].create({"name": "Happy Customer"})
        detractor = self.env["res.partner"].create({"name": "Unhappy Customer"})
        user_inputs = self.env["survey.user_input"]
        for partner, score in ((promoter, 9), (detractor, 3), (False, 10)):
            user_input = self.env["survey.user_input"].create(
                {"survey_id": survey.id, "partner_id": partner and partner.id}
            )
            user_input._save_lines(question, score)
            user_inputs |= user_input
        user_inputs._mark_done()

        domain = [("res_model", "=", "survey.user_input"), ("res_id", "in", user_inputs.ids)]
        feedback = self.Feedback.search(domain)
        self.assertEqual(len(feedback), 2, "the anonymous answer is not recorded")
        by_partner = {f.partner_id: f for f in feedback}
        self.assertEqual(by_partner[promoter].score, 9)
        self.assertEqual(by_partner[promoter].category, "promoter")
        self.assertEqual(by_partner[detractor].score, 3)
        self.assertEqual(by_partner[detractor].category, "detractor")
        for record in feedback:
            self.assertEqual(record.kind, "nps")
            self.assertEqual(record.scale, "0_10")
            user_input = self.env["survey.user_input"].browse(record.res_id)
            self.assertEqual(record.partner_id, user_input.partner_id)
            self.assertEqual(
                record.date, fields.Date.context_today(user_input, user_input.end_datetime)
            )
            self.assertEqual(record.survey_answer_id.user_input_id, user_input)

        user_inputs._mark_done()
        self.assertEqual(self.Feedback.search_count(domain), 2, "marking done again adds nothing")

    def _completed_inputs(self, survey, count):
        question = survey.question_ids
        partners = self.env["res.partner"].create(
            [{"name": f"Respondent {i}"} for i in range(count)]
        )
        user_inputs = self.env["survey.user_input"].create(
            [{"survey_id": survey.id, "partner_id": partner.id} for partner in partners]
        )
        self.env["survey.user_input.line"].create(
            [
                {
                    "user_input_id": user_input.id,
                    "question_id": question.id,
                    "answer_type": "scale",
                    "value_scale": 1 + i % 7,
                }
                for i, user_input in enumerate(user_inputs)
            ]
        )
        user_inputs.write({"state": "done", "end_datetime": fields.Datetime.now()})
        self.env.flush_all()
        self.env.invalidate_all()
        return user_inputs

    def test_survey_feedback_is_created_in_batch(self):
        survey = self._scale_survey("ces", 1, 7)
        self._completed_inputs(survey, 1)._kpi_create_feedback()  # warm the caches
        few = self._completed_inputs(survey, 2)
        queries_before = self.cr.sql_log_count
        self.assertEqual(len(few._kpi_create_feedback()), 2)
        self.env.flush_all()
        few_queries = self.cr.sql_log_count - queries_before

        many = self._completed_inputs(survey, 12)
        queries_before = self.cr.sql_log_count
        self.assertEqual(len(many._kpi_create_feedback()), 12)
        self.env.flush_all()
        many_queries = self.cr.sql_log_count - queries_before
        self.assertEqual(many_queries, few_queries, "no query per participation")

    def test_survey_skips_test_entries(self):
        survey = self._scale_survey("nps", 0, 10)
        user_input = self.env["survey.user_input"].create(
            {"survey_id": survey.id, "partner_id": self.partner.id, "test_entry": True}
        )
        user_input._save_lines(survey.question_ids, 10)
        user_input._mark_done()
        self.assertFalse(
            self.Feedback.search(
                [("res_model", "=", "survey.user_input"), ("res_id", "=", user_input.id)]
            )
        )
