# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Anomalies: final values outside the usual range of their own history.

When a run computes a period as final (``is_final``: the period had ended),
each company and team snapshot of it is judged against the band of the
values of the same KPI, company, period type and dimension value over the
previous N periods (:mod:`..engine.anomalies`). The verdict and the band are
stored on the snapshot; a *worse* anomaly gives one activity per KPI,
company and period, on the company snapshot, to the company's configured
user or else to each KPI Manager of the company.

The whole run is judged at once, in a constant number of queries: one
read of the run's snapshots and of their history, one update, and the
activities when there are new worse anomalies.
"""

from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine.anomalies import detect
from ..engine.periods import Period, period_of

# The dimensions whose snapshots are judged.
ANOMALY_DIMENSIONS = ("company", "team")
# The stored verdict of a snapshot, in the order of the update below.
ANOMALY_COLUMNS = ("anomaly", "anomaly_median", "anomaly_low", "anomaly_high", "anomaly_history")


class CrmKpiSnapshot(models.Model):
    _name = "crm.kpi.snapshot"
    _inherit = ["crm.kpi.snapshot", "mail.thread", "mail.activity.mixin"]

    anomaly = fields.Selection(
        [("better", "Better than usual"), ("worse", "Worse than usual")],
        readonly=True,
        index="btree_not_null",
        help="A final value outside median ± k × MAD of the same KPI and dimension "
        "over its previous periods, better or worse in the KPI's direction.",
    )
    anomaly_median = fields.Float(
        string="Usual Value",
        digits=(16, 4),
        aggregator=None,
        readonly=True,
        help="Median of the previous periods' values.",
    )
    anomaly_low = fields.Float(
        string="Usual From",
        digits=(16, 4),
        aggregator=None,
        readonly=True,
        help="Lower end of the usual range (median − k × MAD).",
    )
    anomaly_high = fields.Float(
        string="Usual Up To",
        digits=(16, 4),
        aggregator=None,
        readonly=True,
        help="Upper end of the usual range (median + k × MAD).",
    )
    anomaly_history = fields.Integer(
        string="Past Values",
        aggregator=None,
        readonly=True,
        help="How many previous periods the usual range was computed from; 0 when "
        "the value was not judged (not final, or too little history).",
    )
    is_drillable = fields.Boolean(
        compute="_compute_is_drillable",
        help="The records behind the value can be listed.",
    )
    anomaly_notified = fields.Boolean(
        readonly=True,
        copy=False,
        help="The activity of a worse anomaly of this KPI, company and period was "
        "given (set on the company row): computing the period again gives none.",
    )

    @api.depends("kpi_code")
    def _compute_is_drillable(self):
        engine = self.env["crm.kpi.engine"]
        for snapshot in self:
            snapshot.is_drillable = engine._has_records(snapshot.kpi_code)

    # ------------------------------------------------------------------
    # Computing: judge the run's final values
    # ------------------------------------------------------------------
    def _compute_snapshots(
        self, period_type, date_from, date_to=None, kpi_codes=None, company_ids=None
    ):
        snapshots, errors = super()._compute_snapshots(
            period_type, date_from, date_to, kpi_codes, company_ids
        )
        snapshots._kpi_flag_anomalies()
        return snapshots, errors

    def _kpi_flag_anomalies(self):
        """Judge the company and team rows of ``self`` (snapshots just
        computed): the final ones with a value against the band of their
        history, the others lose any former verdict. Then give the
        activities of the new worse anomalies. Constant number of queries."""
        if not self:
            return
        self.env.flush_all()
        series = self._kpi_anomaly_series()
        if not series:
            return
        definitions = (
            self.env["crm.kpi.definition"]
            .sudo()
            .browse({key[0] for key in series})
            .with_context(active_test=False)
        )
        companies = self.env["res.company"].sudo().browse({key[1] for key in series})
        settings = {
            (definition.id, company.id): definition._anomaly_settings(company)
            for definition in definitions
            for company in companies
        }
        rows = self._kpi_anomaly_history(series, settings)
        updates, worse = self._kpi_judge(rows, settings, definitions)
        self._kpi_write_verdicts(updates)
        notified = self._kpi_notify_anomalies(worse, rows, companies)
        if notified:
            self.env.execute_query(
                SQL(
                    "UPDATE crm_kpi_snapshot SET anomaly_notified = TRUE WHERE id = ANY(%s)",
                    sorted(notified),
                )
            )
            self.invalidate_model(["anomaly_notified"])

    def _kpi_anomaly_series(self):
        """{(kpi id, company id, period type): (first start, last start)} of
        the company and team rows of ``self``."""
        return {
            (kpi.id, company.id, period_type): (first, last)
            for kpi, company, period_type, first, last in self.sudo()._read_group(
                [("id", "in", self.ids), ("dimension", "in", ANOMALY_DIMENSIONS)],
                ["kpi_id", "company_id", "period_type"],
                ["date_start:min", "date_start:max"],
            )
        }

    @api.model
    def _kpi_history_start(self, period_type, date_start, count):
        """The first day of the period ``count`` periods before the one of
        ``date_start``."""
        period = period_of(period_type, date_start)
        for _i in range(count):
            period = period.previous()
        return period.date_start

    def _kpi_anomaly_history(self, series, settings):
        """The company and team rows of every series of the run, from the
        start of the history of its first period to its last period, in one
        query: dicts with ``in_run`` (a row of ``self``) and ``judgeable``
        (final, with a value, not failed)."""
        bounds = []
        for (kpi_id, company_id, period_type), (first, last) in series.items():
            periods = settings[kpi_id, company_id][1]
            bounds.append(
                SQL(
                    "(%s::int, %s::int, %s::varchar, %s::date, %s::date)",
                    kpi_id,
                    company_id,
                    period_type,
                    self._kpi_history_start(period_type, first, periods),
                    last,
                )
            )
        return self.env.execute_query_dict(
            SQL(
                """
            SELECT s.id, s.kpi_id, s.company_id, s.period_type, s.date_start, s.date_end,
                   s.dimension, s.team_id, s.value::float AS value,
                   s.is_final AND s.has_value AND s.failure IS NULL AS judgeable,
                   s.id = ANY(%(ids)s) AS in_run, s.anomaly_notified,
                   s.anomaly, s.anomaly_median::float AS anomaly_median,
                   s.anomaly_low::float AS anomaly_low, s.anomaly_high::float AS anomaly_high,
                   COALESCE(s.anomaly_history, 0) AS anomaly_history
              FROM crm_kpi_snapshot s
              JOIN (VALUES %(bounds)s) AS b(kpi_id, company_id, period_type, date_from, date_to)
                ON s.kpi_id = b.kpi_id AND s.company_id = b.company_id
               AND s.period_type = b.period_type
               AND s.date_start >= b.date_from AND s.date_start <= b.date_to
             WHERE s.dimension = ANY(%(dimensions)s)
            """,
                ids=self.ids,
                bounds=SQL(", ").join(bounds),
                dimensions=list(ANOMALY_DIMENSIONS),
            )
        )

    @api.model
    def _kpi_judge(self, rows, settings, definitions):
        """The verdicts of the run's rows: ({id: (anomaly, median, low,
        high, count)} of the rows whose stored verdict changes, [row] of
        the worse anomalies)."""
        values = defaultdict(dict)
        for row in rows:
            if row["judgeable"]:
                key = (
                    row["kpi_id"],
                    row["company_id"],
                    row["period_type"],
                    row["dimension"],
                    row["team_id"],
                )
                values[key][row["date_start"]] = row["value"]
        direction = {definition.id: definition.direction for definition in definitions}
        updates, worse = {}, []
        for row in rows:
            if not row["in_run"]:
                continue
            verdict = (None, 0.0, 0.0, 0.0, 0)
            if row["judgeable"]:
                k, periods, minimum = settings[row["kpi_id"], row["company_id"]]
                start = self._kpi_history_start(row["period_type"], row["date_start"], periods)
                series = values[
                    row["kpi_id"],
                    row["company_id"],
                    row["period_type"],
                    row["dimension"],
                    row["team_id"],
                ]
                history = [
                    value for day, value in series.items() if start <= day < row["date_start"]
                ]
                anomaly, band = detect(row["value"], history, direction[row["kpi_id"]], k, minimum)
                if band:
                    verdict = (
                        anomaly,
                        round(band.median, 4),
                        round(band.low, 4),
                        round(band.high, 4),
                        band.count,
                    )
                if anomaly == "worse":
                    worse.append(row)
            stored = tuple(
                row[column] or (None if column == "anomaly" else 0) for column in ANOMALY_COLUMNS
            )
            if stored != verdict:
                updates[row["id"]] = verdict
        return updates, worse

    def _kpi_write_verdicts(self, updates):
        """Store the verdicts ``updates`` ({id: (anomaly, median, low,
        high, count)}) in one UPDATE."""
        if not updates:
            return
        values = [
            SQL(
                "(%s::int, %s::varchar, %s::numeric, %s::numeric, %s::numeric, %s::int)",
                snapshot_id,
                *verdict,
            )
            for snapshot_id, verdict in updates.items()
        ]
        self.env.execute_query(
            SQL(
                """
            UPDATE crm_kpi_snapshot s
               SET anomaly = v.anomaly, anomaly_median = v.median, anomaly_low = v.low,
                   anomaly_high = v.high, anomaly_history = v.count
              FROM (VALUES %s) AS v(id, anomaly, median, low, high, count)
             WHERE s.id = v.id
            """,
                SQL(", ").join(values),
            )
        )
        self.invalidate_model(list(ANOMALY_COLUMNS))

    # ------------------------------------------------------------------
    # Activities of worse anomalies
    # ------------------------------------------------------------------
    def _kpi_notify_anomalies(self, worse, rows, companies):
        """Give one activity per KPI, company and period with a new worse
        anomaly (its company row not yet notified) to each recipient, on the
        company row; return the ids of the company rows notified."""
        company_rows = {
            (row["kpi_id"], row["company_id"], row["period_type"], row["date_start"]): row
            for row in rows
            if row["in_run"] and row["dimension"] == "company"
        }
        groups = defaultdict(list)
        today = fields.Date.context_today(self)
        for row in worse:
            if not self._kpi_anomaly_is_news(row["period_type"], row["date_start"], today):
                continue
            key = (row["kpi_id"], row["company_id"], row["period_type"], row["date_start"])
            anchor = company_rows.get(key, row)
            if not anchor["anomaly_notified"]:
                groups[key].append(row)
        if not groups:
            return set()
        recipients = self._kpi_anomaly_recipients(companies)
        Snapshot = self.sudo()
        snapshots = Snapshot.browse([row["id"] for rows_ in groups.values() for row in rows_])
        vals_list, notified = [], set()
        model_id = self.env["ir.model"]._get_id(self._name)
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for key, flagged in groups.items():
            anchor = Snapshot.browse(company_rows.get(key, flagged[0])["id"])
            users = recipients.get(key[1])
            if not users:
                continue
            messages = {}
            for user in users:
                lang = user.lang or self.env.lang
                if lang not in messages:
                    messages[lang] = anchor.with_context(lang=lang)._kpi_anomaly_message(
                        snapshots.browse([r["id"] for r in flagged]).with_context(lang=lang)
                    )
                summary, note = messages[lang]
                vals_list.append(
                    {
                        "activity_type_id": activity_type.id if activity_type else False,
                        "res_model_id": model_id,
                        "res_id": anchor.id,
                        "user_id": user.id,
                        "summary": summary,
                        "note": note,
                        "automated": True,
                        "date_deadline": fields.Date.context_today(self),
                    }
                )
            notified.add(anchor.id)
        if vals_list:
            self.env["mail.activity"].sudo().create(vals_list)
        return notified

    @api.model
    def _kpi_anomaly_is_news(self, period_type, date_start, today):
        """Whether a worse anomaly of the period starting on ``date_start``
        gives an activity: only for the last ended period of its type (the
        one the nightly run closes, or the last one of a back-fill), so that
        back-filling two years flags every period but alerts about none of
        the old ones."""
        return period_of(period_type, date_start).next().contains(today)

    @api.model
    def _kpi_anomaly_recipients(self, companies):
        """{company id: users} who get the activities of a company's worse
        anomalies: its configured user, else its active KPI Managers."""
        managers = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("all_group_ids", "in", self.env.ref("crm_kpi.crm_kpi_group_manager").id),
                    ("share", "=", False),
                    ("company_ids", "in", companies.ids),
                ]
            )
        )
        return {
            company.id: company.kpi_anomaly_user_id
            or managers.filtered(lambda user, company=company: company in user.company_ids)
            for company in companies
        }

    def _kpi_anomaly_message(self, flagged):
        """(summary, HTML note) of the activity on the company row ``self``
        for the worse anomalies ``flagged`` (rows of its KPI and period)."""
        self.ensure_one()
        formatter = self._kpi_formatter(self.company_id)
        label = self._kpi_period_label(self._kpi_period())
        summary = self.env._(
            "Anomaly: %(kpi)s worse than usual in %(period)s",
            kpi=self.kpi_id.name,
            period=label,
        )
        lines = Markup("").join(
            Markup('<li><a href="/odoo/crm.kpi.snapshot/%s">%s</a>: %s</li>')
            % (row.id, row._kpi_scope_label(), row._kpi_anomaly_info(formatter)["text"])
            for row in flagged.sorted(lambda r: (r.dimension != "company", r.team_id.name or ""))
        )
        note = Markup("<p>%s</p><ul>%s</ul><p>%s</p>") % (
            self.env._(
                "%(kpi)s of %(company)s, %(period)s:",
                kpi=self.kpi_id.name,
                company=self.company_id.name,
                period=label,
            ),
            lines,
            self.env._("Open a snapshot and use Records behind the value to see them."),
        )
        return summary, note

    # ------------------------------------------------------------------
    # Reading the verdicts: cards, activities and the e-mail report
    # ------------------------------------------------------------------
    def _kpi_period(self):
        self.ensure_one()
        return Period(self.period_type, self.date_start, self.date_end)

    def _kpi_scope_label(self):
        """ "Whole company", or the team of a team row ("No sales team")."""
        self.ensure_one()
        if self.dimension == "company":
            return self.env._("Whole company")
        return self.team_id.name or self.env._("No sales team")

    def _kpi_anomaly_info(self, formatter):
        """The anomaly of the snapshot as the dashboard, the activities and
        the e-mail report show it, or None: ``direction``, ``label`` and
        ``text`` (value, usual range and median, formatted once here)."""
        self.ensure_one()
        if not self.anomaly:
            return None
        unit, aggregation = self.kpi_id.unit, self.kpi_id.aggregation

        def text(value):
            return formatter.text(value, unit, aggregation)

        label = dict(self._fields["anomaly"]._description_selection(self.env))[self.anomaly]
        return {
            "direction": self.anomaly,
            "label": label,
            "value_text": text(self.value),
            "band_text": self.env._(
                "%(low)s to %(high)s", low=text(self.anomaly_low), high=text(self.anomaly_high)
            ),
            "text": self.env._(
                "%(label)s: %(value)s, usually %(low)s to %(high)s (median %(median)s of the "
                "%(count)s previous periods)",
                label=label,
                value=text(self.value),
                low=text(self.anomaly_low),
                high=text(self.anomaly_high),
                median=text(self.anomaly_median),
                count=self.anomaly_history,
            ),
        }

    @api.model
    def _kpi_anomalies(self, company, period_type, day, team=None, direction=None):
        """The anomalies of the period of ``period_type`` holding ``day`` in
        ``company``, as the e-mail report lists them (with the reader's
        access rights): the company row and every team row, or the rows of
        one ``team`` (a crm.team); only the ``direction`` ("better",
        "worse") when given. Worse ones first, then by KPI. A list of
        dicts: ``snapshot``, ``kpi``, ``scope`` and the keys of
        :meth:`_kpi_anomaly_info`."""
        period = period_of(period_type, fields.Date.to_date(day))
        domain = [
            ("company_id", "=", company.id),
            ("period_type", "=", period_type),
            ("date_start", "=", period.date_start),
            ("anomaly", "in", [direction] if direction else ["better", "worse"]),
        ]
        if team:
            domain += [("dimension", "=", "team"), ("team_id", "=", team.id)]
        else:
            domain += [("dimension", "in", ANOMALY_DIMENSIONS)]
        snapshots = self.search(domain).sorted(
            lambda s: (
                s.anomaly != "worse",
                s.kpi_id.sequence,
                s.kpi_id.id,
                s.dimension != "company",
                s.team_id.name or "",
            )
        )
        formatter = self._kpi_formatter(company)
        return [
            {
                "snapshot": snapshot,
                "kpi": snapshot.kpi_id.name,
                "scope": snapshot._kpi_scope_label(),
                **snapshot._kpi_anomaly_info(formatter),
            }
            for snapshot in snapshots
        ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_records(self):
        """The records behind the snapshot's value: its family's drill-down
        (``_kpi_<code>_records``) for its company, period and dimension row."""
        self.ensure_one()
        engine = self.env["crm.kpi.engine"].with_company(self.company_id)
        window = engine._make_window(self.company_id, self._kpi_period())
        row = {"dimension": self.dimension}
        if self.dimension != "company":
            fname = f"{self.dimension}_id"
            row[fname] = self[fname].id or None
        model, domain = engine._records_of(self.kpi_id, window, row)
        if model is None:
            raise UserError(
                self.env._("The records behind %(kpi)s cannot be listed.", kpi=self.kpi_id.name)
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(kpi)s, %(period)s, %(scope)s",
                kpi=self.kpi_id.name,
                period=self._kpi_period_label(self._kpi_period()),
                scope=self._kpi_scope_label()
                if self.dimension in ANOMALY_DIMENSIONS
                else self[f"{self.dimension}_id"].display_name,
            ),
            "res_model": model,
            "views": [[False, "list"], [False, "form"]],
            "domain": list(domain),
            "context": {"active_test": False},
        }
