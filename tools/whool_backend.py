# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Build backend of crm_kpi: whool, on the files the add-on ships.

``pyproject.toml`` names this module (``backend-path = ["tools"]``), so that
``pip wheel --no-deps .`` builds ``odoo_addon_crm_kpi-<version>-py3-none-any.whl``
holding ``odoo/addons/crm_kpi/...`` only.

whool 1.3 packages every git-tracked file of the add-on folder and has no
setting to leave some out (its ``[tool.whool]`` options are about
dependencies, the version and the Odoo series); it also names the
distribution after the folder, and a checkout of this repository may have
any name (``/work/main``, a worktree). So each hook here:

1. computes the metadata with whool in the checkout (the version from the
   git history, as whool does) and sets the name to ``odoo-addon-crm_kpi``;
2. copies the files to ship into a temporary folder named ``crm_kpi``: the
   git-tracked files (every file when there is no git, e.g. in an sdist)
   except ``NOT_SHIPPED``, with that metadata as ``PKG-INFO``;
3. runs whool's own hook there: with a ``PKG-INFO`` whool takes the folder
   as an unpacked sdist, copies it whole and uses that name and version.

The sdist keeps every tracked file (this backend included), so that a wheel
can be built from it the same way.
"""

import contextlib
import email.generator
import email.parser
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from whool import buildapi as whool

ADDON = "crm_kpi"
DIST_NAME = f"odoo-addon-{ADDON}"
# Folders and files of the repository that are not part of the add-on: the
# tooling, and the linters' configuration (which an OCA repository keeps
# beside its add-ons, not in them).
NOT_SHIPPED = (
    "bench/",
    "tools/",
    ".ci/",
    ".gitignore",
    "pyproject.toml",
    ".editorconfig",
    ".oca_hooks.cfg",
    ".pre-commit-config.yaml",
    ".prettierignore",
    ".pylintrc",
    ".ruff.toml",
    "eslint.config.cjs",
    "prettier.config.cjs",
)


def _tracked_files(source):
    """The files under git control in ``source``, else every file."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=source, check=True, capture_output=True, text=True
        ).stdout
        return [name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [
            str(path.relative_to(source))
            for path in sorted(source.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        ]


def _shipped(name):
    return not any(name == prefix or name.startswith(prefix) for prefix in NOT_SHIPPED)


def _write_message(path, message):
    with open(path, "w", encoding="utf-8") as handle:
        email.generator.Generator(handle, mangle_from_=False, maxheaderlen=0).flatten(message)


def _metadata(source, scratch):
    """whool's metadata of ``source`` (its PKG-INFO in an sdist), named after the add-on."""
    pkg_info = source / "PKG-INFO"
    if pkg_info.is_file():
        text = pkg_info.read_text(encoding="utf-8")
    else:
        with _cwd(source):
            dist_info = whool.prepare_metadata_for_build_wheel(str(scratch))
        text = (scratch / dist_info / "METADATA").read_text(encoding="utf-8")
    message = email.parser.Parser().parsestr(text)
    message.replace_header("Name", DIST_NAME)
    return message


@contextlib.contextmanager
def _cwd(path):
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _staged(ship_only=True):
    """Change into a temporary ``crm_kpi`` folder holding the files to package."""
    source = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="crm_kpi_build_") as tmp:
        tmp = Path(tmp)
        scratch = tmp / "metadata"
        scratch.mkdir()
        message = _metadata(source, scratch)
        stage = tmp / ADDON
        stage.mkdir()
        for name in _tracked_files(source):
            if name == "PKG-INFO" or (ship_only and not _shipped(name)):
                continue
            if not (source / name).is_file():  # deleted but not yet committed
                continue
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, stage / name)
        _write_message(stage / "PKG-INFO", message)
        with _cwd(stage):
            yield


def _absolute(directory):
    return str(Path(directory).resolve())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_directory = _absolute(wheel_directory)
    with _staged():
        return whool.build_wheel(wheel_directory, config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata_directory = _absolute(metadata_directory)
    with _staged():
        return whool.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_sdist(sdist_directory, config_settings=None):
    sdist_directory = _absolute(sdist_directory)
    with _staged(ship_only=False):
        return whool.build_sdist(sdist_directory, config_settings)
