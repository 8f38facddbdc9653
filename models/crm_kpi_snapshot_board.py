# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The board reader of the KPI snapshots: the one reader of the dashboard,
the XLSX, the e-mail reports and the goals (:meth:`_kpi_board`), and the
formatter and period labels in the user's language it renders with."""

from odoo import api, models
from odoo.fields import Domain

from ..engine.board import COMPARISONS, BoardRow, Stored, build_board, compare_periods
from ..engine.metrics import KpiValue
from ..engine.periods import Period, period_of
from ..engine.units import CurrencyStyle, Formatter, NumberStyle, period_label
from .crm_kpi_snapshot import BOARD_FIELDS


class CrmKpiSnapshotBoard(models.Model):
    _inherit = "crm.kpi.snapshot"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # The board: the one reader of the dashboard and the XLSX
    # ------------------------------------------------------------------
    @api.model
    def _kpi_board(
        self,
        period_type,
        periods,
        company,
        scope=None,
        kpi_codes=None,
        definitions=None,
        comparisons=COMPARISONS,
        local_labels=True,
    ):
        """The board (:class:`~..engine.board.Board`) of the KPIs over
        ``periods`` (of ``period_type``, oldest first) and the ``comparisons``
        of the last one, read from the snapshots in one search, with the
        user's access rights.

        ``scope``: None for the whole company, or a record of a dimension (a
        sales team, a salesperson, ...). The KPIs are ``definitions`` (a
        recordset, in its order), else those of ``kpi_codes``, else every
        active one. Cells keep their snapshot as ``source``. The board of
        one scope of :meth:`_kpi_boards`, which is the method to inherit
        (e.g. to add rows or read another source)."""
        return self._kpi_boards(
            period_type,
            periods,
            company,
            [scope],
            kpi_codes=kpi_codes,
            definitions=definitions,
            comparisons=comparisons,
            local_labels=local_labels,
        )[scope]

    @api.model
    def _kpi_boards(
        self,
        period_type,
        periods,
        company,
        scopes,
        kpi_codes=None,
        definitions=None,
        comparisons=COMPARISONS,
        local_labels=True,
        formatter=None,
    ):
        """{scope: board} of each of ``scopes``, read from the snapshots in
        one search whatever their number (the goals of many teams and
        salespeople cost one query), with the user's access rights; each
        board as :meth:`_kpi_board` builds it for its scope.

        A scope is None (the whole company), a record of a dimension, or a
        pair (dimension code, record) naming the dimension when several
        share the record's model. ``formatter``: the texts' (default
        :meth:`_kpi_formatter` of the company). Intended to be inherited."""
        periods = [
            period_of(period_type, p.date_start if isinstance(p, Period) else p) for p in periods
        ]
        if definitions is None:
            Definition = self.env["crm.kpi.definition"]
            if kpi_codes:  # asked for by code: archived ones too
                Definition = Definition.with_context(active_test=False)
            definitions = Definition.search([("code", "in", list(kpi_codes))] if kpi_codes else [])
        keys = {scope: self._board_scope_key(scope) for scope in scopes}
        starts = {p.date_start for p in periods}
        if periods:
            starts.update(
                p.date_start
                for name, p in compare_periods(periods[-1]).items()
                if name in comparisons
            )
        definitions.mapped("code")  # read once (all their fields), not per scope
        if formatter is None:
            formatter = self._kpi_formatter(company)
        ids_of = {key: [] for key in keys.values()}
        if periods and keys:
            domain = Domain.AND(
                [
                    [("company_id", "=", company.id), ("period_type", "=", period_type)],
                    self._board_scopes_domain(keys.values()),
                    [("kpi_id", "in", definitions.ids), ("date_start", "in", sorted(starts))],
                ]
            )
            dimension_fields = self._kpi_dimension_fields()
            fnames = list(dict.fromkeys([*BOARD_FIELDS, "dimension", *self._kpi_key_fields()]))
            for snapshot in self.search_fetch(domain, fnames):
                fname = dimension_fields.get(snapshot.dimension)
                key = (snapshot.dimension, snapshot[fname].id if fname else None)
                if key in ids_of:
                    ids_of[key].append(snapshot.id)
        return {
            scope: self._kpi_board_of(
                definitions,
                periods,
                self.browse(ids_of[key]),
                company,
                comparisons,
                local_labels,
                formatter,
            )
            for scope, key in keys.items()
        }

    @api.model
    def _board_scope_key(self, scope):
        """(dimension, record id) of a scope of :meth:`_kpi_boards`:
        ("company", None), or a dimension found by the record's model."""
        if isinstance(scope, tuple):
            dimension, record = scope
            if dimension == "company":
                return "company", None
            if dimension not in self._kpi_dimension_fields():
                raise ValueError(f"KPIs are not split by {dimension!r}.")
            return dimension, record.id if record else False
        if not scope:
            return "company", None
        dimension = self._kpi_dimension_of_model(scope._name)
        if dimension:
            return dimension, scope.id
        # A programming error (the scope comes from code, not from a user).
        raise ValueError(f"KPIs cannot be split by {scope._name}.")

    @api.model
    def _board_scope_domain(self, scope):
        """The snapshots of a scope: the company rows, or those of one record
        of a dimension (found by the record's model)."""
        return self._board_scopes_domain([self._board_scope_key(scope)])

    @api.model
    def _board_scopes_domain(self, keys):
        """The snapshots of the scopes of ``keys`` ((dimension, record id),
        see :meth:`_board_scope_key`): one condition per dimension."""
        ids_of = {}
        for dimension, record_id in keys:
            ids_of.setdefault(dimension, set()).add(record_id)
        fields_of = self._kpi_dimension_fields()
        return Domain.OR(
            [
                Domain("dimension", "=", dimension)
                & (
                    Domain(fields_of[dimension], "in", sorted(ids))
                    if dimension in fields_of
                    else Domain.TRUE
                )
                for dimension, ids in ids_of.items()
            ]
        )

    @api.model
    def _kpi_board_of(
        self,
        definitions,
        periods,
        snapshots,
        company,
        comparisons=COMPARISONS,
        local_labels=True,
        formatter=None,
    ):
        """The board of already read ``snapshots`` (of one scope), its texts
        by ``formatter`` (default :meth:`_kpi_formatter` of the company)."""
        stored = {
            (s.kpi_id.code, Period(s.period_type, s.date_start, s.date_end)): Stored(
                KpiValue(s.numerator, s.denominator, s.value if s.has_value else None),
                s.failure or None,
                s,
            )
            for s in snapshots
        }
        rows = [self._board_row(definition) for definition in definitions]
        labels = None
        if local_labels and periods:
            shown = [*periods, *compare_periods(periods[-1]).values()]
            labels = {period: self._kpi_period_label(period) for period in shown}
        formatter = formatter or self._kpi_formatter(company)
        return build_board(rows, periods, stored, formatter, comparisons, labels)

    @api.model
    def _board_row(self, definition):
        return BoardRow(
            code=definition.code,
            name=definition.name,
            unit=definition.unit,
            direction=definition.direction,
            aggregation=definition.aggregation,
            thresholds=(
                (definition.warning_threshold, definition.critical_threshold)
                if definition.use_thresholds
                else None
            ),
            key=definition.id,
        )

    @api.model
    def _kpi_formatter(self, company):
        """The formatter of KPI values for the user's language and the
        company currency (see :mod:`..engine.units`)."""
        lang = self.env["res.lang"]._get_data(code=self._kpi_lang())
        currency = company.currency_id
        return Formatter(
            NumberStyle(lang.decimal_point or ".", lang.thousands_sep or ""),
            CurrencyStyle(
                currency.symbol or currency.name,
                currency.position or "after",
                currency.decimal_places,
                currency.name,
            ),
            words={
                "days": self.env._("days"),
                "months": self.env._("months"),
                "h": self.env._("h"),
            },
            na=self.env._("n/a"),
        )

    @api.model
    def _kpi_period_label(self, period):
        """A period as the user reads it: "Oct 2026", "Q4 2026", "W42 2026"."""
        return period_label(period, self._kpi_lang(), self.env._("W%(week)s %(year)s"))

    @api.model
    def _kpi_lang(self):
        """The code of the language numbers and periods are shown in: the
        user's (from the context, so that reading it costs no query)."""
        return self.env.lang or "en_US"
