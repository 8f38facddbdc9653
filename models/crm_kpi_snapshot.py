# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import logging
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.models import parse_read_group_spec
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..engine.metrics import KpiValue
from ..engine.periods import (
    MAX_PERIODS,
    PERIOD_TYPES,
    count_periods,
    period_of,
    periods_between,
)
from .crm_kpi_engine import KpiDataError

_logger = logging.getLogger(__name__)

PERIOD_TYPE_SELECTION = [
    ("day", "Day"),
    ("week", "Week"),
    ("month", "Month"),
    ("quarter", "Quarter"),
    ("year", "Year"),
]
assert tuple(key for key, _label in PERIOD_TYPE_SELECTION) == PERIOD_TYPES

# Transaction conflicts: never a failed KPI, they propagate so that Odoo
# retries the whole request (or the scheduled action) in a new transaction.
TRANSACTION_CONFLICTS = (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError)

# First key of the advisory locks that serialize runs of one company and
# period (the second key: a hash of both); any constant unlikely to be used
# by others.
RUN_LOCK_KEY = 0x4B5049  # "KPI"

# System parameter holding the refresh run in progress ("<day>|<start>").
REFRESH_RUN_PARAM = "crm_kpi.refresh_run"
# System parameter overriding MAX_PERIODS, the most periods of one computation.
MAX_PERIODS_PARAM = "crm_kpi.max_periods"

# The fields of a snapshot the board reads.
BOARD_FIELDS = [
    "kpi_id",
    "period_type",
    "date_start",
    "date_end",
    "value",
    "has_value",
    "numerator",
    "denominator",
    "failure",
    "anomaly",
    "anomaly_median",
    "anomaly_low",
    "anomaly_high",
    "anomaly_history",
]


