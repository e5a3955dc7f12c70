"""Secrets at rest (acquirer credentials, appeal webhook secrets): Fernet tokens under keys
from the environment.

`CREDENTIALS_KEY` holds one or more Fernet keys, comma-separated, newest first. MultiFernet
encrypts with the first and decrypts with any, so rotation is: prepend a new key, run
`manage.py rotate_credentials`, then remove the old key (docs/payments.md)."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every tenant column that holds a token of this module, as (app_label.Model, field):
# `encrypted_secrets_rotate` re-encrypts exactly these (a test checks none is missing).
ENCRYPTED_COLUMNS = (
    ("payments.PaymentSettings", "credentials_encrypted"),
    ("appeals.AppealCategory", "webhook_secret_encrypted"),
)


class CredentialsUnreadable(Exception):
    """The stored token does not open with any configured key."""


def _dev_key() -> bytes:
    # Demo and tests only: a key derived from the (dev) SECRET_KEY, so nothing extra is
    # needed to try the platform. Production must set CREDENTIALS_KEY.
    digest = hashlib.sha256(b"lk-credentials:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    keys = [key.encode() for key in settings.CREDENTIALS_KEY]
    if not keys:
        if not (settings.DEBUG or settings.TESTING):
            raise ImproperlyConfigured("CREDENTIALS_KEY must be set (docs/payments.md).")
        keys = [_dev_key()]
    return MultiFernet([Fernet(key) for key in keys])


def credentials_encrypt(values: dict[str, str]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def credentials_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("credentials do not open with CREDENTIALS_KEY") from exc


def credentials_rotate_token(token: str) -> str:
    """Re-encrypt under the newest key (MultiFernet.rotate keeps the timestamp)."""
    return _fernet().rotate(token.encode()).decode() if token else ""


def mask(value: str) -> str:
    """What staff see of a secret: its length hidden, the last four characters shown."""
    if not value:
        return ""
    return "•" * 8 + value[-4:] if len(value) > 8 else "•" * 8
