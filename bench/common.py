# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared helpers of the benchmark scripts: the Odoo environment and sizes.

The scripts run inside Odoo's environment without a server: they parse the
usual ``odoo-bin`` options (``--addons-path``, ``-d``, database options),
open the database's registry and work as superuser, like ``odoo-bin
shell`` does. This folder lives beside the add-on and is never imported by
it.
"""

import contextlib
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))


@dataclass(frozen=True)
class Size:
    name: str
    leads: int
    partners: int
    orders: int
    subscriptions: int
    salespeople: int


# Sizes of the generated CRM. L is the issue's "1M leads, 200k partners,
# 300k orders, 50k subscriptions"; the others keep its proportions.
SIZES = {
    "XS": Size("XS", leads=400, partners=120, orders=150, subscriptions=40, salespeople=4),
    "S": Size("S", leads=10_000, partners=2_000, orders=3_000, subscriptions=500, salespeople=8),
    "M": Size(
        "M", leads=100_000, partners=20_000, orders=30_000, subscriptions=5_000, salespeople=20
    ),
    "L": Size(
        "L", leads=1_000_000, partners=200_000, orders=300_000, subscriptions=50_000, salespeople=60
    ),
}


def odoo_env_args(argv):
    """Split ``argv`` at ``--``: script options before, odoo-bin options after."""
    if "--" in argv:
        split = argv.index("--")
        return argv[:split], argv[split + 1 :]
    return argv, []


@contextlib.contextmanager
def odoo_environment(odoo_args, dbname):
    """Yield a superuser ``env`` on ``dbname`` (committed on success)."""
    odoo_src = os.environ.get("ODOO_SRC", "/opt/odoo")
    if odoo_src not in sys.path:
        sys.path.insert(0, odoo_src)
    import odoo  # noqa: F401 -- the scripts run with Odoo on sys.path
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config([*odoo_args, "-d", dbname], setup_logging=True)
    threading.current_thread().dbname = dbname
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env = env(context=env["res.users"].context_get())
        yield env


class Measure:
    """Wall time and query count of a block (cursor ``sql_log_count`` delta)."""

    def __init__(self, cr):
        self.cr = cr
        self.seconds = self.queries = None

    def __enter__(self):
        self._queries = self.cr.sql_log_count
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        self.queries = self.cr.sql_log_count - self._queries
        return False


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
