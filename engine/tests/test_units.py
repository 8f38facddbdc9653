# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
import unittest
from datetime import date

from ..periods import period_of
from ..units import UNITS, CurrencyStyle, Formatter, NumberStyle, period_label

EURO = CurrencyStyle("€", "after", 2)
DOLLAR = CurrencyStyle("$", "before", 2)
YEN = CurrencyStyle("¥", "before", 0)


def render_xlsx(number_format, value):
    """The text Excel shows for ``value`` in ``number_format`` (the subset of
    the format language the unit table uses: quoted texts, #,##0, decimals,
    positive;negative;zero sections), in English separators."""
    sections = number_format.split(";")
    if len(sections) == 3:
        section = sections[0] if value > 0 else sections[1] if value < 0 else sections[2]
        value, sign = abs(value), ""
    else:
        section = sections[0]
        sign = "-" if value < 0 else ""  # Excel puts it before the whole text
    match = re.search(r"(#,##)?0(?:\.(0+))?", section)
    decimals = len(match.group(2) or "")
    number = f"{abs(value):{',' if match.group(1) else ''}.{decimals}f}"
    text = section[: match.start()] + number + section[match.end() :]
    return (sign + text).replace('"', "")


class TestUnits(unittest.TestCase):
    def test_values(self):
        f = Formatter(currency=EURO)
        self.assertEqual(f.text(50, "percent"), "50.0 %")
        self.assertEqual(f.text(16.666, "percent"), "16.7 %")
        self.assertEqual(f.text(1234.5, "currency"), "1,234.50 €")
        self.assertEqual(f.text(1234.5, "count"), "1,234")  # 1234.5 rounds half to even
        self.assertEqual(f.text(12, "count"), "12")
        self.assertEqual(f.text(3.25, "count", "ratio"), "3.2")  # an average count
        self.assertEqual(f.text(1.5, "ratio"), "1.50 ×")
        self.assertEqual(f.text(7, "days"), "7.0 days")
        self.assertEqual(f.text(2.25, "hours"), "2.2 h")
        self.assertEqual(f.text(4, "months"), "4.0 months")
        self.assertEqual(f.text(42, "score"), "42.0")
        self.assertEqual(f.text(None, "percent"), "n/a")
        self.assertEqual(Formatter(currency=DOLLAR).text(-1000, "currency"), "-$1,000.00")
        self.assertEqual(Formatter(currency=YEN).text(1000.4, "currency"), "¥1,000")

    def test_deltas(self):
        f = Formatter(currency=EURO)
        # percentage points, never "pts"
        self.assertEqual(f.delta_text(16.6667, "percent"), "+16.7 pp")
        self.assertEqual(f.delta_text(-3, "days"), "-3.0 days")
        self.assertEqual(f.delta_text(165, "count"), "+165")
        self.assertEqual(f.delta_text(500, "currency"), "+500.00 €")
        self.assertEqual(Formatter(currency=DOLLAR).delta_text(-500, "currency"), "-$500.00")
        self.assertEqual(f.delta_text(0.04, "percent"), "+0.0 pp")  # signed as Excel does
        self.assertEqual(f.delta_text(0, "percent"), "0.0 pp")
        self.assertEqual(f.change_text(50), "+50.0 %")
        self.assertEqual(f.change_text(None), "n/a")

    def test_language(self):
        # Dutch separators and words, given by the caller
        f = Formatter(NumberStyle(",", "."), EURO, {"days": "dagen"}, na="n.v.t.")
        self.assertEqual(f.text(1234.5, "currency"), "1.234,50 €")
        self.assertEqual(f.text(7.25, "days"), "7,2 dagen")
        self.assertEqual(f.xlsx_format("days"), '0.0 "dagen"')
        self.assertEqual(f.text(None, "days"), "n.v.t.")

    def test_xlsx_formats(self):
        f = Formatter(currency=EURO)
        self.assertEqual(f.xlsx_format("percent"), '0.0 "%"')
        self.assertEqual(f.xlsx_delta_format("percent"), '+0.0 "pp";-0.0 "pp";0.0 "pp"')
        self.assertEqual(f.xlsx_format("currency"), '#,##0.00 "€"')
        self.assertEqual(Formatter(currency=DOLLAR).xlsx_format("currency"), '"$"#,##0.00')
        self.assertEqual(f.xlsx_format("count"), "#,##0")
        self.assertEqual(f.xlsx_format("count", "ratio"), "#,##0.0")
        self.assertEqual(f.xlsx_format("score"), "0.0")
        self.assertEqual(f.xlsx_format("ratio"), '0.00 "×"')

    def test_text_and_xlsx_agree_for_every_unit(self):
        """The dashboard's text of a value is what Excel shows for the same
        number in the XLSX format of its unit, for values, Δ and Δ%."""
        samples = (1234.567, 0.5, -42.25, 0)
        for currency in (EURO, DOLLAR, YEN):
            f = Formatter(currency=currency)
            for unit in UNITS:
                for aggregation in ("sum", "ratio"):
                    for value in samples:
                        with self.subTest(unit=unit, aggregation=aggregation, value=value):
                            self.assertEqual(
                                f.text(value, unit, aggregation),
                                render_xlsx(f.xlsx_format(unit, aggregation), value),
                            )
                            self.assertEqual(
                                f.delta_text(value, unit, aggregation),
                                render_xlsx(f.xlsx_delta_format(unit, aggregation), value),
                            )
            for value in samples:
                self.assertEqual(f.change_text(value), render_xlsx(f.xlsx_change_format(), value))


class TestPeriodLabels(unittest.TestCase):
    def test_english(self):
        day = date(2026, 10, 14)
        self.assertEqual(period_label(period_of("month", day)), "Oct 2026")
        self.assertEqual(period_label(period_of("quarter", day)), "Q4 2026")
        self.assertEqual(period_label(period_of("year", day)), "2026")
        self.assertEqual(period_label(period_of("week", day)), "W42 2026")
        self.assertEqual(period_label(period_of("day", day)), "Oct 14, 2026")
        # the ISO year of the week: Monday 2025-12-29 opens W1 2026
        self.assertEqual(period_label(period_of("week", date(2025, 12, 31))), "W1 2026")

    def test_other_languages(self):
        day = date(2026, 10, 14)
        self.assertEqual(period_label(period_of("month", day), "nl_NL"), "okt. 2026")
        self.assertEqual(period_label(period_of("quarter", day), "nl_NL"), "K4 2026")
        self.assertEqual(
            period_label(period_of("week", day), "de_DE", "KW %(week)s %(year)s"), "KW 42 2026"
        )
        # an unknown language reads as English
        self.assertEqual(period_label(period_of("month", day), "xx_XX"), "Oct 2026")
