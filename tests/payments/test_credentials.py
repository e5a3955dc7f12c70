"""Acquirer credentials: encrypted at rest, masked when shown, rotatable together with the
appeal routes' webhook secrets (one command)."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from lk_core.payments.crypto import (
    ENCRYPTED_COLUMNS,
    CredentialsUnreadable,
    credentials_decrypt,
    mask,
)
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


WEBHOOK_SECRETS = {"alpha": "whsec-alpha-appeals-2026", "beta": "whsec-beta-appeals-2026"}


def _webhook_route(slug: str) -> None:
    from lk_core.appeals.models import AppealCategory
    from lk_core.appeals.services import appeal_category_save

    category = AppealCategory(name="Протечка", delivery="webhook",
                              webhook_url="https://crm.utility.example/appeals")
    appeal_category_save(actor="tests", category=category,
                         fields=["name", "delivery", "webhook_url"],
                         webhook_secret=WEBHOOK_SECRETS[slug])


def _tokens() -> dict[str, str]:
    from lk_core.appeals.models import AppealCategory

    return {"credentials": _raw(),
            "webhook": AppealCategory.objects.get().webhook_secret_encrypted}


def _rotate() -> str:
    out = io.StringIO()
    call_command("rotate_credentials", stdout=out)
    return out.getvalue()


def test_key_rotation(in_tenant_a, settings, utility_b, in_schema):
    """One command re-encrypts every secret of every tenant: acquirer credentials and
    appeal webhook secrets. Run twice, nothing changes for the worse."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEY = [old]
    configure("stripe")
    _webhook_route("alpha")
    with in_schema(utility_b):
        configure("yookassa")
        _webhook_route("beta")
    before = _tokens()
    with in_schema(utility_b):
        before_b = _tokens()
    settings.CREDENTIALS_KEY = [new, old]  # step 1: prepend the new key
    assert credentials_decrypt(before["credentials"])["secret_key"] == STRIPE_KEYS["alpha"][0]
    with translation.override("en"):
        assert "Secrets re-encrypted: 4." in _rotate()
        assert "Secrets re-encrypted: 4." in _rotate()  # twice: harmless
    connection.set_tenant(in_tenant_a)
    after = _tokens()
    with in_schema(utility_b):
        after_b = _tokens()
    assert all(after[kind] != before[kind] and after_b[kind] != before_b[kind]
               for kind in before)
    settings.CREDENTIALS_KEY = [new]  # step 3: drop the old key
    assert credentials_decrypt(after["credentials"])["secret_key"] == STRIPE_KEYS["alpha"][0]
    assert credentials_decrypt(after["webhook"]) == {"secret": WEBHOOK_SECRETS["alpha"]}
    assert credentials_decrypt(after_b["credentials"])["shop_id"] == YOOKASSA_SHOPS["beta"][0]
    assert credentials_decrypt(after_b["webhook"]) == {"secret": WEBHOOK_SECRETS["beta"]}
    for token in [*before.values(), *before_b.values()]:
        with pytest.raises(CredentialsUnreadable):
            credentials_decrypt(token)
    settings.CREDENTIALS_KEY = [old]  # the old key no longer opens what is stored
    for token in [*after.values(), *after_b.values()]:
        with pytest.raises(CredentialsUnreadable):
            credentials_decrypt(token)


def test_every_encrypted_column_is_rotated():
    """A new `*_encrypted` field must be listed in ENCRYPTED_COLUMNS, or rotation (and then
    dropping the old key) would leave it unreadable."""
    stored = {(model._meta.label, field.name) for model in apps.get_models()
              for field in model._meta.concrete_fields if field.name.endswith("_encrypted")}
    assert stored == set(ENCRYPTED_COLUMNS)


def test_production_without_a_key_refuses(in_tenant_a, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CREDENTIALS_KEY = []
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(ImproperlyConfigured):
        configure("stripe")
