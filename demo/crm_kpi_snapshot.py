# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The demo history (demo data only): called once by ``demo/crm_kpi_demo.xml``
at install, as ``<function model="crm.kpi.snapshot"
name="_demo_compute_history"/>``; never by the add-on itself."""

import random
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL


class CrmKpiSnapshot(models.Model):
    _inherit = "crm.kpi.snapshot"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_compute_history(self, months=24):
        """Demo data: two years of won and lost opportunities that went
        through the pipeline stages, their orders and a book of
        subscriptions, then the monthly, quarterly and yearly snapshots of
        that history for every company, so that a demo database opens on a
        dashboard with history and year-over-year comparisons."""
        self._demo_generate_history(months)
        self._demo_generate_subscriptions()
        today = fields.Date.context_today(self)
        # all of them on purpose (a handful of companies)
        companies = self.env["res.company"].search([])  # pylint: disable=no-search-all
        for period_type in ("month", "quarter", "year"):
            self._compute_snapshots(
                period_type, today - relativedelta(months=months), today, company_ids=companies.ids
            )

    @api.model
    def _demo_generate_history(self, months):
        """Seeded opportunities spread over the calendar months before the
        current one (demo data only): each is created in the first pipeline
        stage, moves through the next ones and is won (with its confirmed
        order) or lost in the stage it reached; then their dates, the stays
        of the stage ledger and the stage changes of the chatter are moved
        to the history."""
        rng = random.Random(42)
        company = self.env.ref("base.main_company")
        teams = self.env["crm.team"].search([("company_id", "in", [company.id, False])], limit=3)
        users = self.env.ref("base.user_admin") | self.env.ref("base.user_demo")
        partners = self.env["res.partner"].search(
            [
                ("is_company", "=", True),
                ("company_id", "in", [company.id, False]),
                ("id", "not in", [company.partner_id.id, *self._demo_subscribers().ids]),
            ],
            limit=12,
        )
        product = self.env["product.product"].search(
            [("sale_ok", "=", True), ("type", "=", "service"), ("subscribable", "=", False)],
            limit=1,
        )
        stages = self.env["crm.stage"].search([("team_ids", "=", False)])
        open_stages = stages.filtered(lambda stage: not stage.is_won).sorted("sequence")
        if not (teams and partners and product and open_stages):
            return
        this_month = fields.Date.context_today(self).replace(day=1)
        lead_vals, plans = [], []
        for month in range(months, 0, -1):
            first = this_month - relativedelta(months=month)
            days = (first + relativedelta(months=1) - first).days
            for team in teams:
                for index in range(rng.randint(2, 5)):
                    closed = datetime.combine(first, time(8)) + timedelta(
                        days=rng.randint(0, days - 1), hours=rng.randint(0, 9)
                    )
                    created = closed - timedelta(days=rng.randint(5, 75), hours=rng.randint(0, 5))
                    won = rng.random() < 0.45 + 0.15 * teams.ids.index(team.id) / len(teams)
                    if month == 1 and index < 2:
                        won = index == 0  # the last complete month has both
                    reached = len(open_stages) if won else rng.randint(1, len(open_stages))
                    # entering each stage reached, evenly between creation and closing
                    step = (closed - created) / (reached + (1 if won else 0))
                    entered = [created + step * i for i in range(reached)]
                    lead_vals.append(
                        {
                            "name": f"Demo deal {len(lead_vals) + 1}",
                            "type": "opportunity",
                            "team_id": team.id,
                            "user_id": rng.choice(users).id,
                            "partner_id": rng.choice(partners).id,
                            "company_id": company.id,
                            "expected_revenue": rng.randrange(2000, 30000, 500),
                            "stage_id": open_stages[0].id,
                        }
                    )
                    plans.append((won, created, closed, entered))
        leads = self.env["crm.lead"].with_context(mail_create_nolog=True).create(lead_vals)
        plan_of = dict(zip(leads, plans, strict=False))
        # the chatter is written at commit (and nothing is tracked on records
        # created in the transaction until then): write it after the
        # creation and after each move, so that each move has its message
        self.env.cr.precommit.run()
        for index, stage in enumerate(open_stages[1:], start=1):
            leads.filtered(lambda lead, index=index: len(plan_of[lead][3]) > index).write(
                {"stage_id": stage.id}
            )
            self.env.cr.precommit.run()
        won_leads = leads.filtered(lambda lead: plan_of[lead][0])
        won_leads.action_set_won()
        (leads - won_leads).action_set_lost(
            lost_reason_id=self.env["crm.lost.reason"].search([], limit=1).id
        )
        self.env.cr.precommit.run()
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": lead.partner_id.id,
                    "company_id": company.id,
                    "team_id": lead.team_id.id,
                    "user_id": lead.user_id.id,
                    "opportunity_id": lead.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "product_uom_qty": 1,
                                "price_unit": lead.expected_revenue,
                            },
                        )
                    ],
                }
                for lead in won_leads
            ]
        )
        orders.action_confirm()
        self.env.flush_all()
        # stage of each stay: the stages entered, then the won stage
        stays = []
        for lead, (won, _created, closed, entered) in plan_of.items():
            visited = list(zip(open_stages[: len(entered)].ids, entered, strict=False))
            if won:
                visited.append((lead.stage_id.id, closed))
            for position, (stage_id, date_in) in enumerate(visited):
                date_out = visited[position + 1][1] if position + 1 < len(visited) else None
                stays.append((lead.id, stage_id, date_in, date_out))
        self.env.execute_query(
            SQL(
                """
            UPDATE crm_lead l SET create_date = v.created, date_closed = v.closed,
                   date_last_stage_update = v.last_stage
              FROM (VALUES %s) AS v(id, created, closed, last_stage) WHERE l.id = v.id
            """,
                SQL(", ").join(
                    SQL(
                        "(%s, %s::timestamp, %s::timestamp, %s::timestamp)",
                        lead.id,
                        created,
                        closed,
                        closed if won else entered[-1],
                    )
                    for lead, (won, created, closed, entered) in plan_of.items()
                ),
            )
        )
        stay_table = SQL.identifier(self.env["crm.kpi.stage.stay"]._table)
        self.env.execute_query(
            SQL(
                """
            UPDATE %(table)s stay SET date_in = v.date_in, date_out = v.date_out,
                   duration_days = EXTRACT(EPOCH FROM (v.date_out - v.date_in)) / 86400.0
              FROM (VALUES %(values)s) AS v(lead_id, stage_id, date_in, date_out)
             WHERE stay.lead_id = v.lead_id AND stay.stage_id = v.stage_id
            """,
                table=stay_table,
                values=SQL(", ").join(
                    SQL("(%s, %s, %s::timestamp, %s::timestamp)", *stay) for stay in stays
                ),
            )
        )
        # the chatter tells the same story as the stage ledger
        self.env.execute_query(
            SQL(
                """
            UPDATE mail_message msg SET date = v.date_in
              FROM mail_tracking_value val, (VALUES %(values)s) AS v(lead_id, stage_id, date_in)
             WHERE val.mail_message_id = msg.id AND val.field_id = %(field)s
               AND msg.model = 'crm.lead' AND msg.res_id = v.lead_id
               AND val.new_value_integer = v.stage_id
            """,
                values=SQL(", ").join(
                    SQL("(%s, %s, %s::timestamp)", lead_id, stage_id, date_in)
                    for lead_id, stage_id, date_in, _out in stays
                ),
                field=self.env["ir.model.fields"]._get("crm.lead", "stage_id").id,
            )
        )
        if orders:
            self.env.execute_query(
                SQL(
                    """
                UPDATE sale_order o SET date_order = v.ordered
                  FROM (VALUES %s) AS v(id, ordered) WHERE o.id = v.id
                """,
                    SQL(", ").join(
                        SQL("(%s, %s::timestamp)", order.id, plan_of[lead][2])
                        for order, lead in zip(orders, won_leads, strict=False)
                    ),
                )
            )
        self.env.invalidate_all()

    @api.model
    def _demo_subscribers(self):
        return self.env["res.partner"].browse(
            [
                partner.id
                for i in range(1, 16)
                if (
                    partner := self.env.ref(
                        f"crm_kpi.crm_kpi_partner_demo_subscriber_{i}", raise_if_not_found=False
                    )
                )
            ]
        )

    @api.model
    def _demo_subscription_plans(self):
        """The life of each demo subscription: (subscriber, plan, seats,
        start, events), each date as (months before the current month, day)
        and each event (date, action, value): ``seats`` (an upgrade or a
        downgrade), ``pause``, ``resume``, ``close`` (with the xml id of a
        close reason), ``reactivate`` and ``renew`` (a yearly plan extended
        by a year at its end date). The last complete month sees a start,
        an upgrade, a downgrade, a close, a reactivation, a renewal and a
        plan that ended without renewal."""
        return [
            (1, "monthly", 5, (23, 5), [((14, 10), "seats", 8), ((1, 12), "seats", 6)]),
            (2, "monthly", 3, (20, 12), [((1, 8), "seats", 5)]),
            (
                3,
                "monthly",
                4,
                (18, 3),
                [
                    ((6, 2), "pause", None),
                    ((4, 2), "resume", None),
                    ((1, 20), "close", "close_reason_expensive"),
                ],
            ),
            (
                4,
                "monthly",
                2,
                (16, 15),
                [((9, 10), "close", "close_reason_use"), ((1, 4), "reactivate", None)],
            ),
            (5, "monthly", 6, (12, 7), [((5, 14), "seats", 9)]),
            (6, "monthly", 2, (1, 10), []),
            (7, "monthly", 3, (8, 21), [((3, 18), "close", "close_reason_requirement")]),
            (
                8,
                "monthly",
                4,
                (22, 9),
                [((11, 3), "seats", 2), ((2, 25), "close", "close_reason_other")],
            ),
            (9, "monthly", 5, (6, 11), [((2, 5), "pause", None), ((1, 15), "resume", None)]),
            (10, "monthly", 3, (3, 6), []),
            (11, "yearly", 1, (13, 14), [((1, 14), "renew", None)]),
            (12, "yearly", 1, (13, 22), [((1, 22), "close", "close_reason_ended")]),
            (13, "yearly", 1, (21, 2), [((9, 2), "renew", None), ((4, 10), "seats", 2)]),
            (14, "yearly", 1, (10, 19), []),
            (15, "yearly", 2, (1, 3), []),
        ]

    @api.model
    def _demo_generate_subscriptions(self):  # noqa: C901 - demo data, one pass
        """Demo subscriptions of subscription_oca with their recurring
        invoices, posted (demo data only). Each change is made the way a
        user makes it (subscription_oca's actions, line edits), so the
        add-on's ledger writes its movements, then the movements and the
        chatter of each change are dated to the day it stands for."""
        company = self.env.ref("base.main_company")
        subscribers = self._demo_subscribers()
        templates = {
            "monthly": self.env.ref("crm_kpi.crm_kpi_subscription_template_demo_monthly", False),
            "yearly": self.env.ref("crm_kpi.crm_kpi_subscription_template_demo_yearly", False),
        }
        products = {
            "monthly": self.env.ref("crm_kpi.crm_kpi_product_demo_seat", False),
            "yearly": self.env.ref("crm_kpi.crm_kpi_product_demo_yearly_plan", False),
        }
        in_progress = self.env["sale.subscription.stage"].search(
            [("type", "=", "in_progress")], limit=1
        )
        pricelist = self.env.ref("crm_kpi.crm_kpi_pricelist_demo", False)
        teams = self.env["crm.team"].search([("company_id", "in", [company.id, False])], limit=3)
        users = self.env.ref("base.user_admin") | self.env.ref("base.user_demo")
        if not (
            len(subscribers) == 15
            and all(templates.values())
            and all(products.values())
            and in_progress
            and pricelist
            and teams
        ):
            return
        Subscription = (
            self.env["sale.subscription"].with_context(mail_create_nolog=True).with_company(company)
        )
        # invoices need an income account: the product's, its category's,
        # else that of the sales journal (demo products have no category)
        sales = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        for product in products.values():
            product = product.with_company(company)
            if not (
                product.property_account_income_id
                or product.categ_id.property_account_income_categ_id
            ):
                product.property_account_income_id = sales.default_account_id
        can_invoice = bool(sales.default_account_id)  # no chart of accounts: no invoices
        today = fields.Date.context_today(self)
        this_month = today.replace(day=1)
        # (first movement id, first message id, day) of each change, in order
        steps = []

        def last_ids():
            # the chatter is written at commit: write that of the change before
            self.env.cr.precommit.run()
            self.env.flush_all()
            return self.env.execute_query(
                SQL(
                    "SELECT (SELECT COALESCE(MAX(id), 0) FROM %s), "
                    "(SELECT COALESCE(MAX(id), 0) FROM mail_message)",
                    SQL.identifier(self.env["crm.kpi.subscription.movement"]._table),
                )
            )[0]

        def at(day, change, *args):
            movement_id, message_id = last_ids()
            result = change(*args)
            steps.append((movement_id, message_id, day))
            return result

        invoice_vals = []

        def invoice_until(subscription, day):
            """Invoice what falls due before ``day``, as subscription_oca's
            scheduled action does every day (its create_invoice, made in
            one batch below)."""
            while (
                can_invoice
                and subscription.stage_id == in_progress
                and not subscription.is_paused
                and subscription.recurring_next_date < day
            ):
                invoice_vals.append(
                    subscription._prepare_account_move(
                        [
                            Command.create(line._prepare_account_move_line())
                            for line in subscription.sale_subscription_line_ids
                        ]
                    )
                )
                subscription._set_next_invoice_date_after_invoice()

        def day_of(months_ago, day):
            return this_month - relativedelta(months=months_ago) + timedelta(days=day - 1)

        for number, plan, seats, start, events in self._demo_subscription_plans():
            start_day = day_of(*start)
            product = products[plan]
            subscription = at(
                start_day,
                Subscription.create,
                {
                    "partner_id": subscribers[number - 1].id,
                    "company_id": company.id,
                    "template_id": templates[plan].id,
                    "pricelist_id": pricelist.id,
                    "user_id": users[number % len(users)].id,
                    "crm_team_id": teams[number % len(teams)].id,
                    "stage_id": in_progress.id,
                    "in_progress": True,
                    "date_start": start_day,
                    "sale_subscription_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": seats,
                                "price_unit": product.lst_price,
                            }
                        )
                    ],
                },
            )
            subscription.recurring_next_date = start_day
            for when, action, value in events:
                day = day_of(*when)
                invoice_until(subscription, day)
                if action == "seats":
                    line = subscription.sale_subscription_line_ids[:1]
                    at(
                        day,
                        subscription.write,
                        {
                            "sale_subscription_line_ids": [
                                Command.update(line.id, {"product_uom_qty": value})
                            ]
                        },
                    )
                elif action == "pause":
                    at(day, subscription.action_pause)
                elif action == "resume":
                    at(day, subscription.action_resume)
                    subscription.recurring_next_date = day
                elif action == "close":
                    reason = self.env.ref(f"subscription_oca.{value}")
                    at(day, subscription.close_subscription, reason.id)
                elif action == "reactivate":
                    at(day, subscription.action_start_subscription)
                    # subscription_oca restarts it today: it restarted that day
                    subscription.write({"date_start": day, "recurring_next_date": day})
                elif action == "renew":
                    renewed_until = subscription.date + relativedelta(years=1)
                    at(day, subscription.write, {"date": renewed_until})
            invoice_until(subscription, today + timedelta(days=1))
        self.env.flush_all()
        # date every change: its movements and its messages
        bounds = [*steps[1:], (*last_ids(), None)]
        ranges = [
            SQL(
                "(%s, %s, %s, %s, %s::date)",
                movement_from,
                movement_to,
                message_from,
                message_to,
                day,
            )
            for (movement_from, message_from, day), (movement_to, message_to, _next) in zip(
                steps, bounds, strict=False
            )
        ]
        self.env.execute_query(
            SQL(
                """
            UPDATE %(table)s m SET date = v.day
              FROM (VALUES %(ranges)s) AS v(mf, mt, gf, gt, day)
             WHERE m.id > v.mf AND m.id <= v.mt
            """,
                table=SQL.identifier(self.env["crm.kpi.subscription.movement"]._table),
                ranges=SQL(", ").join(ranges),
            )
        )
        self.env.execute_query(
            SQL(
                """
            UPDATE mail_message msg SET date = v.day + TIME '10:00'
              FROM (VALUES %(ranges)s) AS v(mf, mt, gf, gt, day)
             WHERE msg.id > v.gf AND msg.id <= v.gt AND msg.model = 'sale.subscription'
            """,
                ranges=SQL(", ").join(ranges),
            )
        )
        subscriptions = Subscription.search([("partner_id", "in", subscribers.ids)])
        self.env.execute_query(
            SQL(
                "UPDATE sale_subscription s SET create_date = s.date_start WHERE s.id = ANY(%s)"
                " AND s.date_start < s.create_date",
                subscriptions.ids,
            )
        )
        invoices = (
            self.env["account.move"]
            .with_company(company)
            .with_context(
                default_move_type="out_invoice", journal_type="sale", mail_create_nolog=True
            )
            .create(invoice_vals)
        )
        invoices.action_post()
        self.env.invalidate_all()
