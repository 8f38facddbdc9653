"""Deterministic generator of a realistic CRM for the crm_kpi benchmark.

Run inside Odoo's environment, on a database where crm_kpi is installed
without demo data (``tools/kpi bench SIZE`` does all of it)::

    python bench/generate.py --size S [--seed 42] [--today 2026-11-22] \\
        -- --addons-path=... -d crm_kpi_bench_s

Base records (companies, currencies, salespeople, teams, UTM records,
products, pricelists, subscription templates) are created through the ORM.
Bulk rows (partners, leads and their stage stays, sale orders and lines,
subscriptions, their lines and movements, costs, feedback, web traffic,
logins, currency rates) are computed in Python from a seeded
``random.Random`` and written with COPY into a staging table, then moved
with one ``INSERT … SELECT`` per table. Columns the generator does not set
are copied from a *template record* of the same model created through the
ORM (and deleted at the end), so every NOT NULL column and default holds
what Odoo itself would hold. Stored computed fields are written
consistently (won status, probability, active, closing date and stage of
leads; commercial partner; order amounts equal to their lines; MRR of
subscriptions equal to their lines and to their last movement).
"""

import argparse
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
    cr.execute("SELECT column_name, data_type FROM information_schema.columns "
               "WHERE table_name = %s ORDER BY ordinal_position", [table])
    table_columns = cr.fetchall()
    types = dict(table_columns)
    staging = f"bench_stage_{table}"
    cr.execute(f"DROP TABLE IF EXISTS {staging}")
    cr.execute("CREATE TEMP TABLE {} ({})".format(
        staging, ", ".join(f'"{c}" {types[c] if types[c] != "USER-DEFINED" else "text"}'
                           for c in columns)))
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

        salesman = env.ref("sales_team.group_sale_salesman")
        kpi_user = env.ref("crm_kpi.crm_kpi_group_user")
        self.teams = {}  # company id -> list of (team, [users])
        self.users = []
        # Three teams per company at every size, so that the engine's query
        # count can be compared across sizes.
        n_teams = 3
        per_company = [max(n_teams, math.ceil(self.size.salespeople * 0.7)),
                       max(n_teams, self.size.salespeople // 3)]
        for company, n_users in zip(self.companies, per_company):
            teams = []
            for t in range(n_teams):
                team = env["crm.team"].create({
                    "name": f"{company.name} Team {t + 1}",
                    "company_id": company.id,
                    "invoiced_target": 20000 * (t + 1),
                })
                teams.append((team, []))
            for u in range(n_users):
                user = env["res.users"].with_context(no_reset_password=True).create({
                    "name": f"Salesperson {company.id}-{u + 1:03d}",
                    "login": f"bench.sales.{company.id}.{u + 1}",
                    "email": f"sales{company.id}.{u + 1}@bench.example.com",
                    "company_id": company.id,
                    "company_ids": [(6, 0, [company.id])],
                    "group_ids": [(4, salesman.id), (4, kpi_user.id)],
                    "tz": company.partner_id.tz,
                })
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
            return env["product.product"].create({
                "name": name, "list_price": price, "type": "service",
                "taxes_id": [(6, 0, [])], "invoice_policy": "order", **extra,
            })

        self.products = [product(f"Bench service {i + 1}", p)
                         for i, p in enumerate((120.0, 450.0, 980.0, 2400.0))]
        self.sub_base = product("Bench platform fee", 90.0, subscribable=True)
        self.sub_seat = product("Bench seat", 25.0, subscribable=True)
        self.pricelists = {}
        for company in self.companies:
            for currency in (usd, eur):
                self.pricelists[company.id, currency.id] = env["product.pricelist"].create({
                    "name": f"Bench {company.name} {currency.name}",
                    "currency_id": currency.id, "company_id": company.id,
                })
        Template = env["sale.subscription.template"]
        self.sub_templates = [
            (Template.create({"name": "Bench monthly", "code": "MON", "recurring_interval": 1,
                              "recurring_rule_type": "months"}), 1.0),
            (Template.create({"name": "Bench quarterly", "code": "QTR", "recurring_interval": 3,
                              "recurring_rule_type": "months"}), 1.0 / 3),
            (Template.create({"name": "Bench yearly", "code": "YR", "recurring_interval": 1,
                              "recurring_rule_type": "years"}), 1.0 / 12),
        ]
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
        self.cr.execute("DELETE FROM res_currency_rate WHERE currency_id IN %s",
                        [(self.eur.id, self.usd.id)])
        now = self.now
        self.log("res_currency_rate", bulk_insert(
            self.cr, "res_currency_rate",
            ["name", "rate", "currency_id", "company_id", "create_uid", "write_uid",
             "create_date", "write_date"],
            [(*row, 1, 1, now, now) for row in rows],
        ))

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
            created = self.rand_datetime(datetime.combine(self.start, datetime.min.time()),
                                         self.now - timedelta(days=1))
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
            rows.append((pid, name, parent, commercial, complete, company_name, is_company,
                         "contact", email, email.lower() if email else None, phone, True,
                         created, created, 1, 1))
        self.partner_first = first
        self.log("res_partner", bulk_insert(
            self.cr, "res_partner",
            ["id", "name", "parent_id", "commercial_partner_id", "complete_name",
             "commercial_company_name", "is_company", "type", "email", "email_normalized",
             "phone", "active", "create_date", "write_date", "create_uid", "write_uid"],
            rows, template.id,
        ))
        self.templates = [template]

    def commercial_of(self, partner_id):
        return partner_id if partner_id in self.contacts_of else self._parent[partner_id]

    # -- leads and their stage stays ----------------------------------------
    def leads(self):
        env, rng = self.env, self.rng
        company1 = self.companies[0]
        team0, members0 = self.teams[company1.id][0]
        template = env["crm.lead"].create({
            "name": "Bench template lead", "type": "opportunity", "team_id": team0.id,
            "user_id": members0[0].id, "company_id": company1.id,
        })
        env.flush_all()
        self.templates.append(template)
        n = self.size.leads
        first = reserve_ids(self.cr, "crm_lead", n)
        open_stages = self.open_stages.ids
        stage_probability = {sid: p for sid, p in zip(open_stages, (10.0, 30.0, 60.0))}
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
            lead_rows.append((
                lid, f"Bench opportunity {i + 1}", kind, stage, user.id, team.id, company.id,
                partner, source, medium, campaign, outcome, probability, probability, active,
                closed, date_open, date_open, times[-1], created, closed or times[-1],
                0.0 if date_open else None,
                abs((closed - created).days) if closed else None,
                revenue, revenue * probability / 100.0,
                rng.choice(self.lost_reasons) if outcome == "lost" and self.lost_reasons else None,
                email, email.lower() if email else None, phone, email_domain, contact_name,
                partner_name, 1, user.id,
            ))
            for k, stage_id in enumerate(stage_ids):
                date_in = times[k]
                date_out = times[k + 1] if k + 1 < len(stage_ids) else None
                duration = (date_out - date_in).total_seconds() / 86400.0 if date_out else None
                stay_rows.append((lid, stage_id, date_in, date_out, duration,
                                  user.id, team.id, company.id, False, date_in,
                                  date_out or date_in, 1, 1))
            if outcome == "won":
                self.won_leads.append((lid, partner, closed, company, team, user,
                                       (source, medium, campaign), revenue))
            if len(stay_rows) >= 200_000:
                stays_total += self._flush_leads(lead_rows, stay_rows, template.id)
                lead_rows, stay_rows = [], []
        stays_total += self._flush_leads(lead_rows, stay_rows, template.id)
        self.log("crm_kpi_stage_stay", stays_total)

    def _flush_leads(self, lead_rows, stay_rows, template_id):
        self.log("crm_lead", bulk_insert(
            self.cr, "crm_lead",
            ["id", "name", "type", "stage_id", "user_id", "team_id", "company_id",
             "partner_id", "source_id", "medium_id", "campaign_id", "won_status", "probability",
             "automated_probability", "active", "date_closed", "date_open", "date_conversion",
             "date_last_stage_update", "create_date", "write_date", "day_open", "day_close",
             "expected_revenue", "prorated_revenue", "lost_reason_id", "email_from",
             "email_normalized", "phone", "email_domain_criterion", "contact_name",
             "partner_name", "create_uid", "write_uid"],
            lead_rows, template_id,
        ))
        return bulk_insert(
            self.cr, "crm_kpi_stage_stay",
            ["lead_id", "stage_id", "date_in", "date_out", "duration_days", "user_id", "team_id",
             "company_id", "is_backfilled", "create_date", "write_date", "create_uid",
             "write_uid"],
            stay_rows,
        )

    # -- sale orders -----------------------------------------------------------
    def orders(self):
        env, rng = self.env, self.rng
        company1 = self.companies[0]
        pricelist = self.pricelists[company1.id, self.usd.id]
        template = env["sale.order"].create({
            "partner_id": self.customer_companies[0], "company_id": company1.id,
            "pricelist_id": pricelist.id,
            "order_line": [(0, 0, {"product_id": self.products[0].id, "product_uom_qty": 1})],
        })
        env.flush_all()
        line_template = template.order_line[:1].id
        self.templates.append(template)
        n = self.size.orders
        first = reserve_ids(self.cr, "sale_order", n)
        plans = []
        for lead in self.won_leads[:n]:
            lid, partner, closed, company, team, user, utm, _revenue = lead
            when = min(closed + timedelta(hours=rng.uniform(1, 24 * 7)), self.now - timedelta(minutes=5))
            plans.append((partner, when, company, team, user, utm, lid))
        buyers = [p for p, *_rest in plans] or list(self.customer_companies)
        start_dt = datetime.combine(self.start, datetime.min.time())
        while len(plans) < n:
            partner = rng.choice(buyers) if rng.random() < 0.7 else rng.choice(self.customer_companies)
            company = company1 if rng.random() < 0.7 else self.companies[1]
            team, members = rng.choice(self.teams[company.id])
            plans.append((partner, self.rand_datetime(start_dt, self.now - timedelta(minutes=5)),
                          company, team, rng.choice(members), (None, None, None), None))
        order_rows, line_rows = [], []
        self.order_customers = set()
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
            untaxed = 0.0
            for k in range(rng.choice((1, 1, 2, 3))):
                product = rng.choice(self.products)
                qty = float(rng.randrange(1, 10))
                price = round(product.list_price * (rate if currency != self.usd else 1.0), 2)
                discount = rng.choice((0.0, 0.0, 5.0, 10.0))
                subtotal = round(qty * price * (1 - discount / 100.0), 2)
                untaxed += subtotal
                line_rows.append((
                    oid, 10 + k, company.id, currency.id, partner, user.id, product.id,
                    product.uom_id.id, product.display_name, qty, price, discount, subtotal,
                    subtotal, 0.0, round(subtotal / qty, 2), round(subtotal / qty, 2), price,
                    "sale", "to invoice", qty, 0.0, 0.0, subtotal, 0.0, when, when, 1, 1,
                ))
            self.order_customers.add(self.commercial_of(partner))
            order_rows.append((
                oid, f"S{oid:07d}", "sale", partner, partner, partner, company.id, pricelist.id,
                currency.id, rate, user.id, team.id, when, when, when, round(untaxed, 2), 0.0,
                round(untaxed, 2), "to invoice", lead_id, *utm, user.id, user.id,
            ))
        self.log("sale_order", bulk_insert(
            self.cr, "sale_order",
            ["id", "name", "state", "partner_id", "partner_invoice_id", "partner_shipping_id",
             "company_id", "pricelist_id", "currency_id", "currency_rate", "user_id", "team_id",
             "date_order", "create_date", "write_date", "amount_untaxed", "amount_tax",
             "amount_total", "invoice_status", "opportunity_id", "source_id", "medium_id",
             "campaign_id", "create_uid", "write_uid"],
            order_rows, template.id,
        ))
        self.log("sale_order_line", bulk_insert(
            self.cr, "sale_order_line",
            ["order_id", "sequence", "company_id", "currency_id", "order_partner_id",
             "salesman_id", "product_id", "product_uom_id", "name", "product_uom_qty",
             "price_unit", "discount", "price_subtotal", "price_total", "price_tax",
             "price_reduce_taxexcl", "price_reduce_taxinc", "technical_price_unit", "state",
             "invoice_status", "qty_to_invoice", "qty_invoiced", "qty_delivered",
             "untaxed_amount_to_invoice", "untaxed_amount_invoiced", "create_date",
             "write_date", "create_uid", "write_uid"],
            line_rows, line_template,
        ))
        self.cr.execute(
            "UPDATE res_partner SET customer_rank = 1 WHERE id = ANY(%s)",
            [sorted({p for p, *_r in plans} | self.order_customers)],
        )

    # -- subscriptions and their movements ----------------------------------
    def subscriptions(self):
        env, rng = self.env, self.rng
        company1 = self.companies[0]
        template_tmpl = self.sub_templates[0][0]
        template = env["sale.subscription"].create({
            "partner_id": self.customer_companies[0], "company_id": company1.id,
            "template_id": template_tmpl.id, "stage_id": self.sub_stage["draft"].id,
            "pricelist_id": self.pricelists[company1.id, self.usd.id].id,
            "sale_subscription_line_ids": [(0, 0, {"product_id": self.sub_seat.id,
                                                    "product_uom_qty": 1, "price_unit": 25.0})],
        })
        env.flush_all()
        line_template = template.sale_subscription_line_ids[:1].id
        self.templates.append(template)
        n = self.size.subscriptions
        first = reserve_ids(self.cr, "sale_subscription", n)
        customers = sorted(self.order_customers) or list(self.customer_companies)
        sub_rows, line_rows, moves = [], [], []
        in_progress, post = self.sub_stage["in_progress"], self.sub_stage["post"]
        end_of_history = self.today
        for i in range(n):
            sid = first + i
            company = company1 if rng.random() < 0.7 else self.companies[1]
            currency = company.currency_id
            team, members = rng.choice(self.teams[company.id])
            user = rng.choice(members)
            partner = rng.choice(customers) if rng.random() < 0.8 else rng.choice(self.customer_companies)
            tmpl, factor = self.weighted(self.sub_templates, (6, 1.5, 2.5))
            base_price = round(self.sub_base.list_price * (1.0 if currency == self.usd else 0.92)
                               * (3 if factor < 1 and factor > 0.1 else 12 if factor < 0.1 else 1), 2)
            seat_price = round(self.sub_seat.list_price * (1.0 if currency == self.usd else 0.92)
                               * (3 if factor < 1 and factor > 0.1 else 12 if factor < 0.1 else 1), 2)
            seats = rng.randrange(1, 20)
            start = self.start + timedelta(days=rng.randrange((self.today - self.start).days - 10))
            limited = rng.random() < 0.5
            end = start + YEAR if limited else None

            def mrr(seats_):
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
            next_invoice = current_start
            while next_invoice <= self.today:
                next_invoice = next_invoice + timedelta(days=round(30.4375 / factor))
            sub_rows.append((
                sid, f"{i + 1:05d}", f"{tmpl.code}/{i + 1:05d}", company.id, partner, partner,
                partner, tmpl.id, self.pricelists[company.id, currency.id].id, user.id, team.id,
                currency.id, stage.id, not state["closed"], state["close_reason"],
                current_start, end, next_invoice, recurring_total, 0.0, recurring_total,
                round(recurring_total * factor, 2), state["paused"], bool(end), created,
                written, 1, user.id,
            ))
            for k, (product, qty, price) in enumerate(
                ((self.sub_base, 1.0, base_price), (self.sub_seat, float(seats), seat_price))
            ):
                subtotal = round(qty * price, 2)
                line_rows.append((sid, product.id, product.display_name, qty, price, 0.0,
                                  subtotal, subtotal, 0.0, currency.id, company.id, created,
                                  written, 1, 1))
            for when, kind, before, after, reason in events:
                stamp = datetime.combine(when, datetime.min.time()) + timedelta(hours=10)
                moves.append((sid, partner, company.id, currency.id, user.id, team.id, when, kind,
                              before, after, round(after - before, 2), reason, False, stamp,
                              stamp, 1, 1))
        self.log("sale_subscription", bulk_insert(
            self.cr, "sale_subscription",
            ["id", "code", "name", "company_id", "partner_id", "partner_invoice_id",
             "partner_shipping_id", "template_id", "pricelist_id", "user_id", "crm_team_id",
             "currency_id", "stage_id", "in_progress", "close_reason_id", "date_start", "date",
             "recurring_next_date", "recurring_total", "amount_tax", "amount_total", "kpi_mrr",
             "is_paused", "recurring_rule_boundary", "create_date", "write_date", "create_uid",
             "write_uid"],
            sub_rows, template.id,
        ))
        self.log("sale_subscription_line", bulk_insert(
            self.cr, "sale_subscription_line",
            ["sale_subscription_id", "product_id", "name", "product_uom_qty", "price_unit",
             "discount", "price_subtotal", "price_total", "amount_tax_line_amount", "currency_id",
             "company_id", "create_date", "write_date", "create_uid", "write_uid"],
            line_rows, line_template,
        ))
        self.log("crm_kpi_subscription_movement", bulk_insert(
            self.cr, "crm_kpi_subscription_movement",
            ["subscription_id", "partner_id", "company_id", "currency_id", "user_id", "team_id",
             "date", "movement_type", "mrr_before", "mrr_after", "mrr_delta", "close_reason_id",
             "is_backfilled", "create_date", "write_date", "create_uid", "write_uid"],
            moves,
        ))

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
                    costs.append((month, round(rng.uniform(2000, 9000) * scale * share, 2),
                                  company.currency_id.id, "acquisition", team.id,
                                  rng.choice(self.campaigns) if rng.random() < 0.5 else None,
                                  None, rng.choice(self.mediums) if rng.random() < 0.4 else None,
                                  company.id, now, now, 1, 1))
                costs.append((month, round(rng.uniform(1000, 5000) * scale * share, 2),
                              company.currency_id.id, "retention", None, None, None, None,
                              company.id, now, now, 1, 1))
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
                        score = (min(5, max(1, int(rng.gauss(3.8, 1.0)))) if scale_ == "1_5"
                                 else min(10, max(0, int(rng.gauss(7.5, 2.0)))))
                        if scale_ == "0_10":
                            category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                        else:
                            category = "promoter" if score >= 4 else "passive" if score == 3 else "detractor"
                    else:
                        kind, scale_, category = "ces", "1_7", None
                        score = min(7, max(1, int(rng.gauss(5.2, 1.3))))
                    feedback.append((partner, customer, day, kind, score, scale_, category,
                                     company.id, now, now, 1, 1))
            day = self.start
            while day <= self.today:
                for source in [None, *self.sources[:4]]:
                    traffic.append((day, max(0, int(rng.gauss(300, 80) * scale * share
                                                    * (1 if source is None else 0.3))),
                                    source, company.id, now, now, 1, 1))
                day += timedelta(days=1)
        self.log("crm_kpi_cost", bulk_insert(
            self.cr, "crm_kpi_cost",
            ["date", "amount", "currency_id", "category", "team_id", "campaign_id", "source_id",
             "medium_id", "company_id", "create_date", "write_date", "create_uid", "write_uid"],
            costs,
        ))
        self.log("crm_kpi_feedback", bulk_insert(
            self.cr, "crm_kpi_feedback",
            ["partner_id", "commercial_partner_id", "date", "kind", "score", "scale", "category",
             "company_id", "create_date", "write_date", "create_uid", "write_uid"],
            feedback,
        ))
        self.log("crm_kpi_traffic", bulk_insert(
            self.cr, "crm_kpi_traffic",
            ["date", "visitors", "source_id", "company_id", "create_date", "write_date",
             "create_uid", "write_uid"],
            traffic,
        ))
        logins = []
        for user in self.users:
            day = self.start
            while day <= self.today:
                if day.weekday() < 5 and rng.random() < 0.8:
                    for _k in range(rng.choice((1, 1, 2))):
                        stamp = datetime.combine(day, datetime.min.time()) + timedelta(
                            hours=rng.uniform(7, 18))
                        logins.append((user.id, user.id, stamp, stamp))
                day += timedelta(days=1)
        self.log("res_users_log", bulk_insert(
            self.cr, "res_users_log", ["create_uid", "write_uid", "create_date", "write_date"],
            logins,
        ))

    # -- the whole run -------------------------------------------------------
    def run(self):
        steps = [self.setup_base, self.rates, self.partners, self.leads, self.orders,
                 self.subscriptions, self.inputs, self.finish]
        for step in steps:
            started = time.perf_counter()
            step()
            _logger.info("%s: %.1f s", step.__name__, time.perf_counter() - started)
        return self.counts

    def finish(self):
        """Delete the template records, refresh the planner's statistics."""
        env = self.env
        env.invalidate_all()
        for record in reversed(self.templates):
            if record._name == "sale.order":
                record.order_line.unlink()
            record.unlink()
        env.flush_all()
        env["ir.config_parameter"].set_param(
            PARAM_KEY, f"{self.size.name}:{self.today.isoformat()}")
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
