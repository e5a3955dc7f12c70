"""Keyed hash of a passport (series + number), as imported with an account and as checked
at registration. The plain value is never stored."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings


def passport_normalise(value: str) -> str:
    """Digits only ("45 06 123456" -> "4506123456"); "" unless exactly 10 digits."""
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) == 10 else ""


def passport_hash(value: str) -> str:
    """HMAC-SHA256 hex of the normalised value with settings.IDENTITY_HASH_KEY."""
    key = settings.IDENTITY_HASH_KEY.encode()
    return hmac.new(key, passport_normalise(value).encode(), hashlib.sha256).hexdigest()
