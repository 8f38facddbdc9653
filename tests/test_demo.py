# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged

# Cards of the last complete month that the demo history must fill: the
# subscription (MRR bridge, renewal), pipeline stage, pipeline and customer KPIs.
SUBSCRIPTION_CODES = ("mrr_churn", "nrr", "grr", "quick_ratio", "net_new_mrr", "renewal")
STAGE_CODES = ("stage_duration", "stage_drop_off", "win_rate", "sales_cycle")
CUSTOMER_CODES = (
    "churn",
    "retention",
    "upsell",
    "clv",
    "cac",
    "cac_payback",
    "net_new_revenue",
    "retention_cost",
    "nps",
    "ces",
    "ces_easy_share",
)

DEMO_SUBSCRIBERS = (
    "Northwind Traders",
    "Blue Harbor Studio",
    "Copperleaf Dental",
    "Greenfield Logistics",
    "Hilltop Bakery",
    "Ironbridge Legal",
    "Juniper Analytics",
    "Kestrel Travel",
    "Lakeside Clinics",
    "Maple Row Architects",
    "Nimbus Print Shop",
    "Orchard Schools",
    "Pinecrest Hotels",
    "Quarry Lane Builders",
    "Riverstone Insurance",
)


@tagged("post_install", "-at_install")
class TestDemoHistory(TransactionCase):
    """The history that the demo data computes at install
    (``crm.kpi.snapshot._demo_compute_history``), read in the test database,
    which has Odoo's demo data. Nothing is installed or computed here.

    The demo subscriptions of the last complete month (MRR of a seat 90, of
    the yearly plan 4,800 / 12 = 400):

    =================  ==========  ===================================
    subscription       MRR start   in the month
    =================  ==========  ===================================
    Northwind (1)      720         downgrade 8 → 6 seats: −180
    Blue Harbor (2)    270         upgrade 3 → 5 seats: +180
    Copperleaf (3)     360         closed: −360
    Greenfield (4)     0           reactivated, 2 seats: +180
    Hilltop (5)        810
    Ironbridge (6)     0           started, 2 seats: +180
    Lakeside (9)       450         resumed
    Maple Row (10)     270
    Nimbus (11)        400         renewed at its end date
    Orchard (12)       400         ended, not renewed: −400
    Pinecrest (13)     800
    Quarry Lane (14)   400
    Riverstone (15)    0           started, 2 yearly plans: +800
    =================  ==========  ===================================

    MRR at the start 4,880; contraction 180, churned 760, expansion 180,
    new 980, reactivation 180:
    MRR churn 940 / 4,880 = 19.26 %, GRR 3,940 / 4,880 = 80.74 %,
    NRR 4,120 / 4,880 = 84.43 %, quick ratio 1,340 / 940 = 1.4255,
    net new MRR 980 + 180 + 180 − 180 − 760 = 400, renewal 1 / 2 = 50 %.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("crm_kpi.crm_kpi_goal_demo_win_rate", raise_if_not_found=False):
            cls.skipTest(cls, "crm_kpi was installed without its demo data")
        cls.company = cls.env.ref("base.main_company")
        cls.today = fields.Date.context_today(cls.env["crm.kpi.snapshot"])
        cls.last_month_day = cls.today.replace(day=1) - relativedelta(days=1)
        cls.kpi_user = new_test_user(
            cls.env,
            "kpi_demo_reader",
            groups="crm_kpi.crm_kpi_group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.subscribers = cls.env["res.partner"].search(
            [("name", "in", DEMO_SUBSCRIBERS), ("is_company", "=", True)]
        )
        cls.subscriber = cls.subscribers.filtered(lambda p: p.name == "Northwind Traders")
        cls.subscriptions = cls.env["sale.subscription"].search(
            [("partner_id", "in", cls.subscribers.ids)]
        )

    def _cards(self, period_type, day):
        data = (
            self.env["crm.kpi.dashboard"]
            .with_user(self.kpi_user)
            .with_company(self.company)
            .get_dashboard_data(period_type, day)
        )
        return {card["code"]: card for card in data["cards"]}

    def test_last_complete_month_has_values(self):
        cards = self._cards("month", self.last_month_day)
        empty = {
            code: cards[code]["empty_reason"]
            for code in SUBSCRIPTION_CODES + STAGE_CODES + CUSTOMER_CODES
            if cards[code]["value"] is None
        }
        self.assertFalse(empty, "cards without a value in the last complete month")
        expected = {
            "mrr_churn": 19.2623,
            "grr": 80.7377,
            "nrr": 84.4262,
            "quick_ratio": 1.4255,
            "net_new_mrr": 400.0,
            "renewal": 50.0,
        }
        for code, value in expected.items():
            self.assertAlmostEqual(cards[code]["value"], value, places=3, msg=code)
        self.assertGreater(cards["churn"]["value"], 0, "subscribers were lost")
        self.assertGreater(cards["stage_duration"]["value"], 0)
        self.assertTrue(0 < cards["stage_drop_off"]["value"] < 100)
        self.assertTrue(0 < cards["win_rate"]["value"] < 100, "won and lost deals")

    def test_quarters_and_years_computed(self):
        Snapshot = self.env["crm.kpi.snapshot"].with_user(self.kpi_user)
        for period_type, count in (("month", 25), ("quarter", 9), ("year", 3)):
            starts = {
                date_start
                for [date_start] in Snapshot._read_group(
                    [
                        ("period_type", "=", period_type),
                        ("company_id", "=", self.company.id),
                        ("dimension", "=", "company"),
                    ],
                    ["date_start:day"],
                )
            }
            self.assertEqual(len(starts), count, period_type)
        for period_type in ("quarter", "year"):
            cards = self._cards(period_type, self.last_month_day)
            for code in SUBSCRIPTION_CODES:
                self.assertIsNotNone(cards[code]["value"], f"{code} by {period_type}")

    def test_subscriptions_invoiced_and_dated(self):
        self.assertEqual(len(self.subscribers), 15)
        self.assertEqual(len(self.subscriptions), 15)
        self.assertEqual(set(self.subscriptions.stage_id.mapped("type")), {"in_progress", "post"})
        invoices = self.subscriptions.invoice_ids
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        self.assertLessEqual(max(invoices.mapped("invoice_date")), self.today)
        # Northwind, monthly since the 5th, 23 months ago: one invoice a month
        northwind = self.subscriptions.filtered(lambda sub: sub.partner_id == self.subscriber)
        first = self.today.replace(day=1) - relativedelta(months=23) + relativedelta(days=4)
        due = [first + relativedelta(months=n) for n in range(25)]
        self.assertEqual(
            sorted(northwind.invoice_ids.mapped("invoice_date")),
            [day for day in due if day <= self.today],
        )
        movements = self.subscriptions.sudo().kpi_movement_ids
        self.assertLessEqual(max(movements.mapped("date")), self.today)
        self.assertGreaterEqual(min(movements.mapped("date")), first)
        self.assertEqual(
            set(movements.mapped("movement_type")),
            {
                "start",
                "upgrade",
                "downgrade",
                "pause",
                "resume",
                "close",
                "reactivation",
                "renewal",
            },
        )

    def test_stage_ledger_matches_the_chatter(self):
        """The stays of the demo deals (moved through the stages, then dated
        to the history) are those the back-fill rebuilds from their chatter."""
        leads = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([("name", "=like", "Demo deal %")])
        )
        Stay = self.env["crm.kpi.stage.stay"]

        def stays():
            return sorted(
                (stay.lead_id.id, stay.stage_id.id, stay.date_in, stay.date_out)
                for stay in Stay.search([("lead_id", "in", leads.ids)])
            )

        live = stays()
        self.assertTrue(any(date_out for _lead, _stage, _in, date_out in live))
        Stay.search([("lead_id", "in", leads.ids)]).unlink()
        self.assertEqual(Stay._kpi_backfill_stage_stays(leads.ids), len(live))
        self.assertEqual(stays(), live)

    def test_customer_fields_filled_at_install(self):
        """No scheduled action ran in the test database (no cron thread): the
        customer fields of the demo subscribers come from the install."""
        subscriber = self.subscriber.with_company(self.subscriptions[:1].company_id)
        self.assertEqual(subscriber.kpi_customer_status, "active")
        self.assertGreaterEqual(subscriber.kpi_purchase_count, 1)
        self.assertTrue(subscriber.kpi_customer_since)
        self.assertTrue(
            self.env["ir.config_parameter"].sudo().get_param("crm_kpi.customer_fields_refreshed_at")
        )
