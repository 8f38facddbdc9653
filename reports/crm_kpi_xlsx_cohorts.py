# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Cohorts sheet of the XLSX board pack: the logo and the revenue
retention triangles of the cohorts of the pack's range (at most the 24
months before its last month), read from the stored cohort cells through
:meth:`crm.kpi.cohort.cell._kpi_cohort_triangle`, the reader of the
cohorts view, with the view's colour scale as Excel conditional formats."""

from odoo import models

from ..engine.cohorts import MAX_MONTHS, add_months, heat_ends, month_start
from ..engine.periods import period_of
from .crm_kpi_xlsx import HEADER_ROW


class ReportCrmKpiBoardPackCohorts(models.AbstractModel):
    _inherit = "report.crm_kpi.report_kpi_board_pack"  # pylint: disable=consider-merging-classes-inherited

    def _get_ws_params(self, pack):
        """The Cohorts sheet after the MRR movements (before the goals)."""
        sheets = super()._get_ws_params(pack)
        if pack.columns:
            methods = [params["method"] for params in sheets]
            index = (
                methods.index("_write_movements") + 1
                if "_write_movements" in methods
                else len(sheets)
            )
            sheets.insert(index, {"method": "_write_cohorts"})
        return sheets

    def _write_cohorts(self, workbook, formats, pack):
        last_month = month_start(pack.columns[-1].last_day)
        first_cohort = max(
            month_start(pack.columns[0].date_start), add_months(last_month, -MAX_MONTHS)
        )
        Cell = self.env["crm.kpi.cohort.cell"]
        # the size columns are the cells' fields, named as the model names them
        labels = {
            name: desc["string"]
            for name, desc in Cell.fields_get(["cohort_size", "mrr_start"], ["string"]).items()
        }
        triangles = [
            (
                self.env._("Logo retention: share of the cohort's customers still active"),
                labels["cohort_size"],
                "count",
                Cell._kpi_cohort_triangle(
                    pack.company, "logo", last_month, first_cohort=first_cohort
                ),
            ),
            (
                self.env._("Revenue retention: share of the cohort's starting MRR still recurring"),
                labels["mrr_start"],
                "currency",
                Cell._kpi_cohort_triangle(
                    pack.company, "revenue", last_month, first_cohort=first_cohort
                ),
            ),
        ]
        worksheet = self._add_sheet(workbook, self.env._("Cohorts"))
        worksheet.set_column(0, 0, 16)
        worksheet.set_column(1, 1, 14)
        worksheet.set_column(2, 2 + MAX_MONTHS, 7)
        self._write_titles(
            worksheet,
            formats,
            self.env._("%(company)s: retention cohorts", company=pack.company.name),
            self.env._(
                "Cohorts of the months of their first purchase, %(first)s to %(last)s; columns: "
                "months since. Values in %(currency)s.",
                first=self.env["crm.kpi.snapshot"]._kpi_period_label(
                    period_of("month", first_cohort)
                ),
                last=self.env["crm.kpi.snapshot"]._kpi_period_label(period_of("month", last_month)),
                currency=pack.company.currency_id.name,
            ),
        )
        percent = formats.value(formats.formatter.xlsx_format("percent"), "none")
        low, high = heat_ends()
        row = HEADER_ROW - 1
        for title, size_header, size_unit, triangle in triangles:
            row += 1
            worksheet.write_string(row, 0, title, formats.total_label)
            row += 1
            self._write_strings(
                worksheet,
                row,
                0,
                [self.env._("Cohort"), size_header] + [str(month) for month in triangle.months],
                formats.header,
            )
            if triangle.is_empty:
                row += 1
                worksheet.write_string(row, 0, self.env._("No cohort in this range."), formats.note)
                row += 1
                continue
            first_row = row + 1
            size_format = formats.value(formats.formatter.xlsx_format(size_unit), "none")
            for triangle_row in [*triangle.rows, triangle.average]:
                row += 1
                label = (
                    self.env["crm.kpi.snapshot"]._kpi_period_label(
                        period_of("month", triangle_row.cohort)
                    )
                    if triangle_row.cohort
                    else self.env._("All cohorts")
                )
                worksheet.write_string(
                    row, 0, label, formats.text if triangle_row.cohort else formats.total_label
                )
                worksheet.write_number(row, 1, triangle_row.size, size_format)
                for cell in triangle_row.cells:
                    if cell.share is None:
                        worksheet.write_string(
                            row, 2 + cell.months_since, formats.na_text, formats.na
                        )
                    else:
                        worksheet.write_number(row, 2 + cell.months_since, cell.share, percent)
            worksheet.conditional_format(
                first_row,
                2,
                row,
                2 + max(triangle.months),
                {
                    "type": "2_color_scale",
                    "min_type": "num",
                    "min_value": 0,
                    "max_type": "num",
                    "max_value": 100,
                    "min_color": low,
                    "max_color": high,
                },
            )
            row += 1
        row += 1
        worksheet.write_string(
            row,
            0,
            self.env._(
                "Logo: customers active at the end of each month / customers of the cohort. "
                "Revenue: their MRR then / their MRR at the end of the acquisition month (above "
                "100 % with expansion). All cohorts: sums over the cohorts that reached the month."
            ),
            formats.note,
        )
        return worksheet
