"""The payment QR code in the GOST R 56042-2014 format that Russian banking apps scan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import segno

HEADER = "ST00012"  # format ST, version 0001, encoding 2 = UTF-8


def _clean(value: str) -> str:
    # "|" separates fields and "=" separates names from values; neither may appear inside.
    return " ".join(str(value).replace("|", " ").replace("=", " ").split())


def gost_payload(*, utility, account_number: str, amount: Decimal, period: dt.date,
                 purpose: str) -> str:
    kopecks = max(int((amount * 100).to_integral_value()), 0)
    fields = [
        ("Name", utility.name), ("PersonalAcc", utility.bank_settlement_account),
        ("BankName", utility.bank_name), ("BIC", utility.bank_bic),
        ("CorrespAcc", utility.bank_corr_account), ("PayeeINN", utility.payee_inn),
        ("KPP", utility.payee_kpp), ("Sum", str(kopecks)), ("Purpose", purpose),
        ("persAcc", account_number), ("paymPeriod", f"{period:%m%Y}"),
    ]
    return "|".join([HEADER, *(f"{name}={_clean(value)}" for name, value in fields)])


def qr_png_data_uri(payload: str) -> str:
    # One pixel per module, scaled up in the PDF without smoothing (image-rendering:
    # pixelated): WeasyPrint draws an SVG path of a dense QR code about ten times slower,
    # and re-encodes a bigger PNG for longer.
    # A fixed mask pattern: choosing the best of eight (segno's default) is pure Python and
    # cost about 25 ms per receipt; any mask scans fine at this size.
    return segno.make(payload, error="m", micro=False, mask=0).png_data_uri(scale=1,
                                                                           border=4)
