# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.tests import tagged

from ..engine.periods import period_of
from .common import KpiCase, dt


@tagged("post_install", "-at_install")
class TestResolutionTime(KpiCase):
    """``resolution_time`` on the tickets of OCA ``helpdesk_mgmt`` (installed
    beside crm_kpi by ``tools/run_tests.py``; skipped without it).

    Tickets of the test company (UTC), hours from creation to closing:

    ====  ======  ================  ================  =====  ===========
    name  user    created           closed            hours  counts in
    ====  ======  ================  ================  =====  ===========
    T1    user 1  2026-03-02 08:00  2026-03-02 20:00     12  March
    T2    user 1  2026-02-25 10:00  2026-03-03 10:00    144  March
    T3    user 2  2026-03-10 09:00  2026-03-11 15:00     30  March
    T4    nobody  2026-03-20 00:00  2026-03-20 06:00      6  March
    T5    user 2  2026-03-15 00:00  2026-03-15 12:00     12  March (archived)
    T6    user 2  2026-03-25 09:00  still open            -  never
    T7    user 1  2026-03-28 12:00  2026-04-01 00:00     84  April
    T8    user 1  2026-05-04 09:00  2026-05-04 09:00      0  May
    X1    other   2026-03-05 09:00  2026-03-06 09:00     24  other company
    ====  ======  ================  ================  =====  ===========

    March: (12 + 144 + 30 + 6 + 12) / 5 = 204 / 5 = 40.8 h; user 1:
    156 / 2 = 78 h; user 2: 42 / 2 = 21 h; nobody: 6 / 1 = 6 h.
    April: 84 / 1 = 84 h (T7 closed at the first instant of April).
    May: 0 / 1 = 0 h, a real zero. February: nothing closed, no value.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "helpdesk.ticket" not in cls.env:
            cls.skipTest(cls, "helpdesk_mgmt is not installed")
        cls.definition = cls.env.ref("crm_kpi.crm_kpi_definition_resolution_time")
        other = cls.env["res.company"].create({"name": "KPI Helpdesk Other Co"})
        u1, u2 = cls.user_1, cls.user_2
        cls.tickets = {}
        for name, user, created, closed, company in (
            ("T1", u1, dt(2026, 3, 2, 8), dt(2026, 3, 2, 20), cls.company),
            ("T2", u1, dt(2026, 2, 25, 10), dt(2026, 3, 3, 10), cls.company),
            ("T3", u2, dt(2026, 3, 10, 9), dt(2026, 3, 11, 15), cls.company),
            ("T4", None, dt(2026, 3, 20), dt(2026, 3, 20, 6), cls.company),
            ("T5", u2, dt(2026, 3, 15), dt(2026, 3, 15, 12), cls.company),
            ("T6", u2, dt(2026, 3, 25, 9), None, cls.company),
            ("T7", u1, dt(2026, 3, 28, 12), dt(2026, 4, 1), cls.company),
            ("T8", u1, dt(2026, 5, 4, 9), dt(2026, 5, 4, 9), cls.company),
            ("X1", None, dt(2026, 3, 5, 9), dt(2026, 3, 6, 9), other),
        ):
            cls.tickets[name] = cls._ticket(name, user, created, closed, company)
        cls.tickets["T5"].active = False

    @classmethod
    def _ticket(cls, name, user, created, closed, company):
        ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": name,
                "description": f"<p>{name}</p>",
                "company_id": company.id,
                "user_id": user.id if user else False,
            }
        )
        if closed:
            ticket.stage_id = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls._set_dates(ticket, create_date=created, closed_date=closed)
        return ticket

    def test_offered_with_helpdesk(self):
        self.assertTrue(self.definition.is_available)
        self.assertEqual(
            self.env["crm.kpi.engine"]._allowed_dimensions(self.definition), {"company", "user"}
        )

    def test_resolution_time(self):
        march = self.compute("resolution_time", "month", date(2026, 3, 1))
        self.assertKpi(self.row(march), 204, 5, 40.8)
        self.assertKpi(self.row(march, "user", user_id=self.user_1), 156, 2, 78)
        self.assertKpi(self.row(march, "user", user_id=self.user_2), 42, 2, 21)
        self.assertKpi(self.row(march, "user", user_id=self.env["res.users"]), 6, 1, 6)
        self.assertEqual(set(march.mapped("dimension")), {"company", "user"})
        self.assertKpi(
            self.row(self.compute("resolution_time", "month", date(2026, 4, 1))), 84, 1, 84
        )
        # a ticket closed when it was created: a real 0, not "no value"
        self.assertKpi(
            self.row(self.compute("resolution_time", "month", date(2026, 5, 1))), 0, 1, 0
        )

    def test_nothing_closed(self):
        february = self.compute("resolution_time", "month", date(2026, 2, 1))
        self.assertKpi(self.row(february), 0, 0, None)
        self.assertEqual(february.mapped("dimension"), ["company"])
        self.assertEqual(
            self.env["crm.kpi.engine"]._empty_reason_of(self.definition),
            "No ticket was closed in this period.",
        )

    def test_quarter(self):
        # Q1 2026 holds March; T7 (April 1st) is in Q2 with T8: (84 + 0) / 2
        self.assertKpi(
            self.row(self.compute("resolution_time", "quarter", date(2026, 1, 1))), 204, 5, 40.8
        )
        self.assertKpi(
            self.row(self.compute("resolution_time", "quarter", date(2026, 4, 1))), 84, 2, 42
        )

    def test_records_behind_a_value(self):
        engine = self.env["crm.kpi.engine"]
        window = engine._make_window(self.company, period_of("month", date(2026, 3, 1)))
        Ticket = self.env["helpdesk.ticket"].with_context(active_test=False)

        def listed(row=None):
            model, domain = engine._kpi_resolution_time_records(self.definition, window, row)
            self.assertEqual(model, "helpdesk.ticket")
            return set(Ticket.search(domain).mapped("name"))

        self.assertEqual(listed(), {"T1", "T2", "T3", "T4", "T5"})
        self.assertEqual(listed({"dimension": "user", "user_id": self.user_1.id}), {"T1", "T2"})
        self.assertEqual(listed({"dimension": "user", "user_id": False}), {"T4"})
        self.assertEqual(listed({"dimension": "company"}), listed())

    def test_dashboard_card(self):
        self.compute("resolution_time", "month", date(2026, 3, 1))
        Dashboard = self.env["crm.kpi.dashboard"].with_company(self.company)

        def card(**scope):
            cards = Dashboard.get_dashboard_data("month", "2026-03-15", **scope)["cards"]
            return next(c for c in cards if c["code"] == "resolution_time")

        self.assertAlmostEqual(card()["value"], 40.8)
        self.assertAlmostEqual(card(user_id=self.user_1.id)["value"], 78)
        self.assertEqual(card()["unit"], "hours")

    def test_queries_do_not_grow_with_tickets(self):
        def count_queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.compute("resolution_time", "month", date(2026, 3, 1))
            return self.env.cr.sql_log_count - before

        count_queries()  # warm the caches
        few = count_queries()
        for index in range(5):
            self._ticket(f"More {index}", self.user_2, dt(2026, 3, 3), dt(2026, 3, 4), self.company)
        count_queries()  # the caches again (creating tickets may clear some)
        self.assertEqual(count_queries(), few)


@tagged("post_install", "-at_install")
class TestKpiWithoutItsModel(KpiCase):
    """A KPI whose ``required_model`` is not installed (``resolution_time``
    without helpdesk_mgmt) is neither computed, split nor shown."""

    def test_hidden_without_its_model(self):
        definition = self.env.ref("crm_kpi.crm_kpi_definition_resolution_time")
        definition.required_model = "crm_kpi.model.never.installed"
        self.assertFalse(definition.is_available)
        self.assertEqual(self.env["crm.kpi.engine"]._allowed_dimensions(definition), {"company"})
        self.assertFalse(self.compute("resolution_time", "month", date(2026, 3, 1)))
        cards = (
            self.env["crm.kpi.dashboard"]
            .with_company(self.company)
            .get_dashboard_data("month", "2026-03-15")["cards"]
        )
        self.assertNotIn("resolution_time", [card["code"] for card in cards])
