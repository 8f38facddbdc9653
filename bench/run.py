# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of crm_kpi on a generated CRM (see bench/generate.py).

    python bench/run.py --size S -d crm_kpi_bench_s [--month 2026-10] [--json FILE] \\
        -- --addons-path=...

(``tools/kpi bench SIZE`` creates the database, installs crm_kpi without
demo data, runs bench/generate.py once, in its own process, and runs this.) It measures, in one
process and one transaction, wall time (time.perf_counter), query count
(the cursor's ``sql_log_count``) and peak RSS (resource.getrusage):

1. every KPI of one month, all companies and dimensions, then the 24 months
   ending with it (``compute_snapshots("month", …)``);
2. win rate, churn and CAC of the month with a naive per-record ORM
   implementation (bench/naive.py);
3. the floor (bench/handsql.py): every KPI of the month, company totals
   only, with one hand-written SQL aggregate per KPI family; the same with
   the purchase events of each company built once in temporary tables
   (the stricter floor of the whole catalog); the same per family next to
   the engine computing only that family's KPIs; and the
   first floor, win rate, churn and CAC with one query each, next to the
   engine computing only those three;
4. a partner list of 80 rows as the list view reads it; the dashboard data
   and the XLSX board pack of 24 months when those exist in the database;
5. the peak memory of the process.

The engine's company rows of the month (as the one-month run stores them,
and again as the back-fill stores them) and the floor must be equal, KPI by
KPI (numerator, denominator and value within a relative 1e-6, the floor's
value rounded to the 4 decimals the snapshot stores; no value on both sides
counts as equal): the run fails (exit status 1) otherwise, naming the KPI,
the company and both values. KPIs listed in ``handsql.KNOWN_MISMATCHES``
are reported apart and do not fail it.
"""

import argparse
import json
import statistics
import sys
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SIZES, Measure, odoo_env_args, odoo_environment, peak_rss_mb  # noqa: E402

THREE_KPIS = ("win_rate", "churn", "cac")
# The snapshot stores the value rounded to 4 decimals (crm.kpi.snapshot
# _value_of), numerator and denominator as computed: the floor's value is
# rounded the same way before it is compared.
VALUE_DIGITS = 4
TOLERANCE = 1e-6


def _engine_values(env, month, companies, codes):
    """{(company id, code): numerator, denominator, value} of the engine's
    company rows of the month, read from the table as stored."""
    env.flush_all()
    env.cr.execute(
        """
        SELECT company_id, kpi_code, numerator, denominator,
               CASE WHEN has_value THEN value END AS value
          FROM crm_kpi_snapshot
         WHERE kpi_code = ANY(%s) AND period_type = 'month' AND date_start = %s
           AND dimension = 'company' AND company_id = ANY(%s)
        """,
        [list(codes), month, companies.ids],
    )
    return {
        (company_id, code): {"numerator": num, "denominator": den, "value": value}
        for company_id, code, num, den, value in env.cr.fetchall()
    }


def _same(engine, floor, rounded=True):
    """Whether the engine's snapshot and the floor agree: no value on both
    sides or both values, and numerator, denominator and value equal within
    a relative 1e-6 (of at least 1), the floor's value rounded as the
    snapshot stores it; a missing numerator or denominator counts as 0, as
    it is stored."""
    if (engine.get("value") is None) != (floor.get("value") is None):
        return False
    for key in ("numerator", "denominator", "value"):
        x, y = engine.get(key), floor.get(key)
        if key == "value" and x is None:
            continue
        x, y = float(x or 0.0), float(y or 0.0)
        if rounded and key == "value":
            y = round(y, VALUE_DIGITS)
        if abs(x - y) > TOLERANCE * max(1.0, abs(y)):
            return False
    return True


def _fmt(value):
    return ", ".join(
        f"{key} {'None' if value.get(key) is None else f'{float(value[key]):.6g}'}"
        for key in ("numerator", "denominator", "value")
    )


def _list_specification(env, model):
    """Fields of the model's default list view, as the web client reads them."""
    from lxml import etree

    views = env[model].get_views([(False, "list")])
    arch = etree.fromstring(views["views"]["list"]["arch"])
    fields = env[model]._fields
    spec = {}
    for node in arch.iter("field"):
        name = node.get("name")
        if name in fields and node.getparent().tag == "list":
            field = fields[name]
            spec[name] = {"fields": {"display_name": {}}} if field.relational else {}
    return spec


