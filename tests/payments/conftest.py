"""Payment test data: in each tenant, alice (and bob, who should have no access to
alice's payments) with an account, an invoice and charge lines; fake acquirer APIs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import AccountFactory, ChargeLineFactory, InvoiceFactory, UserFactory
from tests.payments.fakes import FakeStripe, FakeYooKassa

PERIOD = dt.date(2026, 10, 1)
STRIPE_KEYS = {"alpha": ("sk_test_alpha_51Habc", "whsec_alpha_secret"),
               "beta": ("sk_test_beta_51Hxyz", "whsec_beta_secret")}
YOOKASSA_SHOPS = {"alpha": ("100001", "test_alpha_secret_key"),
                  "beta": ("200002", "test_beta_secret_key")}


@dataclass
class Resident:
    user: object
    account: object
    invoice: object


def make_resident(number: str, *, email: str | None = None) -> Resident:
    """A resident login linked to one account (lk_core.identity); the latest invoice is
    due 1 234,56 = water 1 000,00 + sewage 234,56."""
    from lk_core.billing.models import Service
    from lk_core.identity.models import Resident as ResidentLogin
    from lk_core.identity.models import ResidentAccount

    account = AccountFactory(number=number, email="")
    user = UserFactory(username=f"r{number}", email=email or f"{number}@example.org")
    login = ResidentLogin.objects.create(user=user, registered_via="office",
                                         current_account=account)
    ResidentAccount.objects.create(resident=login, account=account, method="office")
    invoice = InvoiceFactory(account=account, period=PERIOD, charged=Decimal("1234.56"))
    water, _ = Service.objects.get_or_create(code="HVS", defaults={"name": "Холодная вода"})
    sewage, _ = Service.objects.get_or_create(code="VO", defaults={"name": "Водоотведение"})
    ChargeLineFactory(account=account, period=PERIOD, service=water, amount=Decimal("1000.00"))
    ChargeLineFactory(account=account, period=PERIOD, service=sewage, amount=Decimal("234.56"))
    return Resident(user=user, account=account, invoice=invoice)


@pytest.fixture
def alice(in_tenant_a):
    return make_resident("700001")


@pytest.fixture
def bob(in_tenant_a):
    return make_resident("700002")


def configure(acquirer: str, mode: str = "test", **fields):
    from lk_core.payments.services import payment_settings_update

    slug = "alpha" if connection.schema_name.endswith("alpha") else "beta"
    credentials = {}
    if acquirer == "stripe":
        credentials = dict(zip(("secret_key", "webhook_secret"), STRIPE_KEYS[slug], strict=True))
    if acquirer == "yookassa":
        credentials = dict(zip(("shop_id", "secret_key"), YOOKASSA_SHOPS[slug], strict=True))
    return payment_settings_update(acquirer=acquirer, mode=mode, credentials=credentials,
                                   **fields)


@pytest.fixture(scope="module")
def stripe_server():
    server = FakeStripe({key for key, _secret in STRIPE_KEYS.values()}).start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(stripe_server, settings):
    settings.STRIPE_API_BASE = stripe_server.url
    stripe_server.requests.clear()
    return stripe_server


@pytest.fixture(scope="module")
def yookassa_server():
    server = FakeYooKassa(dict(YOOKASSA_SHOPS.values())).start()
    yield server
    server.stop()


@pytest.fixture
def fake_yookassa(yookassa_server, settings):
    settings.YOOKASSA_API_URL = yookassa_server.url + "/v3"
    yookassa_server.requests.clear()
    return yookassa_server


SITE = "http://alpha.localhost"
