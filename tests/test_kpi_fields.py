# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, timedelta

from lxml import etree

from odoo import fields
from odoo.fields import Command
from odoo.tests import freeze_time, tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..models.res_partner import REFRESHED_AT_PARAM
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestKpiFields(KpiCase):
    """KPI fields on customers, leads and subscriptions, company in EUR,
    activity window 365 days, KPI fields refreshed "today" = 2026-04-10.

    Confirmed orders (order date):
      A   2026-03-05 1,000 EUR; its contact A1 2026-03-20 500 USD
          (company rate 2.0 USD per EUR since 2026-03-31)
      B   2025-01-10 100 EUR                      → churned
      C   2024-02-01 100 EUR and 2026-04-01 200 EUR → churned, then reactivated
      D   nothing                                  → prospect
    Subscriptions (monthly, EUR):
      S_E (E) start 2026-01-10 at 100, end date 2026-03-31; upgraded
          2026-02-10 to 300 (+200); downgraded 2026-03-10 to 150 (−150);
          renewed 2026-03-25 until 2027-03-31; closed 2026-04-01 (reason)
      S_F (F) start 2025-06-01 at 60, closed 2025-12-01, reactivated 2026-03-15
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._company_in_eur({"2026-01-01": 1.25, "2026-03-31": 2.0})
        cls.eur_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI EUR",
                "currency_id": cls.eur.id,
                "company_id": cls.company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "KPI Service",
                "type": "service",
                "list_price": 1.0,
            }
        )
        Partner = cls.env["res.partner"]
        cls.a, cls.b, cls.c, cls.d, cls.e, cls.f = Partner.create(
            [{"name": f"KPI Field Customer {name}", "is_company": True} for name in "ABCDEF"]
        )
        cls.a1 = Partner.create({"name": "A1 buyer", "parent_id": cls.a.id})
        cls._order(cls.a, dt(2026, 3, 5), 1000)
        cls._order(cls.a1, dt(2026, 3, 20), 500, pricelist=cls.usd_pricelist)
        cls._order(cls.b, dt(2025, 1, 10), 100)
        cls._order(cls.c, dt(2024, 2, 1), 100)
        cls._order(cls.c, dt(2026, 4, 1), 200)
        cls._subscriptions()

    @classmethod
    def _order(cls, partner, when, amount, pricelist=None):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "pricelist_id": (pricelist or cls.eur_pricelist).id,
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
        order.action_confirm()
        cls._set_dates(order, date_order=when)
        return order

    @classmethod
    def _subscriptions(cls):
        plan = cls.env["product.product"].create(
            {
                "name": "KPI plan",
                "type": "service",
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )
        monthly = cls.env["sale.subscription.template"].create(
            {
                "name": "KPI monthly",
                "recurring_rule_type": "months",
                "recurring_interval": 1,
            }
        )
        cls.reason = cls.env["sale.subscription.close.reason"].create({"name": "KPI: budget"})

        def start(partner, price, when, end_date=None):
            with freeze_time(when):
                subscription = cls.env["sale.subscription"].create(
                    {
                        "partner_id": partner.id,
                        "company_id": cls.company.id,
                        "template_id": monthly.id,
                        "pricelist_id": cls.eur_pricelist.id,
                        "sale_subscription_line_ids": [
                            Command.create(
                                {
                                    "product_id": plan.id,
                                    "product_uom_qty": 1,
                                    "price_unit": price,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
                subscription.action_start_subscription()
                if end_date:
                    subscription.date = end_date
            return subscription

        def set_line(subscription, **values):
            subscription.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(subscription.sale_subscription_line_ids.id, values)
                    ]
                }
            )

        cls.s_e = start(cls.e, 100, "2026-01-10 09:00:00", end_date=date(2026, 3, 31))
        cls.s_f = start(cls.f, 60, "2025-06-01 09:00:00")
        with freeze_time("2025-12-01 09:00:00"):
            cls.s_f.close_subscription(cls.reason.id)
        with freeze_time("2026-02-10 09:00:00"):
            set_line(cls.s_e, product_uom_qty=3)
        with freeze_time("2026-03-10 09:00:00"):
            set_line(cls.s_e, price_unit=50)
        with freeze_time("2026-03-15 09:00:00"):
            cls.s_f.action_start_subscription()
        with freeze_time("2026-03-25 09:00:00"):
            cls.s_e.date = date(2027, 3, 31)
        with freeze_time("2026-04-01 09:00:00"):
            cls.s_e.close_subscription(cls.reason.id)

    def setUp(self):
        super().setUp()
        # read every company-dependent value as the test company
        for name in ("a", "a1", "b", "c", "d", "e", "f"):
            setattr(self, name, getattr(self, name).with_company(self.company))

    def _refresh(self, when="2026-04-10 12:00:00"):
        """Refresh every customer as the daily scheduled action does, at
        ``when``, without its commits."""
        Partner = self.env["res.partner"]
        with freeze_time(when):
            Partner._kpi_refresh_customers(Partner._kpi_commercial_entity_ids())

    def test_only_customers_with_new_documents_are_refreshed(self):
        """Every document of the data set back-dated 2 hours, last refresh
        1 hour ago; then A's contact A1 orders 300 EUR on 2026-04-05.

          refreshed: A only (B, C, D, E, F have nothing new)
          A: 3 purchases, last 2026-04-05, 1,000 + 500 / 2.0 + 300 = 1,550 EUR
        """
        for table in (
            "sale_order",
            "account_move",
            "sale_subscription",
            "crm_kpi_subscription_movement",
            "res_partner",
        ):
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET write_date = now() AT TIME ZONE 'UTC' - interval '2 hours'",
                    SQL.identifier(table),
                )
            )
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param(
            REFRESHED_AT_PARAM, fields.Datetime.to_string(self.env.cr.now() - timedelta(hours=1))
        )
        self._order(self.a1, dt(2026, 4, 5), 300)
        with freeze_time("2026-04-10 12:00:00"):
            refreshed = self.env["res.partner"]._kpi_refresh_changed_customers()
        self.assertEqual(refreshed, self.a.ids)
        self.a.invalidate_recordset()
        self.assertEqual(self.a.kpi_purchase_count, 3)
        self.assertEqual(self.a.kpi_last_purchase, date(2026, 4, 5))
        self.assertAlmostEqual(self.a.kpi_lifetime_revenue, 1550.0, places=2)
        self.assertEqual(self.b.kpi_customer_status, "prospect", "B was not refreshed")
        # the next run starts from this one
        self.assertEqual(
            ICP.get_param(REFRESHED_AT_PARAM), fields.Datetime.to_string(self.env.cr.now())
        )

    def test_customer_filters_list_commercial_entities_once(self):
        """A and its contact A1 are both active; the filter lists A once."""
        self._refresh()
        arch = etree.fromstring(self.env.ref("crm_kpi.res_partner_view_search").arch)
        domains = {node.get("name"): node.get("domain") for node in arch.iter("filter")}
        ours = [("id", "in", (self.a | self.a1 | self.b | self.c | self.d).ids)]
        Partner = self.env["res.partner"].with_company(self.company)
        active = Partner.search(ours + safe_eval(domains["kpi_active_customers"]))
        self.assertEqual(active, self.a | self.c)
        churned = Partner.search(ours + safe_eval(domains["kpi_churned"]))
        self.assertEqual(churned, self.b)

    # ------------------------------------------------------------------
    # Customers
    # ------------------------------------------------------------------
    def test_customer_facts(self):
        self._refresh()
        self.a.invalidate_recordset()
        # A: first purchase 03-05, last 03-20 (its contact), 2 purchases,
        # 1,000 EUR + 500 USD / 2.0 = 1,250 EUR; active (bought in the last 365 days)
        for partner in (self.a, self.a1):  # the contact shows its company's values
            self.assertEqual(partner.kpi_customer_since, date(2026, 3, 5))
            self.assertEqual(partner.kpi_last_purchase, date(2026, 3, 20))
            self.assertEqual(partner.kpi_purchase_count, 2)
            self.assertAlmostEqual(partner.kpi_lifetime_revenue, 1250.0, places=2)
            self.assertEqual(partner.kpi_customer_status, "active")
            self.assertFalse(partner.kpi_churn_date)
        # B: last purchase 2025-01-10 left the window after 2026-01-10:
        # churned, no longer active from 2025-01-10 + 365 + 1 = 2026-01-11
        self.assertEqual(self.b.kpi_customer_status, "churned")
        self.assertEqual(self.b.kpi_churn_date, date(2026, 1, 11))
        self.assertEqual(self.b.kpi_lifetime_revenue, 100.0)
        # D never bought: prospect
        self.assertEqual(self.d.kpi_customer_status, "prospect")
        self.assertFalse(self.d.kpi_customer_since)
        self.assertEqual(self.d.kpi_purchase_count, 0)
        # searches and group-bys on the stored values
        ours = [("id", "in", (self.a | self.a1 | self.b | self.c | self.d).ids)]
        Partner = self.env["res.partner"].with_company(self.company)
        self.assertEqual(Partner.search(ours + [("kpi_customer_status", "=", "churned")]), self.b)
        self.assertEqual(
            Partner.search(ours + [("kpi_customer_since", ">=", "2026-01-01")]), self.a | self.a1
        )
        groups = dict(Partner._read_group(ours, ["kpi_customer_status"], ["__count"]))
        # active A, A1, C; churned B; prospect D
        self.assertEqual(groups, {"active": 3, "churned": 1, "prospect": 1})

    def test_churned_then_reactivated(self):
        # On 2026-03-01, C's only purchase (2024-02-01) left the window after
        # 2025-01-31: churned from 2024-02-01 + 365 + 1 = 2025-02-01 (2024 is leap)
        self._refresh("2026-03-01 12:00:00")
        self.c.invalidate_recordset()
        self.assertEqual(self.c.kpi_customer_status, "churned")
        self.assertEqual(self.c.kpi_churn_date, date(2025, 2, 1))
        self.assertEqual(self.c.kpi_purchase_count, 1)
        # A had not bought yet: still a prospect
        self.assertEqual(self.a.kpi_customer_status, "prospect")
        # On 2026-04-10 C bought again on 04-01: active, no churn date,
        # customer since its first purchase, 2 purchases, 100 + 200 EUR
        self._refresh()
        self.c.invalidate_recordset()
        self.assertEqual(self.c.kpi_customer_status, "active")
        self.assertFalse(self.c.kpi_churn_date)
        self.assertEqual(self.c.kpi_customer_since, date(2024, 2, 1))
        self.assertEqual(self.c.kpi_last_purchase, date(2026, 4, 1))
        self.assertEqual(self.c.kpi_purchase_count, 2)
        self.assertEqual(self.c.kpi_lifetime_revenue, 300.0)

    def test_multi_company_values(self):
        # Another company sees its own values: C never bought there (prospect).
        other = self.env["res.company"].create({"name": "KPI Other Co"})
        self._refresh()
        self.assertEqual(self.c.with_company(other).kpi_customer_status, "prospect")
        self.assertEqual(self.c.kpi_customer_status, "active")

    def test_feedback(self):
        Feedback = self.env["crm.kpi.feedback"]
        Feedback.create(
            [
                # A: promoter (9) in February, detractor (3) in March → latest 3, detractor
                {
                    "partner_id": self.a.id,
                    "date": "2026-02-01",
                    "kind": "nps",
                    "score": 9,
                    "company_id": self.company.id,
                },
                {
                    "partner_id": self.a1.id,
                    "date": "2026-03-01",
                    "kind": "nps",
                    "score": 3,
                    "company_id": self.company.id,
                },
                # CES 6 from the contact, later a 2 dated earlier → latest by date is 6
                {
                    "partner_id": self.a1.id,
                    "date": "2026-03-15",
                    "kind": "ces",
                    "score": 6,
                    "company_id": self.company.id,
                },
                {
                    "partner_id": self.a.id,
                    "date": "2026-03-10",
                    "kind": "ces",
                    "score": 2,
                    "company_id": self.company.id,
                },
                # B: 8 on 0-10 → passive
                {
                    "partner_id": self.b.id,
                    "date": "2026-03-01",
                    "kind": "nps",
                    "score": 8,
                    "company_id": self.company.id,
                },
            ]
        )
        partners = (self.a | self.a1 | self.b | self.d).with_company(self.company)
        for partner in partners[:2]:
            self.assertEqual(partner.kpi_nps_score, 3)
            self.assertEqual(partner.kpi_nps_category, "detractor")
            self.assertEqual(partner.kpi_ces_score, 6)
        self.assertEqual(partners[2].kpi_nps_category, "passive")
        self.assertFalse(partners[3].kpi_nps_category)
        # "At-risk: detractors": A and its contact
        found = (
            self.env["res.partner"]
            .with_company(self.company)
            .search([("id", "in", partners.ids), ("kpi_nps_category", "=", "detractor")])
        )
        self.assertEqual(found, self.a | self.a1)
        # in another company none of these answers count
        other = self.env["res.company"].create({"name": "KPI Other Co"})
        self.assertFalse(self.a.with_company(other).kpi_nps_category)

    def test_mrr_clv_and_movements(self):
        self.company.kpi_activity_window_days = 30
        partners = (self.e | self.f | self.a).with_company(self.company)
        with freeze_time("2026-04-10 12:00:00"):
            # E's subscription is closed, F's runs at 60 again
            self.assertEqual(partners.mapped("kpi_mrr"), [0.0, 60.0, 0.0])
            # subscription method: monthly churn of [03-11, 04-11) with a
            # 30-day window: active at 03-11 A (bought 03-05) and E (in
            # progress); at 04-11 E is lost (closed 04-01) → 1 / 2 = 50 %;
            # F: MRR 60 × 100 % ÷ 50 % = 120
            self.company.kpi_clv_method = "subscription"
            self.assertAlmostEqual(partners[1].kpi_clv, 120.0, places=2)
            partners.invalidate_recordset(["kpi_clv"])
            # purchase method: churned customers at 04-11 are B (one
            # purchase: 0 years) and E (2026-01-10 → close 04-01: 81 days =
            # 0.221766 years) → lifetime 0.110883 years; A's trailing year
            # 1,250 EUR in 2 purchases → 625 × 2 × 0.110883 = 138.60
            self.company.kpi_clv_method = "purchase"
            self.assertAlmostEqual(partners[2].kpi_clv, 138.604, places=2)
        # smart button: E's movements (start, upgrade, downgrade, renewal, close)
        self.assertEqual(partners[0].kpi_movement_count, 5)
        action = partners[0].action_kpi_view_movements()
        self.assertEqual(
            self.env["crm.kpi.subscription.movement"].search(action["domain"]),
            self.s_e.kpi_movement_ids,
        )

    def test_acquisition_and_first_deal(self):
        campaign = self.env["utm.campaign"].create({"name": "KPI Fields Spring"})
        phone = self.env.ref("utm.utm_medium_phone")
        # A's first won lead (closed 02-01, by its contact) carries the
        # campaign; the later one (phone) is not its first deal
        first = self._lead(
            "A first",
            dt(2026, 1, 10),
            status="won",
            closed=dt(2026, 2, 1),
            partner_id=self.a1.id,
            campaign_id=campaign.id,
        )
        later = self._lead(
            "A later",
            dt(2026, 2, 1),
            status="won",
            closed=dt(2026, 3, 1),
            partner_id=self.a.id,
            medium_id=phone.id,
        )
        pending = self._lead("A open", dt(2026, 3, 1), partner_id=self.a.id)
        leads = first | later | pending
        self.assertEqual(leads.mapped("kpi_is_first_deal"), [True, False, False])
        for partner in (self.a, self.a1):
            partner = partner.with_company(self.company)
            self.assertEqual(partner.kpi_campaign_id, campaign)
            self.assertFalse(partner.kpi_medium_id)
        # marketing flag: campaign → yes; phone → no, until phone is marketing
        self.assertEqual(leads.mapped("kpi_is_marketing"), [True, False, False])
        self.company.kpi_marketing_medium_ids |= phone
        self.assertEqual(leads.mapped("kpi_is_marketing"), [True, True, False])
        self.assertEqual(
            self.env["crm.lead"].search([("id", "in", leads.ids), ("kpi_is_marketing", "=", True)]),
            first | later,
        )

    # ------------------------------------------------------------------
    # Leads
    # ------------------------------------------------------------------
    def test_days_in_stage_after_moving_back(self):
        Stage = self.env["crm.stage"]
        stage_a, stage_b = Stage.create(
            [
                {"name": "KPI FA", "sequence": 901},
                {"name": "KPI FB", "sequence": 902},
            ]
        )
        with freeze_time("2026-03-01 00:00:00"):
            lead = self.env["crm.lead"].create(
                {
                    "name": "Back and forth",
                    "type": "opportunity",
                    "stage_id": stage_a.id,
                    "company_id": self.company.id,
                }
            )
        with freeze_time("2026-03-05 00:00:00"):
            lead.stage_id = stage_b
        with freeze_time("2026-03-08 00:00:00"):
            lead.stage_id = stage_a
        with freeze_time("2026-03-10 12:00:00"):
            lead.invalidate_recordset()
            # back in A since 03-08 00:00 (not 03-01): 2.5 days
            self.assertAlmostEqual(lead.kpi_days_in_stage, 2.5, places=4)
        self.assertEqual(len(lead.kpi_stage_stay_ids), 3)

    def test_cycle_days(self):
        won = self._lead("Won", dt(2026, 3, 1), status="won", closed=dt(2026, 3, 11, 12))
        lost = self._lead("Lost", dt(2026, 3, 1), status="lost", closed=dt(2026, 3, 5))
        # won: 03-01 00:00 → 03-11 12:00 = 10.5 days; lost: no cycle
        self.assertAlmostEqual(won.kpi_cycle_days, 10.5, places=4)
        self.assertEqual(lost.kpi_cycle_days, 0.0)

    def test_stale_flag(self):
        # stale delay 30 days, today 2026-03-10: stale when open with no
        # activity and no stage change since before 2026-02-08 12:00
        old = self._lead("Old", dt(2026, 1, 1))
        busy = self._lead("Old with activity", dt(2026, 1, 1))
        recent = self._lead("Recent", dt(2026, 3, 1))
        lost = self._lead("Lost", dt(2026, 1, 1), status="lost", closed=dt(2026, 1, 2))
        leads = old | busy | recent | lost
        self._set_dates(leads, date_last_stage_update=dt(2026, 1, 1))
        self._set_dates(recent, date_last_stage_update=dt(2026, 3, 1))
        busy.activity_schedule("mail.mail_activity_data_todo", user_id=self.env.user.id)
        with freeze_time("2026-03-10 12:00:00"):
            leads.invalidate_recordset(["kpi_is_stale"])
            # old: stale; busy: has an activity; recent: moved 9 days ago; lost: closed
            self.assertEqual(leads.mapped("kpi_is_stale"), [True, False, False, False])
            self.assertEqual(
                self.env["crm.lead"]
                .with_context(active_test=False)
                .search([("id", "in", leads.ids), ("kpi_is_stale", "=", True)]),
                old,
            )
            self.assertEqual(
                self.env["crm.lead"]
                .with_context(active_test=False)
                .search([("id", "in", leads.ids), ("kpi_is_stale", "!=", True)]),
                busy | recent | lost,
            )
            # planning an activity clears the flag at once, without a refresh
            old.activity_schedule("mail.mail_activity_data_todo", user_id=self.env.user.id)
            self.assertFalse(old.kpi_is_stale)
        # a month later, "recent" (no stage change since 03-01) is stale too
        with freeze_time("2026-04-10 12:00:00"):
            leads.invalidate_recordset(["kpi_is_stale"])
            self.assertEqual(leads.mapped("kpi_is_stale"), [False, False, True, False])

    # ------------------------------------------------------------------
    # Subscriptions
    # ------------------------------------------------------------------
    def test_subscription_fields(self):
        with freeze_time("2026-04-10 12:00:00"):
            (self.s_e | self.s_f).invalidate_recordset()
            # S_E: in progress 2026-01-10 → closed 04-01 = 81 days / 30.4375 = 2.661 months;
            # renewed once (03-25); expansion +200; contraction 300 → 150 = 150;
            # churned 04-01 for "budget"; MRR 150 × 1 after the downgrade
            self.assertAlmostEqual(self.s_e.kpi_tenure_months, 81 / 30.4375, places=4)
            self.assertEqual(self.s_e.kpi_renewal_count, 1)
            self.assertEqual(self.s_e.kpi_expansion_mrr, 200.0)
            self.assertEqual(self.s_e.kpi_contraction_mrr, 150.0)
            self.assertEqual(self.s_e.kpi_churn_date, date(2026, 4, 1))
            self.assertEqual(self.s_e.kpi_close_reason_id, self.reason)
            # S_F: 2025-06-01 → 12-01 (183 days) + 2026-03-15 → 04-10 (26 days)
            # = 209 / 30.4375 = 6.867 months; reactivated: no churn date
            self.assertAlmostEqual(self.s_f.kpi_tenure_months, 209 / 30.4375, places=4)
            self.assertEqual(self.s_f.kpi_renewal_count, 0)
            self.assertFalse(self.s_f.kpi_churn_date)
            self.assertFalse(self.s_f.kpi_close_reason_id)
            self.assertEqual(self.s_f.kpi_mrr, 60.0)
            self.assertEqual(self.s_f.kpi_arr, 720.0)

    # ------------------------------------------------------------------
    # Query counts
    # ------------------------------------------------------------------
    def _count_queries(self, records, fnames):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        records.read(fnames)
        return self.env.cr.sql_log_count - before

    def test_query_count_partners(self):
        """Reading the KPI columns of 10 or 80 partners costs the same queries."""
        fnames = [
            "kpi_customer_status",
            "kpi_customer_since",
            "kpi_last_purchase",
            "kpi_lifetime_revenue",
            "kpi_mrr",
            "kpi_nps_category",
            "kpi_purchase_count",
            "kpi_clv",
            "kpi_source_id",
            "kpi_movement_count",
        ]
        companies = self.env["res.partner"].create(
            [{"name": f"KPI bulk {i}", "is_company": True} for i in range(40)]
        )
        contacts = self.env["res.partner"].create(
            [{"name": f"KPI bulk contact {i}", "parent_id": companies[i].id} for i in range(40)]
        )
        self.env["crm.kpi.feedback"].create(
            [
                {
                    "partner_id": partner.id,
                    "date": "2026-03-01",
                    "kind": "nps",
                    "score": i % 11,
                    "company_id": self.company.id,
                }
                for i, partner in enumerate(companies)
            ]
        )
        self._refresh()
        partners = (companies | contacts).with_company(self.company)
        small, large = partners[:5] | partners[40:45], partners
        self._count_queries(small, fnames)  # warm the caches
        self.assertEqual(self._count_queries(small, fnames), self._count_queries(large, fnames))

    def test_query_count_leads(self):
        fnames = [
            "kpi_days_in_stage",
            "kpi_cycle_days",
            "kpi_is_marketing",
            "kpi_is_stale",
            "kpi_is_first_deal",
        ]
        leads = self.env["crm.lead"].create(
            [
                {
                    "name": f"KPI bulk lead {i}",
                    "type": "opportunity",
                    "company_id": self.company.id,
                    "partner_id": self.a.id if i % 2 else self.b.id,
                }
                for i in range(80)
            ]
        )
        leads[:40].action_set_won()
        small = leads[:5] | leads[40:45]
        self._count_queries(small, fnames)
        self.assertEqual(self._count_queries(small, fnames), self._count_queries(leads, fnames))
