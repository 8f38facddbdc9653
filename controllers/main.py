# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The board pack downloads under a name that says what it holds."""

import json

from odoo.http import content_disposition, request, route

from odoo.addons.report_xlsx.controllers.main import ReportController

BOARD_PACK = "crm_kpi.report_kpi_board_pack"


class KpiReportController(ReportController):
    @route()
    def report_routes(self, reportname, docids=None, converter=None, **data):
        response = super().report_routes(reportname, docids=docids, converter=converter, **data)
        if converter == "xlsx" and reportname == BOARD_PACK:
            options = json.loads(data.get("options") or "{}").get("board_pack")
            ids = [int(i) for i in docids.split(",")] if docids else []
            name = request.env["report.crm_kpi.report_kpi_board_pack"]._kpi_file_name(options, ids)
            response.headers["Content-Disposition"] = content_disposition(f"{name}.xlsx")
        return response
