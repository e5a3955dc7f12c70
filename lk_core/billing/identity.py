"""Keyed hashes of identity proofs. The plain passport value is never stored: imports and
registration both compare HMAC-SHA256 digests made with settings.IDENTITY_HASH_KEY."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

_PASSPORT_RE = re.compile(r"^\d{10}$")


def passport_normalise(value: str) -> str | None:
    """'4517 139317', '45 17 139317' or '4517139317' -> '4517139317'; None if not a
    Russian passport number (4-digit series + 6-digit number)."""
    digits = re.sub(r"[\s\-№]", "", value or "")
    return digits if _PASSPORT_RE.match(digits) else None


def _digest(normalised: str) -> str:
    key = settings.IDENTITY_HASH_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def passport_hash(value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised "SSSSNNNNNN"; raises ValueError if malformed."""
    normalised = passport_normalise(value)
    if normalised is None:
        raise ValueError("not a passport number")
    return _digest(normalised)


def passport_hash_matches(value: str, stored: str) -> bool:
    """Whether a typed passport matches a stored digest. The same hashing work is done for
    malformed input and empty digests, so timing does not tell them apart."""
    normalised = passport_normalise(value)
    computed = _digest(normalised or "")
    return bool(stored) and normalised is not None and hmac.compare_digest(computed, stored)
