# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import namedtuple

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.metrics import monthly_factor

# Context key set while a subscription (or its lines) is written, so that the
# nested writes of subscription_oca's own write() log nothing twice.
SKIP_MOVEMENT_LEDGER = "crm_kpi_skip_movement_ledger"

# subscription_oca's recurrence units, in the engine's words.
RECURRENCE_UNITS = {"days": "daily", "weeks": "weekly", "months": "monthly", "years": "yearly"}

# An average month, as the engine counts months of days and weeks.
DAYS_PER_MONTH = 30.4375

KpiState = namedtuple("KpiState", "stage_type mrr is_paused date")


def _kpi_monthly_factor(rule_type, interval):
    """Factor turning the amount billed every ``interval`` × ``rule_type``
    (a subscription_oca recurrence) into a monthly amount (KPI_SPEC §1). An
    empty or non-positive interval counts as 1, like subscription_oca's own
    recurrence; an empty unit as months."""
    return monthly_factor(
        RECURRENCE_UNITS[rule_type or "months"], interval if interval and interval > 0 else 1
    )


class SaleSubscription(models.Model):
    _inherit = "sale.subscription"

    # Commercial figures: readable (and searchable) by KPI Users and
    # salespeople only; the movement ledger reads them as superuser.
    kpi_mrr = fields.Monetary(
        string="MRR",
        compute="_compute_kpi_mrr",
        store=True,
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Monthly recurring revenue: the recurring price normalised to a "
        "month from the template's recurrence, in the subscription's currency.",
    )
    kpi_arr = fields.Monetary(
        string="ARR",
        compute="_compute_kpi_arr",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Annual recurring revenue: 12 × MRR.",
    )
    kpi_movement_ids = fields.One2many(
        "crm.kpi.subscription.movement",
        "subscription_id",
        string="Movements",
        groups="crm_kpi.crm_kpi_group_user",
        readonly=True,
    )
    kpi_tenure_months = fields.Float(
        string="Tenure (months)",
        compute="_compute_kpi_movement_figures",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Time spent in progress, from each start or reactivation to the "
        "next close (or today), in average months of 30.4375 days.",
    )
    kpi_renewal_count = fields.Integer(
        string="Renewals",
        compute="_compute_kpi_movement_figures",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_churn_date = fields.Date(
        string="Churn Date",
        compute="_compute_kpi_movement_figures",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="Date of the close of a subscription that is closed now.",
    )
    kpi_close_reason_id = fields.Many2one(
        "sale.subscription.close.reason",
        string="Churn Reason",
        compute="_compute_kpi_movement_figures",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
    )
    kpi_expansion_mrr = fields.Monetary(
        string="Expansion MRR",
        compute="_compute_kpi_movement_figures",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="MRR added by upgrades to date.",
    )
    kpi_contraction_mrr = fields.Monetary(
        string="Contraction MRR",
        compute="_compute_kpi_movement_figures",
        groups="crm_kpi.crm_kpi_group_user,sales_team.group_sale_salesman",
        help="MRR removed by downgrades to date.",
    )

    @api.depends(
        "recurring_total",
        "currency_id",
        "template_id.recurring_interval",
        "template_id.recurring_rule_type",
    )
    def _compute_kpi_mrr(self):
        for subscription in self:
            template = subscription.template_id
            mrr = subscription.recurring_total * _kpi_monthly_factor(
                template.recurring_rule_type, template.recurring_interval
            )
            if subscription.currency_id:
                mrr = subscription.currency_id.round(mrr)
            subscription.kpi_mrr = mrr

    @api.depends("kpi_mrr")
    def _compute_kpi_arr(self):
        for subscription in self:
            subscription.kpi_arr = 12 * subscription.kpi_mrr

    @api.depends("kpi_movement_ids")
    def _compute_kpi_movement_figures(self):
        """All figures from the movement ledger, in one query."""
        today = fields.Date.context_today(self)
        subscription_ids = [sub_id for sub_id in self._origin.ids if sub_id]
        rows = []
        if subscription_ids:
            movements = self.env["crm.kpi.subscription.movement"]
            movements.flush_model()
            rows = self.env.execute_query(
                SQL(
                    """
                SELECT subscription_id, movement_type, date, mrr_before, mrr_after,
                       close_reason_id
                  FROM %s
                 WHERE subscription_id = ANY(%s)
                 ORDER BY subscription_id, date, id
                """,
                    SQL.identifier(movements._table),
                    subscription_ids,
                )
            )
        figures = {}
        for sub_id, movement_type, day, mrr_before, mrr_after, reason_id in rows:
            fig = figures.setdefault(
                sub_id,
                {
                    "days": 0,
                    "running_since": None,
                    "renewals": 0,
                    "expansion": 0.0,
                    "contraction": 0.0,
                    "churn_date": False,
                    "reason": False,
                },
            )
            if movement_type in ("start", "reactivation"):
                fig["running_since"] = fig["running_since"] or day
                fig["churn_date"] = fig["reason"] = False
            elif movement_type == "close":
                if fig["running_since"]:
                    fig["days"] += (day - fig["running_since"]).days
                fig["running_since"] = None
                fig["churn_date"], fig["reason"] = day, reason_id
            elif movement_type == "renewal":
                fig["renewals"] += 1
            elif movement_type == "upgrade":
                fig["expansion"] += mrr_after - mrr_before
            elif movement_type == "downgrade":
                fig["contraction"] += mrr_before - mrr_after
        for subscription in self:
            fig = figures.get(subscription._origin.id)
            if not fig:
                subscription.update(
                    {
                        "kpi_tenure_months": 0.0,
                        "kpi_renewal_count": 0,
                        "kpi_churn_date": False,
                        "kpi_close_reason_id": False,
                        "kpi_expansion_mrr": 0.0,
                        "kpi_contraction_mrr": 0.0,
                    }
                )
                continue
            days = fig["days"]
            if fig["running_since"]:
                days += max((today - fig["running_since"]).days, 0)
            subscription.update(
                {
                    "kpi_tenure_months": days / DAYS_PER_MONTH,
                    "kpi_renewal_count": fig["renewals"],
                    "kpi_churn_date": fig["churn_date"],
                    "kpi_close_reason_id": fig["reason"],
                    "kpi_expansion_mrr": fig["expansion"],
                    "kpi_contraction_mrr": fig["contraction"],
                }
            )

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super(
            SaleSubscription, self.with_context(**{SKIP_MOVEMENT_LEDGER: True})
        ).create(vals_list)
        subscriptions = subscriptions.with_env(self.env)
        subscriptions._kpi_log_movements(dict.fromkeys(subscriptions.ids))
        return subscriptions

    def write(self, vals):
        if self.env.context.get(SKIP_MOVEMENT_LEDGER):
            return super().write(vals)
        before = self._kpi_state()
        result = super(SaleSubscription, self.with_context(**{SKIP_MOVEMENT_LEDGER: True})).write(
            vals
        )
        self._kpi_log_movements(before, start_changed="date_start" in vals)
        return result

    # ------------------------------------------------------------
    # Movement ledger
    # ------------------------------------------------------------

    def _kpi_state(self):
        """What the movement ledger compares before and after a change (read
        as superuser: the MRR is a restricted field, and whoever may change a
        subscription moves its MRR)."""
        return {
            subscription.id: KpiState(
                subscription.stage_id.type,
                subscription.kpi_mrr,
                subscription.is_paused,
                subscription.date,
            )
            for subscription in self.sudo()
        }

    def _kpi_last_movement_types(self):
        """Type of the latest movement of each subscription, in one query."""
        if not self:
            return {}
        movements = self.env["crm.kpi.subscription.movement"]
        movements.flush_model(["subscription_id", "date", "movement_type"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (subscription_id) subscription_id, movement_type
                  FROM %(table)s
                 WHERE subscription_id = ANY(%(ids)s)
              ORDER BY subscription_id, date DESC, id DESC
                """,
                table=SQL.identifier(movements._table),
                ids=self.ids,
            )
        )
        return dict(rows)

    def _kpi_mrr_changed(self, old_mrr, new_mrr):
        self.ensure_one()
        if self.currency_id:
            return bool(self.currency_id.compare_amounts(old_mrr, new_mrr))
        return old_mrr != new_mrr

    def _kpi_close_date(self, today):
        """Date of a close: today, or the end date when it is already past
        (the scheduled action closes subscriptions whose end date is reached;
        one run late must not move the churn to a later period)."""
        self.ensure_one()
        return min(today, self.date) if self.date else today

    def _prepare_kpi_movement_vals(self, movement_type, day, mrr_before, mrr_after):
        self.ensure_one()
        return {
            "subscription_id": self.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "user_id": self.user_id.id,
            "team_id": self.crm_team_id.id,
            "date": day,
            "movement_type": movement_type,
            "mrr_before": mrr_before,
            "mrr_after": mrr_after,
        }

    def _kpi_log_movements(self, before, start_changed=False):
        """Append the movements between the ``before`` states and now.

        :param before: ``{id: KpiState}`` from :meth:`_kpi_state`, ``None``
            for subscriptions just created
        :param start_changed: the start date was written: an end date moved
            by it is a correction, not a renewal
        """
        subscriptions = self.browse(list(before)).exists()
        if not subscriptions:
            return
        today = fields.Date.context_today(self)
        after = subscriptions._kpi_state()
        entering = subscriptions.filtered(
            lambda sub: after[sub.id].stage_type in ("in_progress", "post")
            and (before[sub.id] is None or before[sub.id].stage_type != after[sub.id].stage_type)
        )
        last_types = entering._kpi_last_movement_types()
        vals_list = []
        for subscription in subscriptions:
            old, new = before[subscription.id], after[subscription.id]
            last = last_types.get(subscription.id)
            prepare = subscription._prepare_kpi_movement_vals
            if subscription in entering and new.stage_type == "in_progress":
                if not last:
                    vals_list.append(
                        prepare("start", subscription.date_start or today, 0.0, new.mrr)
                    )
                elif last == "close":
                    vals_list.append(prepare("reactivation", today, 0.0, new.mrr))
            elif subscription in entering:  # into a closed stage
                was_running = (old and old.stage_type == "in_progress") or (
                    last and last != "close"
                )
                if was_running:
                    vals = prepare("close", subscription._kpi_close_date(today), old.mrr, 0.0)
                    vals["close_reason_id"] = subscription.close_reason_id.id
                    vals_list.append(vals)
            elif old and old.stage_type == new.stage_type == "in_progress":
                if old.date and new.date and new.date > old.date and not start_changed:
                    vals_list.append(prepare("renewal", old.date, old.mrr, old.mrr))
                if subscription._kpi_mrr_changed(old.mrr, new.mrr):
                    movement_type = "upgrade" if new.mrr > old.mrr else "downgrade"
                    vals_list.append(prepare(movement_type, today, old.mrr, new.mrr))
                if new.is_paused != old.is_paused:
                    movement_type = "pause" if new.is_paused else "resume"
                    vals_list.append(prepare(movement_type, today, new.mrr, new.mrr))
        if vals_list:
            self.env["crm.kpi.subscription.movement"].sudo().create(vals_list)
