# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Run the test suites of installed modules with the whole registry loaded.

Called by ``run_tests.py --odoo-suites`` as::

    python odoo_suites.py ODOO_SRC/odoo-bin -d DB --test-enable \
        --test-tags /crm,/sale_crm --stop-after-init ...

It starts Odoo exactly like ``odoo-bin`` (the HTTP server, so that browser
tours run), on a database where the modules are already installed, with
one difference: the ``at_install`` tests do not run while each module is
loaded (when only the modules it depends on are in the registry) but
together with the ``post_install`` tests, once every installed module's
code is loaded. That is how an add-on installed next to them meets Odoo's
own tests on a production database: its fields, constraints and overrides
are all there.

No module is installed or updated by this script: the caller installs them
first (``-i ... --stop-after-init`` without ``--test-enable``).
"""

import os
import runpy
import sys


def patch_loader():
    from odoo import tools
    from odoo.tests import loader
    from odoo.tests.tag_selector import TagsSelector

    def make_suite(module_names, position="at_install"):
        if position == "at_install":
            return loader.OdooSuite([])
        config_tags = TagsSelector(tools.config["test_tags"])
        suites = []
        for wanted in ("at_install", "post_install"):
            position_tag = TagsSelector(wanted)
            tests = [
                test
                for module_name in module_names
                for module in loader.get_test_modules(module_name)
                for test in loader.get_module_test_cases(module)
                if position_tag.check(test) and config_tags.check(test)
            ]
            suites.extend(sorted(tests, key=lambda test: getattr(test, "test_sequence", 0)))
        return loader.OdooSuite(suites)

    loader.make_suite = make_suite


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: odoo_suites.py ODOO_BIN ODOO_OPTIONS...")
    odoo_bin = sys.argv[1]
    sys.path.insert(0, os.path.dirname(os.path.abspath(odoo_bin)))
    if any(arg in ("-i", "-u") or arg.startswith(("--init", "--update")) for arg in sys.argv[2:]):
        sys.exit("odoo_suites.py installs nothing: install the modules first")
    patch_loader()
    sys.argv = [odoo_bin, *sys.argv[2:]]
    runpy.run_path(odoo_bin, run_name="__main__")


if __name__ == "__main__":
    main()
