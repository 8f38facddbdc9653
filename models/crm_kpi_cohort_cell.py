# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine.cohorts import MAX_MONTHS, MODES, CohortFact, add_months, build_triangle, heat_colour
from ..engine.periods import period_of
from .crm_kpi_engine import KpiDataError

_logger = logging.getLogger(__name__)

CELL_FIELDS = ["cohort_month", "months_since", "customers", "cohort_size", "mrr", "mrr_start"]


class CrmKpiCohortCell(models.Model):
    """One cell of the retention cohorts: the customers acquired in one
    month (the cohort), measured at the end of a month ``months_since``
    later, for the company or one sales team (that of each customer's first
    purchase, as the customer KPIs count them).

    A model of its own rather than snapshots with a cohort dimension: a
    cell has two time axes (cohort, months since) and two ratios (logo and
    revenue retention) sharing the cohort, where a snapshot has one period
    and one numerator / denominator; cohort rows among the snapshots would
    have to be kept out of every board, goal, pivot and export reading them.
    Like a snapshot, a cell keeps the numerators and denominators, so that
    the shares of several teams or an average over cohorts are Σ / Σ.

    Written by the monthly runs of ``crm.kpi.snapshot`` (see
    :meth:`_compute_cohorts`), read by the cohorts view and the XLSX.
    """

    _name = "crm.kpi.cohort.cell"
    _description = "CRM KPI Retention Cohort Cell"
    _order = "cohort_month desc, months_since, dimension, id"
    _rec_name = "cohort_month"

    company_id = fields.Many2one("res.company", required=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    dimension = fields.Selection(
        [("company", "Company"), ("team", "Sales Team")], required=True, default="company"
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", index="btree_not_null")
    cohort_month = fields.Date(
        string="Cohort",
        required=True,
        index=True,
        help="First day of the month of the cohort's first purchases.",
    )
    months_since = fields.Integer(required=True, aggregator=None)
    period_month = fields.Date(
        string="Measured Month",
        required=True,
        index=True,
        help="First day of the month at whose end the cell is measured.",
    )
    cohort_size = fields.Integer(string="Cohort Customers", aggregator="sum")
    customers = fields.Integer(string="Active Customers", aggregator="sum")
    mrr_start = fields.Monetary(string="Starting MRR", aggregator="sum")
    mrr = fields.Monetary(string="MRR", aggregator="sum")
    computed_at = fields.Datetime(required=True)

    _cell_key = models.UniqueIndex(
        "(company_id, dimension, COALESCE(team_id, 0), cohort_month, months_since)"
    )

    # ------------------------------------------------------------------
    # Computation (by the monthly runs of the snapshots)
    # ------------------------------------------------------------------
    @api.model
    def _compute_cohorts(self, engine, window, codes, errors):
        """Compute and store the cells measured at the end of the run's
        month ``window`` when the run computes the cohorts' KPIs (see
        ``crm.kpi.engine._computes_cohorts``). A currency without a rate is
        logged and added to ``errors`` like a failed KPI; a transaction
        conflict propagates."""
        if not engine._computes_cohorts(window, codes):
            return []
        try:
            with self.env.cr.savepoint():
                return self._store_cohorts(window, engine._cohort_cells(window))
        except KpiDataError as error:
            reason = error.args[0]
            _logger.warning(
                "Cohorts not computed for %s, %s: %s",
                window.company.name,
                window.period.label,
                reason,
            )
            errors.append(("cohorts", window.company.id, window.period.label, reason))
            return []

    @api.model
    def _store_cohorts(self, window, cells):
        """Upsert the cells measured in the window's month and delete the
        others of that month and company: one INSERT and one DELETE."""
        company, month = window.company, window.date_from
        now = fields.Datetime.now()
        ids = []
        if cells:
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    company.id,
                    cell["dimension"],
                    cell["team_id"],
                    cell["cohort_month"],
                    cell["months_since"],
                    month,
                    cell["cohort_size"],
                    cell["customers"],
                    cell["mrr_start"],
                    cell["mrr"],
                    now,
                    self.env.uid,
                    now,
                    self.env.uid,
                    now,
                )
                for cell in cells
            )
            ids = [
                row_id
                for (row_id,) in self.env.execute_query(
                    SQL(
                        """
                INSERT INTO crm_kpi_cohort_cell (
                    company_id, dimension, team_id, cohort_month, months_since, period_month,
                    cohort_size, customers, mrr_start, mrr, computed_at,
                    create_uid, create_date, write_uid, write_date
                ) VALUES %s
                ON CONFLICT (company_id, dimension, COALESCE(team_id, 0), cohort_month,
                             months_since)
                DO UPDATE SET
                    period_month = EXCLUDED.period_month,
                    cohort_size = EXCLUDED.cohort_size,
                    customers = EXCLUDED.customers,
                    mrr_start = EXCLUDED.mrr_start,
                    mrr = EXCLUDED.mrr,
                    computed_at = EXCLUDED.computed_at,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                RETURNING id
                """,
                        values,
                    )
                )
            ]
        self.env.execute_query(
            SQL(
                """
            DELETE FROM crm_kpi_cohort_cell
             WHERE company_id = %s AND period_month = %s AND NOT (id = ANY(%s))
            """,
                company.id,
                month,
                ids,
            )
        )
        self.invalidate_model()
        return ids

    # ------------------------------------------------------------------
    # Reading: one triangle for every renderer
    # ------------------------------------------------------------------
    @api.model
    def _kpi_cohort_triangle(self, company, mode, last_month=None, team=None, first_cohort=None):
        """The :class:`~..engine.cohorts.Triangle` of ``mode`` (logo or
        revenue) of the company (or one sales team, ``team``), of the cohorts
        from ``first_cohort`` (default: 24 months before ``last_month``) to
        ``last_month`` (default: the last month computed), read with the
        user's access rights in one search."""
        if mode not in MODES:
            raise UserError(self.env._("Unknown cohort view %(mode)s.", mode=mode))
        last_month = last_month or self._kpi_last_month(company)
        if not last_month:
            return build_triangle([], mode, fields.Date.context_today(self))
        last_month = last_month.replace(day=1)
        first_cohort = first_cohort or add_months(last_month, -MAX_MONTHS)
        domain = [
            ("company_id", "=", company.id),
            ("cohort_month", ">=", first_cohort),
            ("cohort_month", "<=", last_month),
            ("period_month", "<=", last_month),
        ]
        domain += (
            [("dimension", "=", "team"), ("team_id", "=", team.id)]
            if team
            else [("dimension", "=", "company")]
        )
        cells = self.search_fetch(domain, CELL_FIELDS)
        facts = [
            CohortFact(
                cell.cohort_month,
                cell.months_since,
                cell.customers,
                cell.cohort_size,
                cell.mrr,
                cell.mrr_start,
                source=cell,
            )
            for cell in cells
        ]
        return build_triangle(facts, mode, last_month, first_cohort)

    @api.model
    def _kpi_last_month(self, company):
        """The last month whose cells were computed for the company."""
        [(last,)] = self._read_group(
            [("company_id", "=", company.id)], aggregates=["period_month:max"]
        )
        return last or None

    @api.readonly
    @api.model
    def get_cohort_data(self, mode="logo", team_id=False, date=None):
        """The triangle of the cohorts view, every number with its text
        (formatted here, by the unit table), its colour and its tooltip."""
        company = self.env.company
        team = self.env["crm.team"].browse(int(team_id)) if team_id else None
        last_month = fields.Date.to_date(date) if date else None
        triangle = self._kpi_cohort_triangle(company, mode, last_month, team)
        Snapshot = self.env["crm.kpi.snapshot"]
        formatter = Snapshot._kpi_formatter(company)
        size_unit = "count" if mode == "logo" else "currency"

        def cell_data(cell, cohort):
            value = cell.value
            colours = heat_colour(cell.share)
            if not cell.computed:
                tooltip = self.env._("Not computed: compute the KPIs of this month.")
            elif mode == "logo":
                tooltip = self.env._(
                    "%(active)s of %(size)s customers active",
                    active=formatter.text(value.numerator, "count"),
                    size=formatter.text(value.denominator, "count"),
                )
            else:
                tooltip = self.env._(
                    "%(mrr)s of %(start)s starting MRR",
                    mrr=formatter.text(value.numerator, "currency"),
                    start=formatter.text(value.denominator, "currency"),
                )
            return {
                "months_since": cell.months_since,
                "cohort": fields.Date.to_string(cohort) if cohort else False,
                "value": cell.share,
                "text": formatter.text(cell.share, "percent") if cell.computed else "",
                "tooltip": tooltip,
                "background": colours[0] if colours else "",
                "color": colours[1] if colours else "",
            }

        def row_data(row, label):
            return {
                "cohort": fields.Date.to_string(row.cohort) if row.cohort else False,
                "label": label,
                "size_text": formatter.text(row.size, size_unit),
                "cells": [cell_data(cell, row.cohort) for cell in row.cells],
            }

        return {
            "mode": mode,
            "months": triangle.months,
            "rows": [
                row_data(row, Snapshot._kpi_period_label(period_of("month", row.cohort)))
                for row in triangle.rows
            ],
            "average": row_data(triangle.average, self.env._("All cohorts")),
            "teams": [
                {"id": t.id, "name": t.name}
                for t in self.env["crm.team"].search([("company_id", "in", [False, company.id])])
            ],
        }

    @api.model
    def action_open_cohort_customers(self, cohort, months_since, mode="logo", team_id=False):
        """The customers behind a cell: the cohort's customers active at the
        end of the cell's month (logo) or paying MRR then (revenue)."""
        if mode not in MODES:
            raise UserError(self.env._("Unknown cohort view %(mode)s.", mode=mode))
        self.browse().check_access("read")
        cohort = fields.Date.to_date(cohort).replace(day=1)
        months_since = int(months_since)
        team = self.env["crm.team"].browse(int(team_id)) if team_id else None
        ids = (
            self.env["crm.kpi.engine"]
            .sudo()
            ._cohort_customer_ids(self.env.company, cohort, months_since, mode, team)
        )
        label = self.env["crm.kpi.snapshot"]._kpi_period_label(period_of("month", cohort))
        name = (
            self.env._(
                "Cohort %(cohort)s: active in month %(month)s", cohort=label, month=months_since
            )
            if mode == "logo"
            else self.env._(
                "Cohort %(cohort)s: paying MRR in month %(month)s", cohort=label, month=months_since
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "res.partner",
            "views": [[False, "list"], [False, "form"]],
            "domain": [("id", "in", ids)],
            "context": {"active_test": False},
        }
