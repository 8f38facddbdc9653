# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The SQL engine of the KPIs: the framework its families build on.

``crm.kpi.engine`` holds what every KPI uses: the window a KPI is computed
for (:class:`KpiWindow`), the run of one company (temporary tables shared by
its periods, see :meth:`CrmKpiEngine._run`), the grouping of one query by the
company total and every dimension (:meth:`CrmKpiEngine._grouped`), the
merging of rows, currency conversion and the dispatch on a KPI code.

The KPIs themselves live in families, one file each that ``_inherit`` this
model (``crm_kpi_engine_<family>.py``). For every code it owns a family
defines, next to each other:

- ``_kpi_<code>(definition, window)``: the gatherer, returning a list of
  rows ``{"dimension": ..., "<dim>_id": ..., "kpi_value": KpiValue}``, one
  row for the company as a whole and one per value of each dimension the
  definition allows. The queries group by ``GROUPING SETS`` so that the
  company total and every dimension come out of the same scan, and their
  number does not depend on the number of leads, customers or orders;
- ``_kpi_<code>_records(definition, window, row=None)``: the drill-down,
  ``(model, domain)`` of exactly the records behind the value (of ``row``,
  a dimension row, when given);
- ``_kpi_<code>_empty_reason()``: why the KPI has no value, in words a user
  can act on;
- the run tables it reads (:meth:`CrmKpiEngine._run_tables`) and the other
  hooks of the code (e.g. :meth:`CrmKpiEngine._amount_goal_kpis`).

Other add-ons extend a KPI by overriding these methods or the hooks they
call, or add a KPI with a definition record and a family file.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from ..engine.periods import Period


