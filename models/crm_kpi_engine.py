"""Data gathering of the KPIs: one set-based query (or a few) per KPI.

Each KPI code has a method ``_kpi_<code>(definition, window)`` returning a
list of rows ``{"dimension": ..., "<dim>_id": ..., "kpi_value": KpiValue}``:
one row for the company as a whole and one per value of each dimension the
definition allows. The queries group by ``GROUPING SETS`` so that the
company total and every dimension come out of the same scan, and their
number does not depend on the number of leads, customers or orders.

Other add-ons extend a KPI by overriding its ``_kpi_<code>`` method or the
small ``_<code>_*`` hooks it calls, or add a KPI by adding a definition
record and a ``_kpi_<code>`` method.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..engine import metrics
from ..engine.periods import Period


class KpiDataError(UserError):
    """Data a KPI cannot be computed from (a currency without a rate): the
    KPI of that period is stored as failed with this message as its reason,
    instead of a wrong number."""


# Dimensions of lead-based KPIs and the crm_lead columns that carry them.
LEAD_DIMENSIONS = {
    "team": "team_id",
    "user": "user_id",
    "source": "source_id",
    "medium": "medium_id",
    "campaign": "campaign_id",
}

# Measures of the MRR bridge of a period (see CrmKpiEngine._mrr_bridge).
MRR_MEASURES = (
    "mrr_start", "new", "expansion", "contraction", "churned", "reactivation",
    "expansion_existing", "contraction_existing", "churned_existing",
)


# The KPIs that read the customer data a run materializes (see
# CrmKpiEngine._open_run): purchase events, first purchases and subscription
# intervals; the marketing ones also the first won lead of each customer.
# A KPI missing here still computes the same value, from inlined SQL.
CUSTOMER_KPIS = frozenset({
    "churn", "retention", "upsell", "cac", "retention_cost", "clv", "cac_payback",
    "net_new_revenue", "marketing_share", "marketing_revenue_share", "marketing_roi",
})
SOURCED_KPIS = frozenset({
    "cac", "net_new_revenue", "marketing_share", "marketing_revenue_share", "marketing_roi",
})


@dataclass(frozen=True)
class KpiWindow:
    """Everything a KPI query needs to know about the window it computes:
    the period itself, or a trailing window ending with it (see
    :meth:`CrmKpiEngine._trailing`). Money is always converted at the rate
    of the period's last day."""

    company: models.BaseModel
    period: Period
    tz: str
    date_from: date
    date_to: date
    """First day after the window (exclusive)."""
    utc_from: datetime
    utc_to: datetime
    owns_unassigned: bool
    """Whether records without a company are counted for this company."""
    cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    """Results shared by the KPIs of one company and period (e.g. the
    customer counts behind churn, retention, upsell and retention cost),
    shared with the trailing windows derived from it."""
    run: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    """Temporary tables of one company's run (see
    :meth:`CrmKpiEngine._open_run`): {kind: table name} (and ``_jit``, the
    setting restored at its end), shared by every period of the run; empty
    outside a run."""


