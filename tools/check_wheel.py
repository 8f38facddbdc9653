# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Build the add-on's wheel and check what it holds; print "ok" or "FAILED" lines.

    python tools/check_wheel.py

1. ``pip wheel --no-deps`` of the checkout into a temporary folder, through
   ``pyproject.toml`` (whool, by ``tools/whool_backend.py``); without build
   isolation when whool is installed in this Python, else pip fetches it.
2. The wheel holds ``odoo/addons/crm_kpi/`` with the manifest, models,
   views, static files and the LICENSE, and nothing of the tooling
   (``bench/``, ``tools/``, ``.ci/``) nor ``pyproject.toml``.
3. ``pip install --no-deps --target`` into a temporary folder; the manifest
   read from there (``ast.literal_eval``) is the checkout's, and every data
   file it names is there.

Exit status 1 when a check failed. whool builds from the git-tracked files:
a file not yet added to git is not in the wheel.
"""

import ast
import importlib.util
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "crm_kpi"
PREFIX = f"odoo/addons/{ADDON}/"
REQUIRED = (
    "__manifest__.py",
    "__init__.py",
    "LICENSE",
    "models/",
    "views/",
    "security/",
    "static/description/icon.png",
    "static/description/index.html",
    "static/src/",
)
ABSENT = (
    "bench/",
    "tools/",
    ".ci/",
    "pyproject.toml",
    "PKG-INFO",
    ".pylintrc",
    ".pre-commit-config.yaml",
    "eslint.config.cjs",
)


def pip(*args):
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def checks(tmp):
    """Yield (name, ok, detail) for each check."""
    isolation = [] if importlib.util.find_spec("whool") is None else ["--no-build-isolation"]
    proc = pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(tmp / "dist"), str(ROOT))
    wheels = sorted((tmp / "dist").glob(f"odoo_addon_{ADDON}-*-py3-none-any.whl"))
    yield (
        f"wheel built ({wheels[0].name if wheels else 'none'})",
        (proc.returncode == 0 and len(wheels) == 1),
        (proc.stdout + proc.stderr)[-2000:],
    )
    if not wheels:
        return
    names = zipfile.ZipFile(wheels[0]).namelist()
    addon_files = [name[len(PREFIX) :] for name in names if name.startswith(PREFIX)]
    outside = [
        name
        for name in names
        if not name.startswith(PREFIX) and not name.split("/", 1)[0].endswith(".dist-info")
    ]
    yield "only odoo/addons/crm_kpi and its dist-info", not outside, ", ".join(outside[:10])
    for required in REQUIRED:
        found = any(
            name == required or (required.endswith("/") and name.startswith(required))
            for name in addon_files
        )
        yield f"wheel holds {required}", found, ""
    for absent in ABSENT:
        found = [name for name in addon_files if name == absent or name.startswith(absent)]
        yield f"wheel leaves out {absent}", not found, ", ".join(found[:5])

    target = tmp / "site"
    proc = pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheels[0]))
    yield (
        "wheel installs with pip --target",
        proc.returncode == 0,
        (proc.stdout + proc.stderr)[-2000:],
    )
    installed = target / PREFIX
    manifest_path = installed / "__manifest__.py"
    try:
        manifest = ast.literal_eval(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, SyntaxError) as exc:
        yield "installed manifest parses", False, repr(exc)
        return
    source = ast.literal_eval((ROOT / "__manifest__.py").read_text(encoding="utf-8"))
    yield "installed manifest is the checkout's", manifest == source, ""
    yield (
        "installed manifest is installable AGPL-3",
        (manifest.get("installable", True) and manifest.get("license") == "AGPL-3"),
        "",
    )
    named = [*manifest.get("data", ()), *manifest.get("demo", ())]
    missing = [name for name in named if not (installed / name).is_file()]
    yield (
        f"the {len(named)} data and demo files of the manifest are installed",
        not missing,
        (", ".join(missing)),
    )


def main():
    started = time.monotonic()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="crm_kpi_wheel_") as tmp:
        for name, ok, detail in checks(Path(tmp)):
            failed += not ok
            print(f"ok {name}" if ok else f"FAILED {name}: {detail}", flush=True)
    print(f"wheel check took {time.monotonic() - started:.1f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
