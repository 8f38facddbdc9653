# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Take the README screenshots from a real browser.

Usage (with ``tools/kpi run`` serving the demo database on localhost:8069):

    .venv/bin/python tools/screenshots.py [--url http://localhost:8069]
        [--db crm_kpi_demo] [--out static/description]

    .venv/bin/python tools/screenshots.py --html mail.html --out email_report.png
        (an HTML file, e.g. a rendered e-mail, to one PNG; no server needed)

Starts headless Chromium with a DevTools port, logs in as admin/admin, opens
each page below and saves a PNG. Uses websocket-client (a test requirement)
to speak the DevTools protocol; nothing is sent anywhere but the local server.
"""

import argparse
import base64
import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

# (file, URL, selector to wait for, selector to click then wait for again or None)
PAGES = [
    ("dashboard.png", "/odoo/crm-kpis", ".o_crm_kpi_card", None),
    (
        "trend_chart.png",
        "/odoo/crm-kpis",
        '.o_crm_kpi_card[data-kpi="win_rate"]',
        ('.o_crm_kpi_card[data-kpi="win_rate"]', ".o_crm_kpi_trend_chart"),
    ),
    ("snapshots_pivot.png", "/odoo/action-crm_kpi.crm_kpi_snapshot_action", ".o_pivot", None),
    ("goals_kanban.png", "/odoo/action-crm_kpi.crm_kpi_goal_action", ".o_kanban_renderer", None),
    ("leaderboard.png", "/odoo/crm-kpi-leaderboard", ".o_crm_kpi_leaderboard table", None),
    ("cohorts.png", "/odoo/crm-kpi-cohorts", ".o_crm_kpi_cohorts table", None),
]


class DevTools:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60)
        self.ids = itertools.count(1)

    def call(self, method, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return True
            time.sleep(0.5)
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="crm_kpi_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent.parent / "static/description")
    )
    parser.add_argument("--html", help="render this HTML file to the PNG named by --out instead")
    args = parser.parse_args()

    browser = shutil.which("chromium") or shutil.which("google-chrome")
    if not browser:
        raise SystemExit("Chromium is needed (apt-get install chromium).")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="crm_kpi_shots_")
    process = subprocess.Popen(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "--window-size=1440,960",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _attempt in range(50):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
                break
            except OSError:
                time.sleep(0.2)
        page = next(t for t in targets if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        tools.call("Page.enable")
        tools.call(
            "Emulation.setDeviceMetricsOverride",
            width=1440,
            height=960,
            deviceScaleFactor=1,
            mobile=False,
        )
        if args.html:
            tools.call(
                "Emulation.setDeviceMetricsOverride",
                width=820,
                height=900,
                deviceScaleFactor=1,
                mobile=False,
            )
            tools.call("Page.navigate", url=Path(args.html).resolve().as_uri())
            tools.wait_for("body")
            time.sleep(1)
            height = tools.evaluate("document.documentElement.scrollHeight")
            tools.call(
                "Emulation.setDeviceMetricsOverride",
                width=820,
                height=int(height) + 16,
                deviceScaleFactor=1,
                mobile=False,
            )
            shot = tools.call("Page.captureScreenshot", format="png")
            Path(args.out).write_bytes(base64.b64decode(shot["data"]))
            print(f"saved {args.out}")
            return
        tools.call("Page.navigate", url=f"{args.url}/web/login?db={args.db}")
        tools.wait_for("body")
        params = {"db": args.db, "login": args.login, "password": args.password}
        tools.evaluate(
            "fetch('/web/session/authenticate', {method: 'POST', headers: {'Content-Type': "
            "'application/json'}, body: JSON.stringify({jsonrpc: '2.0', method: 'call', params: "
            f"{json.dumps(params)}}})}}).then(r => r.status)"
        )
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, path, selector, click in PAGES:
            tools.call("Page.navigate", url=f"{args.url}{path}")
            if not tools.wait_for(selector):
                print(f"skipped {name}: {selector} did not appear at {path}")
                continue
            if click:
                target, shown = click
                time.sleep(1)
                tools.evaluate(f"document.querySelector({json.dumps(target)}).click()")
                if not tools.wait_for(shown):
                    print(f"skipped {name}: {shown} did not appear after a click on {target}")
                    continue
            time.sleep(2)  # let charts and images settle
            shot = tools.call("Page.captureScreenshot", format="png")
            (out / name).write_bytes(base64.b64decode(shot["data"]))
            print(f"saved {out / name}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
