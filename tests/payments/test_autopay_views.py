"""The portal's autopay page: alice turns it on through the sandbox, changes the day and
the limit, cancels; bob and the other tenant cannot change or see alice's autopay."""

from __future__ import annotations

import pytest
from django.db import connection

from lk_core.payments.models import AutopayMandate, MandateStatus
from tests.payments.conftest import configure

PAGE = "/payments/autopay/"


@pytest.fixture
def alice_client(alice, client_a):
    configure("sandbox", autopay_enabled=True)
    client_a.force_login(alice.user)
    return client_a


def _start(client, account, **extra):
    return client.post(PAGE, {"action": "start", "account": account.pk, "day": "10",
                              "cap": "5000", "consent": "on", **extra})


def test_turn_on_through_the_sandbox_then_change_and_cancel(
        alice, alice_client, django_capture_on_commit_callbacks):
    page = alice_client.get(PAGE).content.decode()
    assert 'name="consent"' in page and "700001" in page
    response = _start(alice_client, alice.account)
    assert response.status_code == 302
    hosted = response["Location"].removeprefix("http://alpha.localhost")
    assert hosted.startswith("/payments/sandbox/")
    assert "автоплатеж" in alice_client.get(hosted).content.decode().lower()
    with django_capture_on_commit_callbacks(execute=True):
        back = alice_client.post(hosted, {"decision": "approve"})
    with django_capture_on_commit_callbacks(execute=True):
        status_page = alice_client.get(back["Location"].removeprefix("http://alpha.localhost"))
    assert "Автоплатёж" in status_page.content.decode()
    mandate = AutopayMandate.objects.get()
    assert mandate.status == MandateStatus.ACTIVE
    page = alice_client.get(PAGE).content.decode()
    assert str(MandateStatus.ACTIVE.label) in page and "TEST *4242" in page
    prefix = f"m{mandate.pk}"
    changed = alice_client.post(f"{PAGE}{mandate.pk}/", {
        "action": "change", f"{prefix}-day": "20", f"{prefix}-cap": "7000"})
    assert changed.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.day, str(mandate.cap)) == (20, "7000.00")
    bad = alice_client.post(f"{PAGE}{mandate.pk}/", {
        "action": "change", f"{prefix}-day": "40", f"{prefix}-cap": "-1"}, follow=True)
    assert bad.status_code == 200 and 'role="status"' in bad.content.decode()
    mandate.refresh_from_db()
    assert mandate.day == 20
    alice_client.post(f"{PAGE}{mandate.pk}/", {"action": "cancel"})
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.CANCELED and mandate.method_token == ""


def test_without_consent_or_with_a_bad_limit_nothing_starts(alice, alice_client):
    no_consent = alice_client.post(PAGE, {"action": "start", "account": alice.account.pk,
                                          "day": "10", "cap": "5000"})
    assert no_consent.status_code == 400 and "field-error" in no_consent.content.decode()
    low = _start(alice_client, alice.account, cap="100")
    assert low.status_code == 400 and "Лимит меньше" in low.content.decode()
    assert not AutopayMandate.objects.exists()


def test_not_offered_when_the_tenant_has_it_off(alice, client_a):
    configure("sandbox")
    client_a.force_login(alice.user)
    page = client_a.get(PAGE).content.decode()
    assert 'name="consent"' not in page and "не подключила" in page
    assert _start(client_a, alice.account).status_code == 400
    assert not AutopayMandate.objects.exists()


def test_bob_cannot_see_change_or_cancel_alices_autopay(alice, bob, alice_client, client_b,
                                                        utility_a, utility_b, in_schema):
    response = _start(alice_client, alice.account)
    assert response.status_code == 302, response.content.decode()
    mandate = AutopayMandate.objects.get()
    alice_client.force_login(bob.user)
    assert "700001" not in alice_client.get(PAGE).content.decode()
    assert alice_client.post(f"{PAGE}{mandate.pk}/", {"action": "cancel"}).status_code == 404
    assert _start(alice_client, alice.account).status_code == 400  # not bob's to choose
    with in_schema(utility_b):
        from tests.payments.conftest import make_resident

        charlie = make_resident("700001")
        client_b.force_login(charlie.user)
    assert client_b.post(f"{PAGE}{mandate.pk}/", {"action": "cancel"}).status_code == 404
    connection.set_tenant(utility_a)  # the request left the connection on beta's schema
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.PENDING
    assert AutopayMandate.objects.count() == 1


def test_anonymous_is_sent_to_log_in(client_a):
    assert client_a.get(PAGE).status_code == 302
