"""Acquirer credentials: encrypted at rest, masked when shown, rotatable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from lk_core.payments.crypto import CredentialsUnreadable, credentials_decrypt, mask
from lk_core.payments.models import PaymentSettings
from lk_core.payments.selectors import credentials_masked
from tests.payments.conftest import STRIPE_KEYS, YOOKASSA_SHOPS, configure


def _raw() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM payments_paymentsettings")
        return cursor.fetchone()[0]


def test_credentials_are_unreadable_in_the_database(in_tenant_a):
    configure("stripe")
    raw = _raw()
    secret, webhook_secret = STRIPE_KEYS["alpha"]
    assert raw.startswith("gAAAAA")
    assert secret not in raw and webhook_secret not in raw and "secret_key" not in raw
    assert credentials_decrypt(raw)["secret_key"] == secret


def test_masked_shows_only_the_last_four(in_tenant_a):
    configure("yookassa")
    shown = credentials_masked(PaymentSettings.objects.get())
    assert shown == {"shop_id": "••••••••",
                     "secret_key": "••••••••" + YOOKASSA_SHOPS["alpha"][1][-4:]}
    assert mask("") == ""


def test_key_rotation(in_tenant_a, settings, utility_b, in_schema):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEY = [old]
    configure("stripe")
    with in_schema(utility_b):
        configure("yookassa")
    before = _raw()
    settings.CREDENTIALS_KEY = [new, old]  # step 1: prepend the new key
    assert credentials_decrypt(before)["secret_key"] == STRIPE_KEYS["alpha"][0]
    call_command("rotate_credentials", stdout=open("/dev/null", "w"))  # noqa: SIM115
    connection.set_tenant(in_tenant_a)
    after = _raw()
    assert after != before
    settings.CREDENTIALS_KEY = [new]  # step 3: drop the old key
    assert credentials_decrypt(after)["secret_key"] == STRIPE_KEYS["alpha"][0]
    with in_schema(utility_b):
        assert credentials_decrypt(_raw())["shop_id"] == YOOKASSA_SHOPS["beta"][0]
    with pytest.raises(CredentialsUnreadable):
        credentials_decrypt(before)


def test_production_without_a_key_refuses(in_tenant_a, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CREDENTIALS_KEY = []
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(ImproperlyConfigured):
        configure("stripe")
