# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestAdoptionKpis(KpiCase):
    def _log_in(self, user, when):
        self.env.execute_query(
            SQL(
                "INSERT INTO res_users_log (create_uid, create_date, write_uid, write_date)"
                " VALUES (%s, %s, %s, %s)",
                user.id,
                when,
                user.id,
                when,
            )
        )

    def test_login_frequency(self):
        portal = new_test_user(
            self.env, "kpi_portal", groups="base.group_portal", company_id=self.company.id
        )
        for day in (2, 3, 20):
            self._log_in(self.user_1, dt(2026, 3, day, 9))
        self._log_in(self.user_2, dt(2026, 3, 5, 9))
        self._log_in(self.user_2, dt(2026, 4, 1, 9))  # April
        self._log_in(portal, dt(2026, 3, 5, 9))  # not an internal user
        snapshots = self.compute("login_frequency", "month", date(2026, 3, 1))
        # 4 logins by 2 internal users → 2 logins per user; user 1: 3 / 1
        self.assertKpi(self.row(snapshots), 4, 2, 2.0)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 3, 1, 3.0)
        # nobody logged in: no value
        self.assertKpi(
            self.row(self.compute("login_frequency", "month", date(2025, 3, 1))), 0, 0, None
        )

    def test_records_created(self):
        leads = self.env["crm.lead"].create(
            [
                {"name": "R1", "company_id": self.company.id},
                {"name": "R2", "company_id": self.company.id},
            ]
        )
        contact = self.env["res.partner"].create(
            {"name": "R contact", "company_id": self.company.id}
        )
        lead_3 = self.env["crm.lead"].create({"name": "R3", "company_id": self.company.id})
        activity = lead_3.activity_schedule("mail.mail_activity_data_todo", user_id=self.user_2.id)
        for records in (leads, contact):
            self._set_dates(records, create_uid=self.user_1.id, create_date=dt(2026, 3, 3))
        self._set_dates(activity, create_uid=self.user_2.id, create_date=dt(2026, 3, 4))
        self._set_dates(lead_3, create_uid=self.user_2.id, create_date=dt(2026, 2, 4))  # February
        # a lead without a company, created by user 1 (whose main company is
        # the test company): it counts for the test company
        shared = self.env["crm.lead"].create({"name": "R shared", "company_id": self.company.id})
        self._set_dates(
            shared, company_id=None, create_uid=self.user_1.id, create_date=dt(2026, 3, 5)
        )
        snapshots = self.compute("records_created", "month", date(2026, 3, 1))
        # user 1: 2 leads + the shared lead + 1 contact = 4; user 2: 1 activity = 1; total 5
        self.assertKpi(self.row(snapshots), 5, 1, 5)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 4, 1, 4)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 1, 1, 1)
        # the records behind user 1's row: the leads they created (R1, R2, R shared)
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))
        definition = self.env.ref("crm_kpi.crm_kpi_definition_records_created")
        row = {"dimension": "user", "user_id": self.user_1.id}
        model, domain = engine._records_of(definition, window, row)
        self.assertEqual(
            sorted(self.env[model].search(domain).mapped("name")), ["R shared", "R1", "R2"]
        )

    def test_data_quality(self):
        Lead = self.env["crm.lead"]
        Lead.create(
            [
                {"name": "ok", "email_from": "a@example.com", "company_id": self.company.id},
                {"name": "empty", "company_id": self.company.id},
                {"name": "dup 1", "email_from": "dup@example.com", "company_id": self.company.id},
                {"name": "dup 2", "email_from": "Dup@Example.com", "company_id": self.company.id},
            ]
        )
        self.env["res.partner"].create(
            [
                {"name": "P ok", "phone": "+32 2 000 00 00", "company_id": self.company.id},
                {"name": "P empty", "company_id": self.company.id},
            ]
        )
        snapshots = self.compute("data_quality", "month", date.today())
        # leads: empty, dup 1, dup 2 flagged of 4; contacts: P empty of 2 → 4 / 6 = 66.67 %
        self.assertKpi(self.row(snapshots), 4, 6, 66.6667)
        # before any record existed: no value
        self.assertKpi(
            self.row(self.compute("data_quality", "month", date(2020, 1, 1))), 0, 0, None
        )

    def test_data_quality_over_time(self):
        """Each month counts the records existing at its end, and a duplicate
        flags both records from the day the second one is created.

        Lead A x@ 01-10, lead D y@ 01-20, contact Q (phone) 01-05,
        lead C (no email, no phone) 02-15, lead B X@ (A's email) 03-05,
        contact P (nothing) 03-20:
          January:  A, D, Q; nothing flagged          → 0 / 3 = 0 %
          February: + C; C flagged                    → 1 / 4 = 25 %
          March:    + B, P; C, A, B (duplicate), P    → 4 / 6 = 66.67 %
        """
        Lead, Partner = self.env["crm.lead"], self.env["res.partner"]
        company = {"company_id": self.company.id}
        for record, created in (
            (
                Lead.create({"name": "A", "email_from": "x@example.com", **company}),
                dt(2026, 1, 10, 12),
            ),
            (
                Lead.create({"name": "D", "email_from": "y@example.com", **company}),
                dt(2026, 1, 20, 12),
            ),
            (
                Partner.create({"name": "Q", "phone": "+32 2 000 00 00", **company}),
                dt(2026, 1, 5, 12),
            ),
            (Lead.create({"name": "C", **company}), dt(2026, 2, 15, 12)),
            (
                Lead.create({"name": "B", "email_from": "X@example.com", **company}),
                dt(2026, 3, 5, 12),
            ),
            (Partner.create({"name": "P", **company}), dt(2026, 3, 20, 12)),
        ):
            self._set_dates(record, create_date=created)
        # one run for the three months (the per-day table of the run)
        snapshots = self.Snapshot.compute_snapshots(
            "month",
            date(2026, 1, 1),
            date(2026, 3, 31),
            kpi_codes=["data_quality"],
            company_ids=[self.company.id],
        )
        by_month = {s.date_start.month: s for s in snapshots if s.dimension == "company"}
        self.assertKpi(by_month[1], 0, 3, 0.0)
        self.assertKpi(by_month[2], 1, 4, 25.0)
        self.assertKpi(by_month[3], 4, 6, 66.6667)
        # the query of a single period without a run gives the same numbers
        engine = self.env["crm.kpi.engine"]
        definition = self.env.ref("crm_kpi.crm_kpi_definition_data_quality")
        for month, snapshot in by_month.items():
            period = period_of("month", date(2026, month, 1))
            value = engine._gather(definition, engine._make_window(self.company, period))[0][
                "kpi_value"
            ]
            self.assertEqual(
                (value.numerator, value.denominator), (snapshot.numerator, snapshot.denominator)
            )
