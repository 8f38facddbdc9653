# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import ast
import io
from datetime import date
from urllib.parse import parse_qs, urlparse

from freezegun import freeze_time
from openpyxl import load_workbook

from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import KpiCase, dt
from .test_i18n import load_language
from .test_leaderboard import kpi_user


def win_rate_data(cls):
    """Win rate, company and team rows:

    ==========  =========================  ==========================
    month       won / closed               company
    ==========  =========================  ==========================
    Mar 2025    A: 3 won, 1 lost           3 / 4 = 75.0 %
    Feb 2026    A: 1 won, 3 lost           1 / 4 = 25.0 %
    Mar 2026    A (Ann): 3 won, 1 lost;    4 / 8 = 50.0 %:
                B (Bob): 1 won, 3 lost     Δ +25.0 pp vs Feb (better),
                                           −25.0 pp vs Mar 2025 (worse)
    ==========  =========================  ==========================

    Ann alone in March: 3 / 4 = 75.0 %.
    """
    for month, team, user, won, lost in (
        (dt(2025, 3, 3), cls.team_a, cls.ann, 3, 1),
        (dt(2026, 2, 2), cls.team_a, cls.ann, 1, 3),
        (dt(2026, 3, 2), cls.team_a, cls.ann, 3, 1),
        (dt(2026, 3, 2), cls.team_b, cls.bob, 1, 3),
    ):
        for i in range(won):
            cls._lead(f"{user.name} won {i}", month, team, user, status="won", closed=month)
        for i in range(lost):
            cls._lead(f"{user.name} lost {i}", month, team, user, status="lost", closed=month)
    for day in (date(2025, 3, 1), date(2026, 2, 1), date(2026, 3, 1)):
        cls.Snapshot.compute_snapshots(
            "month", day, kpi_codes=["win_rate"], company_ids=[cls.company.id]
        )


