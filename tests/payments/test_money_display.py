"""The payment pages show amounts as the resident writes them: thousands grouped, two
places, in the page's language ("1 234,56 ₽" with non-breaking spaces; "1,234.56 ₽")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lk_core.payments.models import PortalPayment
from tests.payments.conftest import configure

NBSP = "\u00a0"
RU = f"1{NBSP}234,56{NBSP}₽"
EN = f"1,234.56{NBSP}₽"


@pytest.fixture
def alice_client(alice, client_a):
    client_a.force_login(alice.user)
    return client_a


@pytest.mark.parametrize(("language", "due", "limits"), [
    ("ru", RU, f"От 1,00 до 150{NBSP}000,00{NBSP}₽."),
    ("en", EN, f"From 1.00 to 150,000.00{NBSP}₽."),
])
def test_pay_page(alice, alice_client, language, due, limits):
    configure("sandbox", min_amount=Decimal("1.00"), max_amount=Decimal("150000.00"))
    page = alice_client.get("/payments/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<strong class="due-amount">{due}</strong>' in page
    assert limits in page
    assert 'value="1234.56"' in page  # the field keeps what a browser's number input reads


@pytest.mark.parametrize(("language", "shown"), [("ru", RU), ("en", EN)])
def test_status_and_history_pages(alice, alice_client, language, shown):
    configure("sandbox")
    alice_client.post("/payments/", {"account": alice.account.pk, "method": "card",
                                     "amount": ""})
    payment = PortalPayment.objects.get()
    status = alice_client.get(f"/payments/{payment.public_id}/",
                              HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<dd class="num">{shown}</dd>' in status
    history = alice_client.get("/payments/history/", HTTP_ACCEPT_LANGUAGE=language)
    assert f'<span class="num">{shown}</span>' in history.content.decode()


def test_refused_amount_names_the_limits_grouped(alice, alice_client):
    configure("sandbox", min_amount=Decimal("2000.00"), max_amount=Decimal("15000.00"))
    page = alice_client.post("/payments/", {"account": alice.account.pk, "method": "card",
                                            "amount": "100"}).content.decode()
    assert f"2{NBSP}000,00" in page and f"15{NBSP}000,00" in page
