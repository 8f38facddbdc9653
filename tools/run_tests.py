# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Run every crm_kpi test and print one closing line "N passed, N failed".

Called by ``tools/kpi test`` as ``run_tests.py [options] -- ODOO_COMMAND...``
where ODOO_COMMAND is the python + odoo-bin + addons path to use.

1. The plain-Python engine tests (``engine/tests``), no Odoo import, and
   the tooling's own (``tools/test_*.py``, e.g. the Apps page being up to
   date with ``readme/``).
   Odoo's runner runs them too (``tests/test_engine.py``, tag
   ``crm_kpi_engine``), so that ``--test-enable`` alone runs everything;
   step 3 excludes that tag, so that each test is run and counted once.
1b. The wheel check (``tools/check_wheel.py``, no Odoo, a few seconds):
   the wheel built with whool holds the add-on and none of the tooling,
   installs, and its manifest parses (``--skip-wheel`` leaves it out).
2. The add-on installed on an empty database (no demo data): must load
   without an error in the log.
3. Odoo's own test runner (``--test-enable``, at_install and post_install
   tests of crm_kpi) on a fresh database with Odoo's demo data, with OCA
   ``helpdesk_mgmt`` installed beside crm_kpi (which does not depend on it)
   so that the KPI on its tickets is tested too (its tests are skipped
   when ``helpdesk_mgmt`` is not in the addons path).
3b. The translation check (``tools/i18n.py check`` on the database of step
   2): one test for the template (every translatable string of the add-on
   is in ``i18n/crm_kpi.pot``) and one per language (nl, de, ro, ja: every
   term translated, placeholders kept, nothing left in English).
4. A benchmark smoke run (one test): ``bench/run.py`` at size XS (a few
   hundred leads) on a copy of the database of step 2 (or a fresh install
   without demo data); it checks no timing, only that the generator and the
   benchmark run and that the engine and the floor (bench/handsql.py, the
   hand-written SQL of every KPI but resolution_time) give the same
   numerator, denominator and value for every KPI of the month, company by
   company.

5. With ``--odoo-suites``: Odoo's own test suites of crm, sale_crm,
   subscription_oca and survey, run by ``tools/odoo_suites.py`` (at_install
   and post_install tests once the whole registry is loaded) on a database
   with crm_kpi's dependencies and sale_crm installed, once without crm_kpi
   and once with it. A test that fails only with crm_kpi fails the run.

Each database is named uniquely and dropped afterwards (``--keep-db`` keeps
them for inspection). The exit status is non-zero when anything failed.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import pgdb  # noqa: E402

RESULT_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
LEVEL_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) ")
SKIP_RE = re.compile(r" INFO \S+ odoo\.addons\.crm_kpi\.\S+: skipped ")
SHOWN_RE = re.compile(r" (ERROR|CRITICAL|WARNING) |odoo\.tests\.result|Starting \w+\.test_")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, passed=0, failed=0, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        return text


def section(title):
    print(f"\n=== {title}", flush=True)


def run_engine_tests(tally):
    section("engine tests (plain Python)")
    suite = unittest.defaultTestLoader.discover(
        str(ROOT / "engine" / "tests"), top_level_dir=str(ROOT)
    )
    suite.addTests(
        unittest.defaultTestLoader.discover(
            str(ROOT / "tools"), pattern="test_*.py", top_level_dir=str(ROOT / "tools")
        )
    )
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    tally.add(passed=result.testsRun - failed - skipped, failed=failed, skipped=skipped)


def run_wheel_check(tally):
    section("wheel (tools/check_wheel.py)")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_wheel.py")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    print(proc.stdout, end="", flush=True)
    results = [
        line.split()[0] for line in proc.stdout.splitlines() if line.startswith(("ok ", "FAILED "))
    ]
    passed, failed = results.count("ok"), results.count("FAILED")
    if proc.returncode and not failed:
        print(proc.stderr[-3000:])
        failed = 1
    tally.add(passed=passed, failed=failed)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_odoo(odoo_cmd, db, extra, log_path, modules=("crm_kpi",)):
    """Run Odoo until it stops; echo the interesting lines; return (rc, log lines)."""
    cmd = [
        *odoo_cmd,
        "-d",
        db,
        "-i",
        ",".join(modules),
        "--stop-after-init",
        "--max-cron-threads=0",
        f"--http-port={free_port()}",
        f"--logfile={log_path}",
        *extra,
    ]
    rc = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    lines = (
        Path(log_path).read_text(errors="replace").splitlines() if Path(log_path).exists() else []
    )
    for line in lines:
        if SHOWN_RE.search(line) or (line and not LEVEL_RE.match(line)):
            print(line)
    return rc, lines