class Bench:
    def __init__(self, env, size_name, month, naive, backfill_months=24, repeat=1):
        self.env = env
        self.size_name = size_name
        self.month = month
        self.naive = naive
        self.backfill_months = backfill_months
        self.repeat = repeat
        self.rows = []  # (step, seconds, queries, note)
        self.results = {}

    def measure(self, step, func, note="", repeat=None):
        """Time ``func`` ``repeat`` times; keep the median (a shared machine
        is noisy) with the fastest and slowest run, and the query count of
        the first run (later runs find Odoo's caches warm)."""
        env = self.env
        runs = []
        for _run in range(repeat or self.repeat):
            env.invalidate_all()
            with Measure(env.cr) as m:
                result = func()
                env.flush_all()
            runs.append(m)
        seconds = sorted(m.seconds for m in runs)
        median = statistics.median(seconds)
        self.rows.append(
            {
                "step": step,
                "seconds": median,
                "queries": runs[0].queries,
                "min": seconds[0],
                "max": seconds[-1],
                "note": note,
            }
        )
        spread = (
            f" (median of {len(runs)}: {seconds[0]:.3f} to {seconds[-1]:.3f} s)"
            if len(runs) > 1
            else ""
        )
        print(f"  {step}: {median:.3f} s{spread}, {runs[0].queries} queries {note}", flush=True)
        return result

    def skip(self, step, note):
        self.rows.append({"step": step, "seconds": None, "queries": None, "note": note})
        print(f"  {step}: skipped ({note})", flush=True)

    def measure_cohorts(self, companies, period):
        """The retention cohort cells of the month (computed by the monthly
        runs of the cohorts' KPIs), with the run's tables they read, not
        stored."""
        engine = self.env["crm.kpi.engine"]
        cohort_codes = sorted(engine._cohort_kpis())

        def cohort_cells():
            cells = 0
            for company in companies:
                with engine._run(company, [period], cohort_codes) as run:
                    cells += len(engine._cohort_cells(engine._make_window(company, period, run)))
            return cells

        cells = self.measure(
            "engine: retention cohort cells, 1 month",
            cohort_cells,
            "(with the run tables of the cohorts' KPIs, not stored)",
        )
        print(f"  retention cohort cells of the month: {cells}", flush=True)

    def run(self):
        import handsql
        import naive

        from odoo.addons.crm_kpi.engine.periods import period_of

        # the KPIs counted back from now (stale leads) are measured at the
        # transaction's moment, as the floor measures them: the engine's runs
        # minutes apart would otherwise see a few more leads go stale
        self.env = self.env(context=dict(self.env.context, crm_kpi_now=handsql._now(self.env)))
        env = self.env
        Snapshot = env["crm.kpi.snapshot"]
        companies = env["res.company"].search([])
        period = period_of("month", self.month)
        first = self.month - relativedelta(months=23)
        n_kpis = len(Snapshot._get_definitions(None))

        # 1. Engine: one month, then 24 months.
        floor_codes = [code for codes in handsql.FAMILY_CODES.values() for code in codes]
        self.measure(
            "engine: all KPIs, 1 month",
            lambda: Snapshot.compute_snapshots("month", self.month, company_ids=companies.ids),
            f"({n_kpis} KPIs x {len(companies)} companies)",
        )
        # the month as one month's run stores it, then as the back-fill does
        engines = [("engine", _engine_values(env, self.month, companies, floor_codes))]
        if self.backfill_months:
            backfill_first = self.month - relativedelta(months=self.backfill_months - 1)
            self.measure(
                f"engine: back-fill {self.backfill_months} months",
                lambda: Snapshot.compute_snapshots(
                    "month", backfill_first, self.month, company_ids=companies.ids
                ),
            )
        else:
            self.skip("engine: back-fill 24 months", "--backfill-months 0")
        if self.backfill_months:
            engines.append(
                ("engine (back-fill)", _engine_values(env, self.month, companies, floor_codes))
            )

        self.measure_cohorts(companies, period)

        # 2. The floor: all KPIs, then family by family next to the engine.
        def floor(func):
            # the floor runs with JIT off, as the engine's runs do
            def run():
                with handsql.jit_off(env):
                    return func()

            return run

        hand = self.measure(
            "hand SQL: all KPIs, 1 month",
            floor(lambda: handsql.all_kpis(env, companies, period)),
            f"({len(floor_codes)} KPIs x {len(companies)} companies)",
        )
        shared = self.measure(
            "hand SQL: all KPIs, events shared",
            floor(lambda: handsql.all_kpis(env, companies, period, shared=True)),
            "(events built once per company)",
        )
        for family, func in handsql.FAMILIES.items():
            codes = list(handsql.FAMILY_CODES[family])
            self.measure(
                f"engine: {family}",
                lambda codes=codes: Snapshot.compute_snapshots(
                    "month", self.month, kpi_codes=codes, company_ids=companies.ids
                ),
                f"({len(codes)} KPIs)",
            )
            self.measure(
                f"hand SQL: {family}",
                floor(lambda func=func: [func(env, company, period) for company in companies]),
            )

        # 3. The three first checked KPIs: engine alone, hand SQL, naive ORM.
        self.measure(
            "engine: win rate + churn + CAC",
            lambda: Snapshot.compute_snapshots(
                "month", self.month, kpi_codes=list(THREE_KPIS), company_ids=companies.ids
            ),
        )
        hand3 = self.measure(
            "hand SQL: win rate + churn + CAC",
            floor(
                lambda: {
                    (company.id, code): func(env, company, period)
                    for company in companies
                    for code, func in handsql.THREE.items()
                }
            ),
        )
        naive_values = None
        if self.naive:
            # once: it takes minutes from size M on
            naive_values = self.measure(
                "naive ORM: win rate + churn + CAC",
                lambda: {
                    (company.id, code): func(env, company, period)
                    for company in companies
                    for code, func in naive.KPIS.items()
                },
                repeat=1,
            )
        else:
            self.skip("naive ORM: win rate + churn + CAC", "too slow at this size (--naive)")

        # 4. Reading: partner list, dashboard, XLSX.
        salesperson = env["res.users"].search([("login", "like", "bench.sales.%")], limit=1)
        Partner = env["res.partner"].with_user(salesperson or env.user)
        spec = _list_specification(env, "res.partner")
        self.measure(
            "partner list, 80 rows",
            lambda: Partner.web_search_read([], spec, limit=80, count_limit=10001),
            f"({len(spec)} fields)",
        )
        if "crm.kpi.dashboard" in env:
            self.measure(
                "dashboard data (month)",
                lambda: env["crm.kpi.dashboard"].get_dashboard_data("month", date=self.month),
            )
        else:
            self.skip("dashboard data (month)", "crm.kpi.dashboard not in this database")
        report = env.ref("crm_kpi.report_kpi_board_pack", raise_if_not_found=False)
        if report:
            options = {
                "date_from": first.isoformat(),
                "date_to": (self.month + relativedelta(months=1, days=-1)).isoformat(),
                "period_type": "month",
                "company_id": companies[0].id,
                "scope": "company",
                "team_ids": [],
                "user_ids": [],
                "kpi_ids": [],
                "include_goals": True,
                "include_definitions": True,
            }
            self.measure(
                "XLSX board pack, 24 months",
                lambda: env["ir.actions.report"]._render_xlsx(
                    report.report_name, [], {"board_pack": options}
                ),
            )
        else:
            self.skip("XLSX board pack, 24 months", "report crm_kpi.report_kpi_board_pack absent")
        if "crm.kpi.goal" not in env:
            print("  (crm.kpi.goal absent: the XLSX pack has no goals sheet)")

        # Cross-check, KPI by KPI and company by company.
        names = dict(companies.mapped(lambda company: (company.id, company.name)))
        mismatches, known, agreeing_known = [], [], set()
        checks = [(*engine, "floor", hand) for engine in engines]
        checks.append((*engines[0], "floor (events shared)", shared))
        checks.append((*engines[0], "first floor", hand3))
        for engine_label, engine, label, values in checks:
            for (company_id, code), expected in sorted(values.items()):
                got = engine.get(
                    (company_id, code), {"numerator": 0, "denominator": 0, "value": None}
                )
                if _same(got, expected):
                    if label == "floor" and code in handsql.KNOWN_MISMATCHES:
                        agreeing_known.add(code)
                    continue
                text = (
                    f"{code} of {names[company_id]}: {engine_label} {_fmt(got)}; "
                    f"{label} {_fmt(expected)}"
                )
                if code in handsql.KNOWN_MISMATCHES:
                    known.append(f"{text} ({handsql.KNOWN_MISMATCHES[code]})")
                else:
                    mismatches.append(text)
        no_value = sorted(
            {code for (_company, code), value in hand.items() if value["value"] is None}
        )
        naive_same = None
        if naive_values is not None:
            naive_same = all(_same(naive_values[k], hand3[k], rounded=False) for k in naive_values)
        self.results = {
            "size": self.size_name,
            "month": self.month.isoformat(),
            "steps": self.rows,
            "peak_rss_mb": peak_rss_mb(),
            "values": {f"{company}:{code}": value for (company, code), value in hand.items()},
            "engine_equals_hand_sql": not mismatches,
            "naive_equals_hand_sql": naive_same,
            "mismatches": mismatches,
            "known_mismatches": known,
            "no_value_kpis": no_value,
            "known_but_equal": sorted(agreeing_known - {m.split()[0] for m in known}),
            "checked_kpis": len(floor_codes),
            "skipped_kpis": dict(handsql.SKIPPED),
            "families": {family: list(codes) for family, codes in handsql.FAMILY_CODES.items()},
            "kpis": n_kpis,
            "companies": len(companies),
        }
        return self.results


