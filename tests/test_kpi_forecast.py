# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import freeze_time, tagged

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestForecastKpis(KpiCase):
    """Open pipeline, weighted pipeline, coverage, lead conversion, deal size
    and sales velocity, mostly for March 2026 (UTC). Stages S1, S2 are the
    test's own; moves, wins and losses happen at the frozen times below, so
    that the stage ledger and the closing dates are Odoo's own.

    Opportunities (expected revenue; probability of today):

      ==  ====  ====  =======  ===============================  ==========
      id  team  user  revenue  history                          prob. now
      ==  ====  ====  =======  ===============================  ==========
      O1  A     1     1,000    02-10 in S1, 03-10 to S2, open   30
                               (1,500 since 04-10, tracked)
      O2  A     1     2,000    02-15 in S1, won 03-20 (33 days) 100
      O3  B     2       500    03-05 in S1, lost 03-25          0
      O4  B     2       800    03-10 in S2, won 04-05           100
      O5  B     –       400    02-20 in S1, lost 04-02          0
      O6  A     1     9,999    04-03 in S1, open                –
      O7  A     2       300    01-05 in S1, won 02-25           100
      O8  A     2     1,000    03-01 12:00 in S1, won 03-11     100
                               12:00 (10 days)
      ==  ====  ====  =======  ===============================  ==========

    Leads (UTM source Web on L1 and L2):

      L1  A / 1  created 02-03, converted 02-04, lost 02-06
      L2  A / 1  created 02-05, still a lead
      L3  B / 2  created 02-07, lost as a lead 02-08
      L4  B / 2  created 01-20, converted 02-10, lost 02-12

    Open at the end of March (04-01 00:00): O1 (S2), O4 (S2 then, Won today),
    O5 (S1) = 1,000 (O1's amount then, from the chatter) + 800 + 400 = 2,200;
    weighted 300 + 800 + 0 = 1,100 (today's probabilities: O4 won since, O5
    lost since).
    Open at the start of March (03-01 00:00): O1, O2, O5 = 3 opportunities,
    3,400 (team A: O1, O2 = 3,000; team B: O5 = 400).
    Won in March: O2 2,000 (33 days), O8 1,000 (10 days); lost: O3.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.web = cls.env["utm.source"].create({"name": "KPI Forecast Web"})
        cls.s1, cls.s2 = cls.env["crm.stage"].create(
            [
                {"name": "KPI Forecast S1", "sequence": 901},
                {"name": "KPI Forecast S2", "sequence": 902},
            ]
        )
        A, B, u1, u2 = cls.team_a, cls.team_b, cls.user_1, cls.user_2
        cls.o1 = cls._opportunity("O1", dt(2026, 2, 10), A, u1, 1000)
        cls.o2 = cls._opportunity("O2", dt(2026, 2, 15), A, u1, 2000)
        cls.o3 = cls._opportunity("O3", dt(2026, 3, 5), B, u2, 500)
        cls.o4 = cls._opportunity("O4", dt(2026, 3, 10), B, u2, 800, stage=cls.s2)
        cls.o5 = cls._opportunity("O5", dt(2026, 2, 20), B, None, 400)
        cls.o6 = cls._opportunity("O6", dt(2026, 4, 3), A, u1, 9999)
        cls.o7 = cls._opportunity("O7", dt(2026, 1, 5), A, u2, 300)
        cls.o8 = cls._opportunity("O8", dt(2026, 3, 1, 12), A, u2, 1000)
        cls.l1 = cls._opportunity(
            "L1", dt(2026, 2, 3), A, u1, 0, lead_type="lead", source_id=cls.web.id
        )
        cls.l2 = cls._opportunity(
            "L2", dt(2026, 2, 5), A, u1, 0, lead_type="lead", source_id=cls.web.id
        )
        cls.l3 = cls._opportunity("L3", dt(2026, 2, 7), B, u2, 0, lead_type="lead")
        cls.l4 = cls._opportunity("L4", dt(2026, 1, 20), B, u2, 0, lead_type="lead")
        cls._convert(cls.l1, dt(2026, 2, 4))
        cls._convert(cls.l4, dt(2026, 2, 10))
        for lead, when in (
            (cls.l1, dt(2026, 2, 6)),
            (cls.l3, dt(2026, 2, 8)),
            (cls.l4, dt(2026, 2, 12)),
            (cls.o3, dt(2026, 3, 25)),
            (cls.o5, dt(2026, 4, 2)),
        ):
            with freeze_time(when):
                lead.action_set_lost()
        for lead, when in (
            (cls.o7, dt(2026, 2, 25)),
            (cls.o8, dt(2026, 3, 11, 12)),
            (cls.o2, dt(2026, 3, 20)),
            (cls.o4, dt(2026, 4, 5)),
        ):
            with freeze_time(when):
                lead.action_set_won_rainbowman()
        with freeze_time(dt(2026, 3, 10)):
            cls.o1.stage_id = cls.s2
        cls.o1.probability = 30
        # O1's amount changes after March: the chatter keeps the 1,000 of then
        cls.env.cr.precommit.run()
        with freeze_time(dt(2026, 4, 10)):
            cls.o1.expected_revenue = 1500
            cls.env.flush_all()
            cls.env.cr.precommit.run()

    @classmethod
    def _opportunity(cls, name, created, team, user, revenue, stage=None, **vals):
        with freeze_time(created):
            lead = cls._lead(
                name,
                created,
                team,
                user,
                stage_id=(stage or cls.s1).id,
                expected_revenue=revenue,
                **vals,
            )
        return lead

    @classmethod
    def _convert(cls, lead, when):
        with freeze_time(when):
            # the conversion wizard passes the team: the salesperson is in none
            lead.convert_opportunity(False, team_id=lead.team_id.id)
        cls._set_dates(lead, date_conversion=when)

    def names(self, code, day=date(2026, 3, 1), row=None, period_type="month"):
        """Names of the records the drill-down of ``code`` lists."""
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of(period_type, day))
        definition = self.env.ref(f"crm_kpi.crm_kpi_definition_{code}")
        model, domain = engine._records_of(definition, window, row)
        self.assertEqual(model, "crm.lead")
        leads = self.env[model].with_context(active_test=False).search(domain)
        return sorted(leads.mapped("name"))

    def assertRollUp(self, snapshots, dimension):
        """The rows of ``dimension`` add up to the company row: the values
        of a sum, the numerators and denominators of a ratio."""
        company = self.row(snapshots)
        rows = snapshots.filtered(lambda s: s.dimension == dimension)
        self.assertTrue(rows, f"{dimension} rows expected")
        self.assertAlmostEqual(sum(rows.mapped("numerator")), company.numerator, places=4)
        if company.kpi_id.aggregation == "sum":
            self.assertAlmostEqual(sum(rows.mapped("value")), company.value, places=4)
        else:
            self.assertAlmostEqual(sum(rows.mapped("denominator")), company.denominator, places=4)

    def test_the_ledger_is_odoo_s_own(self):
        self.assertEqual(self.o4.stage_id.is_won, True)
        self.assertEqual(self.o4.date_closed, dt(2026, 4, 5))
        self.assertEqual(self.o5.won_status, "lost")
        self.assertEqual(self.o5.date_closed, dt(2026, 4, 2))
        self.assertEqual(
            self.o1.kpi_stage_stay_ids.mapped("date_in"), [dt(2026, 3, 10), dt(2026, 2, 10)]
        )

    def test_pipeline_value(self):
        snapshots = self.compute("pipeline_value", "month", date(2026, 3, 1))
        # O1 1,000 + O4 800 + O5 400
        self.assertKpi(self.row(snapshots), 2200, 1, 2200)
        # team A: O1; team B: O4 + O5
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 1000, 1, 1000)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 1200, 1, 1200)
        # salesperson 1: O1; 2: O4; none: O5
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 1000, 1, 1000)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 800, 1, 800)
        self.assertKpi(self.row(snapshots, "user", user_id=self.env["res.users"]), 400, 1, 400)
        # the stage at the end of March, from the ledger: O4 was in S2 (Won today)
        self.assertKpi(self.row(snapshots, "stage", stage_id=self.s2), 1800, 1, 1800)
        self.assertKpi(self.row(snapshots, "stage", stage_id=self.s1), 400, 1, 400)
        self.assertEqual(len(snapshots.filtered(lambda s: s.dimension == "stage")), 2)
        for dimension in ("team", "user", "stage"):
            self.assertRollUp(snapshots, dimension)
        # the end of February (03-01 00:00): O1, O2 (won 03-20), O5 = 3,400;
        # O7 won 02-25 and L1, L4 lost in February are out, O8 created after
        february = self.compute("pipeline_value", "month", date(2026, 2, 1))
        self.assertKpi(self.row(february), 3400, 1, 3400)
        self.assertKpi(self.row(february, "stage", stage_id=self.s1), 3400, 1, 3400)

    def test_amount_of_the_moment(self):
        # April: O1 at its 1,500 of today (no change after April), O6 9,999
        april = self.compute("pipeline_value", "month", date(2026, 4, 1))
        self.assertKpi(self.row(april), 1500 + 9999, 1, 11499)
        weighted = self.compute("weighted_pipeline", "month", date(2026, 4, 1))
        o6 = self.o6.expected_revenue * self.o6.probability / 100
        self.assertKpi(self.row(weighted), 450 + o6, 1, 450 + o6)

    def test_pipeline_value_drill_down(self):
        self.assertEqual(self.names("pipeline_value"), ["O1", "O4", "O5"])
        self.assertEqual(self.names("pipeline_value", date(2026, 2, 1)), ["O1", "O2", "O5"])
        team_b = {"dimension": "team", "team_id": self.team_b.id}
        self.assertEqual(self.names("pipeline_value", row=team_b), ["O4", "O5"])
        s2 = {"dimension": "stage", "stage_id": self.s2.id}
        self.assertEqual(self.names("pipeline_value", row=s2), ["O1", "O4"])
        s1 = {"dimension": "stage", "stage_id": self.s1.id}
        self.assertEqual(self.names("pipeline_value", row=s1), ["O5"])
        self.assertEqual(self.names("weighted_pipeline", row=s1), ["O5"])

    def test_weighted_pipeline(self):
        snapshots = self.compute("weighted_pipeline", "month", date(2026, 3, 1))
        # O1 1,000 × 30 % + O4 800 × 100 % (won since) + O5 400 × 0 % (lost since)
        self.assertKpi(self.row(snapshots), 1100, 1, 1100)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 300, 1, 300)
        self.assertKpi(self.row(snapshots, "stage", stage_id=self.s2), 1100, 1, 1100)
        self.assertKpi(self.row(snapshots, "stage", stage_id=self.s1), 0, 1, 0)
        for dimension in ("team", "user", "stage"):
            self.assertRollUp(snapshots, dimension)

    def test_empty_period(self):
        # December 2025: nothing open at its end (O7 is created 2026-01-05)
        for code in ("pipeline_value", "weighted_pipeline"):
            with self.subTest(code=code):
                snapshots = self.compute(code, "month", date(2025, 12, 1))
                self.assertEqual(snapshots.mapped("dimension"), ["company"])
                self.assertKpi(self.row(snapshots), 0, 1, 0)
        for code in ("avg_deal_size", "sales_velocity", "lead_conversion"):
            with self.subTest(code=code):
                snapshots = self.compute(code, "month", date(2025, 12, 1))
                self.assertEqual(snapshots.mapped("dimension"), ["company"])
                self.assertKpi(self.row(snapshots), 0, 0, None)
        self.assertEqual(self.names("pipeline_value", date(2025, 12, 1)), [])

    def test_pipeline_coverage(self):
        self.team_a.invoiced_target = 1000
        goal = self.env["crm.kpi.goal"].create(
            {
                "name": "KPI Forecast quota",
                "kpi_id": self.env.ref("crm_kpi.crm_kpi_definition_quota").id,
                "company_id": self.company.id,
                "scope": "user",
                "user_id": self.user_1.id,
                "period_type": "month",
                "date_start": date(2026, 3, 1),
                "deadline": date(2026, 3, 31),
                "target_value": 1500,
            }
        )
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
        snapshots = self.compute("pipeline_coverage", "month", date(2026, 3, 1))
        # open at 03-01 in team A (the team with a target): O1 + O2 = 3,000 / 1,000 = 3×
        self.assertKpi(self.row(snapshots), 3000, 1000, 3.0)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 3000, 1000, 3.0)
        self.assertRollUp(snapshots, "team")
        # team B has no target: no row (its O5 is not in the company figure)
        self.assertFalse(snapshots.filtered(lambda s: s.team_id == self.team_b))
        # salesperson 1: O1 + O2 = 3,000 / the goal's 1,500 = 2×
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 3000, 1500, 2.0)
        self.assertEqual(len(snapshots.filtered(lambda s: s.dimension == "user")), 1)
        self.assertEqual(self.names("pipeline_coverage"), ["O1", "O2"])
        user_1 = {"dimension": "user", "user_id": self.user_1.id}
        self.assertEqual(self.names("pipeline_coverage", row=user_1), ["O1", "O2"])
        # the first quarter: nothing open on 01-01 against 3 × 1,000
        quarter = self.compute("pipeline_coverage", "quarter", date(2026, 1, 1))
        self.assertKpi(self.row(quarter), 0, 3000, 0.0)
        # no target: no quota, no value
        self.team_a.invoiced_target = 0
        self.assertKpi(
            self.row(self.compute("pipeline_coverage", "month", date(2026, 3, 1))), 0, 0, None
        )

    def test_lead_conversion(self):
        snapshots = self.compute("lead_conversion", "month", date(2026, 2, 1))
        # created in February as leads: L1 (converted), L2, L3 → 1 / 3; O1 and
        # O5, created as opportunities, are no leads
        self.assertKpi(self.row(snapshots), 1, 3, 33.3333)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 1, 2, 50.0)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 0, 1, 0.0)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 1, 2, 50.0)
        self.assertKpi(self.row(snapshots, "source", source_id=self.web), 1, 2, 50.0)
        self.assertKpi(self.row(snapshots, "source", source_id=self.env["utm.source"]), 0, 1, 0.0)
        for dimension in ("team", "user", "source", "medium", "campaign"):
            self.assertRollUp(snapshots, dimension)
        self.assertEqual(self.names("lead_conversion", date(2026, 2, 1)), ["L1", "L2", "L3"])
        # January's cohort: L4, converted in February → 100 %
        january = self.compute("lead_conversion", "month", date(2026, 1, 1))
        self.assertKpi(self.row(january), 1, 1, 100.0)
        # March: only opportunities were created (O3, O4, O8) → no lead, no value
        march = self.compute("lead_conversion", "month", date(2026, 3, 1))
        self.assertKpi(self.row(march), 0, 0, None)
        self.assertEqual(self.names("lead_conversion"), [])

    def test_avg_deal_size(self):
        snapshots = self.compute("avg_deal_size", "month", date(2026, 3, 1))
        # won in March: O2 2,000 + O8 1,000 → 3,000 / 2
        self.assertKpi(self.row(snapshots), 3000, 2, 1500.0)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 3000, 2, 1500.0)
        # team B only lost (O3): no deal, no value
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 0, 0, None)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 2000, 1, 2000.0)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 1000, 1, 1000.0)
        self.assertRollUp(snapshots, "team")
        self.assertRollUp(snapshots, "user")
        self.assertEqual(self.names("avg_deal_size"), ["O2", "O8"])
        # the first quarter: O7 300 + O2 2,000 + O8 1,000 → 3,300 / 3
        quarter = self.compute("avg_deal_size", "quarter", date(2026, 1, 1))
        self.assertKpi(self.row(quarter), 3300, 3, 1100.0)

    def test_sales_velocity(self):
        snapshots = self.compute("sales_velocity", "month", date(2026, 3, 1))
        # 3 open at the start (O1, O2, O5) × win rate 2 / 3 (O2, O8 won, O3
        # lost) × deal size 3,000 / 2 / cycle (33 + 10) / 2 = 21.5 days:
        # numerator 3 × 3,000 / 3 = 3,000, denominator 21.5 → 139.53 a day
        self.assertKpi(self.row(snapshots), 3000, 21.5, 139.5349)
        # team A: 2 open (O1, O2) × 2 / 2 × 1,500 / 21.5
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 3000, 21.5, 139.5349)
        # team B: O5 open, only lost (O3): no cycle, no value
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 0, 0, None)
        # salesperson 1: 2 open × 1 / 1 × 2,000 / 33 days
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 4000, 33, 121.2121)
        # salesperson 2: nothing open at the start, O8 won, O3 lost: 0 a day
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 0, 10, 0.0)
        self.assertEqual(
            self.names("sales_velocity"),
            ["O1", "O2", "O3", "O5", "O8"],
        )
        user_2 = {"dimension": "user", "user_id": self.user_2.id}
        self.assertEqual(self.names("sales_velocity", row=user_2), ["O3", "O8"])

    def test_query_count_does_not_grow_with_data(self):
        """The six KPIs share their queries: two grouped queries on the
        open pipeline (start and end), one on the closed opportunities, one
        on the created leads and the quotas; the same number with ten more
        opportunities open, won and lost."""
        codes = [
            "pipeline_value",
            "weighted_pipeline",
            "pipeline_coverage",
            "lead_conversion",
            "avg_deal_size",
            "sales_velocity",
        ]

        def count_queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Snapshot.compute_snapshots(
                "month", date(2026, 3, 1), kpi_codes=codes, company_ids=[self.company.id]
            )
            return self.env.cr.sql_log_count - before

        count_queries()
        small = count_queries()
        with freeze_time(dt(2026, 2, 1)):
            leads = self.env["crm.lead"].create(
                [
                    {
                        "name": f"KPI Bulk {i}",
                        "type": "opportunity",
                        "company_id": self.company.id,
                        "team_id": (self.team_a if i % 2 else self.team_b).id,
                        "stage_id": self.s1.id,
                        "expected_revenue": 100,
                    }
                    for i in range(10)
                ]
            )
        with freeze_time(dt(2026, 3, 15)):
            leads[:4].action_set_won()
            leads[4:7].action_set_lost()
        self._set_dates(leads, create_date=dt(2026, 2, 1))
        count_queries()
        self.assertEqual(count_queries(), small)
        # 4 won in March: 3,000 + 400 over 6 won
        snapshots = self.compute("avg_deal_size", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 3400, 6, 566.6667)
