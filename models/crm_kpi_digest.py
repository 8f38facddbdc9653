# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Scheduled e-mail reports: the KPI board pack sent by e-mail.

Each report (``crm.kpi.digest``) is rendered for each recipient *as that
recipient*: the KPIs, goals and anomalies they may read, in their language
and for the report's company, in a table of an editable mail template, with
the XLSX board pack attached. The mails go through Odoo's mail queue
(``mail.mail``). When it is due and which period it shows is
:mod:`..engine.schedule`.
"""

import hmac
import logging
from hashlib import sha256
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import format_date

from ..engine.schedule import CADENCES, next_send_date, reported_period
from .crm_kpi_goal import ALERT_STATUSES
from .crm_kpi_snapshot import PERIOD_TYPE_SELECTION

_logger = logging.getLogger(__name__)

CADENCE_SELECTION = [
    ("weekly", "Weekly"),
    ("monthly", "Monthly (first working day)"),
    ("quarterly", "Quarterly (first working day)"),
]
assert tuple(key for key, _label in CADENCE_SELECTION) == CADENCES

WEEKDAY_SELECTION = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
# How many periods the attached workbook covers, ending with the reported one.
XLSX_PERIODS = {"day": 14, "week": 13, "month": 12, "quarter": 8, "year": 5}
# Inline colours of the e-mail (mail clients ignore style sheets).
STATE_COLORS = {
    "better": "#1e7e34",
    "worse": "#c82333",
    "ok": "#1e7e34",
    "warning": "#b8860b",
    "critical": "#c82333",
}


class CrmKpiDigest(models.Model):
    _name = "crm.kpi.digest"
    _description = "CRM KPI E-mail Report"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    user_ids = fields.Many2many(
        "res.users",
        "crm_kpi_digest_res_users_rel",
        "digest_id",
        "user_id",
        string="Recipients",
        domain="[('share', '=', False)]",
        help="Each recipient gets the report as they may see it: their access rights, "
        "their language.",
    )
    cadence = fields.Selection(CADENCE_SELECTION, required=True, default="monthly", tracking=True)
    weekday = fields.Selection(
        WEEKDAY_SELECTION, default="0", help="The day weekly reports are sent."
    )
    period_type = fields.Selection(
        PERIOD_TYPE_SELECTION,
        string="Period",
        required=True,
        default="month",
        help="The report shows the period of this type holding the day before it is "
        "sent: a monthly report of months sent on the 1st shows the month just ended.",
    )
    scope = fields.Selection(
        [
            ("company", "Whole company"),
            ("team", "Sales team"),
            ("user", "Each recipient's own (salespeople)"),
        ],
        required=True,
        default="company",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    kpi_ids = fields.Many2many(
        "crm.kpi.definition",
        string="KPIs",
        help="Leave empty for every active KPI.",
    )
    attach_xlsx = fields.Boolean(
        string="Attach the XLSX board pack",
        default=True,
    )
    template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        required=True,
        default=lambda self: self.env.ref(
            "crm_kpi.mail_template_crm_kpi_digest", raise_if_not_found=False
        ),
        domain="[('model', '=', 'crm.kpi.digest')]",
    )
    next_send_date = fields.Date(
        compute="_compute_next_send_date",
        store=True,
        readonly=False,
        copy=False,
        help="The day the scheduled action sends the report next.",
    )
    last_sent_date = fields.Date(readonly=True, copy=False)

    # ------------------------------------------------------------------
    # Computes and constraints
    # ------------------------------------------------------------------
    @api.depends("cadence", "weekday")
    def _compute_next_send_date(self):
        # the first send day from today on (today included)
        yesterday = fields.Date.context_today(self) - relativedelta(days=1)
        for digest in self:
            digest.next_send_date = next_send_date(
                digest.cadence, yesterday, int(digest.weekday or 0)
            )

    @api.constrains("scope", "team_id")
    def _check_team(self):
        for digest in self:
            if digest.scope == "team" and not digest.team_id:
                raise ValidationError(
                    self.env._(
                        "Choose the sales team of the e-mail report “%(name)s”.", name=digest.name
                    )
                )

    @api.constrains("cadence", "weekday")
    def _check_weekday(self):
        for digest in self:
            if digest.cadence == "weekly" and not digest.weekday:
                raise ValidationError(
                    self.env._(
                        "Choose the weekday of the weekly e-mail report “%(name)s”.",
                        name=digest.name,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_send_now(self):
        """Send the report to its recipients now (e.g. to try it); the
        schedule does not change."""
        self.ensure_one()
        if not self.user_ids:
            raise UserError(self.env._("Add at least one recipient first."))
        mails, failures = self._kpi_send(fields.Date.context_today(self))
        if failures:
            message = self.env._(
                "%(sent)s e-mails queued; %(failed)s recipients failed (see the messages below).",
                sent=len(mails),
                failed=len(failures),
            )
            kind = "warning"
        else:
            message = self.env._("%(sent)s e-mails queued.", sent=len(mails))
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": kind,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    @api.model
    def _cron_send_due(self):
        """Send every report due today (or missed since), then move it to its
        next send day."""
        today = fields.Date.context_today(self)
        # the reports of every company (the cron's user may not see them all)
        digests = self.sudo().search([("next_send_date", "<=", today)])
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(digests))
        for digest in digests:
            digest._kpi_send(today)
            digest.write(
                {
                    "last_sent_date": today,
                    "next_send_date": next_send_date(
                        digest.cadence, today, int(digest.weekday or 0)
                    ),
                }
            )
            if cron._commit_progress(1) <= 0:
                break

    def _kpi_send(self, day):
        """Queue one mail per recipient of the report of the period holding
        the day before ``day``. A recipient whose report fails is skipped and
        named in the report's chatter; the others get theirs. Returns the
        queued ``mail.mail`` and the ``(user, error text)`` failures."""
        self.ensure_one()
        period = reported_period(self.period_type, day)
        mails = self.env["mail.mail"]
        failures = []
        for user in self.user_ids:
            try:
                with self.env.cr.savepoint():
                    mails |= self._kpi_mail_for(user, period)
            except Exception as error:  # noqa: BLE001 -- one recipient must not stop the others
                _logger.warning(
                    "E-mail report %s (id %s) failed for user %s",
                    self.name,
                    self.id,
                    user.login,
                    exc_info=True,
                )
                failures.append((user, str(error)))
        if failures:
            self.message_post(
                body=self.env._(
                    "Not sent to: %(failures)s",
                    failures="; ".join(f"{user.name} ({text})" for user, text in failures),
                ),
            )
        return mails, failures

    def _kpi_mail_for(self, user, period):
        """The queued mail of the report for ``user``, rendered with their
        rights, language and the report's company."""
        self.ensure_one()
        company = self.company_id
        if not user.email:
            raise UserError(self.env._("%(user)s has no e-mail address.", user=user.name))
        if company not in user.company_ids:
            raise AccessError(
                self.env._(
                    "%(user)s may not see %(company)s.", user=user.name, company=company.name
                )
            )
        lang = user.lang or "en_US"
        reader = (
            self.with_user(user)
            .with_context(lang=lang, allowed_company_ids=[company.id], tz=user.tz)
            .with_company(company)
        )
        values = reader._kpi_report_values(user, period)
        attachments = []
        if self.attach_xlsx:
            content, name = reader._kpi_report_xlsx(user, period)
            attachments.append(
                Command.create(
                    {
                        "name": f"{name}.xlsx",
                        "raw": content,
                        "mimetype": (
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        ),
                    }
                )
            )
        template = self.template_id.sudo()
        rendered = {
            field: template._render_field(
                field, self.ids, set_lang=lang, add_context={"report": values}
            )[self.id]
            for field in ("subject", "body_html", "email_from")
        }
        unsubscribe = values["unsubscribe_url"]
        return (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": rendered["subject"],
                    "body_html": rendered["body_html"],
                    "email_from": rendered["email_from"]
                    or company.email_formatted
                    or self.env.user.email_formatted,
                    "recipient_ids": [Command.link(user.partner_id.id)],
                    "auto_delete": True,
                    "attachment_ids": attachments,
                    "headers": repr(
                        {
                            "List-Unsubscribe": f"<{unsubscribe}>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                        }
                    ),
                }
            )
        )

    def _kpi_scope_record(self, user):
        """The record the report is split by: None (company), the team, or
        the recipient."""
        return {"company": None, "team": self.team_id, "user": user}[self.scope]

    def _kpi_definitions(self):
        """The KPIs of the report that can have a value, in catalog order."""
        # all of them on purpose (the catalog: a few dozen KPIs)
        definitions = self.kpi_ids or self.env["crm.kpi.definition"].search([])  # pylint: disable=no-search-all
        return definitions.filtered("is_available").sorted(lambda d: (d.sequence, d.id))

    def _kpi_report_values(self, user, period):
        """What the mail template shows (read with the current user's rights):
        ``report`` in the template."""
        self.ensure_one()
        Snapshot = self.env["crm.kpi.snapshot"]
        company = self.env.company
        scope = self._kpi_scope_record(user)
        definitions = self._kpi_definitions()
        board = Snapshot._kpi_board(
            self.period_type, [period], company, scope, definitions=definitions
        )
        value_column = board.column("period")
        rows = []
        for definition in definitions:
            row = board.row(definition.code)
            cell = board.cell(row, value_column)
            rows.append(
                {
                    "name": definition.name,
                    "value_text": cell.text if cell.computed else self.env._("Not computed"),
                    "state": cell.state,
                    "color": STATE_COLORS.get(cell.state, "inherit"),
                    **{
                        comparison: self._kpi_delta(board, row, comparison)
                        for comparison in ("previous", "last_year")
                    },
                }
            )
        formatter = Snapshot._kpi_formatter(company)
        goals = self.env["crm.kpi.goal"].search(
            self._kpi_goal_domain(user), order="deadline, id", limit=20
        )
        statuses = dict(goals._fields["status"]._description_selection(self.env))
        anomaly_team = {"company": None, "team": self.team_id, "user": user.sale_team_id}[
            self.scope
        ]
        anomalies = []
        if self.scope != "user" or anomaly_team:
            anomalies = Snapshot._kpi_anomalies(
                company, self.period_type, period.date_start, team=anomaly_team
            )
        base_url = self.get_base_url()
        return {
            "title": self.name,
            "recipient": user.name,
            "company": company.name,
            "scope_label": scope.display_name if scope else self.env._("Whole company"),
            "period_label": Snapshot._kpi_period_label(period),
            "rows": rows,
            "goals": [
                {
                    "name": goal.name,
                    "status": statuses[goal.status],
                    "color": STATE_COLORS["warning" if goal.status == "at_risk" else "critical"],
                    "current_text": goal.current_text,
                    "target_text": goal.target_text,
                    "progress_text": formatter.text(goal.progress, "percent"),
                    "deadline": format_date(self.env, goal.deadline),
                }
                for goal in goals
            ],
            "anomalies": [
                {
                    "kpi": anomaly["kpi"],
                    "scope": anomaly["scope"],
                    "text": anomaly["text"],
                    "color": STATE_COLORS[anomaly["direction"]],
                }
                for anomaly in anomalies
                if anomaly["snapshot"].kpi_id in definitions  # the report's KPIs only
            ],
            "dashboard_url": f"{base_url}/odoo/action-crm_kpi.crm_kpi_dashboard_action",
            "unsubscribe_url": self._kpi_unsubscribe_url(user, base_url),
        }

    @staticmethod
    def _kpi_delta(board, row, comparison):
        delta = board.cell(row, board.column("delta", comparison))
        if delta.number is None:
            return None
        return {"text": delta.text, "color": STATE_COLORS.get(delta.state, "inherit")}

    def _kpi_goal_domain(self, user):
        """The running goals at risk or off track the report lists."""
        domain = [
            ("company_id", "=", self.env.company.id),
            ("status", "in", list(ALERT_STATUSES)),
        ]
        if self.scope == "team":
            domain += [("scope", "=", "team"), ("team_id", "=", self.team_id.id)]
        elif self.scope == "user":
            domain += [("scope", "=", "user"), ("user_id", "=", user.id)]
        return domain

    def _kpi_report_xlsx(self, user, period):
        """The XLSX board pack of the report, as the current user: the
        periods up to the reported one. Returns (content, file name)."""
        self.ensure_one()
        first = period.date_start - self._kpi_period_step() * (XLSX_PERIODS[self.period_type] - 1)
        options = {
            "date_from": fields.Date.to_string(first),
            "date_to": fields.Date.to_string(period.date_end - relativedelta(days=1)),
            "period_type": self.period_type,
            "company_id": self.env.company.id,
            "scope": {"company": "company", "team": "team", "user": "user"}[self.scope],
            "team_ids": self.team_id.ids if self.scope == "team" else [],
            "user_ids": user.ids if self.scope == "user" else [],
            "kpi_ids": self._kpi_definitions().ids,
            "include_goals": True,
            "include_definitions": False,
        }
        content, _kind = self.env["ir.actions.report"]._render_xlsx(
            "crm_kpi.report_kpi_board_pack", [], data={"board_pack": options}
        )
        name = self.env["report.crm_kpi.report_kpi_board_pack"]._kpi_file_name(options)
        return content, name

    def _kpi_period_step(self):
        return {
            "day": relativedelta(days=1),
            "week": relativedelta(weeks=1),
            "month": relativedelta(months=1),
            "quarter": relativedelta(months=3),
            "year": relativedelta(years=1),
        }[self.period_type]

    # ------------------------------------------------------------------
    # Unsubscribing
    # ------------------------------------------------------------------
    def _kpi_unsubscribe_token(self, user_id):
        """A token that proves the link was sent to that user for that
        report (keyed by the database secret)."""
        self.ensure_one()
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        message = f"crm_kpi.digest.unsubscribe:{self.id}:{int(user_id)}"
        return hmac.new(secret.encode(), message.encode(), sha256).hexdigest()

    def _kpi_unsubscribe_url(self, user, base_url=None):
        query = urlencode(
            {
                "report": self.id,
                "user": user.id,
                "token": self._kpi_unsubscribe_token(user.id),
            }
        )
        return f"{base_url or self.get_base_url()}/crm_kpi/report/unsubscribe?{query}"

    def _kpi_check_unsubscribe_token(self, user_id, token):
        self.ensure_one()
        return bool(token) and hmac.compare_digest(self._kpi_unsubscribe_token(user_id), str(token))

    def _kpi_unsubscribe(self, user_id):
        """Remove a recipient (called with a checked token)."""
        self.ensure_one()
        user = self.env["res.users"].browse(int(user_id)).exists()
        if user and user in self.user_ids:
            self.write({"user_ids": [Command.unlink(user.id)]})
            self.message_post(
                body=self.env._("%(user)s unsubscribed.", user=user.name),
            )
