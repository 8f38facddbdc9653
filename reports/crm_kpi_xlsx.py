# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The XLSX board pack: KPI snapshots as a workbook for a board meeting.

Two entry points feed the same writer:

- the export wizard passes its options in ``data["board_pack"]`` (company,
  range, period type, scope, KPIs, optional sheets); each sheet reads its
  snapshots with one search;
- the print menu of the snapshot views passes the selected snapshots, which
  are read with one search and split per sheet.

Values are never recomputed: every KPI sheet renders the board of
:meth:`crm.kpi.snapshot._kpi_board` (the one the dashboard renders: values,
Δ columns, states), every number format comes from the one table of units
(``engine/units.py``), and the MRR movements are the rows of the ledger's
:meth:`crm.kpi.subscription.movement._kpi_movement_rows`. Everything is read
with the user's access rights, so record rules decide what ends up in the
file.

Sheets and their columns are described as data (:meth:`_get_ws_params`,
:meth:`_kpi_sheet_columns`, :meth:`_goal_columns`), intended to be extended
by an inheriting add-on with ``super()``.

The sheet writers are in ``crm_kpi_xlsx_sheets.py``; the cell formats and
the constants and helpers they share in ``crm_kpi_xlsx_formats.py``.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain

from ..engine.periods import (
    MAX_PERIODS,
    PERIOD_TYPES,
    Period,
    count_periods,
    period_of,
    periods_between,
)

# GOAL_COLUMNS, HEADER_ROW and sheet_name stay importable from here (the
# cohorts sheet and the tests import them).
from .crm_kpi_xlsx_formats import (  # noqa: F401
    GOAL_COLUMNS,
    HEADER_ROW,
    _Formats,
    file_name_safe,
    sheet_name,
)


def period_sort_key(period):
    return PERIOD_TYPES.index(period.period_type), period.date_start


@dataclass
class KpiSheet:
    """One sheet of KPIs as rows and periods as columns."""

    name: str
    title: str
    definitions: Any  # crm.kpi.definition recordset, in catalog order
    get_board: Any  # callable(definitions) returning the sheet's Board
    is_summary: bool = False
    board: Any = None  # the Board, once read

    def read_board(self):
        if self.board is None:
            self.board = self.get_board(self.definitions)
        return self.board


@dataclass
class BoardPack:
    """What to write: the company, the period columns and the sheets."""

    company: Any
    columns: list
    compare: dict  # "previous" / "last_year" → Period (of the last column) or None
    definitions: Any
    sheets: list = field(default_factory=list)
    description: str = ""
    include_goals: bool = True
    include_definitions: bool = True
    labels: dict = field(default_factory=dict)  # Period → label in the user's language

    def label(self, period):
        return self.labels.get(period) or period.label


