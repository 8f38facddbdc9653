# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Apps page (static/description/index.html) is the one tools/gen_readme.py
writes from readme/ and the manifest; run by tools/run_tests.py with the
engine tests (no Odoo)."""

import re
import unittest
from pathlib import Path

import gen_readme

DESCRIPTION = Path(gen_readme.__file__).resolve().parent.parent / "static" / "description"


class TestAppsPage(unittest.TestCase):
    def test_index_html_is_up_to_date(self):
        self.assertEqual(
            gen_readme.INDEX.read_text(encoding="utf-8"),
            gen_readme.render(),
            "static/description/index.html is stale: run python tools/gen_readme.py",
        )

    def test_every_screenshot_is_shown(self):
        shown = set(re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', gen_readme.render()))
        screenshots = {path.name for path in DESCRIPTION.glob("*.png")} - {"icon.png"}
        self.assertGreaterEqual(len(screenshots), 6)
        self.assertEqual(shown, screenshots)

    def test_fragment_conversion(self):
        # the headings of a fragment sit under the page's <h2> sections; an
        # image written for GitHub (../static/description/x.png) is named as
        # Odoo serves it (x.png, from the module's static/description/)
        html = gen_readme.to_html(
            "## Settings\n\nSee ![Chart](../static/description/chart.png) and `code`.\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
        self.assertIn("<h3>Settings</h3>", html)
        self.assertIn('<img class="img-fluid" alt="Chart" src="chart.png">', html)
        self.assertIn("<code>code</code>", html)
        self.assertIn("<td>1</td>", html)

    def test_every_fragment_is_on_the_page(self):
        page = gen_readme.render()
        for name, title in gen_readme.SECTIONS:
            self.assertTrue((gen_readme.README / name).is_file(), name)
            if title:
                self.assertIn(f"<h2>{title}</h2>", page)
        self.assertIn("<h3>Contributors</h3>", page)
        self.assertIn("<li>crm-kpi</li>", page)  # the manifest's maintainers
