"""The figure columns of the receipt's tables, each table row's figures set as one line.

WeasyPrint costs about as much per table cell (a cell, a line and a text box to lay out
and draw) whatever the cell holds, so a receipt row is two cells: the name (service or
meter, which may wrap) and every figure of the row in one cell spanning the figure
columns, in a monospaced font and padded with spaces to the columns' widths. The widths
are in characters: the stylesheet sizes the columns in `ch` of that font from the same
numbers (`column_css`), so the figures stand right-aligned under their headers. A receipt
whose figures do not fit those default widths (a long reading, a seven-digit amount) gets
its columns widened for that receipt only (`columns_fitted`; the template then sizes those
columns inline), so a figure never runs past its column or out of the table."""

from __future__ import annotations

import textwrap

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from lk_core.billing.money import money
from lk_core.receipts.receipt_fonts import MONO as FIGURE_FONT

# (column, width in characters including one space of gutter on the right)
CHARGE_COLUMNS = (("quantity", 14), ("tariff", 11), ("amount", 14), ("recalculation", 15),
                  ("total", 14))
METER_COLUMNS = (("previous", 22), ("current", 22), ("consumption", 12), ("verified", 13))


def columns_fitted(columns, rows) -> tuple:
    """The columns, each widened where a value of `rows` (tuples of column values) needs
    more than its default width (the value and one space of gutter)."""
    return tuple((name, max([width, *(len(row[index]) + 1 for row in rows)]))
                 for index, (name, width) in enumerate(columns))


def columns_for_template(columns, defaults) -> list[tuple[str, int | None]]:
    """(name, width in ch where it differs from the stylesheet's, else None) per column."""
    return [(name, width if width != default else None)
            for (name, width), (_name, default) in zip(columns, defaults, strict=True)]


def figures_line(columns, values) -> str:
    """The values right-aligned in their columns (a value too long for its column pushes
    the rest of the line to the right rather than being cut)."""
    return "".join(value.rjust(width - 1) + " " for (_name, width), value in
                   zip(columns, values, strict=True))


def header_lines(columns, labels) -> str:
    """The column headers as lines of the same width as the figures below them: a label
    longer than its column wraps onto more lines, aligned at the bottom."""
    wrapped = [textwrap.wrap(label, width - 1) or [""]
               for (_name, width), label in zip(columns, labels, strict=True)]
    height = max(len(lines) for lines in wrapped)
    wrapped = [[""] * (height - len(lines)) + lines for lines in wrapped]
    return "\n".join(figures_line(columns, [lines[row] for lines in wrapped])
                     for row in range(height))


def charge_header(columns=CHARGE_COLUMNS) -> str:
    return header_lines(columns, (_("Quantity"), _("Tariff, ₽"), _("Charged, ₽"),
                                         _("Recalculation, ₽"), _("Total, ₽")))


def meter_header(columns=METER_COLUMNS) -> str:
    return header_lines(columns, (_("Previous"), _("Current"), _("Consumption"),
                                        _("Verified until")))


def charge_total_values(data) -> tuple[str, ...]:
    return ("", "", money(data.charges_amount), money(data.charges_recalculation),
            money(data.invoice.charged))


def _number(value, digits: str) -> str:
    return "" if value is None else str(floatformat(value, digits))


def charge_values(line) -> tuple[str, ...]:
    quantity = _number(line.quantity, "-3")
    if quantity and line.service.unit:
        quantity = f"{quantity} {line.service.unit}"
    return (quantity, money(line.tariff), money(line.amount), money(line.recalculation),
            money(line.total))


def _date(value) -> str:
    """The reader's short date (10.11.2026, 10 Nov 2026), never split across lines."""
    return date_filter(value, "SHORT_DATE_FORMAT").replace(" ", "\N{NO-BREAK SPACE}")


def _reading(reading) -> str:
    if reading is None:
        return ""
    return f"{_number(reading.t1, '-3')} ({_date(reading.taken_on)})"


def meter_values(row) -> tuple[str, ...]:
    return (_reading(row.previous), _reading(row.current), _number(row.consumption, "-3"),
            _date(row.meter.verified_until) or "")


def column_css() -> str:
    """Column widths of the figure columns, in `ch` of the figure font."""
    rules = [f".fig {{ font-family: {FIGURE_FONT}; }}"]
    for table, columns in (("charges", CHARGE_COLUMNS), ("meters", METER_COLUMNS)):
        rules += [f".{table} col.c-{name} {{ font-family: {FIGURE_FONT}; width: {width}ch; }}"
                  for name, width in columns]
    return "\n".join(rules)
