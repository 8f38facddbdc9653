from . import crm_kpi_definition
from . import crm_kpi_cost
from . import crm_kpi_feedback
from . import crm_kpi_traffic
from . import survey_question
from . import survey_user_input
