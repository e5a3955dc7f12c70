"""YooKassa through the real `yookassa` library against a local fake API. Notifications
are only hints: what the API says on re-fetch is what counts."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from lk_core.payments.models import PaymentStatus, PortalPayment, WebhookEvent
from lk_core.payments.services import payment_create, payment_refund
from tests.payments.conftest import SITE, YOOKASSA_SHOPS, configure
from tests.payments.fakes import yookassa_notification

WEBHOOK = "/payments/webhooks/yookassa/"


def _create(resident, **kwargs):
    return payment_create(user=resident.user, account=resident.account, site_url=SITE, **kwargs)


@pytest.fixture
def yk_payment(alice, fake_yookassa):
    configure("yookassa", vat_code=4)
    return _create(alice)


def _notify(client, payment_id, event="payment.succeeded", status="succeeded"):
    body = yookassa_notification(event, {"id": payment_id, "status": status,
                                         "amount": {"value": "1234.56", "currency": "RUB"}})
    return client.post(WEBHOOK, data=body, content_type="application/json")


def test_payment_is_created_with_idempotence_key_and_receipt(yk_payment, fake_yookassa):
    request = fake_yookassa.requests[0]
    assert request["headers"]["Idempotence-Key"] == str(yk_payment.public_id)
    shop, _, _secret = base64.b64decode(
        request["headers"]["Authorization"][6:]).decode().partition(":")
    assert shop == YOOKASSA_SHOPS["alpha"][0]
    params = json.loads(request["body"])
    assert params["amount"] == {"value": "1234.56", "currency": "RUB"}
    assert params["confirmation"] == {"type": "redirect",
                                      "return_url": f"{SITE}/payments/{yk_payment.public_id}/"}
    assert params["capture"] is True
    assert params["metadata"]["tenant_schema"] == "u_alpha"
    receipt = params["receipt"]
    assert receipt["customer"] == {"email": "700001@example.org"}
    assert [(i["description"], i["amount"]["value"], i["vat_code"]) for i in receipt["items"]] \
        == [("Холодная вода", "1000.00", 4), ("Водоотведение", "234.56", 4)]
    assert yk_payment.confirmation_url.startswith("https://yoomoney.test/checkout")
    assert yk_payment.status == PaymentStatus.PENDING


def test_a_different_amount_gets_one_receipt_item(alice, fake_yookassa):
    configure("yookassa")
    with translation.override("ru"):
        _create(alice, amount="700.00")
    items = json.loads(fake_yookassa.requests[0]["body"])["receipt"]["items"]
    assert [(i["description"], i["amount"]["value"], i["vat_code"]) for i in items] == \
        [("Коммунальные услуги", "700.00", 1)]


def test_sbp_when_enabled(alice, fake_yookassa):
    configure("yookassa", sbp_enabled=True)
    _create(alice, method="sbp")
    assert json.loads(fake_yookassa.requests[0]["body"])["payment_method_data"] == \
        {"type": "sbp"}


def test_receipt_needs_an_e_mail(alice, fake_yookassa):
    configure("yookassa")
    alice.user.email = ""
    alice.user.save()
    with pytest.raises(ValidationError) as exc:
        _create(alice)
    assert "email" in exc.value.message_dict
    assert not PortalPayment.objects.exists() and fake_yookassa.requests == []
    assert _create(alice, email="alice@example.org").email == "alice@example.org"


def test_notification_is_applied_only_as_the_api_confirms(yk_payment, fake_yookassa, client_a,
                                                          django_capture_on_commit_callbacks,
                                                          mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(client_a, yk_payment.acquirer_payment_id).status_code == 200
    yk_payment.refresh_from_db()
    # The notification claimed success; the API still says pending: nothing changes.
    assert yk_payment.status == PaymentStatus.PENDING
    assert yk_payment.transitions.count() == 2
    assert WebhookEvent.objects.get().status == "ignored"
    assert mailoutbox == []
    fake_yookassa.set_status(yk_payment.acquirer_payment_id, "succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client_a, yk_payment.acquirer_payment_id)
        _notify(client_a, yk_payment.acquirer_payment_id)  # duplicate
    yk_payment.refresh_from_db()
    assert yk_payment.status == PaymentStatus.SUCCEEDED
    assert list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True)) == \
        ["ignored", "processed", "ignored"]
    assert len(mailoutbox) == 1


def test_forged_notification_for_an_unknown_payment_changes_nothing(
        yk_payment, fake_yookassa, client_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client_a, "2d8f2a3b-000f-5000-8000-1a2b3c4d5e6f")
        client_a.post(WEBHOOK, data=b"{nonsense", content_type="application/json")
    assert list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True)) == \
        ["rejected", "rejected"]
    yk_payment.refresh_from_db()
    assert yk_payment.status == PaymentStatus.PENDING


def test_other_tenants_payment_notified_here_changes_nothing(
        alice, fake_yookassa, client_a, utility_a, utility_b, in_schema,
        django_capture_on_commit_callbacks):
    """Beta's real YooKassa payment notified to alpha's endpoint: alpha's shop cannot
    fetch it, so it is rejected; beta's payment is untouched too."""
    from tests.payments.conftest import make_resident

    with in_schema(utility_b):
        configure("yookassa")
        charlie = make_resident("800001")
        beta_payment = _create(charlie)
        fake_yookassa.set_status(beta_payment.acquirer_payment_id, "succeeded")
    with in_schema(utility_a):
        configure("yookassa")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client_a, beta_payment.acquirer_payment_id)
    with in_schema(utility_a):
        event = WebhookEvent.objects.get()
        assert event.status == "rejected" and "not found" in event.error.lower()
    with in_schema(utility_b):
        beta_payment.refresh_from_db()
        assert beta_payment.status == PaymentStatus.PENDING


