from . import crm_kpi_definition
from . import crm_kpi_cost
from . import crm_kpi_traffic