@tagged("post_install", "-at_install")
class TestDigest(KpiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = kpi_user(cls.env, "digest_manager", cls.company, manager=True)
        cls.ann = kpi_user(cls.env, "digest_ann", cls.company)
        cls.bob = kpi_user(cls.env, "digest_bob", cls.company)
        load_language(cls.env, "nl_NL")
        cls.ann.lang = "nl_NL"
        cls.team_a.member_ids = cls.ann
        cls.team_b.member_ids = cls.bob
        win_rate_data(cls)
        cls.win_rate = cls.env.ref("crm_kpi.crm_kpi_definition_win_rate")
        Goal = cls.env["crm.kpi.goal"]
        goal_values = {
            "kpi_id": cls.win_rate.id,
            "company_id": cls.company.id,
            "date_start": date(2026, 1, 1),
            "deadline": date(2026, 6, 30),
            "baseline_from_history": False,
            "baseline_value": 20,
            "target_value": 80,
        }
        cls.company_goal = Goal.create({**goal_values, "name": "Company wins more"})
        cls.ann_goal = Goal.create(
            {
                **goal_values,
                "name": "Ann wins more",
                "scope": "user",
                "user_id": cls.ann.id,
            }
        )
        (cls.company_goal | cls.ann_goal).status = "at_risk"
        march = cls.Snapshot.search(
            [
                ("company_id", "=", cls.company.id),
                ("dimension", "=", "company"),
                ("kpi_id", "=", cls.win_rate.id),
                ("date_start", "=", date(2026, 3, 1)),
            ]
        )
        # as the anomaly detection would flag it (its own tests are in test_anomalies)
        march.write(
            {
                "anomaly": "worse",
                "anomaly_low": 60,
                "anomaly_high": 90,
                "anomaly_median": 75,
                "anomaly_history": 12,
            }
        )
        cls.digest = cls.env["crm.kpi.digest"].create(
            {
                "name": "Monthly KPIs",
                "company_id": cls.company.id,
                "cadence": "monthly",
                "period_type": "month",
                "kpi_ids": [(6, 0, cls.win_rate.ids)],
                "user_ids": [(6, 0, (cls.manager | cls.ann).ids)],
            }
        )

    def send(self, digest=None, day=date(2026, 4, 1)):
        mails, failures = (digest or self.digest)._kpi_send(day)
        return {mail.recipient_ids.user_ids: mail for mail in mails}, failures

    @staticmethod
    def workbook(mail):
        return load_workbook(io.BytesIO(mail.attachment_ids.raw))

    @staticmethod
    def cells(book):
        return [
            value
            for sheet in book
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]

    def test_two_recipients_rights_and_languages(self):
        """Sent on 1 April: March 2026. The manager (English) sees both goals
        at risk; Ann (Dutch) only her own, in Dutch number formats."""
        mails, failures = self.send()
        self.assertFalse(failures)
        self.assertEqual(set(mails), {self.manager, self.ann})
        manager, ann = mails[self.manager], mails[self.ann]

        self.assertEqual(manager.subject, "Monthly KPIs: Mar 2026")
        body = manager.body_html
        for text in (
            "Win Rate",
            "50.0 %",
            "+25.0 pp",
            "-25.0 pp",
            "Whole company",
            "Company wins more",
            "Ann wins more",
            "At Risk",
            "usually 60.0 % to 90.0 %",
            "/odoo/action-crm_kpi.crm_kpi_dashboard_action",
        ):
            self.assertIn(text, body)
        # better in green, worse in red
        self.assertIn('color: #1e7e34;">+25.0 pp', body.replace("\n", ""))
        self.assertIn('color: #c82333;">-25.0 pp', body.replace("\n", ""))

        dutch = ann.body_html
        self.assertIn("50,0 %", dutch)
        # the template in Dutch (its translation in i18n/nl.po)
        self.assertIn("Je ontvangt dit rapport", dutch)
        self.assertNotIn("You receive this report", dutch)
        self.assertIn("Ann wins more", dutch)
        self.assertNotIn("Company wins more", dutch, "Ann may not read the company goal")
        # "mrt 2026" or "mrt. 2026", as Babel spells it
        self.assertTrue(ann.subject.startswith("Monthly KPIs: mrt"), ann.subject)

        # the XLSX board pack, twelve months to March 2026, read back
        for mail in (manager, ann):
            self.assertEqual(len(mail.attachment_ids), 1)
            self.assertTrue(mail.attachment_ids.name.endswith(".xlsx"))
        self.assertIn("Apr 2025 to Mar 2026", manager.attachment_ids.name)
        english, dutch_book = self.workbook(manager), self.workbook(ann)
        self.assertIn("Win Rate", self.cells(english))
        self.assertIn("Summary", english.sheetnames)
        self.assertNotIn("Summary", dutch_book.sheetnames, "the Dutch workbook is in Dutch")
        # the Summary row of the win rate: Feb 25, Mar 50, Δ +25 and −25 (pp)
        for book in (english, dutch_book):
            row = next(
                row for row in book.worksheets[0].iter_rows(values_only=True) if "win_rate" in row
            )
            self.assertEqual([v for v in row if isinstance(v, (int, float))], [25, 50, 25, -25])

        # through Odoo's mail queue, with a one-click unsubscribe header
        self.assertEqual(manager.state, "outgoing")
        headers = ast.literal_eval(manager.headers)
        self.assertIn("/crm_kpi/report/unsubscribe?", headers["List-Unsubscribe"])
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")

    def test_each_recipients_own(self):
        """Scope "each recipient's own": Ann's own row, 3 / 4 = 75.0 %; the
        company goal is not hers."""
        self.digest.scope = "user"
        mails, _failures = self.send()
        body = mails[self.ann].body_html
        self.assertIn("75,0 %", body)
        self.assertIn("Ann wins more", body)
        self.assertNotIn("Company wins more", body)
        self.assertIn(self.ann.name, body)

    def test_team_scope(self):
        """Team B: 1 / 4 = 25.0 %, no team goal at risk."""
        self.digest.write({"scope": "team", "team_id": self.team_b.id})
        mails, _failures = self.send()
        body = mails[self.manager].body_html
        self.assertIn("25.0 %", body)
        self.assertIn("Team B", body)
        self.assertNotIn("wins more", body)

    def test_failure_does_not_stop_the_others(self):
        """A recipient who lost the KPI rights gets nothing; the others get
        theirs; the report's chatter names them."""
        outsider = new_test_user(
            self.env,
            "digest_outsider",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[self.company.id],
            name="Outsider",
        )
        self.digest.user_ids = [(4, outsider.id)]
        mails, failures = self.send()
        self.assertEqual(set(mails), {self.manager, self.ann})
        self.assertEqual([user for user, _text in failures], [outsider])
        self.assertIn("Outsider", self.digest.message_ids[0].body)

    def test_send_now_and_bad_input(self):
        action = self.digest.action_send_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [
                    ("recipient_ids", "in", self.ann.partner_id.ids),
                    ("subject", "like", "Monthly KPIs"),
                ]
            ),
            1,
        )
        self.assertEqual(self.digest.last_sent_date, False, "Send now does not change the schedule")
        empty = self.digest.copy({"user_ids": False})
        with self.assertRaises(UserError):
            empty.action_send_now()
        with self.assertRaises(ValidationError):
            self.digest.write({"scope": "team", "team_id": False})
        with self.assertRaises(ValidationError):
            self.digest.write({"cadence": "weekly", "weekday": False})

    def run_cron(self, when):
        with freeze_time(when), self.enter_registry_test_mode():
            self.env.ref("crm_kpi.ir_cron_crm_kpi_digest").method_direct_trigger()
        self.env.invalidate_all()

    def test_schedule(self):
        """Weekly on Monday, created on Wednesday 1 April 2026: first sent on
        Monday 6 April (showing April so far), then on 13 April. A monthly
        report created the same day is due on 1 April itself."""
        with freeze_time("2026-04-01"):
            weekly = self.digest.copy({"cadence": "weekly", "weekday": "0", "name": "Weekly KPIs"})
            monthly = self.digest.copy({"name": "Monthly copy"})
            (weekly | monthly).flush_recordset()  # computed today
        self.assertEqual(weekly.next_send_date, date(2026, 4, 6))
        self.assertEqual(monthly.next_send_date, date(2026, 4, 1))
        (self.digest | monthly).active = False
        Mail = self.env["mail.mail"]
        self.run_cron("2026-04-03")
        self.assertFalse(Mail.search_count([("subject", "like", "Weekly KPIs")]))
        self.run_cron("2026-04-06")
        self.assertEqual(Mail.search_count([("subject", "=", "Weekly KPIs: Apr 2026")]), 1)
        self.assertEqual(Mail.search_count([("subject", "like", "Weekly KPIs: apr")]), 1)
        self.assertEqual(weekly.last_sent_date, date(2026, 4, 6))
        self.assertEqual(weekly.next_send_date, date(2026, 4, 13))

    def test_query_count_independent_of_data_size(self):
        """Fifty recipients: the same number of queries with more data (more
        leads, a third team, another month computed, more goals at risk, more
        anomalies)."""
        users = self.env["res.users"]
        for i in range(48):
            users |= kpi_user(self.env, f"digest_many_{i}", self.company)
        self.digest.user_ids = [(4, user.id) for user in users]

        def count():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            mails, failures = self.send()
            self.assertEqual((len(mails), failures), (50, []))
            return self.env.cr.sql_log_count - before

        def flag(teams):
            self.Snapshot.search(
                [
                    ("company_id", "=", self.company.id),
                    ("date_start", "=", date(2026, 3, 1)),
                    ("kpi_id", "=", self.win_rate.id),
                    ("dimension", "in", ("company", "team")),
                    ("team_id", "in", [False, *teams.ids]),
                ]
            ).write(
                {
                    "anomaly": "worse",
                    "anomaly_low": 60,
                    "anomaly_high": 90,
                    "anomaly_median": 75,
                    "anomaly_history": 12,
                }
            )

        flag(self.team_a)
        count()
        first = count()
        team_c = self.env["crm.team"].create({"name": "Team C", "company_id": self.company.id})
        for i in range(20):
            self._lead(
                f"More {i}",
                dt(2026, 3, 5),
                team_c,
                self.bob,
                status="won" if i % 2 else "lost",
                closed=dt(2026, 3, 6),
            )
        self.Snapshot.compute_snapshots(
            "month",
            date(2026, 1, 1),
            date(2026, 3, 1),
            kpi_codes=["win_rate"],
            company_ids=[self.company.id],
        )
        for i in range(5):
            self.company_goal.copy({"name": f"Goal {i}"}).status = "off_track"
        # recomputing cleared the flags (too little history): flag them
        # again, and team C's row too
        flag(self.team_a | team_c)
        self.assertEqual(count(), first)


@tagged("post_install", "-at_install")
class TestDigestUnsubscribe(HttpCase):
    def setUp(self):
        super().setUp()
        self.user = new_test_user(self.env, "digest_reader", groups="crm_kpi.crm_kpi_group_user")
        self.digest = self.env["crm.kpi.digest"].create(
            {
                "name": "Weekly",
                "cadence": "weekly",
                "user_ids": [(6, 0, self.user.ids)],
            }
        )

    def test_unsubscribe(self):
        url = urlparse(self.digest._kpi_unsubscribe_url(self.user))
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        # a wrong token: not found, nothing changes
        response = self.url_open(f"{url.path}?report={self.digest.id}&user={self.user.id}&token=x")
        self.assertEqual(response.status_code, 404)
        # opening the link asks first (a mail scanner unsubscribes no one)
        response = self.url_open(f"{url.path}?{url.query}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Unsubscribe", response.text)
        self.assertIn(self.user, self.digest.user_ids)
        # the confirmation (or a mail client's one-click) removes the recipient
        response = self.url_open(url.path, data=query)
        self.assertEqual(response.status_code, 200)
        self.assertIn("no longer receive", response.text)
        self.digest.invalidate_recordset()
        self.assertNotIn(self.user, self.digest.user_ids)
