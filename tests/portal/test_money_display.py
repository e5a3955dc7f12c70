"""Amounts on the resident's pages are grouped in thousands the way the page's language
writes them: "12 345,67 ₽" in Russian (non-breaking spaces), "12,345.67 ₽" in English;
one formatter (lk_core.billing.money) for pages, receipts and notifications."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from lk_core.billing.models import ChargeLine, Invoice, Payment
from lk_core.billing.money import money, rub
from tests.portal import data

NBSP = "\u00a0"
ZERO = Decimal("0.00")


@pytest.mark.parametrize(("language", "value", "plain", "signed"), [
    ("ru", Decimal("12345.67"), f"12{NBSP}345,67", f"12{NBSP}345,67{NBSP}₽"),
    ("en", Decimal("12345.67"), "12,345.67", f"12,345.67{NBSP}₽"),
    ("ru", Decimal("-1234567.8"), f"-1{NBSP}234{NBSP}567,80", f"-1{NBSP}234{NBSP}567,80{NBSP}₽"),
    ("en", "1234,5", "1,234.50", f"1,234.50{NBSP}₽"),  # as older notification rows kept it
    ("ru", Decimal("999.999"), "1\u00a0000,00", f"1{NBSP}000,00{NBSP}₽"),
    ("ru", None, "", ""),
    ("ru", "n/a", "n/a", "n/a"),
])
def test_the_formatter(language, value, plain, signed):
    with translation.override(language):
        assert money(value) == plain and rub(value) == signed
        shown = Template("{% load money %}{{ v|money }}|{{ v|rub }}").render(Context({"v": value}))
        assert shown == f"{plain}|{signed}"


@pytest.fixture
def rich(in_tenant_a):
    """A resident whose October invoice asks 12 345,67 and who paid 10 000,00."""
    user, account = data.resident("700301")
    invoice = Invoice.objects.create(
        account=account, period=dt.date(2026, 10, 1), opening_balance=Decimal("10000.00"),
        charged=Decimal("12345.67"), recalculation=ZERO, paid=Decimal("10000.00"),
        penalty=ZERO, amount_due=Decimal("12345.67"), due_date=dt.date(2026, 11, 10))
    [service, *_rest] = data.services()
    ChargeLine.objects.create(account=account, period=invoice.period, service=service,
                              quantity=Decimal("273.1345"), tariff=Decimal("45.2000"),
                              amount=Decimal("12345.67"), recalculation=ZERO)
    Payment.objects.create(account=account, external_id="P-1", paid_on=dt.date(2026, 11, 5),
                           amount=Decimal("10000.00"), channel="bank")
    return user, invoice


@pytest.mark.parametrize(("language", "due", "paid", "balance", "already"), [
    ("ru", f"12{NBSP}345,67{NBSP}₽", f"10{NBSP}000,00{NBSP}₽", f"2{NBSP}345,67{NBSP}₽",
     "По квитанции {due}, уже оплачено {paid}"),
    ("en", f"12,345.67{NBSP}₽", f"10,000.00{NBSP}₽", f"2,345.67{NBSP}₽",
     "Invoice {due}, already paid {paid}"),
])
def test_pages_group_the_thousands(client_a, rich, language, due, paid, balance, already):
    user, invoice = rich
    client_a.force_login(user, backend="lk_core.identity.backends.AccountNumberBackend")

    def page(path: str) -> str:
        return client_a.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    dashboard = page("/")
    assert f'data-testid="amount-due">{balance}</p>' in dashboard
    assert already.format(due=due, paid=paid) in dashboard
    assert due.removesuffix(f"{NBSP}₽") in page("/invoices/")
    detail = page(f"/invoices/{invoice.pk}/")
    assert f'data-testid="invoice-due">{due}</dd>' in detail and f"{paid} (" in detail
    charges = page("/charges/?start=2026-10&end=2026-10")
    assert f'data-testid="charges-total">{due}</strong>' in charges
    assert f": {due.removesuffix(f'{NBSP}₽')}</title>" in charges  # the chart's tooltip
