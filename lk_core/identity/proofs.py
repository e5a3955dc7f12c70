"""How an account is proven: amount due, passport (keyed hash) or receipt code. Each check
does the same work whether or not the account exists, so timing tells nothing."""

from __future__ import annotations

import hashlib
import hmac
import re
from decimal import Decimal, InvalidOperation

from lk_core.billing.identity import passport_hash_matches
from lk_core.billing.models import Account

# Crockford's base32: 32 symbols, no I, L, O, U; what a reader confuses is mapped back
# on input (O -> 0, I/L -> 1), so a misread code still works. 8 symbols = 40 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
CODE_LENGTH = 8
_MONEY = Decimal("0.01")
_AMOUNT_RE = re.compile(r"^-?\d{1,12}([.,]\d{1,2})?$")


def amount_parse(value: str) -> Decimal | None:
    """"1234.56", "1 234,56", "1234,5", "1234" -> Decimal with two places; None if not money."""
    text = re.sub(r"[\s\u00a0\u202f']", "", value or "")
    text = re.sub(r"(руб\.?|р\.?|₽|rub)$", "", text, flags=re.IGNORECASE)
    if not _AMOUNT_RE.match(text):
        return None
    try:
        return Decimal(text.replace(",", ".")).quantize(_MONEY)
    except InvalidOperation:
        return None


def latest_amount_due(account: Account | None) -> Decimal | None:
    if account is None:
        return None
    invoice = account.invoices.order_by("-period").only("amount_due").first()
    return invoice.amount_due if invoice else None


def amount_matches(account: Account | None, value: str) -> bool:
    given = amount_parse(value)
    due = latest_amount_due(account)
    return given is not None and due is not None and given == due.quantize(_MONEY)


def passport_matches(account: Account | None, value: str) -> bool:
    stored = account.passport_hash if account is not None else ""
    return passport_hash_matches(value, stored)


def receipt_code_for(account: Account, *, secret: str | None = None) -> str:
    """The account's registration code as printed on the receipt, "XXXX-XXXX".

    Derived (HMAC-SHA256 of the account number with the utility's own secret), so nothing
    is stored and a bulk receipt run may pass `secret` once instead of reading it per call.
    """
    if secret is None:
        from lk_core.identity.selectors import identity_settings_get

        secret = identity_settings_get().receipt_code_secret
    return _code_format(_code_raw(account.number, secret))


def _code_raw(number: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), number.encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")  # 40 bits
    return "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in reversed(range(CODE_LENGTH)))


def _code_format(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:]}"


def receipt_code_normalise(value: str) -> str:
    return re.sub(r"[\s\-_.]", "", (value or "").upper()).translate(CODE_READ_AS)


def receipt_code_matches(account: Account | None, value: str, *, secret: str) -> bool:
    number = account.number if account is not None else "-"
    expected = _code_raw(number, secret)  # always computed
    return account is not None and hmac.compare_digest(
        expected.encode(), receipt_code_normalise(value).encode())
