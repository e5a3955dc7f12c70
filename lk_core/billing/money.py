"""Amounts of money as residents read them, in the active language: grouped thousands and
two places, "12 345,67 ₽" in Russian (a non-breaking space between the groups and before
the sign, so an amount never breaks across lines), "12,345.67 ₽" in English. The one
formatter of the portal's pages (template filters `money` and `rub`, `{% load money %}`),
the receipt PDF, the payment pages' messages and the notifications, whose context keeps
the amount as "12345.67" and is formatted in the reader's language when rendered.
quantity() does the same for the other figures residents read (meter readings,
consumption): grouped, without trailing zeros."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import formats

CENT = Decimal("0.01")
SIGN = "\u00a0₽"


def money(value) -> str:
    """"12 345,67" / "12,345.67"; "" for None or ""; text that is not a number stays as
    it is. A string may use a comma for the point ("1234,50", as older rows were
    written)."""
    amount = money_parse(value)
    if amount is None:
        return "" if value is None else str(value)
    return formats.number_format(amount.quantize(CENT), 2, use_l10n=True, force_grouping=True)


def rub(value) -> str:
    """money() with the rouble sign: "12 345,67 ₽"."""
    text = money(value)
    return f"{text}{SIGN}" if money_parse(value) is not None else text


def money_parse(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int | float):
        amount = Decimal(str(value))
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
    return amount if amount.is_finite() else None


def quantity(value) -> str:
    """"1 749,461" / "1,749.461", "998" for 998.0000; text that is not a plain number
    ("1 749,461" already formatted) stays as it is."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    return formats.number_format(_trimmed(number), use_l10n=True, force_grouping=True)


def _trimmed(value: Decimal) -> Decimal:
    """1800.5000 -> 1800.5, 998.0000 -> 998 (never 9.98E+2)."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
