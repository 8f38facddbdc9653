from datetime import date

from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestAdoptionKpis(KpiCase):
    def _log_in(self, user, when):
        self.env.execute_query(SQL(
            "INSERT INTO res_users_log (create_uid, create_date, write_uid, write_date)"
            " VALUES (%s, %s, %s, %s)", user.id, when, user.id, when,
        ))

    def test_login_frequency(self):
        portal = new_test_user(self.env, "kpi_portal", groups="base.group_portal",
                               company_id=self.company.id)
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
        self.assertKpi(self.row(self.compute("login_frequency", "month", date(2025, 3, 1))), 0, 0, None)

    def test_records_created(self):
        leads = self.env["crm.lead"].create([
            {"name": "R1", "company_id": self.company.id},
            {"name": "R2", "company_id": self.company.id},
        ])
        contact = self.env["res.partner"].create({"name": "R contact", "company_id": self.company.id})
        lead_3 = self.env["crm.lead"].create({"name": "R3", "company_id": self.company.id})
        activity = lead_3.activity_schedule("mail.mail_activity_data_todo", user_id=self.user_2.id)
        for records in (leads, contact):
            self._set_dates(records, create_uid=self.user_1.id, create_date=dt(2026, 3, 3))
        self._set_dates(activity, create_uid=self.user_2.id, create_date=dt(2026, 3, 4))
        self._set_dates(lead_3, create_uid=self.user_2.id, create_date=dt(2026, 2, 4))  # February
        snapshots = self.compute("records_created", "month", date(2026, 3, 1))
        # user 1: 2 leads + 1 contact = 3; user 2: 1 activity = 1; total 4
        self.assertKpi(self.row(snapshots), 4, 1, 4)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 3, 1, 3)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 1, 1, 1)

    def test_data_quality(self):
        Lead = self.env["crm.lead"]
        Lead.create([
            {"name": "ok", "email_from": "a@example.com", "company_id": self.company.id},
            {"name": "empty", "company_id": self.company.id},
            {"name": "dup 1", "email_from": "dup@example.com", "company_id": self.company.id},
            {"name": "dup 2", "email_from": "Dup@Example.com", "company_id": self.company.id},
        ])
        self.env["res.partner"].create([
            {"name": "P ok", "phone": "+32 2 000 00 00", "company_id": self.company.id},
            {"name": "P empty", "company_id": self.company.id},
        ])
        snapshots = self.compute("data_quality", "month", date.today())
        # leads: empty, dup 1, dup 2 flagged of 4; contacts: P empty of 2 → 4 / 6 = 66.67 %
        self.assertKpi(self.row(snapshots), 4, 6, 66.6667)
        # before any record existed: no value
        self.assertKpi(self.row(self.compute("data_quality", "month", date(2020, 1, 1))), 0, 0, None)
