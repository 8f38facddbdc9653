# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The one registry of the dimensions KPIs are split by.

:meth:`CrmKpiSnapshot._kpi_dimensions` lists them; the snapshot's
``dimension`` selection, its unique index and upsert, the dimensions a KPI
definition allows, the goals' scopes and filters, the XLSX's sheets and the
dashboard's filters are all derived from it. An add-on adding a dimension
(e.g. the country of a lead) adds the snapshot field and one entry here with
``super()``; lead-based KPIs then split by it (``columns``), and the index is
rebuilt by :meth:`init` when the module is installed or updated.
"""

from odoo import api, models
from odoo.tools import SQL, sql

# Name of the unique index of the snapshots (one row per KPI, period,
# company, dimension and dimension value), built by init().
SNAPSHOT_KEY = "crm_kpi_snapshot_dimension_key"
# The index of the same key before it was derived from the registry.
OLD_SNAPSHOT_KEY = "crm_kpi_snapshot_snapshot_key"
# Columns of the key that are not dimension fields.
KEY_COLUMNS = ("kpi_id", "period_type", "date_start", "company_id", "dimension")


class CrmKpiSnapshot(models.Model):
    _inherit = "crm.kpi.snapshot"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _kpi_dimensions(self):
        """{code: entry} of every dimension, in the order they are shown and
        grouped by, the company first. An entry is a dict:

        - ``field``: the snapshot field holding the dimension's value (a
          many2one; None for the company). Gathered rows carry the value as
          ``<code>_id``. Several dimensions may share a field;
        - ``label``: the dimension's name (the ``dimension`` selection);
        - ``allowed_by``: the boolean field of ``crm.kpi.definition`` that
          lets a KPI be split by it (None: every KPI, when its family
          gives a column);
        - ``columns``: {source model: column} of the records the dimension
          comes from, for the families reading them through
          ``crm.kpi.engine._dimension_columns``: the leads (``crm.lead``)
          and the costs (``crm.kpi.cost``); the other families name their
          columns next to their own queries;
        - ``goal``: how goals use it: ``"scope"`` (a team or salesperson
          goal, on the goal's field of the same name), ``"filter"`` (one
          marketing filter of a company goal, on the goal's field of the
          same name) or None;
        - ``board``: whether the XLSX board pack has one sheet per value and
          the dashboard a filter by it.

        Intended to be inherited (``super()``, then add or change entries).
        """
        return {
            "company": {
                "field": None,
                "label": self.env._("Company"),
                "allowed_by": None,
                "columns": {},
                "goal": "scope",
                "board": True,
            },
            "team": {
                "field": "team_id",
                "label": self.env._("Sales Team"),
                "allowed_by": "allow_team",
                "columns": {"crm.lead": "team_id", "crm.kpi.cost": "team_id"},
                "goal": "scope",
                "board": True,
            },
            "user": {
                "field": "user_id",
                "label": self.env._("Salesperson"),
                "allowed_by": "allow_user",
                "columns": {"crm.lead": "user_id"},
                "goal": "scope",
                "board": True,
            },
            "source": {
                "field": "source_id",
                "label": self.env._("Source"),
                "allowed_by": "allow_utm",
                "columns": {"crm.lead": "source_id", "crm.kpi.cost": "source_id"},
                "goal": "filter",
                "board": False,
            },
            "medium": {
                "field": "medium_id",
                "label": self.env._("Medium"),
                "allowed_by": "allow_utm",
                "columns": {"crm.lead": "medium_id", "crm.kpi.cost": "medium_id"},
                "goal": "filter",
                "board": False,
            },
            "campaign": {
                "field": "campaign_id",
                "label": self.env._("Campaign"),
                "allowed_by": "allow_utm",
                "columns": {"crm.lead": "campaign_id", "crm.kpi.cost": "campaign_id"},
                "goal": "filter",
                "board": False,
            },
            "stage": {
                "field": "stage_id",
                "label": self.env._("Stage"),
                "allowed_by": "allow_stage",
                "columns": {},
                "goal": None,
                "board": False,
            },
        }

    @api.model
    def _selection_dimension(self):
        return [(code, entry["label"]) for code, entry in self._kpi_dimensions().items()]

    @api.model
    def _kpi_dimension_fields(self):
        """{dimension: snapshot field} of the dimensions other than the company."""
        return {
            code: entry["field"] for code, entry in self._kpi_dimensions().items() if entry["field"]
        }

    @api.model
    def _kpi_key_fields(self):
        """The snapshot fields of the dimensions, each once, in registry order."""
        return list(dict.fromkeys(self._kpi_dimension_fields().values()))

    @api.model
    def _kpi_key_sql(self):
        """The columns and expressions of the snapshots' unique key, as the
        unique index and the upsert's conflict target both spell them."""
        return SQL(", ").join(
            [
                *(SQL.identifier(column) for column in KEY_COLUMNS),
                *(
                    SQL("COALESCE(%s, 0)", SQL.identifier(fname))
                    for fname in self._kpi_key_fields()
                ),
            ]
        )

    def init(self):
        """(Re)build the unique index of the snapshots from the registry:
        the index keeps the definition it was built from as its comment and
        is rebuilt when the definition changes (an add-on added or removed
        a dimension). The index of the same key as a static definition
        (before the registry) is dropped."""
        super().init()
        cr = self.env.cr
        definition = SQL("(%s)", self._kpi_key_sql())
        comment = f"UNIQUE INDEX {definition.code}"
        _indexdef, db_comment = sql.index_definition(cr, SNAPSHOT_KEY)
        if db_comment == comment:
            return
        sql.drop_index(cr, SNAPSHOT_KEY, self._table)
        sql.drop_index(cr, OLD_SNAPSHOT_KEY, self._table)
        sql.add_index(cr, SNAPSHOT_KEY, self._table, definition, unique=True, comment=comment)

    @api.model
    def _kpi_dimension_of_model(self, model_name):
        """The first dimension (not the company) whose field points to
        ``model_name``, or None."""
        return next(
            (
                code
                for code, fname in self._kpi_dimension_fields().items()
                if self._fields[fname].comodel_name == model_name
            ),
            None,
        )
