# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import tagged

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestPipelineKpis(KpiCase):
    """Win rate, sales cycle, lead sources and lead abandonment for March 2026.

    Opportunities (UTC times):
      L1 team A / user 1, created 2026-02-01 00:00, won  2026-03-11 00:00 → 38 days
      L2 team A / user 1, created 2026-03-01 00:00, won  2026-03-05 00:00 →  4 days
      L3 team A / user 1, created 2026-01-10 00:00, lost 2026-03-20 12:00
      L4 team B / user 2, created 2026-03-02 00:00, lost 2026-03-31 23:00
      L5 team B / user 2, created 2026-03-02 00:00, won  2026-04-01 00:00 (April)
      L6 a *lead* (not an opportunity) of team B, created 2026-03-03, lost in March
      L7 an open opportunity of team B, created 2026-03-04
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source_web = cls.env["utm.source"].create({"name": "KPI Web"})
        cls.source_fair = cls.env["utm.source"].create({"name": "KPI Fair"})
        A, B, u1, u2 = cls.team_a, cls.team_b, cls.user_1, cls.user_2
        cls.l1 = cls._lead("L1", dt(2026, 2, 1), A, u1, status="won", closed=dt(2026, 3, 11))
        cls.l2 = cls._lead(
            "L2",
            dt(2026, 3, 1),
            A,
            u1,
            status="won",
            closed=dt(2026, 3, 5),
            source_id=cls.source_web.id,
        )
        cls.l3 = cls._lead("L3", dt(2026, 1, 10), A, u1, status="lost", closed=dt(2026, 3, 20, 12))
        cls.l4 = cls._lead(
            "L4",
            dt(2026, 3, 2),
            B,
            u2,
            status="lost",
            closed=dt(2026, 3, 31, 23),
            source_id=cls.source_web.id,
        )
        cls.l5 = cls._lead(
            "L5",
            dt(2026, 3, 2),
            B,
            u2,
            status="won",
            closed=dt(2026, 4, 1),
            source_id=cls.source_fair.id,
        )
        cls.l6 = cls._lead(
            "L6", dt(2026, 3, 3), B, lead_type="lead", status="lost", closed=dt(2026, 3, 15)
        )
        cls.l7 = cls._lead("L7", dt(2026, 3, 4), B, u2)

    def test_win_rate(self):
        snapshots = self.compute("win_rate", "month", date(2026, 3, 1))
        # company: won L1, L2 = 2; closed L1, L2, L3, L4 = 4 → 2 / 4 × 100 = 50 %
        self.assertKpi(self.row(snapshots), 2, 4, 50.0)
        # team A: won 2 / closed 3 (L1, L2, L3) → 66.67 %; team B: 0 / 1 (L4) → 0 %
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 2, 3, 66.6667)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 0, 1, 0.0)
        # salesperson 1 = team A here
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 2, 3, 66.6667)
        # source Web: L2 won, L4 lost → 1 / 2; no source: L1 won, L3 lost → 1 / 2
        self.assertKpi(self.row(snapshots, "source", source_id=self.source_web), 1, 2, 50.0)
        self.assertKpi(self.row(snapshots, "source", source_id=self.env["utm.source"]), 1, 2, 50.0)
        self.assertEqual(snapshots[0].currency_id, self.company.currency_id)

    def test_win_rate_april_and_empty_period(self):
        # April: only L5, won → 1 / 1 = 100 %
        april = self.compute("win_rate", "month", date(2026, 4, 1))
        self.assertKpi(self.row(april), 1, 1, 100.0)
        # An empty period has a company row without value, and no dimension rows.
        empty = self.compute("win_rate", "month", date(2025, 1, 1))
        self.assertEqual(len(empty), 1)
        self.assertKpi(self.row(empty), 0, 0, None)

    def test_rollup_over_teams_is_sum_of_parts(self):
        snapshots = self.compute("win_rate", "month", date(2026, 3, 1))
        groups = self.Snapshot._read_group(
            [("id", "in", snapshots.ids), ("dimension", "=", "team")],
            [],
            ["numerator:sum", "denominator:sum", "value:sum"],
        )
        numerator, denominator, value = groups[0]
        # (2 + 0) / (3 + 1) × 100 = 50 %, not the average of 66.67 % and 0 % (33.3 %)
        self.assertEqual((numerator, denominator), (2, 4))
        self.assertAlmostEqual(value, 50.0)
        # a group of several KPIs has no value: adding up different ratios means nothing
        self.compute("sales_cycle", "month", date(2026, 3, 1))
        [(mixed,)] = self.Snapshot._read_group(
            [("company_id", "=", self.company.id), ("dimension", "=", "company")], [], ["value:sum"]
        )
        self.assertFalse(mixed)

    def test_sales_cycle(self):
        snapshots = self.compute("sales_cycle", "month", date(2026, 3, 1))
        # (38 + 4) days / 2 won = 21 days
        self.assertKpi(self.row(snapshots), 42, 2, 21.0)
        # team B won nothing in March: a row without value
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 0, 0, None)
        # the year 2026: L1, L2, L5 won (L5: 2026-03-02 → 2026-04-01 = 30 days)
        year = self.compute("sales_cycle", "year", date(2026, 6, 30))
        self.assertKpi(self.row(year), 72, 3, 24.0)

    def test_lead_sources(self):
        snapshots = self.compute("lead_sources", "month", date(2026, 3, 1))
        # created in March: L2, L4, L5, L6, L7 = 5 (archived lost ones included)
        self.assertKpi(self.row(snapshots), 5, 1, 5)
        self.assertKpi(self.row(snapshots, "source", source_id=self.source_web), 2, 1, 2)
        self.assertKpi(self.row(snapshots, "source", source_id=self.source_fair), 1, 1, 1)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 4, 1, 4)

    def test_lead_abandonment(self):
        # L7 is open; make it stale: last stage change 40 days ago, no activity.
        self._set_dates(self.l7, date_last_stage_update=dt(2026, 3, 4))
        snapshots = self.compute("lead_abandonment", "month", date(2026, 3, 1))
        # created in March: L2 (won), L4 (lost), L5 (won), L6 (lost), L7 (stale) = 5
        # abandoned: L4, L6, L7 = 3 → 3 / 5 × 100 = 60 %
        self.assertKpi(self.row(snapshots), 3, 5, 60.0)
        # An activity planned on L7 takes it out of the abandoned ones: 2 / 5 = 40 %
        self.l7.activity_schedule("mail.mail_activity_data_todo", user_id=self.user_2.id)
        snapshots = self.compute("lead_abandonment", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 2, 5, 40.0)

    def test_company_timezone(self):
        # In Tokyo (UTC+9), L4 lost on 2026-03-31 23:00 UTC is closed on April 1st:
        # March = won L1, L2; lost L3 → 2 / 3; April = L4 lost + L5 won → 1 / 2
        self.company.partner_id.tz = "Asia/Tokyo"
        march = self.compute("win_rate", "month", date(2026, 3, 1))
        self.assertKpi(self.row(march), 2, 3, 66.6667)
        april = self.compute("win_rate", "month", date(2026, 4, 1))
        self.assertKpi(self.row(april), 1, 2, 50.0)

    def test_quota(self):
        self.team_a.invoiced_target = 1000
        self.l1.expected_revenue = 600
        self.l2.expected_revenue = 900
        self.l5.expected_revenue = 5000  # team B has no target: no quota
        # an archived team with a target won 700 in March: neither its win nor
        # its target counts (before: 2,200 against 1,000)
        archived = self.env["crm.team"].create(
            {"name": "Old team", "company_id": self.company.id, "invoiced_target": 500}
        )
        self._lead(
            "Old win",
            dt(2026, 3, 2),
            archived,
            status="won",
            closed=dt(2026, 3, 10),
            expected_revenue=700,
        )
        archived.active = False
        snapshots = self.compute("quota", "month", date(2026, 3, 1))
        # team A won L1 600 + L2 900 = 1,500 against 1,000 → 150 %
        self.assertKpi(self.row(snapshots), 1500, 1000, 150.0)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 1500, 1000, 150.0)
        self.assertFalse(snapshots.filtered(lambda s: s.team_id == archived))
        # the records behind the company row: team A's wins only
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))
        model, domain = engine._records_of(self.env.ref("crm_kpi.crm_kpi_definition_quota"), window)
        self.assertEqual(self.env[model].search(domain), self.l1 | self.l2)
        # the first quarter: 1,500 against 3 × 1,000 → 50 %
        quarter = self.compute("quota", "quarter", date(2026, 3, 1))
        self.assertKpi(self.row(quarter), 1500, 3000, 50.0)
        # no team with a target: no value
        self.team_a.invoiced_target = 0
        self.assertFalse(self.row(self.compute("quota", "month", date(2026, 3, 1))).has_value)