def error_lines(lines):
    return [
        line
        for line in lines
        if (m := LEVEL_RE.match(line)) and m.group(1) in ("ERROR", "CRITICAL")
    ]


def run_install_check(odoo_cmd, tally, db, logdir):
    section(f"install on an empty database ({db})")
    rc, lines = run_odoo(odoo_cmd, db, ["--without-demo", "--log-level=info"], logdir / f"{db}.log")
    ok = rc == 0 and not error_lines(lines)
    print("install on an empty database:", "ok" if ok else f"FAILED (exit {rc})", flush=True)
    tally.add(passed=int(ok), failed=int(not ok))


# Tag of the engine tests as Odoo's runner loads them (tests/test_engine.py):
# step 1 has run them already, step 3 leaves them out.
ENGINE_TAG = "crm_kpi_engine"
# Add-ons that crm_kpi does not depend on but has KPIs or jobs for, installed beside
# it for step 3 when the addons path has them (requirements-oca.txt).
BESIDE_MODULES = ("helpdesk_mgmt", "queue_job")


def addons_having(odoo_cmd, modules):
    """The ``modules`` found in the ``--addons-path`` of ``odoo_cmd``."""
    paths = [
        Path(path)
        for arg in odoo_cmd
        if arg.startswith("--addons-path=")
        for path in arg.split("=", 1)[1].split(",")
        if path
    ]
    return [
        module
        for module in modules
        if any((path / module / "__manifest__.py").exists() for path in paths)
    ]


def run_odoo_tests(odoo_cmd, tally, db, logdir, tags):
    beside = addons_having(odoo_cmd, BESIDE_MODULES)
    section(f"Odoo tests ({db}, with demo data, crm_kpi beside {', '.join(beside) or 'nothing'})")
    for module in sorted(set(BESIDE_MODULES) - set(beside)):
        print(f"{module} is not in the addons path: the tests of its KPIs are skipped", flush=True)
    rc, lines = run_odoo(
        odoo_cmd,
        db,
        ["--with-demo", "--test-enable", f"--test-tags={tags},-{ENGINE_TAG}", "--log-level=test"],
        logdir / f"{db}.log",
        modules=("crm_kpi", *beside),
    )
    match = next((m for line in reversed(lines) if (m := RESULT_RE.search(line))), None)
    if not match:
        print(f"Odoo stopped (exit {rc}) without a test report", flush=True)
        tally.add(failed=1)
        return
    failures, errors, run = (int(g) for g in match.groups())
    skipped = sum(1 for line in lines if SKIP_RE.search(line))
    failed = failures + errors
    if not failed and (rc != 0 or error_lines(lines)):
        # An error outside any test (module loading, a view, a data file).
        print(f"errors in the server log outside tests (exit {rc})", flush=True)
        failed = 1
    tally.add(passed=run - failures - errors - skipped, failed=failed, skipped=skipped)


def run_i18n_check(odoo_cmd, tally, db, logdir):
    section(f"translations ({db})")
    addons = [arg for arg in odoo_cmd if arg.startswith("--addons-path=")]
    cmd = [
        odoo_cmd[0],
        str(ROOT / "tools" / "i18n.py"),
        "check",
        "-d",
        db,
        "--",
        *addons,
        "--log-level=warn",
        f"--logfile={logdir / (db + '.i18n.log')}",
    ]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    print(proc.stdout, end="")
    results = [
        line.split()[0] for line in proc.stdout.splitlines() if line.startswith(("ok ", "FAILED "))
    ]
    passed, failed = results.count("ok"), results.count("FAILED")
    if proc.returncode and not failed:
        print(proc.stderr[-3000:])
        failed = 1
    tally.add(passed=passed, failed=failed)


