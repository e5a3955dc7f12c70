"""The one receipt renderer: the web page and the API call `receipt_render`, the bulk
run (lk_core.receipts.bulk) calls `receipts_render`; both build the same HTML from the
same template and hand it to the same WeasyPrint setup (lk_core.receipts.rendering)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lk_core.billing.models import Account
from lk_core.identity.models import RegistrationMethod
from lk_core.identity.proofs import receipt_code_for
from lk_core.identity.selectors import identity_settings_get
from lk_core.receipts import rendering
from lk_core.receipts.figures import (
    CHARGE_COLUMNS,
    METER_COLUMNS,
    charge_header,
    charge_total_values,
    charge_values,
    columns_fitted,
    columns_for_template,
    figures_line,
    meter_header,
    meter_values,
)
from lk_core.receipts.qr import gost_payload, qr_png_data_uri
from lk_core.receipts.selectors import ReceiptData, receipt_data, receipts_data


def registration_code(account: Account, *, config=None) -> str | None:
    """The code residents register with, printed when the tenant uses that method."""
    config = config or identity_settings_get()
    if config.registration_method != RegistrationMethod.RECEIPT_CODE:
        return None
    return receipt_code_for(account, secret=config.receipt_code_secret)


def _serial(meter) -> str:
    """"№ 63241552" / "serial No. 63241552", kept on one line of the narrow meter column."""
    return (_("serial No. %(number)s") % {"number": meter.serial_number}).replace(
        " ", "\N{NO-BREAK SPACE}")


def receipt_context(*, data: ReceiptData, utility, identity_config=None) -> dict:
    """What the template needs: the data, the payee, the GOST QR code, the code."""
    invoice = data.invoice
    purpose = _("Payment for utilities, account %(account)s, %(period)s") % {
        "account": data.account.number, "period": date_format(invoice.period, "m.Y")}
    payload = gost_payload(utility=utility, account_number=data.account.number,
                           amount=invoice.amount_due, period=invoice.period, purpose=purpose)
    charges = [charge_values(line) for line in data.charges]
    totals = charge_total_values(data)
    charge_columns = columns_fitted(CHARGE_COLUMNS, [*charges, totals])
    meters = [meter_values(row) for row in data.meters]
    meter_columns = columns_fitted(METER_COLUMNS, meters)
    return {"utility": utility, "data": data, "invoice": invoice, "account": data.account,
            "charge_header": charge_header(charge_columns),
            "charge_totals": figures_line(charge_columns, totals),
            "charge_columns": columns_for_template(charge_columns, CHARGE_COLUMNS),
            "meter_header": meter_header(meter_columns),
            "meter_columns": columns_for_template(meter_columns, METER_COLUMNS),
            "charge_rows": [{"name": line.service.name,
                             "figures": figures_line(charge_columns, values)}
                            for line, values in zip(data.charges, charges, strict=True)],
            "meter_rows": [{"name": f"{row.meter.service.name}, " + _serial(row.meter),
                            "figures": figures_line(meter_columns, values)}
                           for row, values in zip(data.meters, meters, strict=True)],
            "qr_payload": payload, "qr_src": qr_png_data_uri(payload),
            "registration_code": registration_code(data.account, config=identity_config),
            "theme": utility.theme}


def receipt_html(*, data: ReceiptData, utility, identity_config=None) -> str:
    """The receipt as a standalone HTML page (what WeasyPrint turns into the PDF); a batch
    passes the identity settings it read once."""
    return render_to_string("receipts/receipt.html", receipt_context(
        data=data, utility=utility, identity_config=identity_config))


def receipt_render(*, account: Account, period: dt.date, utility=None,
                   language: str = "ru") -> bytes:
    """The receipt (квитанция) PDF for one account and period; Http404 without an invoice."""
    utility = utility or connection.tenant
    with rendering.fewer_collections(), translation.override(language):
        html = receipt_html(data=receipt_data(account=account, period=period), utility=utility)
        return rendering.pdf_from_html(html, utility=utility)


@dataclass(frozen=True)
class RenderedReceipt:
    account: Account
    period: dt.date
    pdf: bytes


def receipts_render(*, accounts: list[Account], period: dt.date, utility=None,
                    language: str = "ru") -> list[RenderedReceipt]:
    """The receipts of many accounts for one period, in the order given; accounts without
    an invoice for the period are left out. The same template and WeasyPrint setup as
    `receipt_render`, with the data read in four queries for the whole batch."""
    utility = utility or connection.tenant
    identity_config = identity_settings_get()
    rendered = []
    with rendering.fewer_collections():
        for data in receipts_data(accounts=accounts, period=period):
            with translation.override(language):
                html = receipt_html(data=data, utility=utility, identity_config=identity_config)
            rendered.append(RenderedReceipt(
                account=data.account, period=data.invoice.period,
                pdf=rendering.pdf_from_html(html, utility=utility)))
    return rendered
