# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The linters of the OCA template for 19.0 on the add-on, as `tools/kpi lint`.

Run by the Python of the lint virtualenv (.odoo/lint/venv, which tools/kpi
sets up from tools/lint-requirements.txt; prettier from tools/lint-package.json
in .odoo/lint/node). Steps, each with its count of findings:

  pylint          pylint-odoo, the checks of .pylintrc-mandatory (fail the run)
  pylint-optional pylint-odoo, the other checks of .pylintrc (counted only,
                  as the OCA does); one pylint run with .pylintrc gives both
  oca-checks      oca-checks-odoo-module (manifest, XML, CSV)
  oca-checks-po   oca-checks-po on i18n/ (without po-pretty-format, as the OCA)
  ruff            ruff check
  ruff-format     ruff format --check
  prettier        prettier --check on XML, JS, SCSS, CSS, YAML, JSON, Markdown
  eslint          eslint with eslint.config.cjs: its errors (fail the run)
  eslint-warnings the same run's warnings (counted only, as the OCA hook)
  headers         every Python, XML and JS file starts with the copyright and
                  licence header; the JS of static/ is named *.esm.js

--fix first rewrites what the tools can: ruff check --fix, ruff format,
eslint --fix, prettier --write, and adds the missing headers; then checks as
above. Running it twice changes nothing the second time. Exit status 1 when a
failing step has findings.

pylint and the oca-checks read the module's name from its folder, which a
clone may name anything: they run on a copy of the tracked files in
.odoo/lint/tree/crm_kpi, and their paths are given back relative to the root.
"""

import argparse
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".odoo" / "lint"
TREE = STATE / "tree" / "crm_kpi"
BIN = Path(sys.executable).parent
NODE_MODULES = STATE / "node" / "node_modules"

# Never linted nor formatted: generated files (i18n by Odoo, index.html by
# tools/gen_readme.py), the README and readme/ fragments (prose, left alone by
# the OCA template too), legal texts, libraries, local state.
EXCLUDE = re.compile(
    r"^(\.odoo|\.venv|i18n)/|^static/description/index\.html$|\.svg$"
    r"|^README\.md$|^readme/|^LICENSE|/static/(src/)?lib/"
    r"|^eslint\.config\.cjs$|^prettier\.config\.cjs$"
)
# What the OCA template gives prettier (with --ignore-unknown).
PRETTIER_FILES = re.compile(r"\.(css|htm|html|js|json|jsx|less|md|scss|toml|ts|xml|yaml|yml)$")
# Data files whose HTML is one translated term (a mail template's body):
# reformatting it would change the term and lose its translations.
PRETTIER_SKIP = re.compile(r"^data/crm_kpi_digest_data\.xml$")
# Command-line scripts around the add-on, not loaded by Odoo: printing is their
# output; pylint-odoo's checks are for add-on code. ruff checks them.
PYLINT_SKIP = re.compile(r"^(tools|bench)/")

STEPS = (
    "pylint",
    "pylint-optional",
    "oca-checks",
    "oca-checks-po",
    "ruff",
    "ruff-format",
    "prettier",
    "eslint",
    "eslint-warnings",
    "headers",
)
COUNTED_ONLY = {"pylint-optional", "eslint-warnings"}
PYLINT_LINE = re.compile(r"^\S+:\d+: \[")


def tracked_files(exclude=True):
    """The files of the checkout (tracked or new, not ignored) that exist."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        names = sorted({name for name in out.split("\0") if name})
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        names = sorted(
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file() and not {".git", "__pycache__"} & set(path.parts)
        )
    names = [name for name in names if (ROOT / name).is_file() and not name.startswith(".odoo/")]
    return [name for name in names if not (exclude and EXCLUDE.search(name))]


def copy_tree():
    """A copy of the checkout under .odoo/lint/tree/crm_kpi (the module's name)."""
    shutil.rmtree(TREE, ignore_errors=True)
    for name in tracked_files(exclude=False):
        target = TREE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def run(cmd, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kwargs)


def relative(text):
    """Paths of the copy given back relative to the root."""
    return text.replace(f"{TREE}/", "").replace(f"{TREE.relative_to(ROOT)}/", "")