def print_table(results):
    steps = {row["step"]: row for row in results["steps"]}

    def secs(name):
        return steps.get(name, {}).get("seconds")

    print(
        f"\nSize {results['size']}, month {results['month']}, "
        f"{results['kpis']} KPIs x {results['companies']} companies"
    )
    print(f"| {'step':42} | {'wall time':>10} | {'queries':>8} |")
    print(f"|{'-' * 44}|{'-' * 11}:|{'-' * 9}:|")
    for row in results["steps"]:
        wall = "skipped" if row["seconds"] is None else f"{row['seconds']:.3f} s"
        queries = "" if row["queries"] is None else str(row["queries"])
        print(f"| {row['step']:42} | {wall:>10} | {queries:>8} |")
    print(f"| {'peak RSS of the process':42} | {results['peak_rss_mb']:>7.0f} MB | {'':>8} |")
    one = steps["engine: all KPIs, 1 month"]
    backfill = next(
        (
            row
            for row in results["steps"]
            if row["step"].startswith("engine: back-fill") and row["queries"]
        ),
        None,
    )
    months = int(backfill["step"].split()[2]) if backfill else 0
    print(
        f"\nqueries per period: 1 month {one['queries']}"
        + (f", back-fill {backfill['queries'] / months:.1f} per month" if backfill else "")
    )
    engine_all, hand_all = secs("engine: all KPIs, 1 month"), secs("hand SQL: all KPIs, 1 month")
    if engine_all and hand_all:
        print(
            f"engine / hand SQL (all {results['checked_kpis']} KPIs of the floor, 1 month): "
            f"{engine_all / hand_all:.2f} (the engine also stores every dimension)"
        )
    shared = secs("hand SQL: all KPIs, events shared")
    if engine_all and shared:
        print(
            f"engine / hand SQL with the events shared (all {results['checked_kpis']} KPIs): "
            f"{engine_all / shared:.2f}"
        )
    print(
        f"\n| {'family':14} | {'KPIs':>4} | {'engine':>9} | {'queries':>7} "
        f"| {'floor':>9} | {'queries':>7} | {'engine / floor':>14} |"
    )
    print(f"|{'-' * 16}|{'-' * 5}:|{'-' * 10}:|{'-' * 8}:|{'-' * 10}:|{'-' * 8}:|{'-' * 15}:|")
    for family, codes in results["families"].items():
        eng, flo = steps.get(f"engine: {family}"), steps.get(f"hand SQL: {family}")
        if not eng or not flo or eng["seconds"] is None:
            continue
        ratio = f"{eng['seconds'] / flo['seconds']:.2f}" if flo["seconds"] else "-"
        print(
            f"| {family:14} | {len(codes):>4} | {eng['seconds']:>7.3f} s | {eng['queries']:>7} "
            f"| {flo['seconds']:>7.3f} s | {flo['queries']:>7} | {ratio:>14} |"
        )
    if results["no_value_kpis"]:
        print(
            "without value for some company (engine and floor agree on it):",
            ", ".join(results["no_value_kpis"]),
        )
    for code, why in results["skipped_kpis"].items():
        print(f"not in the floor: {code} ({why})")
    engine3, hand, naive = (
        secs("engine: win rate + churn + CAC"),
        secs("hand SQL: win rate + churn + CAC"),
        secs("naive ORM: win rate + churn + CAC"),
    )
    if engine3 and hand:
        print(f"engine / hand SQL (win rate + churn + CAC): {engine3 / hand:.2f}")
    if engine3 and naive:
        print(f"naive / engine (win rate + churn + CAC): {naive / engine3:.1f}")
    print(
        f"engine = hand SQL for all {results['checked_kpis']} KPIs of the floor "
        f"x {results['companies']} companies:",
        "yes" if results["engine_equals_hand_sql"] else "NO",
    )
    if results["naive_equals_hand_sql"] is not None:
        print("naive = hand SQL:", "yes" if results["naive_equals_hand_sql"] else "no")
    for mismatch in results["mismatches"]:
        print("  MISMATCH:", mismatch)
    for mismatch in results["known_mismatches"]:
        print("  KNOWN MISMATCH (engine believed wrong, see bench/handsql.py):", mismatch)
    for code in results["known_but_equal"]:
        print(
            f"  known mismatch {code}: engine = floor on this data "
            "(the data does not show the difference, see bench/handsql.py)"
        )