class ReportCrmKpiBoardPack(models.AbstractModel):
    _name = "report.crm_kpi.report_kpi_board_pack"
    _inherit = "report.report_xlsx.abstract"
    _description = "CRM KPI Board Pack (XLSX)"

    def get_workbook_options(self):
        # Rows are written in order, sheet after sheet: they go to disk as they
        # are written instead of piling up in memory.
        return {"constant_memory": True}

    def generate_xlsx_report(self, workbook, data, objs):
        options = (data or {}).get("board_pack")
        if options:
            pack = self._prepare_pack_from_options(options)
        else:
            pack = self._prepare_pack_from_snapshots(objs)
        self._write_pack(workbook, pack)

    def _kpi_file_name(self, options, snapshot_ids=()):
        """The name of the downloaded workbook (without extension): the
        company and the range of periods, e.g. "KPI Board Pack - YourCompany
        - Jan 2026 to Dec 2026"."""
        Snapshot = self.env["crm.kpi.snapshot"]
        company = self.env.company
        first = last = None
        if options:
            company = self.env["res.company"].browse(int(options.get("company_id") or 0)).exists()
            date_from = fields.Date.to_date(options.get("date_from"))
            date_to = fields.Date.to_date(options.get("date_to"))
            if options.get("period_type") in PERIOD_TYPES and date_from and date_to:
                first = period_of(options["period_type"], date_from)
                last = period_of(options["period_type"], date_to)
        elif snapshot_ids:
            snapshots = Snapshot.search([("id", "in", list(snapshot_ids))])
            company = snapshots.company_id if len(snapshots.company_id) == 1 else company
            periods = sorted(
                {Period(s.period_type, s.date_start, s.date_end) for s in snapshots},
                key=period_sort_key,
            )
            first, last = (periods[0], periods[-1]) if periods else (None, None)
        name = self.env._("KPI Board Pack - %(company)s", company=company.name or "")
        if first:
            first_label, last_label = (
                Snapshot._kpi_period_label(first),
                Snapshot._kpi_period_label(last),
            )
            span = (
                first_label
                if first == last
                else self.env._("%(first)s to %(last)s", first=first_label, last=last_label)
            )
            name = f"{name} - {span}"
        return file_name_safe(name)

    # ------------------------------------------------------------------
    # What to write
    # ------------------------------------------------------------------
    def _prepare_pack_from_options(self, options):
        """The pack chosen in the export wizard; one search per sheet, later."""
        company = self.env["res.company"].browse(int(options.get("company_id") or 0))
        if not company or company not in self.env.companies:
            raise AccessError(self.env._("You can only export the KPIs of your own companies."))
        period_type = options.get("period_type")
        if period_type not in PERIOD_TYPES:
            raise UserError(self.env._("Unknown period type %(type)s.", type=period_type))
        date_from = fields.Date.to_date(options.get("date_from"))
        date_to = fields.Date.to_date(options.get("date_to"))
        if not date_from or not date_to or date_to < date_from:
            raise UserError(self.env._("Choose a date range whose end is not before its start."))
        # Counted before the periods are built: a range of centuries in days
        # would take seconds and hundreds of megabytes only to be refused.
        count = count_periods(period_type, date_from, date_to)
        if count > MAX_PERIODS:
            raise UserError(
                self.env._(
                    "%(count)s periods is too many for one workbook (at most %(max)s): "
                    "choose a shorter range or a longer period type.",
                    count=count,
                    max=MAX_PERIODS,
                )
            )
        columns = periods_between(period_type, date_from, date_to)
        compare = {
            "previous": columns[-1].previous(),
            "last_year": columns[-1].same_period_last_year(),
        }
        Definition = self.env["crm.kpi.definition"]
        kpi_ids = options.get("kpi_ids") or []
        definitions = (
            Definition.with_context(active_test=False).search([("id", "in", kpi_ids)])
            if kpi_ids
            # all of them on purpose (the catalog: a few dozen KPIs)
            else Definition.search([])  # pylint: disable=no-search-all
        ).filtered("is_available")
        starts = sorted({p.date_start for p in [*columns, *compare.values()]})
        Snapshot = self.env["crm.kpi.snapshot"]

        def board_of(scope=None):
            return lambda definitions: Snapshot._kpi_board(
                period_type,
                columns,
                company,
                scope=scope,
                definitions=definitions,
            )

        base_domain = Domain(
            [
                ("company_id", "=", company.id),
                ("period_type", "=", period_type),
                ("date_start", "in", starts),
                ("kpi_id", "in", definitions.ids),
            ]
        )
        type_label = self._selection_labels("crm.kpi.snapshot", "period_type")
        pack = BoardPack(
            company=company,
            columns=columns,
            compare=compare,
            definitions=definitions,
            description=self.env._(
                "%(type)s periods %(first)s to %(last)s",
                type=type_label[period_type],
                first=Snapshot._kpi_period_label(columns[0]),
                last=Snapshot._kpi_period_label(columns[-1]),
            ),
            include_goals=bool(options.get("include_goals", True)),
            include_definitions=bool(options.get("include_definitions", True)),
        )
        pack.sheets.append(self._summary_sheet(definitions, board_of()))
        scope = options.get("scope") or "company"
        if scope in self._sheet_dimensions():
            for record in self._scope_records(scope, options, base_domain):
                pack.sheets.append(
                    self._dimension_sheet(scope, record, definitions, board_of(record))
                )
        return pack

    def _prepare_pack_from_snapshots(self, snapshots):
        """The pack of the snapshots selected in a list (print menu): one search,
        split per sheet. Periods are those of the selection; a Δ column is n/a
        when the period it compares with was not selected."""
        Snapshot = self.env["crm.kpi.snapshot"]
        snapshots = Snapshot.search([("id", "in", snapshots.ids)])
        company = snapshots.company_id
        if len(company) > 1:
            raise UserError(self.env._("Select the KPI snapshots of one company at a time."))
        company = company or self.env.company
        dimension_fields = self._sheet_dimensions()
        snapshots = snapshots.filtered(
            lambda s: s.dimension == "company" or s.dimension in dimension_fields
        )
        columns = sorted(
            {Period(s.period_type, s.date_start, s.date_end) for s in snapshots},
            key=period_sort_key,
        )
        compare = {"previous": None, "last_year": None}
        if columns:
            compare = {
                "previous": columns[-1].previous(),
                "last_year": columns[-1].same_period_last_year(),
            }
        definitions = (
            self.env["crm.kpi.definition"]
            .with_context(active_test=False)
            .search([("id", "in", snapshots.kpi_id.ids)])
            .filtered("is_available")
        )
        pack = BoardPack(
            company=company,
            columns=columns,
            compare=compare,
            definitions=definitions,
            description=(
                self.env._(
                    "Selected KPI snapshots: %(start)s to %(end)s",
                    start=Snapshot._kpi_period_label(columns[0]),
                    end=Snapshot._kpi_period_label(columns[-1]),
                )
                if columns
                else self.env._("Selected KPI snapshots")
            ),
        )
        by_dimension = defaultdict(list)
        for snapshot in snapshots:
            fname = dimension_fields.get(snapshot.dimension)
            by_dimension[snapshot.dimension, snapshot[fname] if fname else None].append(snapshot)

        def board_of(key):
            return lambda definitions: Snapshot._kpi_board_of(
                definitions, columns, by_dimension[key], company
            )

        pack.sheets.append(self._summary_sheet(definitions, board_of(("company", None))))
        for scope, field_name in dimension_fields.items():
            records = snapshots.filtered(lambda s, scope=scope: s.dimension == scope)[field_name]
            for record in records.sorted(lambda r: r.display_name or ""):
                pack.sheets.append(
                    self._dimension_sheet(scope, record, definitions, board_of((scope, record)))
                )
        return pack

    def _summary_sheet(self, definitions, get_board):
        return KpiSheet(
            name=self.env._("Summary"),
            title=self.env._("Whole company"),
            definitions=definitions,
            get_board=get_board,
            is_summary=True,
        )

    def _sheet_dimensions(self):
        """{dimension: snapshot field} of the dimensions that get one sheet
        per value (the registry's ``board`` entries but the company)."""
        return {
            code: entry["field"]
            for code, entry in self.env["crm.kpi.snapshot"]._kpi_dimensions().items()
            if entry["board"] and entry["field"]
        }

    def _dimension_sheet(self, scope, record, definitions, get_board):
        entry = self.env["crm.kpi.snapshot"]._kpi_dimensions()[scope]
        if scope == "team":
            title = self.env._("Sales team: %(name)s", name=record.display_name)
        elif scope == "user":
            title = self.env._("Salesperson: %(name)s", name=record.display_name)
        else:
            title = self.env._(
                "%(dimension)s: %(name)s", dimension=entry["label"], name=record.display_name
            )
        if entry["allowed_by"]:
            definitions = definitions.filtered(entry["allowed_by"])
        return KpiSheet(
            name=record.display_name,
            title=title,
            definitions=definitions,
            get_board=get_board,
        )

    def _scope_records(self, scope, options, base_domain):
        """The chosen records of the dimension ``scope`` (option
        ``<scope>_ids``, those the user may read), else every one that has
        rows in the range."""
        field_name = self._sheet_dimensions()[scope]
        model = self.env["crm.kpi.snapshot"]._fields[field_name].comodel_name
        ids = options.get(f"{scope}_ids")
        if ids:
            return self.env[model].search([("id", "in", ids)])
        groups = self.env["crm.kpi.snapshot"]._read_group(
            base_domain & Domain([("dimension", "=", scope), (field_name, "!=", False)]),
            [field_name],
        )
        return (
            self.env[model]
            .union(*(record for (record,) in groups))
            .sorted(lambda r: r.display_name or "")
        )

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------
    def _write_pack(self, workbook, pack):
        Snapshot = self.env["crm.kpi.snapshot"]
        pack.labels = {period: Snapshot._kpi_period_label(period) for period in pack.columns}
        formatter = self.env["crm.kpi.snapshot"]._kpi_formatter(pack.company)
        formats = _Formats(workbook, formatter)
        workbook.set_properties(
            {
                "title": self.env._("KPI Board Pack - %(company)s", company=pack.company.name),
                "subject": pack.description,
                "author": self.env.user.name,
                "company": pack.company.name,
                "created": fields.Datetime.now(),
                "comments": self.env._("Generated from the KPI snapshots of Odoo (crm_kpi)."),
            }
        )
        for params in self._get_ws_params(pack):
            params = dict(params)
            getattr(self, params.pop("method"))(workbook, formats, pack, **params)

    def _get_ws_params(self, pack):
        """The sheets of the workbook, in order, as data: each a dict naming
        the ``method`` that writes it (called with the workbook, the formats,
        the pack and the dict's other keys). Intended to be inherited: an
        add-on appends, inserts or removes sheets with ``super()``."""
        sheets = []
        for sheet in pack.sheets:
            sheets.append({"method": "_write_kpi_sheet", "sheet": sheet})
            if sheet.is_summary and pack.columns:
                sheets.append({"method": "_write_charts", "sheet": sheet})
        if pack.columns:
            sheets.append({"method": "_write_movements"})
        if pack.include_goals:
            sheets.append({"method": "_write_goals"})
        if pack.include_definitions:
            sheets.append({"method": "_write_definitions"})
        return sheets

    def _selection_labels(self, model, field_name):
        """{value: translated label} of a selection field."""
        return dict(self.env[model]._fields[field_name]._description_selection(self.env))
