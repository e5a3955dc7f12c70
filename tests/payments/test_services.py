"""Creating portal payments and the state machine, with the built-in sandbox acquirer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from integrations.payments.models import SandboxCharge
from integrations.payments.sandbox_acquirer import sandbox_charge_decide
from lk_core.payments.acquirers import StatusReport
from lk_core.payments.models import PaymentStatus, PaymentTransition, PortalPayment
from lk_core.payments.services import (
    Outcome,
    payment_apply_status,
    payment_create,
    payment_refund,
    payments_reconcile,
)
from tests.payments.conftest import SITE, configure


def _create(resident, **kwargs):
    return payment_create(user=resident.user, account=resident.account, site_url=SITE, **kwargs)


def _report(payment, status, **overrides):
    values = {"status": status, "acquirer_payment_id": payment.acquirer_payment_id,
              "portal_payment_id": str(payment.public_id), "tenant_schema": "u_alpha",
              "amount": payment.amount, "currency": payment.currency}
    return StatusReport(**{**values, **overrides})


def _statuses(payment):
    return list(PaymentTransition.objects.filter(payment=payment)
                .values_list("from_status", "to_status"))


def test_default_amount_is_the_latest_invoice_due(alice):
    configure("sandbox")
    payment = _create(alice)
    assert payment.amount == Decimal("1234.56")
    assert payment.status == PaymentStatus.PENDING
    charge = SandboxCharge.objects.get(pk=payment.acquirer_payment_id)
    assert charge.amount == Decimal("1234.56") and charge.tenant_schema == "u_alpha"
    assert payment.confirmation_url == f"{SITE}/payments/sandbox/{charge.id}/"
    assert _statuses(payment) == [("", "created"), ("created", "pending")]


@pytest.mark.parametrize(("amount", "message"), [
    ("0.50", "от 1,00 до 500\xa0000,00"), ("600000", "от 1,00"), ("12.345", "двумя знаками"),
    ("abc", "в рублях"), ("-5", "в рублях"), ("NaN", "в рублях"), ("1e3", "в рублях"),
    ("0", "от 1,00")])
def test_bad_amounts_are_refused_and_change_nothing(alice, amount, message):
    configure("sandbox")
    with pytest.raises(ValidationError) as exc:
        _create(alice, amount=amount)
    assert message in " ".join(exc.value.message_dict["amount"])
    assert not PortalPayment.objects.exists()


def test_errors_in_english_too(alice):
    configure("sandbox")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        _create(alice, amount="0.50")
    assert exc.value.message_dict["amount"] == ["The amount must be between 1.00 and 500,000.00."]


def test_other_amount_only_when_the_tenant_allows_it(alice):
    configure("sandbox", allow_other_amount=False)
    with pytest.raises(ValidationError):
        _create(alice, amount="500.00")
    configure("sandbox", allow_other_amount=True)
    assert _create(alice, amount="500,00").amount == Decimal("500.00")


def test_none_acquirer_points_to_the_qr_code(alice):
    configure("none")
    with pytest.raises(ValidationError, match="QR-коду"):
        _create(alice)
    assert not PortalPayment.objects.exists()


def test_sbp_is_refused_unless_enabled_for_yookassa(alice):
    configure("sandbox", sbp_enabled=True)
    with pytest.raises(ValidationError):
        _create(alice, method="sbp")


def test_sandbox_refused_in_production_live_mode(alice, settings):
    settings.PAYMENTS_SANDBOX_ANYWHERE = False
    with pytest.raises(ValidationError):
        configure("sandbox", mode="live")
    configure("sandbox", mode="test")
    assert _create(alice).status == PaymentStatus.PENDING


def test_success_is_applied_once_and_e_mailed_once(alice, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    configure("sandbox")
    payment = _create(alice)
    with django_capture_on_commit_callbacks(execute=True):
        first = payment_apply_status(payment_pk=payment.pk, source="test",
                                     report=_report(payment, "succeeded"))
        again = payment_apply_status(payment_pk=payment.pk, source="test",
                                     report=_report(payment, "succeeded"))
    assert first.applied and again.outcome == Outcome.DUPLICATE
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.paid_at is not None
    assert _statuses(payment)[-1] == ("pending", "succeeded")
    assert len(_statuses(payment)) == 3
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["700001@example.org"]
    assert "1\xa0234,56 руб." in mailoutbox[0].body and "700001" in mailoutbox[0].body


@pytest.mark.parametrize(("overrides", "outcome"), [
    ({"amount": Decimal("1.00")}, Outcome.MISMATCH),
    ({"currency": "USD"}, Outcome.MISMATCH),
    ({"tenant_schema": "u_beta"}, Outcome.MISMATCH),
    ({"acquirer_payment_id": "sbx_someone_else"}, Outcome.MISMATCH),
])
def test_mismatching_reports_change_nothing(alice, overrides, outcome):
    configure("sandbox")
    payment = _create(alice)
    before = _statuses(payment)
    result = payment_apply_status(payment_pk=payment.pk, source="test",
                                  report=_report(payment, "succeeded", **overrides))
    assert result.outcome == outcome
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _statuses(payment) == before


def test_out_of_order_reports_change_nothing(alice):
    configure("sandbox")
    payment = _create(alice)
    payment_apply_status(payment_pk=payment.pk, source="test",
                         report=_report(payment, "succeeded"))
    for late in ("pending", "failed", "canceled"):
        result = payment_apply_status(payment_pk=payment.pk, source="test",
                                      report=_report(payment, late))
        assert result.outcome == Outcome.OUT_OF_ORDER
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_refunds_partial_then_full(alice):
    configure("sandbox")
    payment = _create(alice)
    sandbox_charge_decide(charge_id=payment.acquirer_payment_id, decision="approve")
    payment_apply_status(payment_pk=payment.pk, source="test",
                         report=_report(payment, "succeeded"))
    payment.refresh_from_db()
    payment_refund(payment=payment, amount=Decimal("234.56"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal("234.56")
    with pytest.raises(ValidationError):
        payment_refund(payment=payment, amount=Decimal("5000.00"))
    payment_refund(payment=payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert [t[1] for t in _statuses(payment)][-2:] == ["partially_refunded", "refunded"]


def test_reconcile_fixes_stale_payments(alice):
    from django.utils import timezone

    configure("sandbox")
    approved, abandoned, fresh = _create(alice), _create(alice), _create(alice)
    sandbox_charge_decide(charge_id=approved.acquirer_payment_id, decision="approve")
    later = timezone.now() + timezone.timedelta(minutes=40)
    SandboxCharge.objects.filter(pk__in=[approved.acquirer_payment_id,
                                         abandoned.acquirer_payment_id]).update(
        created_at=timezone.now() - timezone.timedelta(minutes=45))
    PortalPayment.objects.filter(pk=fresh.pk).update(created_at=later)
    counts = payments_reconcile(older_than_minutes=15, now=later)
    assert counts["checked"] == 2 and counts["changed"] == 2
    statuses = dict(PortalPayment.objects.values_list("pk", "status"))
    assert statuses == {approved.pk: "succeeded", abandoned.pk: "canceled", fresh.pk: "pending"}


def test_reconcile_fails_payments_that_never_reached_the_acquirer(alice):
    from django.utils import timezone

    configure("sandbox")
    stuck = PortalPayment.objects.create(account=alice.account, amount=Decimal("10.00"),
                                         acquirer="sandbox", mode="test")
    counts = payments_reconcile(older_than_minutes=15,
                                now=timezone.now() + timezone.timedelta(hours=1))
    stuck.refresh_from_db()
    assert counts["abandoned"] == 1 and stuck.status == PaymentStatus.FAILED


def test_other_tenant_does_not_see_the_payment(alice, utility_b, in_schema):
    configure("sandbox")
    payment = _create(alice)
    with in_schema(utility_b):
        assert not PortalPayment.objects.filter(public_id=payment.public_id).exists()


def test_capabilities_offer_card_payment_only_when_a_payment_can_start(alice, settings):
    """The app's branding endpoint and payment_create agree: an acquirer without its
    credentials, or a sandbox on a live-mode tenant, offers no card payment."""
    from lk_core.payments.models import PaymentSettings
    from lk_core.payments.selectors import card_payments_ready, payment_capabilities

    configure("stripe")
    assert payment_capabilities().card
    PaymentSettings.objects.filter(pk=1).update(credentials_encrypted="")
    assert not payment_capabilities().card and not card_payments_ready(
        PaymentSettings.objects.get(pk=1))
    with pytest.raises(ValidationError):
        _create(alice)
    configure("sandbox", mode="live")  # allowed while PAYMENTS_SANDBOX_ANYWHERE is on
    assert payment_capabilities().card
    settings.PAYMENTS_SANDBOX_ANYWHERE = False
    assert not payment_capabilities().card
    assert not card_payments_ready(PaymentSettings.objects.get(pk=1))
