"""The payment QR code in the GOST R 56042-2014 format that Russian banking apps scan."""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
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
    # pixelated): WeasyPrint draws an SVG path of a dense QR code about ten times slower.
    # A fixed mask pattern: choosing the best of eight (segno's default) is pure Python and
    # cost about 25 ms per receipt; any mask scans fine at this size.
    qr = segno.make(payload, error="m", micro=False, mask=0)
    return "data:image/png;base64," + base64.b64encode(_grey_png(qr.matrix)).decode()


QUIET_ZONE = 4  # modules of white around the code, as the standard asks
_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # light module: white, dark: black


def _grey_png(matrix) -> bytes:
    """An 8-bit greyscale PNG of the modules, written directly: WeasyPrint embeds a
    greyscale PNG as it is, where segno's 1-bit PNG was decoded, converted to RGB and
    encoded again for every receipt, and segno's own PNG writer is a pure-Python loop."""
    size = len(matrix) + 2 * QUIET_ZONE
    blank = b"\x00" + b"\xff" * size  # filter byte 0, then a white row
    side = b"\xff" * QUIET_ZONE
    rows = [blank] * QUIET_ZONE
    rows += [b"\x00" + side + bytes(row).translate(_PIXELS) + side for row in matrix]
    rows += [blank] * QUIET_ZONE

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return b"".join([b"\x89PNG\r\n\x1a\n",
                     chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)),
                     chunk(b"IDAT", zlib.compress(b"".join(rows), 6)),
                     chunk(b"IEND", b"")])
