# Demo-only code: the history generator that demo/crm_kpi_demo.xml calls at
# install. Nothing of the add-on calls it otherwise.
from . import crm_kpi_snapshot
