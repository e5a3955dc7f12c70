"""Autopay with the real `stripe` and `yookassa` libraries against the local fakes: the
first payment saves the method (Stripe: Customer + PaymentMethod via setup_future_usage;
YooKassa: save_payment_method), later charges are off-session with the saved token,
declines fall back to the reminder, cancel detaches, a lost answer is retried with the
same idempotency key and charges once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from lk_core.notifications.models import Kind, Notification
from lk_core.payments import autopay
from lk_core.payments.models import (
    AutopayCharge,
    ChargeStatus,
    Initiator,
    MandateStatus,
    PaymentStatus,
    PortalPayment,
)
from lk_core.payments.services import payment_refresh, payment_refund, payments_reconcile
from tests.factories import InvoiceFactory
from tests.payments.conftest import SITE, configure
from tests.payments.test_autopay import NOVEMBER, at


def _start(resident):
    return autopay.autopay_start(user=resident.user, account=resident.account, day=10,
                                 cap="5000", site_url=SITE)


def _activate(mandate):
    payment_refresh(payment=mandate.setup_payment, source="return")
    autopay.autopay_activate(mandate_pk=mandate.pk)
    mandate.refresh_from_db()
    return mandate


def _charge_day(resident, amount="1500.00"):
    InvoiceFactory(account=resident.account, period=NOVEMBER, charged=Decimal(amount))
    for day in (5, 7, 10):
        autopay.autopay_run(now=at(day))
    return PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).first()


# --- Stripe -------------------------------------------------------------------------------

@pytest.fixture
def stripe_mandate(alice, fake_stripe):
    configure("stripe", autopay_enabled=True)
    mandate = _start(alice)
    fake_stripe.pay(mandate.setup_payment.acquirer_payment_id)
    return _activate(mandate)


def test_stripe_checkout_saves_the_card_for_off_session_use(stripe_mandate, fake_stripe):
    params = fake_stripe.params[stripe_mandate.setup_payment.acquirer_payment_id]
    assert params["payment_intent_data"]["setup_future_usage"] == "off_session"
    assert params["customer_creation"] == "always"
    assert stripe_mandate.status == MandateStatus.ACTIVE
    assert stripe_mandate.method_token.startswith("pm_")
    assert stripe_mandate.customer_token.startswith("cus_")
    assert stripe_mandate.method_title == "Visa *4242"


def test_stripe_charges_the_saved_card_off_session(stripe_mandate, fake_stripe, alice):
    payment = _charge_day(alice)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.acquirer_payment_id.startswith("pi_")
    assert payment.acquirer_reference == payment.acquirer_payment_id
    [call] = [r for r in fake_stripe.requests if r["path"] == "/v1/payment_intents"]
    assert call["headers"]["Idempotency-Key"] == str(payment.public_id)
    intent = fake_stripe.intents[payment.acquirer_payment_id]
    assert intent["amount"] == 150000 and intent["payment_method"] == \
        stripe_mandate.method_token
    assert intent["metadata"]["portal_payment_id"] == str(payment.public_id)
    assert intent["metadata"]["tenant_schema"] == "u_alpha"
    # The same state machine as any payment: asking again changes nothing; refunds work.
    assert not payment_refresh(payment=payment, source="reconcile").applied
    payment_refund(payment=payment, amount=Decimal("500.00"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_stripe_declined_card_fails_and_reminds(stripe_mandate, fake_stripe, alice):
    fake_stripe.declining.add(stripe_mandate.method_token)
    payment = _charge_day(alice)
    assert payment.status == PaymentStatus.FAILED
    assert "insufficient funds" in payment.failure_reason
    assert AutopayCharge.objects.get(payment=payment).status == ChargeStatus.FAILED
    assert Notification.objects.filter(kind=Kind.AUTOPAY_FAILED).count() == 1
    assert Notification.objects.filter(kind=Kind.DEBT_REMINDER).count() == 1


def test_stripe_lost_answer_is_asked_again_with_the_same_key(stripe_mandate, fake_stripe,
                                                              alice, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no answer
    InvoiceFactory(account=alice.account, period=NOVEMBER, charged=Decimal("1500.00"))
    for day in (5, 7, 10):
        autopay.autopay_run(now=at(day))
    charge = AutopayCharge.objects.get(invoice__period=NOVEMBER)
    assert charge.status == ChargeStatus.CHARGING and charge.attempts == 1
    assert charge.payment.status == PaymentStatus.CREATED
    # Reconciliation leaves it to autopay: it may have reached Stripe, only the answer was lost.
    payments_reconcile(older_than_minutes=0)
    charge.payment.refresh_from_db()
    assert charge.payment.status == PaymentStatus.CREATED
    settings.STRIPE_API_BASE = fake_stripe.url
    autopay.autopay_run(now=at(10, hour=13))  # too soon: another run may be asking
    assert not [r for r in fake_stripe.requests if r["path"] == "/v1/payment_intents"]
    AutopayCharge.objects.filter(pk=charge.pk).update(
        updated_at=timezone.now() - timezone.timedelta(minutes=30))
    autopay.autopay_run(now=at(10, hour=14))
    autopay.autopay_run(now=at(11))
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.SUCCEEDED and charge.attempts == 2
    [call] = [r for r in fake_stripe.requests if r["path"] == "/v1/payment_intents"]
    assert call["headers"]["Idempotency-Key"] == str(charge.payment.public_id)
    assert [i["id"] for i in fake_stripe.intents.values() if i["metadata"].get(
        "portal_payment_id") == str(charge.payment.public_id)] == [
        charge.payment.acquirer_payment_id]


def test_stripe_cancel_detaches_the_card(stripe_mandate, fake_stripe, alice):
    token = stripe_mandate.method_token
    autopay.autopay_cancel(mandate=stripe_mandate)
    assert fake_stripe.payment_methods[token]["customer"] is None
    assert any(r["path"] == f"/v1/payment_methods/{token}/detach"
               for r in fake_stripe.requests)
    assert _charge_day(alice) is None


# --- YooKassa -----------------------------------------------------------------------------

@pytest.fixture
def yookassa_mandate(alice, fake_yookassa):
    configure("yookassa", autopay_enabled=True)
    mandate = _start(alice)
    fake_yookassa.set_status(mandate.setup_payment.acquirer_payment_id, "succeeded")
    return _activate(mandate)


def test_yookassa_saves_the_method_and_charges_it_by_id(yookassa_mandate, fake_yookassa,
                                                        alice):
    setup_params = fake_yookassa.params[yookassa_mandate.setup_payment.acquirer_payment_id]
    assert setup_params["save_payment_method"] is True
    assert setup_params["payment_method_data"]["type"] == "bank_card"
    assert yookassa_mandate.method_token.startswith("pm-")
    assert yookassa_mandate.method_title == "Bank card *4444"
    payment = _charge_day(alice)
    assert payment.status == PaymentStatus.SUCCEEDED
    params = fake_yookassa.params[payment.acquirer_payment_id]
    assert params["payment_method_id"] == yookassa_mandate.method_token
    assert "confirmation" not in params and params["capture"] is True
    assert params["receipt"]["customer"]["email"] == alice.user.email
    assert params["metadata"]["portal_payment_id"] == str(payment.public_id)
    creates = [r for r in fake_yookassa.requests
               if r["method"] == "POST" and r["path"] == "/v3/payments"]
    assert creates[-1]["headers"]["Idempotence-Key"] == str(payment.public_id)
    assert Notification.objects.filter(kind=Kind.AUTOPAY_SUCCEEDED).count() == 1


def test_yookassa_canceled_charge_fails_and_reminds(yookassa_mandate, fake_yookassa, alice):
    fake_yookassa.declining.add(yookassa_mandate.method_token)
    payment = _charge_day(alice)
    assert payment.status == PaymentStatus.FAILED
    assert "insufficient_funds" in payment.failure_reason
    assert [n.kind for n in Notification.objects.filter(
        kind__in=(Kind.AUTOPAY_FAILED, Kind.DEBT_REMINDER)).order_by("pk")] == [
        Kind.AUTOPAY_FAILED, Kind.DEBT_REMINDER]


def test_yookassa_cancel_forgets_the_token(yookassa_mandate, alice):
    autopay.autopay_cancel(mandate=yookassa_mandate)
    yookassa_mandate.refresh_from_db()
    assert yookassa_mandate.method_token == "" and yookassa_mandate.status == "canceled"
    assert _charge_day(alice) is None


def test_other_tenants_saved_method_cannot_be_charged(yookassa_mandate, fake_yookassa, alice,
                                                      utility_b, in_schema):
    """Beta's shop cannot charge alpha's saved method: the token is useless elsewhere."""
    from lk_core.payments.acquirers import SavedChargeRequest, SavedMethod
    from lk_core.payments.selectors import acquirer_get, payment_settings_get

    with in_schema(utility_b):
        configure("yookassa", autopay_enabled=True)
        adapter = acquirer_get(payment_settings_get())
        from lk_core.payments.acquirers import PermanentAcquirerError

        with pytest.raises(PermanentAcquirerError):
            adapter.charge_saved(SavedChargeRequest(
                payment_id="00000000-0000-0000-0000-000000000001", amount=Decimal("10.00"),
                currency="RUB", description="x", account_number="700001",
                email="charlie@example.org",
                method=SavedMethod(token=yookassa_mandate.method_token)))
