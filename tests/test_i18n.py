# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The add-on in Dutch, German, Romanian and Japanese.

The completeness of the files (every term of the add-on in the template,
every term translated in each language) is checked outside Odoo's runner by
``tools/i18n.py check``. These tests check that the translations reach the
user: data records, fields, selections and menus after the language is
loaded, Python messages, the XLSX board pack, and, in a real browser, the
dashboard, a goal form and the export wizard in Dutch.
"""

import io
import json
import re
from datetime import date

import polib
from openpyxl import load_workbook

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import file_path

from ..engine.periods import period_of
from .common import KpiCase, dt, tour_setup

LANGUAGES = {"nl_NL": "nl", "de_DE": "de", "ro_RO": "ro", "ja_JP": "ja"}


def catalog(lang):
    """{English: translation} of ``i18n/<lang>.po``."""
    path = file_path(f"crm_kpi/i18n/{LANGUAGES[lang]}.po")
    return {entry.msgid: entry.msgstr for entry in polib.pofile(path) if entry.msgstr}


def normalize(text):
    return re.sub(r"\s+", " ", text or "").strip()


def english_strings(lang):
    """The add-on's English strings a user of ``lang`` must not see: those
    whose translation differs from the English text (whitespace collapsed,
    as a browser shows it)."""
    return sorted(
        {
            normalize(msgid)
            for msgid, msgstr in catalog(lang).items()
            if normalize(msgid) != normalize(msgstr) and normalize(msgid)
        }
    )


def load_language(env, lang, modules=("crm_kpi",)):
    env["res.lang"]._activate_lang(lang)
    env["ir.module.module"].search(
        [("name", "in", list(modules)), ("state", "=", "installed")]
    )._update_translations(filter_lang=[lang])


@tagged("post_install", "-at_install")
class TestTranslations(KpiCase):
    def test_records_fields_and_menus_in_each_language(self):
        churn = self.env.ref("crm_kpi.crm_kpi_definition_churn")
        goal_menu = self.env.ref("crm_kpi.crm_kpi_goal_menu")
        Goal = self.env["crm.kpi.goal"]
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                load_language(self.env, lang)
                terms = catalog(lang)
                in_lang = churn.with_context(lang=lang)
                self.assertEqual(in_lang.name, terms[churn.name])
                self.assertEqual(in_lang.description, terms[churn.description])
                self.assertNotEqual(in_lang.name, churn.name)
                self.assertEqual(goal_menu.with_context(lang=lang).name, terms["Goals"])
                described = Goal.with_context(lang=lang).fields_get(["target_value", "status"])
                self.assertEqual(
                    described["target_value"]["string"], terms[Goal._fields["target_value"].string]
                )
                statuses = dict(described["status"]["selection"])
                self.assertEqual(statuses["at_risk"], terms["At Risk"])

    def test_python_messages_in_each_language(self):
        Dashboard = self.env["crm.kpi.dashboard"]
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                self.env["res.lang"]._activate_lang(lang)
                with self.assertRaises(UserError) as caught:
                    Dashboard.with_context(lang=lang).get_dashboard_data("fortnight")
                expected = catalog(lang)["Unknown period type %(type)s."] % {"type": "fortnight"}
                self.assertEqual(caught.exception.args[0], expected)

    def test_board_pack_in_dutch(self):
        # A small month of data so that every sheet has rows: one won and one
        # lost opportunity of team A in March 2026, and a goal.
        self._lead(
            "W", dt(2026, 3, 1), self.team_a, self.user_1, status="won", closed=dt(2026, 3, 10)
        )
        self._lead(
            "L", dt(2026, 3, 1), self.team_a, self.user_1, status="lost", closed=dt(2026, 3, 11)
        )
        self.Snapshot.compute_snapshots("month", date(2026, 3, 1), company_ids=[self.company.id])
        self.env["crm.kpi.goal"].with_company(self.company).create(
            {
                "name": "Meer deals winnen",
                "kpi_id": self.env.ref("crm_kpi.crm_kpi_definition_win_rate").id,
                "scope": "company",
                "company_id": self.company.id,
                "date_start": date(2026, 1, 1),
                "deadline": date(2026, 12, 31),
                "baseline_value": 20,
                "target_value": 40,
            }
        ).action_start()
        load_language(self.env, "nl_NL")
        options = {
            "date_from": "2026-03-01",
            "date_to": "2026-03-31",
            "period_type": "month",
            "company_id": self.company.id,
            "scope": "team",
            "team_ids": [],
            "user_ids": [],
            "kpi_ids": [],
            "include_goals": True,
            "include_definitions": True,
        }
        content, _kind = (
            self.env["ir.actions.report"]
            .with_context(lang="nl_NL")
            ._render("crm_kpi.report_kpi_board_pack", [], {"board_pack": options})
        )
        book = load_workbook(io.BytesIO(content))
        terms = catalog("nl_NL")
        self.assertIn(terms["Summary"], book.sheetnames)
        self.assertIn(terms["Definitions"], book.sheetnames)
        english = set(english_strings("nl_NL"))
        shown = set(book.sheetnames)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                shown.update(normalize(value) for value in row if isinstance(value, str))
        self.assertFalse(
            sorted(shown & english), "English strings of crm_kpi in the Dutch workbook"
        )
        self.assertIn(terms["Customer Churn Rate"], shown, "KPI names are translated")
        # Texts made of pieces: the subtitle, and periods in Dutch month names
        summary = book[terms["Summary"]]
        values_in = terms["values in %(currency)s"] % {"currency": self.company.currency_id.name}
        self.assertTrue(summary["A2"].value.endswith(values_in), summary["A2"].value)
        march = self.Snapshot.with_context(lang="nl_NL")._kpi_period_label(
            period_of("month", date(2026, 3, 1))
        )
        self.assertIn(march, ("mrt 2026", "mrt. 2026"))  # as Babel spells it
        self.assertEqual(summary["D4"].value, march)


@tagged("post_install", "-at_install")
class TestDutchTour(HttpCase):
    def test_dutch_tour(self):
        # Odoo's own Dutch too, so that the page is what a Dutch user sees.
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        load_language(self.env, "nl_NL", installed.mapped("name"))
        company, manager = tour_setup(
            self.env,
            "KPI Rondleiding BV",
            "kpi_dutch_manager",
            names=("Gewonnen deal", "Verloren deal"),
            lang="nl_NL",
        )
        today = fields.Date.context_today(self.env["crm.lead"])
        self.env["crm.kpi.snapshot"].compute_snapshots("month", today, company_ids=[company.id])
        goal = (
            self.env["crm.kpi.goal"]
            .with_user(manager)
            .with_company(company)
            .create(
                {
                    "name": "Meer deals winnen",
                    "kpi_id": self.env.ref("crm_kpi.crm_kpi_definition_win_rate").id,
                    "scope": "company",
                    "company_id": company.id,
                    "date_start": today.replace(month=1, day=1),
                    "deadline": today.replace(month=12, day=31),
                    "baseline_value": 20,
                    "target_value": 90,
                }
            )
        )
        goal.action_start()
        options = {
            "stepDelay": 0,
            "keepWatchBrowser": False,
            "debug": False,
            "startUrl": "/odoo/crm-kpis",
            "delayToCheckUndeterminisms": 0,
        }
        english = json.dumps(json.dumps(english_strings("nl_NL")))
        self.start_tour(
            "/odoo/crm-kpis",
            "crm_kpi_dutch_tour",
            login=manager.login,
            code=(
                f"sessionStorage.setItem('crm_kpi_english', {english}); "
                f"odoo.startTour('crm_kpi_dutch_tour', {json.dumps(options)})"
            ),
        )
