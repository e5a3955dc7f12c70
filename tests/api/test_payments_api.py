"""Payments through the API: the payments app's services with the sandbox acquirer; alice
pays, bob and the other tenant cannot see her payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lk_core.payments.models import PaymentStatus, PortalPayment
from tests.api.conftest import api_client, sign_in
from tests.payments.conftest import configure


@pytest.fixture
def sandbox(utility_a, in_schema):
    with in_schema(utility_a):
        configure("sandbox", min_amount=Decimal("10.00"))


@pytest.fixture
def alice_account(alice, in_schema, utility_a):
    with in_schema(utility_a):
        return type(alice).objects.get(pk=alice.pk).resident.current_account


def test_create_then_pay_on_the_hosted_page_then_status_and_history(
        utility_a, in_schema, sandbox, alice, alice_account, client_a,
        django_capture_on_commit_callbacks):
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"])
    created = client.post("/api/v1/payments/", {"account_id": alice_account.pk},
                          format="json")
    assert created.status_code == 201, created.content
    payment = created.json()
    assert payment["amount"] == "1234.56"  # the amount due, as on the pay page
    assert payment["status"] == "pending"
    assert payment["confirmation_url"].startswith("http://alpha.localhost/payments/sandbox/")
    hosted = payment["confirmation_url"].removeprefix("http://alpha.localhost")
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(hosted, {"decision": "approve"})
    shown = client.get(f"/api/v1/payments/{payment['id']}/").json()
    assert shown["status"] == PaymentStatus.SUCCEEDED and shown["paid_at"]
    history = client.get("/api/v1/payments/").json()
    assert [(p["id"], p["status"]) for p in history] == [(payment["id"], "succeeded")]


def test_bad_input_is_400_with_field_errors_and_creates_nothing(utility_a, in_schema, sandbox,
                                                                 alice, alice_account):
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"],
                        HTTP_ACCEPT_LANGUAGE="en")
    too_small = client.post("/api/v1/payments/", {"account_id": alice_account.pk,
                                                  "amount": "5"}, format="json")
    assert too_small.status_code == 400 and list(too_small.json()["fields"]) == ["amount"]
    junk = client.post("/api/v1/payments/", {"account_id": alice_account.pk,
                                             "amount": "1e9", "method": "cash"}, format="json")
    assert junk.status_code == 400 and "method" in junk.json()["fields"]
    with in_schema(utility_a):
        assert not PortalPayment.objects.exists()


def test_card_payments_switched_off_is_explained(utility_a, in_schema, alice, alice_account):
    with in_schema(utility_a):
        configure("none")
    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"],
                        HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/api/v1/payments/", {"account_id": alice_account.pk},
                           format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Card payment is not available")


def test_bob_cannot_pay_for_or_see_alices_payments(utility_a, utility_b, in_schema, sandbox,
                                                   alice, bob, alice_account, charlie_b):
    alices = api_client(utility_a, sign_in(utility_a, "100000001")["access"])
    payment = alices.post("/api/v1/payments/", {"account_id": alice_account.pk},
                          format="json").json()
    bobs = api_client(utility_a, sign_in(utility_a, "100000002")["access"])
    assert bobs.post("/api/v1/payments/", {"account_id": alice_account.pk},
                     format="json").status_code == 404
    assert bobs.get(f"/api/v1/payments/{payment['id']}/").status_code == 404
    assert bobs.get("/api/v1/payments/").json() == []
    other_tenant = api_client(utility_b, sign_in(utility_b, "100000001")["access"])
    assert other_tenant.get(f"/api/v1/payments/{payment['id']}/").status_code == 404


def test_the_app_and_the_history_page_show_the_same_payments(utility_a, in_schema, sandbox,
                                                             alice, alice_account, client_a):
    from lk_core.billing.money import rub
    from tests.identity.helpers import log_in

    client = api_client(utility_a, sign_in(utility_a, "100000001")["access"])
    for amount in ("100.00", "1234.56"):
        client.post("/api/v1/payments/", {"account_id": alice_account.pk, "amount": amount},
                    format="json")
    app = client.get("/api/v1/payments/").json()
    assert log_in(client_a, "100000001").status_code == 302
    page = client_a.get("/payments/history/").content.decode()
    for payment in app:
        assert rub(Decimal(payment["amount"])) in page
        assert payment["status_display"] in page
    assert [p["amount"] for p in app] == ["1234.56", "100.00"]  # newest first, as listed