def run_bench_smoke(odoo_cmd, tally, db, logdir, empty_db=None):
    section(f"benchmark smoke run, size XS ({db})")
    addons = next((arg for arg in odoo_cmd if arg.startswith("--addons-path=")), None)
    python = odoo_cmd[0]
    ok = True
    if empty_db and pgdb.exists(empty_db):
        pgdb.copy(db, empty_db)
    else:
        rc, lines = run_odoo(
            odoo_cmd, db, ["--without-demo", "--log-level=warn"], logdir / f"{db}.log"
        )
        ok = rc == 0 and not error_lines(lines)
    if ok:
        odoo_args = ["--", *([addons] if addons else []), "--log-level=warn"]
        log_path = logdir / f"{db}.bench.log"
        with open(log_path, "w") as log:
            rc = 0
            for script in ("generate.py", "run.py"):
                if rc == 0:
                    cmd = [
                        python,
                        str(ROOT / "bench" / script),
                        "--size",
                        "XS",
                        "-d",
                        db,
                        *odoo_args,
                    ]
                    rc = subprocess.call(
                        cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                    )
        text = Path(log_path).read_text(errors="replace")
        for line in text.splitlines():
            if (
                line.startswith(
                    (
                        "|",
                        "engine",
                        "naive",
                        "queries",
                        "  MISMATCH",
                        "  KNOWN MISMATCH",
                        "  known",
                        "without value",
                        "not in the floor",
                        "benchmark FAILED",
                    )
                )
                or " ERROR " in line
            ):
                print(line)
        # the XS run cross-checks every KPI of the floor against the engine
        ok = rc == 0 and bool(
            re.search(r"^engine = hand SQL for all \d+ KPIs .*: yes$", text, re.M)
        )
    print("benchmark smoke run:", "ok" if ok else "FAILED", flush=True)
    tally.add(passed=int(ok), failed=int(not ok))


SUITE_MODULES = ("crm", "sale_crm", "subscription_oca", "survey")
SUITE_BASE = ("crm", "sale_crm", "sale_management", "subscription_oca", "survey", "report_xlsx")
SUITE_FAILURE_RE = re.compile(r" ERROR \S+ (\S+): (?:FAIL|ERROR): (?:Subtest )?(\S+)")


def run_suites_once(odoo_cmd, db, logdir, with_kpi):
    """Install the base modules (and crm_kpi), run the suites; return
    (set of failing tests, number of tests, seconds) or None on a crash."""
    started = time.monotonic()
    modules = ",".join((*SUITE_BASE, "crm_kpi") if with_kpi else SUITE_BASE)
    install = [
        *odoo_cmd,
        "-d",
        db,
        "-i",
        modules,
        "--with-demo",
        "--stop-after-init",
        "--max-cron-threads=0",
        f"--http-port={free_port()}",
        "--log-level=warn",
        f"--logfile={logdir / (db + '.install.log')}",
    ]
    if subprocess.call(install, stdin=subprocess.DEVNULL):
        print(f"installing {modules} in {db} failed", flush=True)
        return None
    log_path = logdir / f"{db}.log"
    python, odoo_bin, *options = odoo_cmd
    tags = ",".join(f"/{module}" for module in SUITE_MODULES)
    cmd = [
        python,
        str(ROOT / "tools" / "odoo_suites.py"),
        odoo_bin,
        *options,
        "-d",
        db,
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        "--max-cron-threads=0",
        f"--http-port={free_port()}",
        "--log-level=test",
        f"--logfile={log_path}",
    ]
    subprocess.call(cmd, stdin=subprocess.DEVNULL)
    lines = Path(log_path).read_text(errors="replace").splitlines() if log_path.exists() else []
    match = next((m for line in reversed(lines) if (m := RESULT_RE.search(line))), None)
    run = int(match.group(3)) if match else 0
    if not match and not any("post-tests in" in line for line in lines):
        print(f"the suites did not report on {db}", flush=True)
        return None
    failures = {
        f"{m.group(1)}:{m.group(2)}" for line in lines if (m := SUITE_FAILURE_RE.search(line))
    }
    return failures, run, time.monotonic() - started


