from . import crm_kpi_backfill_wizard
