# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.anomalies import DEFAULT_K, DEFAULT_MIN_HISTORY, DEFAULT_PERIODS
from .crm_kpi_input_mixin import check_numbers

# UTM records that make a lead "marketing-sourced" by default (KPI_SPEC §1:
# every campaign, and the mediums Email, Website, Social, Banner, Newsletter).
DEFAULT_MARKETING_MEDIUMS = (
    "utm.utm_medium_email",
    "utm.utm_medium_website",
    "utm.utm_medium_banner",
    "utm.utm_medium_twitter",
    "utm.utm_medium_facebook",
    "utm.utm_medium_linkedin",
)
DEFAULT_MARKETING_SOURCES = ("utm.utm_source_newsletter",)

# Settings that fall back to their default when a company has none.
KPI_SETTINGS_WITH_DEFAULT = (
    "kpi_activity_window_days",
    "kpi_stale_days",
    "kpi_clv_method",
    "kpi_anomaly_k",
    "kpi_anomaly_periods",
    "kpi_anomaly_min_history",
    "kpi_leaderboard_visibility",
)
# The numeric KPI settings and their bounds (both included).
KPI_SETTING_BOUNDS = {
    "kpi_activity_window_days": (1, 3650),
    "kpi_stale_days": (1, 3650),
    "kpi_gross_margin": (0, 100),
    "kpi_anomaly_k": (0.5, 10),
    "kpi_anomaly_periods": (3, 60),
    "kpi_anomaly_min_history": (2, 60),
    "kpi_leaderboard_min_denominator": (0, 1_000_000),
}


def _refs(env, xml_ids):
    records = [env.ref(xml_id, raise_if_not_found=False) for xml_id in xml_ids]
    return [record.id for record in records if record]


