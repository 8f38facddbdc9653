# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.periods import period_of

MOVEMENT_TYPES = [
    ("start", "Start"),
    ("renewal", "Renewal"),
    ("upgrade", "Upgrade"),
    ("downgrade", "Downgrade"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("close", "Close"),
    ("reactivation", "Reactivation"),
]
# The movements the Net new MRR KPI adds up (pauses, resumes and renewals are not).
NET_NEW_MRR_TYPES = ("start", "upgrade", "downgrade", "close", "reactivation")
# The KPI the ledger's net new MRR is compared with.
NET_NEW_MRR_KPI = "net_new_mrr"


class CrmKpiSubscriptionMovement(models.Model):
    """One movement of a subscription's MRR: the append-only subscription ledger.

    Rows are written by the module only (sudo) when a subscription starts,
    renews, changes its MRR, pauses, resumes, closes or comes back; the KPI
    engine reads them with SQL (new, expansion, contraction, churned and
    reactivation MRR). MRR amounts are in the subscription's currency.
    """

    _name = "crm.kpi.subscription.movement"
    _description = "CRM KPI Subscription Movement"
    _order = "date desc, id desc"
    _rec_name = "movement_type"

    subscription_id = fields.Many2one(
        "sale.subscription",
        required=True,
        ondelete="cascade",
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        help="Commercial partner of the subscription when the movement happened.",
    )
    company_id = fields.Many2one("res.company", index=True)
    currency_id = fields.Many2one("res.currency")
    user_id = fields.Many2one("res.users", string="Salesperson")
    team_id = fields.Many2one("crm.team", string="Sales Team")
    date = fields.Date(required=True, index=True)
    movement_type = fields.Selection(MOVEMENT_TYPES, string="Type", required=True)
    mrr_before = fields.Monetary(string="MRR Before", currency_field="currency_id")
    mrr_after = fields.Monetary(string="MRR After", currency_field="currency_id")
    mrr_delta = fields.Monetary(
        string="MRR Change",
        currency_field="currency_id",
        compute="_compute_mrr_delta",
        store=True,
    )
    close_reason_id = fields.Many2one("sale.subscription.close.reason")
    is_backfilled = fields.Boolean(
        string="Back-filled",
        readonly=True,
        help="Rebuilt from the tracked stage changes of the chatter when the "
        "add-on was installed, not recorded live.",
    )

    @api.depends("mrr_before", "mrr_after")
    def _compute_mrr_delta(self):
        for movement in self:
            movement.mrr_delta = movement.mrr_after - movement.mrr_before

    # ------------------------------------------------------------
    # Report: MRR movements per period
    # ------------------------------------------------------------

    @api.model
    def _kpi_movement_rows(self, company, periods):
        """The rows of a movements report over ``periods`` (columns, in
        order), read with the user's rights: per movement type the sum of
        the MRR change of the movements in the company currency (no
        conversion), their net new MRR, and the Net new MRR KPI from its
        snapshots (all currencies converted; ``None``: no value).

        A list of {"key", "label", "values", "kind"} where kind is "type",
        "total" or "kpi". Intended to be inherited (e.g. to add rows)."""
        currency = company.currency_id
        groups = self._read_group(
            [
                ("company_id", "=", company.id),
                ("currency_id", "=", currency.id),
                ("date", ">=", min(p.date_start for p in periods)),
                ("date", "<", max(p.date_end for p in periods)),
            ],
            ["movement_type", "date:day"],
            ["mrr_delta:sum"],
        )
        column_of = {(p.period_type, p.date_start): index for index, p in enumerate(periods)}
        period_types = {p.period_type for p in periods}
        sums = defaultdict(float)
        for movement_type, day, amount in groups:
            day = fields.Date.to_date(day)
            for period_type in period_types:
                index = column_of.get((period_type, period_of(period_type, day).date_start))
                if index is not None:
                    sums[movement_type, index] += amount
        type_labels = dict(self._fields["movement_type"]._description_selection(self.env))
        rows = [
            {
                "key": movement_type,
                "label": type_labels.get(movement_type, movement_type),
                "values": [sums.get((movement_type, index), 0.0) for index in range(len(periods))],
                "kind": "type",
            }
            for movement_type, _label in MOVEMENT_TYPES
        ]
        rows.append(
            {
                "key": "net_new_mrr_ledger",
                "label": self.env._(
                    "Net new MRR from the ledger (%(currency)s)", currency=currency.name
                ),
                "values": [
                    sum(
                        sums.get((movement_type, index), 0.0) for movement_type in NET_NEW_MRR_TYPES
                    )
                    for index in range(len(periods))
                ],
                "kind": "total",
            }
        )
        Snapshot = self.env["crm.kpi.snapshot"]
        kpi = {}
        for period_type in period_types:
            of_type = [p for p in periods if p.period_type == period_type]
            board = Snapshot._kpi_board(
                period_type,
                of_type,
                company,
                kpi_codes=[NET_NEW_MRR_KPI],
                comparisons=(),
            )
            if board.rows:
                for column in board.columns_of("period"):
                    kpi[column.period] = board.cell(board.rows[0], column).number
        rows.append(
            {
                "key": "net_new_mrr_kpi",
                "label": self.env._("Net new MRR (KPI)"),
                "values": [kpi.get(period) for period in periods],
                "kind": "kpi",
            }
        )
        return rows

    # ------------------------------------------------------------
    # Back-fill from the chatter
    # ------------------------------------------------------------

    @api.model
    def _kpi_backfill_subscription_movements(self, subscription_ids=None):
        """Rebuild the movements of subscriptions that have none from the
        tracked changes of ``sale.subscription.stage_id``, in one INSERT.

        - ``start`` for every subscription that was ever in progress (now, or
          in a tracked change), dated ``date_start`` (or the first tracked
          entry into progress when earlier: Odoo resets ``date_start`` on a
          reactivation);
        - ``close`` at the date of each tracked change from progress into a
          closed (``post``) stage; the last one carries the current close
          reason. A subscription closed with no tracked change is closed at
          its end date or its last modification, whichever is earlier;
        - ``reactivation`` at the date of each tracked entry into progress
          after a close.

        MRR before/after come from the current ``kpi_mrr`` (0 on the other
        side). Subscriptions that already have movements are left alone, so
        the method can be re-run safely.

        :param subscription_ids: restrict to these subscriptions (default all)
        :return: number of movements inserted
        """
        self.env.flush_all()
        stage_field = self.env["ir.model.fields"]._get("sale.subscription", "stage_id")
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        sub_filter = SQL("TRUE")
        if subscription_ids is not None:
            sub_filter = SQL("sub.id = ANY(%s)", list(subscription_ids))
        self.env.cr.execute(
            SQL(
                """
                WITH subs AS (
                    SELECT sub.id, sub.date_start, sub.date, sub.kpi_mrr,
                           sub.close_reason_id, sub.company_id, sub.currency_id,
                           sub.user_id, sub.crm_team_id,
                           sub.create_date, sub.write_date,
                           stage.type AS stage_type,
                           COALESCE(partner.commercial_partner_id, partner.id)
                               AS partner_id
                      FROM sale_subscription sub
                 LEFT JOIN sale_subscription_stage stage ON stage.id = sub.stage_id
                 LEFT JOIN res_partner partner ON partner.id = sub.partner_id
                     WHERE %(sub_filter)s
                       AND NOT EXISTS (
                           SELECT 1 FROM %(table)s mvt WHERE mvt.subscription_id = sub.id
                       )
                ),
                changes AS (
                    SELECT msg.res_id AS subscription_id,
                           val.id AS tracking_id,
                           ((COALESCE(msg.date, val.create_date) AT TIME ZONE 'UTC')
                               AT TIME ZONE %(tz)s)::date AS day,
                           COALESCE(msg.date, val.create_date) AS changed_at,
                           old_stage.type AS old_type,
                           new_stage.type AS new_type
                      FROM mail_tracking_value val
                      JOIN mail_message msg ON msg.id = val.mail_message_id
                      JOIN subs ON subs.id = msg.res_id
                 LEFT JOIN sale_subscription_stage old_stage
                        ON old_stage.id = val.old_value_integer
                 LEFT JOIN sale_subscription_stage new_stage
                        ON new_stage.id = val.new_value_integer
                     WHERE msg.model = 'sale.subscription'
                       AND val.field_id = %(field_id)s
                ),
                events AS (
                    SELECT changes.*,
                           COUNT(*) FILTER (
                               WHERE new_type = 'in_progress'
                                 AND old_type IS DISTINCT FROM 'in_progress'
                           ) OVER previous AS starts_before,
                           COUNT(*) FILTER (
                               WHERE new_type = 'post'
                                 AND old_type IS DISTINCT FROM 'post'
                           ) OVER previous AS closes_before,
                           COUNT(*) FILTER (
                               WHERE new_type = 'post'
                                 AND old_type IS DISTINCT FROM 'post'
                           ) OVER following AS closes_after
                      FROM changes
                    WINDOW previous AS (
                               PARTITION BY subscription_id
                               ORDER BY changed_at, tracking_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                           ),
                           following AS (
                               PARTITION BY subscription_id
                               ORDER BY changed_at, tracking_id
                               ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
                           )
                ),
                closes AS (
                    SELECT * FROM events
                     WHERE new_type = 'post'
                       AND old_type IS DISTINCT FROM 'post'
                       AND (old_type = 'in_progress' OR starts_before > 0)
                ),
                started AS (
                    SELECT subs.id AS subscription_id,
                           LEAST(subs.date_start, MIN(events.day) FILTER (
                               WHERE events.new_type = 'in_progress'
                           )) AS day
                      FROM subs
                 LEFT JOIN events ON events.subscription_id = subs.id
                  GROUP BY subs.id, subs.date_start, subs.stage_type
                    HAVING subs.stage_type = 'in_progress'
                        OR COUNT(events.*) FILTER (
                               WHERE events.new_type = 'in_progress'
                                  OR events.old_type = 'in_progress'
                           ) > 0
                ),
                movements AS (
                    SELECT started.subscription_id, 0 AS seq, 0 AS tracking_id,
                           COALESCE(started.day, subs.create_date::date) AS day,
                           'start' AS movement_type,
                           0.0 AS mrr_before, subs.kpi_mrr AS mrr_after,
                           NULL::integer AS close_reason_id
                      FROM started
                      JOIN subs ON subs.id = started.subscription_id
                    UNION ALL
                    SELECT closes.subscription_id, 1, closes.tracking_id, closes.day,
                           'close', subs.kpi_mrr, 0.0,
                           CASE WHEN closes.closes_after = 0
                                 AND subs.stage_type = 'post'
                                THEN subs.close_reason_id END
                      FROM closes
                      JOIN subs ON subs.id = closes.subscription_id
                    UNION ALL
                    SELECT events.subscription_id, 1, events.tracking_id, events.day,
                           'reactivation', 0.0, subs.kpi_mrr, NULL
                      FROM events
                      JOIN subs ON subs.id = events.subscription_id
                     WHERE events.new_type = 'in_progress'
                       AND events.old_type IS DISTINCT FROM 'in_progress'
                       AND events.closes_before > 0
                    UNION ALL
                    -- closed, once in progress, but the close was never tracked
                    SELECT started.subscription_id, 2, 0,
                           COALESCE(LEAST(subs.date, subs.write_date::date),
                                    CURRENT_DATE),
                           'close', subs.kpi_mrr, 0.0, subs.close_reason_id
                      FROM started
                      JOIN subs ON subs.id = started.subscription_id
                     WHERE subs.stage_type = 'post'
                       AND NOT EXISTS (
                           SELECT 1 FROM closes
                            WHERE closes.subscription_id = started.subscription_id
                       )
                )
                INSERT INTO %(table)s (
                    subscription_id, partner_id, company_id, currency_id, user_id,
                    team_id, date, movement_type, mrr_before, mrr_after, mrr_delta,
                    close_reason_id, is_backfilled,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT movements.subscription_id, subs.partner_id, subs.company_id,
                       subs.currency_id, subs.user_id, subs.crm_team_id,
                       movements.day, movements.movement_type,
                       COALESCE(movements.mrr_before, 0.0),
                       COALESCE(movements.mrr_after, 0.0),
                       COALESCE(movements.mrr_after, 0.0)
                           - COALESCE(movements.mrr_before, 0.0),
                       movements.close_reason_id, TRUE,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM movements
                  JOIN subs ON subs.id = movements.subscription_id
              ORDER BY movements.subscription_id, movements.day,
                       movements.seq, movements.tracking_id
                """,
                sub_filter=sub_filter,
                table=SQL.identifier(self._table),
                field_id=stage_field.id,
                tz=tz,
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        return count
