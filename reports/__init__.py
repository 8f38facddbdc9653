from . import crm_kpi_xlsx
