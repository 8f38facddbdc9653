from . import crm_kpi_definition
from . import crm_kpi_stage_stay
from . import crm_kpi_subscription_movement
from . import crm_lead
from . import sale_subscription
from . import sale_subscription_line
from . import sale_subscription_template
