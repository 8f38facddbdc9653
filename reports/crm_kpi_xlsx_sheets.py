# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The sheets of the XLSX board pack: the writers of the KPI, charts,
movements, goals and definitions sheets and their column specs, on the
report of ``crm_kpi_xlsx.py`` (which prepares the pack and lists the
sheets in :meth:`_get_ws_params`)."""

from odoo import models
from odoo.fields import Domain

from ..engine.board import COMPARISONS
from .crm_kpi_xlsx_formats import (
    CHART_COLUMNS,
    CHART_ROWS,
    CHART_ROWS_PER_PAGE,
    CHARTS_PER_ROW,
    GOAL_COLUMNS,
    GOAL_KPI_VALUE_COLUMNS,
    GOAL_PERCENT_COLUMNS,
    GOAL_STATUS_STATES,
    HEADER_ROW,
    MIN_CHART_VALUES,
    fit_width,
    sheet_name,
)


class ReportCrmKpiBoardPackSheets(models.AbstractModel):
    _inherit = "report.crm_kpi.report_kpi_board_pack"  # pylint: disable=consider-merging-classes-inherited

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
        unit_labels = self._selection_labels("crm.kpi.definition", "unit")
        columns = [
            {
                "key": "name",
                "header": self.env._("KPI"),
                "width": 38,
                "writer": "_write_kpi_name",
                "frozen": True,
            },
            {
                "key": "code",
                "header": self.env._("Code"),
                "width": 22,
                "writer": "_write_kpi_code",
                "frozen": True,
            },
            {
                "key": "unit",
                "header": self.env._("Unit"),
                "width": 10,
                "writer": "_write_kpi_unit",
                "frozen": True,
                "labels": unit_labels,
            },
        ]
        columns += [
            {
                "key": column.key,
                "header": column.label,
                "width": 13,
                "writer": "_write_kpi_value",
                "board_column": column,
            }
            for column in board.columns_of("period")
        ]
        for comparison in COMPARISONS:
            column = board.column("delta", comparison)
            if column is None:
                continue
            if comparison == "previous":
                header = self.env._("Δ vs previous (%(period)s)", period=column.label)
            else:
                header = self.env._("Δ vs last year (%(period)s)", period=column.label)
            columns.append(
                {
                    "key": column.key,
                    "header": header,
                    "width": 24,
                    "writer": "_write_kpi_delta",
                    "board_column": column,
                    "coloured": True,
                }
            )
        return columns

    def _write_kpi_sheet(self, workbook, formats, pack, sheet):
        board = sheet.read_board()
        worksheet = self._add_sheet(workbook, sheet.name)
        columns = self._kpi_sheet_columns(pack, sheet, board)
        names = {"name": sheet.definitions.mapped("name"), "code": sheet.definitions.mapped("code")}
        for index, column in enumerate(columns):
            texts = [column["header"], *names.get(column["key"], [])]
            worksheet.set_column(index, index, fit_width(texts, column["width"]))
        frozen = sum(1 for column in columns if column.get("frozen"))
        worksheet.freeze_panes(HEADER_ROW + 1, frozen)

        values_in = self.env._("values in %(currency)s", currency=pack.company.currency_id.name)
        self._write_titles(
            worksheet,
            formats,
            f"{pack.company.name}: {sheet.title}",
            f"{pack.description} · {values_in}",
        )
        self._write_strings(
            worksheet, HEADER_ROW, 0, [c["header"] for c in columns], formats.header
        )
        coloured_runs = []
        for index, column in enumerate(columns):  # (first, last) of each run of coloured columns
            if not column.get("coloured"):
                continue
            if coloured_runs and coloured_runs[-1][1] == index - 1:
                coloured_runs[-1] = (coloured_runs[-1][0], index)
            else:
                coloured_runs.append((index, index))
        row = HEADER_ROW
        for definition in sheet.definitions:
            row += 1
            for col, column in enumerate(columns):
                getattr(self, column["writer"])(
                    worksheet, formats, row, col, definition, board, column
                )
            for first_col, last_col in coloured_runs:
                self._colour_deltas(worksheet, formats, definition, row, first_col, last_col)
        if not sheet.definitions:
            row += 1
            worksheet.write_string(row, 0, self.env._("No KPI to show."), formats.note)
        row += 2
        worksheet.write_string(
            row,
            0,
            self.env._(
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
        worksheet.write_number(
            row, col, cell.number, formats.value(formats.unit(definition), cell.state)
        )

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
                row,
                first_col,
                row,
                last_col,
                {"type": "cell", "criteria": criteria, "value": 0, "format": fmt},
            )

    def _write_charts(self, workbook, formats, pack, sheet):
        """A line chart of each KPI of the summary that has a value. The charts
        plot their own copy of the numbers, where n/a is an empty cell (a gap
        in the line) rather than text Excel would plot as zero."""
        board = sheet.read_board()
        periods = board.columns_of("period")
        definitions = sheet.definitions.filtered(
            lambda d: sum(board.cell(d.code, column).number is not None for column in periods)
            >= MIN_CHART_VALUES
        )
        # No repeated header row: on the second page it would be printed over
        # the charts. Each printed page holds whole rows of charts instead.
        worksheet = self._add_sheet(workbook, self.env._("Charts"), repeat_header=False)
        worksheet.set_column(0, 0, fit_width(definitions.mapped("name"), 24))
        worksheet.set_column(1, len(pack.columns), fit_width(pack.labels.values(), 11))
        self._write_titles(
            worksheet,
            formats,
            self.env._("%(company)s: trends", company=pack.company.name),
            pack.description,
        )
        self._write_strings(
            worksheet,
            HEADER_ROW,
            0,
            [self.env._("KPI")] + [pack.label(p) for p in pack.columns],
            formats.header,
        )
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
                row + 1,
                0,
                self.env._(
                    "No trend to draw: a chart needs values in %(count)s periods at least.",
                    count=MIN_CHART_VALUES,
                ),
                formats.note,
            )
        first_chart_row = row + 2
        breaks = range(
            first_chart_row,
            first_chart_row + len(charts) * CHART_ROWS,
            CHART_ROWS * CHART_ROWS_PER_PAGE,
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
        company, columns = pack.company, pack.columns
        currency = company.currency_id
        rows = self.env["crm.kpi.subscription.movement"]._kpi_movement_rows(company, columns)

        worksheet = self._add_sheet(workbook, self.env._("Movements"))
        worksheet.set_column(0, 0, 38)
        worksheet.set_column(1, len(columns), 13)
        worksheet.freeze_panes(HEADER_ROW + 1, 1)
        self._write_titles(
            worksheet,
            formats,
            self.env._("%(company)s: MRR movements", company=company.name),
            self.env._(
                "Sum of the MRR change per movement type, from the subscription ledger, "
                "in %(currency)s only: movements of subscriptions in other currencies "
                "are left out. Net new MRR adds starts, upgrades, downgrades, closes "
                "and reactivations; the last row is the KPI (all currencies converted).",
                currency=currency.name,
            ),
        )
        self._write_strings(
            worksheet,
            HEADER_ROW,
            0,
            [self.env._("Movement")] + [pack.label(p) for p in columns],
            formats.header,
        )
        money = formats.value(formats.currency_format, "none")
        total = formats.total(formats.currency_format)
        row = HEADER_ROW
        for line in rows:
            row += 1
            is_total = line["kind"] != "type"
            worksheet.write_string(
                row, 0, line["label"], formats.total_label if is_total else formats.text
            )
            for index, amount in enumerate(line["values"]):
                if amount is None:
                    worksheet.write_string(row, index + 1, formats.na_text, formats.na)
                else:
                    worksheet.write_number(row, index + 1, amount, total if is_total else money)
        return worksheet

    def _write_goals(self, workbook, formats, pack):
        """The goals of the chosen KPIs overlapping the range, with a fixed list
        of columns (:meth:`_goal_columns`)."""
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

        worksheet = self._add_sheet(workbook, self.env._("Goals"))
        worksheet.freeze_panes(HEADER_ROW + 1, 1)
        for index, name in enumerate(columns):
            texts = [descriptions[name]["string"]]
            texts += [self._goal_cell_text(goal, name, descriptions[name]) for goal in goals]
            worksheet.set_column(index, index, fit_width(texts, 30 if name == "name" else 12))
        self._write_titles(
            worksheet,
            formats,
            self.env._("%(company)s: goals", company=pack.company.name),
            pack.description,
        )
        self._write_strings(
            worksheet,
            HEADER_ROW,
            0,
            [descriptions[name]["string"] for name in columns],
            formats.header,
        )
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
            worksheet.write_string(
                HEADER_ROW + 1, 0, self.env._("No goal in this range."), formats.note
            )
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

    def _write_goal_cell(
        self, worksheet, formats, row, col, goal, name, description, definition, state
    ):
        value = goal[name]
        kind = description["type"]
        if kind in ("many2one", "many2many", "one2many"):
            worksheet.write_string(
                row, col, self._goal_cell_text(goal, name, description), formats.text
            )
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
        labels = {
            name: self._selection_labels("crm.kpi.definition", name)
            for name in ("area", "unit", "direction", "aggregation")
        }
        headers = [
            self.env._("Code"),
            self.env._("KPI"),
            self.env._("Area"),
            self.env._("Formula / description"),
            self.env._("Unit"),
            self.env._("Better when"),
            self.env._("Roll-up"),
            self.env._("Warning threshold"),
            self.env._("Critical threshold"),
        ]
        contents = {
            0: pack.definitions.mapped("code"),
            1: pack.definitions.mapped("name"),
            2: labels["area"].values(),
            5: labels["direction"].values(),
            6: labels["aggregation"].values(),
        }
        worksheet = self._add_sheet(workbook, self.env._("Definitions"))
        worksheet.freeze_panes(HEADER_ROW + 1, 2)
        for col, width in enumerate((16, 24, 16, 80, 10, 16, 16, 12, 12)):
            worksheet.set_column(
                col, col, fit_width([headers[col], *contents.get(col, [])], width, 80)
            )
        self._write_titles(worksheet, formats, self.env._("KPI definitions"), pack.description)
        self._write_strings(worksheet, HEADER_ROW, 0, headers, formats.header)
        row = HEADER_ROW
        for definition in pack.definitions:
            row += 1
            unit = labels["unit"].get(definition.unit, "")
            if definition.unit == "currency":
                unit = pack.company.currency_id.name
            self._write_strings(
                worksheet,
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
