from odoo import api, models


class CrmKpiInputMixin(models.AbstractModel):
    """Inputs (costs, feedback, traffic) validated before they are inserted.

    Odoo runs the INSERT, and so the SQL CHECK constraints, before the Python
    constraints: without this, bad input would meet the raw database error
    instead of the explicit, translated message of the Python constraint. The
    SQL CHECKs stay as the last line of defence.
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
            self.new({**defaults, **vals})._kpi_precheck()
        return super().create(vals_list)
