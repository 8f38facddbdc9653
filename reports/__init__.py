from . import crm_kpi_xlsx
from . import crm_kpi_xlsx_sheets
from . import crm_kpi_xlsx_cohorts
