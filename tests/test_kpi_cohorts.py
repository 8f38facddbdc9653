# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
from datetime import date

from openpyxl import load_workbook

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import freeze_time, new_test_user, tagged

from .common import KpiCase, dt

JAN, FEB, MAR, APR = (date(2026, month, 1) for month in (1, 2, 3, 4))


@tagged("post_install", "-at_install")
class TestRetentionCohorts(KpiCase):
    """Three cohorts measured by the monthly run of January to April 2026
    (company currency, UTC, activity window 365 days). Subscriptions made
    through subscription_oca's own actions, one-off orders confirmed:

      ==  ======  ====  =================================================
      K   cohort  team  story
      ==  ======  ====  =================================================
      K1  Jan     A     subscription 100 a month from 01-10
      K2  Jan     A     subscription 200 from 01-20, closed 02-15 (churn),
                        reactivated 04-10 (reactivation)
      K3  Jan     B     one-off order of 500 on 01-25 (active 365 days,
                        no MRR)
      K4  Feb     A     subscription 50 from 02-05, upgraded 03-10 to 150
                        (expansion)
      K5  Mar     B     subscription 80 from 03-03
      K6  Mar     B     one-off order of 300 on 03-12
      ==  ======  ====  =================================================

    Logo retention (active at the month's end / cohort size), months 0-3:

      Jan (3)  K1 K2 K3 3/3 = 100 | K1 K3 2/3 = 66.67 | 2/3 = 66.67 | 3/3 = 100
      Feb (1)  1/1 = 100 | 1/1 = 100 | 1/1 = 100
      Mar (2)  2/2 = 100 | 2/2 = 100

    Revenue retention (MRR at the month's end / MRR at the end of month 0):

      Jan (300: K1 100 + K2 200)  300/300 = 100 | 100/300 = 33.33 | 33.33 | 300/300 = 100
      Feb (50)                    50/50 = 100 | 150/50 = 300 | 150/50 = 300
      Mar (80, K6 pays none)      80/80 = 100 | 80/80 = 100

    All cohorts, logo: month 0 (3 + 1 + 2)/(3 + 1 + 2) = 100, month 1
    (2 + 1 + 2)/6 = 83.33, month 2 (2 + 1)/4 = 75, month 3 3/3 = 100;
    revenue month 1 (100 + 150 + 80)/(300 + 50 + 80) = 76.74, month 2
    (100 + 150)/(300 + 50) = 71.43, month 3 300/300 = 100.

    Team A (K1, K2, K4): Jan 2/2, 1/2, 1/2, 2/2 and MRR 300 → 100, 33.33,
    33.33, 100; team B Jan (K3): 1/1 each month, no starting MRR (no
    revenue row).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        currency = cls.company.currency_id
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI cohorts",
                "currency_id": currency.id,
                "company_id": cls.company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI cohort plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        cls.monthly = cls.env["sale.subscription.template"].create(
            {
                "name": "KPI cohorts monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        cls.reason = cls.env["sale.subscription.close.reason"].create({"name": "KPI: cohorts"})
        cls.kpi_user = new_test_user(
            cls.env,
            "kpi_cohort_user",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.k1, cls.k2, cls.k3, cls.k4, cls.k5, cls.k6 = cls._partners("K", 6)
        A, B = cls.team_a, cls.team_b
        cls._start(cls.k1, 100, "2026-01-10 09:00:00", A)
        s2 = cls._start(cls.k2, 200, "2026-01-20 09:00:00", A)
        cls._order(cls.k3, 500, dt(2026, 1, 25, 10), B)
        s4 = cls._start(cls.k4, 50, "2026-02-05 09:00:00", A)
        with freeze_time("2026-02-15 09:00:00"):
            s2.close_subscription(cls.reason.id)
        cls._start(cls.k5, 80, "2026-03-03 09:00:00", B)
        with freeze_time("2026-03-10 09:00:00"):
            s4.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(s4.sale_subscription_line_ids.id, {"product_uom_qty": 3})
                    ]
                }
            )
        cls._order(cls.k6, 300, dt(2026, 3, 12, 10), B)
        with freeze_time("2026-04-10 09:00:00"):
            s2.action_start_subscription()

    @classmethod
    def _partners(cls, prefix, count):
        return cls.env["res.partner"].create(
            [{"name": f"KPI Cohort {prefix}{i}", "is_company": True} for i in range(1, count + 1)]
        )

    @classmethod
    def _start(cls, partner, price, when, team):
        with freeze_time(when):
            subscription = cls.env["sale.subscription"].create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "template_id": cls.monthly.id,
                    "pricelist_id": cls.pricelist.id,
                    "crm_team_id": team.id,
                    "user_id": cls.user_1.id,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "product_uom_qty": 1,
                                "price_unit": price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            subscription.action_start_subscription()
        return subscription

    @classmethod
    def _order(cls, partner, amount, when, team):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "pricelist_id": cls.pricelist.id,
                "team_id": team.id,
                "user_id": cls.user_2.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        cls._set_dates(order, date_order=when)
        return order

    def _run(self, company=None, codes=("active_customers",)):
        company = company or self.company
        return self.Snapshot.compute_snapshots(
            "month", JAN, date(2026, 4, 30), kpi_codes=list(codes), company_ids=[company.id]
        )

    def _shares(self, mode, team=None, company=None):
        """{cohort: [share of month 0, 1, ...]} and the average row."""
        triangle = self.env["crm.kpi.cohort.cell"]._kpi_cohort_triangle(
            company or self.company, mode, team=team
        )

        def shares(row):
            return [None if c.share is None else round(c.share, 2) for c in row.cells]

        return {row.cohort: shares(row) for row in triangle.rows}, shares(triangle.average)

    def _cell(self, cohort, months_since, dimension="company", team=None):
        cell = self.env["crm.kpi.cohort.cell"].search(
            [
                ("company_id", "=", self.company.id),
                ("dimension", "=", dimension),
                ("team_id", "=", team.id if team else False),
                ("cohort_month", "=", cohort),
                ("months_since", "=", months_since),
            ]
        )
        self.assertEqual(len(cell), 1)
        return cell

    def test_logo_retention(self):
        self._run()
        rows, average = self._shares("logo")
        self.assertEqual(
            rows,
            {
                JAN: [100.0, 66.67, 66.67, 100.0],
                FEB: [100.0, 100.0, 100.0],
                MAR: [100.0, 100.0],
            },
        )
        self.assertEqual(average, [100.0, 83.33, 75.0, 100.0])
        # numerators and denominators are stored: Jan, month 1 = 2 of 3, in February
        cell = self._cell(JAN, 1)
        self.assertEqual((cell.customers, cell.cohort_size, cell.period_month), (2, 3, FEB))
        # the reactivation brings K2 back in month 3
        self.assertEqual((self._cell(JAN, 3).customers, self._cell(JAN, 3).cohort_size), (3, 3))

    def test_revenue_retention(self):
        self._run()
        rows, average = self._shares("revenue")
        self.assertEqual(
            rows,
            {
                JAN: [100.0, 33.33, 33.33, 100.0],
                FEB: [100.0, 300.0, 300.0],
                MAR: [100.0, 100.0],
            },
        )
        self.assertEqual(average, [100.0, 76.74, 71.43, 100.0])
        cell = self._cell(FEB, 1)
        self.assertAlmostEqual(cell.mrr, 150)
        self.assertAlmostEqual(cell.mrr_start, 50)
        # K6 (one-off) pays no MRR: March starts from K5's 80
        self.assertAlmostEqual(self._cell(MAR, 0).mrr_start, 80)

    def test_team_scope(self):
        self._run()
        A, B = self.team_a, self.team_b
        self.assertEqual(
            self._shares("logo", team=A)[0],
            {
                JAN: [100.0, 50.0, 50.0, 100.0],
                FEB: [100.0, 100.0, 100.0],
            },
        )
        self.assertEqual(self._shares("revenue", team=A)[0][JAN], [100.0, 33.33, 33.33, 100.0])
        self.assertEqual(
            self._shares("logo", team=B)[0],
            {
                JAN: [100.0, 100.0, 100.0, 100.0],
                MAR: [100.0, 100.0],
            },
        )
        # K3 pays no MRR: team B's January cohort has no revenue row, March
        # starts from K5's 80
        self.assertEqual(self._shares("revenue", team=B)[0], {MAR: [100.0, 100.0]})
        # the teams add up to the company
        for k in range(4):
            cells = [self._cell(JAN, k, "team", A), self._cell(JAN, k, "team", B)]
            company = self._cell(JAN, k)
            self.assertEqual(sum(c.customers for c in cells), company.customers)
            self.assertEqual(sum(c.cohort_size for c in cells), company.cohort_size)
            self.assertAlmostEqual(sum(c.mrr for c in cells), company.mrr)

    def test_drill_down(self):
        self._run()
        Cell = self.env["crm.kpi.cohort.cell"].with_user(self.kpi_user)

        def listed(cohort, k, mode, team=None):
            action = Cell.with_company(self.company).action_open_cohort_customers(
                str(cohort), k, mode, team.id if team else False
            )
            self.assertEqual(action["res_model"], "res.partner")
            return sorted(self.env["res.partner"].search(action["domain"]).mapped("name"))

        self.assertEqual(listed(JAN, 1, "logo"), sorted([self.k1.name, self.k3.name]))
        self.assertEqual(listed(JAN, 3, "logo"), sorted([self.k1.name, self.k2.name, self.k3.name]))
        self.assertEqual(listed(JAN, 1, "revenue"), [self.k1.name])
        self.assertEqual(listed(JAN, 3, "logo", self.team_b), [self.k3.name])
        self.assertEqual(listed(MAR, 0, "revenue"), [self.k5.name])

    def test_view_data(self):
        self._run()
        data = (
            self.env["crm.kpi.cohort.cell"]
            .with_user(self.kpi_user)
            .with_company(self.company)
            .get_cohort_data("revenue")
        )
        self.assertEqual(data["months"], [0, 1, 2, 3])
        self.assertEqual(
            [row["cohort"] for row in data["rows"]], ["2026-01-01", "2026-02-01", "2026-03-01"]
        )
        feb = data["rows"][1]
        self.assertEqual([cell["text"] for cell in feb["cells"]], ["100.0 %", "300.0 %", "300.0 %"])
        self.assertIn("150", feb["cells"][1]["tooltip"])
        self.assertIn("50", feb["cells"][1]["tooltip"])
        # the colour follows the share: deep at 100 % and above, white-ish below
        self.assertEqual(feb["cells"][1]["background"], feb["cells"][0]["background"])
        self.assertNotEqual(
            data["rows"][0]["cells"][1]["background"], feb["cells"][0]["background"]
        )
        logo = self.env["crm.kpi.cohort.cell"].with_company(self.company).get_cohort_data("logo")
        self.assertEqual(logo["rows"][0]["cells"][1]["tooltip"], "2 of 3 customers active")
        self.assertEqual(logo["average"]["cells"][1]["text"], "83.3 %")

    def test_rerun_replaces_cells(self):
        self._run()
        self._run()
        Cell = self.env["crm.kpi.cohort.cell"]
        # company: 4 + 3 + 2 cells; team A: Jan 4 + Feb 3; team B: Jan 4 + Mar 2
        self.assertEqual(Cell.search_count([("company_id", "=", self.company.id)]), 9 + 7 + 6)
        # runs without the cohorts' KPIs or of other period types leave them alone
        self.Snapshot.compute_snapshots(
            "quarter", JAN, kpi_codes=["active_customers"], company_ids=[self.company.id]
        )
        self.Snapshot.compute_snapshots(
            "month", JAN, kpi_codes=["win_rate"], company_ids=[self.company.id]
        )
        self.assertEqual(Cell.search_count([("company_id", "=", self.company.id)]), 22)

    def test_query_count_constant(self):
        """The run's queries do not depend on the number of customers,
        cohorts or cells."""

        def count_queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._run()
            return self.env.cr.sql_log_count - before

        count_queries()  # warm the caches
        small = count_queries()
        cells = self.env["crm.kpi.cohort.cell"].search_count([])
        # twelve more customers over the four months, of both teams
        for index, partner in enumerate(self._partners("Q", 12)):
            month = index % 4 + 1
            team = self.team_a if index % 2 else self.team_b
            if index % 3:
                self._start(
                    partner, 10 * (index + 1), f"2026-0{month}-0{index % 9 + 1} 09:00:00", team
                )
            else:
                self._order(partner, 100, dt(2026, month, 20, 10), team)
        count_queries()
        large = count_queries()
        self.assertGreater(self.env["crm.kpi.cohort.cell"].search_count([]), cells)
        self.assertEqual(small, large)

    def test_empty(self):
        other = self.env["res.company"].create({"name": "KPI Cohorts Empty Co"})
        other.partner_id.tz = "UTC"
        self.env.user.company_ids |= other
        self._run(company=other, codes=("active_customers", "mrr"))
        Cell = self.env["crm.kpi.cohort.cell"].with_company(other)
        self.assertFalse(Cell.search([("company_id", "=", other.id)]))
        triangle = Cell._kpi_cohort_triangle(other, "logo")
        self.assertTrue(triangle.is_empty)
        data = Cell.get_cohort_data("revenue")
        self.assertEqual((data["rows"], data["months"], data["average"]["cells"]), ([], [], []))

    def test_rights(self):
        self._run()
        Cell = self.env["crm.kpi.cohort.cell"]
        cells = Cell.with_user(self.kpi_user).search([])
        self.assertEqual(cells.company_id, self.company)
        with self.assertRaises(AccessError):
            cells[:1].write({"customers": 99})
        with self.assertRaises(AccessError):
            Cell.with_user(self.kpi_user).create(
                {
                    "company_id": self.company.id,
                    "cohort_month": JAN,
                    "months_since": 0,
                    "period_month": JAN,
                    "computed_at": "2026-01-01 00:00:00",
                }
            )
        # another company's salesperson sees none of them
        outsider_company = self.env["res.company"].create({"name": "KPI Cohorts Outsider"})
        outsider = new_test_user(
            self.env,
            "kpi_cohort_outsider",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=outsider_company.id,
            company_ids=[outsider_company.id],
        )
        self.assertFalse(Cell.with_user(outsider).search([]))

    def test_xlsx_sheet(self):
        self._run()
        options = {
            "date_from": "2026-01-01",
            "date_to": "2026-04-30",
            "period_type": "month",
            "company_id": self.company.id,
            "scope": "company",
            "team_ids": [],
            "user_ids": [],
            "kpi_ids": self.env.ref("crm_kpi.crm_kpi_definition_active_customers").ids,
            "include_goals": False,
            "include_definitions": False,
        }
        content, _kind = self.env["ir.actions.report"]._render(
            "crm_kpi.report_kpi_board_pack", [], {"board_pack": options}
        )
        book = load_workbook(io.BytesIO(content))
        self.assertIn("Cohorts", book.sheetnames)
        sheet = book["Cohorts"]
        values = [
            [round(cell.value, 2) if isinstance(cell.value, float) else cell.value for cell in row]
            for row in sheet.iter_rows(min_row=4)
        ]
        # logo triangle: title, header, Jan, Feb, Mar, All cohorts
        self.assertEqual(values[1][:6], ["Cohort", "Cohort Customers", "0", "1", "2", "3"])
        self.assertEqual(values[2][1:6], [3, 100, 66.67, 66.67, 100])
        self.assertEqual(values[3][1:6], [1, 100, 100, 100, None])
        self.assertEqual(values[4][1:4], [2, 100, 100])
        self.assertEqual(values[5][0], "All cohorts")
        # revenue triangle below it
        revenue = next(i for i, row in enumerate(values) if row[1] == "Starting MRR")
        self.assertEqual(values[revenue + 1][1:6], [300, 100, 33.33, 33.33, 100])
        self.assertEqual(values[revenue + 2][1:5], [50, 100, 300, 300])
        # the colour scale of the view, as Excel conditional formats
        rules = [rule for rng in sheet.conditional_formatting for rule in rng.rules]
        self.assertEqual([rule.type for rule in rules], ["colorScale", "colorScale"])
