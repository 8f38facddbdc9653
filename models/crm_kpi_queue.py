# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Scale-out with OCA ``queue_job`` (optional: not a dependency).

When ``queue_job`` is installed and its job runner runs in this server
(``--load=web,queue_job``), the long KPI work is cut into units that every
worker of every host can compute in parallel:

- the back-fill wizard's background computation (``crm.kpi.compute.request``)
  enqueues one job per company × chunk of periods (a ``crm.kpi.compute.unit``
  each, whose progress the request shows);
- the nightly refresh enqueues one job per company and period.

The jobs go to the channel ``root.crm_kpi`` (its capacity, in the server's
``[queue_job]`` configuration, is how many run at once), with an identity
key so that the same unit is never queued twice, and are retried by
``queue_job`` on transaction conflicts. Each job builds the run's temporary
tables in its own transaction. Without ``queue_job`` (or without its runner)
nothing changes: the scheduled actions compute in their own process.
"""

import configparser
import logging
import os

from odoo import api, fields, models
from odoo.tools import config

_logger = logging.getLogger(__name__)

CHANNEL = "root.crm_kpi"
#: Retries of a job that fails with a transaction conflict (queue_job's default is 5).
MAX_RETRIES = 5


def _configured_channels():
    """The ``channels`` of the ``[queue_job]`` section of the server's
    configuration file, or ""."""
    path = config.get("config")
    if not path or not os.path.exists(path):
        return ""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser.get("queue_job", "channels", fallback="")


class CrmKpiSnapshotQueue(models.Model):
    _inherit = "crm.kpi.snapshot"

    @api.model
    def _kpi_use_queue(self):
        """Whether KPI work goes through queue_job: it is installed, its job
        runner is loaded by this server (else the jobs would never run), and
        the context does not say otherwise (``crm_kpi_queue``: True or
        False forces it, e.g. in tests)."""
        forced = self.env.context.get("crm_kpi_queue")
        if forced is not None:
            return bool(forced) and "queue.job" in self.env
        return "queue.job" in self.env and "queue_job" in config["server_wide_modules"]

    @api.model
    def _kpi_queue_capacity(self):
        """How many KPI jobs run at once: the capacity of ``root.crm_kpi``
        (else of ``root``) in queue_job's channels (the environment variable
        ``ODOO_QUEUE_JOB_CHANNELS`` or the ``[queue_job]`` section of the
        server's configuration), 1 when it says nothing."""
        text = os.environ.get("ODOO_QUEUE_JOB_CHANNELS") or _configured_channels()
        capacities = {}
        for part in text.split(","):
            name, _sep, rest = part.strip().partition(":")
            number = rest.split(":")[0].strip()
            if number.isdigit():
                capacities[name.strip()] = int(number)
        return max(1, capacities.get(CHANNEL) or capacities.get("root") or 1)

    @api.model
    def _kpi_delayable(self, records, identity_key, description, priority=10):
        """``records.with_delay(...)`` on the KPI channel."""
        return records.with_delay(
            channel=CHANNEL,
            identity_key=identity_key,
            description=description,
            max_retries=MAX_RETRIES,
            priority=priority,
        )

    # ------------------------------------------------------------------
    # Nightly refresh
    # ------------------------------------------------------------------
    @api.model
    def _cron_refresh(self):
        if not self._kpi_use_queue():
            return super()._cron_refresh()
        today = fields.Date.context_today(self)
        units = self._refresh_units(today)
        for company, period in units:
            self._kpi_delayable(
                self.with_company(company),
                identity_key=(
                    f"crm_kpi.refresh:{company.id}:{period.period_type}:{period.date_start}:{today}"
                ),
                description=self.env._(
                    "KPIs of %(company)s, %(period)s", company=company.name, period=period.label
                ),
            )._kpi_job_refresh(company.id, period.period_type, str(period.date_start))
        _logger.info("KPI refresh: %d jobs queued on %s", len(units), CHANNEL)
        return None

    @api.model
    def _kpi_job_refresh(self, company_id, period_type, date_start):
        """The job of one refresh unit: one company and period."""
        company = self.env["res.company"].browse(company_id).exists()
        if not company:
            return "company deleted"
        snapshots, errors = self.with_company(company)._compute_snapshots(
            period_type, date_start, company_ids=company.ids
        )
        return f"{len(snapshots)} values, {len(errors)} failures"