def test_canceled_and_refunded(yk_payment, fake_yookassa, client_a, alice,
                               django_capture_on_commit_callbacks):
    fake_yookassa.set_status(yk_payment.acquirer_payment_id, "succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client_a, yk_payment.acquirer_payment_id)
    yk_payment.refresh_from_db()
    payment_refund(payment=yk_payment, amount=Decimal("34.56"))
    yk_payment.refresh_from_db()
    assert yk_payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert yk_payment.refunded_amount == Decimal("34.56")
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(WEBHOOK, content_type="application/json", data=yookassa_notification(
            "refund.succeeded", {"id": "r1", "payment_id": yk_payment.acquirer_payment_id}))
    assert WebhookEvent.objects.order_by("pk").last().status == "ignored"  # already known

    second = _create(alice)
    fake_yookassa.set_status(second.acquirer_payment_id, "canceled")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(client_a, second.acquirer_payment_id, "payment.canceled", "canceled")
    second.refresh_from_db()
    assert second.status == PaymentStatus.CANCELED
    assert second.failure_reason == "expired_on_confirmation"


def test_api_unreachable_is_retryable_and_changes_nothing(yk_payment, settings):
    from lk_core.payments.services import payment_refresh

    settings.YOOKASSA_API_URL = "http://127.0.0.1:9/v3"  # nothing listens on the discard port
    assert payment_refresh(payment=yk_payment, source="test") is None
    yk_payment.refresh_from_db()
    assert yk_payment.status == PaymentStatus.PENDING


def test_pay_page_offers_sbp_only_when_enabled_for_yookassa(alice, fake_yookassa, client_a):
    client_a.force_login(alice.user)
    configure("yookassa")
    assert 'value="sbp"' not in client_a.get("/payments/").content.decode()
    configure("yookassa", sbp_enabled=True)
    assert 'value="sbp"' in client_a.get("/payments/").content.decode()
    response = client_a.post("/payments/", {"account": alice.account.pk, "amount": "",
                                            "method": "sbp", "email": "a@example.org"})
    assert response.status_code == 302
    payment = PortalPayment.objects.get()
    assert payment.method == "sbp"
    assert fake_yookassa.params[payment.acquirer_payment_id]["payment_method_data"] == \
        {"type": "sbp"}
