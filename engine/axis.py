# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Round values for the value axis of a chart (pure Python, no Odoo)."""

import math

#: Steps tried, times a power of ten, from the finest.
STEP_MULTIPLES = (1, 2, 2.5, 5, 10)


def nice_ticks(values, count=5):
    """About ``count`` evenly spaced round numbers covering ``values``
    (``None`` ignored) and zero, e.g. [3, 47] → [0, 20, 40, 60]. An axis of
    amounts or rates reads wrong when it does not start at zero, so zero is
    always included. Empty when there is no value."""
    finite = [value for value in values if value is not None]
    if not finite:
        return []
    low, high = min(0.0, min(finite)), max(0.0, max(finite))
    if low == high:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(multiple * magnitude for multiple in STEP_MULTIPLES if multiple * magnitude >= raw)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    # rounded to the step's own decimals, so 0.1 + 0.2 reads 0.3
    decimals = max(0, -math.floor(math.log10(step)) + 1)
    return [round(index * step, decimals) for index in range(first, last + 1)]