def run_odoo_suites(odoo_cmd, tally, stamp, logdir, databases):
    section("Odoo's own suites with and without crm_kpi (" + ", ".join(SUITE_MODULES) + ")")
    results = {}
    for with_kpi in (False, True):
        databases.append(f"crm_kpi_suites_{'with' if with_kpi else 'without'}_{stamp}")
        results[with_kpi] = run_suites_once(odoo_cmd, databases[-1], logdir, with_kpi)
        if results[with_kpi]:
            failures, run, seconds = results[with_kpi]
            print(
                f"{'with' if with_kpi else 'without'} crm_kpi: {run} tests, "
                f"{len(failures)} failing, {seconds:.0f} s",
                flush=True,
            )
    if not results[False] or not results[True]:
        tally.add(failed=1)
        return
    only_with = sorted(results[True][0] - results[False][0])
    for test in only_with:
        print(f"  fails only with crm_kpi: {test}")
    ok = not only_with and results[True][1] >= results[False][1]
    if results[True][1] < results[False][1]:
        print("  fewer tests ran with crm_kpi", flush=True)
    print("Odoo's own suites:", "ok" if ok else "FAILED", flush=True)
    tally.add(passed=int(ok), failed=int(not ok))


def main():
    if "--" not in sys.argv:
        sys.exit(
            "usage: run_tests.py [--engine-only] [--skip-wheel] [--keep-db] [--tags TAGS] "
            "[--odoo-suites] -- ODOO_COMMAND..."
        )
    split = sys.argv.index("--")
    odoo_cmd = sys.argv[split + 1 :]
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine-only", action="store_true", help="only the plain-Python tests")
    parser.add_argument("--skip-install-check", action="store_true")
    parser.add_argument("--keep-db", action="store_true", help="keep the test databases")
    parser.add_argument("--tags", default="/crm_kpi", help="Odoo --test-tags (default /crm_kpi)")
    parser.add_argument("--skip-bench", action="store_true", help="no benchmark smoke run")
    parser.add_argument("--skip-wheel", action="store_true", help="no wheel check")
    parser.add_argument("--skip-i18n", action="store_true", help="no translation check")
    parser.add_argument(
        "--odoo-suites",
        action="store_true",
        help="also run Odoo's own suites of crm, sale_crm, subscription_oca and "
        "survey with and without crm_kpi and compare",
    )
    args = parser.parse_args(sys.argv[1:split])

    started = time.monotonic()
    tally = Tally()
    run_engine_tests(tally)
    if not args.engine_only and not args.skip_wheel:
        run_wheel_check(tally)
    if not args.engine_only:
        stamp = f"{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
        logdir = ROOT / ".odoo" / "logs"
        logdir.mkdir(parents=True, exist_ok=True)
        databases = []
        try:
            if not args.skip_install_check:
                databases.append(f"crm_kpi_test_empty_{stamp}")
                run_install_check(odoo_cmd, tally, databases[-1], logdir)
            empty_db = databases[-1] if databases else None
            if empty_db and not args.skip_i18n:
                run_i18n_check(odoo_cmd, tally, empty_db, logdir)
            databases.append(f"crm_kpi_test_{stamp}")
            run_odoo_tests(odoo_cmd, tally, databases[-1], logdir, args.tags)
            if not args.skip_bench:
                databases.append(f"crm_kpi_test_bench_{stamp}")
                run_bench_smoke(odoo_cmd, tally, databases[-1], logdir, empty_db)
            if args.odoo_suites:
                run_odoo_suites(odoo_cmd, tally, stamp, logdir, databases)
        finally:
            for db in databases:
                if args.keep_db:
                    print(f"kept database {db}")
                else:
                    pgdb.drop(db)
        print(f"\nlogs: {logdir}")
    print(f"took {time.monotonic() - started:.0f} s")
    print(tally.line(), flush=True)
    sys.exit(1 if tally.failed else 0)


if __name__ == "__main__":
    main()
