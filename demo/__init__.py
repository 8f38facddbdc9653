# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
# Demo-only code: the history generator that demo/crm_kpi_demo.xml calls at
# install. Nothing of the add-on calls it otherwise.
from . import crm_kpi_snapshot
