# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import math

from odoo import api, models
from odoo.exceptions import ValidationError

# What an Integer column (PostgreSQL int4) holds.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def check_numbers(model, vals, fnames=None):
    """Refuse, in the values of a create or a write, a number that a numeric
    field of ``model`` cannot hold: NaN, infinity or anything that is no
    number in a Float or Monetary field; a fraction or a value beyond 32 bits
    in an Integer field (which Odoo would truncate or the database refuse).
    Only the fields ``fnames`` when given. False and None (empty) pass."""
    for fname, value in vals.items():
        field = model._fields.get(fname)
        if (
            field is None
            or field.type not in ("integer", "float", "monetary")
            or (fnames is not None and fname not in fnames)
            or value is None
            or value is False
        ):
            continue
        number = None if isinstance(value, bool) or not isinstance(value, (int, float)) else value
        label = field._description_string(model.env)
        if field.type == "integer":
            if not (
                number is not None
                and (isinstance(number, int) or number.is_integer())
                and INT32_MIN <= number <= INT32_MAX
            ):
                raise ValidationError(
                    model.env._(
                        "%(field)s must be a whole number between %(min)s and %(max)s, "
                        "not %(value)s.",
                        field=label,
                        min=INT32_MIN,
                        max=INT32_MAX,
                        value=repr(value),
                    )
                )
        elif number is None or not math.isfinite(number):
            raise ValidationError(
                model.env._(
                    "%(field)s must be a finite number, not %(value)s.",
                    field=label,
                    value=repr(value),
                )
            )


class CrmKpiInputMixin(models.AbstractModel):
    """Inputs (costs, feedback, traffic) validated before they are inserted.

    Odoo runs the INSERT, and so the SQL CHECK constraints, before the Python
    constraints: without this, bad input would meet the raw database error
    instead of the explicit, translated message of the Python constraint. The
    SQL CHECKs stay as the last line of defence. Numbers are checked on the
    values given (``check_numbers``), before Odoo converts them: a score of
    7.5 would be stored as 7, a count of 2**31 refused by the database.
    """

    _name = "crm.kpi.input.mixin"
    _description = "CRM KPI Input Validated Before Insert"

    # Fields the pre-insert check reads (their defaults are applied first).
    _kpi_precheck_fields = ()

    def _kpi_precheck(self):
        """Raise a ValidationError for a bad (new) record."""
        raise NotImplementedError

    @api.model_create_multi
    def create(self, vals_list):
        defaults = self.default_get(list(self._kpi_precheck_fields))
        for vals in vals_list:
            check_numbers(self, vals)
            self.new({**defaults, **vals})._kpi_precheck()
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, vals)
        return super().write(vals)
