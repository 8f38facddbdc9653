# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The plain-Python tests of ``engine/`` (``engine/tests``), run by Odoo's
test runner too, so that ``--test-enable`` alone runs every test of the
add-on.

Odoo's loader takes from a ``tests/test_*`` module only the test case
classes defined in that very module, tagged (``test_tags``) and bound to an
add-on (``test_module``), and by default only the test methods a class
defines itself. Each test case class of ``engine/tests`` therefore gets a
subclass here, with the same name, that adds just that: no database, no
Odoo base class, the engine tests stay plain ``unittest``.

They carry the tag ``crm_kpi_engine``: ``tools/run_tests.py`` runs them
first without Odoo and excludes the tag from its Odoo run, so that the
tally counts each test once.
"""

import importlib
import pkgutil
import unittest

from odoo.tests import loader

from ..engine import tests as engine_tests

ENGINE_TAG = "crm_kpi_engine"
ADDON = __name__.split(".")[2]


def _engine_modules():
    """The test modules of ``engine/tests``, as ``unittest`` discovery finds
    them (``test*.py``)."""
    return [
        importlib.import_module(f"{engine_tests.__name__}.{info.name}")
        for info in pkgutil.iter_modules(engine_tests.__path__)
        if info.name.startswith("test")
    ]


def _engine_tests(module):
    """The tests of one engine module, as plain ``unittest`` loads them."""
    stack, tests = [unittest.defaultTestLoader.loadTestsFromModule(module)], []
    while stack:
        item = stack.pop()
        if isinstance(item, unittest.TestSuite):
            stack.extend(item)
        else:
            tests.append(item)
    return tests


def _engine_test_ids():
    """(module, class, method) of every engine test."""
    return {
        (module.__name__, type(test).__name__, test._testMethodName)
        for module in _engine_modules()
        for test in _engine_tests(module)
    }


def _odoo_case(module, case):
    """Define ``case`` in this module, as Odoo's runner takes it."""
    name = case.__name__
    if name in globals():
        name = f"{module.__name__.rsplit('.', 1)[-1]}_{name}"
    globals()[name] = type(
        name,
        (case,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": case.__doc__,
            "test_tags": {"standard", "at_install", ENGINE_TAG},
            "test_module": ADDON,
            "allow_inherited_tests_method": True,
            # read by Odoo's suite on the class (unittest sets it on skipped ones only)
            "__unittest_skip__": getattr(case, "__unittest_skip__", False),
            "engine_test_id": (module.__name__, case.__name__),
        },
    )


for _module in _engine_modules():
    for _case in sorted({type(test) for test in _engine_tests(_module)}, key=lambda c: c.__name__):
        _odoo_case(_module, _case)
del _module, _case


class TestEngineTestsLoaded(unittest.TestCase):
    """Odoo's loader finds every engine test, once (this check itself is no
    engine test: it runs in ``tools/run_tests.py``'s Odoo run)."""

    test_tags = {"standard", "at_install"}
    test_module = ADDON
    __unittest_skip__ = False

    def test_every_engine_test_is_loaded(self):
        module = importlib.import_module(__name__)
        loaded = [
            (*test.engine_test_id, test._testMethodName)
            for test in loader.get_module_test_cases(module)
            if ENGINE_TAG in test.test_tags
        ]
        expected = _engine_test_ids()
        self.assertGreater(len(expected), 100, "the engine tests are found")
        self.assertEqual(len(loaded), len(set(loaded)), "each engine test once")
        self.assertEqual(set(loaded), expected)
