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
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain

from ..engine.board import COMPARISONS
from ..engine.periods import (
    MAX_PERIODS,
    PERIOD_TYPES,
    Period,
    count_periods,
    period_of,
    periods_between,
)

HEADER_ROW = 3
CHARTS_PER_ROW = 2
CHART_ROWS = 16
CHART_COLUMNS = 8
CHART_ROWS_PER_PAGE = 2  # rows of charts on one printed page
MIN_CHART_VALUES = 3  # fewer values make no trend

RAG_COLOURS = {
    "ok": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "warning": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "critical": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
GOAL_STATUS_STATES = {
    "achieved": "ok",
    "on_track": "ok",
    "at_risk": "warning",
    "off_track": "critical",
    "missed": "critical",
}
# Columns of the Goals sheet, in order; those the goal model lacks are left out.
GOAL_COLUMNS = (
    "name",
    "kpi_id",
    "scope",
    "team_id",
    "user_id",
    "date_start",
    "deadline",
    "baseline_value",
    "target_value",
    "current_value",
    "progress",
    "expected_progress",
    "forecast_value",
    "status",
    "responsible_id",
)
GOAL_KPI_VALUE_COLUMNS = {"baseline_value", "target_value", "current_value", "forecast_value"}
GOAL_PERCENT_COLUMNS = {"progress", "expected_progress"}

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_NAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def sheet_name(name):
    """A valid worksheet name: no []:*?/\\, no edge apostrophes, 31 characters."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", name or "").strip().strip("'").strip()
    return (name or "Sheet")[:31]


def file_name_safe(name):
    """``name`` without the characters a file name may not hold."""
    return _FILE_NAME_FORBIDDEN.sub(" ", name).strip()


def fit_width(texts, minimum, maximum=60):
    """A column width (in characters) that shows the longest of ``texts``
    whole, between ``minimum`` and ``maximum``."""
    longest = max((len(text or "") for text in texts), default=0)
    return max(minimum, min(maximum, longest + 2))


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
        _ = self.env._
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
        name = _("KPI Board Pack - %(company)s", company=company.name or "")
        if first:
            first_label, last_label = Snapshot._kpi_period_label(first), Snapshot._kpi_period_label(last)
            span = first_label if first == last else _(
                "%(first)s to %(last)s", first=first_label, last=last_label
            )
            name = f"{name} - {span}"
        return file_name_safe(name)

    # ------------------------------------------------------------------
    # What to write
    # ------------------------------------------------------------------
    def _prepare_pack_from_options(self, options):
        """The pack chosen in the export wizard; one search per sheet, later."""
        _ = self.env._
        company = self.env["res.company"].browse(int(options.get("company_id") or 0))
        if not company or company not in self.env.companies:
            raise AccessError(_("You can only export the KPIs of your own companies."))
        period_type = options.get("period_type")
        if period_type not in PERIOD_TYPES:
            raise UserError(_("Unknown period type %(type)s.", type=period_type))
        date_from = fields.Date.to_date(options.get("date_from"))
        date_to = fields.Date.to_date(options.get("date_to"))
        if not date_from or not date_to or date_to < date_from:
            raise UserError(_("Choose a date range whose end is not before its start."))
        # Counted before the periods are built: a range of centuries in days
        # would take seconds and hundreds of megabytes only to be refused.
        count = count_periods(period_type, date_from, date_to)
        if count > MAX_PERIODS:
            raise UserError(
                _(
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
            else Definition.search([])
        ).filtered("is_available")
        starts = sorted({p.date_start for p in [*columns, *compare.values()]})
        Snapshot = self.env["crm.kpi.snapshot"]

        def board_of(scope=None):
            return lambda definitions: Snapshot._kpi_board(
                period_type, columns, company, scope=scope, definitions=definitions,
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
            description=_(
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
        _ = self.env._
        Snapshot = self.env["crm.kpi.snapshot"]
        snapshots = Snapshot.search([("id", "in", snapshots.ids)])
        company = snapshots.company_id
        if len(company) > 1:
            raise UserError(_("Select the KPI snapshots of one company at a time."))
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
                _("Selected KPI snapshots: %(start)s to %(end)s",
                  start=Snapshot._kpi_period_label(columns[0]),
                  end=Snapshot._kpi_period_label(columns[-1]))
                if columns
                else _("Selected KPI snapshots")
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
        _ = self.env._
        entry = self.env["crm.kpi.snapshot"]._kpi_dimensions()[scope]
        if scope == "team":
            title = _("Sales team: %(name)s", name=record.display_name)
        elif scope == "user":
            title = _("Salesperson: %(name)s", name=record.display_name)
        else:
            title = _("%(dimension)s: %(name)s", dimension=entry["label"], name=record.display_name)
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
        return self.env[model].union(*(record for (record,) in groups)).sorted(
            lambda r: r.display_name or ""
        )

    # ------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------
    def _write_pack(self, workbook, pack):
        _ = self.env._
        Snapshot = self.env["crm.kpi.snapshot"]
        pack.labels = {period: Snapshot._kpi_period_label(period) for period in pack.columns}
        formatter = self.env["crm.kpi.snapshot"]._kpi_formatter(pack.company)
        formats = _Formats(workbook, formatter)
        workbook.set_properties(
            {
                "title": _("KPI Board Pack - %(company)s", company=pack.company.name),
                "subject": pack.description,
                "author": self.env.user.name,
                "company": pack.company.name,
                "created": fields.Datetime.now(),
                "comments": _("Generated from the KPI snapshots of Odoo (crm_kpi)."),
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

    def _add_sheet(self, workbook, name, landscape=True, repeat_header=True):
        worksheet = workbook.add_worksheet(sheet_name(name))
        if landscape:
            worksheet.set_landscape()
        worksheet.set_paper(9)  # A4
        worksheet.fit_to_pages(1, 0)
        if repeat_header:
            worksheet.repeat_rows(HEADER_ROW)
        worksheet.set_footer("&L&A&R&P / &N")
        return worksheet

    @staticmethod
    def _write_strings(worksheet, row, col, values, cell_format):
        """Write ``values`` on one row as text, never as formulas or numbers:
        names, descriptions and labels are what users typed (a KPI renamed
        ``=HYPERLINK(...)`` stays that text in every user's export)."""
        for offset, value in enumerate(values):
            worksheet.write_string(row, col + offset, value or "", cell_format)

    def _write_titles(self, worksheet, formats, title, subtitle):
        worksheet.write_string(0, 0, title, formats.title)
        worksheet.write_string(1, 0, subtitle, formats.subtitle)

    def _kpi_sheet_columns(self, pack, sheet, board):
        """The columns of a KPI sheet, left to right, as data: each a dict with
        its ``header``, ``width`` and ``writer`` (the method writing its cell
        of a KPI row, called with the worksheet, the formats, the row, the
        column, the definition, the board and the dict); ``frozen`` columns
        stay in view, ``coloured`` ones are green or red when better or
        worse. Intended to be inherited: an add-on inserts or removes columns
        with ``super()``."""
        _ = self.env._
        unit_labels = self._selection_labels("crm.kpi.definition", "unit")
        columns = [
            {"key": "name", "header": _("KPI"), "width": 38, "writer": "_write_kpi_name",
             "frozen": True},
            {"key": "code", "header": _("Code"), "width": 22, "writer": "_write_kpi_code",
             "frozen": True},
            {"key": "unit", "header": _("Unit"), "width": 10, "writer": "_write_kpi_unit",
             "frozen": True, "labels": unit_labels},
        ]
        columns += [
            {"key": column.key, "header": column.label, "width": 13,
             "writer": "_write_kpi_value", "board_column": column}
            for column in board.columns_of("period")
        ]
        for comparison in COMPARISONS:
            column = board.column("delta", comparison)
            if column is None:
                continue
            if comparison == "previous":
                header = _("Δ vs previous (%(period)s)", period=column.label)
            else:
                header = _("Δ vs last year (%(period)s)", period=column.label)
            columns.append({"key": column.key, "header": header, "width": 24,
                            "writer": "_write_kpi_delta", "board_column": column,
                            "coloured": True})
        return columns

    def _write_kpi_sheet(self, workbook, formats, pack, sheet):
        _ = self.env._
        board = sheet.read_board()
        worksheet = self._add_sheet(workbook, sheet.name)
        columns = self._kpi_sheet_columns(pack, sheet, board)
        names = {"name": sheet.definitions.mapped("name"), "code": sheet.definitions.mapped("code")}
        for index, column in enumerate(columns):
            texts = [column["header"], *names.get(column["key"], [])]
            worksheet.set_column(index, index, fit_width(texts, column["width"]))
        frozen = sum(1 for column in columns if column.get("frozen"))
        worksheet.freeze_panes(HEADER_ROW + 1, frozen)

        values_in = _("values in %(currency)s", currency=pack.company.currency_id.name)
        self._write_titles(
            worksheet,
            formats,
            f"{pack.company.name}: {sheet.title}",
            f"{pack.description} · {values_in}",
        )
        self._write_strings(worksheet, HEADER_ROW, 0, [c["header"] for c in columns], formats.header)
        coloured_runs = []
        for is_coloured, run in groupby(enumerate(columns), lambda item: bool(item[1].get("coloured"))):
            run = [index for index, _column in run]
            if is_coloured:
                coloured_runs.append((run[0], run[-1]))
        row = HEADER_ROW
        for definition in sheet.definitions:
            row += 1
            for col, column in enumerate(columns):
                getattr(self, column["writer"])(worksheet, formats, row, col, definition, board, column)
            for first_col, last_col in coloured_runs:
                self._colour_deltas(worksheet, formats, definition, row, first_col, last_col)
        if not sheet.definitions:
            row += 1
            worksheet.write_string(row, 0, _("No KPI to show."), formats.note)
        row += 2
        worksheet.write_string(
            row,
            0,
            _(
                "Green, amber and red follow each KPI's thresholds and direction. "
                "n/a: no value (nothing to divide by, or not computed). Δ columns "
                "compare the last period, in the KPI's unit (percentage points for "
                "percentages); green when better."
            ),
            formats.note,
        )
        return worksheet

    def _write_kpi_name(self, worksheet, formats, row, col, definition, board, column):
        worksheet.write_string(row, col, definition.name, formats.text)

    def _write_kpi_code(self, worksheet, formats, row, col, definition, board, column):
        worksheet.write_string(row, col, definition.code, formats.code)

    def _write_kpi_unit(self, worksheet, formats, row, col, definition, board, column):
        unit = column["labels"].get(definition.unit, definition.unit)
        if definition.unit == "currency":
            unit = formats.currency_name
        worksheet.write_string(row, col, unit, formats.text)

    def _write_kpi_value(self, worksheet, formats, row, col, definition, board, column):
        cell = board.cell(definition.code, column["board_column"])
        if cell.number is None:
            worksheet.write_string(row, col, formats.na_text, formats.na)
            return
        worksheet.write_number(row, col, cell.number, formats.value(formats.unit(definition), cell.state))

    def _write_kpi_delta(self, worksheet, formats, row, col, definition, board, column):
        cell = board.cell(definition.code, column["board_column"])
        if cell.number is None:
            worksheet.write_string(row, col, formats.na_text, formats.na)
            return
        worksheet.write_number(row, col, cell.number, formats.delta(definition))

    def _colour_deltas(self, worksheet, formats, definition, row, first_col, last_col):
        """Green when the change is an improvement, red otherwise (Excel
        conditional formats, so they follow the cells if someone edits them)."""
        better, worse = (">", "<") if definition.direction == "higher" else ("<", ">")
        for criteria, fmt in ((better, formats.good_font), (worse, formats.bad_font)):
            worksheet.conditional_format(
                row, first_col, row, last_col,
                {"type": "cell", "criteria": criteria, "value": 0, "format": fmt},
            )

    def _write_charts(self, workbook, formats, pack, sheet):
        """A line chart of each KPI of the summary that has a value. The charts
        plot their own copy of the numbers, where n/a is an empty cell (a gap
        in the line) rather than text Excel would plot as zero."""
        _ = self.env._
        board = sheet.read_board()
        periods = board.columns_of("period")
        definitions = sheet.definitions.filtered(
            lambda d: sum(board.cell(d.code, column).number is not None for column in periods)
            >= MIN_CHART_VALUES
        )
        # No repeated header row: on the second page it would be printed over
        # the charts. Each printed page holds whole rows of charts instead.
        worksheet = self._add_sheet(workbook, _("Charts"), repeat_header=False)
        worksheet.set_column(0, 0, fit_width(definitions.mapped("name"), 24))
        worksheet.set_column(1, len(pack.columns), fit_width(pack.labels.values(), 11))
        self._write_titles(
            worksheet, formats, _("%(company)s: trends", company=pack.company.name), pack.description
        )
        self._write_strings(worksheet, HEADER_ROW, 0, [_("KPI")] + [pack.label(p) for p in pack.columns], formats.header)
        row = HEADER_ROW
        charts = []
        for definition in definitions:
            row += 1
            number_format = formats.unit(definition)
            worksheet.write_string(row, 0, definition.name, formats.text)
            for col, column in enumerate(periods, 1):
                value = board.cell(definition.code, column).number
                if value is None:
                    worksheet.write_blank(row, col, None)
                else:
                    worksheet.write_number(row, col, value, formats.value(number_format, "none"))
            chart = workbook.add_chart({"type": "line"})
            chart.add_series(
                {
                    "name": [worksheet.name, row, 0],
                    "categories": [worksheet.name, HEADER_ROW, 1, HEADER_ROW, len(pack.columns)],
                    "values": [worksheet.name, row, 1, row, len(pack.columns)],
                    "marker": {"type": "circle", "size": 5},
                    "line": {"width": 2.25},
                }
            )
            chart.set_title({"name": definition.name, "name_font": {"size": 11}})
            chart.set_legend({"none": True})
            chart.set_y_axis({"num_format": number_format, "major_gridlines": {"visible": True}})
            chart.show_blanks_as("gap")
            chart.set_size({"width": 480, "height": 288})
            charts.append(chart)
        if not charts:
            worksheet.write_string(
                row + 1, 0,
                _("No trend to draw: a chart needs values in %(count)s periods at least.",
                  count=MIN_CHART_VALUES),
                formats.note,
            )
        first_chart_row = row + 2
        breaks = range(
            first_chart_row, first_chart_row + len(charts) * CHART_ROWS, CHART_ROWS * CHART_ROWS_PER_PAGE
        )
        worksheet.set_h_pagebreaks([line for line in breaks if line])
        for index, chart in enumerate(charts):
            worksheet.insert_chart(
                first_chart_row + (index // CHARTS_PER_ROW) * CHART_ROWS,
                (index % CHARTS_PER_ROW) * CHART_COLUMNS,
                chart,
            )
        return worksheet

    def _write_movements(self, workbook, formats, pack):
        """MRR movements per type and period, the rows of the subscription
        ledger's report (:meth:`crm.kpi.subscription.movement._kpi_movement_rows`):
        sums of the MRR change in the company currency, and the Net new MRR
        KPI from its snapshots."""
        _ = self.env._
        company, columns = pack.company, pack.columns
        currency = company.currency_id
        rows = self.env["crm.kpi.subscription.movement"]._kpi_movement_rows(company, columns)

        worksheet = self._add_sheet(workbook, _("Movements"))
        worksheet.set_column(0, 0, 38)
        worksheet.set_column(1, len(columns), 13)
        worksheet.freeze_panes(HEADER_ROW + 1, 1)
        self._write_titles(
            worksheet,
            formats,
            _("%(company)s: MRR movements", company=company.name),
            _(
                "Sum of the MRR change per movement type, from the subscription ledger, "
                "in %(currency)s only: movements of subscriptions in other currencies "
                "are left out. Net new MRR adds starts, upgrades, downgrades, closes "
                "and reactivations; the last row is the KPI (all currencies converted).",
                currency=currency.name,
            ),
        )
        self._write_strings(worksheet, HEADER_ROW, 0, [_("Movement")] + [pack.label(p) for p in columns], formats.header)
        money = formats.value(formats.currency_format, "none")
        total = formats.total(formats.currency_format)
        row = HEADER_ROW
        for line in rows:
            row += 1
            is_total = line["kind"] != "type"
            worksheet.write_string(row, 0, line["label"], formats.total_label if is_total else formats.text)
            for index, amount in enumerate(line["values"]):
                if amount is None:
                    worksheet.write_string(row, index + 1, formats.na_text, formats.na)
                else:
                    worksheet.write_number(row, index + 1, amount, total if is_total else money)
        return worksheet

    def _write_goals(self, workbook, formats, pack):
        """The goals of the chosen KPIs overlapping the range, with a fixed list
        of columns (:meth:`_goal_columns`)."""
        _ = self.env._
        Goal = self.env["crm.kpi.goal"]
        columns = self._goal_columns()
        domain = Domain("company_id", "=", pack.company.id) & Domain(
            "kpi_id", "in", pack.definitions.ids
        )
        if pack.columns:
            domain &= Domain("date_start", "<", max(p.date_end for p in pack.columns))
            domain &= Domain("deadline", ">=", min(p.date_start for p in pack.columns))
        goals = Goal.search(domain)
        descriptions = Goal.fields_get(columns, ["string", "type", "selection"])

        worksheet = self._add_sheet(workbook, _("Goals"))
        worksheet.freeze_panes(HEADER_ROW + 1, 1)
        for index, name in enumerate(columns):
            texts = [descriptions[name]["string"]]
            texts += [self._goal_cell_text(goal, name, descriptions[name]) for goal in goals]
            worksheet.set_column(index, index, fit_width(texts, 30 if name == "name" else 12))
        self._write_titles(
            worksheet, formats, _("%(company)s: goals", company=pack.company.name), pack.description
        )
        self._write_strings(worksheet, HEADER_ROW, 0, [descriptions[name]["string"] for name in columns], formats.header)
        row = HEADER_ROW
        for goal in goals:
            row += 1
            definition = goal.kpi_id
            state = GOAL_STATUS_STATES.get(goal.status)
            for col, name in enumerate(columns):
                self._write_goal_cell(
                    worksheet, formats, row, col, goal, name, descriptions[name], definition, state
                )
        if not goals:
            worksheet.write_string(HEADER_ROW + 1, 0, _("No goal in this range."), formats.note)
        return worksheet

    def _goal_columns(self):
        """The goal fields written as columns, in order. Intended to be
        inherited."""
        return list(GOAL_COLUMNS)

    @staticmethod
    def _goal_cell_text(goal, name, description):
        """The text of a goal's relational, selection or text cell ("" for
        numbers and dates, whose formats have their own width)."""
        value = goal[name]
        kind = description["type"]
        if kind in ("many2one", "many2many", "one2many"):
            return ", ".join(value.mapped("display_name"))
        if kind == "selection":
            return dict(description.get("selection") or []).get(value, value or "")
        if kind in ("char", "text"):
            return value or ""
        return ""

    def _write_goal_cell(self, worksheet, formats, row, col, goal, name, description, definition, state):
        value = goal[name]
        kind = description["type"]
        if kind in ("many2one", "many2many", "one2many"):
            worksheet.write_string(row, col, self._goal_cell_text(goal, name, description), formats.text)
        elif kind == "selection":
            label = self._goal_cell_text(goal, name, description)
            fmt = formats.value("@", state) if name == "status" and state else formats.text
            worksheet.write_string(row, col, label, fmt)
        elif kind == "date":
            if value:
                worksheet.write_datetime(row, col, value, formats.date)
            else:
                worksheet.write_blank(row, col, None)
        elif kind in ("float", "integer", "monetary"):
            if name in GOAL_PERCENT_COLUMNS:
                number_format = formats.formatter.xlsx_format("percent")
            elif name in GOAL_KPI_VALUE_COLUMNS and definition:
                number_format = formats.unit(definition)
            else:
                number_format = "#,##0.00"
            worksheet.write_number(row, col, value or 0.0, formats.value(number_format, "none"))
        else:
            worksheet.write_string(row, col, str(value) if value else "", formats.text)

    def _write_definitions(self, workbook, formats, pack):
        _ = self.env._
        labels = {
            name: self._selection_labels("crm.kpi.definition", name)
            for name in ("area", "unit", "direction", "aggregation")
        }
        headers = [
            _("Code"),
            _("KPI"),
            _("Area"),
            _("Formula / description"),
            _("Unit"),
            _("Better when"),
            _("Roll-up"),
            _("Warning threshold"),
            _("Critical threshold"),
        ]
        contents = {
            0: pack.definitions.mapped("code"),
            1: pack.definitions.mapped("name"),
            2: labels["area"].values(),
            5: labels["direction"].values(),
            6: labels["aggregation"].values(),
        }
        worksheet = self._add_sheet(workbook, _("Definitions"))
        worksheet.freeze_panes(HEADER_ROW + 1, 2)
        for col, width in enumerate((16, 24, 16, 80, 10, 16, 16, 12, 12)):
            worksheet.set_column(col, col, fit_width([headers[col], *contents.get(col, [])], width, 80))
        self._write_titles(worksheet, formats, _("KPI definitions"), pack.description)
        self._write_strings(worksheet, HEADER_ROW, 0, headers, formats.header)
        row = HEADER_ROW
        for definition in pack.definitions:
            row += 1
            unit = labels["unit"].get(definition.unit, "")
            if definition.unit == "currency":
                unit = pack.company.currency_id.name
            self._write_strings(worksheet, 
                row,
                0,
                [
                    definition.code,
                    definition.name,
                    labels["area"].get(definition.area, ""),
                    definition.description or "",
                    unit,
                    labels["direction"].get(definition.direction, ""),
                    labels["aggregation"].get(definition.aggregation, ""),
                ],
                formats.wrap,
            )
            number_format = formats.value(formats.unit(definition), "none")
            for col, threshold in ((7, "warning_threshold"), (8, "critical_threshold")):
                if definition.use_thresholds:
                    worksheet.write_number(row, col, definition[threshold], number_format)
                else:
                    worksheet.write_blank(row, col, None)
        return worksheet


class _Formats:
    """The workbook's cell formats, created once each."""

    def __init__(self, workbook, formatter):
        self.workbook = workbook
        self.formatter = formatter
        """The unit table (engine/units.py) in the user's language."""
        self.na_text = formatter.na
        """What a cell without value shows (translated)."""
        self.currency_format = formatter.xlsx_format("currency")
        self.currency_name = formatter.currency.name if formatter.currency else ""
        self._cache = {}
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.subtitle = add({"italic": True, "font_color": "#595959"})
        self.header = add(
            {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1,
             "text_wrap": True, "valign": "vcenter", "align": "center"}
        )
        self.text = add({"border": 1, "border_color": "#D9D9D9"})
        self.wrap = add({"border": 1, "border_color": "#D9D9D9", "text_wrap": True, "valign": "top"})
        self.code = add({"border": 1, "border_color": "#D9D9D9", "font_color": "#595959"})
        self.na = add(
            {"border": 1, "border_color": "#D9D9D9", "align": "center", "italic": True,
             "font_color": "#808080"}
        )
        self.note = add({"italic": True, "font_color": "#595959"})
        self.total_label = add({"bold": True, "top": 1})
        self.date = add({"num_format": "yyyy-mm-dd", "border": 1, "border_color": "#D9D9D9"})
        self.good_font = add({"font_color": "#006100", "bold": True})
        self.bad_font = add({"font_color": "#9C0006", "bold": True})

    def unit(self, definition):
        """The number format of the values of a KPI."""
        return self.formatter.xlsx_format(definition.unit, definition.aggregation)

    def value(self, number_format, state):
        key = ("value", number_format, state)
        if key not in self._cache:
            props = {"num_format": number_format, "border": 1, "border_color": "#D9D9D9"}
            props.update(RAG_COLOURS.get(state, {}))
            self._cache[key] = self.workbook.add_format(props)
        return self._cache[key]

    def total(self, number_format):
        key = ("total", number_format)
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format({"num_format": number_format, "bold": True, "top": 1})
        return self._cache[key]

    def delta(self, definition):
        """The format of a difference of two values of a KPI (signed;
        percentage points for percents)."""
        signed = self.formatter.xlsx_delta_format(definition.unit, definition.aggregation)
        key = ("delta", signed)
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format(
                {"num_format": signed, "border": 1, "border_color": "#D9D9D9"}
            )
        return self._cache[key]
