# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import tagged

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestCustomerKpis(KpiCase):
    """Customers of March 2026 (activity window 365 days, company in EUR).

    Confirmed orders (order date):
      C1  2025-06-10                  → active at 03-01 and at 04-01: retained
      C2  2025-03-15                  → active at 03-01, not at 04-01: lost
      C3  2025-03-20 and 2026-03-10   → retained, bought again: upsold
      C4  2026-03-05 (1,000 EUR), its contact 2026-03-20 (200 EUR): new
      C5  2026-03-25 (500 USD at 2 USD per EUR on 03-31 = 250 EUR): new
      C6  2024-01-01 and 2024-07-01   → never active in the period
    active at start {C1, C2, C3} = 3, at end {C1, C3, C4, C5} = 4,
    new {C4, C5} = 2, lost {C2} = 1, retained {C1, C3} = 2, upsold {C3} = 1.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._company_in_eur({"2026-01-01": 1.25, "2026-03-31": 2.0, "2026-04-15": 4.0})
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI Service",
                "type": "service",
                "list_price": 1.0,
            }
        )
        Partner = cls.env["res.partner"]
        cls.c1, cls.c2, cls.c3, cls.c4, cls.c5, cls.c6 = Partner.create(
            [{"name": f"KPI Customer {i}", "is_company": True} for i in range(1, 7)]
        )
        cls.c4_contact = Partner.create({"name": "C4 buyer", "parent_id": cls.c4.id})
        cls._order(cls.c1, dt(2025, 6, 10), 100)
        cls._order(cls.c2, dt(2025, 3, 15), 100)
        cls._order(cls.c3, dt(2025, 3, 20), 100)
        cls._order(cls.c3, dt(2026, 3, 10), 300)
        cls._order(cls.c4, dt(2026, 3, 5), 1000)
        cls._order(cls.c4_contact, dt(2026, 3, 20), 200)
        cls._order(cls.c5, dt(2026, 3, 25), 500, pricelist=cls.usd_pricelist)
        cls._order(cls.c6, dt(2024, 1, 1), 100)
        cls._order(cls.c6, dt(2024, 7, 1), 100)
        # a quotation never confirmed does not count
        cls._order(cls.c6, dt(2026, 3, 5), 100, confirm=False)

    @classmethod
    def _order(cls, partner, when, amount, pricelist=None, confirm=True):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "pricelist_id": pricelist.id if pricelist else False,
                "team_id": cls.team_a.id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_ids": False,
                        },
                    )
                ],
            }
        )
        if confirm:
            order.action_confirm()
        cls._set_dates(order, date_order=when)
        return order

    def test_churn(self):
        # lost 1 / active at start 3 × 100 = 33.33 %
        self.assertKpi(self.row(self.compute("churn", "month", date(2026, 3, 1))), 1, 3, 33.3333)

    def test_retention(self):
        # (active at end 4 − new 2) / active at start 3 × 100 = 66.67 %
        self.assertKpi(
            self.row(self.compute("retention", "month", date(2026, 3, 1))), 2, 3, 66.6667
        )

    def test_upsell(self):
        # C3 bought again: 1 / 3 × 100 = 33.33 %
        self.assertKpi(self.row(self.compute("upsell", "month", date(2026, 3, 1))), 1, 3, 33.3333)

    def test_net_new_revenue_multi_currency(self):
        # C4 1,000 + 200 EUR, C5 500 USD / 2.0 = 250 EUR → 1,450 EUR
        snapshots = self.compute("net_new_revenue", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 1450, 1, 1450)
        self.assertEqual(snapshots[0].currency_id, self.eur)

    def test_drill_down_lists_the_customers_counted(self):
        """The drill-down of a customer KPI reads the engine's own condition:
        churn lists the lost customers it counts ({C2}), retention those
        active at the start ({C1, C2, C3}), upsell {C3}; for team A (the
        team of every first purchase) the same, for team B nobody."""
        churn = self.row(self.compute("churn", "month", date(2026, 3, 1)))
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))

        def listed(code, row=None):
            definition = self.env.ref(f"crm_kpi.crm_kpi_definition_{code}")
            model, domain = engine._records_of(definition, window, row)
            self.assertEqual(model, "res.partner")
            return self.env[model].search(domain)

        self.assertEqual(listed("churn"), self.c2)
        self.assertEqual(len(listed("churn")), churn.numerator)
        self.assertEqual(listed("retention"), self.c1 | self.c2 | self.c3)
        self.assertEqual(listed("upsell"), self.c3)
        self.assertEqual(listed("churn", {"dimension": "team", "team_id": self.team_a.id}), self.c2)
        self.assertFalse(listed("churn", {"dimension": "team", "team_id": self.team_b.id}))
        # the dashboard's drill-down is the family's
        action = (
            self.env["crm.kpi.dashboard"]
            .with_company(self.company)
            .action_open_kpi_records("churn", "month", "2026-03-15")
        )
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.c2)
        # from team A's dashboard: the customers counted for team A (the team
        # of their first purchase; the partners have no team of their own),
        # and the title says which team and period
        Dashboard = self.env["crm.kpi.dashboard"].with_company(self.company)
        action = Dashboard.action_open_kpi_records(
            "churn", "month", "2026-03-15", team_id=self.team_a.id
        )
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.c2)
        self.assertIn(self.team_a.name, action["name"])
        self.assertIn("Mar 2026", action["name"])
        action = Dashboard.action_open_kpi_records(
            "churn", "month", "2026-03-15", team_id=self.team_b.id
        )
        self.assertFalse(self.env[action["res_model"]].search(action["domain"]))

    def test_empty_period(self):
        # January 2024: nobody active before, C6 is new → no churn value (0 / 0)
        snapshots = self.compute("churn", "month", date(2024, 1, 1))
        self.assertKpi(self.row(snapshots), 0, 0, None)
        revenue = self.compute("net_new_revenue", "month", date(2023, 1, 1))
        self.assertKpi(self.row(revenue), 0, 1, 0)

    def test_activity_window_setting(self):
        # With a 30-day window, at 03-01 nobody bought in [01-30, 03-01): the
        # churn denominator is 0 → no value; retention likewise.
        self.company.kpi_activity_window_days = 30
        self.assertKpi(self.row(self.compute("churn", "month", date(2026, 3, 1))), 0, 0, None)

    def _won_leads(self):
        campaign = self.env["utm.campaign"].create({"name": "KPI Spring"})
        phone = self.env.ref("utm.utm_medium_phone")
        # C4's first won lead carries a campaign (marketing); its later one does not matter.
        self._lead(
            "C4 deal",
            dt(2026, 2, 1),
            self.team_a,
            status="won",
            closed=dt(2026, 3, 1),
            partner_id=self.c4_contact.id,
            campaign_id=campaign.id,
        )
        self._lead(
            "C4 later",
            dt(2026, 3, 1),
            self.team_a,
            status="won",
            closed=dt(2026, 3, 20),
            partner_id=self.c4.id,
            medium_id=phone.id,
        )
        # C5 came by phone: not marketing.
        self._lead(
            "C5 deal",
            dt(2026, 2, 1),
            self.team_a,
            status="won",
            closed=dt(2026, 3, 2),
            partner_id=self.c5.id,
            medium_id=phone.id,
        )

    def test_marketing_share(self):
        self._won_leads()
        # new customers C4 (campaign) and C5 (phone): 1 / 2 × 100 = 50 %
        snapshots = self.compute("marketing_share", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 1, 2, 50.0)
        # marking Phone as a marketing medium makes both marketing-sourced
        self.company.kpi_marketing_medium_ids |= self.env.ref("utm.utm_medium_phone")
        snapshots = self.compute("marketing_share", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 2, 2, 100.0)

    def test_marketing_revenue_share(self):
        self._won_leads()
        # C4 1,200 EUR of 1,450 EUR new-customer revenue → 82.76 %
        snapshots = self.compute("marketing_revenue_share", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 1200, 1450, 82.7586)

    def _costs(self):
        campaign = self.env["utm.campaign"].create({"name": "KPI Ads"})
        self.env["crm.kpi.cost"].create(
            [
                # acquisition: 300 EUR (team A, campaign) + 100 USD (= 50 EUR at 2.0) in March
                {
                    "date": "2026-03-03",
                    "amount": 300,
                    "currency_id": self.eur.id,
                    "category": "acquisition",
                    "team_id": self.team_a.id,
                    "campaign_id": campaign.id,
                    "company_id": self.company.id,
                },
                {
                    "date": "2026-03-31",
                    "amount": 100,
                    "currency_id": self.usd.id,
                    "category": "acquisition",
                    "company_id": self.company.id,
                },
                # retention: 90 EUR in March; acquisition in April does not count
                {
                    "date": "2026-03-15",
                    "amount": 90,
                    "currency_id": self.eur.id,
                    "category": "retention",
                    "company_id": self.company.id,
                },
                {
                    "date": "2026-04-01",
                    "amount": 999,
                    "currency_id": self.eur.id,
                    "category": "acquisition",
                    "company_id": self.company.id,
                },
            ]
        )

    def test_cac(self):
        self._costs()
        # (300 + 50) EUR / 2 new customers = 175 EUR
        snapshots = self.compute("cac", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 350, 2, 175.0)
        # every first order was sold by team A: 300 EUR / 2
        self.assertKpi(self.row(snapshots, "team", team_id=self.team_a), 300, 2, 150.0)
        # no cost and no new customer: no value
        self.assertKpi(self.row(self.compute("cac", "month", date(2023, 3, 1))), 0, 0, None)

    def test_retention_cost(self):
        self._costs()
        # 90 EUR / 2 retained customers (C1, C3) = 45 EUR
        self.assertKpi(
            self.row(self.compute("retention_cost", "month", date(2026, 3, 1))), 90, 2, 45.0
        )

    def test_marketing_roi(self):
        self._costs()
        self._won_leads()
        # marketing revenue: C4 1,200 EUR; marketing costs: the campaign's 300 EUR
        # (the untagged 100 USD is sales spend) → (1,200 − 300) / 300 × 100 = 300 %
        snapshots = self.compute("marketing_roi", "month", date(2026, 3, 1))
        self.assertKpi(self.row(snapshots), 900, 300, 300.0)

    def test_cac_payback(self):
        self._costs()
        # acquisition costs 350 EUR / monthly revenue of the new customers
        # (C4 1,200 + C5 250 in one month, no MRR) = 350 / 1,450 = 0.2414 months
        self.assertKpi(
            self.row(self.compute("cac_payback", "month", date(2026, 3, 1))), 350, 1450, 0.2414
        )
        # at a 50 % gross margin the margin recovers it twice slower: 350 / 725
        self.company.kpi_gross_margin = 50
        self.assertKpi(
            self.row(self.compute("cac_payback", "month", date(2026, 3, 1))), 350, 725, 0.4828
        )

    def test_clv_purchase(self):
        # trailing 12 months [2025-04-01, 2026-04-01): orders C1 100, C3 300,
        # C4 1,000 + 200, C5 250 → revenue 1,850 EUR, 5 purchases, 4 customers.
        # churned customers (inactive at 04-01): C2 (one order: 0 years) and
        # C6 (2024-01-01 → 2024-07-01: 182 / 365.25 = 0.49829 years) → 0.249144
        # CLV = 1,850 / 5 × 5 / 4 × 0.249144 = 370 × 1.25 × 0.249144 = 115.23
        snapshot = self.row(self.compute("clv", "month", date(2026, 3, 1)))
        self.assertAlmostEqual(snapshot.value, 115.2293, places=3)

    def test_clv_margin_minus_cac(self):
        self._costs()
        self.company.kpi_clv_method = "margin_minus_cac"
        # yearly gross profit per customer 1,850 × 100 % / 4 = 462.5;
        # retention 0.249144 years; CAC over the year: 350 / new C1, C4, C5 = 116.667
        # CLV = 462.5 × 0.249144 − 116.667 = −1.437 (these customers do not pay back)
        snapshot = self.row(self.compute("clv", "month", date(2026, 3, 1)))
        self.assertAlmostEqual(snapshot.value, -1.4374, places=3)

    def test_clv_without_history(self):
        # nothing before 2023: no purchase → no value
        snapshot = self.row(self.compute("clv", "month", date(2023, 1, 1)))
        self.assertFalse(snapshot.has_value)

    def test_run_is_closed_when_a_kpi_raises(self):
        engine = self.env["crm.kpi.engine"]
        period = period_of("month", date(2026, 3, 1))
        with self.assertRaises(ZeroDivisionError):
            with engine._run(self.company, [period], ["churn", "retention", "upsell"]) as run:
                self.assertEqual(set(run), {"events", "first", "intervals", "_jit", "_now"})
                raise ZeroDivisionError("a KPI failed")
        self.assertFalse(run)
        self.env.cr.execute(
            "SELECT to_regclass(%s)", [f"pg_temp.crm_kpi_run_events_{self.company.id}"]
        )
        self.assertIsNone(self.env.cr.fetchone()[0], "the run's tables are dropped")

    def test_run_tables_give_the_inlined_values(self):
        """A run materializes the customer data once (temporary tables); the
        same KPIs computed from the inlined SQL give the same rows."""
        self._won_leads()
        self._costs()
        engine = self.env["crm.kpi.engine"]
        period = period_of("month", date(2026, 3, 1))
        customer_kpis = engine._customer_kpis()
        definitions = self.env["crm.kpi.definition"].search([("code", "in", sorted(customer_kpis))])
        self.assertEqual(len(definitions), len(customer_kpis))
        run = engine._open_run(self.company, [period], definitions.mapped("code"))
        self.assertEqual(set(run), {"events", "first", "intervals", "sources", "_jit", "_now"})

        def values(rows):
            return sorted(
                (
                    row["dimension"],
                    row.get(f"{row['dimension']}_id") or 0,
                    round(row["kpi_value"].numerator, 6),
                    round(row["kpi_value"].denominator, 6),
                )
                for row in rows
            )

        for definition in definitions:
            with self.subTest(kpi=definition.code):
                with_run = engine._gather(
                    definition, engine._make_window(self.company, period, run)
                )
                inlined = engine._gather(definition, engine._make_window(self.company, period))
                self.assertEqual(values(with_run), values(inlined))
                self.assertTrue(with_run, "the KPI has rows")
        engine._close_run(run)
        self.assertFalse(run)
        self.env.cr.execute(
            "SELECT to_regclass(%s)", [f"pg_temp.crm_kpi_run_events_{self.company.id}"]
        )
        self.assertIsNone(self.env.cr.fetchone()[0], "the run's tables are dropped")
