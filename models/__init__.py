from . import crm_kpi_definition
from . import crm_kpi_engine
from . import crm_kpi_snapshot
from . import res_company
