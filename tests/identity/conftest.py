"""Accounts, invoices and helpers for the identity tests. Data is made with the ORM inside
the tenant's schema; nothing depends on the billing importer."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import factory
import pytest
from django.core import mail
from django.core.cache import cache

from lk_core.billing.identity import passport_hash
from lk_core.billing.models import Account
from tests import factories

PASSPORT = "4506 123456"


class AccountFactory(factories.AccountFactory):
    passport_hash = factory.LazyFunction(lambda: passport_hash(PASSPORT))


class InvoiceFactory(factories.InvoiceFactory):
    account = factory.SubFactory(AccountFactory)
    amount_due = Decimal("1234.56")


def account_with_invoices(number: str, amount_due: str = "1234.56",
                          passport: str = PASSPORT) -> Account:
    """An account whose latest receipt (November) asks `amount_due`; October asked less."""
    account = AccountFactory(number=number, passport_hash=passport_hash(passport))
    InvoiceFactory(account=account, period=datetime.date(2026, 10, 1),
                   amount_due=Decimal("999.99"))
    InvoiceFactory(account=account, period=datetime.date(2026, 11, 1),
                   amount_due=Decimal(amount_due))
    return account


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the (process-local) cache: each test starts clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def configure():
    """configure(method=..., password_delivery=..., ...) in the current schema."""
    from lk_core.identity.selectors import identity_settings_get

    def _configure(**fields):
        row = identity_settings_get()
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        return row

    return _configure


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST through a client with on-commit callbacks run (e-mails are sent on commit)."""

    def _send(client, url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return _send


def registration_data(number: str, proof: str, email: str = "anna@example.test") -> dict:
    return {"account_number": number, "proof": proof, "email": email, "accept_rules": "on",
            "rules_version": 1, "email_notices": "on"}


def mailed_password(message) -> str:
    match = re.search(r"(?:Пароль|Password): (\S+)", message.body)
    assert match, message.body
    return match.group(1)


def mailed_link(message) -> str:
    match = re.search(r"https?://\S+/(?:password|email)/\S+/", message.body)
    assert match, message.body
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def outbox_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def page_text(response, *volatile: str) -> str:
    """The page without what legitimately varies: CSRF tokens and the submitted values."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    for value in volatile:
        text = text.replace(value, "<V>")
    return text
