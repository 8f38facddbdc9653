from . import test_definition
from . import test_security
from . import test_kpi_pipeline
from . import test_snapshot
from . import test_kpi_customers
from . import test_kpi_adoption
from . import test_inputs
from . import test_kpi_feedback
