"""The sandbox: a built-in test acquirer whose hosted page is served by the platform itself
(approve / decline / abandon). No money moves; every page says TEST. It is refused in
production settings unless the tenant is in test mode (lk_core.payments.selectors)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.payments.models import SandboxCharge
from lk_core.payments.acquirers import (
    AcquirerConfig,
    CreatedPayment,
    PaymentRequest,
    PermanentAcquirerError,
    StatusReport,
    WebhookNotice,
    WebhookRejected,
)
from lk_core.payments.selectors import sandbox_allowed

# Like a Checkout Session, an abandoned sandbox page expires.
EXPIRES_AFTER = dt.timedelta(minutes=30)
DECISIONS = {"approve": "succeeded", "decline": "failed"}


class SandboxAcquirer:
    kind = "sandbox"

    def __init__(self, config: AcquirerConfig) -> None:
        if not sandbox_allowed(mode=config.mode):
            raise PermanentAcquirerError("the sandbox acquirer is refused in live mode")
        self.config = config

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        charge = SandboxCharge.objects.create(
            id="sbx_" + secrets.token_urlsafe(18), portal_payment_id=request.payment_id,
            account_number=request.account_number, tenant_schema=self.config.tenant_schema,
            amount=request.amount, currency=request.currency,
            description=request.description, return_url=request.return_url)
        page = reverse("sandbox:page", args=[charge.id])
        return CreatedPayment(acquirer_payment_id=charge.id,
                              confirmation_url=request.site_url + page)

    def fetch_status(self, acquirer_payment_id: str) -> StatusReport:
        charge = SandboxCharge.objects.filter(pk=acquirer_payment_id).first()
        if charge is None:
            raise PermanentAcquirerError("sandbox: no such charge")
        return charge_report(charge)

    def refund(self, *, acquirer_payment_id: str, acquirer_reference: str, amount: Decimal,
               payment_id: str) -> None:
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().get(pk=acquirer_payment_id)
            if charge.status != "succeeded" or charge.refunded_amount + amount > charge.amount:
                raise PermanentAcquirerError("sandbox: nothing to refund")
            charge.refunded_amount += amount
            charge.save(update_fields=["refunded_amount"])

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        """Sandbox notifications come from the platform itself, and still only name the
        charge: its state is read from the sandbox's own table."""
        try:
            charge_id = json.loads(body)["charge"]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"sandbox: not a notification: {exc}") from exc
        return WebhookNotice(event_id="", event_type="sandbox.charge",
                             report=self.fetch_status(str(charge_id)))


def charge_report(charge: SandboxCharge) -> StatusReport:
    status = charge.status
    if status == "pending" and timezone.now() - charge.created_at > EXPIRES_AFTER:
        status = "canceled"
    return StatusReport(
        status=status, acquirer_payment_id=charge.id,
        portal_payment_id=charge.portal_payment_id, tenant_schema=charge.tenant_schema,
        amount=charge.amount, currency=charge.currency,
        refunded_amount=charge.refunded_amount or None, occurred_at=charge.decided_at,
        reason="declined in the sandbox" if status == "failed" else "")


def sandbox_charge_decide(*, charge_id: str, decision: str) -> SandboxCharge:
    """The tester's choice on the hosted page. Abandon changes nothing (the charge
    expires); approve and decline are final, as at a real acquirer."""
    with transaction.atomic():
        charge = SandboxCharge.objects.select_for_update().get(pk=charge_id)
        if decision in DECISIONS and charge.status == "pending":
            charge.status, charge.decided_at = DECISIONS[decision], timezone.now()
            charge.save(update_fields=["status", "decided_at"])
    return charge
