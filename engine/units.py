# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The one table of units: how a KPI value, its change and its period read.

Every renderer takes its numbers from here: the dashboard receives texts
formatted on the server (:meth:`Formatter.text`, :meth:`Formatter.delta_text`),
the XLSX writes numbers with the Excel number formats of the same units
(:meth:`Formatter.xlsx_format`, :meth:`Formatter.xlsx_delta_format`). One
rule per unit, so the two cannot disagree:

==========  ========  =================  ==========  ===============
unit        decimals  after the number   Δ suffix    thousands
==========  ========  =================  ==========  ===============
percent     1         %                  pp          no
currency    currency  symbol (its side)  symbol      yes
count       0         (average: 1 dec.)  -           yes
ratio       2         ×                  ×           no
days        1         days               days        no
hours       1         h                  h           no
months      1         months             months      no
score       1         -                  -           no
==========  ========  =================  ==========  ===============

A difference of two percentages is in percentage points, "pp", everywhere.
A relative change (Δ%) is a percent with a sign. Words ("days", "months")
are translated by the caller, which passes them in ``words``.

No Odoo import: the caller gives the separators of the user's language and
the currency (:class:`NumberStyle`, :class:`CurrencyStyle`).
"""

from dataclasses import dataclass, replace
from datetime import date

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton

from .periods import Period

NA = "n/a"


@dataclass(frozen=True)
class Unit:
    """How the numbers of one unit read."""

    code: str
    decimals: int
    suffix: str = ""
    """Text after the number (English; translated through ``words``)."""
    delta_suffix: str | None = None
    """Text after a difference of two values; ``None``: the same as ``suffix``."""
    grouping: bool = False
    """Thousands separators."""
    currency: bool = False
    """An amount in the currency: its decimals, its symbol on its side."""


UNITS = {
    "percent": Unit("percent", 1, "%", "pp"),
    "currency": Unit("currency", 2, grouping=True, currency=True),
    "count": Unit("count", 0, grouping=True),
    "ratio": Unit("ratio", 2, "×"),
    "days": Unit("days", 1, "days"),
    "hours": Unit("hours", 1, "h"),
    "months": Unit("months", 1, "months"),
    "score": Unit("score", 1),
}
# A count rolled up as a ratio (e.g. logins per user) is an average: 1 decimal.
AVERAGE_COUNT = replace(UNITS["count"], decimals=1)
# The relative change of any unit (Δ%).
CHANGE = Unit("change", 1, "%")
# Unknown units read as plain numbers.
DEFAULT_UNIT = Unit("number", 2)


@dataclass(frozen=True)
class NumberStyle:
    """Separators of the user's language."""

    decimal_point: str = "."
    thousands_sep: str = ","


@dataclass(frozen=True)
class CurrencyStyle:
    """The company currency as amounts show it."""

    symbol: str
    position: str = "after"
    """"before" or "after" the amount."""
    decimals: int = 2
    name: str = ""
    """The ISO code, e.g. "EUR"."""


