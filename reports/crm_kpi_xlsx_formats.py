# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The cell formats of the XLSX board pack and the constants and helpers
its sheets share (layout, colours, goal columns, valid sheet and file
names)."""

import re

HEADER_ROW = 3
CHARTS_PER_ROW = 2
CHART_ROWS = 16
CHART_COLUMNS = 8
CHART_ROWS_PER_PAGE = 2  # rows of charts on one printed page
MIN_CHART_VALUES = 3  # fewer values make no trend

RAG_COLOURS = {
    "ok": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "warning": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "critical": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
GOAL_STATUS_STATES = {
    "achieved": "ok",
    "on_track": "ok",
    "at_risk": "warning",
    "off_track": "critical",
    "missed": "critical",
}
# Columns of the Goals sheet, in order; those the goal model lacks are left out.
GOAL_COLUMNS = (
    "name",
    "kpi_id",
    "scope",
    "team_id",
    "user_id",
    "date_start",
    "deadline",
    "baseline_value",
    "target_value",
    "current_value",
    "progress",
    "expected_progress",
    "forecast_value",
    "status",
    "responsible_id",
)
GOAL_KPI_VALUE_COLUMNS = {"baseline_value", "target_value", "current_value", "forecast_value"}
GOAL_PERCENT_COLUMNS = {"progress", "expected_progress"}

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_NAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def sheet_name(name):
    """A valid worksheet name: no []:*?/\\, no edge apostrophes, 31 characters."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", name or "").strip().strip("'").strip()
    return (name or "Sheet")[:31]


def file_name_safe(name):
    """``name`` without the characters a file name may not hold."""
    return _FILE_NAME_FORBIDDEN.sub(" ", name).strip()


def fit_width(texts, minimum, maximum=60):
    """A column width (in characters) that shows the longest of ``texts``
    whole, between ``minimum`` and ``maximum``."""
    longest = max((len(text or "") for text in texts), default=0)
    return max(minimum, min(maximum, longest + 2))


class _Formats:
    """The workbook's cell formats, created once each."""

    def __init__(self, workbook, formatter):
        self.workbook = workbook
        self.formatter = formatter
        """The unit table (engine/units.py) in the user's language."""
        self.na_text = formatter.na
        """What a cell without value shows (translated)."""
        self.currency_format = formatter.xlsx_format("currency")
        self.currency_name = formatter.currency.name if formatter.currency else ""
        self._cache = {}
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.subtitle = add({"italic": True, "font_color": "#595959"})
        self.header = add(
            {
                "bold": True,
                "bg_color": "#1F3864",
                "font_color": "#FFFFFF",
                "border": 1,
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
            }
        )
        self.text = add({"border": 1, "border_color": "#D9D9D9"})
        self.wrap = add(
            {"border": 1, "border_color": "#D9D9D9", "text_wrap": True, "valign": "top"}
        )
        self.code = add({"border": 1, "border_color": "#D9D9D9", "font_color": "#595959"})
        self.na = add(
            {
                "border": 1,
                "border_color": "#D9D9D9",
                "align": "center",
                "italic": True,
                "font_color": "#808080",
            }
        )
        self.note = add({"italic": True, "font_color": "#595959"})
        self.total_label = add({"bold": True, "top": 1})
        self.date = add({"num_format": "yyyy-mm-dd", "border": 1, "border_color": "#D9D9D9"})
        self.good_font = add({"font_color": "#006100", "bold": True})
        self.bad_font = add({"font_color": "#9C0006", "bold": True})

    def unit(self, definition):
        """The number format of the values of a KPI."""
        return self.formatter.xlsx_format(definition.unit, definition.aggregation)

    def value(self, number_format, state):
        key = ("value", number_format, state)
        if key not in self._cache:
            props = {"num_format": number_format, "border": 1, "border_color": "#D9D9D9"}
            props.update(RAG_COLOURS.get(state, {}))
            self._cache[key] = self.workbook.add_format(props)
        return self._cache[key]

    def total(self, number_format):
        key = ("total", number_format)
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format(
                {"num_format": number_format, "bold": True, "top": 1}
            )
        return self._cache[key]

    def delta(self, definition):
        """The format of a difference of two values of a KPI (signed;
        percentage points for percents)."""
        signed = self.formatter.xlsx_delta_format(definition.unit, definition.aggregation)
        key = ("delta", signed)
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format(
                {"num_format": signed, "border": 1, "border_color": "#D9D9D9"}
            )
        return self._cache[key]