class ResCompany(models.Model):
    _inherit = "res.company"

    kpi_activity_window_days = fields.Integer(
        string="KPI Activity Window (days)",
        default=365,
        help="A customer without a subscription in progress is active while "
        "their last purchase is less than this many days old.",
    )
    kpi_stale_days = fields.Integer(
        string="KPI Stale Delay (days)",
        default=30,
        help="An open lead without any activity for this many days counts as abandoned.",
    )
    kpi_clv_method = fields.Selection(
        [
            ("purchase", "Purchase value x frequency x lifetime"),
            ("margin_minus_cac", "Gross profit x retention years - CAC"),
            ("subscription", "ARPA x gross margin / monthly churn"),
        ],
        string="CLV Method",
        default="purchase",
        help="Empty on a company created before crm_kpi was loaded: the purchase method applies.",
    )
    kpi_gross_margin = fields.Float(
        string="Gross Margin (%)",
        default=100.0,
        help="Share of revenue kept as gross profit, used by CLV and CAC payback.",
    )

    kpi_marketing_campaigns = fields.Boolean(
        string="Campaigns Are Marketing",
        default=True,
        help="Every lead tagged with a UTM campaign counts as marketing-sourced.",
    )
    kpi_marketing_medium_ids = fields.Many2many(
        "utm.medium",
        "res_company_kpi_marketing_medium_rel",
        string="Marketing Mediums",
        default=lambda self: _refs(self.env, DEFAULT_MARKETING_MEDIUMS),
        help="Leads with one of these UTM mediums count as marketing-sourced.",
    )
    kpi_marketing_source_ids = fields.Many2many(
        "utm.source",
        "res_company_kpi_marketing_source_rel",
        string="Marketing Sources",
        default=lambda self: _refs(self.env, DEFAULT_MARKETING_SOURCES),
        help="Leads with one of these UTM sources count as marketing-sourced.",
    )

    kpi_anomaly_k = fields.Float(
        string="Anomaly Band Width (k)",
        default=DEFAULT_K,
        help="A final value is an anomaly outside median ± k × MAD of its own history.",
    )
    kpi_anomaly_periods = fields.Integer(
        string="Anomaly History (periods)",
        default=DEFAULT_PERIODS,
        help="How many previous periods of the same type the band is computed from.",
    )
    kpi_anomaly_min_history = fields.Integer(
        string="Anomaly Minimum History (periods)",
        default=DEFAULT_MIN_HISTORY,
        help="No anomaly is flagged for a KPI with fewer past values than this.",
    )
    kpi_anomaly_user_id = fields.Many2one(
        "res.users",
        string="Anomaly Alerts To",
        domain=[("share", "=", False)],
        help="Gets the activity of a worse anomaly; empty: every KPI Manager of the company.",
    )
    kpi_leaderboard_visibility = fields.Selection(
        [
            ("ranking", "Ranking"),
            ("personal", "Personal"),
        ],
        string="Leaderboard Visibility",
        default="ranking",
        help="Ranking: the members of a sales team see the team's whole leaderboard. "
        "Personal: a salesperson sees only their own row and rank (KPI Managers and "
        "team leaders still see the whole team).",
    )
    kpi_leaderboard_min_denominator = fields.Integer(
        string="Leaderboard Minimum Denominator",
        default=5,
        help="A ratio KPI (win rate, churn, ...) whose denominator is below this "
        "number (e.g. fewer closed opportunities) is shown on the leaderboard but "
        "not ranked. 0 ranks every value.",
    )

    _kpi_activity_window_positive = models.Constraint(
        "CHECK (kpi_activity_window_days > 0)",
        "The KPI activity window must be at least one day.",
    )
    _kpi_stale_days_positive = models.Constraint(
        "CHECK (kpi_stale_days > 0)", "The KPI stale delay must be at least one day."
    )
    _kpi_gross_margin_range = models.Constraint(
        "CHECK (kpi_gross_margin >= 0 AND kpi_gross_margin <= 100)",
        "The gross margin is a percentage between 0 and 100.",
    )

    @api.constrains(*KPI_SETTING_BOUNDS)
    def _check_kpi_setting_bounds(self):
        for company in self:
            for fname in KPI_SETTING_BOUNDS:
                value = company[fname]
                if not value and fname in KPI_SETTINGS_WITH_DEFAULT:
                    continue  # empty column of an older company: the default applies
                company._kpi_check_setting_bound(fname, value)

    @api.constrains("kpi_anomaly_periods", "kpi_anomaly_min_history")
    def _check_kpi_anomaly_history(self):
        for company in self:
            periods = company._kpi_setting("kpi_anomaly_periods")
            minimum = company._kpi_setting("kpi_anomaly_min_history")
            if minimum > periods:
                raise ValidationError(
                    self.env._(
                        "An anomaly needs at least %(minimum)s past periods, more than the "
                        "%(periods)s periods of history it is judged by.",
                        minimum=minimum,
                        periods=periods,
                    )
                )

    @api.model
    def _kpi_check_setting_bound(self, fname, value):
        """Raise a ValidationError naming the setting ``fname`` and ``value``
        when the value lies outside KPI_SETTING_BOUNDS (empty counts as 0)."""
        low, high = KPI_SETTING_BOUNDS[fname]
        number = value or 0
        if not (math.isfinite(number) and low <= number <= high):
            raise ValidationError(
                self.env._(
                    "%(field)s must lie between %(min)s and %(max)s, not %(value)s.",
                    field=self._fields[fname]._description_string(self.env),
                    min=low,
                    max=high,
                    value=value,
                )
            )

    @api.model
    def _kpi_check_setting_vals(self, vals):
        """Check the KPI settings in the values of a create or a write,
        before Odoo converts them (7.5 days would become 7, NaN an error)."""
        check_numbers(self, vals, KPI_SETTING_BOUNDS)
        for fname in KPI_SETTING_BOUNDS.keys() & vals.keys():
            self._kpi_check_setting_bound(fname, vals[fname])

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._kpi_check_setting_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._kpi_check_setting_vals(vals)
        return super().write(vals)

    def _kpi_setting(self, name):
        """The company's KPI setting ``name``, or its default when empty.

        No KPI column of ``res.company`` is NOT NULL (Odoo and other add-ons
        create companies with code that does not know crm_kpi, e.g. in their
        own tests, while the column exists), so a company may hold no value:
        the field's default applies then. Only settings whose empty value is
        never meaningful fall back (a gross margin of 0 % is a real one)."""
        self.ensure_one()
        value = self[name]
        if not value and name in KPI_SETTINGS_WITH_DEFAULT:
            return self._fields[name].default(self)
        return value

    @api.model
    def _kpi_set_marketing_defaults(self):
        """Give the companies that existed before install the default
        marketing mediums and sources."""
        for company in self.search([("kpi_marketing_medium_ids", "=", False)]):
            company.kpi_marketing_medium_ids = _refs(self.env, DEFAULT_MARKETING_MEDIUMS)
        for company in self.search([("kpi_marketing_source_ids", "=", False)]):
            company.kpi_marketing_source_ids = _refs(self.env, DEFAULT_MARKETING_SOURCES)
