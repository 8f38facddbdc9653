# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Fill the ledgers from the chatter history of existing records, then
    the customer KPI fields of every commercial partner (demo data
    included: Odoo runs this hook after loading it)."""
    stays = env["crm.kpi.stage.stay"]._kpi_backfill_stage_stays()
    movements = env["crm.kpi.subscription.movement"]._kpi_backfill_subscription_movements()
    customers = env["res.partner"]._kpi_refresh_changed_customers()
    _logger.info(
        "crm_kpi: back-filled %s lead stage stays and %s subscription movements, "
        "computed the KPI fields of %s commercial partners",
        stays,
        movements,
        len(customers),
    )
