import logging

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Fill the ledgers from the chatter history of existing records."""
    stays = env["crm.kpi.stage.stay"]._kpi_backfill_stage_stays()
    movements = env[
        "crm.kpi.subscription.movement"
    ]._kpi_backfill_subscription_movements()
    _logger.info(
        "crm_kpi: back-filled %s lead stage stays and %s subscription movements",
        stays,
        movements,
    )
