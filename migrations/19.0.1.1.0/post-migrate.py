# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""19.0.1.1.0: KPI Users edit only their own salesperson goals and the goals
of the teams they lead.

``security/crm_kpi_security.xml`` is ``noupdate``: the new edit rule
``crm_kpi_goal_rule_own_edit`` is created by the upgrade, but the existing
``crm_kpi_goal_rule_own`` keeps its old rights (read, write, create, delete)
unless this script makes it read only.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("crm_kpi.crm_kpi_goal_rule_own", raise_if_not_found=False)
    if rule:
        rule.write(
            {
                "name": "KPI goals: read own goals",
                "perm_read": True,
                "perm_write": False,
                "perm_create": False,
                "perm_unlink": False,
            }
        )
