# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Deterministic generator of a realistic CRM for the crm_kpi benchmark.

Run inside Odoo's environment, on a database where crm_kpi is installed
without demo data (``tools/kpi bench SIZE`` does all of it)::

    python bench/generate.py --size S [--seed 42] [--today 2026-11-22] \\
        -- --addons-path=... -d crm_kpi_bench_s

Base records (companies and their charts of accounts, currencies,
salespeople, teams, UTM records, products, pricelists, subscription
templates in subscription_oca's ``invoice`` and ``sale_and_invoice`` modes)
are created through the ORM. Bulk rows (partners, leads and their stage
stays, sale orders and lines, subscriptions, their lines and movements,
customer invoices of part of the orders, direct invoices, credit notes, the
recurring invoices and orders subscription_oca generates, costs, feedback,
web traffic, logins, currency rates) are computed in Python from a seeded
``random.Random`` and written with COPY into a staging table, then moved
with one ``INSERT … SELECT`` per table. Columns the generator does not set
are copied from a *template record* of the same model created through the
ORM (and deleted at the end), so every NOT NULL column and default holds
what Odoo itself would hold. Stored computed fields are written
consistently (won status, probability, active, closing date and stage of
leads; commercial partner; order amounts equal to their lines; MRR of
subscriptions equal to their lines and to their last movement). Invoices,
credit notes and the documents of subscriptions are copies of samples that
Odoo's and subscription_oca's own flows made (``_create_invoices``,
``_reverse_moves``, ``generate_invoice``, which also renders and e-mails the
invoice: wkhtmltopdf must be installed): see :meth:`Generator.documents`.
"""

import argparse
import bisect
import io
import logging
import math
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SIZES, odoo_env_args, odoo_environment  # noqa: E402

_logger = logging.getLogger("crm_kpi.bench.generate")

YEARS = 3
PARAM_KEY = "crm_kpi.bench_generated"
YEAR = relativedelta(years=1)


# ----------------------------------------------------------------------
# Low-level writing
# ----------------------------------------------------------------------
def _copy_value(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, float):
        return repr(round(value, 6))
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def reserve_ids(cr, table, count):
    """Reserve ``count`` consecutive ids of ``table``'s sequence; return the first."""
    cr.execute(f"SELECT nextval('{table}_id_seq')")
    first = cr.fetchone()[0]
    if count > 1:
        cr.execute(f"SELECT setval('{table}_id_seq', %s)", [first + count - 1])
    return first


def bulk_insert(cr, table, columns, rows, template_id=None):
    """Insert ``rows`` (tuples of ``columns``) into ``table`` with COPY; the
    other columns come from the row ``template_id`` of the same table (or
    their database default when no template is given)."""
    rows = list(rows)
    if not rows:
        return 0
    cr.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    table_columns = cr.fetchall()
    types = dict(table_columns)
    staging = f"bench_stage_{table}"
    cr.execute(f"DROP TABLE IF EXISTS {staging}")
    cr.execute(
        "CREATE TEMP TABLE {} ({})".format(
            staging,
            ", ".join(
                f'"{c}" {types[c] if types[c] != "USER-DEFINED" else "text"}' for c in columns
            ),
        )
    )
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(_copy_value(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    cr._obj.copy_expert(f"COPY {staging} FROM STDIN", buf)
    if template_id is None:
        cols = ", ".join(f'"{c}"' for c in columns)
        cr.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging}")
    else:
        names = [c for c, _t in table_columns if c != "id" or "id" in columns]
        select = ", ".join(f's."{c}"' if c in columns else f't."{c}"' for c in names)
        cols = ", ".join(f'"{c}"' for c in names)
        cr.execute(
            f"INSERT INTO {table} ({cols}) SELECT {select} FROM {staging} s "
            f"CROSS JOIN (SELECT * FROM {table} WHERE id = %s) t",
            [template_id],
        )
    cr.execute(f"DROP TABLE {staging}")
    return len(rows)


# ----------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------
class Generator:
    def __init__(self, env, size, seed, today):
        self.env = env
        self.cr = env.cr
        self.size = size
        self.rng = random.Random(seed)
        self.today = today
        self.now = datetime.combine(today, datetime.min.time()) + timedelta(hours=7)
        self.start = today - relativedelta(years=YEARS)
        self.counts = {}

    # -- helpers --------------------------------------------------------
    def rand_datetime(self, start, end):
        span = (end - start).total_seconds()
        return start + timedelta(seconds=int(self.rng.random() * span))

    def weighted(self, items, weights):
        return self.rng.choices(items, weights)[0]

    def log(self, what, count):
        self.counts[what] = self.counts.get(what, 0) + count

    # -- base records through the ORM -----------------------------------
    def setup_base(self):
        env = self.env
        usd = env.ref("base.USD")
        eur = env.ref("base.EUR")
        eur.active = True
        usd.active = True
        company1 = env.ref("base.main_company")
        company1.write({"name": "Bench Corp US", "currency_id": usd.id})
        company1.partner_id.tz = "America/New_York"
        company2 = env["res.company"].search([("name", "=", "Bench Corp EU")]) or env[
            "res.company"
        ].create({"name": "Bench Corp EU", "currency_id": eur.id})
        company2.partner_id.tz = "Europe/Brussels"
        self.companies = [company1, company2]
        self.usd, self.eur = usd, eur
        env.user.company_ids = [(4, company2.id)]
        # Invoices need a chart of accounts and a sales journal per company.
        self.sale_journal = {}
        for company in self.companies:
            env["account.chart.template"].try_loading(
                "generic_coa", company=company, install_demo=False
            )
            self.sale_journal[company.id] = env["account.journal"].search(
                [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
            )

        salesman = env.ref("sales_team.group_sale_salesman")
        kpi_user = env.ref("crm_kpi.crm_kpi_group_user")
        self.teams = {}  # company id -> list of (team, [users])
        self.users = []
        # Three teams per company at every size, so that the engine's query
        # count can be compared across sizes.
        n_teams = 3
        per_company = [
            max(n_teams, math.ceil(self.size.salespeople * 0.7)),
            max(n_teams, self.size.salespeople // 3),
        ]
        for company, n_users in zip(self.companies, per_company, strict=False):
            teams = []
            for t in range(n_teams):
                team = env["crm.team"].create(
                    {
                        "name": f"{company.name} Team {t + 1}",
                        "company_id": company.id,
                        "invoiced_target": 20000 * (t + 1),
                    }
                )
                teams.append((team, []))
            for u in range(n_users):
                user = (
                    env["res.users"]
                    .with_context(no_reset_password=True)
                    .create(
                        {
                            "name": f"Salesperson {company.id}-{u + 1:03d}",
                            "login": f"bench.sales.{company.id}.{u + 1}",
                            "email": f"sales{company.id}.{u + 1}@bench.example.com",
                            "company_id": company.id,
                            "company_ids": [(6, 0, [company.id])],
                            "group_ids": [(4, salesman.id), (4, kpi_user.id)],
                            "tz": company.partner_id.tz,
                        }
                    )
                )
                team, members = teams[u % n_teams]
                members.append(user)
                self.users.append(user)
            for team, members in teams:
                team.member_ids = [(6, 0, [m.id for m in members])]
                team.user_id = members[0].id if members else False
            self.teams[company.id] = [(t, m) for t, m in teams if m]

        self.sources = env["utm.source"].search([], limit=8).ids
        for name in ("Google Ads", "Trade show", "Referral"):
            self.sources.append(env["utm.source"].create({"name": f"Bench {name}"}).id)
        self.mediums = env["utm.medium"].search([]).ids
        self.campaigns = [
            env["utm.campaign"].create({"name": f"Bench campaign {i + 1}"}).id for i in range(6)
        ]

        stages = env["crm.stage"].search([], order="sequence, id")
        self.won_stage = stages.filtered("is_won")[:1]
        self.open_stages = (stages - self.won_stage)[:3]
        self.lost_reasons = env["crm.lost.reason"].search([]).ids

        def product(name, price, **extra):
            return env["product.product"].create(
                {
                    "name": name,
                    "list_price": price,
                    "type": "service",
                    "taxes_id": [(6, 0, [])],
                    "invoice_policy": "order",
                    **extra,
                }
            )

        self.products = [
            product(f"Bench service {i + 1}", p)
            for i, p in enumerate((120.0, 450.0, 980.0, 2400.0))
        ]
        self.sub_base = product("Bench platform fee", 90.0, subscribable=True)
        self.sub_seat = product("Bench seat", 25.0, subscribable=True)
        # subscription_oca's invoice lines take the product's income account
        for company in self.companies:
            income = self.sale_journal[company.id].default_account_id
            for record in (*self.products, self.sub_base, self.sub_seat):
                record.with_company(company).property_account_income_id = income
        self.pricelists = {}
        for company in self.companies:
            for currency in (usd, eur):
                self.pricelists[company.id, currency.id] = env["product.pricelist"].create(
                    {
                        "name": f"Bench {company.name} {currency.name}",
                        "currency_id": currency.id,
                        "company_id": company.id,
                    }
                )
        Template = env["sale.subscription.template"]
        # subscription_oca posts (and sends) an invoice each period in the
        # "invoice" mode; in "sale_and_invoice" it confirms an order and
        # posts its invoice.
        self.sub_templates = [
            (
                Template.create(
                    {
                        "name": "Bench monthly",
                        "code": "MON",
                        "recurring_interval": 1,
                        "recurring_rule_type": "months",
                        "invoicing_mode": "invoice",
                    }
                ),
                1.0,
            ),
            (
                Template.create(
                    {
                        "name": "Bench quarterly",
                        "code": "QTR",
                        "recurring_interval": 3,
                        "recurring_rule_type": "months",
                        "invoicing_mode": "sale_and_invoice",
                    }
                ),
                1.0 / 3,
            ),
            (
                Template.create(
                    {
                        "name": "Bench yearly",
                        "code": "YR",
                        "recurring_interval": 1,
                        "recurring_rule_type": "years",
                        "invoicing_mode": "invoice",
                    }
                ),
                1.0 / 12,
            ),
        ]
        self.sub_interval = {
            template.id: relativedelta(
                **{template.recurring_rule_type: template.recurring_interval}
            )
            for template, _factor in self.sub_templates
        }
        stages = env["sale.subscription.stage"].search([])
        self.sub_stage = {st.type: st for st in stages}
        self.close_reasons = env["sale.subscription.close.reason"].search([]).ids
        env.flush_all()

    # -- currency rates -----------------------------------------------
    def rates(self):
        """One EUR rate a month (shared; USD is the base), and the reverse for
        the EUR company (company-specific rows, as Odoo keeps per company)."""
        rows, day, r = [], self.start.replace(day=1), 0.92
        self.eur_rate = {}
        while day <= self.today:
            r = max(0.8, min(1.05, r + self.rng.uniform(-0.015, 0.015)))
            self.eur_rate[day] = r
            rows.append((day, round(r, 6), self.eur.id, None))
            rows.append((day, round(1 / r, 6), self.usd.id, self.companies[1].id))
            rows.append((day, 1.0, self.eur.id, self.companies[1].id))
            day = (day + timedelta(days=32)).replace(day=1)
        self.cr.execute(
            "DELETE FROM res_currency_rate WHERE currency_id IN %s", [(self.eur.id, self.usd.id)]
        )
        now = self.now
        self.log(
            "res_currency_rate",
            bulk_insert(
                self.cr,
                "res_currency_rate",
                [
                    "name",
                    "rate",
                    "currency_id",
                    "company_id",
                    "create_uid",
                    "write_uid",
                    "create_date",
                    "write_date",
                ],
                [(*row, 1, 1, now, now) for row in rows],
            ),
        )

    def eur_per_usd(self, day):
        return self.eur_rate.get(day.replace(day=1), 0.92)

    # -- partners ---------------------------------------------------------
    def partners(self):
        env, rng = self.env, self.rng
        template = env["res.partner"].create({"name": "Bench template partner"})
        env.flush_all()
        n = self.size.partners
        n_companies = max(2, int(n * 0.4))
        first = reserve_ids(self.cr, "res_partner", n)
        rows, self.customer_companies, self.contacts_of = [], [], {}
        self.partner_info = {}
        emails = []
        for i in range(n):
            pid = first + i
            created = self.rand_datetime(
                datetime.combine(self.start, datetime.min.time()), self.now - timedelta(days=1)
            )
            if i < n_companies:
                name = f"Bench Customer {i + 1:06d} Ltd"
                parent, commercial, complete, company_name = None, pid, name, name
                is_company = True
                self.customer_companies.append(pid)
                self.contacts_of[pid] = []
            else:
                parent = first + rng.randrange(n_companies)
                name = f"Contact {i + 1:06d}"
                company_name = f"Bench Customer {parent - first + 1:06d} Ltd"
                commercial, complete, is_company = parent, f"{company_name}, {name}", False
                self.contacts_of[parent].append(pid)
            roll = rng.random()
            if roll < 0.06:
                email = None
            elif roll < 0.09 and emails:
                email = rng.choice(emails)  # a duplicate
            else:
                email = f"p{i + 1}@customer{(commercial - first) + 1}.example.com"
                emails.append(email)
            phone = None if rng.random() < 0.3 else f"+1 555 {rng.randrange(10**6, 10**7)}"
            self.partner_info[pid] = (email, phone, name, company_name, is_company)
            rows.append(
                (
                    pid,
                    name,
                    parent,
                    commercial,
                    complete,
                    company_name,
                    is_company,
                    "contact",
                    email,
                    email.lower() if email else None,
                    phone,
                    True,
                    created,
                    created,
                    1,
                    1,
                )
            )
        self.partner_first = first
        self.log(
            "res_partner",
            bulk_insert(
                self.cr,
                "res_partner",
                [
                    "id",
                    "name",
                    "parent_id",
                    "commercial_partner_id",
                    "complete_name",
                    "commercial_company_name",
                    "is_company",
                    "type",
                    "email",
                    "email_normalized",
                    "phone",
                    "active",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                rows,
                template.id,
            ),
        )
        self.templates = [template]

    def commercial_of(self, partner_id):
        return partner_id if partner_id in self.contacts_of else self._parent[partner_id]

    # -- leads and their stage stays ----------------------------------------
    def leads(self):
        env, rng = self.env, self.rng
        company1 = self.companies[0]
        team0, members0 = self.teams[company1.id][0]
        template = env["crm.lead"].create(
            {
                "name": "Bench template lead",
                "type": "opportunity",
                "team_id": team0.id,
                "user_id": members0[0].id,
                "company_id": company1.id,
            }
        )
        env.flush_all()
        self.templates.append(template)
        n = self.size.leads
        first = reserve_ids(self.cr, "crm_lead", n)
        open_stages = self.open_stages.ids
        stage_probability = {
            sid: p for sid, p in zip(open_stages, (10.0, 30.0, 60.0), strict=False)
        }
        won_stage = self.won_stage.id
        parents = {c: p for p, cs in self.contacts_of.items() for c in cs}
        self._parent = parents
        all_partners = list(self.customer_companies) + list(parents)
        lead_rows, stay_rows = [], []
        stays_total = 0
        self.won_leads = []  # (lead_id, partner_id, close dt, company, team, user, utm, revenue)
        start_dt = datetime.combine(self.start, datetime.min.time())
        for i in range(n):
            lid = first + i
            company = company1 if rng.random() < 0.7 else self.companies[1]
            team, members = rng.choice(self.teams[company.id])
            user = rng.choice(members)
            created = self.rand_datetime(start_dt, self.now - timedelta(hours=1))
            kind = "lead" if rng.random() < 0.15 else "opportunity"
            source = rng.choice(self.sources) if rng.random() < 0.7 else None
            medium = rng.choice(self.mediums) if rng.random() < 0.6 else None
            campaign = rng.choice(self.campaigns) if rng.random() < 0.35 else None
            partner = rng.choice(all_partners) if rng.random() < 0.75 else None
            revenue = float(rng.choice((500, 1000, 2500, 5000, 12000, 30000)))
            # Path through the stages.
            if kind == "lead":
                outcome = "lost" if rng.random() < 0.5 else "pending"
                last = 0
            else:
                roll = rng.random()
                outcome = "won" if roll < 0.28 else ("lost" if roll < 0.78 else "pending")
                last = 3 if outcome == "won" else rng.choice((0, 0, 1, 1, 2))
            if outcome == "won" and partner is None:
                partner = rng.choice(all_partners)
            times = [created]
            for _stage in range(last):
                times.append(times[-1] + timedelta(hours=rng.uniform(12, 24 * 25)))
            closed = None
            if outcome == "won":
                closed = times[-1]
            elif outcome == "lost":
                closed = times[-1] + timedelta(hours=rng.uniform(6, 24 * 20))
            if (closed and closed > self.now) or times[-1] > self.now:
                outcome, closed = "pending", None
                times = [t for t in times if t <= self.now]
                last = len(times) - 1
                if last == 3:  # reached the won stage only in the future
                    times, last = times[:3], 2
            stage_ids = open_stages[:last] + ([won_stage] if last == 3 else [open_stages[last]])
            stage = stage_ids[-1]
            if outcome == "won":
                probability, active = 100.0, True
            elif outcome == "lost":
                probability, active = 0.0, False
            else:
                probability, active = stage_probability[stage], True
            # Contact details: the partner's (as Odoo's onchange/compute copies
            # them), else the prospect's own.
            email = contact_name = partner_name = None
            phone = None if rng.random() < 0.4 else f"+1 555 {rng.randrange(10**6, 10**7)}"
            if partner is not None:
                email, phone, p_name, partner_name, p_is_company = self.partner_info[partner]
                contact_name = None if p_is_company else p_name
            elif rng.random() < 0.8:
                email = f"lead{i + 1}@prospect{rng.randrange(n // 3 + 1)}.example.com"
                contact_name = f"Prospect {i + 1}"
            email_domain = "@" + email.rsplit("@", 1)[1] if email else None
            date_open = created if kind == "opportunity" else None
            lead_rows.append(
                (
                    lid,
                    f"Bench opportunity {i + 1}",
                    kind,
                    stage,
                    user.id,
                    team.id,
                    company.id,
                    partner,
                    source,
                    medium,
                    campaign,
                    outcome,
                    probability,
                    probability,
                    active,
                    closed,
                    date_open,
                    date_open,
                    times[-1],
                    created,
                    closed or times[-1],
                    0.0 if date_open else None,
                    abs((closed - created).days) if closed else None,
                    revenue,
                    revenue * probability / 100.0,
                    rng.choice(self.lost_reasons)
                    if outcome == "lost" and self.lost_reasons
                    else None,
                    email,
                    email.lower() if email else None,
                    phone,
                    email_domain,
                    contact_name,
                    partner_name,
                    1,
                    user.id,
                )
            )
            for k, stage_id in enumerate(stage_ids):
                date_in = times[k]
                date_out = times[k + 1] if k + 1 < len(stage_ids) else None
                duration = (date_out - date_in).total_seconds() / 86400.0 if date_out else None
                stay_rows.append(
                    (
                        lid,
                        stage_id,
                        date_in,
                        date_out,
                        duration,
                        user.id,
                        team.id,
                        company.id,
                        False,
                        date_in,
                        date_out or date_in,
                        1,
                        1,
                    )
                )
            if outcome == "won":
                self.won_leads.append(
                    (lid, partner, closed, company, team, user, (source, medium, campaign), revenue)
                )
            if len(stay_rows) >= 200_000:
                stays_total += self._flush_leads(lead_rows, stay_rows, template.id)
                lead_rows, stay_rows = [], []
        stays_total += self._flush_leads(lead_rows, stay_rows, template.id)
        self.log("crm_kpi_stage_stay", stays_total)

    def _flush_leads(self, lead_rows, stay_rows, template_id):
        self.log(
            "crm_lead",
            bulk_insert(
                self.cr,
                "crm_lead",
                [
                    "id",
                    "name",
                    "type",
                    "stage_id",
                    "user_id",
                    "team_id",
                    "company_id",
                    "partner_id",
                    "source_id",
                    "medium_id",
                    "campaign_id",
                    "won_status",
                    "probability",
                    "automated_probability",
                    "active",
                    "date_closed",
                    "date_open",
                    "date_conversion",
                    "date_last_stage_update",
                    "create_date",
                    "write_date",
                    "day_open",
                    "day_close",
                    "expected_revenue",
                    "prorated_revenue",
                    "lost_reason_id",
                    "email_from",
                    "email_normalized",
                    "phone",
                    "email_domain_criterion",
                    "contact_name",
                    "partner_name",
                    "create_uid",
                    "write_uid",
                ],
                lead_rows,
                template_id,
            ),
        )
        return bulk_insert(
            self.cr,
            "crm_kpi_stage_stay",
            [
                "lead_id",
                "stage_id",
                "date_in",
                "date_out",
                "duration_days",
                "user_id",
                "team_id",
                "company_id",
                "is_backfilled",
                "create_date",
                "write_date",
                "create_uid",
                "write_uid",
            ],
            stay_rows,
        )

    # -- sale orders -----------------------------------------------------------
    ORDER_LINE_COLUMNS = [
        "id",
        "order_id",
        "sequence",
        "company_id",
        "currency_id",
        "order_partner_id",
        "salesman_id",
        "product_id",
        "product_uom_id",
        "name",
        "product_uom_qty",
        "price_unit",
        "discount",
        "price_subtotal",
        "price_total",
        "price_tax",
        "price_reduce_taxexcl",
        "price_reduce_taxinc",
        "technical_price_unit",
        "state",
        "invoice_status",
        "qty_to_invoice",
        "qty_invoiced",
        "qty_delivered",
        "untaxed_amount_to_invoice",
        "untaxed_amount_invoiced",
        "create_date",
        "write_date",
        "create_uid",
        "write_uid",
    ]

    def orders(self):
        env, rng = self.env, self.rng
        company1 = self.companies[0]
        pricelist = self.pricelists[company1.id, self.usd.id]
        template = env["sale.order"].create(
            {
                "partner_id": self.customer_companies[0],
                "company_id": company1.id,
                "pricelist_id": pricelist.id,
                "order_line": [(0, 0, {"product_id": self.products[0].id, "product_uom_qty": 1})],
            }
        )
        env.flush_all()
        line_template = template.order_line[:1].id
        self.templates.append(template)
        n = self.size.orders
        first = reserve_ids(self.cr, "sale_order", n)
        plans = []
        for lead in self.won_leads[:n]:
            lid, partner, closed, company, team, user, utm, _revenue = lead
            when = min(
                closed + timedelta(hours=rng.uniform(1, 24 * 7)), self.now - timedelta(minutes=5)
            )
            plans.append((partner, when, company, team, user, utm, lid))
        buyers = [p for p, *_rest in plans] or list(self.customer_companies)
        start_dt = datetime.combine(self.start, datetime.min.time())
        while len(plans) < n:
            partner = (
                rng.choice(buyers) if rng.random() < 0.7 else rng.choice(self.customer_companies)
            )
            company = company1 if rng.random() < 0.7 else self.companies[1]
            team, members = rng.choice(self.teams[company.id])
            plans.append(
                (
                    partner,
                    self.rand_datetime(start_dt, self.now - timedelta(minutes=5)),
                    company,
                    team,
                    rng.choice(members),
                    (None, None, None),
                    None,
                )
            )
        order_rows, line_rows = [], []
        self.order_customers = set()
        # what the invoicing step needs: (order id, partner, date, company,
        # currency, rate, team, user, utm, [(line id, product, qty, price, subtotal)])
        self.order_plans = []
        line_id = reserve_ids(self.cr, "sale_order_line", 3 * n)
        for i, (partner, when, company, team, user, utm, lead_id) in enumerate(plans):
            oid = first + i
            currency = company.currency_id
            if company == company1 and rng.random() < 0.15:
                currency = self.eur
            pricelist = self.pricelists[company.id, currency.id]
            if currency == company.currency_id:
                rate = 1.0
            elif currency == self.eur:
                rate = self.eur_per_usd(when.date())
            else:
                rate = 1 / self.eur_per_usd(when.date())
            untaxed, lines = 0.0, []
            for k in range(rng.choice((1, 1, 2, 3))):
                product = rng.choice(self.products)
                qty = float(rng.randrange(1, 10))
                price = round(product.list_price * (rate if currency != self.usd else 1.0), 2)
                discount = rng.choice((0.0, 0.0, 5.0, 10.0))
                subtotal = round(qty * price * (1 - discount / 100.0), 2)
                untaxed += subtotal
                lines.append((line_id, product, qty, price, discount, subtotal))
                line_rows.append(
                    (
                        line_id,
                        oid,
                        10 + k,
                        company.id,
                        currency.id,
                        partner,
                        user.id,
                        product.id,
                        product.uom_id.id,
                        product.display_name,
                        qty,
                        price,
                        discount,
                        subtotal,
                        subtotal,
                        0.0,
                        round(subtotal / qty, 2),
                        round(subtotal / qty, 2),
                        price,
                        "sale",
                        "to invoice",
                        qty,
                        0.0,
                        0.0,
                        subtotal,
                        0.0,
                        when,
                        when,
                        1,
                        1,
                    )
                )
                line_id += 1
            self.order_plans.append(
                (oid, partner, when, company, currency, rate, team, user, utm, lines)
            )
            self.order_customers.add(self.commercial_of(partner))
            order_rows.append(
                (
                    oid,
                    f"S{oid:07d}",
                    "sale",
                    partner,
                    partner,
                    partner,
                    company.id,
                    pricelist.id,
                    currency.id,
                    rate,
                    user.id,
                    team.id,
                    when,
                    when,
                    when,
                    round(untaxed, 2),
                    0.0,
                    round(untaxed, 2),
                    "to invoice",
                    lead_id,
                    *utm,
                    user.id,
                    user.id,
                )
            )
        self.log(
            "sale_order",
            bulk_insert(
                self.cr,
                "sale_order",
                [
                    "id",
                    "name",
                    "state",
                    "partner_id",
                    "partner_invoice_id",
                    "partner_shipping_id",
                    "company_id",
                    "pricelist_id",
                    "currency_id",
                    "currency_rate",
                    "user_id",
                    "team_id",
                    "date_order",
                    "create_date",
                    "write_date",
                    "amount_untaxed",
                    "amount_tax",
                    "amount_total",
                    "invoice_status",
                    "opportunity_id",
                    "source_id",
                    "medium_id",
                    "campaign_id",
                    "create_uid",
                    "write_uid",
                ],
                order_rows,
                template.id,
            ),
        )
        self.log(
            "sale_order_line",
            bulk_insert(
                self.cr,
                "sale_order_line",
                self.ORDER_LINE_COLUMNS,
                line_rows,
                line_template,
            ),
        )
        self.cr.execute(
            "UPDATE res_partner SET customer_rank = 1 WHERE id = ANY(%s)",
            [sorted({p for p, *_r in plans} | self.order_customers)],
        )

    # -- subscriptions and their movements ----------------------------------
    def subscriptions(self):  # noqa: C901 - one pass over the subscriptions
        env, rng = self.env, self.rng
        company1 = self.companies[0]
        template_tmpl = self.sub_templates[0][0]
        template = env["sale.subscription"].create(
            {
                "partner_id": self.customer_companies[0],
                "company_id": company1.id,
                "template_id": template_tmpl.id,
                "stage_id": self.sub_stage["draft"].id,
                "pricelist_id": self.pricelists[company1.id, self.usd.id].id,
                "sale_subscription_line_ids": [
                    (
                        0,
                        0,
                        {"product_id": self.sub_seat.id, "product_uom_qty": 1, "price_unit": 25.0},
                    )
                ],
            }
        )
        env.flush_all()
        line_template = template.sale_subscription_line_ids[:1].id
        self.templates.append(template)
        n = self.size.subscriptions
        first = reserve_ids(self.cr, "sale_subscription", n)
        customers = sorted(self.order_customers) or list(self.customer_companies)
        sub_rows, line_rows, moves = [], [], []
        # what the invoicing step needs: (id, name, company, currency, partner,
        # team, user, template, [(day, recurring total)], base price, seat price)
        self.subscription_plans = []
        in_progress, post = self.sub_stage["in_progress"], self.sub_stage["post"]
        end_of_history = self.today
        for i in range(n):
            sid = first + i
            company = company1 if rng.random() < 0.7 else self.companies[1]
            currency = company.currency_id
            team, members = rng.choice(self.teams[company.id])
            user = rng.choice(members)
            partner = (
                rng.choice(customers) if rng.random() < 0.8 else rng.choice(self.customer_companies)
            )
            tmpl, factor = self.weighted(self.sub_templates, (6, 1.5, 2.5))
            base_price = round(
                self.sub_base.list_price
                * (1.0 if currency == self.usd else 0.92)
                * (3 if factor < 1 and factor > 0.1 else 12 if factor < 0.1 else 1),
                2,
            )
            seat_price = round(
                self.sub_seat.list_price
                * (1.0 if currency == self.usd else 0.92)
                * (3 if factor < 1 and factor > 0.1 else 12 if factor < 0.1 else 1),
                2,
            )
            seats = rng.randrange(1, 20)
            start = self.start + timedelta(days=rng.randrange((self.today - self.start).days - 10))
            limited = rng.random() < 0.5
            end = start + YEAR if limited else None

            def mrr(seats_, base_price=base_price, seat_price=seat_price, factor=factor):
                return round((base_price + seats_ * seat_price) * factor, 2)

            state = {"mrr": mrr(seats), "paused": False, "closed": False, "close_reason": None}
            current_start = start
            events = [(start, "start", 0.0, state["mrr"], None)]
            day = start
            while True:
                day = day + timedelta(days=30)
                if day >= end_of_history:
                    break
                if state["closed"]:
                    if rng.random() < 0.05:
                        state["closed"] = False
                        current_start = day
                        end = day + YEAR if limited else None
                        events.append((day, "reactivation", 0.0, state["mrr"], None))
                    continue
                if end and day >= end:
                    if rng.random() < 0.8:
                        events.append((end, "renewal", state["mrr"], state["mrr"], None))
                        end = end + YEAR
                    else:
                        reason = rng.choice(self.close_reasons) if self.close_reasons else None
                        events.append((end, "close", state["mrr"], 0.0, reason))
                        state.update(closed=True, close_reason=reason, paused=False)
                    continue
                roll = rng.random()
                if state["paused"]:
                    if roll < 0.5:
                        state["paused"] = False
                        events.append((day, "resume", state["mrr"], state["mrr"], None))
                elif roll < 0.035:
                    old, seats = state["mrr"], seats + rng.randrange(1, 6)
                    state["mrr"] = mrr(seats)
                    events.append((day, "upgrade", old, state["mrr"], None))
                elif roll < 0.055 and seats > 1:
                    old, seats = state["mrr"], max(1, seats - rng.randrange(1, 4))
                    state["mrr"] = mrr(seats)
                    if state["mrr"] != old:
                        events.append((day, "downgrade", old, state["mrr"], None))
                elif roll < 0.065:
                    state["paused"] = True
                    events.append((day, "pause", state["mrr"], state["mrr"], None))
                elif roll < 0.08 and not limited:
                    reason = rng.choice(self.close_reasons) if self.close_reasons else None
                    events.append((day, "close", state["mrr"], 0.0, reason))
                    state.update(closed=True, close_reason=reason, paused=False)
            stage = post if state["closed"] else in_progress
            recurring_total = round(base_price + seats * seat_price, 2)
            last_day = events[-1][0]
            created = datetime.combine(start, datetime.min.time()) + timedelta(hours=9)
            written = datetime.combine(last_day, datetime.min.time()) + timedelta(hours=9)
            delta = self.sub_interval[tmpl.id]
            next_invoice = current_start
            while next_invoice <= self.today:
                next_invoice = next_invoice + delta
            self.subscription_plans.append(
                (
                    sid,
                    f"{tmpl.code}/{i + 1:05d}",
                    company,
                    currency,
                    partner,
                    team,
                    user,
                    tmpl,
                    self._billing(events, delta, factor),
                    base_price,
                    seat_price,
                )
            )
            sub_rows.append(
                (
                    sid,
                    f"{i + 1:05d}",
                    f"{tmpl.code}/{i + 1:05d}",
                    company.id,
                    partner,
                    partner,
                    partner,
                    tmpl.id,
                    self.pricelists[company.id, currency.id].id,
                    user.id,
                    team.id,
                    currency.id,
                    stage.id,
                    not state["closed"],
                    state["close_reason"],
                    current_start,
                    end,
                    next_invoice,
                    recurring_total,
                    0.0,
                    recurring_total,
                    round(recurring_total * factor, 2),
                    state["paused"],
                    bool(end),
                    created,
                    written,
                    1,
                    user.id,
                )
            )
            for _k, (product, qty, price) in enumerate(
                ((self.sub_base, 1.0, base_price), (self.sub_seat, float(seats), seat_price))
            ):
                subtotal = round(qty * price, 2)
                line_rows.append(
                    (
                        sid,
                        product.id,
                        product.display_name,
                        qty,
                        price,
                        0.0,
                        subtotal,
                        subtotal,
                        0.0,
                        currency.id,
                        company.id,
                        created,
                        written,
                        1,
                        1,
                    )
                )
            for when, kind, before, after, reason in events:
                stamp = datetime.combine(when, datetime.min.time()) + timedelta(hours=10)
                moves.append(
                    (
                        sid,
                        partner,
                        company.id,
                        currency.id,
                        user.id,
                        team.id,
                        when,
                        kind,
                        before,
                        after,
                        round(after - before, 2),
                        reason,
                        False,
                        stamp,
                        stamp,
                        1,
                        1,
                    )
                )
        self.log(
            "sale_subscription",
            bulk_insert(
                self.cr,
                "sale_subscription",
                [
                    "id",
                    "code",
                    "name",
                    "company_id",
                    "partner_id",
                    "partner_invoice_id",
                    "partner_shipping_id",
                    "template_id",
                    "pricelist_id",
                    "user_id",
                    "crm_team_id",
                    "currency_id",
                    "stage_id",
                    "in_progress",
                    "close_reason_id",
                    "date_start",
                    "date",
                    "recurring_next_date",
                    "recurring_total",
                    "amount_tax",
                    "amount_total",
                    "kpi_mrr",
                    "is_paused",
                    "recurring_rule_boundary",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                sub_rows,
                template.id,
            ),
        )
        self.log(
            "sale_subscription_line",
            bulk_insert(
                self.cr,
                "sale_subscription_line",
                [
                    "sale_subscription_id",
                    "product_id",
                    "name",
                    "product_uom_qty",
                    "price_unit",
                    "discount",
                    "price_subtotal",
                    "price_total",
                    "amount_tax_line_amount",
                    "currency_id",
                    "company_id",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                line_rows,
                line_template,
            ),
        )
        self.log(
            "crm_kpi_subscription_movement",
            bulk_insert(
                self.cr,
                "crm_kpi_subscription_movement",
                [
                    "subscription_id",
                    "partner_id",
                    "company_id",
                    "currency_id",
                    "user_id",
                    "team_id",
                    "date",
                    "movement_type",
                    "mrr_before",
                    "mrr_after",
                    "mrr_delta",
                    "close_reason_id",
                    "is_backfilled",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                moves,
            ),
        )

    def _billing(self, events, delta, factor):
        """The days subscription_oca invoices a subscription of these
        movements and the recurring total of each: from each start or
        reactivation, one every recurring interval while it is in progress
        and not paused, up to today."""
        states, running, paused, mrr = [], False, False, 0.0
        for day, kind, _before, after, _reason in events:
            if kind in ("start", "reactivation"):
                running, paused = True, False
            elif kind == "close":
                running, paused = False, False
            elif kind in ("pause", "resume"):
                paused = kind == "pause"
            mrr = after
            states.append((day, running, paused, mrr))
        days = [state[0] for state in states]
        anchors = [day for day, kind, *_rest in events if kind in ("start", "reactivation")]
        billing = []
        for anchor, next_anchor in zip(anchors, [*anchors[1:], None], strict=False):
            due = anchor
            while due <= self.today and (next_anchor is None or due < next_anchor):
                _day, running, paused, mrr = states[bisect.bisect_right(days, due) - 1]
                if not running:
                    break
                if not paused:
                    billing.append((due, round(mrr / factor, 2)))
                due = due + delta
        return billing

    # -- invoices, credit notes and the documents of subscriptions -------------
    MOVE_COLUMNS = [
        "id",
        "name",
        "move_type",
        "state",
        "date",
        "invoice_date",
        "invoice_date_due",
        "partner_id",
        "commercial_partner_id",
        "partner_shipping_id",
        "invoice_partner_display_name",
        "company_id",
        "currency_id",
        "invoice_currency_rate",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "amount_untaxed_signed",
        "amount_untaxed_in_currency_signed",
        "amount_tax_signed",
        "amount_total_signed",
        "amount_total_in_currency_signed",
        "amount_residual_signed",
        "payment_state",
        "payment_reference",
        "invoice_origin",
        "ref",
        "invoice_user_id",
        "team_id",
        "subscription_id",
        "reversed_entry_id",
        "source_id",
        "medium_id",
        "campaign_id",
        "sequence_prefix",
        "sequence_number",
        "access_token",
        "message_main_attachment_id",
        "sending_data",
        "create_date",
        "write_date",
        "create_uid",
        "write_uid",
    ]
    MOVE_LINE_COLUMNS = [
        "id",
        "move_id",
        "move_name",
        "ref",
        "date",
        "invoice_date",
        "parent_state",
        "partner_id",
        "currency_id",
        "product_id",
        "product_uom_id",
        "name",
        "quantity",
        "price_unit",
        "discount",
        "price_subtotal",
        "price_total",
        "balance",
        "debit",
        "credit",
        "amount_currency",
        "amount_residual",
        "amount_residual_currency",
        "date_maturity",
        "sequence",
        "reconciled",
        "full_reconcile_id",
        "matching_number",
        "create_date",
        "write_date",
        "create_uid",
        "write_uid",
    ]

    def documents(self):  # noqa: C901 - one pass over the documents
        """Customer invoices of part of the orders, direct invoices of no
        order, credit notes, and the recurring invoices and orders
        subscription_oca generates for the subscriptions.

        For each company one sample of each document is made through the ORM
        and the flows of Odoo and subscription_oca (see :meth:`_samples`).
        The bulk documents are copies of those samples (``bulk_insert`` with
        the sample as template record) with their own partner, dates,
        amounts and links, written the way Odoo writes them: every move
        balanced (income lines against one receivable line, amounts in the
        company currency at the day's rate), signs and signed totals as Odoo
        computes them, invoice lines linked to the order lines they invoice
        (``sale_order_line_invoice_rel``, credit notes of an order invoice
        too), the invoiced quantities and statuses of those orders updated,
        generated orders confirmed and locked. The samples are deleted at
        the end (:meth:`finish`)."""
        rng = self.rng
        self.sample_records = []
        self.samples = {company.id: self._samples(company) for company in self.companies}
        moves = {}  # template move id -> move rows
        lines = {}  # template line id -> line rows
        rels = []  # (order line id, invoice line id)
        n_moves = self.size.orders * 2 + sum(len(p[8]) for p in self.subscription_plans) + 100
        self._next_move = reserve_ids(self.cr, "account_move", n_moves)
        self._move_limit = self._next_move + n_moves
        self._next_line = reserve_ids(self.cr, "account_move_line", 4 * n_moves)

        def move(
            template, move_type, partner, day, company, currency, team, user, items, kind, **extra
        ):
            mid = self.new_move_id()
            row, line_rows = self._move_rows(
                mid, move_type, partner, day, company, currency, team, user, items, kind, **extra
            )
            moves.setdefault(template[0], []).append(row)
            for (line, _product_line), item in zip(line_rows, [*items, None], strict=False):
                lines.setdefault(template[2] if item is None else template[1], []).append(line)
                if item is not None and item[-1]:
                    rels.append((item[-1], line[0]))
            return mid, row[1]

        # 1. invoices of 60 % of the orders, some with a credit note of a line
        invoiced, refunded = [], []
        for (
            oid,
            partner,
            when,
            company,
            currency,
            _rate,
            team,
            user,
            utm,
            o_lines,
        ) in self.order_plans:
            if rng.random() >= 0.6:
                continue
            day = min(when.date() + timedelta(days=rng.randrange(21)), self.today)
            items = [
                (product, qty, price, discount, subtotal, line_id)
                for line_id, product, qty, price, discount, subtotal in o_lines
            ]
            mid, name = move(
                self.samples[company.id]["invoice"],
                "out_invoice",
                partner,
                day,
                company,
                currency,
                team,
                user,
                items,
                "INV",
                invoice_origin=f"S{oid:07d}",
                utm=utm,
            )
            invoiced.append(oid)
            refund_day = day + timedelta(days=rng.randrange(1, 41))
            if rng.random() < 0.08 and refund_day <= self.today:
                move(
                    self.samples[company.id]["refund"],
                    "out_refund",
                    partner,
                    refund_day,
                    company,
                    currency,
                    team,
                    user,
                    items[:1],
                    "RINV",
                    reversed_entry_id=mid,
                    ref=f"Reversal of: {name}",
                    utm=utm,
                )
                refunded.append(items[0][-1])
        # 2. direct invoices of no order, a tenth of them partly credited
        start_dt = datetime.combine(self.start, datetime.min.time())
        for _k in range(max(5, self.size.orders // 8)):
            company = self.companies[0] if rng.random() < 0.7 else self.companies[1]
            currency = company.currency_id
            team, members = rng.choice(self.teams[company.id])
            user = rng.choice(members)
            customer = rng.choice(self.customer_companies)
            partner = rng.choice([customer, *self.contacts_of.get(customer, [])])
            day = self.rand_datetime(start_dt, self.now).date()
            items = []
            for _i in range(rng.choice((1, 1, 2))):
                product = rng.choice(self.products)
                qty = float(rng.randrange(1, 6))
                price = round(product.list_price * (1.0 if currency == self.usd else 0.92), 2)
                items.append((product, qty, price, 0.0, round(qty * price, 2), None))
            mid, name = move(
                self.samples[company.id]["invoice"],
                "out_invoice",
                partner,
                day,
                company,
                currency,
                team,
                user,
                items,
                "INV",
            )
            refund_day = day + timedelta(days=rng.randrange(1, 41))
            if rng.random() < 0.1 and refund_day <= self.today:
                product = items[0][0]
                amount = round(items[0][4] * rng.uniform(0.3, 1.0), 2)
                move(
                    self.samples[company.id]["refund"],
                    "out_refund",
                    partner,
                    refund_day,
                    company,
                    currency,
                    team,
                    user,
                    [(product, 1.0, amount, 0.0, amount, None)],
                    "RINV",
                    reversed_entry_id=mid,
                    ref=f"Reversal of: {name}",
                )
        # 3. what subscription_oca generates each period
        order_rows, order_lines, generated_lines = {}, {}, []
        n_orders = sum(
            len(p[8]) for p in self.subscription_plans if p[7].invoicing_mode == "sale_and_invoice"
        )
        next_order = reserve_ids(self.cr, "sale_order", n_orders)
        next_order_line = reserve_ids(self.cr, "sale_order_line", 2 * n_orders)
        for (
            sid,
            sub_name,
            company,
            currency,
            partner,
            team,
            user,
            tmpl,
            billing,
            base_price,
            seat_price,
        ) in self.subscription_plans:
            sample = self.samples[company.id]
            for day, total in billing:
                seats = max(1, round((total - base_price) / seat_price))
                items = [
                    (self.sub_base, 1.0, base_price, 0.0, base_price, None),
                    (
                        self.sub_seat,
                        float(seats),
                        seat_price,
                        0.0,
                        round(seats * seat_price, 2),
                        None,
                    ),
                ]
                if tmpl.invoicing_mode == "invoice":
                    move(
                        sample["subscription_invoice"],
                        "out_invoice",
                        partner,
                        day,
                        company,
                        currency,
                        team,
                        user,
                        items,
                        "SUB",
                        subscription_id=sid,
                        invoice_origin=sub_name,
                    )
                    continue
                oid, next_order = next_order, next_order + 1
                when = min(
                    datetime.combine(day, datetime.min.time()) + timedelta(hours=10),
                    self.now - timedelta(minutes=5),
                )
                rate = self._rate(company, currency, day)
                amount = round(sum(item[4] for item in items), 2)
                order_rows.setdefault(sample["subscription_order"][0], []).append(
                    (
                        oid,
                        f"S{oid:07d}",
                        "sale",
                        True,
                        partner,
                        partner,
                        partner,
                        company.id,
                        self.pricelists[company.id, currency.id].id,
                        currency.id,
                        rate,
                        user.id,
                        team.id,
                        when,
                        when,
                        when,
                        amount,
                        0.0,
                        amount,
                        "invoiced",
                        sid,
                        sub_name,
                        1,
                        1,
                    )
                )
                linked = []
                for k, (product, qty, price, _d, subtotal, _l) in enumerate(items):
                    lid, next_order_line = next_order_line, next_order_line + 1
                    order_lines.setdefault(sample["subscription_order"][1], []).append(
                        (
                            lid,
                            oid,
                            10 + k,
                            company.id,
                            currency.id,
                            partner,
                            user.id,
                            product.id,
                            product.uom_id.id,
                            product.display_name,
                            qty,
                            price,
                            0.0,
                            subtotal,
                            subtotal,
                            0.0,
                            subtotal / qty,
                            subtotal / qty,
                            price,
                            "sale",
                            "invoiced",
                            0.0,
                            qty,
                            0.0,
                            0.0,
                            subtotal,
                            when,
                            when,
                            1,
                            1,
                        )
                    )
                    linked.append((product, qty, price, 0.0, subtotal, lid))
                move(
                    sample["subscription_order_invoice"],
                    "out_invoice",
                    partner,
                    day,
                    company,
                    currency,
                    team,
                    user,
                    linked,
                    "SUB",
                    subscription_id=sid if sample["order_invoice_has_subscription"] else None,
                    invoice_origin=f"S{oid:07d}, {sub_name}",
                )
                generated_lines.extend(lid for *_r, lid in linked)
        for template_id, rows in order_rows.items():
            self.log(
                "sale_order (of subscriptions)",
                bulk_insert(
                    self.cr,
                    "sale_order",
                    [
                        "id",
                        "name",
                        "state",
                        "locked",
                        "partner_id",
                        "partner_invoice_id",
                        "partner_shipping_id",
                        "company_id",
                        "pricelist_id",
                        "currency_id",
                        "currency_rate",
                        "user_id",
                        "team_id",
                        "date_order",
                        "create_date",
                        "write_date",
                        "amount_untaxed",
                        "amount_tax",
                        "amount_total",
                        "invoice_status",
                        "order_subscription_id",
                        "origin",
                        "create_uid",
                        "write_uid",
                    ],
                    rows,
                    template_id,
                ),
            )
        for template_id, rows in order_lines.items():
            self.log(
                "sale_order_line (of subscriptions)",
                bulk_insert(
                    self.cr,
                    "sale_order_line",
                    self.ORDER_LINE_COLUMNS,
                    rows,
                    template_id,
                ),
            )
        for template_id, rows in moves.items():
            self.log(
                "account_move",
                bulk_insert(self.cr, "account_move", self.MOVE_COLUMNS, rows, template_id),
            )
        for template_id, rows in lines.items():
            self.log(
                "account_move_line",
                bulk_insert(
                    self.cr, "account_move_line", self.MOVE_LINE_COLUMNS, rows, template_id
                ),
            )
        self.log(
            "sale_order_line_invoice_rel",
            bulk_insert(
                self.cr, "sale_order_line_invoice_rel", ["order_line_id", "invoice_line_id"], rels
            ),
        )
        # what invoicing changes on the orders: invoiced quantities and
        # statuses (a credit note of a line makes it to invoice again)
        self.cr.execute(
            """UPDATE sale_order_line
                  SET qty_invoiced = product_uom_qty, qty_to_invoice = 0,
                      invoice_status = 'invoiced', untaxed_amount_invoiced = price_subtotal,
                      untaxed_amount_to_invoice = 0
                WHERE order_id = ANY(%s)""",
            [invoiced],
        )
        self.cr.execute(
            """UPDATE sale_order_line
                  SET qty_invoiced = 0, qty_to_invoice = product_uom_qty,
                      invoice_status = 'to invoice', untaxed_amount_invoiced = 0,
                      untaxed_amount_to_invoice = price_subtotal
                WHERE id = ANY(%s)""",
            [refunded],
        )
        self.cr.execute(
            """UPDATE sale_order so
                  SET invoice_status = CASE WHEN EXISTS (
                          SELECT 1 FROM sale_order_line l WHERE l.order_id = so.id
                             AND l.invoice_status = 'to invoice')
                      THEN 'to invoice' ELSE 'invoiced' END
                WHERE so.id = ANY(%s)""",
            [invoiced],
        )

    def new_move_id(self):
        mid = self._next_move
        if mid >= self._move_limit:
            raise RuntimeError("more moves than reserved")
        self._next_move += 1
        return mid

    def _rate(self, company, currency, day):
        """Units of ``currency`` for one unit of the company currency on ``day``."""
        if currency == company.currency_id:
            return 1.0
        if currency == self.eur:
            return self.eur_per_usd(day)
        return 1 / self.eur_per_usd(day)

    def _move_rows(
        self,
        mid,
        move_type,
        partner,
        day,
        company,
        currency,
        team,
        user,
        items,
        kind,
        subscription_id=None,
        reversed_entry_id=None,
        invoice_origin=None,
        ref=None,
        utm=(None, None, None),
    ):
        """The row of one posted customer invoice or credit note and of its
        journal items: one income line per item (product, quantity, price,
        discount, subtotal, order line) and the receivable line balancing
        them. Returns (move row, [(line row, is a product line)])."""
        sign = 1 if move_type == "out_invoice" else -1
        rate = self._rate(company, currency, day)
        name = f"B{kind}/{day.year}/{mid:08d}"
        stamp = min(datetime.combine(day, datetime.min.time()) + timedelta(hours=11), self.now)
        commercial = self.commercial_of(partner)
        _email, _phone, pname, company_name, is_company = self.partner_info[partner]
        display = pname if is_company else f"{company_name}, {pname}"
        amount = round(sum(item[4] for item in items), 2)
        line_rows, balance_sum = [], 0.0
        for seq, (product, qty, price, discount, subtotal, _order_line) in enumerate(items):
            balance = -sign * round(subtotal / rate, 2)
            balance_sum += balance
            line_rows.append(
                (
                    (
                        self._next_line,
                        mid,
                        name,
                        ref,
                        day,
                        day,
                        "posted",
                        commercial,
                        currency.id,
                        product.id,
                        product.uom_id.id,
                        product.display_name,
                        qty,
                        price,
                        discount,
                        subtotal,
                        subtotal,
                        balance,
                        max(balance, 0.0),
                        max(-balance, 0.0),
                        -sign * subtotal,
                        0.0,
                        0.0,
                        None,
                        10 + seq,
                        False,
                        None,
                        None,
                        stamp,
                        stamp,
                        1,
                        1,
                    ),
                    True,
                )
            )
            self._next_line += 1
        receivable = round(-balance_sum, 2)
        line_rows.append(
            (
                (
                    self._next_line,
                    mid,
                    name,
                    ref,
                    day,
                    day,
                    "posted",
                    commercial,
                    currency.id,
                    None,
                    None,
                    name,
                    1.0,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    receivable,
                    max(receivable, 0.0),
                    max(-receivable, 0.0),
                    sign * amount,
                    receivable,
                    sign * amount,
                    day,
                    10000,
                    False,
                    None,
                    None,
                    stamp,
                    stamp,
                    1,
                    1,
                ),
                False,
            )
        )
        self._next_line += 1
        total = abs(receivable)
        row = (
            mid,
            name,
            move_type,
            "posted",
            day,
            day,
            day,
            partner,
            commercial,
            partner,
            display,
            company.id,
            currency.id,
            rate,
            amount,
            0.0,
            amount,
            amount,
            sign * total,
            sign * amount,
            0.0,
            sign * total,
            sign * amount,
            sign * total,
            "not_paid",
            name,
            invoice_origin,
            ref,
            user.id,
            team.id,
            subscription_id,
            reversed_entry_id,
            *utm,
            f"B{kind}/{day.year}/",
            mid,
            None,
            None,
            None,
            stamp,
            stamp,
            1,
            1,
        )
        return row, line_rows

    def _samples(self, company):
        """One of each document through the flows of Odoo and subscription_oca,
        for ``company``: an order confirmed, invoiced (``_create_invoices``)
        and posted, its credit note (``_reverse_moves``), and a subscription
        of each invoicing mode started and invoiced by ``generate_invoice``
        (``invoice``: posts, renders and e-mails the invoice;
        ``sale_and_invoice``: confirms and locks an order and posts its
        invoice). Returns the template ids: {kind: (move, product line,
        receivable line)}, the generated order and its line."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        partner_id = next(p for p in self.customer_companies if self.partner_info[p][0])
        pricelist = self.pricelists[company.id, company.currency_id.id]
        order = env["sale.order"].create(
            {
                "partner_id": partner_id,
                "company_id": company.id,
                "pricelist_id": pricelist.id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.products[0].id,
                            "product_uom_qty": 1,
                            "tax_ids": [(6, 0, [])],
                        },
                    )
                ],
            }
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = self.today
        invoice.action_post()
        refund = invoice._reverse_moves([{"invoice_date": self.today}])
        refund.action_post()
        subscriptions = {}
        for template, _factor in self.sub_templates:
            mode = template.invoicing_mode
            if mode in subscriptions:
                continue
            subscription = env["sale.subscription"].create(
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "template_id": template.id,
                    "pricelist_id": pricelist.id,
                    "sale_subscription_line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.sub_seat.id,
                                "product_uom_qty": 1,
                                "price_unit": self.sub_seat.list_price,
                                "tax_ids": [(6, 0, [])],
                            },
                        )
                    ],
                }
            )
            subscription.action_start_subscription()
            subscription.generate_invoice()
            subscriptions[mode] = subscription
        generated = subscriptions["sale_and_invoice"].sale_order_ids
        generated_invoice = generated.invoice_ids

        def template(move):
            assert move.state == "posted" and len(move) == 1, move
            return (
                move.id,
                move.line_ids.filtered(lambda line: line.display_type == "product")[:1].id,
                move.line_ids.filtered(lambda line: line.display_type == "payment_term").id,
            )

        self.sample_records.extend(
            [
                invoice,
                refund,
                subscriptions["invoice"].invoice_ids,
                generated_invoice,
                generated,
                order,
                *subscriptions.values(),
            ]
        )
        return {
            "invoice": template(invoice),
            "refund": template(refund),
            "subscription_invoice": template(subscriptions["invoice"].invoice_ids),
            "subscription_order_invoice": template(generated_invoice),
            "subscription_order": (generated.id, generated.order_line[:1].id),
            "order_invoice_has_subscription": bool(generated_invoice.subscription_id),
        }

    # -- KPI inputs: costs, feedback, traffic, logins ----------------------------
    def months(self):
        day = self.start.replace(day=1)
        while day <= self.today:
            yield day
            day = (day + timedelta(days=32)).replace(day=1)

    def inputs(self):
        rng, now = self.rng, self.now
        scale = self.size.leads / 10_000.0
        costs, feedback, traffic = [], [], []
        customers = sorted(self.order_customers) or list(self.customer_companies)
        for company in self.companies:
            share = 0.7 if company == self.companies[0] else 0.3
            for month in self.months():
                for team, _members in self.teams[company.id]:
                    costs.append(
                        (
                            month,
                            round(rng.uniform(2000, 9000) * scale * share, 2),
                            company.currency_id.id,
                            "acquisition",
                            team.id,
                            rng.choice(self.campaigns) if rng.random() < 0.5 else None,
                            None,
                            rng.choice(self.mediums) if rng.random() < 0.4 else None,
                            company.id,
                            now,
                            now,
                            1,
                            1,
                        )
                    )
                costs.append(
                    (
                        month,
                        round(rng.uniform(1000, 5000) * scale * share, 2),
                        company.currency_id.id,
                        "retention",
                        None,
                        None,
                        None,
                        None,
                        company.id,
                        now,
                        now,
                        1,
                        1,
                    )
                )
                n_feedback = max(2, int(40 * scale * share))
                for _k in range(n_feedback):
                    day = month + timedelta(days=rng.randrange(28))
                    if day > self.today:
                        continue
                    customer = rng.choice(customers)
                    contacts = self.contacts_of.get(customer) or [customer]
                    partner = rng.choice(contacts)
                    if rng.random() < 0.6:
                        kind, scale_ = "nps", ("1_5" if rng.random() < 0.1 else "0_10")
                        score = (
                            min(5, max(1, int(rng.gauss(3.8, 1.0))))
                            if scale_ == "1_5"
                            else min(10, max(0, int(rng.gauss(7.5, 2.0))))
                        )
                        if scale_ == "0_10":
                            category = (
                                "promoter"
                                if score >= 9
                                else "passive"
                                if score >= 7
                                else "detractor"
                            )
                        else:
                            category = (
                                "promoter"
                                if score >= 4
                                else "passive"
                                if score == 3
                                else "detractor"
                            )
                    else:
                        kind, scale_, category = "ces", "1_7", None
                        score = min(7, max(1, int(rng.gauss(5.2, 1.3))))
                    feedback.append(
                        (
                            partner,
                            customer,
                            day,
                            kind,
                            score,
                            scale_,
                            category,
                            company.id,
                            now,
                            now,
                            1,
                            1,
                        )
                    )
            day = self.start
            while day <= self.today:
                for source in [None, *self.sources[:4]]:
                    traffic.append(
                        (
                            day,
                            max(
                                0,
                                int(
                                    rng.gauss(300, 80)
                                    * scale
                                    * share
                                    * (1 if source is None else 0.3)
                                ),
                            ),
                            source,
                            company.id,
                            now,
                            now,
                            1,
                            1,
                        )
                    )
                day += timedelta(days=1)
        self.log(
            "crm_kpi_cost",
            bulk_insert(
                self.cr,
                "crm_kpi_cost",
                [
                    "date",
                    "amount",
                    "currency_id",
                    "category",
                    "team_id",
                    "campaign_id",
                    "source_id",
                    "medium_id",
                    "company_id",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                costs,
            ),
        )
        self.log(
            "crm_kpi_feedback",
            bulk_insert(
                self.cr,
                "crm_kpi_feedback",
                [
                    "partner_id",
                    "commercial_partner_id",
                    "date",
                    "kind",
                    "score",
                    "scale",
                    "category",
                    "company_id",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                feedback,
            ),
        )
        self.log(
            "crm_kpi_traffic",
            bulk_insert(
                self.cr,
                "crm_kpi_traffic",
                [
                    "date",
                    "visitors",
                    "source_id",
                    "company_id",
                    "create_date",
                    "write_date",
                    "create_uid",
                    "write_uid",
                ],
                traffic,
            ),
        )
        logins = []
        for user in self.users:
            day = self.start
            while day <= self.today:
                if day.weekday() < 5 and rng.random() < 0.8:
                    for _k in range(rng.choice((1, 1, 2))):
                        stamp = datetime.combine(day, datetime.min.time()) + timedelta(
                            hours=rng.uniform(7, 18)
                        )
                        logins.append((user.id, user.id, stamp, stamp))
                day += timedelta(days=1)
        self.log(
            "res_users_log",
            bulk_insert(
                self.cr,
                "res_users_log",
                ["create_uid", "write_uid", "create_date", "write_date"],
                logins,
            ),
        )

    # -- the whole run -------------------------------------------------------
    def run(self):
        steps = [
            self.setup_base,
            self.rates,
            self.partners,
            self.leads,
            self.orders,
            self.subscriptions,
            self.documents,
            self.inputs,
            self.finish,
        ]
        for step in steps:
            started = time.perf_counter()
            step()
            _logger.info("%s: %.1f s", step.__name__, time.perf_counter() - started)
        return self.counts

    def finish(self):
        """Delete the template records and the sample documents (in SQL: posted
        invoices cannot be deleted through the ORM), refresh the planner's
        statistics."""
        env = self.env
        env.flush_all()
        samples = {}
        for record in self.sample_records:
            samples.setdefault(record._name, set()).update(record.ids)
        movements = sorted(samples.get("sale.subscription", ()))
        self.cr.execute(
            "DELETE FROM crm_kpi_subscription_movement WHERE subscription_id = ANY(%s)", [movements]
        )
        moves = sorted(samples.get("account.move", ()))
        # the sample credit note is reconciled with its invoice
        self.cr.execute(
            """DELETE FROM account_partial_reconcile
                WHERE debit_move_id IN (SELECT id FROM account_move_line WHERE move_id = ANY(%s))
                   OR credit_move_id IN (SELECT id FROM account_move_line WHERE move_id = ANY(%s))
            RETURNING full_reconcile_id""",
            [moves, moves],
        )
        full_reconciles = [row[0] for row in self.cr.fetchall() if row[0]]
        for model in ("account.move", "sale.order", "sale.subscription"):
            ids = sorted(samples.get(model, ()))
            self.cr.execute(
                "DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", [model, ids]
            )
            self.cr.execute(
                "DELETE FROM ir_attachment WHERE res_model = %s AND res_id = ANY(%s)", [model, ids]
            )
            self.cr.execute(f"DELETE FROM {env[model]._table} WHERE id = ANY(%s)", [ids])
        self.cr.execute("DELETE FROM account_full_reconcile WHERE id = ANY(%s)", [full_reconciles])
        env.invalidate_all()
        for record in reversed(self.templates):
            if record._name == "sale.order":
                record.order_line.unlink()
            record.unlink()
        env.flush_all()
        env["ir.config_parameter"].set_param(
            PARAM_KEY, f"{self.size.name}:{self.today.isoformat()}"
        )
        env.cr.commit()
        env.cr.execute("ANALYZE")


def generate(env, size_name, seed=42, today=None):
    today = today or date.today()
    size = SIZES[size_name]
    return Generator(env, size, seed, today).run()


def main():
    own, odoo_args = odoo_env_args(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("-d", "--database", required=True)
    args = parser.parse_args(own)
    with odoo_environment(odoo_args, args.database) as env:
        done = env["ir.config_parameter"].get_param(PARAM_KEY)
        if done:
            if not done.startswith(f"{args.size}:"):
                sys.exit(f"{args.database} already holds generated data of another size ({done})")
            print(f"{args.database} already holds generated data ({done}); nothing to do")
            return
        started = time.perf_counter()
        counts = generate(env, args.size, args.seed, args.today)
        env.cr.commit()
        print(f"generated size {args.size} in {time.perf_counter() - started:.0f} s")
    for table, count in counts.items():
        print(f"{table:32} {count:>10}")


if __name__ == "__main__":
    main()
