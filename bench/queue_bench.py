# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The back-fill through OCA queue_job with 1, 2 and 4 job-runner workers,
against the same back-fill in one process.

    python bench/queue_bench.py --size M -d DB [--months 24] [--workers 1,2,4]
        [--port 8079] [--json FILE] -- --addons-path=... [odoo-bin options]

The database holds the generated data (``bench/generate.py``); queue_job is
installed into it first when it is not. For each number of workers N, an
Odoo server is started on the database with ``--workers=N`` and queue_job's
job runner (``--load=base,web,queue_job``, channels ``root:N,root.crm_kpi:N``),
then a background computation of the months for both companies is created
(as the Compute KPIs wizard does) and the clock runs until its last job has
ended. The single-process row computes the same months with
``crm.kpi.snapshot._compute_snapshots`` in this process. Every run
recomputes the same snapshots (upserts), so the runs are comparable.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import BENCH_DIR, odoo_env_args, odoo_environment  # noqa: F401 -- sys.path
from dateutil.relativedelta import relativedelta

ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo")


def odoo_bin(odoo_args, db, *extra):
    return [sys.executable, str(Path(ODOO_SRC) / "odoo-bin"), *odoo_args, "-d", db, *extra]


def ensure_queue_job(odoo_args, db):
    with odoo_environment(odoo_args, db) as env:
        state = env["ir.module.module"].search([("name", "=", "queue_job")]).state
    if state != "installed":
        print("installing queue_job", flush=True)
        subprocess.run(
            odoo_bin(
                odoo_args,
                db,
                "-i",
                "queue_job",
                "--stop-after-init",
                "--max-cron-threads=0",
                "--log-level=warn",
            ),
            check=True,
        )


def months_range(env, months):
    from odoo import fields

    today = fields.Date.context_today(env["crm.kpi.snapshot"])
    last = today.replace(day=1) - relativedelta(months=1)
    first = last - relativedelta(months=months - 1)
    return first, last + relativedelta(months=1, days=-1)


def single_process(odoo_args, db, months):
    with odoo_environment(odoo_args, db) as env:
        companies = env["res.company"].search([])
        first, last = months_range(env, months)
        start = time.perf_counter()
        snapshots, _errors = env["crm.kpi.snapshot"]._compute_snapshots(
            "month", first, last, company_ids=companies.ids
        )
        env.cr.commit()
        return time.perf_counter() - start, len(snapshots)


def wait_http(port, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=2)
            return True
        except urllib.error.HTTPError:  # it answers
            return True
        except OSError:
            time.sleep(0.5)
    return False


def with_jobs(odoo_args, db, months, workers, port, log):
    env_vars = {**os.environ, "ODOO_QUEUE_JOB_CHANNELS": f"root:{workers},root.crm_kpi:{workers}"}
    server = subprocess.Popen(
        odoo_bin(
            odoo_args,
            db,
            f"--workers={workers}",
            "--load=base,web,queue_job",
            "--max-cron-threads=0",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            f"--db-filter=^{db}$",
            "--limit-time-real=3600",
            "--limit-time-cpu=3600",
            "--limit-memory-hard=4294967296",
            "--limit-memory-soft=3221225472",
            f"--logfile={log}",
            "--log-level=info",
        ),
        env=env_vars,
        start_new_session=True,
    )
    try:
        if not wait_http(port):
            raise SystemExit(f"the server with {workers} workers did not answer (see {log})")
        time.sleep(2)  # the job runner connects to the database
        # the units are cut to the channel's capacity, as the server would
        os.environ["ODOO_QUEUE_JOB_CHANNELS"] = env_vars["ODOO_QUEUE_JOB_CHANNELS"]
        with odoo_environment(odoo_args, db) as env:
            companies = env["res.company"].search([])
            first, last = months_range(env, months)
            Request = env["crm.kpi.compute.request"].with_context(
                crm_kpi_queue=True, allowed_company_ids=companies.ids
            )
            request = Request.create(
                {
                    "period_type": "month",
                    "date_from": first,
                    "date_to": last,
                    "company_ids": [(6, 0, companies.ids)],
                }
            )
            env.cr.commit()
            start = time.perf_counter()
            units = len(request.unit_ids)
            while True:
                env.cr.execute(
                    "SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER "
                    "(WHERE state = 'failed'), sum(values_count) FROM crm_kpi_compute_unit "
                    "WHERE request_id = %s",
                    [request.id],
                )
                queued, failed, values = env.cr.fetchone()
                env.cr.commit()  # a new snapshot of the database for the next poll
                if not queued:
                    break
                if time.perf_counter() - start > 3600:
                    raise SystemExit("the jobs did not end within an hour")
                time.sleep(0.2)
            seconds = time.perf_counter() - start
            return seconds, units, failed, values
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main():
    script_args, odoo_args = odoo_env_args(sys.argv[1:])
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="?")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--json")
    args = parser.parse_args(script_args)
    ensure_queue_job(odoo_args, args.database)
    rows = []
    seconds, values = single_process(odoo_args, args.database, args.months)
    rows.append({"step": "one process", "seconds": round(seconds, 2), "values": values})
    print(f"one process: {seconds:.2f} s, {values} values", flush=True)
    for workers in (int(w) for w in args.workers.split(",")):
        log = f"/tmp/crm_kpi_queue_bench_{workers}.log"
        seconds, units, failed, values = with_jobs(
            odoo_args, args.database, args.months, workers, args.port, log
        )
        rows.append(
            {
                "step": f"queue_job, {workers} workers",
                "seconds": round(seconds, 2),
                "jobs": units,
                "failed": failed,
                "values": values,
            }
        )
        print(
            f"queue_job with {workers} workers: {seconds:.2f} s, {units} jobs, {failed} failed, "
            f"{values} values",
            flush=True,
        )
    result = {"size": args.size, "months": args.months, "cores": os.cpu_count(), "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
