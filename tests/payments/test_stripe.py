"""Stripe through the real `stripe` library against a local fake API, and webhooks signed
with Stripe's scheme posted to the tenant's endpoint."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lk_core.payments.models import PaymentStatus, PaymentTransition, PortalPayment, WebhookEvent
from lk_core.payments.services import payment_create, payment_refund
from tests.payments.conftest import SITE, STRIPE_KEYS, configure
from tests.payments.fakes import stripe_event, stripe_signature

WEBHOOK = "/payments/webhooks/stripe/"


@pytest.fixture
def stripe_payment(alice, fake_stripe):
    configure("stripe")
    return payment_create(user=alice.user, account=alice.account, site_url=SITE)


def _post(client, payload: str, secret: str = STRIPE_KEYS["alpha"][1],
          timestamp: int | None = None, signature: str | None = None):
    header = stripe_signature(payload, secret, timestamp) if signature is None else signature
    return client.post(WEBHOOK, data=payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=header)


def _state(payment):
    payment.refresh_from_db()
    return payment.status, payment.transitions.count()


def _completed(fake_stripe, payment, **changes):
    session = fake_stripe.pay(payment.acquirer_payment_id)
    return stripe_event("checkout.session.completed", {**session, **changes})


def test_checkout_session_is_created_with_tenant_amount_and_metadata(stripe_payment,
                                                                     fake_stripe):
    session = fake_stripe.sessions[stripe_payment.acquirer_payment_id]
    params = fake_stripe.params[session["id"]]
    assert session["amount_total"] == 123456 and session["currency"] == "rub"
    assert params["metadata"] == {"tenant_schema": "u_alpha", "account": "700001",
                                  "portal_payment_id": str(stripe_payment.public_id)}
    assert params["payment_intent_data"]["metadata"]["portal_payment_id"] == \
        str(stripe_payment.public_id)
    assert [item["price_data"]["product_data"]["name"]
            for item in params["line_items"].values()] == \
        ["Холодная вода", "Водоотведение"]
    assert params["success_url"] == f"{SITE}/payments/{stripe_payment.public_id}/"
    assert fake_stripe.requests[0]["headers"]["Idempotency-Key"] == str(stripe_payment.public_id)
    assert stripe_payment.confirmation_url.startswith("https://checkout.stripe.test/")
    assert stripe_payment.status == PaymentStatus.PENDING


def test_wrong_key_for_mode_or_refused_key_fails_cleanly(alice, fake_stripe):
    configure("stripe")
    from lk_core.payments.crypto import credentials_encrypt
    from lk_core.payments.models import PaymentSettings

    PaymentSettings.objects.update(credentials_encrypted=credentials_encrypt(
        {"secret_key": "sk_test_unknown", "webhook_secret": "whsec_x"}))
    with pytest.raises(ValidationError, match="не принял"):
        payment_create(user=alice.user, account=alice.account, site_url=SITE)
    assert PortalPayment.objects.get().status == PaymentStatus.FAILED
    PaymentSettings.objects.update(mode="live")
    with pytest.raises(ValidationError, match="недоступна"):
        payment_create(user=alice.user, account=alice.account, site_url=SITE)


def test_signed_completion_is_applied(stripe_payment, fake_stripe, client_a,
                                      django_capture_on_commit_callbacks, mailoutbox):
    payload = _completed(fake_stripe, stripe_payment)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client_a, payload)
    assert response.status_code == 200
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.SUCCEEDED
    assert stripe_payment.acquirer_reference.startswith("pi_")
    event = WebhookEvent.objects.get()
    assert event.status == "processed" and event.payment == stripe_payment
    assert event.event_type == "checkout.session.completed"
    assert "stripe-signature" in event.headers and "cookie" not in event.headers
    assert PaymentTransition.objects.filter(webhook_event=event, to_status="succeeded").exists()
    assert len(mailoutbox) == 1


def test_forged_signature_changes_nothing(stripe_payment, fake_stripe, client_a,
                                          django_capture_on_commit_callbacks):
    before = _state(stripe_payment)
    payload = _completed(fake_stripe, stripe_payment)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client_a, payload, secret="whsec_forged").status_code == 200
        _post(client_a, payload, signature="t=1,v1=deadbeef")
        _post(client_a, payload, signature="")
    assert _state(stripe_payment) == before
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"rejected"}
    assert WebhookEvent.objects.count() == 3


def test_other_tenants_secret_changes_nothing(stripe_payment, fake_stripe, client_a,
                                              django_capture_on_commit_callbacks):
    before = _state(stripe_payment)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, _completed(fake_stripe, stripe_payment), secret=STRIPE_KEYS["beta"][1])
    assert _state(stripe_payment) == before
    assert WebhookEvent.objects.get().status == "rejected"


def test_other_tenants_event_sent_here_changes_nothing(stripe_payment, fake_stripe, client_a,
                                                       django_capture_on_commit_callbacks):
    """Correctly signed for this tenant, but its metadata names another tenant."""
    before = _state(stripe_payment)
    session = fake_stripe.pay(stripe_payment.acquirer_payment_id)
    payload = stripe_event("checkout.session.completed", {
        **session, "metadata": {**session["metadata"], "tenant_schema": "u_beta"}})
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, payload)
    assert _state(stripe_payment) == before
    assert "tenant mismatch" in WebhookEvent.objects.get().error


def test_replayed_event_changes_nothing(stripe_payment, fake_stripe, client_a,
                                        django_capture_on_commit_callbacks):
    payload = _completed(fake_stripe, stripe_payment)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, payload)
    after_first = _state(stripe_payment)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, payload)  # the same event id again, freshly signed
        _post(client_a, payload, timestamp=int(time.time()) - 3600)  # an old capture
    assert _state(stripe_payment) == after_first
    assert list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True)) == \
        ["processed", "ignored", "rejected"]


def test_duplicate_and_out_of_order_events_change_nothing(stripe_payment, fake_stripe, client_a,
                                                          django_capture_on_commit_callbacks):
    session = fake_stripe.pay(stripe_payment.acquirer_payment_id)
    intent = fake_stripe.intents[session["payment_intent"]]
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, stripe_event("payment_intent.succeeded", intent))
    after = _state(stripe_payment)
    assert after[0] == PaymentStatus.SUCCEEDED
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, stripe_event("checkout.session.completed", session))  # duplicate
        _post(client_a, stripe_event("payment_intent.processing", intent))  # late
        _post(client_a, stripe_event("payment_intent.payment_failed", intent))  # late
    assert _state(stripe_payment) == after
    assert list(WebhookEvent.objects.order_by("pk").values_list("status", flat=True)) == \
        ["processed", "ignored", "ignored", "ignored"]


def test_amount_mismatch_changes_nothing(stripe_payment, fake_stripe, client_a,
                                         django_capture_on_commit_callbacks):
    before = _state(stripe_payment)
    payload = _completed(fake_stripe, stripe_payment, amount_total=100)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, payload)
        _post(client_a, _completed(fake_stripe, stripe_payment, currency="usd"))
    assert _state(stripe_payment) == before
    errors = list(WebhookEvent.objects.order_by("pk").values_list("error", flat=True))
    assert "amount mismatch" in errors[0] and "currency mismatch" in errors[1]


def test_live_event_on_a_test_tenant_is_rejected(stripe_payment, fake_stripe, client_a,
                                                 django_capture_on_commit_callbacks):
    session = fake_stripe.pay(stripe_payment.acquirer_payment_id)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, stripe_event("checkout.session.completed", session, livemode=True))
    assert _state(stripe_payment)[0] == PaymentStatus.PENDING


def test_unused_event_types_are_stored_and_ignored(stripe_payment, client_a,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert WebhookEvent.objects.get().status == "ignored"


def test_refund_through_the_api_and_charge_refunded(stripe_payment, fake_stripe, client_a,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, _completed(fake_stripe, stripe_payment))
    stripe_payment.refresh_from_db()
    payment_refund(payment=stripe_payment, amount=Decimal("234.56"))
    stripe_payment.refresh_from_db()
    # The fake's session expands to the charge, so the refresh already sees the refund.
    assert stripe_payment.status == PaymentStatus.PARTIALLY_REFUNDED
    intent = fake_stripe.intents[stripe_payment.acquirer_reference]
    charge = dict(intent["latest_charge"], amount_refunded=123456, refunded=True)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, stripe_event("charge.refunded", charge))
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == PaymentStatus.REFUNDED
    assert stripe_payment.refunded_amount == Decimal("1234.56")


def test_webhook_endpoint_answers_fast_for_garbage_and_unknown_acquirers(client_a, alice):
    configure("stripe")
    assert client_a.post(WEBHOOK, data="not json", content_type="application/json",
                         HTTP_STRIPE_SIGNATURE="t=1,v1=x").status_code == 200
    assert client_a.post("/payments/webhooks/paypal/", data="{}",
                         content_type="application/json").status_code == 404
    assert client_a.get(WEBHOOK).status_code == 405
    big = json.dumps({"x": "y" * 300_000})
    assert client_a.post(WEBHOOK, data=big, content_type="application/json").status_code == 413


def test_webhook_on_the_other_tenant_host_does_not_reach_this_payment(
        stripe_payment, fake_stripe, client_b, utility_a, utility_b, in_schema,
        django_capture_on_commit_callbacks):
    """Alpha's event (signed with alpha's secret) posted to beta's host: beta has its own
    settings and no such payment."""
    payload = _completed(fake_stripe, stripe_payment)
    with in_schema(utility_b):
        configure("stripe")
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_b, payload)
    with in_schema(utility_b):
        assert WebhookEvent.objects.get().status == "rejected"
    with in_schema(utility_a):
        assert _state(stripe_payment)[0] == PaymentStatus.PENDING
        assert not WebhookEvent.objects.exists()
