"""The receipt PDF as a download: one response for the web page and the API."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse
from django.utils.translation import get_language

from lk_core.receipts.services import receipt_render


def receipt_download(*, account, year: int, month: int, utility) -> HttpResponse:
    """The account's receipt for the month, in the active language; 404 for no account,
    no such month or no invoice for it."""
    if account is None or not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise Http404
    pdf = receipt_render(account=account, period=dt.date(year, month, 1), utility=utility,
                         language=get_language() or "ru")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="receipt-{account.number}-{year:04d}-{month:02d}.pdf"')
    response["Cache-Control"] = "private, no-store"
    return response
