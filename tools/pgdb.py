# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tiny PostgreSQL helper for tools/kpi: `exists NAME` and `drop NAME`
(and ``copy`` for run_tests.py).

Connects with libpq defaults (PGHOST, PGPORT, PGUSER, PGPASSWORD) to the
`postgres` maintenance database, like Odoo itself does.
"""

import sys

import psycopg2
from psycopg2 import sql


def _connect():
    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    return conn


def exists(name):
    with _connect() as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cr.fetchone() is not None


def drop(name):
    conn = _connect()
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def copy(name, template):
    """Create the database ``name`` as a copy of ``template`` (not in use)."""
    conn = _connect()
    try:
        with conn.cursor() as cr:
            cr.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
    finally:
        conn.close()


def main(argv):
    if len(argv) != 3 or argv[1] not in ("exists", "drop"):
        sys.exit("usage: pgdb.py exists|drop DBNAME")
    if argv[1] == "exists":
        sys.exit(0 if exists(argv[2]) else 1)
    drop(argv[2])


if __name__ == "__main__":
    main(sys.argv)