class CrmKpiSnapshot(models.Model):
    """The value of one KPI for one period, company and dimension value.

    Snapshots are the single source of the dashboard, the reports, the goals
    and the exports. Each row keeps its numerator and denominator so that any
    roll-up (over teams, over periods) is recomputed as Σnumerator /
    Σdenominator rather than averaged.

    A row describes the company as a whole (``dimension = 'company'``) or one
    value of one dimension (e.g. ``dimension = 'team'`` and ``team_id``);
    rows of different dimensions must not be summed together.
    """

    _name = "crm.kpi.snapshot"
    _description = "CRM KPI Snapshot"
    _order = "date_start desc, kpi_id, dimension, id"
    _rec_name = "kpi_id"

    kpi_id = fields.Many2one(
        "crm.kpi.definition", string="KPI", required=True, ondelete="cascade", index=True
    )
    kpi_code = fields.Char(related="kpi_id.code", store=True, index=True)
    unit = fields.Selection(related="kpi_id.unit")
    aggregation = fields.Selection(related="kpi_id.aggregation", store=True)
    factor = fields.Float(related="kpi_id.factor", store=True)
    period_type = fields.Selection(PERIOD_TYPE_SELECTION, required=True, index=True)
    date_start = fields.Date(required=True, index=True)
    date_end = fields.Date(required=True, help="First day after the period (exclusive).")
    dimension = fields.Selection(selection="_selection_dimension", required=True, default="company")
    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    team_id = fields.Many2one("crm.team", string="Sales Team", index="btree_not_null")
    user_id = fields.Many2one("res.users", string="Salesperson", index="btree_not_null")
    source_id = fields.Many2one("utm.source", index="btree_not_null")
    medium_id = fields.Many2one("utm.medium", index="btree_not_null")
    campaign_id = fields.Many2one("utm.campaign", index="btree_not_null")
    stage_id = fields.Many2one("crm.stage", index="btree_not_null")
    numerator = fields.Float(aggregator="sum", digits=(16, 4))
    denominator = fields.Float(aggregator="sum", digits=(16, 4))
    value = fields.Float(
        aggregator="sum",
        digits=(16, 2),
        help="Empty when the KPI has no value (zero denominator). In pivot and "
        "graph views a group's value is Σnumerator / Σdenominator of its rows "
        "(empty for a group mixing several KPIs).",
    )
    has_value = fields.Boolean(help="False when the KPI has no value for this row (shown as n/a).")
    is_final = fields.Boolean(
        string="Final", help="The period has ended and its values were closed."
    )
    computed_at = fields.Datetime(required=True)
    failure = fields.Char(
        readonly=True,
        help="Why the KPI could not be computed for this period (e.g. a currency "
        "without an exchange rate); it then has no value.",
    )

    # The unique index of (KPI, period, company, dimension, dimension
    # value) is built from the dimensions by init() (crm_kpi_snapshot_dimension.py).

    # ------------------------------------------------------------------
    # Pivot / graph: ratios are rolled up, never averaged
    # ------------------------------------------------------------------
    def _read_group_select(self, aggregate_spec, query):
        """``value:sum`` (the measure of pivot and graph views) is the
        roll-up of the group's rows; any other spec, valid or not, is Odoo's
        (which refuses an unknown field or aggregate with a ValueError)."""
        if aggregate_spec != "__count" and parse_read_group_spec(aggregate_spec) == (
            "value",
            None,
            "sum",
        ):

            def column(fname):
                return self._field_to_sql(self._table, fname, query)

            # A group mixing several KPIs has no meaningful value; a level
            # (time aggregation "last") over several periods is the roll-up
            # of the rows of its last period only.
            return SQL(
                "CASE WHEN COUNT(DISTINCT %(kpi)s) > 1 THEN NULL"
                " WHEN COUNT(DISTINCT %(start)s) > 1 AND (SELECT d.time_aggregation"
                " FROM crm_kpi_definition d WHERE d.id = MAX(%(kpi)s)) = 'last' THEN ("
                "  SELECT CASE WHEN BOOL_AND(%(agg)s = 'sum') THEN SUM(x.num)"
                "  ELSE SUM(x.num) / NULLIF(SUM(x.den), 0) * MAX(%(factor)s) END"
                "  FROM unnest(ARRAY_AGG(%(num)s), ARRAY_AGG(%(den)s), ARRAY_AGG(%(start)s))"
                "  AS x(num, den, day) WHERE x.day = MAX(%(start)s))"
                " WHEN BOOL_AND(%(agg)s = 'sum') THEN SUM(%(num)s)"
                " ELSE SUM(%(num)s) / NULLIF(SUM(%(den)s), 0) * MAX(%(factor)s) END",
                kpi=column("kpi_id"),
                start=column("date_start"),
                agg=column("aggregation"),
                num=column("numerator"),
                den=column("denominator"),
                factor=column("factor"),
            )
        return super()._read_group_select(aggregate_spec, query)

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    @api.model
    def compute_snapshots(
        self, period_type, date_from, date_to=None, kpi_codes=None, company_ids=None
    ):
        """Compute, idempotently, every period of ``period_type`` that
        intersects ``[date_from, date_to]`` (one period when ``date_to`` is
        omitted) for the given KPI codes (default: every active, available
        KPI) and companies (default: the companies of the current user).

        Rows of a (KPI, period, company) are updated in place; rows that no
        longer apply are removed. A KPI that fails is logged and skipped; the
        others are written. A transaction conflict is no failure: it
        propagates, for Odoo to retry the call. Runs of the same company and
        period type wait for each other. Returns the snapshot records written.

        At most ``crm_kpi.max_periods`` periods (system parameter, default
        MAX_PERIODS) per call: a longer range is refused before anything is
        computed, to be split (``engine.periods.split_range``) by the caller.
        """
        snapshots, _errors = self._compute_snapshots(
            period_type, date_from, date_to, kpi_codes, company_ids
        )
        return snapshots

    def _compute_snapshots(
        self, period_type, date_from, date_to=None, kpi_codes=None, company_ids=None
    ):
        self._check_can_compute()
        periods = self._get_periods(period_type, date_from, date_to)
        definitions = self._get_definitions(kpi_codes)
        companies = self._get_companies(company_ids)
        engine = self.env["crm.kpi.engine"].sudo()
        self.env.flush_all()
        snapshot_ids, errors = [], []
        today = fields.Date.context_today(self)
        for company in companies:
            self._lock_run(company, periods)
            with engine._run(company, periods, definitions.mapped("code")) as run:
                for period in periods:
                    window = engine._make_window(company, period, run)
                    for definition in definitions:
                        try:
                            with self.env.cr.savepoint():
                                rows = engine._gather(definition, window)
                                snapshot_ids += self._store(
                                    definition,
                                    company,
                                    period,
                                    rows,
                                    is_final=period.date_end <= today,
                                )
                        except TRANSACTION_CONFLICTS:
                            raise
                        except KpiDataError as error:
                            reason = error.args[0]
                            _logger.warning(
                                "KPI %s not computed for %s, %s: %s",
                                definition.code,
                                company.name,
                                period.label,
                                reason,
                            )
                            errors.append((definition.code, company.id, period.label, reason))
                            snapshot_ids += self._store(
                                definition, company, period, [], is_final=False, failure=reason
                            )
                        except Exception as error:  # noqa: BLE001 -- isolate one KPI's failure
                            _logger.exception(
                                "KPI %s failed for %s, %s",
                                definition.code,
                                company.name,
                                period.label,
                            )
                            errors.append((definition.code, company.id, period.label, str(error)))
                    self.env["crm.kpi.cohort.cell"]._compute_cohorts(
                        engine, window, definitions.mapped("code"), errors
                    )
        self.invalidate_model()
        return self.browse(snapshot_ids), errors

    @api.model
    def _lock_run(self, company, periods):
        """Serialize the runs of one company and period: a second caller of
        a period waits here until the first one's transaction ends, then
        writes the same rows (its upsert of rows committed meanwhile raises
        a serialization failure, which Odoo retries in a new transaction).
        Runs of other periods (e.g. parallel jobs of a back-fill) go on. The
        locks are taken in period order, so two runs never wait on each
        other."""
        keys = sorted(
            {
                hash((company.id, period.period_type, period.date_start.toordinal())) & 0x7FFFFFFF
                for period in periods
            }
        )
        self.env.cr.execute(
            SQL(
                "SELECT pg_advisory_xact_lock(%s, key) FROM unnest(%s::int[]) AS key",
                RUN_LOCK_KEY,
                keys,
            )
        )

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh(self):
        """Refresh the open period of every type for every company, and
        close (recompute as final) the periods that ended since the last run.

        One unit of work is one company and one period, written and committed
        as a whole (a crash rolls back the unit in progress, never half of
        it). A run that stops before its end (time budget of the scheduled
        action, crash, restart) is resumed by the next call of the same day:
        the units whose company rows were computed since the run started are
        not computed again.
        """
        today = fields.Date.context_today(self)
        started_at = self._refresh_run_start(today)
        done = self._refresh_units_done(started_at)
        units = [
            (company, period)
            for company, period in self._refresh_units(today)
            if (company.id, period.period_type, period.date_start) not in done
        ]
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(units))
        for company, period in units:
            _snapshots, errors = self.with_company(company)._compute_snapshots(
                period.period_type, period.date_start, company_ids=company.ids
            )
            if errors:
                _logger.warning(
                    "KPI refresh of %s, %s: %d KPI(s) failed",
                    company.name,
                    period.label,
                    len(errors),
                )
            if cron._commit_progress(1) <= 0:
                return
        self.env["ir.config_parameter"].sudo().set_param(REFRESH_RUN_PARAM, False)
        cron._commit_progress()

    @api.model
    def _refresh_units(self, today):
        """The (company, period) units of a refresh on ``today``: the current
        period of every type, preceded by the previous one until it is final."""
        closed = {
            (company.id, period_type, date_start)
            for company, period_type, date_start in self.sudo()._read_group(
                [("is_final", "=", True), ("dimension", "=", "company")],
                ["company_id", "period_type", "date_start:day"],
            )
        }
        units = []
        for company in self.env["res.company"].sudo().search([]):  # pylint: disable=no-search-all
            for period_type in PERIOD_TYPES:
                current = period_of(period_type, today)
                previous = current.previous()
                if (company.id, period_type, previous.date_start) not in closed:
                    units.append((company, previous))
                units.append((company, current))
        return units

    @api.model
    def _refresh_run_start(self, today):
        """When the refresh run of ``today`` started: the one left unfinished
        earlier today, or a new one starting now (kept in a system parameter
        until the run ends; an unfinished run of an earlier day is dropped)."""
        params = self.env["ir.config_parameter"].sudo()
        day, _sep, started = (params.get_param(REFRESH_RUN_PARAM) or "").partition("|")
        if day == fields.Date.to_string(today) and started:
            return fields.Datetime.to_datetime(started)
        started_at = fields.Datetime.now()
        params.set_param(
            REFRESH_RUN_PARAM,
            f"{fields.Date.to_string(today)}|{fields.Datetime.to_string(started_at)}",
        )
        return started_at

    @api.model
    def _refresh_units_done(self, started_at):
        """The units (company id, period type, first day) whose company rows
        were computed at or after ``started_at``."""
        return {
            (company.id, period_type, date_start)
            for company, period_type, date_start in self.sudo()._read_group(
                [("computed_at", ">=", started_at), ("dimension", "=", "company")],
                ["company_id", "period_type", "date_start:day"],
            )
        }

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _action_computed_snapshots(self, period_type):
        """The snapshot list on the company rows with a value of
        ``period_type``: where a computation of that type returns to."""
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_kpi.crm_kpi_snapshot_action")
        action["context"] = {
            "search_default_filter_company_level": 1,
            f"search_default_filter_{period_type}": 1,
            "search_default_filter_has_value": 1,
            "fill_temporal": False,
        }
        return action

    def _check_can_compute(self):
        if not (self.env.su or self.env.user.has_group("crm_kpi.crm_kpi_group_manager")):
            raise AccessError(self.env._("Only KPI Managers can compute KPI snapshots."))

    @api.model
    def _max_periods(self):
        """The most periods one computation may span: the system parameter
        ``crm_kpi.max_periods`` when it is a positive integer, else MAX_PERIODS."""
        value = self.env["ir.config_parameter"].sudo().get_param(MAX_PERIODS_PARAM)
        try:
            limit = int(value)
        except (TypeError, ValueError):
            return MAX_PERIODS
        return limit if limit > 0 else MAX_PERIODS

    def _to_date(self, value):
        """``value`` (a date, a datetime or an ISO date string) as a date,
        None when empty; a UserError naming it for anything else."""
        if not value:
            return None
        if isinstance(value, date):
            return fields.Date.to_date(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return fields.Date.to_date(value)
        raise UserError(
            self.env._(
                "%(value)s is not a date: give a date or a string like 2026-01-31.",
                value=repr(value),
            )
        )

    def _get_periods(self, period_type, date_from, date_to):
        if not isinstance(period_type, str) or period_type not in PERIOD_TYPES:
            raise UserError(
                self.env._(
                    "Unknown period type %(type)s; use one of: %(types)s.",
                    type=repr(period_type),
                    types=", ".join(PERIOD_TYPES),
                )
            )
        date_from = self._to_date(date_from)
        date_to = self._to_date(date_to)
        if date_from is None:
            raise UserError(self.env._("A start date is required to compute KPI snapshots."))
        if date_to and date_to < date_from:
            raise UserError(
                self.env._(
                    "The end date %(end)s is before the start date %(start)s.",
                    end=date_to,
                    start=date_from,
                )
            )
        count = count_periods(period_type, date_from, date_to)
        limit = self._max_periods()
        if count > limit:
            raise UserError(
                self.env._(
                    "%(count)s periods (%(type)s, from %(start)s to %(end)s) are too many for "
                    "one computation: at most %(max)s. Split the range into ranges of at most "
                    "%(max)s periods (the back-fill wizard does it), or choose a longer period "
                    "type; the limit is the system parameter %(param)s.",
                    count=count,
                    type=period_type,
                    start=date_from,
                    end=date_to or date_from,
                    max=limit,
                    param=MAX_PERIODS_PARAM,
                )
            )
        try:
            return periods_between(period_type, date_from, date_to)
        except (OverflowError, ValueError) as error:  # a period ending after 9999-12-31
            raise UserError(
                self.env._(
                    "The range from %(start)s to %(end)s cannot be computed: %(error)s",
                    start=date_from,
                    end=date_to or date_from,
                    error=error,
                )
            ) from error

    def _get_definitions(self, kpi_codes):
        if kpi_codes and (
            not isinstance(kpi_codes, (list, tuple))
            or not all(isinstance(code, str) for code in kpi_codes)
        ):
            raise UserError(
                self.env._(
                    "The KPI codes must be a list of strings, not %(value)s.", value=repr(kpi_codes)
                )
            )
        Definition = self.env["crm.kpi.definition"].sudo()
        definitions = Definition.search([])  # pylint: disable=no-search-all
        if kpi_codes:
            unknown = set(kpi_codes) - set(definitions.mapped("code"))
            if unknown:
                raise UserError(
                    self.env._(
                        "Unknown or archived KPI codes: %(codes)s.",
                        codes=", ".join(sorted(unknown)),
                    )
                )
            definitions = definitions.filtered(lambda d: d.code in kpi_codes)
        engine = self.env["crm.kpi.engine"]
        return definitions.filtered(lambda d: d.is_available and engine._has_gatherer(d.code))

    def _get_companies(self, company_ids):
        if company_ids and (
            not isinstance(company_ids, (list, tuple))
            or not all(
                isinstance(cid, int) and not isinstance(cid, bool) and 0 < cid < 2**31
                for cid in company_ids
            )
        ):
            raise UserError(
                self.env._(
                    "The companies must be a list of company ids, not %(value)s.",
                    value=repr(company_ids),
                )
            )
        if not company_ids:
            return self.env.user.company_ids
        companies = self.env["res.company"].browse(company_ids).exists()
        if len(companies) != len(set(company_ids)):
            raise UserError(self.env._("Some of the requested companies do not exist."))
        if not self.env.su and companies - self.env.user.company_ids:
            raise AccessError(
                self.env._("You cannot compute KPIs of a company you do not belong to.")
            )
        return companies

    def _store(self, definition, company, period, rows, is_final, failure=None):
        """Upsert ``rows`` (dicts with dimension values, numerator and
        denominator) as the snapshots of one KPI, period and company; delete
        the rows of that KPI, period and company that were not produced.
        With a ``failure`` (the reason it could not be computed), the KPI's
        only row is a company row without value that carries it.

        One INSERT ... ON CONFLICT and one DELETE, whatever the number of rows.
        """
        now = fields.Datetime.now()
        values = []
        if failure:
            rows = [{"dimension": "company", "kpi_value": KpiValue(0.0, 0.0, None)}]
        dimension_fields = self._kpi_dimension_fields()
        key_fields = self._kpi_key_fields()
        for row in rows:
            kpi_value = self._value_of(definition, row)
            dimension = row.get("dimension", "company")
            own_field = dimension_fields.get(dimension)
            # a row carries its dimension's value as <dimension>_id
            keys = [
                row.get(f"{dimension}_id") if fname == own_field else row.get(fname)
                for fname in key_fields
            ]
            values.append(
                SQL(
                    "(%s)",
                    SQL(", ").join(
                        SQL("%s", value)
                        for value in [
                            definition.id,
                            definition.code,
                            definition.aggregation,
                            definition.factor,
                            period.period_type,
                            period.date_start,
                            period.date_end,
                            dimension,
                            company.id,
                            *keys,
                            kpi_value.numerator,
                            kpi_value.denominator,
                            kpi_value.value,
                            kpi_value.value is not None,
                            is_final,
                            failure,
                            now,
                            self.env.uid,
                            now,
                            self.env.uid,
                            now,
                        ]
                    ),
                )
            )
        ids = []
        if values:
            ids = [
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        """
                INSERT INTO crm_kpi_snapshot (
                    kpi_id, kpi_code, aggregation, factor,
                    period_type, date_start, date_end, dimension, company_id, %s,
                    numerator, denominator, value, has_value,
                    is_final, failure, computed_at, create_uid, create_date, write_uid, write_date
                ) VALUES %s
                ON CONFLICT (%s)
                DO UPDATE SET
                    kpi_code = EXCLUDED.kpi_code,
                    aggregation = EXCLUDED.aggregation,
                    factor = EXCLUDED.factor,
                    date_end = EXCLUDED.date_end,
                    numerator = EXCLUDED.numerator,
                    denominator = EXCLUDED.denominator,
                    value = EXCLUDED.value,
                    has_value = EXCLUDED.has_value,
                    is_final = EXCLUDED.is_final,
                    failure = EXCLUDED.failure,
                    computed_at = EXCLUDED.computed_at,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                RETURNING id
                """,
                        SQL(", ").join(SQL.identifier(fname) for fname in key_fields),
                        SQL(", ").join(values),
                        self._kpi_key_sql(),
                    )
                )
            ]
        self.env.execute_query(
            SQL(
                """
            DELETE FROM crm_kpi_snapshot
             WHERE kpi_id = %s AND period_type = %s AND date_start = %s
               AND company_id = %s AND NOT (id = ANY(%s))
            """,
                definition.id,
                period.period_type,
                period.date_start,
                company.id,
                ids,
            )
        )
        return ids

    @api.model
    def _value_of(self, definition, row):
        """The KpiValue of a gathered row, rounded for storage."""
        kpi_value = row["kpi_value"]
        assert isinstance(kpi_value, KpiValue)
        return KpiValue(
            numerator=kpi_value.numerator,
            denominator=kpi_value.denominator,
            value=None if kpi_value.value is None else round(kpi_value.value, 4),
        )