def mandatory_messages():
    """The messages enabled in .pylintrc-mandatory."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".pylintrc-mandatory", encoding="utf-8")
    enabled = parser.get("MESSAGES CONTROL", "enable", fallback="")
    return {name.strip() for name in enabled.split(",") if name.strip()}


def step_pylint_all(files):
    """One pylint run with .pylintrc (every check, mandatory ones included):
    (mandatory findings, optional findings)."""
    py = [
        str(TREE / name) for name in files if name.endswith(".py") and not PYLINT_SKIP.search(name)
    ]
    proc = run(
        [
            str(BIN / "pylint"),
            f"--rcfile={ROOT / '.pylintrc'}",
            "--output-format=text",
            "--score=n",
            "--msg-template={path}:{line}: [{msg_id}({symbol}), {obj}] {msg}",
            *py,
        ]
    )
    lines = [relative(line) for line in proc.stdout.splitlines() if PYLINT_LINE.match(line)]
    if proc.returncode and not lines or proc.returncode & 32:  # usage or fatal error
        error = relative(proc.stdout + proc.stderr)
        return (None, error), (None, error)
    mandatory = mandatory_messages()
    found = {True: [], False: []}
    for line in lines:
        symbol = re.search(r"\[\w+\(([\w-]+)\)", line)
        found[bool(symbol) and symbol.group(1) in mandatory].append(line)
    return (found[True], ""), (found[False], "")


def step_oca_checks(files):
    proc = run([str(BIN / "oca-checks-odoo-module"), str(TREE / "__manifest__.py")])
    return oca_findings(proc)


def step_oca_checks_po(files):
    po = sorted(str(path) for path in (TREE / "i18n").glob("*.po*"))
    proc = run([str(BIN / "oca-checks-po"), "--disable=po-pretty-format", *po])
    return oca_findings(proc)


def oca_findings(proc):
    text = relative(proc.stdout)
    lines = [line for line in text.splitlines() if line.strip()]
    if proc.returncode and not lines:
        return None, relative(proc.stdout + proc.stderr)
    return lines, ""


def step_ruff(files):
    py = [name for name in files if name.endswith(".py")]
    proc = run([str(BIN / "ruff"), "check", "--no-fix", "--output-format=concise", *py])
    lines = [line for line in proc.stdout.splitlines() if re.match(r"^\S+:\d+:\d+: ", line)]
    if proc.returncode and not lines:
        return None, proc.stdout + proc.stderr
    return lines, ""


def step_ruff_format(files):
    py = [name for name in files if name.endswith(".py")]
    proc = run([str(BIN / "ruff"), "format", "--check", *py])
    lines = [line for line in proc.stdout.splitlines() if line.startswith("Would reformat")]
    if proc.returncode and not lines:
        return None, proc.stdout + proc.stderr
    return lines, ""


def prettier(files, *args):
    targets = [
        name for name in files if PRETTIER_FILES.search(name) and not PRETTIER_SKIP.search(name)
    ]
    env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
    return run(
        [str(NODE_MODULES / ".bin" / "prettier"), *args, "--ignore-unknown", *targets], env=env
    )


def step_prettier(files):
    proc = prettier(files, "--list-different")
    lines = [f"{line}: would be reformatted" for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode and not lines:
        return None, proc.stdout + proc.stderr
    return lines, ""


def node_env():
    return dict(os.environ, NODE_PATH=str(NODE_MODULES))


def eslint(files, *args):
    targets = [name for name in files if name.endswith(".js")]
    cmd = [str(NODE_MODULES / ".bin" / "eslint"), "--no-warn-ignored", *args, *targets]
    return run(cmd, env=node_env())


def step_eslint_all(files):
    """One eslint run: (errors, warnings)."""
    proc = eslint(files, "--format=json")
    try:
        reports = json.loads(proc.stdout or "[]")
    except ValueError:
        error = proc.stdout + proc.stderr
        return (None, error), (None, error)
    found = {2: [], 1: []}
    for report in reports:
        name = os.path.relpath(report["filePath"], ROOT)
        for message in report["messages"]:
            found.get(message.get("severity"), found[2]).append(
                f"{name}:{message.get('line', 0)}:{message.get('column', 0)}: "
                f"{message['message']} ({message.get('ruleId')})"
            )
    return (found[2], ""), (found[1], "")


HEADER_TEXT = (
    "Copyright {year} crm_kpi contributors",
    "License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).",
)
HEADER_MARK = "License AGPL-3.0 or later"
HEADER_FILES = re.compile(r"\.(py|xml|js)$")


def header_files(files):
    return [name for name in files if HEADER_FILES.search(name)]


def has_header(name):
    with open(ROOT / name, encoding="utf-8") as file:
        head = [file.readline() for _i in range(6)]
    return any(HEADER_MARK in line for line in head)


def step_headers(files):
    lines = [
        f"{name}: no copyright and licence header"
        for name in header_files(files)
        if not has_header(name)
    ]
    lines += [
        f"{name}: a JS module of static/ is named *.esm.js"
        for name in files
        if name.startswith("static/") and name.endswith(".js") and not name.endswith(".esm.js")
    ]
    return lines, ""


def add_header(name):
    """The header of the file's kind, after a shebang or an XML declaration."""
    first, second = (line.format(year=time.strftime("%Y")) for line in HEADER_TEXT)
    path = ROOT / name
    text = path.read_text(encoding="utf-8")
    if name.endswith(".py"):
        header, keep = f"# {first}\n# {second}\n", ("#!",)
    elif name.endswith(".xml"):
        header, keep = f"<!-- {first}\n     {second} -->\n", ("<?xml",)
    else:
        header, keep = f"/* {first}\n * {second} */\n\n", ()
    lead = ""
    if keep and text.startswith(keep):
        lead, text = text.split("\n", 1)[0] + "\n", text.split("\n", 1)[1] if "\n" in text else ""
    path.write_text(lead + header + text, encoding="utf-8")


