"""Autopay through the API, exactly as the portal page does it: alice turns it on (the
first payment at the sandbox saves the card), changes and cancels it; bob and the other
tenant get 404 for alice's autopay."""

from __future__ import annotations

import pytest

from lk_core.payments.models import AutopayMandate, MandateStatus
from tests.api.conftest import api_client, sign_in
from tests.payments.conftest import configure


@pytest.fixture
def sandbox(utility_a, in_schema):
    with in_schema(utility_a):
        configure("sandbox", autopay_enabled=True)


@pytest.fixture
def alice_account(alice, in_schema, utility_a):
    with in_schema(utility_a):
        return type(alice).objects.get(pk=alice.pk).resident.current_account


def _alices(utility_a, **headers):
    return api_client(utility_a, sign_in(utility_a, "100000001")["access"], **headers)


def test_turn_on_pay_change_and_cancel(utility_a, in_schema, sandbox, alice, alice_account,
                                       client_a, django_capture_on_commit_callbacks):
    client = _alices(utility_a)
    created = client.post("/api/v1/payments/autopay/", {
        "account_id": alice_account.pk, "day": 15, "cap": "3000", "consent": True},
        format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == MandateStatus.PENDING and body["day"] == 15
    assert body["cap"] == "3000.00"
    hosted = body["confirmation_url"].removeprefix("http://alpha.localhost")
    assert hosted.startswith("/payments/sandbox/")
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(hosted, {"decision": "approve"})
    with django_capture_on_commit_callbacks(execute=True):
        [shown] = client.get("/api/v1/payments/autopay/").json()
    assert shown["status"] == MandateStatus.ACTIVE and shown["method_title"] == "TEST *4242"
    assert shown["confirmation_url"] == ""
    changed = client.patch(f"/api/v1/payments/autopay/{shown['id']}/",
                           {"day": 3, "cap": "2500.50"}, format="json")
    assert changed.status_code == 200 and changed.json()["cap"] == "2500.50"
    assert client.delete(f"/api/v1/payments/autopay/{shown['id']}/").status_code == 204
    assert client.get("/api/v1/payments/autopay/").json() == []
    with in_schema(utility_a):
        assert AutopayMandate.objects.get().status == MandateStatus.CANCELED


def test_bad_input_is_400_and_creates_nothing(utility_a, in_schema, sandbox, alice,
                                              alice_account):
    client = _alices(utility_a, HTTP_ACCEPT_LANGUAGE="en")
    no_consent = client.post("/api/v1/payments/autopay/", {
        "account_id": alice_account.pk, "day": 15, "cap": "3000", "consent": False},
        format="json")
    assert no_consent.status_code == 400 and "consent" in no_consent.json()["fields"]
    bad_day = client.post("/api/v1/payments/autopay/", {
        "account_id": alice_account.pk, "day": 31, "cap": "3000", "consent": True},
        format="json")
    assert bad_day.status_code == 400 and "day" in bad_day.json()["fields"]
    low_cap = client.post("/api/v1/payments/autopay/", {
        "account_id": alice_account.pk, "day": 5, "cap": "10", "consent": True},
        format="json")
    assert low_cap.status_code == 400 and "cap" in low_cap.json()["fields"]
    with in_schema(utility_a):
        assert not AutopayMandate.objects.exists()


def test_bob_and_the_other_tenant_cannot_touch_alices_autopay(
        utility_a, utility_b, in_schema, sandbox, alice, bob, alice_account, charlie_b):
    mandate = _alices(utility_a).post("/api/v1/payments/autopay/", {
        "account_id": alice_account.pk, "day": 15, "cap": "3000", "consent": True},
        format="json").json()
    bobs = api_client(utility_a, sign_in(utility_a, "100000002")["access"])
    assert bobs.get("/api/v1/payments/autopay/").json() == []
    assert bobs.delete(f"/api/v1/payments/autopay/{mandate['id']}/").status_code == 404
    assert bobs.patch(f"/api/v1/payments/autopay/{mandate['id']}/",
                      {"day": 1, "cap": "9000"}, format="json").status_code == 404
    assert bobs.post("/api/v1/payments/autopay/", {
        "account_id": alice_account.pk, "day": 15, "cap": "3000", "consent": True},
        format="json").status_code == 404
    charlies = api_client(utility_b, sign_in(utility_b, "100000001")["access"])
    assert charlies.delete(f"/api/v1/payments/autopay/{mandate['id']}/").status_code == 404
    with in_schema(utility_a):
        assert AutopayMandate.objects.get().status == MandateStatus.PENDING
