# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged
from odoo.tools import SQL

from .common import KpiCase

# Models of Odoo (and OCA) that crm_kpi extends with columns of its own.
EXTENDED_MODELS = ("res.company", "res.partner", "crm.lead", "sale.subscription")


@tagged("post_install", "-at_install")
class TestCoexistence(KpiCase):
    """crm_kpi next to Odoo's own code: modules that know nothing of crm_kpi
    (their tests, imports, other add-ons) create companies, partners, leads
    and subscriptions while crm_kpi's columns exist, and write leads on
    Odoo's hot paths (assignment, stage moves, mass writes)."""

    def _kpi_columns(self, model):
        return [
            field
            for field in self.env[model]._fields.values()
            if field.store and field.column_type and "crm_kpi" in field._modules
        ]

    def test_no_kpi_column_is_not_null(self):
        """Every column crm_kpi adds to an existing model accepts NULL: a
        NOT NULL column makes every INSERT of code that does not know it fail
        (``res.company.kpi_clv_method`` did, in crm's and subscription_oca's
        tests)."""
        checked = []
        for model in EXTENDED_MODELS:
            table = self.env[model]._table
            for field in self._kpi_columns(model):
                nullable = self.env.execute_query(
                    SQL(
                        """
                    SELECT is_nullable FROM information_schema.columns
                     WHERE table_name = %s AND column_name = %s
                    """,
                        table,
                        field.name,
                    )
                )
                self.assertEqual(nullable, [("YES",)], f"{model}.{field.name} is NOT NULL")
                checked.append(field.name)
        self.assertIn("kpi_clv_method", checked)

    def test_company_created_without_crm_kpi(self):
        """A company inserted by code that does not know crm_kpi has no KPI
        settings: the defaults apply (activity window 365 days, stale delay
        30 days, the purchase CLV method) and KPIs compute for it."""
        self.env.cr.execute(
            SQL(
                "UPDATE res_company SET kpi_clv_method = NULL, kpi_activity_window_days = NULL,"
                " kpi_stale_days = NULL WHERE id = %s",
                self.company.id,
            )
        )
        self.company.invalidate_recordset()
        self.assertFalse(self.company.kpi_clv_method)
        self.assertEqual(self.company._kpi_setting("kpi_clv_method"), "purchase")
        self.assertEqual(self.company._kpi_setting("kpi_activity_window_days"), 365)
        self.assertEqual(self.company._kpi_setting("kpi_stale_days"), 30)
        self.Snapshot.compute_snapshots(
            "month",
            "2026-03-01",
            "2026-03-01",
            company_ids=self.company.ids,
            kpi_codes=["churn", "clv", "lead_abandonment"],
        )
        computed = self.Snapshot.search(
            [
                ("company_id", "=", self.company.id),
                ("kpi_code", "in", ["churn", "clv"]),
            ]
        )
        self.assertTrue(computed)

    def test_lead_flags_not_stored(self):
        """The marketing and stale flags of leads are computed on read and
        searched in SQL: no stored field of crm_kpi on ``crm.lead`` depends on
        the fields Odoo writes on its hot paths, so writing those fields never
        triggers a recomputation of ours (``TestLeadAssignPerf`` counts the
        queries of lead assignment)."""
        Lead = self.env["crm.lead"]
        for name in ("kpi_is_marketing", "kpi_is_stale"):
            self.assertFalse(Lead._fields[name].store, name)
        triggered = {
            field.name
            for name in (
                "user_id",
                "team_id",
                "stage_id",
                "medium_id",
                "source_id",
                "campaign_id",
                "activity_ids",
                "won_status",
                "active",
                "probability",
            )
            for field in self.registry.get_dependent_fields(Lead._fields[name])
            if "crm_kpi" in field._modules and field.store
        }
        self.assertFalse(triggered, "stored crm_kpi fields recomputed on lead writes")
