# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime

from odoo.tests import TransactionCase, new_test_user
from odoo.tools import SQL


class KpiCase(TransactionCase):
    """A company of its own (so Odoo's demo data never leaks into the
    numbers), in UTC, with two sales teams and two salespeople."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "KPI Test Co"})
        cls.company.partner_id.tz = "UTC"
        cls.env.user.company_ids |= cls.company
        cls.user_1 = new_test_user(
            cls.env,
            "kpi_seller_1",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.user_2 = new_test_user(
            cls.env,
            "kpi_seller_2",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.team_a = cls.env["crm.team"].create({"name": "Team A", "company_id": cls.company.id})
        cls.team_b = cls.env["crm.team"].create({"name": "Team B", "company_id": cls.company.id})
        cls.Snapshot = cls.env["crm.kpi.snapshot"]

    @classmethod
    def _company_in_eur(cls, usd_rates):
        """Switch the test company to EUR, give it its own USD rates
        ({date: USD per EUR}) and a USD pricelist (``cls.usd_pricelist``)."""
        cls.eur = cls.env.ref("base.EUR")
        cls.usd = cls.env.ref("base.USD")
        (cls.eur | cls.usd).active = True
        cls.company.currency_id = cls.eur
        cls.env["res.currency.rate"].create(
            [
                {"currency_id": cls.usd.id, "company_id": cls.company.id, "name": day, "rate": rate}
                for day, rate in usd_rates.items()
            ]
        )
        cls.usd_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "KPI USD",
                "currency_id": cls.usd.id,
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _lead(
        cls,
        name,
        created,
        team=None,
        user=None,
        lead_type="opportunity",
        status="pending",
        closed=None,
        **vals,
    ):
        """A lead created at ``created`` and, for status won/lost, closed at
        ``closed`` (naive UTC datetimes)."""
        lead = cls.env["crm.lead"].create(
            {
                "name": name,
                "type": lead_type,
                "company_id": cls.company.id,
                "team_id": team.id if team else False,
                "user_id": user.id if user else False,
                **vals,
            }
        )
        if status == "won":
            lead.action_set_won()
        elif status == "lost":
            lead.action_set_lost()
        cls._set_dates(lead, create_date=created, date_closed=closed)
        return lead

    @classmethod
    def _set_dates(cls, records, **columns):
        """Set magic or readonly date columns directly in the database."""
        records.flush_recordset()
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(column), value) for column, value in columns.items()
        )
        cls.env.execute_query(
            SQL(
                "UPDATE %s SET %s WHERE id IN %s",
                SQL.identifier(records._table),
                assignments,
                tuple(records.ids),
            )
        )
        records.invalidate_recordset()

    def compute(self, code, period_type, day, **kwargs):
        return self.Snapshot.compute_snapshots(
            period_type, day, kpi_codes=[code], company_ids=[self.company.id], **kwargs
        )

    def row(self, snapshots, dimension="company", **dims):
        """The single snapshot of ``dimension`` (and dimension value)."""
        found = snapshots.filtered(
            lambda s: s.dimension == dimension
            and all(s[field] == value for field, value in dims.items())
        )
        self.assertEqual(len(found), 1, f"one {dimension} row expected for {dims}")
        return found

    def assertKpi(self, snapshot, numerator, denominator, value):
        self.assertAlmostEqual(snapshot.numerator, numerator, places=4)
        self.assertAlmostEqual(snapshot.denominator, denominator, places=4)
        if value is None:
            self.assertFalse(snapshot.has_value, "no value expected (zero denominator)")
        else:
            self.assertTrue(snapshot.has_value)
            self.assertAlmostEqual(snapshot.value, value, places=2)


def dt(*args):
    return datetime(*args)


def tour_setup(env, company_name, login, names=("Tour won", "Tour lost"), **user_vals):
    """A company in UTC with one won and one lost opportunity (named
    ``names``), a KPI manager of it and today's monthly snapshots, for the
    browser tours. Returns (company, manager)."""
    company = env["res.company"].create({"name": company_name})
    company.partner_id.tz = "UTC"
    manager = new_test_user(
        env,
        login,
        groups="crm_kpi.crm_kpi_group_manager,sales_team.group_sale_manager",
        company_id=company.id,
        company_ids=[company.id],
        tz="UTC",
        **user_vals,
    )
    won, lost = env["crm.lead"].create(
        [{"name": name, "type": "opportunity", "company_id": company.id} for name in names]
    )
    won.action_set_won()
    lost.action_set_lost()
    return company, manager