class Formatter:
    """Texts and Excel number formats of KPI values, one rule per unit."""

    def __init__(self, style=None, currency=None, words=None, na=NA):
        self.style = style or NumberStyle()
        self.currency = currency
        self.words = words or {}
        self.na = na

    def unit(self, unit, aggregation=None):
        """The :class:`Unit` of a KPI of ``unit`` rolled up by ``aggregation``."""
        spec = UNITS.get(unit, DEFAULT_UNIT)
        if spec.code == "count" and aggregation == "ratio":
            return AVERAGE_COUNT
        if spec.currency and self.currency:
            return replace(spec, decimals=self.currency.decimals)
        return spec

    def _word(self, text):
        return self.words.get(text, text) if text else ""

    def _number(self, value, spec):
        """The absolute value with the unit's decimals and separators."""
        text = f"{abs(value):{',' if spec.grouping else ''}.{spec.decimals}f}"
        return text.translate({ord(","): "\0", ord("."): self.style.decimal_point}).replace(
            "\0", self.style.thousands_sep
        )

    @staticmethod
    def _sign(value, signed):
        # As Excel chooses the section of a format: by the number itself, so
        # a tiny change reads "+0.0" in both.
        if value < 0:
            return "-"
        return "+" if signed and value > 0 else ""

    def _render(self, value, spec, suffix, signed):
        body = self._number(value, spec)
        sign = self._sign(value, signed)
        if spec.currency and self.currency:
            if self.currency.position == "before":
                return f"{sign}{self.currency.symbol}{body}"
            return f"{sign}{body} {self.currency.symbol}"
        suffix = self._word(suffix)
        return f"{sign}{body} {suffix}" if suffix else f"{sign}{body}"

    def text(self, value, unit, aggregation=None):
        """A value as the user reads it; ``self.na`` when it has none."""
        if value is None:
            return self.na
        spec = self.unit(unit, aggregation)
        return self._render(value, spec, spec.suffix, signed=False)

    def delta_text(self, delta, unit, aggregation=None):
        """A difference of two values, with its sign (percentage points for percents)."""
        if delta is None:
            return self.na
        spec = self.unit(unit, aggregation)
        suffix = spec.suffix if spec.delta_suffix is None else spec.delta_suffix
        return self._render(delta, spec, suffix, signed=True)

    def change_text(self, percent):
        """A relative change (Δ%), with its sign."""
        if percent is None:
            return self.na
        return self._render(percent, CHANGE, CHANGE.suffix, signed=True)

    # -- Excel ---------------------------------------------------------------
    @staticmethod
    def _quoted(text):
        # Quoted, so that symbols such as "CHF", "kr" or "%" are not read as
        # format codes; a quote cannot be part of a quoted text.
        return '"{}"'.format(text.replace('"', ""))

    def _xlsx(self, spec, suffix):
        number = "#,##0" if spec.grouping else "0"
        if spec.decimals:
            number += "." + "0" * spec.decimals
        if spec.currency and self.currency:
            symbol = self._quoted(self.currency.symbol)
            if self.currency.position == "before":
                return f"{symbol}{number}"
            return f"{number} {symbol}"
        suffix = self._word(suffix)
        return f"{number} {self._quoted(suffix)}" if suffix else number

    def xlsx_format(self, unit, aggregation=None):
        """The Excel number format of a value (the same text as :meth:`text`)."""
        spec = self.unit(unit, aggregation)
        return self._xlsx(spec, spec.suffix)

    def xlsx_delta_format(self, unit, aggregation=None):
        """The Excel number format of a difference (the same text as :meth:`delta_text`)."""
        spec = self.unit(unit, aggregation)
        suffix = spec.suffix if spec.delta_suffix is None else spec.delta_suffix
        return signed_format(self._xlsx(spec, suffix))

    def xlsx_change_format(self):
        """The Excel number format of a relative change (as :meth:`change_text`)."""
        return signed_format(self._xlsx(CHANGE, CHANGE.suffix))


def signed_format(number_format):
    """``+`` before positive numbers, ``-`` before negative ones, none for 0."""
    return f"+{number_format};-{number_format};{number_format}"


# ---------------------------------------------------------------------------
# Period labels
# ---------------------------------------------------------------------------

WEEK_TEMPLATE = "W%(week)s %(year)s"


def _locale(lang):
    try:
        return Locale.parse(lang or "en_US")
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en_US")


def period_label(period: Period, lang: str | None = "en_US", week_template=WEEK_TEMPLATE) -> str:
    """A period as a user of ``lang`` reads it: "Oct 5, 2026", "W42 2026",
    "Oct 2026", "Q4 2026", "2026" in English; "okt. 2026", "K4 2026" in Dutch.

    ``week_template`` (translated by the caller) receives the ISO week number
    and its ISO year.
    """
    locale = _locale(lang)
    start: date = period.date_start
    if period.period_type == "day":
        return format_date(start, "medium", locale=locale)
    if period.period_type == "week":
        iso_year, week, _weekday = start.isocalendar()
        return week_template % {"week": week, "year": iso_year}
    if period.period_type == "month":
        return format_skeleton("yMMM", start, locale=locale)
    if period.period_type == "quarter":
        return format_skeleton("yQQQ", start, locale=locale)
    return str(start.year)
