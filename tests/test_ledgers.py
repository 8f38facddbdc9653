# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.crm_kpi.models.sale_subscription import _kpi_monthly_factor


class LedgerCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Stay = cls.env["crm.kpi.stage.stay"]
        cls.Movement = cls.env["crm.kpi.subscription.movement"]
        cls.team = cls.env["crm.team"].create({"name": "Ledger Team"})
        cls.stage_a, cls.stage_b = cls.env["crm.stage"].create(
            [
                {"name": "Ledger A", "sequence": 1},
                {"name": "Ledger B", "sequence": 2},
            ]
        )

    def flush_tracking(self):
        """Write the pending tracking values, as a commit would."""
        self.env.flush_all()
        self.cr.flush()

    def _create_leads(self, count, **vals):
        return self.env["crm.lead"].create(
            [
                {
                    "name": f"Ledger lead {index}",
                    "type": "opportunity",
                    "team_id": self.team.id,
                    "stage_id": self.stage_a.id,
                    "user_id": self.env.user.id,
                    **vals,
                }
                for index in range(count)
            ]
        )

    def _stays(self, lead):
        stays = self.Stay.search([("lead_id", "=", lead.id)], order="date_in, id")
        return [
            (stay.stage_id, stay.date_in, stay.date_out, round(stay.duration_days, 6))
            for stay in stays
        ]

    def _tracking_messages(self, record):
        """Ids of the messages holding the tracked stage changes of ``record``,
        oldest first."""
        field = self.env["ir.model.fields"]._get(record._name, "stage_id")
        rows = self.env.execute_query(
            SQL(
                """
                SELECT msg.id
                  FROM mail_tracking_value val
                  JOIN mail_message msg ON msg.id = val.mail_message_id
                 WHERE msg.model = %s AND msg.res_id = %s AND val.field_id = %s
              ORDER BY msg.id
                """,
                record._name,
                record.id,
                field.id,
            )
        )
        return [row[0] for row in rows]

    def _set_message_dates(self, message_ids, dates):
        for message_id, when in zip(message_ids, dates, strict=True):
            self.env.cr.execute(
                SQL("UPDATE mail_message SET date = %s WHERE id = %s", when, message_id)
            )


