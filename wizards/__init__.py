from . import crm_kpi_backfill_wizard
from . import crm_kpi_export_wizard
