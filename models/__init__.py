from . import crm_kpi_definition
