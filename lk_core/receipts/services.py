"""The one receipt renderer: the web page, the API and the bulk job all call
`receipt_render`."""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from lk_core.billing.models import Account
from lk_core.identity.models import RegistrationMethod
from lk_core.identity.proofs import receipt_code_for
from lk_core.identity.selectors import identity_settings_get
from lk_core.receipts.qr import gost_payload, qr_png_data_uri
from lk_core.receipts.selectors import ReceiptData, receipt_data


@cache
def _fonts() -> FontConfiguration:
    # Building a font configuration costs more than rendering a page; one per process.
    return FontConfiguration()


def registration_code(account: Account) -> str | None:
    """The code residents register with, printed when the tenant uses that method."""
    config = identity_settings_get()
    if config.registration_method != RegistrationMethod.RECEIPT_CODE:
        return None
    return receipt_code_for(account, secret=config.receipt_code_secret)


def receipt_html(*, data: ReceiptData, utility) -> str:
    invoice = data.invoice
    purpose = _("Payment for utilities, account %(account)s, %(period)s") % {
        "account": data.account.number, "period": date_format(invoice.period, "m.Y")}
    payload = gost_payload(utility=utility, account_number=data.account.number,
                           amount=invoice.amount_due, period=invoice.period, purpose=purpose)
    return render_to_string("receipts/receipt.html", {
        "utility": utility, "data": data, "invoice": invoice, "account": data.account,
        "qr_payload": payload, "qr_src": qr_png_data_uri(payload),
        "registration_code": registration_code(data.account),
        "theme": utility.theme,
    })


def receipt_render(*, account: Account, period: dt.date, utility=None,
                   language: str = "ru") -> bytes:
    """The receipt (квитанция) PDF for one account and period; Http404 without an invoice."""
    utility = utility or connection.tenant
    with translation.override(language):
        html = receipt_html(data=receipt_data(account=account, period=period), utility=utility)
    return HTML(string=html).write_pdf(font_config=_fonts())
