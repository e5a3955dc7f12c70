"""The payment QR code in the GOST R 56042-2014 format that Russian banking apps scan."""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import datetime as dt
import struct
import zlib
from decimal import Decimal
from functools import cache

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
    return "data:image/png;base64," + base64.b64encode(_grey_png(qr_rows(payload))).decode()


QUIET_ZONE = 4  # modules of white around the code, as the standard asks
QR_ECLEVEL_M = 1  # libqrencode's QRecLevel: L, M, Q, H
# A module as a greyscale pixel: dark black, light white. libqrencode marks a dark module
# in bit 0 of its byte (the other bits say what the module is part of); segno uses 0 / 1.
_DARK_BIT = bytes(0x00 if value & 1 else 0xFF for value in range(256))


class _QRcode(ctypes.Structure):
    _fields_ = [("version", ctypes.c_int), ("width", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_ubyte))]


@cache
def _libqrencode():
    """libqrencode (Debian: libqrencode4), or None where it is not installed. It encodes a
    receipt's code in C, masks included, in about 0.1 ms; segno, the fallback, is pure
    Python and takes about 3.5 ms even with a fixed mask pattern."""
    try:
        library = ctypes.CDLL(ctypes.util.find_library("qrencode") or "libqrencode.so.4")
    except OSError:
        return None
    library.QRcode_encodeData.restype = ctypes.POINTER(_QRcode)
    library.QRcode_encodeData.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                          ctypes.c_int]
    library.QRcode_free.argtypes = [ctypes.POINTER(_QRcode)]
    return library


def qr_rows(payload: str) -> list[bytes]:
    """The code's modules, a row of greyscale pixels per row: the payload's UTF-8 bytes in
    byte mode at error correction level M, the smallest version that holds them."""
    data = payload.encode("utf-8")
    library = _libqrencode()
    if library is not None:
        code = library.QRcode_encodeData(len(data), data, 0, QR_ECLEVEL_M)
        if code:
            try:
                width = code.contents.width
                modules = ctypes.string_at(code.contents.data, width * width)
            finally:
                library.QRcode_free(code)
            pixels = modules.translate(_DARK_BIT)
            return [pixels[row * width:(row + 1) * width] for row in range(width)]
    # A fixed mask pattern: choosing the best of eight (segno's default) is pure Python and
    # cost about 25 ms per receipt; any mask scans fine at this size.
    qr = segno.make(data, error="m", micro=False, mask=0)
    return [bytes(row).translate(_SEGNO_PIXELS) for row in qr.matrix]


_SEGNO_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")


def _grey_png(rows: list[bytes]) -> bytes:
    """An 8-bit greyscale PNG of the modules with the quiet zone, written directly:
    WeasyPrint embeds a greyscale PNG as it is (a 1-bit one it decodes, converts to RGB
    and encodes again for every receipt)."""
    size = len(rows) + 2 * QUIET_ZONE
    blank = b"\x00" + b"\xff" * size  # filter byte 0, then a white row
    side = b"\xff" * QUIET_ZONE
    lines = [blank] * QUIET_ZONE
    lines += [b"\x00" + side + row + side for row in rows]
    lines += [blank] * QUIET_ZONE

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return b"".join([b"\x89PNG\r\n\x1a\n",
                     chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)),
                     chunk(b"IDAT", zlib.compress(b"".join(lines), 6)),
                     chunk(b"IEND", b"")])