class CrmKpiEngine(models.AbstractModel):
    _name = "crm.kpi.engine"
    _description = "CRM KPI Engine"

    # ------------------------------------------------------------------
    # Framework
    # ------------------------------------------------------------------
    @api.model
    def _make_window(self, company, period, run=None):
        tz = company.partner_id.tz or self.env.user.tz or "UTC"
        utc_from, utc_to = period.utc_bounds(tz)
        return KpiWindow(
            company=company,
            period=period,
            tz=tz,
            date_from=period.date_start,
            date_to=period.date_end,
            utc_from=utc_from,
            utc_to=utc_to,
            owns_unassigned=company == self._unassigned_owner(),
            run=run if run is not None else {},
        )

    @api.model
    def _make_context(self, company, period, run=None):
        """Former name of :meth:`_make_window`, kept for callers."""
        return self._make_window(company, period, run)

    @contextmanager
    def _run(self, company, periods, codes):
        """The run of one company over ``periods`` for the KPI ``codes``:
        ``with engine._run(company, periods, codes) as run:`` opens it (see
        :meth:`_open_run`) and closes it (:meth:`_close_run`) at the end,
        also when a KPI raises."""
        run = self._open_run(company, periods, codes)
        try:
            yield run
        finally:
            self._close_run(run)

    @api.model
    def _open_run(self, company, periods, codes):
        """Materialize, for one company, the customer data that every period
        reads whole: the purchase events, each customer's first purchase,
        the subscription intervals and each customer's first won lead, as
        far as the KPI ``codes`` of the run read them; for a run of several
        ``periods``, also the data health of each day.

        They are temporary tables (``ON COMMIT DROP``, indexed and analyzed
        so that the planner knows their size), built once per run instead of
        once per KPI and period from all of the order history. Returns the
        ``run`` of :meth:`_make_window`; :meth:`_close_run` drops them.
        Without a run, the same SQL is inlined in every query.
        """
        window = self._make_window(company, periods[0])
        run = {}
        specs = []
        # A table pays off when it is read several times: over several
        # periods, or by more than two KPIs of one period (two customer
        # KPIs such as churn and retention share one read of the customer counts).
        customer_reads = len(periods) * len(CUSTOMER_KPIS & set(codes))
        sourced_reads = len(periods) * len(SOURCED_KPIS & set(codes))
        if customer_reads > 2:
            specs += [
                ("events", self._purchase_events_sql(window), ("day", "customer_id")),
                ("first", None, ("first_day",)),
                ("intervals", self._subscription_intervals_sql(window), ("customer_id",)),
            ]
        if sourced_reads > 1:
            specs.append(("sources", self._customer_sources_sql(window), ()))
        if "data_quality" in codes and len(periods) > 1:
            # one scan for all periods; for a single period its own query
            # (a plain count per email) is cheaper than the per-day table
            specs.append(("health", self._data_health_days_sql(window), ("day",)))
        cr = self.env.cr
        # The KPI queries are many, short and planned on rough estimates:
        # PostgreSQL's JIT compilation would cost more than it saves (half
        # of a 0.8 s query at size L). Off for the run, restored after.
        cr.execute("SELECT current_setting('jit')")
        run["_jit"] = cr.fetchone()[0]
        cr.execute("SET LOCAL jit = off")
        for kind, query, indexes in specs:
            table = f"crm_kpi_run_{kind}_{company.id}"
            if kind == "first":
                query = self._first_purchases_sql(replace(window, run=run))
            cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
            cr.execute(SQL(
                "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s", SQL.identifier(table), query
            ))
            for column in indexes:
                cr.execute(SQL(
                    "CREATE INDEX ON %s (%s)", SQL.identifier(table), SQL.identifier(column)
                ))
            if kind in ("first", "sources"):
                cr.execute(SQL(
                    "ALTER TABLE %s ADD PRIMARY KEY (customer_id)", SQL.identifier(table)
                ))
            cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
            run[kind] = table
        return run

    @api.model
    def _close_run(self, run):
        jit = run.pop("_jit", None)
        for table in run.values():
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
        if jit is not None:
            self.env.cr.execute("SELECT set_config('jit', %s, true)", [jit])
        run.clear()

    @api.model
    def _trailing(self, window, delta):
        """The window of length ``delta`` (a relativedelta)
        that ends where the period ends."""
        date_from = window.date_to - delta
        utc_from, _utc_to = Period("day", date_from, date_from + timedelta(days=1)).utc_bounds(
            window.tz
        )
        return replace(window, date_from=date_from, utc_from=utc_from)

    @api.model
    def _unassigned_owner(self):
        """The company that counts records which have no company (leads or
        contacts shared between companies): the main company, so that such
        records are counted once and never mixed into every company."""
        return self.env.ref("base.main_company", raise_if_not_found=False) or self.env[
            "res.company"
        ].search([], order="id", limit=1)

    @api.model
    def _shared(self, window, key, compute):
        """The rows ``compute()`` returns, computed once per window (``key``
        and the window's dates) and shared by the KPIs of a period that read
        them; each caller gets its own copies of the rows."""
        key = (*key, window.date_from, window.date_to)
        if key not in window.cache:
            window.cache[key] = compute()
        return [dict(row) for row in window.cache[key]]

    @api.model
    def _has_gatherer(self, code):
        return callable(getattr(self, f"_kpi_{code}", None))

    @api.model
    def _gather(self, definition, window):
        return getattr(self, f"_kpi_{definition.code}")(definition, window)

    @api.model
    def _allowed_dimensions(self, definition):
        allowed = {"company"}
        if definition.allow_team:
            allowed.add("team")
        if definition.allow_user:
            allowed.add("user")
        if definition.allow_utm:
            allowed |= {"source", "medium", "campaign"}
        if definition.allow_stage:
            allowed.add("stage")
        return allowed

    @api.model
    def _company_clause(self, column, window):
        """SQL condition: the record behind ``column`` belongs to the company."""
        if window.owns_unassigned:
            return SQL("(%s = %s OR %s IS NULL)", column, window.company.id, column)
        return SQL("%s = %s", column, window.company.id)

    @api.model
    def _local_date(self, column, window):
        """SQL expression: the company-local calendar date of a UTC timestamp."""
        return SQL("((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", column, window.tz)

    @api.model
    def _grouped(self, definition, dimensions, measures, from_where, currency=None):
        """Run one query grouped by the company total and by each allowed
        dimension; return a list of dicts with ``dimension``, the dimension
        field (e.g. ``team_id``) and the measures.

        Rows of a dimension whose value is empty (no team, no UTM source...)
        are that dimension's *none* row (``team_id`` empty), so that the rows
        of one dimension add up to the company row.

        :param definition: the KPI definition, whose allowed dimensions are
            grouped by; ``None`` to group by all of ``dimensions`` (a query
            shared by several KPIs, each keeping its rows with
            :meth:`_allowed_rows`)
        :param dimensions: {dimension: SQL expression of its id}
        :param measures: {name: SQL aggregate expression}
        :param from_where: SQL starting with FROM
        :param currency: SQL expression of a currency id; when given, every
            group is also split by currency and rows carry ``currency_id``
            (see :meth:`_in_company_currency`)
        """
        if definition is not None:
            allowed = self._allowed_dimensions(definition)
            dimensions = {dim: expr for dim, expr in dimensions.items() if dim in allowed}
        select = [SQL("%s AS %s", expr, SQL.identifier(name)) for name, expr in measures.items()]
        for dim, expr in dimensions.items():
            select.append(SQL("GROUPING(%s) AS %s", expr, SQL.identifier(f"g_{dim}")))
            select.append(SQL("%s AS %s", expr, SQL.identifier(dim)))
        extra = []
        if currency is not None:
            select.append(SQL("%s AS currency_id", currency))
            extra = [currency]
        sets = [SQL("(%s)", SQL(", ").join(extra))] + [
            SQL("(%s)", SQL(", ").join([expr, *extra])) for expr in dimensions.values()
        ]
        query = SQL(
            "SELECT %s %s GROUP BY GROUPING SETS (%s)",
            SQL(", ").join(select),
            from_where,
            SQL(", ").join(sets),
        )
        result = []
        for row in self.env.execute_query_dict(query):
            dimension = next((dim for dim in dimensions if row[f"g_{dim}"] == 0), "company")
            out = {name: row[name] or 0 for name in measures}
            out["dimension"] = dimension
            if dimension != "company":
                out[f"{dimension}_id"] = row[dimension]
            if currency is not None:
                out["currency_id"] = row["currency_id"]
            result.append(out)
        return result

    @api.model
    def _allowed_rows(self, definition, rows):
        """The rows of the company and of the dimensions ``definition``
        allows, from rows grouped for several KPIs (see :meth:`_grouped`)."""
        allowed = self._allowed_dimensions(definition)
        return [row for row in rows if row["dimension"] in allowed]

    @staticmethod
    def _row_key(row):
        return row["dimension"], row.get(f"{row['dimension']}_id")

    @api.model
    def _merge(self, *row_lists, defaults=None):
        """Merge rows of several queries on (dimension, dimension value),
        adding up measures of the same name; measures absent from a group
        take their value from ``defaults`` (0 by default). A company row is
        always present."""
        merged = {("company", None): {"dimension": "company"}}
        for rows in row_lists:
            for row in rows:
                target = merged.setdefault(self._row_key(row), {
                    key: val for key, val in row.items() if key == "dimension" or key.endswith("_id")
                })
                for key, val in row.items():
                    if key != "dimension" and not key.endswith("_id"):
                        target[key] = target.get(key, 0) + (val or 0)
        names = set(defaults or {})
        for row in merged.values():
            names |= {k for k in row if k != "dimension" and not k.endswith("_id")}
        for row in merged.values():
            for name in names:
                row.setdefault(name, (defaults or {}).get(name, 0))
        return list(merged.values())

    @api.model
    def _in_company_currency(self, rows, money, window):
        """Convert the ``money`` measures of per-currency rows (from
        :meth:`_grouped` with ``currency``) to the company currency at the
        rate of the period's last day, and add up the currencies."""
        company = window.company
        currency_ids = {row["currency_id"] for row in rows if row.get("currency_id")}
        self._check_rates(
            self.env["res.currency"].browse({
                row["currency_id"] for row in rows
                if row.get("currency_id") and any(row[name] for name in money)
            }),
            company,
            window.period.last_day,
        )
        currencies = self.env["res.currency"].browse(currency_ids) | company.currency_id
        rates = currencies._get_rates(company, window.period.last_day)
        company_rate = rates[company.currency_id.id]
        converted = []
        for row in rows:
            row = dict(row)
            currency_id = row.pop("currency_id", None) or company.currency_id.id
            factor = company_rate / rates[currency_id]
            for name in money:
                row[name] = float(row[name] or 0) * factor
            converted.append(row)
        return self._merge(converted, defaults=dict.fromkeys(money, 0.0))

    @api.model
    def _check_rates(self, currencies, company, day):
        """Raise :class:`KpiDataError` when one of ``currencies`` (other than
        the company's) has no rate on or before ``day`` for the company (its
        own or a shared one): Odoo would then convert at a later rate or 1:1."""
        others = currencies - company.currency_id
        if not others:
            return
        with_rate = {
            currency_id for (currency_id,) in self.env.execute_query(SQL(
                """SELECT DISTINCT currency_id FROM res_currency_rate
                    WHERE currency_id = ANY(%s) AND name <= %s
                      AND (company_id IS NULL OR company_id = %s)""",
                others.ids, day, company.root_id.id,
            ))
        }
        missing = others.filtered(lambda currency: currency.id not in with_rate)
        if missing:
            raise KpiDataError(self.env._(
                "No exchange rate of %(currencies)s on or before %(day)s for %(company)s: "
                "add one (Accounting → Configuration → Currencies) and compute the KPI again.",
                currencies=", ".join(missing.sorted("name").mapped("name")),
                day=format_date(self.env, day),
                company=company.name,
            ))

    @api.model
    def _rows(self, grouped, to_value):
        """Turn grouped measures into snapshot rows with ``to_value(row)``."""
        return [
            {
                **{key: val for key, val in row.items() if key == "dimension" or key.endswith("_id")},
                "kpi_value": to_value(row),
            }
            for row in grouped
        ]

    @api.model
    def _lead_dimensions(self, alias="l"):
        return {dim: SQL.identifier(alias, column) for dim, column in LEAD_DIMENSIONS.items()}

    # ------------------------------------------------------------------
    # Pipeline KPIs (crm.lead)
    # ------------------------------------------------------------------
    @api.model
    def _closed_opportunities_where(self, window):
        """Opportunities won or lost in the period (won/lost status is read
        from ``won_status``, the closing date from ``date_closed``)."""
        return SQL(
            """
            FROM crm_lead l
            WHERE %s AND l.type = 'opportunity'
              AND l.won_status IN ('won', 'lost')
              AND l.date_closed >= %s AND l.date_closed < %s
            """,
            self._company_clause(SQL("l.company_id"), window),
            window.utc_from,
            window.utc_to,
        )

    @api.model
    def _kpi_win_rate(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "won": SQL("COUNT(*) FILTER (WHERE l.won_status = 'won')"),
                "lost": SQL("COUNT(*) FILTER (WHERE l.won_status = 'lost')"),
            },
            self._closed_opportunities_where(window),
        )
        return self._rows(grouped, lambda r: metrics.win_rate(won=r["won"], lost=r["lost"]))

    @api.model
    def _kpi_sales_cycle(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "days": SQL(
                    "SUM(EXTRACT(EPOCH FROM l.date_closed - l.create_date) / 86400.0)"
                    " FILTER (WHERE l.won_status = 'won')"
                ),
                "won": SQL("COUNT(*) FILTER (WHERE l.won_status = 'won')"),
            },
            self._closed_opportunities_where(window),
        )
        return self._rows(
            grouped, lambda r: metrics.sales_cycle(total_days=float(r["days"]), won=r["won"])
        )

    @api.model
    def _created_leads_where(self, window):
        """Leads and opportunities created in the period, archived ones included."""
        return SQL(
            "FROM crm_lead l WHERE %s AND l.create_date >= %s AND l.create_date < %s",
            self._company_clause(SQL("l.company_id"), window),
            window.utc_from,
            window.utc_to,
        )

    @api.model
    def _kpi_lead_sources(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {"leads": SQL("COUNT(*)")},
            self._created_leads_where(window),
        )
        return self._rows(grouped, lambda r: metrics.lead_sources(r["leads"]))

    @api.model
    def _lead_abandoned_condition(self, window):
        """A lead is abandoned when it was lost, archived, or is still open
        with no planned activity and no stage change for the stale delay
        (counted back from the computation date)."""
        return SQL(
            "(l.won_status = 'lost' OR NOT l.active OR %s)", self._lead_stale_condition(window)
        )

    @api.model
    def _lead_stale_condition(self, window):
        """SQL condition on ``l`` (crm_lead): the lead is still pending with
        no planned activity and no stage change for the stale delay, counted
        back from now. Shared by the abandonment KPI and ``crm.lead.kpi_is_stale``."""
        stale_since = datetime.now() - self._stale_delta(window)
        return SQL(
            """
            (l.won_status = 'pending'
             AND COALESCE(l.date_last_stage_update, l.create_date) < %s
             AND NOT EXISTS (
                 SELECT 1 FROM mail_activity a
                  WHERE a.res_model = 'crm.lead' AND a.res_id = l.id
             ))
            """,
            stale_since,
        )

    @api.model
    def _stale_delta(self, window):
        return timedelta(days=window.company._kpi_setting("kpi_stale_days"))

    @api.model
    def _kpi_lead_abandonment(self, definition, window):
        grouped = self._grouped(
            definition,
            self._lead_dimensions(),
            {
                "abandoned": SQL(
                    "COUNT(*) FILTER (WHERE %s)", self._lead_abandoned_condition(window)
                ),
                "created": SQL("COUNT(*)"),
            },
            self._created_leads_where(window),
        )
        return self._rows(
            grouped,
            lambda r: metrics.lead_abandonment(abandoned=r["abandoned"], created=r["created"]),
        )

    # ------------------------------------------------------------------
    # Customer KPIs (sale.order, account.move, sale.subscription)
    # ------------------------------------------------------------------
    @api.model
    def _purchase_events_sql(self, window):
        """SQL of one row per customer event that carries a purchase or
        revenue: ``customer_id`` (commercial partner), ``day`` (company-local
        date), ``currency_id``, ``amount`` (untaxed, in the document
        currency), ``team_id`` and ``user_id`` (the document's sales team
        and salesperson), ``kind``,
        ``is_purchase`` (a purchase: first purchase, upsell, CLV frequency)
        and ``is_one_off`` (a one-off purchase: it keeps the customer active
        for the activity window).

        =====================  ========  ========  ================================
        kind                   purchase  one-off   amount
        =====================  ========  ========  ================================
        ``order``              yes       yes       the order's untaxed amount
        ``subscription_order`` yes       no        the order's untaxed amount
        ``invoice``            yes       yes       the invoice's untaxed amount
        ``start``              yes       no        the subscription's recurring
                                                   price (0 if its order counts)
        ``reactivation``       no        no        0
        ``refund``             no        no        minus the credit note's
        =====================  ========  ========  ================================

        - ``order``: a confirmed sale order that no subscription generated
          and that started no subscription; ``subscription_order``: one whose
          recurring lines started a subscription (that subscription's
          purchase, which its in-progress interval keeps active, not the
          window). Orders a subscription generates are not events.
        - ``invoice``: a posted customer invoice of no order (no line linked
          to an order line) and no subscription. Invoices of orders are the
          same purchase as their order, recurring invoices of subscriptions
          no purchase: neither is an event.
        - ``start`` / ``reactivation``: from the movement ledger
          (``date_start`` itself is reset by a reactivation). The start of a
          subscription created by a confirmed order is not an event: its
          order is.
        - ``refund``: a posted credit note of no subscription and of no
          order a subscription generated, in the period it is posted.
        """
        if "events" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["events"]))
        return SQL(
            """
            SELECT p.commercial_partner_id AS customer_id, %(so_day)s AS day,
                   so.currency_id, so.amount_untaxed AS amount, so.team_id, so.user_id,
                   CASE WHEN started.sale_order_id IS NULL THEN 'order'
                        ELSE 'subscription_order' END AS kind,
                   TRUE AS is_purchase, started.sale_order_id IS NULL AS is_one_off
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
              LEFT JOIN (SELECT DISTINCT sale_order_id FROM sale_subscription
                          WHERE sale_order_id IS NOT NULL) started
                     ON started.sale_order_id = so.id
             WHERE so.state = 'sale' AND so.order_subscription_id IS NULL AND %(so_company)s
            UNION ALL
            SELECT am.commercial_partner_id, am.invoice_date, am.currency_id,
                   CASE WHEN am.move_type = 'out_refund' THEN -am.amount_untaxed
                        ELSE am.amount_untaxed END,
                   am.team_id, am.invoice_user_id,
                   CASE WHEN am.move_type = 'out_refund' THEN 'refund' ELSE 'invoice' END,
                   am.move_type = 'out_invoice', am.move_type = 'out_invoice'
              FROM account_move am
             WHERE am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'
               AND am.invoice_date IS NOT NULL AND am.company_id = %(company)s
               AND am.subscription_id IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM account_move_line aml
                     JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                     JOIN sale_order_line sol ON sol.id = rel.order_line_id
                     JOIN sale_order so ON so.id = sol.order_id
                    WHERE aml.move_id = am.id
                      AND (am.move_type = 'out_invoice' OR so.order_subscription_id IS NOT NULL))
            UNION ALL
            SELECT m.partner_id, m.date, m.currency_id,
                   CASE WHEN m.movement_type = 'start' THEN s.recurring_total ELSE 0.0 END,
                   m.team_id, m.user_id, m.movement_type, m.movement_type = 'start', FALSE
              FROM crm_kpi_subscription_movement m
              JOIN sale_subscription s ON s.id = m.subscription_id
              LEFT JOIN sale_order origin ON origin.id = s.sale_order_id
             WHERE m.movement_type IN ('start', 'reactivation') AND m.company_id = %(company)s
               AND (m.movement_type = 'reactivation' OR origin.state IS DISTINCT FROM 'sale')
            """,
            so_day=self._local_date(SQL("so.date_order"), window),
            so_company=SQL("so.company_id = %s", window.company.id),
            company=window.company.id,
        )

    @api.model
    def _subscription_intervals_sql(self, window):
        """SQL of the periods subscriptions were in progress: one row per
        start or reactivation, ``customer_id``, ``date_from`` and
        ``date_to`` (the next close, empty while still running)."""
        if "intervals" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["intervals"]))
        return SQL(
            """
            SELECT customer_id, date_from, date_to FROM (
                SELECT m.partner_id AS customer_id, m.movement_type, m.date AS date_from,
                       LEAD(m.date) OVER (PARTITION BY m.subscription_id ORDER BY m.date, m.id)
                           AS date_to
                  FROM crm_kpi_subscription_movement m
                 WHERE m.movement_type IN ('start', 'reactivation', 'close')
                   AND m.company_id = %s
            ) intervals
            WHERE movement_type IN ('start', 'reactivation')
            """,
            window.company.id,
        )

    @api.model
    def _first_purchase_sql(self, events):
        """SQL of one row per customer: ``customer_id``, ``first_day`` (date
        of the first purchase), ``team_id`` and ``user_id``, the sales team
        and the salesperson of that first purchase, which are the team and
        the salesperson a customer is counted for."""
        return SQL(
            """
            SELECT DISTINCT ON (customer_id) customer_id, day AS first_day, team_id, user_id
              FROM (%s) e
             WHERE e.is_purchase
             ORDER BY customer_id, day, team_id IS NULL, team_id, user_id IS NULL, user_id
            """,
            events,
        )

    @api.model
    def _inline_run_tables(self, window):
        """``NOT MATERIALIZED`` for a CTE over a run table, so that the
        planner reads the table itself (its statistics and indexes) in each
        place the CTE is used; an inlined event union is better computed
        once (PostgreSQL's default for a CTE used several times)."""
        return SQL("NOT MATERIALIZED") if "events" in window.run else SQL()

    @api.model
    def _first_purchases_sql(self, window, events=None):
        """:meth:`_first_purchase_sql` of the company's purchase events (or
        of ``events``, a query over them), read from the run's table when
        there is one."""
        if "first" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["first"]))
        return self._first_purchase_sql(events or self._purchase_events_sql(window))

    @api.model
    def _active_customers_sql(self, window, day):
        """SQL of the customers active at the start of ``day``: a
        subscription in progress at that moment (started before it and not
        closed before it), or a one-off purchase in the activity window
        before it."""
        window_start = day - timedelta(days=window.company._kpi_setting("kpi_activity_window_days"))
        return SQL(
            """
            SELECT customer_id FROM kpi_events
             WHERE is_one_off AND day >= %(window_start)s AND day < %(day)s
            UNION
            SELECT customer_id FROM kpi_sub_intervals
             WHERE date_from < %(day)s AND (date_to IS NULL OR date_to >= %(day)s)
            """,
            window_start=window_start,
            day=day,
        )

    @api.model
    def _customer_facts_sql(self, window):
        """SQL (a WITH ... SELECT) of one row per customer of the company
        relevant to the period: ``customer_id``, ``team_id`` (the team of
        their first purchase), ``is_new`` (first purchase in the period),
        ``active_start``, ``active_end``, ``bought_in_period``,
        ``upgraded_in_period``."""
        return SQL(
            """
            WITH kpi_events AS %(inline)s (%(events)s),
            kpi_sub_intervals AS %(inline)s (%(intervals)s),
            kpi_first AS %(inline)s (%(first)s),
            kpi_active_start AS (%(active_start)s),
            kpi_active_end AS (%(active_end)s),
            kpi_bought AS (
                SELECT DISTINCT customer_id FROM kpi_events
                 WHERE is_purchase AND day >= %(date_from)s AND day < %(date_to)s
            ),
            kpi_upgraded AS (
                SELECT DISTINCT m.partner_id AS customer_id FROM crm_kpi_subscription_movement m
                 WHERE m.movement_type = 'upgrade' AND m.company_id = %(company)s
                   AND m.date >= %(date_from)s AND m.date < %(date_to)s
            ),
            kpi_customers AS (
                SELECT customer_id FROM kpi_active_start
                UNION SELECT customer_id FROM kpi_active_end
                UNION SELECT customer_id FROM kpi_first
                 WHERE first_day >= %(date_from)s AND first_day < %(date_to)s
            )
            SELECT c.customer_id, f.team_id,
                   (f.first_day >= %(date_from)s AND f.first_day < %(date_to)s) AS is_new,
                   (f.first_day < %(date_from)s) AS existed_before,
                   (s.customer_id IS NOT NULL) AS active_start,
                   (e.customer_id IS NOT NULL) AS active_end,
                   (b.customer_id IS NOT NULL) AS bought_in_period,
                   (u.customer_id IS NOT NULL) AS upgraded_in_period
              FROM kpi_customers c
              LEFT JOIN kpi_first f ON f.customer_id = c.customer_id
              LEFT JOIN kpi_active_start s ON s.customer_id = c.customer_id
              LEFT JOIN kpi_active_end e ON e.customer_id = c.customer_id
              LEFT JOIN kpi_bought b ON b.customer_id = c.customer_id
              LEFT JOIN kpi_upgraded u ON u.customer_id = c.customer_id
            """,
            inline=self._inline_run_tables(window),
            events=self._purchase_events_sql(window),
            first=self._first_purchases_sql(window, SQL("SELECT * FROM kpi_events")),
            intervals=self._subscription_intervals_sql(window),
            company=window.company.id,
            active_start=self._active_customers_sql(window, window.date_from),
            active_end=self._active_customers_sql(window, window.date_to),
            date_from=window.date_from,
            date_to=window.date_to,
        )

    @api.model
    def _customer_counts(self, definition, window):
        """Customer counts of the period, for the company and per team;
        computed once per window and shared by the KPIs that need them."""
        return self._shared(
            window,
            ("customer_counts", "team" in self._allowed_dimensions(definition)),
            lambda: self._customer_counts_query(definition, window),
        )

    @api.model
    def _customer_counts_query(self, definition, window):
        return self._grouped(
            definition,
            {"team": SQL("c.team_id")},
            {
                "new": SQL("COUNT(*) FILTER (WHERE c.is_new)"),
                "active_start": SQL("COUNT(*) FILTER (WHERE c.active_start)"),
                "active_end": SQL("COUNT(*) FILTER (WHERE c.active_end)"),
                "lost": SQL("COUNT(*) FILTER (WHERE c.active_start AND NOT c.active_end)"),
                "retained": SQL("COUNT(*) FILTER (WHERE c.active_start AND c.active_end)"),
                "upsold": SQL(
                    "COUNT(*) FILTER (WHERE c.active_start AND c.existed_before"
                    " AND (c.bought_in_period OR c.upgraded_in_period))"
                ),
            },
            SQL("FROM (%s) c", self._customer_facts_sql(window)),
        )

    @api.model
    def _kpi_churn(self, definition, window):
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.churn(lost=r["lost"], active_at_start=r["active_start"]),
        )

    @api.model
    def _kpi_retention(self, definition, window):
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.retention(
                active_at_end=r["active_end"], new=r["new"], active_at_start=r["active_start"]
            ),
        )

    @api.model
    def _kpi_upsell(self, definition, window):
        return self._rows(
            self._customer_counts(definition, window),
            lambda r: metrics.upsell(upsold=r["upsold"], active_at_start=r["active_start"]),
        )

    @api.model
    def _customer_dimensions(self, first="f", sources="src"):
        """The dimensions of a customer: the sales team and the salesperson
        of their first purchase (``first``, a :meth:`_first_purchase_sql`
        row) and the UTM source, medium and campaign of their first won lead
        (``sources``, a :meth:`_customer_sources_sql` row)."""
        return {
            "team": SQL.identifier(first, "team_id"),
            "user": SQL.identifier(first, "user_id"),
            "source": SQL.identifier(sources, "source_id"),
            "medium": SQL.identifier(sources, "medium_id"),
            "campaign": SQL.identifier(sources, "campaign_id"),
        }

    @api.model
    def _new_customers(self, definition, window):
        """Customers whose first purchase falls in the period: ``new`` and
        ``marketing`` (the marketing-sourced ones), for the company and per
        :meth:`_customer_dimensions`. Computed once per window (by every
        dimension) and shared by CAC and the marketing share."""
        rows = self._shared(
            window,
            ("new_customers",),
            lambda: self._grouped(
                None,
                self._customer_dimensions(),
                {
                    "new": SQL("COUNT(*)"),
                    "marketing": SQL("COUNT(*) FILTER (WHERE src.is_marketing)"),
                },
                SQL(
                    """
                    FROM (%(first)s) f
                    LEFT JOIN (%(sources)s) src ON src.customer_id = f.customer_id
                    WHERE f.first_day >= %(date_from)s AND f.first_day < %(date_to)s
                    """,
                    first=self._first_purchases_sql(window),
                    sources=self._customer_sources_sql(window),
                    date_from=window.date_from,
                    date_to=window.date_to,
                ),
            ),
        )
        return self._allowed_rows(definition, rows)

    @api.model
    def _new_customer_revenue(self, definition, window):
        """Revenue (company currency) of the period's purchases by customers
        whose first purchase falls in the period: ``revenue`` for all of
        them and ``marketing_revenue`` for the marketing-sourced ones, for
        the company and per :meth:`_customer_dimensions`. Computed once per
        window (by every dimension) and shared by net new revenue, the
        marketing revenue share and the marketing ROI."""
        return self._allowed_rows(definition, self._shared(
            window,
            ("new_customer_revenue",),
            lambda: self._new_customer_revenue_query(window),
        ))

    @api.model
    def _new_customer_revenue_query(self, window):
        rows = self._grouped(
            None,
            self._customer_dimensions("x", "x"),
            {
                "revenue": SQL("SUM(x.amount)"),
                "marketing_revenue": SQL("SUM(x.amount) FILTER (WHERE x.is_marketing)"),
            },
            SQL(
                """
                FROM (
                    -- both materialized: joining the new customers to an
                    -- inlined event union would rescan it per customer
                    WITH kpi_new AS MATERIALIZED (
                        SELECT f.customer_id, f.team_id, f.user_id FROM (%(first)s) f
                         WHERE f.first_day >= %(date_from)s AND f.first_day < %(date_to)s
                    ),
                    kpi_period_events AS MATERIALIZED (
                        SELECT * FROM (%(events)s) e
                         WHERE e.day >= %(date_from)s AND e.day < %(date_to)s
                    )
                    SELECT ev.amount, ev.currency_id, n.team_id, n.user_id, src.is_marketing,
                           src.source_id, src.medium_id, src.campaign_id
                      FROM kpi_period_events ev
                      JOIN kpi_new n ON n.customer_id = ev.customer_id
                      LEFT JOIN (%(sources)s) src ON src.customer_id = ev.customer_id
                ) x
                """,
                events=self._purchase_events_sql(window),
                first=self._first_purchases_sql(window),
                sources=self._customer_sources_sql(window),
                date_from=window.date_from,
                date_to=window.date_to,
            ),
            currency=SQL("x.currency_id"),
        )
        return self._in_company_currency(rows, ["revenue", "marketing_revenue"], window)

    @api.model
    def _kpi_net_new_revenue(self, definition, window):
        rows = self._new_customer_revenue(definition, window)
        return self._rows(rows, lambda r: metrics.net_new_revenue(r["revenue"]))

    @api.model
    def _costs(self, definition, window, category, condition=None):
        """Costs of a category recorded in the period (and meeting the SQL
        ``condition`` on ``cost``), in company currency, for the company and
        per sales team, UTM source, medium and campaign of the cost."""
        rows = self._grouped(
            definition,
            {
                "team": SQL("cost.team_id"),
                "source": SQL("cost.source_id"),
                "medium": SQL("cost.medium_id"),
                "campaign": SQL("cost.campaign_id"),
            },
            {"costs": SQL("SUM(cost.amount)")},
            SQL(
                """
                FROM crm_kpi_cost cost
                WHERE cost.company_id = %s AND cost.category = %s AND %s
                  AND cost.date >= %s AND cost.date < %s
                """,
                window.company.id,
                category,
                condition or SQL("TRUE"),
                window.date_from,
                window.date_to,
            ),
            currency=SQL("cost.currency_id"),
        )
        return self._in_company_currency(rows, ["costs"], window)

    @api.model
    def _kpi_cac(self, definition, window):
        """Acquisition costs / new customers; per UTM, the costs tagged with
        it / the new customers whose first won lead carries it."""
        rows = self._merge(
            self._costs(definition, window, "acquisition"),
            self._new_customers(definition, window),
            defaults={"costs": 0, "new": 0},
        )
        return self._rows(
            rows, lambda r: metrics.cac(acquisition_costs=r["costs"], new_customers=r["new"])
        )

    @api.model
    def _kpi_retention_cost(self, definition, window):
        rows = self._merge(
            self._costs(definition, window, "retention"),
            self._customer_counts(definition, window),
            defaults={"costs": 0, "retained": 0},
        )
        return self._rows(
            rows,
            lambda r: metrics.retention_cost(retention_costs=r["costs"], retained=r["retained"]),
        )

    # ------------------------------------------------------------------
    # Satisfaction KPIs (crm.kpi.feedback)
    # ------------------------------------------------------------------
    @api.model
    def _feedback_where(self, window, kind):
        return SQL(
            """
            FROM crm_kpi_feedback fb
            WHERE fb.company_id = %s AND fb.kind = %s AND fb.date >= %s AND fb.date < %s
            """,
            window.company.id,
            kind,
            window.date_from,
            window.date_to,
        )

    @api.model
    def _kpi_nps(self, definition, window):
        grouped = self._grouped(
            definition,
            {},
            {
                "promoters": SQL("COUNT(*) FILTER (WHERE fb.category = 'promoter')"),
                "detractors": SQL("COUNT(*) FILTER (WHERE fb.category = 'detractor')"),
                "responses": SQL("COUNT(*)"),
            },
            self._feedback_where(window, "nps"),
        )
        return self._rows(
            grouped,
            lambda r: metrics.nps(
                promoters=r["promoters"], detractors=r["detractors"], responses=r["responses"]
            ),
        )

    @api.model
    def _kpi_ces(self, definition, window):
        grouped = self._grouped(
            definition,
            {},
            {"score_sum": SQL("SUM(fb.score)"), "responses": SQL("COUNT(*)")},
            self._feedback_where(window, "ces"),
        )
        return self._rows(
            grouped,
            lambda r: metrics.ces(score_sum=float(r["score_sum"]), responses=r["responses"]),
        )

    @api.model
    def _kpi_ces_easy_share(self, definition, window):
        grouped = self._grouped(
            definition,
            {},
            {"easy": SQL("COUNT(*) FILTER (WHERE fb.score >= 5)"), "responses": SQL("COUNT(*)")},
            self._feedback_where(window, "ces"),
        )
        return self._rows(
            grouped,
            lambda r: metrics.ces_easy_share(responses_ge_5=r["easy"], responses=r["responses"]),
        )

    # ------------------------------------------------------------------
    # Marketing KPIs
    # ------------------------------------------------------------------
    @api.model
    def _visitors_sql(self, window):
        """SQL of (source_id, medium_id, campaign_id, visitors) rows: the web
        traffic recorded in ``crm.kpi.traffic`` for the period."""
        return SQL(
            """
            SELECT t.source_id, t.medium_id, t.campaign_id, t.visitors FROM crm_kpi_traffic t
             WHERE t.company_id = %s AND t.date >= %s AND t.date < %s
            """,
            window.company.id,
            window.date_from,
            window.date_to,
        )

    @api.model
    def _marketing_condition(self, alias, window):
        """SQL condition: the record behind ``alias`` (a lead or a cost, with
        UTM columns) is marketing-sourced per the company's settings."""
        company = window.company
        conditions = []
        if company.kpi_marketing_campaigns:
            conditions.append(SQL("%s IS NOT NULL", SQL.identifier(alias, "campaign_id")))
        if company.kpi_marketing_medium_ids:
            conditions.append(SQL(
                "%s = ANY(%s)", SQL.identifier(alias, "medium_id"), company.kpi_marketing_medium_ids.ids
            ))
        if company.kpi_marketing_source_ids:
            conditions.append(SQL(
                "%s = ANY(%s)", SQL.identifier(alias, "source_id"), company.kpi_marketing_source_ids.ids
            ))
        return SQL("(%s)", SQL(" OR ").join(conditions)) if conditions else SQL("FALSE")

    @api.model
    def _first_won_leads_sql(self, window):
        """SQL of one row per customer that has a won lead, about their first
        won lead (earliest closing date): ``customer_id``, ``lead_id``,
        ``source_id``, ``medium_id``, ``campaign_id`` and ``is_marketing``."""
        return SQL(
            """
            SELECT DISTINCT ON (p.commercial_partner_id)
                   p.commercial_partner_id AS customer_id, l.id AS lead_id,
                   l.source_id, l.medium_id, l.campaign_id, %s AS is_marketing
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
             WHERE l.won_status = 'won' AND %s
             ORDER BY p.commercial_partner_id, l.date_closed, l.id
            """,
            self._marketing_condition("l", window),
            self._company_clause(SQL("l.company_id"), window),
        )

    @api.model
    def _customer_sources_sql(self, window):
        """SQL of one row per customer that has a won lead, from their first
        won lead (earliest closing date): ``customer_id``, ``is_marketing``
        (whether it is marketing-sourced) and its ``source_id``,
        ``medium_id`` and ``campaign_id``, the UTM a customer is counted for."""
        if "sources" in window.run:
            return SQL("SELECT * FROM %s", SQL.identifier(window.run["sources"]))
        return SQL(
            """
            SELECT fw.customer_id, fw.is_marketing, fw.source_id, fw.medium_id, fw.campaign_id
              FROM (%s) fw
            """,
            self._first_won_leads_sql(window),
        )

    @api.model
    def _kpi_marketing_share(self, definition, window):
        return self._rows(
            self._new_customers(definition, window),
            lambda r: metrics.marketing_share(
                marketing_new_customers=r["marketing"], new_customers=r["new"]
            ),
        )

    @api.model
    def _kpi_marketing_revenue_share(self, definition, window):
        return self._rows(
            self._new_customer_revenue(definition, window),
            lambda r: metrics.marketing_revenue_share(
                marketing_revenue=r["marketing_revenue"], new_customer_revenue=r["revenue"]
            ),
        )

    @api.model
    def _kpi_marketing_roi(self, definition, window):
        """Revenue of marketing-sourced new customers against the acquisition
        costs tagged with a marketing campaign, medium or source; per UTM,
        the revenue of the customers whose first won lead carries it against
        the costs tagged with it."""
        rows = self._merge(
            self._costs(
                definition, window, "acquisition", self._marketing_condition("cost", window)
            ),
            self._new_customer_revenue(definition, window),
            defaults={"costs": 0, "marketing_revenue": 0},
        )
        return self._rows(
            rows,
            lambda r: metrics.marketing_roi(revenue=r["marketing_revenue"], costs=r["costs"]),
        )

    @api.model
    def _kpi_traffic_to_lead(self, definition, window):
        utm = ("source", "medium", "campaign")
        leads = self._grouped(
            definition,
            {dim: expr for dim, expr in self._lead_dimensions().items() if dim in utm},
            {"leads": SQL("COUNT(*)")},
            self._created_leads_where(window),
        )
        visitors = self._grouped(
            definition,
            {dim: expr for dim, expr in self._lead_dimensions("v").items() if dim in utm},
            {"visitors": SQL("SUM(v.visitors)")},
            SQL("FROM (%s) v", self._visitors_sql(window)),
        )
        rows = self._merge(leads, visitors, defaults={"leads": 0, "visitors": 0})
        return self._rows(
            rows, lambda r: metrics.traffic_to_lead(leads=r["leads"], visitors=r["visitors"])
        )

    # ------------------------------------------------------------------
    # CRM adoption and data health
    # ------------------------------------------------------------------
    @api.model
    def _kpi_login_frequency(self, definition, window):
        grouped = self._grouped(
            definition,
            {"user": SQL("log.create_uid")},
            {
                "logins": SQL("COUNT(*)"),
                "users": SQL("COUNT(DISTINCT log.create_uid)"),
            },
            SQL(
                """
                FROM res_users_log log
                JOIN res_users u ON u.id = log.create_uid
                WHERE NOT u.share AND u.company_id = %s
                  AND log.create_date >= %s AND log.create_date < %s
                """,
                window.company.id,
                window.utc_from,
                window.utc_to,
            ),
        )
        return self._rows(
            grouped,
            lambda r: metrics.login_frequency(logins=r["logins"], active_users=r["users"]),
        )

    @api.model
    def _records_created_sql(self, window):
        """SQL of (user_id) rows, one per lead, contact, sale order or
        activity created in the period by an internal user of the company.
        Records without a company (shared contacts, activities) count for
        the creating user's main company."""
        def created(alias):
            column = SQL.identifier(alias, "create_date")
            return SQL("%s >= %s AND %s < %s", column, window.utc_from, column, window.utc_to)

        company = window.company.id
        return SQL(
            """
            SELECT l.create_uid AS user_id FROM crm_lead l
             WHERE l.company_id = %(company)s AND %(lead)s
            UNION ALL
            SELECT r.create_uid FROM res_partner r JOIN res_users u ON u.id = r.create_uid
             WHERE COALESCE(r.company_id, u.company_id) = %(company)s AND %(partner)s
            UNION ALL
            SELECT o.create_uid FROM sale_order o WHERE o.company_id = %(company)s AND %(order)s
            UNION ALL
            SELECT a.create_uid FROM mail_activity a JOIN res_users u ON u.id = a.create_uid
             WHERE u.company_id = %(company)s AND %(activity)s
            """,
            company=company,
            lead=created("l"),
            partner=created("r"),
            order=created("o"),
            activity=created("a"),
        )

    @api.model
    def _kpi_records_created(self, definition, window):
        grouped = self._grouped(
            definition,
            {"user": SQL("rec.user_id")},
            {"records": SQL("COUNT(*)")},
            SQL(
                "FROM (%s) rec JOIN res_users u ON u.id = rec.user_id WHERE NOT u.share",
                self._records_created_sql(window),
            ),
        )
        return self._rows(grouped, lambda r: metrics.records_created(r["records"]))

    @api.model
    def _data_health_records_sql(self, window):
        """SQL of the records data health looks at: active leads and CRM
        contacts (not users' or companies' own partners) of the company, with
        ``kind``, ``created`` (creation time, UTC), ``bare`` (neither email
        nor phone) and ``email`` (normalized)."""
        return SQL(
            """
            SELECT 'lead' AS kind, l.create_date AS created, l.email_normalized AS email,
                   (COALESCE(l.email_from, '') = '' AND COALESCE(l.phone, '') = '') AS bare
              FROM crm_lead l
             WHERE l.active AND %(lead_company)s
            UNION ALL
            SELECT 'contact', p.create_date, p.email_normalized,
                   (COALESCE(p.email, '') = '' AND COALESCE(p.phone, '') = '')
              FROM res_partner p
             WHERE p.active AND p.type = 'contact' AND %(partner_company)s
               AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
               AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
            """,
            lead_company=self._company_clause(SQL("l.company_id"), window),
            partner_company=self._company_clause(SQL("p.company_id"), window),
        )

    @api.model
    def _data_health_days_sql(self, window):
        """SQL of one row per day: ``records`` created that day and
        ``flagged``, the records that turn flagged that day. A record with
        neither email nor phone is flagged from its creation; a record
        sharing its email with another of its kind from the day there are
        two of them (its creation, or the creation of the second one).
        Summing the days before a period's end gives data health at that
        end, for every period of a run from one scan."""
        return SQL(
            """
            WITH recs AS (SELECT r.*, %(day)s AS day FROM (%(records)s) r),
            ranked AS (
                SELECT day, bare, email,
                       NTH_VALUE(day, 2) OVER (
                           PARTITION BY kind, email ORDER BY day
                           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                       ) AS second_day
                  FROM recs
            )
            SELECT day, SUM(records)::bigint AS records, SUM(flagged)::bigint AS flagged FROM (
                SELECT day, 1 AS records, 0 AS flagged FROM ranked
                UNION ALL
                SELECT CASE WHEN bare THEN day ELSE GREATEST(day, second_day) END, 0, 1
                  FROM ranked
                 WHERE bare OR (email IS NOT NULL AND second_day IS NOT NULL)
            ) days GROUP BY day
            """,
            records=self._data_health_records_sql(window),
            day=self._local_date(SQL("r.created"), window),
        )

    @api.model
    def _kpi_data_quality(self, definition, window):
        """Active leads and contacts existing at the end of the period that
        have neither email nor phone, or share their email with another
        active record of the same kind (a duplicate). Users' and companies'
        own partners are not CRM contacts and are left out."""
        measures = {
            "flagged": SQL("SUM(rec.flagged)::bigint"),
            "records": SQL("SUM(rec.records)::bigint"),
        }
        if "health" in window.run:
            from_where = SQL(
                "FROM %s rec WHERE rec.day < %s",
                SQL.identifier(window.run["health"]),
                window.date_to,
            )
        else:
            from_where = SQL(
                """
                FROM (
                    -- one row per kind and email (NULL: records without
                    -- email) with its records and those with neither email
                    -- nor phone; an email of several records flags them all
                    SELECT CASE WHEN g.email IS NOT NULL AND g.records > 1
                                THEN g.records ELSE g.bare END AS flagged,
                           g.records
                      FROM (
                        SELECT r.kind, r.email, COUNT(*) AS records,
                               COUNT(*) FILTER (WHERE r.bare) AS bare
                          FROM (%(records)s) r
                         WHERE r.created < %(until)s
                         GROUP BY r.kind, r.email
                      ) g
                ) rec
                """,
                records=self._data_health_records_sql(window),
                until=window.utc_to,
            )
        grouped = self._grouped(definition, {}, measures, from_where)
        return self._rows(
            grouped, lambda r: metrics.data_quality(flagged=r["flagged"], records=r["records"])
        )

    # ------------------------------------------------------------------
    # Pipeline stages (crm.kpi.stage.stay ledger)
    # ------------------------------------------------------------------
    @api.model
    def _kpi_stage_duration(self, definition, window):
        """Stays in a pipeline stage that ended in the period (the lead left
        the stage): Σ days in the stage / number of stays, per stage."""
        grouped = self._grouped(
            definition,
            {
                "stage": SQL("stay.stage_id"),
                "team": SQL("stay.team_id"),
                "user": SQL("stay.user_id"),
            },
            {"days": SQL("SUM(stay.duration_days)"), "stays": SQL("COUNT(*)")},
            SQL(
                """
                FROM crm_kpi_stage_stay stay
                WHERE %s AND stay.date_out >= %s AND stay.date_out < %s
                """,
                self._company_clause(SQL("stay.company_id"), window),
                window.utc_from,
                window.utc_to,
            ),
        )
        return self._rows(
            grouped,
            lambda r: metrics.stage_duration(total_days=float(r["days"]), stays=r["stays"]),
        )

    @api.model
    def _kpi_stage_drop_off(self, definition, window):
        """Leads lost in the period while in a stage (their stay there is
        still open) / those plus the stays of the stage that ended in the
        period (the lead moved on), per stage."""
        company = self._company_clause(SQL("stay.company_id"), window)
        grouped = self._grouped(
            definition,
            {"stage": SQL("x.stage_id"), "team": SQL("x.team_id"), "user": SQL("x.user_id")},
            {"dropped": SQL("COUNT(*) FILTER (WHERE x.dropped)"), "resolved": SQL("COUNT(*)")},
            SQL(
                """
                FROM (
                    SELECT stay.stage_id, stay.team_id, stay.user_id, FALSE AS dropped
                      FROM crm_kpi_stage_stay stay
                     WHERE %(company)s AND stay.date_out >= %(utc_from)s AND stay.date_out < %(utc_to)s
                    UNION ALL
                    SELECT stay.stage_id, stay.team_id, stay.user_id, TRUE
                      FROM crm_kpi_stage_stay stay
                      JOIN crm_lead l ON l.id = stay.lead_id
                     WHERE %(company)s AND stay.date_out IS NULL AND l.won_status = 'lost'
                       AND l.date_closed >= %(utc_from)s AND l.date_closed < %(utc_to)s
                ) x
                """,
                company=company,
                utc_from=window.utc_from,
                utc_to=window.utc_to,
            ),
        )
        return self._rows(
            grouped,
            lambda r: metrics.stage_drop_off(left_to_lost_or_stale=r["dropped"], stays=r["resolved"]),
        )

    # ------------------------------------------------------------------
    # Recurring revenue (crm.kpi.subscription.movement ledger)
    # ------------------------------------------------------------------
    @api.model
    def _mrr_bridge(self, definition, window):
        """The MRR bridge of the period in company currency, for the company
        and per team and salesperson of the subscription: MRR at the start
        (each subscription's MRR after its last movement before the period),
        and the movements of the period by kind. ``*_existing`` keep only the
        subscriptions that had MRR at the start (for NRR, GRR and MRR churn).
        Computed once per window and shared by the five MRR KPIs.
        """
        return self._shared(
            window,
            ("mrr_bridge", frozenset(self._allowed_dimensions(definition) & {"team", "user"})),
            lambda: self._mrr_bridge_query(definition, window),
        )

    @api.model
    def _mrr_bridge_query(self, definition, window):
        def kind(movement_type, sign=1):
            return SQL(
                "CASE WHEN m.movement_type = %s THEN %s * m.mrr_delta ELSE 0 END",
                movement_type,
                sign,
            )

        def existing(expr):
            return SQL("CASE WHEN s.mrr > 0 THEN %s ELSE 0 END", expr)

        rows = self._grouped(
            definition,
            {"team": SQL("x.team_id"), "user": SQL("x.user_id")},
            {name: SQL("SUM(%s)", SQL.identifier("x", name)) for name in MRR_MEASURES},
            SQL(
                """
                FROM (
                    WITH kpi_start AS (
                        SELECT DISTINCT ON (subscription_id) subscription_id, team_id, user_id,
                               currency_id, mrr_after AS mrr
                          FROM crm_kpi_subscription_movement
                         WHERE company_id = %(company)s AND date < %(date_from)s
                         ORDER BY subscription_id, date DESC, id DESC
                    )
                    SELECT team_id, user_id, currency_id, mrr AS mrr_start,
                           0 AS new, 0 AS expansion, 0 AS contraction, 0 AS churned,
                           0 AS reactivation, 0 AS expansion_existing,
                           0 AS contraction_existing, 0 AS churned_existing
                      FROM kpi_start WHERE mrr <> 0
                    UNION ALL
                    SELECT m.team_id, m.user_id, m.currency_id, 0,
                           %(new)s, %(expansion)s, %(contraction)s, %(churned)s, %(reactivation)s,
                           %(expansion_existing)s, %(contraction_existing)s, %(churned_existing)s
                      FROM crm_kpi_subscription_movement m
                      LEFT JOIN kpi_start s ON s.subscription_id = m.subscription_id
                     WHERE m.company_id = %(company)s
                       AND m.date >= %(date_from)s AND m.date < %(date_to)s
                ) x
                """,
                company=window.company.id,
                date_from=window.date_from,
                date_to=window.date_to,
                new=kind("start"),
                expansion=kind("upgrade"),
                contraction=kind("downgrade", -1),
                churned=kind("close", -1),
                reactivation=kind("reactivation"),
                expansion_existing=existing(kind("upgrade")),
                contraction_existing=existing(kind("downgrade", -1)),
                churned_existing=existing(kind("close", -1)),
            ),
            currency=SQL("x.currency_id"),
        )
        return self._in_company_currency(rows, MRR_MEASURES, window)

    @api.model
    def _kpi_mrr_churn(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.mrr_churn(
                contraction=r["contraction_existing"],
                churned=r["churned_existing"],
                mrr_start=r["mrr_start"],
            ),
        )

    @api.model
    def _kpi_nrr(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.nrr(
                mrr_start=r["mrr_start"],
                expansion=r["expansion_existing"],
                contraction=r["contraction_existing"],
                churned=r["churned_existing"],
            ),
        )

    @api.model
    def _kpi_grr(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.grr(
                mrr_start=r["mrr_start"],
                contraction=r["contraction_existing"],
                churned=r["churned_existing"],
            ),
        )

    @api.model
    def _kpi_quick_ratio(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.quick_ratio(
                new=r["new"],
                expansion=r["expansion"],
                reactivation=r["reactivation"],
                contraction=r["contraction"],
                churned=r["churned"],
            ),
        )

    @api.model
    def _kpi_net_new_mrr(self, definition, window):
        return self._rows(
            self._mrr_bridge(definition, window),
            lambda r: metrics.net_new_mrr(
                new=r["new"],
                expansion=r["expansion"],
                contraction=r["contraction"],
                churned=r["churned"],
                reactivation=r["reactivation"],
            ),
        )

    @api.model
    def _kpi_renewal(self, definition, window):
        """Subscriptions renewed in the period (a ``renewal`` movement is
        dated at the end date it extended) / subscriptions whose end date
        fell in the period: the renewed ones and those whose current end
        date is in the period and that were not renewed."""
        grouped = self._grouped(
            definition,
            {"team": SQL("r.team_id"), "user": SQL("r.user_id")},
            {"renewed": SQL("COUNT(*) FILTER (WHERE r.renewed)"), "due": SQL("COUNT(*)")},
            SQL(
                """
                FROM (
                    SELECT DISTINCT ON (m.subscription_id) m.subscription_id,
                           m.team_id, m.user_id, TRUE AS renewed
                      FROM crm_kpi_subscription_movement m
                     WHERE m.company_id = %(company)s AND m.movement_type = 'renewal'
                       AND m.date >= %(date_from)s AND m.date < %(date_to)s
                    UNION ALL
                    SELECT s.id, s.crm_team_id, s.user_id, FALSE
                      FROM sale_subscription s
                      JOIN sale_subscription_stage st ON st.id = s.stage_id
                     WHERE %(sub_company)s AND st.type IN ('in_progress', 'post')
                       AND s.date >= %(date_from)s AND s.date < %(date_to)s
                       AND NOT EXISTS (
                           SELECT 1 FROM crm_kpi_subscription_movement m
                            WHERE m.subscription_id = s.id AND m.movement_type = 'renewal'
                              AND m.date >= %(date_from)s AND m.date < %(date_to)s)
                ) r
                """,
                company=window.company.id,
                sub_company=self._company_clause(SQL("s.company_id"), window),
                date_from=window.date_from,
                date_to=window.date_to,
            ),
        )
        return self._rows(
            grouped, lambda r: metrics.renewal(renewed=r["renewed"], up_for_renewal=r["due"])
        )

    # ------------------------------------------------------------------
    # Quota attainment
    # ------------------------------------------------------------------
    @api.model
    def _months_in(self, window):
        """Length of the window in months: whole months for month, quarter
        and year periods, else days / 30.4375 (an average month)."""
        delta = relativedelta(window.date_to, window.date_from)
        if window.date_from.day == 1 and window.date_to.day == 1 and not delta.days:
            return delta.years * 12 + delta.months
        return (window.date_to - window.date_from).days / 30.4375

    @api.model
    def _kpi_quota(self, definition, window):
        """Revenue of the opportunities won in the period (expected revenue,
        company currency) against the monthly invoicing target of their
        sales team × the months in the period. Teams without a target have
        no quota and are left out of the company figure too."""
        team_company = self._company_clause(SQL("t.company_id"), window)
        won = self._grouped(
            definition,
            {"team": SQL("l.team_id")},
            {"won": SQL("SUM(l.expected_revenue)")},
            SQL(
                """
                FROM crm_lead l
                JOIN crm_team t ON t.id = l.team_id AND t.invoiced_target > 0
                WHERE %s AND l.type = 'opportunity' AND l.won_status = 'won'
                  AND l.date_closed >= %s AND l.date_closed < %s
                """,
                self._company_clause(SQL("l.company_id"), window),
                window.utc_from,
                window.utc_to,
            ),
        )
        quotas = self._grouped(
            definition,
            {"team": SQL("t.id")},
            {"quota": SQL("SUM(t.invoiced_target) * %s", self._months_in(window))},
            SQL("FROM crm_team t WHERE t.active AND t.invoiced_target > 0 AND %s", team_company),
        )
        rows = self._merge(won, quotas, defaults={"won": 0, "quota": 0})
        return self._rows(
            rows, lambda r: metrics.quota(revenue=float(r["won"]), quota_amount=float(r["quota"]))
        ) + self._quota_user_rows(definition, window)

    @api.model
    def _quota_user_rows(self, definition, window):
        """Per-salesperson rows: the quota is the target of the started
        salesperson goals on ``quota`` overlapping the period, pro-rated by
        days (target × days of the goal in the period / days of the goal);
        the revenue is the expected revenue of the opportunities the
        salesperson won in the period. Salespeople without such a goal have
        no quota and no row."""
        if "user" not in self._allowed_dimensions(definition):
            return []
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH quota AS (
                    SELECT g.user_id,
                           SUM(g.target_value
                               * (LEAST(g.deadline + 1, %(date_to)s) - GREATEST(g.date_start, %(date_from)s))
                               / (g.deadline + 1 - g.date_start)::float) AS quota
                      FROM crm_kpi_goal g
                     WHERE g.active AND g.status != 'draft' AND g.scope = 'user'
                       AND g.kpi_code = 'quota' AND g.company_id = %(company)s
                       AND g.date_start < %(date_to)s AND g.deadline >= %(date_from)s
                     GROUP BY g.user_id
                )
                SELECT q.user_id, q.quota,
                       (SELECT COALESCE(SUM(l.expected_revenue), 0)
                          FROM crm_lead l
                         WHERE l.user_id = q.user_id AND %(lead_company)s
                           AND l.type = 'opportunity' AND l.won_status = 'won'
                           AND l.date_closed >= %(utc_from)s AND l.date_closed < %(utc_to)s
                       ) AS won
                  FROM quota q
                """,
                date_to=window.date_to,
                date_from=window.date_from,
                company=window.company.id,
                lead_company=self._company_clause(SQL("l.company_id"), window),
                utc_from=window.utc_from,
                utc_to=window.utc_to,
            )
        )
        return [
            {
                "dimension": "user",
                "user_id": row["user_id"],
                "kpi_value": metrics.quota(revenue=float(row["won"]), quota_amount=float(row["quota"])),
            }
            for row in rows
        ]

    # ------------------------------------------------------------------
    # CAC payback and customer lifetime value
    # ------------------------------------------------------------------
    @api.model
    def _new_customer_monthly_revenue(self, definition, window):
        """Σ monthly revenue (company currency) of the customers new in the
        window: the MRR of their subscriptions at its end, or, for customers
        without MRR, their revenue in the window / its months."""
        rows = self._grouped(
            definition,
            {},
            {"monthly": SQL("SUM(x.monthly)")},
            SQL(
                """
                FROM (
                    WITH kpi_new AS MATERIALIZED (
                        SELECT f.customer_id FROM (%(first)s) f
                         WHERE f.first_day >= %(date_from)s AND f.first_day < %(date_to)s
                    ),
                    kpi_period_events AS MATERIALIZED (
                        SELECT * FROM (%(events)s) e
                         WHERE e.day >= %(date_from)s AND e.day < %(date_to)s
                    ),
                    kpi_mrr AS (
                        SELECT DISTINCT ON (subscription_id) partner_id, currency_id, mrr_after
                          FROM crm_kpi_subscription_movement
                         WHERE company_id = %(company)s AND date < %(date_to)s
                         ORDER BY subscription_id, date DESC, id DESC
                    )
                    SELECT m.currency_id, m.mrr_after AS monthly
                      FROM kpi_mrr m JOIN kpi_new n ON n.customer_id = m.partner_id
                     WHERE m.mrr_after > 0
                    UNION ALL
                    SELECT ev.currency_id, ev.amount / %(months)s
                      FROM kpi_period_events ev JOIN kpi_new n ON n.customer_id = ev.customer_id
                     WHERE NOT EXISTS (SELECT 1 FROM kpi_mrr m
                                        WHERE m.partner_id = ev.customer_id AND m.mrr_after > 0)
                ) x
                """,
                events=self._purchase_events_sql(window),
                first=self._first_purchases_sql(window),
                company=window.company.id,
                date_from=window.date_from,
                date_to=window.date_to,
                months=self._months_in(window),
            ),
            currency=SQL("x.currency_id"),
        )
        return self._in_company_currency(rows, ["monthly"], window)

    @api.model
    def _kpi_cac_payback(self, definition, window):
        """Acquisition costs / Σ margin-adjusted monthly revenue of the new
        customers: CAC / their average monthly margin, in months."""
        margin = window.company.kpi_gross_margin / 100.0
        rows = self._merge(
            self._costs(definition, window, "acquisition"),
            self._new_customer_monthly_revenue(definition, window),
            defaults={"costs": 0, "monthly": 0},
        )
        return self._rows(
            [row for row in rows if row["dimension"] == "company"],
            lambda r: metrics.cac_payback(
                cac_value=r["costs"], monthly_margin_revenue=r["monthly"] * margin
            ),
        )

    @api.model
    def _trailing_purchases(self, definition, window):
        """Revenue (company currency), purchases and distinct purchasing
        customers of the window. Revenue is that of every event (credit
        notes deducted); purchases are the events that are one (see
        :meth:`_purchase_events_sql`): not reactivations, recurring
        documents of subscriptions or invoices of orders."""
        events_where = SQL(
            "FROM (%s) ev WHERE ev.day >= %s AND ev.day < %s",
            self._purchase_events_sql(window),
            window.date_from,
            window.date_to,
        )
        revenue = self._in_company_currency(
            self._grouped(definition, {}, {"revenue": SQL("SUM(ev.amount)")}, events_where,
                          currency=SQL("ev.currency_id")),
            ["revenue"],
            window,
        )
        counts = self._grouped(
            definition,
            {},
            {
                "purchases": SQL("COUNT(*) FILTER (WHERE ev.is_purchase)"),
                "customers": SQL("COUNT(DISTINCT ev.customer_id) FILTER (WHERE ev.is_purchase)"),
            },
            events_where,
        )
        return self._merge(revenue, counts)[0]

    @api.model
    def _customer_lifetime_years(self, definition, window):
        """Average years between the first and the last activity of the
        customers who churned (not active at the end of the window), else
        1 / the churn rate of the trailing year."""
        row = self.env.execute_query_dict(SQL(
            """
            WITH kpi_events AS %(inline)s (%(events)s),
            kpi_sub_intervals AS %(inline)s (%(intervals)s),
            kpi_active_end AS (%(active_end)s),
            kpi_span AS (
                SELECT customer_id, MIN(day) AS first_day, MAX(day) AS last_day FROM (
                    SELECT customer_id, day FROM kpi_events
                     WHERE kind <> 'refund' AND day < %(date_to)s
                    UNION ALL
                    SELECT customer_id, date_to FROM kpi_sub_intervals
                     WHERE date_to IS NOT NULL AND date_to < %(date_to)s
                ) activity GROUP BY customer_id
            )
            SELECT COUNT(*) AS churned, AVG((last_day - first_day) / 365.25) AS years
              FROM kpi_span s
             WHERE NOT EXISTS (SELECT 1 FROM kpi_active_end a WHERE a.customer_id = s.customer_id)
            """,
            inline=self._inline_run_tables(window),
            events=self._purchase_events_sql(window),
            intervals=self._subscription_intervals_sql(window),
            active_end=self._active_customers_sql(window, window.date_to),
            date_to=window.date_to,
        ))[0]
        if row["churned"]:
            return float(row["years"])
        year = self._trailing(window, relativedelta(years=1))
        counts = self._customer_counts(definition, year)[0]
        yearly_churn = metrics.churn(lost=counts["lost"], active_at_start=counts["active_start"])
        return metrics.customer_lifetime_years([], yearly_churn.value)

    @api.model
    def _kpi_clv(self, definition, window):
        """Customer lifetime value by the company's method (KPI_SPEC §3.1),
        over the trailing 12 months ending with the period."""
        company = window.company
        year = self._trailing(window, relativedelta(years=1))
        margin_pct = company.kpi_gross_margin
        if company._kpi_setting("kpi_clv_method") == "subscription":
            bridge = self._mrr_at_end(definition, window)
            month = self._trailing(window, relativedelta(months=1))
            counts = self._customer_counts(definition, month)[0]
            monthly_churn = metrics.churn(lost=counts["lost"], active_at_start=counts["active_start"])
            arpa = metrics.ratio(bridge["mrr"], bridge["customers"]).value
            value = metrics.clv_subscription(arpa, margin_pct, monthly_churn.value)
        else:
            purchases = self._trailing_purchases(definition, year)
            lifetime = self._customer_lifetime_years(definition, window)
            if company._kpi_setting("kpi_clv_method") == "purchase":
                value = metrics.clv_purchase(
                    revenue=purchases["revenue"],
                    purchases=purchases["purchases"],
                    customers=purchases["customers"],
                    lifetime_years=lifetime,
                )
            else:
                costs = self._costs(definition, year, "acquisition")
                new = self._customer_counts(definition, year)
                cac = metrics.cac(costs[0]["costs"], new[0]["new"]).value
                profit = metrics.ratio(
                    purchases["revenue"] * margin_pct / 100.0, purchases["customers"]
                ).value
                value = metrics.clv_margin_minus_cac(profit, lifetime, cac)
        return [{"dimension": "company", "kpi_value": value}]

    @api.model
    def _mrr_at_end(self, definition, window):
        """MRR (company currency) at the end of the window and the number of
        customers paying it."""
        mrr_sql = SQL(
            """
            FROM (
                SELECT DISTINCT ON (subscription_id) partner_id, currency_id, mrr_after
                  FROM crm_kpi_subscription_movement
                 WHERE company_id = %s AND date < %s
                 ORDER BY subscription_id, date DESC, id DESC
            ) m WHERE m.mrr_after > 0
            """,
            window.company.id,
            window.date_to,
        )
        mrr = self._in_company_currency(
            self._grouped(definition, {}, {"mrr": SQL("SUM(m.mrr_after)")}, mrr_sql,
                          currency=SQL("m.currency_id")),
            ["mrr"],
            window,
        )
        customers = self._grouped(
            definition, {}, {"customers": SQL("COUNT(DISTINCT m.partner_id)")}, mrr_sql
        )
        return self._merge(mrr, customers)[0]

    # ------------------------------------------------------------------
    # KPI fields of records (res.partner, crm.lead, sale.subscription)
    # ------------------------------------------------------------------
    @api.model
    def _record_window(self, company):
        """Context of the day containing today in the company's time zone:
        the KPI fields of records describe the customer as of the end of
        today (``date_to`` is tomorrow)."""
        tz = company.partner_id.tz or self.env.user.tz or "UTC"
        today = fields.Date.context_today(self.with_context(tz=tz))
        return self._make_window(company, Period("day", today, today + timedelta(days=1)))

    @api.model
    def _currency_factors(self, window):
        """{currency_id: factor} turning an amount into the company currency
        at the rate of the window's last day, for the company currency and the
        currencies with a rate on or before that day (their own or a shared
        one). A currency without such a rate has no factor: Odoo would
        convert it 1:1, so amounts in it make the customer's figure unknown
        rather than wrong (see :meth:`_check_rates` for snapshots)."""
        company = window.company
        day = window.period.last_day
        with_rate = [currency_id for (currency_id,) in self.env.execute_query(SQL(
            """SELECT DISTINCT currency_id FROM res_currency_rate
                WHERE name <= %s AND (company_id IS NULL OR company_id = %s)""",
            day, company.root_id.id,
        ))]
        currencies = self.env["res.currency"].browse(with_rate) | company.currency_id
        rates = currencies._get_rates(company, day)
        company_rate = rates[company.currency_id.id]
        return {currency_id: company_rate / rate for currency_id, rate in rates.items()}

    @api.model
    def _currency_factors_sql(self, window):
        """SQL of (currency_id, factor) rows, see :meth:`_currency_factors`."""
        factors = self._currency_factors(window)
        return SQL(
            "SELECT * FROM unnest(%s::int[], %s::float8[]) AS r(currency_id, factor)",
            list(factors),
            list(factors.values()),
        )

    @api.model
    def _customer_record_facts_sql(self, window, customer_ids):
        """SQL of one row per customer among ``customer_ids`` (commercial
        partners) with a purchase before the end of the window:
        ``customer_id``, ``first_day`` and ``last_day`` (first purchase, last
        purchase or reactivation), ``purchases`` (see :meth:`_purchase_events_sql`),
        ``revenue`` (company currency at the window's last day, credit
        notes deducted),
        ``is_active`` (active at the end of the window) and, for inactive
        ones, ``churn_date``: the first day they were no longer active (the
        day after their last one-off purchase left the activity window, or
        after their last subscription close, whichever is later)."""
        return SQL(
            """
            WITH kpi_events AS (
                SELECT * FROM (%(events)s) e
                 WHERE e.customer_id = ANY(%(ids)s) AND e.day < %(day)s
            ),
            kpi_sub_intervals AS (
                SELECT * FROM (%(intervals)s) i
                 WHERE i.customer_id = ANY(%(ids)s) AND i.date_from < %(day)s
            ),
            kpi_active AS (SELECT DISTINCT customer_id FROM (%(active)s) a),
            kpi_rates AS (%(rates)s),
            kpi_closes AS (
                SELECT customer_id, MAX(date_to) AS last_close FROM kpi_sub_intervals
                 WHERE date_to < %(day)s GROUP BY customer_id
            )
            SELECT ev.customer_id, MIN(ev.day) FILTER (WHERE ev.is_purchase) AS first_day,
                   MAX(ev.day) FILTER (WHERE ev.kind <> 'refund') AS last_day,
                   COUNT(*) FILTER (WHERE ev.is_purchase) AS purchases,
                   CASE WHEN bool_and(r.factor IS NOT NULL OR ev.currency_id IS NULL
                                      OR ev.amount = 0)
                        THEN COALESCE(SUM(ev.amount::float8
                                          * COALESCE(r.factor, 1.0)), 0.0)
                   END AS revenue,
                   (a.customer_id IS NOT NULL) AS is_active,
                   CASE WHEN a.customer_id IS NULL
                        THEN GREATEST(MAX(ev.day) FILTER (WHERE ev.is_one_off) + %(window)s + 1,
                                      MAX(c.last_close) + 1)
                   END AS churn_date
              FROM kpi_events ev
              LEFT JOIN kpi_rates r ON r.currency_id = ev.currency_id
              LEFT JOIN kpi_active a ON a.customer_id = ev.customer_id
              LEFT JOIN kpi_closes c ON c.customer_id = ev.customer_id
             GROUP BY ev.customer_id, a.customer_id
            HAVING bool_or(ev.is_purchase)
            """,
            events=self._purchase_events_sql(window),
            intervals=self._subscription_intervals_sql(window),
            active=self._active_customers_sql(window, window.date_to),
            rates=self._currency_factors_sql(window),
            ids=list(customer_ids),
            day=window.date_to,
            window=window.company._kpi_setting("kpi_activity_window_days"),
        )

    @api.model
    def _customer_trailing_revenue(self, window, customer_ids):
        """{customer_id: (revenue, purchases)} of the trailing 12 months
        ending with the window, revenue in company currency (the per-customer
        counterpart of :meth:`_trailing_purchases`)."""
        year = self._trailing(window, relativedelta(years=1))
        rows = self.env.execute_query(SQL(
            """
            SELECT ev.customer_id,
                   CASE WHEN bool_and(r.factor IS NOT NULL OR ev.currency_id IS NULL
                                      OR ev.amount = 0)
                        THEN SUM(ev.amount::float8 * COALESCE(r.factor, 1.0))
                   END,
                   COUNT(*) FILTER (WHERE ev.is_purchase)
              FROM (%(events)s) ev
              LEFT JOIN (%(rates)s) r ON r.currency_id = ev.currency_id
             WHERE ev.customer_id = ANY(%(ids)s)
               AND ev.day >= %(date_from)s AND ev.day < %(date_to)s
             GROUP BY ev.customer_id
            """,
            events=self._purchase_events_sql(year),
            rates=self._currency_factors_sql(year),
            ids=list(customer_ids),
            date_from=year.date_from,
            date_to=year.date_to,
        ))
        return {customer_id: (revenue, count) for customer_id, revenue, count in rows}

    @api.model
    def _customer_mrr(self, window, customer_ids):
        """{customer_id: MRR} at the end of the window, in company currency:
        the MRR after the last movement of each of their subscriptions."""
        rows = self.env.execute_query(SQL(
            """
            SELECT m.partner_id, m.currency_id, SUM(m.mrr_after) FROM (
                SELECT DISTINCT ON (subscription_id) partner_id, currency_id, mrr_after
                  FROM crm_kpi_subscription_movement
                 WHERE company_id = %s AND date < %s AND partner_id = ANY(%s)
                 ORDER BY subscription_id, date DESC, id DESC
            ) m WHERE m.mrr_after > 0
             GROUP BY m.partner_id, m.currency_id
            """,
            window.company.id,
            window.date_to,
            list(customer_ids),
        ))
        factors = self._currency_factors(window) if rows else {}
        result, unknown = {}, set()
        for customer_id, currency_id, mrr in rows:
            if currency_id and currency_id not in factors:
                unknown.add(customer_id)
                continue
            result[customer_id] = result.get(customer_id, 0.0) + float(mrr) * factors.get(
                currency_id, 1.0
            )
        for customer_id in unknown:
            result[customer_id] = None
        return result

    @api.model
    def _clv_company_inputs(self, window):
        """What the company's CLV method takes from the whole customer base
        (see :meth:`_kpi_clv`), for the window ending with ``window``:
        ``lifetime`` (years), ``cac`` and ``monthly_churn`` (%)."""
        definition = self.env["crm.kpi.definition"].sudo().with_context(
            active_test=False
        ).search([("code", "=", "clv")], limit=1)
        company = window.company
        inputs = {"lifetime": None, "cac": None, "monthly_churn": None}
        if company._kpi_setting("kpi_clv_method") == "subscription":
            month = self._trailing(window, relativedelta(months=1))
            counts = self._customer_counts(definition, month)[0]
            inputs["monthly_churn"] = metrics.churn(
                lost=counts["lost"], active_at_start=counts["active_start"]
            ).value
            return inputs
        inputs["lifetime"] = self._customer_lifetime_years(definition, window)
        if company._kpi_setting("kpi_clv_method") == "margin_minus_cac":
            year = self._trailing(window, relativedelta(years=1))
            costs = self._costs(definition, year, "acquisition")
            new = self._customer_counts(definition, year)
            inputs["cac"] = metrics.cac(costs[0]["costs"], new[0]["new"]).value
        return inputs
