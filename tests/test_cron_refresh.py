# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date, datetime, time, timedelta

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.crm_kpi.models.crm_kpi_snapshot import REFRESH_RUN_PARAM

# A night after every snapshot the database holds (the demo computes its
# history at install time, "now"), so that what the test computes is told
# apart by its computed_at.
RUN_DAY = date.today() + timedelta(days=400)
T0 = datetime.combine(RUN_DAY, time(2, 0))
HOUR = timedelta(hours=1)


@tagged("post_install", "-at_install")
class TestCronRefreshResume(TransactionCase):
    """The nightly refresh, called the way Odoo's scheduler calls it: one call
    per ``ir.cron.progress`` record, a call stopped by its time budget
    (``cron_end_time``) after the unit it is in, and called again while units
    remain. Commits go to savepoints of the test (registry test mode), as in
    Odoo's own cron tests."""

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("crm_kpi.ir_cron_crm_kpi_refresh")

    def _call(self, env, stop_after_one_unit):
        """One call of the scheduled action; returns its progress record."""
        cron = env["ir.cron"].browse(self.cron.id).with_context(cron_id=self.cron.id)
        cron, progress = cron._add_progress()
        snapshots = env["crm.kpi.snapshot"].with_env(cron.env)
        if stop_after_one_unit:
            # The time budget is spent: _commit_progress returns 0 after the
            # first unit, as when a run reaches the end of its time.
            snapshots = snapshots.with_context(cron_end_time=0)
        snapshots._cron_refresh()
        return progress

    def _units(self, env):
        """{(company id, period type, first day): (first, last computed_at)}
        of the company rows computed since T0."""
        rows = env.execute_query(
            SQL(
                """SELECT company_id, period_type, date_start, MIN(computed_at), MAX(computed_at)
                 FROM crm_kpi_snapshot
                WHERE dimension = 'company' AND computed_at >= %s
             GROUP BY company_id, period_type, date_start""",
                T0,
            )
        )
        return {(c, p, d): (first, last) for c, p, d, first, last in rows}

    def test_interrupted_refresh_resumes_with_the_units_left(self):
        """Units are (company, period): the current day, week, month, quarter
        and year of RUN_DAY and, until they are final, the previous ones,
        for every company: N units.

        Call 1 at 02:00 stops after one unit; call 2 at 03:00 computes one
        more (not the first again); call 3 at 04:00 computes the N - 2 left.
        Each unit is computed exactly once: its rows all carry the time of
        the one call that computed it. Then the run is over (the parameter is
        gone), and a new call at 05:00 is a new run computing all N again."""
        with (
            freeze_time(T0) as frozen,
            self.enter_registry_test_mode(),
            self.registry.cursor() as cr,
        ):
            env = self.env(cr=cr)
            expected = {
                (company.id, period.period_type, period.date_start)
                for company, period in env["crm.kpi.snapshot"]._refresh_units(RUN_DAY)
            }
            self.assertGreaterEqual(len(expected), 5)

            first = self._call(env, stop_after_one_unit=True)
            self.assertEqual((first.done, first.remaining), (1, len(expected) - 1))
            after_first = self._units(env)
            self.assertEqual(len(after_first), 1, "one whole unit, nothing of the others")
            (unit_1,) = after_first
            self.assertEqual(after_first[unit_1], (T0, T0))
            self.assertTrue(env["ir.config_parameter"].get_param(REFRESH_RUN_PARAM))

            frozen.tick(HOUR)
            second = self._call(env, stop_after_one_unit=True)
            self.assertEqual((second.done, second.remaining), (1, len(expected) - 2))
            after_second = self._units(env)
            self.assertEqual(after_second[unit_1], (T0, T0), "the first unit is not recomputed")
            self.assertEqual(len(after_second), 2)

            frozen.tick(HOUR)
            third = self._call(env, stop_after_one_unit=False)
            self.assertEqual((third.done, third.remaining), (len(expected) - 2, 0))
            after_third = self._units(env)
            self.assertEqual(set(after_third), expected)
            self.assertEqual(after_third[unit_1], (T0, T0))
            times = sorted(first for first, _last in after_third.values())
            self.assertEqual(times.count(T0 + 2 * HOUR), len(expected) - 2)
            for first_time, last_time in after_third.values():
                self.assertEqual(first_time, last_time, "every row of a unit from one call")
            self.assertFalse(env["ir.config_parameter"].get_param(REFRESH_RUN_PARAM))

            # A complete unit: the rows of the first unit are those of the
            # same unit computed in one go.
            company_id, period_type, day = unit_1
            kpis = env.execute_query(
                SQL(
                    """SELECT kpi_code, dimension, numerator, denominator FROM crm_kpi_snapshot
                    WHERE company_id = %s AND period_type = %s AND date_start = %s
                 ORDER BY 1, 2, 3, 4""",
                    company_id,
                    period_type,
                    day,
                )
            )
            env["crm.kpi.snapshot"]._compute_snapshots(period_type, day, company_ids=[company_id])
            self.assertEqual(
                kpis,
                env.execute_query(
                    SQL(
                        """SELECT kpi_code, dimension, numerator, denominator FROM crm_kpi_snapshot
                    WHERE company_id = %s AND period_type = %s AND date_start = %s
                 ORDER BY 1, 2, 3, 4""",
                        company_id,
                        period_type,
                        day,
                    )
                ),
            )

            # The next run starts over.
            frozen.tick(HOUR)
            current = {
                (company.id, period.period_type, period.date_start)
                for company, period in env["crm.kpi.snapshot"]._refresh_units(RUN_DAY)
            }
            fourth = self._call(env, stop_after_one_unit=False)
            recomputed = {
                unit
                for unit, (first_time, _last) in self._units(env).items()
                if first_time == T0 + 3 * HOUR
            }
            self.assertEqual(recomputed, current, "every open period, the closed ones stay")
            self.assertEqual((fourth.done, fourth.remaining), (len(current), 0))

    def test_unfinished_run_of_an_earlier_day_is_not_resumed(self):
        """A run left unfinished yesterday does not make today's run skip the
        units it computed: today's run computes every unit."""
        with (
            freeze_time(T0 - 24 * HOUR) as frozen,
            self.enter_registry_test_mode(),
            self.registry.cursor() as cr,
        ):
            env = self.env(cr=cr)
            self._call(env, stop_after_one_unit=True)
            self.assertTrue(env["ir.config_parameter"].get_param(REFRESH_RUN_PARAM))
            frozen.move_to(T0)
            units = env["crm.kpi.snapshot"]._refresh_units(RUN_DAY)
            today = self._call(env, stop_after_one_unit=False)
            self.assertEqual((today.done, today.remaining), (len(units), 0))
