# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from psycopg2 import errors

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import SQL, mute_logger

# A month nobody else computes in the test database.
MONTH = date(2001, 1, 1)
LOGGER = "odoo.addons.crm_kpi.models.crm_kpi_snapshot"


@tagged("post_install", "-at_install")
class TestConcurrentRuns(BaseCase):
    """Two transactions compute the same period of the same company, on real
    connections outside any test transaction (what they commit is removed at
    the end), interleaved step by step in one thread so that the outcome does
    not depend on timing:

    - while the first holds the run lock, the second waits for it (here it
      gives up after a short ``lock_timeout``): ``LockNotAvailable``
      propagates, nothing is logged as a failed KPI;
    - a second run whose snapshot of the database predates the rows the
      first one committed conflicts with them: ``SerializationFailure``
      propagates (Odoo retries the call in a new transaction);
    - retried, it updates the same rows in place: no duplicate, none missing.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    def _company_id(self):
        with self.registry.cursor() as cr:
            return api.Environment(cr, SUPERUSER_ID, {}).ref("base.main_company").id

    def _row_count(self, company_id):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT COUNT(*) FROM crm_kpi_snapshot WHERE period_type = 'month'"
                    " AND date_start = %s AND company_id = %s",
                    MONTH,
                    company_id,
                )
            )
            return cr.fetchone()[0]

    def _cleanup(self, company_id):
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "DELETE FROM crm_kpi_snapshot WHERE period_type = 'month' AND date_start = %s"
                    " AND company_id = %s",
                    MONTH,
                    company_id,
                )
            )

    def _compute(self, cr, company_id):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return (
            env["crm.kpi.snapshot"].compute_snapshots("month", MONTH, company_ids=[company_id]).ids
        )

    def test_two_runs_of_one_period_conflict_then_write_the_same_rows(self):
        company_id = self._company_id()
        self._cleanup(company_id)
        self.addCleanup(self._cleanup, company_id)
        first_cr = self.registry.cursor()
        second_cr = self.registry.cursor()
        self.addCleanup(first_cr.close)
        self.addCleanup(second_cr.close)

        with self.assertNoLogs(LOGGER, "ERROR"):
            first_ids = self._compute(first_cr, company_id)
            self.assertTrue(first_ids, "the month has rows (count KPIs at zero)")

            # The first run holds the lock: the second waits (and gives up).
            second_cr.execute("SET LOCAL lock_timeout = '200ms'")
            # (odoo.sql_db logs every failed query, expected ones too)
            with self.assertRaises(errors.LockNotAvailable), mute_logger("odoo.sql_db"):
                self._compute(second_cr, company_id)
            second_cr.rollback()

            # The second run's snapshot predates the first one's commit.
            second_cr.execute("SELECT 1")
            first_cr.commit()
            with self.assertRaises(errors.SerializationFailure), mute_logger("odoo.sql_db"):
                self._compute(second_cr, company_id)
            second_cr.rollback()

            # Retried in a new transaction, as Odoo does.
            second_ids = self._compute(second_cr, company_id)
            second_cr.commit()

        self.assertEqual(sorted(second_ids), sorted(first_ids), "the same rows, updated in place")
        self.assertEqual(self._row_count(company_id), len(first_ids), "no duplicate, none missing")
