"""Charts drawn on the server as SVG: no JavaScript, nothing inline for the CSP to refuse
(SVG presentation attributes are not styles). The legend is HTML under the drawing, not
text inside it: the SVG scales down with the screen (a 640-unit drawing is about 350 px
wide on a phone, its text half size), the legend keeps the page's type size and wraps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f"]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 56, 24, 12


def _scale(maximum: Decimal) -> Decimal:
    return Decimal(HEIGHT - BOTTOM - TOP) / maximum if maximum > 0 else Decimal(0)


def stacked_bars(*, months: list[dt.date], series: dict[str, list[Decimal]],
                 title: str) -> SafeString:
    """Amounts per month, one colour per service, with a legend."""
    totals = [sum((values[i] for values in series.values()), Decimal(0))
              for i in range(len(months))]
    scale = _scale(max([*totals, Decimal(0)]))
    slot = Decimal(WIDTH - LEFT - 8) / max(len(months), 1)
    bar = max(slot * Decimal("0.7"), Decimal(2))
    rects, labels = [], []
    for index, month in enumerate(months):
        x = LEFT + slot * index + (slot - bar) / 2
        y = Decimal(HEIGHT - BOTTOM)
        for colour, values in zip(PALETTE * 4, series.values(), strict=False):
            height = max(values[index], Decimal(0)) * scale
            y -= height
            rects.append((f"{x:.1f}", f"{y:.1f}", f"{bar:.1f}", f"{height:.1f}", colour,
                          f"{date_format(month, 'M Y')}: {_figure(values[index])}"))
        if len(months) <= 12 or index % 3 == 0:
            labels.append((f"{x + bar / 2:.1f}", HEIGHT - BOTTOM + 16,
                           date_format(month, "m.y")))
    return _svg(title, rects, labels, list(series), max(totals, default=Decimal(0)))


def bars(*, points: list[tuple[dt.date, Decimal]], title: str, name: str = "") -> SafeString:
    if not points:
        return mark_safe("")
    return stacked_bars(months=[day for day, _value in points],
                        series={name: [value for _day, value in points]}, title=title)


def _figure(value: Decimal) -> str:
    """1234.50 -> "1 234,50" in Russian, "1,234.50" in English."""
    return number_format(value, use_l10n=True, force_grouping=True)


def _svg(title: str, rects, labels, legend: list[str], maximum: Decimal) -> SafeString:
    body = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        rects)
    axis = format_html_join(
        "", '<text x="{}" y="{}" text-anchor="middle" font-size="14">{}</text>', labels)
    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"></line>'
        '<text x="4" y="{}" font-size="14">{}</text>{}{}</svg>',
        WIDTH, HEIGHT, title, title, LEFT, HEIGHT - BOTTOM, WIDTH, HEIGHT - BOTTOM,
        TOP + 10, _figure(maximum.quantize(Decimal(1))), body, axis)
    return format_html("{}{}", svg, _legend(legend))


def _legend(names: list[str]) -> SafeString:
    """One item per series: a colour swatch (a tiny SVG: no inline style) and the name."""
    items = format_html_join(
        "", '<li><svg class="swatch" viewBox="0 0 12 12" width="12" height="12" '
            'aria-hidden="true"><rect width="12" height="12" fill="{}"></rect></svg>{}</li>',
        ((PALETTE[i % len(PALETTE)], name) for i, name in enumerate(names) if name))
    return format_html('<ul class="chart-legend">{}</ul>', items) if items else mark_safe("")