@tagged("post_install", "-at_install")
class TestStageStayLedger(LedgerCase):
    def test_stays_follow_stage_changes(self):
        with freeze_time("2025-03-01 09:00:00"):
            lead = self._create_leads(1)
        with freeze_time("2025-03-03 21:00:00"):
            lead.stage_id = self.stage_b
        with freeze_time("2025-03-10 09:00:00"):
            lead.stage_id = self.stage_a
        a, b = self.stage_a, self.stage_b
        self.assertEqual(
            self._stays(lead),
            [
                (a, datetime(2025, 3, 1, 9), datetime(2025, 3, 3, 21), 2.5),
                (b, datetime(2025, 3, 3, 21), datetime(2025, 3, 10, 9), 6.5),
                (a, datetime(2025, 3, 10, 9), False, 0.0),
            ],
        )
        stays = lead.kpi_stage_stay_ids
        self.assertEqual(len(stays), 3)
        self.assertEqual(stays.user_id, self.env.user)
        self.assertEqual(stays.team_id, self.team)
        self.assertEqual(stays.company_id, lead.company_id)
        self.assertFalse(stays.filtered(lambda stay: not stay.date_out).duration_days)
        self.assertFalse(any(stays.mapped("is_backfilled")))

    def test_same_stage_and_other_writes_add_no_stay(self):
        lead = self._create_leads(1)
        lead.write({"stage_id": self.stage_a.id})
        lead.write({"name": "Renamed", "priority": "2"})
        self.assertEqual(len(lead.kpi_stage_stay_ids), 1)

    def test_type_change_and_archive_keep_stays(self):
        with freeze_time("2025-03-01 09:00:00"):
            lead = self._create_leads(1)
        with freeze_time("2025-03-02 09:00:00"):
            lead.stage_id = self.stage_b
        before = self._stays(lead)
        lead.write({"type": "lead"})
        lead.action_archive()
        lead.write({"type": "opportunity"})
        self.assertEqual(self._stays(lead), before)
        self.assertEqual(len(before), 2)

    def test_one_write_moves_many_leads_with_constant_queries(self):
        self.env = self.env(context=dict(self.env.context, tracking_disable=True))

        def queries_to_move(leads, stage):
            self.env.invalidate_all()
            self.env.cr.flush()
            start = self.cr.sql_log_count
            leads.write({"stage_id": stage.id})
            self.env.flush_all()
            self.env.cr.flush()
            return self.cr.sql_log_count - start

        warmup, few, many = (self._create_leads(n) for n in (2, 5, 50))
        queries_to_move(warmup, self.stage_b)
        few_queries = queries_to_move(few, self.stage_b)
        self.env.invalidate_all()
        with self.assertQueryCount(few_queries):
            many.write({"stage_id": self.stage_b.id})
        self.assertEqual(queries_to_move(many, self.stage_a), few_queries)
        stays = self.Stay.search([("lead_id", "in", many.ids)])
        self.assertEqual(len(stays), 50 * 3)
        self.assertEqual(len(stays.filtered(lambda stay: not stay.date_out)), 50)
        self.assertEqual(stays.filtered(lambda stay: not stay.date_out).stage_id, self.stage_a)

    def test_stays_are_read_only_for_kpi_users(self):
        salesperson = new_test_user(
            self.env, "ledger_sales", groups="sales_team.group_sale_salesman"
        )
        # a KPI User reads the stays of the leads they read: here all leads
        kpi_user = new_test_user(
            self.env,
            "ledger_kpi",
            groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman_all_leads",
        )
        manager = new_test_user(self.env, "ledger_mgr", groups="crm_kpi.crm_kpi_group_manager")
        lead = self._create_leads(1, user_id=salesperson.id).with_user(salesperson)
        lead.stage_id = self.stage_b  # the ledger is written as superuser
        self.assertEqual(len(lead.sudo().kpi_stage_stay_ids), 2)
        with self.assertRaises(AccessError):
            self.Stay.with_user(salesperson).search([])
        for user in (kpi_user, manager):
            stays = self.Stay.with_user(user).search([("lead_id", "=", lead.id)])
            self.assertEqual(len(stays), 2)
            with self.assertRaises(AccessError):
                stays.write({"date_out": False})
            with self.assertRaises(AccessError):
                stays.unlink()
            with self.assertRaises(AccessError):
                self.Stay.with_user(user).create(
                    {
                        "lead_id": lead.id,
                        "stage_id": self.stage_a.id,
                        "date_in": datetime(2025, 1, 1),
                    }
                )

    def test_stays_of_another_company_are_hidden(self):
        other = self.env["res.company"].create({"name": "Ledger Other Co"})
        lead = self._create_leads(1, company_id=other.id, user_id=False, team_id=False)
        kpi_user = new_test_user(self.env, "ledger_kpi_mc", groups="crm_kpi.crm_kpi_group_user")
        self.assertFalse(self.Stay.with_user(kpi_user).search([("lead_id", "=", lead.id)]))
        kpi_user.write({"company_ids": [Command.link(other.id)]})
        stays = (
            self.Stay.with_user(kpi_user)
            .with_context(allowed_company_ids=[other.id])
            .search([("lead_id", "=", lead.id)])
        )
        self.assertEqual(len(stays), 1)

    def test_backfill_rebuilds_stays_from_tracking(self):
        lead = self._create_leads(1)
        self.flush_tracking()
        lead.stage_id = self.stage_b
        self.flush_tracking()
        lead.stage_id = self.stage_a
        self.flush_tracking()
        messages = self._tracking_messages(lead)
        self.assertEqual(len(messages), 2)
        self._set_message_dates(messages, [datetime(2024, 1, 4, 20), datetime(2024, 1, 11, 8)])
        untracked = self._create_leads(1, stage_id=self.stage_b.id)
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead SET create_date = '2024-01-01 08:00:00' WHERE id = ANY(%s);
                DELETE FROM crm_kpi_stage_stay WHERE lead_id = ANY(%s);
                """,
                [lead.id, untracked.id],
                [lead.id, untracked.id],
            )
        )
        self.env.invalidate_all()

        count = self.Stay._kpi_backfill_stage_stays(lead_ids=[lead.id, untracked.id])

        self.assertEqual(count, 4)
        a, b = self.stage_a, self.stage_b
        self.assertEqual(
            self._stays(lead),
            [
                (a, datetime(2024, 1, 1, 8), datetime(2024, 1, 4, 20), 3.5),
                (b, datetime(2024, 1, 4, 20), datetime(2024, 1, 11, 8), 6.5),
                (a, datetime(2024, 1, 11, 8), False, 0.0),
            ],
        )
        self.assertEqual(self._stays(untracked), [(b, datetime(2024, 1, 1, 8), False, 0.0)])
        stays = lead.kpi_stage_stay_ids | untracked.kpi_stage_stay_ids
        self.assertTrue(all(stays.mapped("is_backfilled")))
        self.assertEqual(stays.team_id, self.team)
        # re-running leaves leads that already have stays alone
        self.assertEqual(self.Stay._kpi_backfill_stage_stays(lead_ids=[lead.id]), 0)
        # and the live ledger carries on from the back-filled open stay
        with freeze_time("2024-01-12 08:00:00"):
            lead.stage_id = self.stage_b
        self.assertEqual(
            self._stays(lead)[2:],
            [
                (a, datetime(2024, 1, 11, 8), datetime(2024, 1, 12, 8), 1.0),
                (b, datetime(2024, 1, 12, 8), False, 0.0),
            ],
        )


@tagged("post_install", "-at_install")
class TestSubscriptionMovementLedger(LedgerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pricelist = cls.env["product.pricelist"].create({"name": "Ledger pricelist"})
        cls.currency = cls.pricelist.currency_id
        cls.customer = cls.env["res.partner"].create(
            {"name": "Ledger Customer Inc", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Ledger Contact", "parent_id": cls.customer.id}
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Ledger plan",
                "type": "service",
                "list_price": 100.0,
                "subscribable": True,
                "taxes_id": [Command.clear()],
            }
        )

        def template(name, rule_type, interval=1, **vals):
            return cls.env["sale.subscription.template"].create(
                {
                    "name": name,
                    "recurring_rule_type": rule_type,
                    "recurring_interval": interval,
                    **vals,
                }
            )

        cls.monthly = template("Ledger monthly", "months")
        cls.yearly = template("Ledger yearly", "years")
        cls.weekly = template("Ledger weekly", "weeks")
        cls.quarterly = template("Ledger every 3 months", "months", 3)
        cls.limited = template(
            "Ledger 12 months",
            "months",
            recurring_rule_boundary="limited",
            recurring_rule_count=12,
        )
        cls.stage_draft = cls.env.ref("subscription_oca.subscription_stage_draft")
        cls.stage_progress = cls.env.ref("subscription_oca.subscription_stage_in_progress")
        cls.stage_closed = cls.env.ref("subscription_oca.subscription_stage_closed")
        cls.reason = cls.env["sale.subscription.close.reason"].create(
            {"name": "Ledger: too expensive"}
        )

    def _subscription(self, template, price, stage=None, quantity=1.0, **vals):
        return self.env["sale.subscription"].create(
            {
                "partner_id": self.contact.id,
                "template_id": template.id,
                "pricelist_id": self.pricelist.id,
                "crm_team_id": self.team.id,
                "stage_id": (stage or self.stage_draft).id,
                "sale_subscription_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
                **vals,
            }
        )

    def _movements(self, subscription):
        movements = self.Movement.search(
            [("subscription_id", "=", subscription.id)], order="date, id"
        )
        return [
            (m.movement_type, m.date, m.mrr_before, m.mrr_after, m.mrr_delta) for m in movements
        ]

    def test_monthly_factor(self):
        self.assertEqual(_kpi_monthly_factor("months", 1), 1.0)
        self.assertAlmostEqual(_kpi_monthly_factor("days", 1), 30.4375)
        self.assertAlmostEqual(_kpi_monthly_factor("weeks", 1), 4.348125)
        self.assertAlmostEqual(_kpi_monthly_factor("years", 1), 1 / 12)
        self.assertAlmostEqual(_kpi_monthly_factor("months", 3), 1 / 3)
        self.assertAlmostEqual(_kpi_monthly_factor("weeks", 2), 4.348125 / 2)
        self.assertEqual(_kpi_monthly_factor("months", 0), 1.0)

    def test_mrr_and_arr(self):
        cases = [
            (self.monthly, 100.0, 100.0),
            (self.yearly, 1200.0, 100.0),
            (self.weekly, 50.0, 217.41),  # 50 × 4.348125 = 217.40625
            (self.quarterly, 300.0, 100.0),
        ]
        for template, price, mrr in cases:
            with self.subTest(template=template.name):
                subscription = self._subscription(template, price)
                self.assertEqual(subscription.kpi_mrr, mrr)
                self.assertAlmostEqual(subscription.kpi_arr, 12 * mrr)
        subscription = self._subscription(self.monthly, 120.0)
        self.monthly.recurring_interval = 2
        self.assertEqual(subscription.kpi_mrr, 60.0)

    def test_lifecycle_movements(self):
        with freeze_time("2025-01-10 10:00:00"):
            sub = self._subscription(self.monthly, 100.0)
            self.assertFalse(self._movements(sub), "a draft is not a movement")
            sub.action_start_subscription()
        with freeze_time("2025-02-01 10:00:00"):
            # edited through the subscription, like its form does: 300 / month
            sub.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(sub.sale_subscription_line_ids.id, {"product_uom_qty": 3})
                    ]
                }
            )
        with freeze_time("2025-02-15 10:00:00"):
            sub.write({"template_id": self.yearly.id})  # 300 / year = 25 / month
        with freeze_time("2025-03-01 10:00:00"):
            sub.action_pause()
        with freeze_time("2025-03-20 10:00:00"):
            sub.action_resume()
        with freeze_time("2025-04-30 10:00:00"):
            sub.close_subscription(self.reason.id)
        with freeze_time("2025-06-01 10:00:00"):
            sub.action_start_subscription()
        self.assertEqual(
            self._movements(sub),
            [
                ("start", date(2025, 1, 10), 0.0, 100.0, 100.0),
                ("upgrade", date(2025, 2, 1), 100.0, 300.0, 200.0),
                ("downgrade", date(2025, 2, 15), 300.0, 25.0, -275.0),
                ("pause", date(2025, 3, 1), 25.0, 25.0, 0.0),
                ("resume", date(2025, 3, 20), 25.0, 25.0, 0.0),
                ("close", date(2025, 4, 30), 25.0, 0.0, -25.0),
                ("reactivation", date(2025, 6, 1), 0.0, 25.0, 25.0),
            ],
        )
        movements = sub.kpi_movement_ids
        self.assertEqual(movements.partner_id, self.customer, "commercial partner")
        self.assertEqual(movements.team_id, self.team)
        self.assertEqual(movements.user_id, sub.user_id)
        self.assertEqual(movements.currency_id, self.currency)
        self.assertEqual(movements.company_id, sub.company_id)
        close = movements.filtered(lambda m: m.movement_type == "close")
        self.assertEqual(close.close_reason_id, self.reason)
        self.assertEqual((movements - close).close_reason_id.ids, [])
        self.assertFalse(any(movements.mapped("is_backfilled")))

    def test_weekly_and_quarterly_changes(self):
        with freeze_time("2025-01-06 10:00:00"):
            weekly = self._subscription(
                self.weekly, 50.0, stage=self.stage_progress, date_start=date(2025, 1, 6)
            )
            quarterly = self._subscription(self.quarterly, 300.0)
            quarterly.action_start_subscription()
        with freeze_time("2025-02-03 10:00:00"):
            weekly.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(weekly.sale_subscription_line_ids.id, {"product_uom_qty": 2})
                    ]
                }
            )
            quarterly.write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(
                            quarterly.sale_subscription_line_ids.id, {"price_unit": 450.0}
                        )
                    ]
                }
            )
        with freeze_time("2025-03-03 10:00:00"):
            quarterly.sale_subscription_line_ids.unlink()  # a line removed directly
        with freeze_time("2025-03-04 10:00:00"):
            self.env["sale.subscription.line"].create(
                {
                    "sale_subscription_id": quarterly.id,
                    "product_id": self.product.id,
                    "price_unit": 600.0,
                    "tax_ids": [Command.clear()],
                }
            )
        self.assertEqual(
            self._movements(weekly),
            [
                ("start", date(2025, 1, 6), 0.0, 217.41, 217.41),
                # 100 × 4.348125 = 434.8125
                ("upgrade", date(2025, 2, 3), 217.41, 434.81, 217.40),
            ],
        )
        self.assertEqual(
            self._movements(quarterly),
            [
                ("start", date(2025, 1, 6), 0.0, 100.0, 100.0),
                ("upgrade", date(2025, 2, 3), 100.0, 150.0, 50.0),
                ("downgrade", date(2025, 3, 3), 150.0, 0.0, -150.0),
                ("upgrade", date(2025, 3, 4), 0.0, 200.0, 200.0),
            ],
        )

    def test_template_recurrence_change_moves_mrr(self):
        with freeze_time("2025-01-06 10:00:00"):
            sub = self._subscription(
                self.quarterly, 300.0, stage=self.stage_progress, date_start=date(2025, 1, 6)
            )
        with freeze_time("2025-02-01 10:00:00"):
            self.quarterly.recurring_interval = 1
        self.assertEqual(
            self._movements(sub)[1], ("upgrade", date(2025, 2, 1), 100.0, 300.0, 200.0)
        )

    def test_renewal_moves_the_end_date_later(self):
        with freeze_time("2025-01-15 10:00:00"):
            sub = self._subscription(self.limited, 100.0)
            sub.action_start_subscription()
        self.assertEqual(sub.date, date(2026, 1, 15))
        with freeze_time("2025-12-20 10:00:00"):
            sub.write({"date": date(2027, 1, 15)})
            sub.write({"date": date(2026, 12, 31)})  # shortened: not a renewal
            sub.write({"date_start": date(2025, 2, 1)})  # a correction, not a renewal
        self.assertEqual(
            self._movements(sub),
            [
                ("start", date(2025, 1, 15), 0.0, 100.0, 100.0),
                ("renewal", date(2026, 1, 15), 100.0, 100.0, 0.0),
            ],
        )

    def test_close_after_the_end_date_is_dated_at_the_end_date(self):
        with freeze_time("2025-01-15 10:00:00"):
            sub = self._subscription(self.limited, 100.0)
            sub.action_start_subscription()
        with freeze_time("2026-01-19 03:00:00"):  # the cron ran late
            sub.close_subscription()
        close = self._movements(sub)[-1]
        self.assertEqual(close, ("close", date(2026, 1, 15), 100.0, 0.0, -100.0))

    def test_cancelled_draft_is_no_movement(self):
        sub = self._subscription(self.monthly, 100.0)
        sub.close_subscription(self.reason.id)
        self.assertFalse(self._movements(sub))

    def test_created_closed_is_no_movement(self):
        sub = self._subscription(self.monthly, 100.0, stage=self.stage_closed)
        self.assertFalse(self._movements(sub))

    def test_forms_open_with_and_without_kpi_access(self):
        salesperson = new_test_user(
            self.env, "ledger_form_sales", groups="sales_team.group_sale_salesman"
        )
        kpi_user = new_test_user(self.env, "ledger_form_kpi", groups="crm_kpi.crm_kpi_group_user")
        for model, field in (
            ("crm.lead", "kpi_stage_stay_ids"),
            ("sale.subscription", "kpi_movement_ids"),
        ):
            with self.subTest(model=model):
                arch = (
                    self.env[model]
                    .with_user(kpi_user)
                    .get_views([(False, "form")])["views"]["form"]["arch"]
                )
                self.assertIn(f'name="{field}"', arch)
                if model == "crm.lead":
                    arch = (
                        self.env[model]
                        .with_user(salesperson)
                        .get_views([(False, "form")])["views"]["form"]["arch"]
                    )
                    self.assertNotIn(f'name="{field}"', arch)
        for model in ("crm.kpi.stage.stay", "crm.kpi.subscription.movement"):
            views = (
                self.env[model].with_user(kpi_user).get_views([(False, "list"), (False, "search")])
            )
            self.assertIn("list", views["views"])

    def test_movements_are_read_only(self):
        sub = self._subscription(self.monthly, 100.0, stage=self.stage_progress)
        manager = new_test_user(self.env, "ledger_mgr2", groups="crm_kpi.crm_kpi_group_manager")
        movements = self.Movement.with_user(manager).search([("subscription_id", "=", sub.id)])
        self.assertEqual(len(movements), 1)
        with self.assertRaises(AccessError):
            movements.write({"mrr_after": 0.0})
        with self.assertRaises(AccessError):
            movements.unlink()
        # a salesperson without KPI access still moves subscriptions: the
        # ledger is written as superuser
        salesperson = new_test_user(
            self.env, "ledger_sub_sales", groups="sales_team.group_sale_salesman"
        )
        sub.with_user(salesperson).action_pause()
        self.assertEqual([m[0] for m in self._movements(sub)], ["start", "pause"])
        with self.assertRaises(AccessError):
            self.Movement.with_user(salesperson).search([])

    def test_backfill_rebuilds_movements_from_tracking(self):
        sub = self._subscription(self.monthly, 100.0)
        self.flush_tracking()
        sub.action_start_subscription()
        self.flush_tracking()
        sub.close_subscription()
        self.flush_tracking()
        sub.action_start_subscription()
        self.flush_tracking()
        sub.close_subscription(self.reason.id)
        self.flush_tracking()
        messages = self._tracking_messages(sub)
        self.assertEqual(len(messages), 4)
        self._set_message_dates(
            messages,
            [
                datetime(2024, 2, 10, 12),
                datetime(2024, 5, 20, 12),
                datetime(2024, 7, 1, 12),
                datetime(2024, 9, 30, 12),
            ],
        )
        running = self._subscription(
            self.yearly, 1200.0, stage=self.stage_progress, date_start=date(2024, 3, 1)
        )
        never_started = self._subscription(self.monthly, 100.0)
        subscriptions = sub | running | never_started
        self.env.cr.execute(
            SQL(
                "DELETE FROM crm_kpi_subscription_movement WHERE subscription_id = ANY(%s)",
                subscriptions.ids,
            )
        )
        self.env.invalidate_all()

        count = self.Movement.with_context(tz="UTC")._kpi_backfill_subscription_movements(
            subscription_ids=subscriptions.ids
        )

        self.assertEqual(count, 5)
        # date_start was reset by the reactivation: the first tracked start wins
        self.assertEqual(
            self._movements(sub),
            [
                ("start", date(2024, 2, 10), 0.0, 100.0, 100.0),
                ("close", date(2024, 5, 20), 100.0, 0.0, -100.0),
                ("reactivation", date(2024, 7, 1), 0.0, 100.0, 100.0),
                ("close", date(2024, 9, 30), 100.0, 0.0, -100.0),
            ],
        )
        closes = sub.kpi_movement_ids.filtered(lambda m: m.movement_type == "close")
        self.assertEqual(closes.sorted("date").close_reason_id, self.reason)
        self.assertEqual(closes.sorted("date")[-1].close_reason_id, self.reason)
        self.assertEqual(self._movements(running), [("start", date(2024, 3, 1), 0.0, 100.0, 100.0)])
        self.assertFalse(self._movements(never_started))
        movements = subscriptions.kpi_movement_ids
        self.assertTrue(all(movements.mapped("is_backfilled")))
        self.assertEqual(movements.partner_id, self.customer)
        self.assertEqual(
            self.Movement._kpi_backfill_subscription_movements(subscription_ids=subscriptions.ids),
            0,
        )
