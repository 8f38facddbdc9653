# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class CrmKpiDigestController(http.Controller):
    """The unsubscribe link of the KPI e-mail reports.

    The link carries a token that only the report's mail to that user holds
    (see ``crm.kpi.digest._kpi_unsubscribe_token``), so it works without
    logging in. Opening it (GET) asks for confirmation, so that a mail
    scanner following links unsubscribes no one; the confirmation and mail
    clients' one-click unsubscribe (RFC 8058) POST to the same address.
    """

    @http.route(
        "/crm_kpi/report/unsubscribe",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
    )
    def unsubscribe(self, report=None, user=None, token=None, **kwargs):
        try:
            report_id, user_id = int(report), int(user)
        except (TypeError, ValueError):
            raise NotFound() from None
        digest = request.env["crm.kpi.digest"].sudo().browse(report_id).exists()
        if not digest or not digest._kpi_check_unsubscribe_token(user_id, token):
            raise NotFound()
        values = {
            "report_name": digest.name,
            "report": report_id,
            "user": user_id,
            "token": token,
            "subscribed": user_id in digest.user_ids.ids,
        }
        if request.httprequest.method == "POST":
            digest._kpi_unsubscribe(user_id)
            return request.render("crm_kpi.digest_unsubscribed", values)
        return request.render("crm_kpi.digest_unsubscribe", values)