class KpiDataError(UserError):
    """Data a KPI cannot be computed from (a currency without a rate): the
    KPI of that period is stored as failed with this message as its reason,
    instead of a wrong number."""


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
    :meth:`CrmKpiEngine._run`): {kind: table name} (and ``_jit``, the
    setting restored at its end), shared by every period of the run; empty
    outside a run."""


class CrmKpiEngine(models.AbstractModel):
    _name = "crm.kpi.engine"
    _description = "CRM KPI Engine"

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
        """Materialize, for one company, the data that every period of a run
        reads whole, as far as the KPI ``codes`` of the run read it: the
        tables of :meth:`_run_tables`, temporary (``ON COMMIT DROP``), indexed
        and analyzed so that the planner knows their size, built once per
        run instead of once per KPI and period. Returns the ``run`` of
        :meth:`_make_window`; :meth:`_close_run` drops them. Without a run,
        the same SQL is inlined in every query.
        """
        run = {}
        cr = self.env.cr
        # The KPI queries are many, short and planned on rough estimates:
        # PostgreSQL's JIT compilation would cost more than it saves (half
        # of a 0.8 s query at size L). Off for the run, restored after.
        cr.execute("SELECT current_setting('jit')")
        run["_jit"] = cr.fetchone()[0]
        run["_now"] = datetime.now()
        cr.execute("SET LOCAL jit = off")
        window = self._make_window(company, periods[0], run)
        for spec in self._run_tables(window, periods, set(codes)):
            table = f"crm_kpi_run_{spec['kind']}_{company.id}"
            cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
            cr.execute(
                SQL(
                    "CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s",
                    SQL.identifier(table),
                    spec["query"](window),
                )
            )
            for column in spec.get("indexes", ()):
                cr.execute(
                    SQL("CREATE INDEX ON %s (%s)", SQL.identifier(table), SQL.identifier(column))
                )
            if spec.get("primary_key"):
                cr.execute(
                    SQL(
                        "ALTER TABLE %s ADD PRIMARY KEY (%s)",
                        SQL.identifier(table),
                        SQL.identifier(spec["primary_key"]),
                    )
                )
            cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
            run[spec["kind"]] = table
        return run

    @api.model
    def _run_tables(self, window, periods, codes):
        """The temporary tables of a run over ``periods`` computing the KPI
        ``codes``, in the order they are built, as dicts: ``kind`` (the key
        in ``window.run``), ``query`` (a function of the window, whose run
        holds the tables built before, returning the SQL of the rows),
        ``indexes`` (columns) and ``primary_key`` (a column, optional).
        Intended to be inherited: each family adds the tables it reads
        (a table pays off when it is read several times)."""
        return []

    @api.model
    def _close_run(self, run):
        jit = run.pop("_jit", None)
        run.pop("_now", None)
        for table in run.values():
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
        if jit is not None:
            self.env.cr.execute("SELECT set_config('jit', %s, true)", [jit])
        run.clear()

    @api.model
    def _trailing(self, window, delta):
        """The window of length ``delta`` (a relativedelta) ending with the period."""
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
    def _has_records(self, code):
        """Whether the records behind the KPI's values can be listed."""
        return callable(getattr(self, f"_kpi_{code}_records", None))

    @api.model
    def _records_of(self, definition, window, row=None):
        """(model, domain) of the records behind the KPI's value in the
        window (of ``row``, a dimension row, when given), or (None, None)
        when they cannot be listed: its ``_kpi_<code>_records``."""
        method = getattr(self, f"_kpi_{definition.code}_records", None) if definition else None
        return method(definition, window, row) if method else (None, None)

    @api.model
    def _now(self, window):
        """The moment the KPIs counted back from "now" (e.g. stale leads)
        are measured at: the context's ``crm_kpi_now`` (a UTC datetime, to
        compute as of a moment), else the start of the run (one moment for
        every period of a back-fill), else now."""
        moment = self.env.context.get("crm_kpi_now")
        if moment:
            return fields.Datetime.to_datetime(moment)
        return window.run.get("_now") or datetime.now()

    @api.model
    def _empty_reason_of(self, definition):
        """Why the KPI has no value (it was computed): its ``_kpi_<code>_empty_reason``."""
        method = getattr(self, f"_kpi_{definition.code}_empty_reason", None)
        return method() if method else self.env._("Nothing to measure in this period.")

    @api.model
    def _amount_goal_kpis(self):
        """Codes of the KPIs whose goals are an amount: their value over the
        goal window is Σ numerator (e.g. revenue won), their target that
        amount, their baseline 0. Intended to be inherited."""
        return set()

    @api.model
    def _last_value_kpis(self):
        """Codes of the stock KPIs: levels at the end of a period (MRR, open
        pipeline), whose value over several periods (a goal window, a pivot
        group of periods) is that of the last period, not a roll-up.
        Intended to be inherited: each family adds its stock KPIs."""
        return set()

    @api.model
    def _goal_is_amount(self, code):
        return code in self._amount_goal_kpis()

    @api.model
    def _allowed_dimensions(self, definition):
        """The dimensions the KPI is split by: the company, and every
        dimension of the registry (``crm.kpi.snapshot._kpi_dimensions``)
        that the definition allows (its ``allowed_by`` field)."""
        if not definition.is_available:
            return {"company"}  # computed for nothing: no split either
        return {
            code
            for code, entry in self.env["crm.kpi.snapshot"]._kpi_dimensions().items()
            if not entry["allowed_by"] or definition[entry["allowed_by"]]
        }

    @api.model
    def _dimension_columns(self, model_name):
        """{dimension: column} of the records of ``model_name`` that carry
        each dimension, from the registry's ``columns``."""
        return {
            code: entry["columns"][model_name]
            for code, entry in self.env["crm.kpi.snapshot"]._kpi_dimensions().items()
            if model_name in entry["columns"]
        }

    @api.model
    def _company_clause(self, column, window):
        """SQL condition: the record behind ``column`` belongs to the company."""
        if window.owns_unassigned:
            return SQL("(%s = %s OR %s IS NULL)", column, window.company.id, column)
        return SQL("%s = %s", column, window.company.id)

    @api.model
    def _company_domain(self, window, fname="company_id"):
        """Domain of :meth:`_company_clause`: the record belongs to the company."""
        companies = [window.company.id, False] if window.owns_unassigned else [window.company.id]
        return Domain(fname, "in", companies)

    @api.model
    def _row_domain(self, row, fnames):
        """Domain keeping the records of a dimension row (all for the
        company row); ``fnames``: {dimension: field of the records}."""
        if not row or row["dimension"] == "company":
            return Domain.TRUE
        fname = fnames.get(row["dimension"])
        if not fname:
            return Domain.FALSE
        return Domain(fname, "=", row.get(f"{row['dimension']}_id") or False)

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
                target = merged.setdefault(
                    self._row_key(row),
                    {
                        key: val
                        for key, val in row.items()
                        if key == "dimension" or key.endswith("_id")
                    },
                )
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
            self.env["res.currency"].browse(
                {
                    row["currency_id"]
                    for row in rows
                    if row.get("currency_id") and any(row[name] for name in money)
                }
            ),
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
            currency_id
            for (currency_id,) in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT currency_id FROM res_currency_rate
                    WHERE currency_id = ANY(%s) AND name <= %s
                      AND (company_id IS NULL OR company_id = %s)""",
                    others.ids,
                    day,
                    company.root_id.id,
                )
            )
        }
        missing = others.filtered(lambda currency: currency.id not in with_rate)
        if missing:
            raise KpiDataError(
                self.env._(
                    "No exchange rate of %(currencies)s on or before %(day)s for %(company)s: "
                    "add one (Accounting → Configuration → Currencies) and compute the KPI again.",
                    currencies=", ".join(missing.sorted("name").mapped("name")),
                    day=format_date(self.env, day),
                    company=company.name,
                )
            )

    @api.model
    def _rows(self, grouped, to_value):
        """Turn grouped measures into snapshot rows with ``to_value(row)``."""
        return [
            {
                **{
                    key: val
                    for key, val in row.items()
                    if key == "dimension" or key.endswith("_id")
                },
                "kpi_value": to_value(row),
            }
            for row in grouped
        ]

    @api.model
    def _lead_dimensions(self, alias="l"):
        """{dimension: SQL column} of the lead-based KPIs, on the leads ``alias``."""
        return {
            dim: SQL.identifier(alias, column)
            for dim, column in self._dimension_columns("crm.lead").items()
        }

    @api.model
    def _months_in(self, window):
        """Length of the window in months: whole months for month, quarter
        and year periods, else days / 30.4375 (an average month)."""
        delta = relativedelta(window.date_to, window.date_from)
        if window.date_from.day == 1 and window.date_to.day == 1 and not delta.days:
            return delta.years * 12 + delta.months
        return (window.date_to - window.date_from).days / 30.4375