def main():
    own, odoo_args = odoo_env_args(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--month", help="YYYY-MM (default: the last complete month)")
    parser.add_argument(
        "--naive",
        choices=("auto", "yes", "no"),
        default="auto",
        help="run the naive ORM step (auto: up to M)",
    )
    parser.add_argument(
        "--backfill-months", type=int, default=24, help="months of the back-fill step (0: skip it)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="time each step this many times and report the median"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(own)
    today = date.today()
    month = (
        date.fromisoformat(f"{args.month}-01")
        if args.month
        else today.replace(day=1) - relativedelta(months=1)
    )
    naive = args.naive == "yes" or (args.naive == "auto" and SIZES[args.size].leads <= 100_000)

    with odoo_environment(odoo_args, args.database) as env:
        from generate import PARAM_KEY

        done = env["ir.config_parameter"].get_param(PARAM_KEY)
        if not done or not done.startswith(f"{args.size}:"):
            sys.exit(
                f"{args.database} holds no generated data of size {args.size} ({done}): "
                "run bench/generate.py first (tools/kpi bench does)"
            )
        print(f"benchmark of size {args.size} on {args.database}", flush=True)
        results = Bench(
            env, args.size, month, naive, args.backfill_months, max(1, args.repeat)
        ).run()
        env.cr.commit()
    print_table(results)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    if not results["engine_equals_hand_sql"]:
        sys.exit(
            "benchmark FAILED: the engine and the floor differ for "
            + "; ".join(results["mismatches"])
        )


if __name__ == "__main__":
    main()
