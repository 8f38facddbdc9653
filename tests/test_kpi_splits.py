# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.fields import Command
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestKpiSplits(KpiCase):
    """Every split the catalog allows is stored, March 2026 (company in EUR,
    activity window 365 days). Web is no marketing source, Email a marketing
    medium, every campaign is marketing.

    New customers (first purchase in March), their first purchase's team and
    salesperson and their first won lead's UTM:

      ====  ===================================  ======  =====  ==========================
      cust  confirmed orders                     team    user   first won lead
      ====  ===================================  ======  =====  ==========================
      N1    03-05 1,000 (A, user 1),             A       1      web / email / Spring
            03-25 200 (B, user 2)                                (marketing)
      N2    03-10 400 (B, user 2)                B       2      web / – / – (not marketing)
      N3    03-20 100 (no team, no salesperson)  –       –      none
      ====  ===================================  ======  =====  ==========================

    Existing customers: O1 (2025-06-10 and 2026-03-12, team A), O2
    (2025-03-15, team B: lost), K1 (a subscription of team A / user 1
    started 2026-02-10 at 100, upgraded 2026-03-05 to 200, ending 03-31).

    Acquisition costs of March: 300 (team A, web / email / Spring: marketing),
    100 (team B, web: not marketing), 50 (untagged); April: 999 (untagged).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._company_in_eur({"2026-01-01": 2.0})
        cls.manager = new_test_user(
            cls.env,
            "kpi_split_manager",
            groups="crm_kpi.crm_kpi_group_manager,sales_team.group_sale_manager",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.web = cls.env["utm.source"].create({"name": "KPI Split Web"})
        cls.email = cls.env.ref("utm.utm_medium_email")
        cls.spring = cls.env["utm.campaign"].create({"name": "KPI Split Spring"})
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI Split Service",
                "type": "service",
                "list_price": 1.0,
            }
        )
        Partner = cls.env["res.partner"]
        cls.n1, cls.n2, cls.n3, cls.o1, cls.o2, cls.k1 = Partner.create(
            [
                {"name": f"KPI Split {name}", "is_company": True}
                for name in ("N1", "N2", "N3", "O1", "O2", "K1")
            ]
        )
        A, B, u1, u2 = cls.team_a, cls.team_b, cls.user_1, cls.user_2
        cls._order(cls.n1, dt(2026, 3, 5), 1000, A, u1)
        cls._order(cls.n1, dt(2026, 3, 25), 200, B, u2)
        cls._order(cls.n2, dt(2026, 3, 10), 400, B, u2)
        cls._order(cls.n3, dt(2026, 3, 20), 100)
        cls._order(cls.o1, dt(2025, 6, 10), 100, A, u1)
        cls._order(cls.o1, dt(2026, 3, 12), 200, A, u1)
        cls._order(cls.o2, dt(2025, 3, 15), 100, B, u2)
        cls._lead(
            "N1 deal",
            dt(2026, 3, 1),
            A,
            u1,
            status="won",
            closed=dt(2026, 3, 1, 12),
            partner_id=cls.n1.id,
            source_id=cls.web.id,
            medium_id=cls.email.id,
            campaign_id=cls.spring.id,
        )
        cls._lead(
            "N2 deal",
            dt(2026, 3, 2),
            B,
            u2,
            status="won",
            closed=dt(2026, 3, 8),
            partner_id=cls.n2.id,
            source_id=cls.web.id,
        )
        cost = {"currency_id": cls.eur.id, "company_id": cls.company.id, "category": "acquisition"}
        cls.env["crm.kpi.cost"].create(
            [
                {
                    **cost,
                    "date": "2026-03-03",
                    "amount": 300,
                    "team_id": A.id,
                    "source_id": cls.web.id,
                    "medium_id": cls.email.id,
                    "campaign_id": cls.spring.id,
                },
                {
                    **cost,
                    "date": "2026-03-04",
                    "amount": 100,
                    "team_id": B.id,
                    "source_id": cls.web.id,
                },
                {**cost, "date": "2026-03-31", "amount": 50},
                {
                    **cost,
                    "date": "2026-03-15",
                    "amount": 90,
                    "team_id": A.id,
                    "category": "retention",
                },
                {**cost, "date": "2026-04-01", "amount": 999},
            ]
        )

    @classmethod
    def _order(cls, partner, when, amount, team=None, user=None):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "pricelist_id": False,
                "team_id": team.id if team else False,
                "user_id": user.id if user else False,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_ids": False,
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        cls._set_dates(order, date_order=when)
        return order

    def compute(self, code, period_type="month", day=date(2026, 3, 1), **kwargs):
        return self.Snapshot.with_user(self.manager).compute_snapshots(
            period_type, day, kpi_codes=[code], company_ids=[self.company.id], **kwargs
        )

    def assertRollUp(self, snapshots, dimension):
        """The rows of ``dimension`` add up to the company row: numerators
        and denominators (and so the values of a sum KPI)."""
        company = self.row(snapshots)
        rows = snapshots.filtered(lambda s: s.dimension == dimension)
        self.assertTrue(rows, f"{dimension} rows expected")
        self.assertAlmostEqual(sum(rows.mapped("numerator")), company.numerator, places=4)
        self.assertAlmostEqual(sum(rows.mapped("denominator")), company.denominator, places=4)

    def test_cac_per_utm(self):
        snapshots = self.compute("cac")
        # (300 + 100 + 50) / 3 new customers (N1, N2, N3) = 150
        self.assertKpi(self.row(snapshots), 450, 3, 150.0)
        # team A 300 / N1 = 300; team B 100 / N2 = 100; no team: 50 / N3 = 50
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 300, 1, 300.0)
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_b), 100, 1, 100.0)
        self.assertKpi(self.row(snapshots, "team", team_id=self.env["crm.team"]), 50, 1, 50.0)
        # source web: (300 + 100) / (N1, N2) = 200; no source: 50 / N3
        self.assertKpi(self.row(snapshots, "source", source_id=self.web), 400, 2, 200.0)
        self.assertKpi(self.row(snapshots, "source", source_id=self.env["utm.source"]), 50, 1, 50.0)
        # medium email: 300 / N1; no medium: (100 + 50) / (N2, N3) = 75
        self.assertKpi(self.row(snapshots, "medium", medium_id=self.email), 300, 1, 300.0)
        self.assertKpi(
            self.row(snapshots, "medium", medium_id=self.env["utm.medium"]), 150, 2, 75.0
        )
        # campaign Spring: 300 / N1; no campaign: 150 / 2 = 75
        self.assertKpi(self.row(snapshots, "campaign", campaign_id=self.spring), 300, 1, 300.0)
        self.assertKpi(
            self.row(snapshots, "campaign", campaign_id=self.env["utm.campaign"]), 150, 2, 75.0
        )
        for dimension in ("team", "source", "medium", "campaign"):
            self.assertRollUp(snapshots, dimension)

    def test_net_new_revenue_per_salesperson_and_utm(self):
        snapshots = self.compute("net_new_revenue")
        # N1 1,000 + 200, N2 400, N3 100 = 1,700
        self.assertKpi(self.row(snapshots), 1700, 1, 1700)
        # N1's later order by user 2 / team B stays with its first purchase:
        # user 1 1,200; user 2 400; no salesperson 100 (N3)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_1), 1200, 1, 1200)
        self.assertKpi(self.row(snapshots, "user", user_id=self.user_2), 400, 1, 400)
        self.assertKpi(self.row(snapshots, "user", user_id=self.env["res.users"]), 100, 1, 100)
        # team A 1,200, team B 400, no team 100
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 1200, 1, 1200)
        # source web N1 + N2 = 1,600, none 100; medium / campaign: N1 1,200, none 500
        self.assertKpi(self.row(snapshots, "source", source_id=self.web), 1600, 1, 1600)
        self.assertKpi(self.row(snapshots, "source", source_id=self.env["utm.source"]), 100, 1, 100)
        self.assertKpi(self.row(snapshots, "medium", medium_id=self.email), 1200, 1, 1200)
        self.assertKpi(self.row(snapshots, "medium", medium_id=self.env["utm.medium"]), 500, 1, 500)
        self.assertKpi(self.row(snapshots, "campaign", campaign_id=self.spring), 1200, 1, 1200)
        self.assertKpi(
            self.row(snapshots, "campaign", campaign_id=self.env["utm.campaign"]), 500, 1, 500
        )
        # a sum KPI: the values of each dimension add up to 1,700
        for dimension in ("team", "user", "source", "medium", "campaign"):
            rows = snapshots.filtered(lambda s, d=dimension: s.dimension == d)
            self.assertAlmostEqual(sum(rows.mapped("value")), 1700, places=2, msg=dimension)

    def test_marketing_roi_per_utm(self):
        snapshots = self.compute("marketing_roi")
        # marketing revenue N1 1,200; marketing costs the Spring 300 (web alone
        # is not marketing) → (1,200 − 300) / 300 × 100 = 300 %
        self.assertKpi(self.row(snapshots), 900, 300, 300.0)
        # web: N1's 1,200 (N2 is not marketing) against 300 → 300 %; no
        # source: N3 has no marketing revenue and no marketing cost → no value
        self.assertKpi(self.row(snapshots, "source", source_id=self.web), 900, 300, 300.0)
        self.assertKpi(self.row(snapshots, "source", source_id=self.env["utm.source"]), 0, 0, None)
        self.assertKpi(self.row(snapshots, "medium", medium_id=self.email), 900, 300, 300.0)
        self.assertKpi(self.row(snapshots, "campaign", campaign_id=self.spring), 900, 300, 300.0)
        self.assertFalse(
            snapshots.filtered(lambda s: s.dimension in ("team", "user")),
            "the definition allows no team or salesperson split",
        )
        for dimension in ("source", "medium", "campaign"):
            self.assertRollUp(snapshots, dimension)

    def test_marketing_shares_per_team(self):
        shares = self.compute("marketing_share")
        # marketing new customers N1 / new N1, N2, N3 → 33.33 %; team A 1 / 1,
        # team B 0 / 1, no team 0 / 1
        self.assertKpi(self.row(shares), 1, 3, 100 / 3)
        self.assertKpi(self.row(shares, "team", team_id=self.team_a), 1, 1, 100.0)
        self.assertKpi(self.row(shares, "team", team_id=self.team_b), 0, 1, 0.0)
        self.assertRollUp(shares, "team")
        revenue = self.compute("marketing_revenue_share")
        # N1 1,200 / 1,700 → 70.59 %; team A 1,200 / 1,200, team B 0 / 400, none 0 / 100
        self.assertKpi(self.row(revenue), 1200, 1700, 1200 / 17)
        self.assertKpi(self.row(revenue, "team", team_id=self.team_a), 1200, 1200, 100.0)
        self.assertKpi(self.row(revenue, "team", team_id=self.env["crm.team"]), 0, 100, 0.0)
        self.assertRollUp(revenue, "team")

    def test_marketing_shares_per_utm_when_allowed(self):
        """The catalog splits the marketing shares by team only; a catalog
        that allows the UTM split (an add-on's data: users cannot change the
        splits) gets it."""
        for code in ("marketing_share", "marketing_revenue_share"):
            self.env.ref(f"crm_kpi.crm_kpi_definition_{code}").allow_utm = True
        shares = self.compute("marketing_share")
        # web: N1 (its campaign is marketing) of N1, N2 → 50 %; no source: 0 / N3
        self.assertKpi(self.row(shares, "source", source_id=self.web), 1, 2, 50.0)
        self.assertKpi(self.row(shares, "source", source_id=self.env["utm.source"]), 0, 1, 0.0)
        # campaign Spring: 1 / 1; no campaign: 0 / 2
        self.assertKpi(self.row(shares, "campaign", campaign_id=self.spring), 1, 1, 100.0)
        revenue = self.compute("marketing_revenue_share")
        # web: N1 1,200 / (1,200 + N2 400) = 75 %; medium email 1,200 / 1,200
        self.assertKpi(self.row(revenue, "source", source_id=self.web), 1200, 1600, 75.0)
        self.assertKpi(self.row(revenue, "medium", medium_id=self.email), 1200, 1200, 100.0)
        for dimension in ("source", "medium", "campaign"):
            self.assertRollUp(shares, dimension)
            self.assertRollUp(revenue, dimension)

    def test_traffic_to_lead_per_utm(self):
        self._traffic()
        snapshots = self.compute("traffic_to_lead")
        # leads created in March: N1 deal (web / email / Spring), N2 deal (web)
        # / 1,000 + 500 visitors → 0.1333 %
        self.assertKpi(self.row(snapshots), 2, 1500, 2 / 15)
        # web: 2 / 1,000; no source: 0 / 500
        self.assertKpi(self.row(snapshots, "source", source_id=self.web), 2, 1000, 0.2)
        self.assertKpi(self.row(snapshots, "source", source_id=self.env["utm.source"]), 0, 500, 0.0)
        # email: N1 / 1,000 = 0.1 %; no medium: N2 / 500 = 0.2 %; campaigns alike
        self.assertKpi(self.row(snapshots, "medium", medium_id=self.email), 1, 1000, 0.1)
        self.assertKpi(self.row(snapshots, "medium", medium_id=self.env["utm.medium"]), 1, 500, 0.2)
        self.assertKpi(self.row(snapshots, "campaign", campaign_id=self.spring), 1, 1000, 0.1)
        for dimension in ("source", "medium", "campaign"):
            self.assertRollUp(snapshots, dimension)

    def test_splits_add_no_query(self):
        """The splits come out of the grouped queries of the company figure:
        the same number of queries with every split as with none."""
        codes = [
            "cac",
            "net_new_revenue",
            "marketing_roi",
            "marketing_share",
            "marketing_revenue_share",
        ]
        definitions = self.env["crm.kpi.definition"].search([("code", "in", codes)])
        Snapshot = self.Snapshot.with_user(self.manager)

        def count_queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            snapshots = Snapshot.compute_snapshots(
                "month", date(2026, 3, 1), kpi_codes=codes, company_ids=[self.company.id]
            )
            return self.env.cr.sql_log_count - before, snapshots

        count_queries()  # warm the caches
        split, snapshots = count_queries()
        self.assertEqual(
            set(snapshots.mapped("dimension")),
            {"company", "team", "user", "source", "medium", "campaign"},
        )
        definitions.write({"allow_team": False, "allow_user": False, "allow_utm": False})
        count_queries()
        unsplit, snapshots = count_queries()
        self.assertEqual(set(snapshots.mapped("dimension")), {"company"})
        self.assertEqual(split, unsplit)

    def test_zero_and_empty(self):
        # March 2023: no cost, no customer → no value and no dimension row
        cac = self.compute("cac", day=date(2023, 3, 1))
        self.assertKpi(self.row(cac), 0, 0, None)
        self.assertEqual(cac.mapped("dimension"), ["company"])
        revenue = self.compute("net_new_revenue", day=date(2023, 3, 1))
        self.assertKpi(self.row(revenue), 0, 1, 0)
        self.assertEqual(revenue.mapped("dimension"), ["company"])
        self.assertKpi(self.row(self.compute("marketing_roi", day=date(2023, 3, 1))), 0, 0, None)
        # April: the untagged 999 and no new customer: no CAC, and the cost is
        # that of the no-team / no-UTM rows
        april = self.compute("cac", day=date(2026, 4, 1))
        self.assertKpi(self.row(april), 999, 0, None)
        self.assertKpi(self.row(april, "source", source_id=self.env["utm.source"]), 999, 0, None)
        self.assertKpi(self.row(april, "team", team_id=self.env["crm.team"]), 999, 0, None)

    def test_every_allowed_split_is_stored(self):
        """Every active KPI of the catalog, March 2026, on data with a value
        in each dimension: a row for each dimension its definition allows."""
        self._more_data()
        definitions = self.env["crm.kpi.definition"].search([])
        snapshots = self.Snapshot.with_user(self.manager).compute_snapshots(
            "month", date(2026, 3, 1), company_ids=[self.company.id]
        )
        engine = self.env["crm.kpi.engine"]
        computed = set(snapshots.mapped("kpi_code"))
        for definition in definitions:
            with self.subTest(kpi=definition.code):
                allowed = engine._allowed_dimensions(definition)
                if not (definition.is_available and engine._has_gatherer(definition.code)):
                    self.assertEqual(allowed, {"company"}, "a KPI never computed allows no split")
                    continue
                self.assertIn(definition.code, computed)
                rows = snapshots.filtered(lambda s, code=definition.code: s.kpi_code == code)
                self.assertEqual(set(rows.mapped("dimension")), allowed)
                for dimension in allowed - {"company"}:
                    field = f"{dimension}_id"
                    self.assertTrue(
                        rows.filtered(lambda s, d=dimension, f=field: s.dimension == d and s[f]),
                        f"{definition.code}: a {dimension} row with a {dimension}",
                    )

    def _more_data(self):
        """A subscription, stage stays, an open opportunity, a converted
        lead, a quota goal, logins, feedback and web traffic, for the walk
        over the catalog."""
        A, u1 = self.team_a, self.user_1
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "KPI Split subscriptions",
                "currency_id": self.eur.id,
                "company_id": self.company.id,
            }
        )
        plan = self.env["product.product"].create(
            {
                "name": "KPI Split plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        monthly = self.env["sale.subscription.template"].create(
            {
                "name": "KPI Split monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        with freeze_time("2026-02-10 09:00:00"):
            subscription = self.env["sale.subscription"].create(
                {
                    "partner_id": self.k1.id,
                    "company_id": self.company.id,
                    "template_id": monthly.id,
                    "pricelist_id": pricelist.id,
                    "crm_team_id": A.id,
                    "user_id": u1.id,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": plan.id,
                                "product_uom_qty": 1,
                                "price_unit": 100,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            subscription.action_start_subscription()
            subscription.date = date(2026, 3, 31)
        with freeze_time("2026-03-05 09:00:00"):
            subscription.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(
                            subscription.sale_subscription_line_ids.id, {"product_uom_qty": 2}
                        )
                    ]
                }
            )
        stage_a, stage_b = self.env["crm.stage"].create(
            [
                {"name": "KPI Split A", "sequence": 901},
                {"name": "KPI Split B", "sequence": 902},
            ]
        )
        with freeze_time("2026-03-01 00:00:00"):
            staying = self.env["crm.lead"].create(
                {
                    "name": "KPI Split stay",
                    "type": "opportunity",
                    "stage_id": stage_a.id,
                    "company_id": self.company.id,
                    "team_id": A.id,
                    "user_id": u1.id,
                }
            )
        with freeze_time("2026-03-04 00:00:00"):
            staying.stage_id = stage_b
        A.invoiced_target = 1000
        goal = self.env["crm.kpi.goal"].create(
            {
                "name": "KPI Split quota",
                "kpi_id": self.env.ref("crm_kpi.crm_kpi_definition_quota").id,
                "company_id": self.company.id,
                "scope": "user",
                "user_id": u1.id,
                "period_type": "month",
                "date_start": date(2026, 3, 1),
                "deadline": date(2026, 3, 31),
                "target_value": 1000,
            }
        )
        with freeze_time("2026-03-01 10:00:00"):
            goal.action_start()
        self.env.execute_query(
            SQL(
                "INSERT INTO res_users_log (create_uid, create_date, write_uid, write_date)"
                " VALUES (%s, %s, %s, %s)",
                u1.id,
                dt(2026, 3, 2, 9),
                u1.id,
                dt(2026, 3, 2, 9),
            )
        )
        # open at the end of March (pipeline KPIs), created in it
        self._set_dates(staying, create_uid=u1.id, create_date=dt(2026, 3, 1))
        # a lead of March with every split, converted (lead conversion)
        lead = self._lead(
            "KPI Split lead",
            dt(2026, 3, 2),
            A,
            u1,
            lead_type="lead",
            source_id=self.web.id,
            medium_id=self.email.id,
            campaign_id=self.spring.id,
        )
        lead.convert_opportunity(False, team_id=A.id)
        self.env["crm.kpi.feedback"].create(
            [
                {
                    "partner_id": self.n1.id,
                    "date": "2026-03-10",
                    "kind": kind,
                    "scale": scale,
                    "score": score,
                    "company_id": self.company.id,
                }
                for kind, scale, score in (("nps", "0_10", 9), ("ces", "1_7", 6))
            ]
        )
        self._traffic()
        if "helpdesk.ticket" in self.env:  # resolution_time, with helpdesk_mgmt beside crm_kpi
            ticket = self.env["helpdesk.ticket"].create(
                {
                    "name": "KPI Split ticket",
                    "description": "<p>KPI Split</p>",
                    "company_id": self.company.id,
                    "user_id": u1.id,
                }
            )
            self._set_dates(ticket, create_date=dt(2026, 3, 2, 9), closed_date=dt(2026, 3, 3, 9))

    def _traffic(self):
        self.env["crm.kpi.traffic"].with_user(self.manager).create(
            [
                {
                    "date": "2026-03-01",
                    "visitors": 1000,
                    "source_id": self.web.id,
                    "medium_id": self.email.id,
                    "campaign_id": self.spring.id,
                    "company_id": self.company.id,
                },
                {"date": "2026-03-01", "visitors": 500, "company_id": self.company.id},
            ]
        )
