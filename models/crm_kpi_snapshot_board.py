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
    _inherit = "crm.kpi.snapshot"

    # ------------------------------------------------------------------
    # The board: the one reader of the dashboard and the XLSX
    # ------------------------------------------------------------------
    @api.model
    def _kpi_board(self, period_type, periods, company, scope=None, kpi_codes=None,
                   definitions=None, comparisons=COMPARISONS, local_labels=True):
        """The board (:class:`~..engine.board.Board`) of the KPIs over
        ``periods`` (of ``period_type``, oldest first) and the ``comparisons``
        of the last one, read from the snapshots in one search, with the
        user's access rights.

        ``scope``: None for the whole company, or a record of a dimension (a
        sales team, a salesperson, ...). The KPIs are ``definitions`` (a
        recordset, in its order), else those of ``kpi_codes``, else every
        active one. Cells keep their snapshot as ``source``. Intended to be
        inherited (e.g. to add rows or read another source)."""
        periods = [period_of(period_type, p.date_start if isinstance(p, Period) else p)
                   for p in periods]
        if definitions is None:
            Definition = self.env["crm.kpi.definition"]
            if kpi_codes:  # asked for by code: archived ones too
                Definition = Definition.with_context(active_test=False)
            definitions = Definition.search([("code", "in", list(kpi_codes))] if kpi_codes else [])
        starts = {p.date_start for p in periods}
        if periods:
            starts.update(
                p.date_start for name, p in compare_periods(periods[-1]).items()
                if name in comparisons
            )
        domain = Domain.AND([
            [("company_id", "=", company.id), ("period_type", "=", period_type)],
            self._board_scope_domain(scope),
            [("kpi_id", "in", definitions.ids), ("date_start", "in", sorted(starts))],
        ])
        snapshots = self.search_fetch(domain, BOARD_FIELDS) if periods else self.browse()
        return self._kpi_board_of(definitions, periods, snapshots, company, comparisons, local_labels)

    @api.model
    def _board_scope_domain(self, scope):
        """The snapshots of a scope: the company rows, or those of one record
        of a dimension (found by the record's model)."""
        if not scope:
            return [("dimension", "=", "company")]
        dimension = self._kpi_dimension_of_model(scope._name)
        if dimension:
            fname = self._kpi_dimension_fields()[dimension]
            return [("dimension", "=", dimension), (fname, "=", scope.id)]
        # A programming error (the scope comes from code, not from a user).
        raise ValueError(f"KPIs cannot be split by {scope._name}.")

    @api.model
    def _kpi_board_of(self, definitions, periods, snapshots, company, comparisons=COMPARISONS,
                      local_labels=True):
        """The board of already read ``snapshots`` (of one scope)."""
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
        return build_board(rows, periods, stored, self._kpi_formatter(company), comparisons, labels)

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
                if definition.use_thresholds else None
            ),
            key=definition.id,
        )

    @api.model
    def _kpi_formatter(self, company):
        """The formatter of KPI values for the user's language and the
        company currency (see :mod:`..engine.units`)."""
        lang = self.env["res.lang"]._get_data(code=self._kpi_lang())
        currency = company.currency_id
        _ = self.env._
        return Formatter(
            NumberStyle(lang.decimal_point or ".", lang.thousands_sep or ""),
            CurrencyStyle(currency.symbol or currency.name, currency.position or "after",
                          currency.decimal_places, currency.name),
            words={"days": _("days"), "months": _("months"), "h": _("h")},
            na=_("n/a"),
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