def fix(files, steps):
    if "headers" in steps:
        for name in header_files(files):
            if not has_header(name):
                add_header(name)
    """The fixers of ``steps`` (ruff, ruff-format, prettier) on ``files``."""
    py = [name for name in files if name.endswith(".py")]
    if "ruff" in steps:
        subprocess.run(
            [str(BIN / "ruff"), "check", "--fix", "--exit-zero", "--quiet", *py],
            cwd=ROOT,
            check=True,
        )
    if "ruff-format" in steps:
        subprocess.run([str(BIN / "ruff"), "format", "--quiet", *py], cwd=ROOT, check=True)
    if "eslint" in steps:
        eslint(files, "--fix")
    if "prettier" in steps:
        proc = prettier(files, "--write", "--log-level=warn")
        if proc.returncode:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fix", action="store_true", help="rewrite what the tools can first")
    parser.add_argument("--only", action="append", choices=STEPS, help="run only this step")
    args = parser.parse_args()
    started = time.monotonic()
    files = tracked_files()
    steps = args.only or STEPS
    if args.fix:
        fix(files, steps)
    if {"pylint", "pylint-optional", "oca-checks", "oca-checks-po"} & set(steps):
        copy_tree()
    pylint = {}

    def pylint_part(index):
        with pylint_lock:
            if not pylint:
                pylint["both"] = step_pylint_all(files)
        return pylint["both"][index]

    eslint_results = {}

    def eslint_part(index):
        with eslint_lock:
            if not eslint_results:
                eslint_results["both"] = step_eslint_all(files)
        return eslint_results["both"][index]

    actions = {
        "pylint": lambda: pylint_part(0),
        "pylint-optional": lambda: pylint_part(1),
        "oca-checks": lambda: step_oca_checks(files),
        "oca-checks-po": lambda: step_oca_checks_po(files),
        "ruff": lambda: step_ruff(files),
        "ruff-format": lambda: step_ruff_format(files),
        "prettier": lambda: step_prettier(files),
        "eslint": lambda: eslint_part(0),
        "eslint-warnings": lambda: eslint_part(1),
        "headers": lambda: step_headers(files),
    }
    # pylint takes most of the time; the other steps run beside it.
    pylint_lock, eslint_lock = threading.Lock(), threading.Lock()
    timings = {}

    def timed(name):
        start = time.monotonic()
        result = actions[name]()
        timings[name] = time.monotonic() - start
        return result

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(steps, pool.map(timed, steps), strict=True))
    failed = False
    summary = []
    for name in steps:
        findings, error = results[name]
        if findings is None:
            print(f"--- {name}: could not run\n{error}")
            failed = True
            summary.append(f"{name}: error")
            continue
        if findings:
            print(f"--- {name}: {len(findings)} finding(s)")
            print("\n".join(findings))
        if findings and name not in COUNTED_ONLY:
            failed = True
        note = " (not failing)" if name in COUNTED_ONLY else ""
        summary.append(f"{name}: {len(findings)}{note} in {timings[name]:.1f} s")
    print("[lint] " + "; ".join(summary))
    print(f"[lint] {'FAILED' if failed else 'clean'} in {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
