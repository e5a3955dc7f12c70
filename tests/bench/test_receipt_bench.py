"""Receipt PDF: time per receipt (warm) and receipts per second in a batch, against
WeasyPrint rendering a minimal HTML page in the same run."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time

import pytest
from weasyprint import HTML

from lk_core.receipts.services import _fonts, receipt_render
from lk_platform.demo import DEMO_PAYEES
from tests.bench.report import write_section
from tests.portal import data

pytestmark = pytest.mark.bench
PERIOD = dt.date(2026, 10, 1)
MINIMAL = "<html><body><p style='font-family: DejaVu Sans'>Привет, мир</p></body></html>"


def _timed(render, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        render()
        times.append(time.perf_counter() - started)
    return times


def test_receipt_bench(in_tenant_a):
    for field, value in DEMO_PAYEES["enskvoda"].items():
        setattr(in_tenant_a, field, value)
    accounts = []
    for index in range(40):
        _user, account = data.resident(f"90{index:04d}")
        data.history(account, months=24, meters=3)
        accounts.append(account)

    def minimal():
        return HTML(string=MINIMAL).write_pdf(font_config=_fonts())

    def one():
        return receipt_render(account=accounts[0], period=PERIOD, utility=in_tenant_a)

    minimal(), one()  # warm: fonts, templates, translations
    baseline = statistics.median(_timed(minimal, 20))
    warm = _timed(one, 20)
    warm_median, warm_p95 = statistics.median(warm), sorted(warm)[int(len(warm) * .95) - 1]
    started = time.perf_counter()
    sizes = [len(receipt_render(account=a, period=PERIOD, utility=in_tenant_a))
             for a in accounts]
    batch = time.perf_counter() - started
    rate = len(accounts) / batch

    body = f"""
`receipt_render(account=..., period=...)` (lk_core/receipts): five queries, the template,
a GOST R 56042-2014 QR code (segno, SVG) and WeasyPrint on one A4 page with DejaVu fonts.
Baseline from the same run: WeasyPrint turning a one-line HTML page into a PDF.
Single process, one core of {os.cpu_count()}.

| what | time | vs. minimal page |
| --- | --- | --- |
| minimal HTML page (baseline), median of 20 | {baseline * 1000:.1f} ms | 1.00 |
| **one receipt, warm**: median / p95 of 20 | {warm_median * 1000:.1f} ms / {warm_p95 * 1000:.1f} ms | {warm_median / baseline:.2f} |
| **batch of {len(accounts)} accounts** (24 months of history each) | {batch:.2f} s, **{rate:.1f} receipts/s** | |

Receipt size: {statistics.mean(sizes) / 1024:.0f} KiB. Targets: at most 100 ms per receipt warm,
at least 20 receipts per second per core.
"""
    write_section("receipt-pdf", "Receipt PDF", body)
    assert warm_median <= 0.100
    assert rate >= 20
