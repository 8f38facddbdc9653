# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from lxml import etree

from odoo.tests import TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval

from ..engine.goals import GOAL_STATUSES


@tagged("post_install", "-at_install")
class TestGoalViewColours(TransactionCase):
    """One colour per goal status in the kanban column bar, the badges of
    the kanban cards and the list (on track teal, achieved green, at risk
    amber, off track and missed red)."""

    def _arch(self, xmlid):
        return etree.fromstring(self.env.ref(xmlid).arch)

    @staticmethod
    def _decorations(node):
        """{status: colour} of the decoration-* attributes of ``node``."""
        colours = {}
        for name, expression in node.attrib.items():
            if not name.startswith("decoration-"):
                continue
            for status in GOAL_STATUSES:
                if safe_eval(expression, {"status": status}):
                    colours[status] = name.removeprefix("decoration-")
        return colours

    def test_status_colours_agree(self):
        kanban = self._arch("crm_kpi.crm_kpi_goal_view_kanban")
        bar = json.loads(kanban.find(".//progressbar").get("colors"))
        self.assertEqual(
            bar,
            {
                "on_track": "info",
                "at_risk": "warning",
                "off_track": "danger",
                "missed": "danger",
                "achieved": "success",
            },
        )
        badges = [
            *kanban.iterfind(".//field[@name='status'][@widget='badge']"),
            *self._arch("crm_kpi.crm_kpi_goal_view_list").iterfind(
                ".//field[@name='status'][@widget='badge']"
            ),
        ]
        self.assertEqual(len(badges), 2)
        for badge in badges:
            self.assertEqual(self._decorations(badge), bar)
        rows = self._decorations(self._arch("crm_kpi.crm_kpi_goal_view_list"))
        self.assertEqual(
            {status: colour for status, colour in rows.items() if status != "draft"},
            {status: colour for status, colour in bar.items() if status != "on_track"},
        )
