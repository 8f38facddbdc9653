# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Where the engine spends its time: the run tables, then every KPI of one
month timed on its own, then the slowest SQL queries with their EXPLAIN
ANALYZE plan.

    python bench/kpi_profile.py --size M -d crm_kpi_bench_m [--month 2026-10] \\
        [--top 3] -- --addons-path=...

Run on a generated database (bench/generate.py). Nothing is committed.
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Measure, odoo_env_args, odoo_environment  # noqa: E402


def main():
    own, odoo_args = odoo_env_args(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="?")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--month", help="YYYY-MM (default: the last complete month)")
    parser.add_argument("--top", type=int, default=3, help="queries to EXPLAIN ANALYZE")
    args = parser.parse_args(own)
    month = (
        date.fromisoformat(f"{args.month}-01")
        if args.month
        else date.today().replace(day=1) - relativedelta(months=1)
    )

    with odoo_environment(odoo_args, args.database) as env:
        from odoo.sql_db import Cursor

        from odoo.addons.crm_kpi.engine.periods import period_of

        slow = []
        original = Cursor.execute

        def execute(self, query, params=None, log_exceptions=True):
            started = time.perf_counter()
            try:
                return original(self, query, params, log_exceptions)
            finally:
                slow.append((time.perf_counter() - started, query, params))

        Snapshot = env["crm.kpi.snapshot"]
        engine = env["crm.kpi.engine"]
        companies = env["res.company"].search([])
        definitions = Snapshot._get_definitions(None)
        period = period_of("month", month)
        timings = []
        Cursor.execute = execute
        try:
            # The customer data every period reads whole, materialized once
            # per company and run (CrmKpiEngine._open_run), then each KPI's
            # own queries for the month, as compute_snapshots runs them.
            with Measure(env.cr) as opening:
                runs = {
                    company: engine._open_run(company, [period], definitions.mapped("code"))
                    for company in companies
                }
            opened = sorted(slow, key=lambda item: item[0], reverse=True)
            for definition in definitions:
                slow_before = len(slow)
                with Measure(env.cr) as m:
                    for company in companies:
                        engine._gather(
                            definition, engine._make_window(company, period, runs[company])
                        )
                worst = max(slow[slow_before:], key=lambda item: item[0], default=(0, None, None))
                timings.append((m.seconds, m.queries, definition.code, worst))
        finally:
            Cursor.execute = original
        timings.sort(reverse=True)
        total = sum(t[0] for t in timings)
        print(
            f"\nsize {args.size}, month {month}: run tables {opening.seconds:.2f} s "
            f"({opening.queries} queries), then {total:.2f} s over {len(timings)} KPIs "
            "(gathering only, nothing stored)"
        )
        for seconds, query, _params in opened[:4]:
            text = query.code if hasattr(query, "code") else str(query)
            print(f"  run table query {seconds:.3f} s: {' '.join(text.split())[:100]}")
        print("| KPI | wall time | queries | slowest query |")
        print("|---|---:|---:|---:|")
        for seconds, queries, code, worst in timings:
            print(f"| {code} | {seconds:.3f} s | {queries} | {worst[0]:.3f} s |")
        for _seconds, _queries, code, (q_seconds, query, params) in timings[: args.top]:
            if query is None:
                continue
            if hasattr(query, "code"):
                query, params = query.code, query.params
            env.cr.execute("SAVEPOINT bench_explain")
            env.cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
            plan = [row[0] for row in env.cr.fetchall()]
            env.cr.execute("ROLLBACK TO SAVEPOINT bench_explain")
            print(f"\n--- {code}: slowest query {q_seconds:.3f} s, plan (first 25 lines):")
            print("\n".join(plan[:25]))
            print("   ...", plan[-2] if len(plan) > 1 else "", plan[-1])
        env.cr.rollback()


if __name__ == "__main__":
    main()
