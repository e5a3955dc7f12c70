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

from integrations.payments.models import SandboxCharge, SandboxSavedMethod
from lk_core.payments.acquirers import (
    AcquirerConfig,
    ChargeDeclined,
    ConnectionInfo,
    CreatedPayment,
    PaymentRequest,
    PermanentAcquirerError,
    SavedChargeRequest,
    SavedMethod,
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
            description=request.description, return_url=request.return_url,
            save_method=request.save_method)
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


    def check_connection(self) -> ConnectionInfo:
        return ConnectionInfo(account="sandbox", live=False)

    def saved_method(self, acquirer_payment_id: str) -> SavedMethod | None:
        charge = SandboxCharge.objects.select_related("saved_method").filter(
            pk=acquirer_payment_id).first()
        method = charge.saved_method if charge else None
        if method is None or method.detached_at is not None:
            return None
        return SavedMethod(token=method.id, title=method.title)

    def charge_saved(self, request: SavedChargeRequest) -> tuple[CreatedPayment, StatusReport]:
        """Decided at once, as an off-session charge is: approved unless the saved method
        is gone or was saved as one that declines. The payment id keeps it idempotent."""
        with transaction.atomic():
            existing = SandboxCharge.objects.filter(
                portal_payment_id=request.payment_id).first()
            charge = existing or self._off_session_charge(request)
        if charge.status == "failed":
            raise ChargeDeclined("sandbox: the saved card was declined")
        return CreatedPayment(acquirer_payment_id=charge.id, confirmation_url=""), \
            charge_report(charge)

    def _off_session_charge(self, request: SavedChargeRequest) -> SandboxCharge:
        method = SandboxSavedMethod.objects.filter(
            pk=request.method.token, tenant_schema=self.config.tenant_schema,
            detached_at__isnull=True).first()
        if method is None:
            raise PermanentAcquirerError("sandbox: no such saved method")
        return SandboxCharge.objects.create(
            id="sbx_" + secrets.token_urlsafe(18), portal_payment_id=request.payment_id,
            account_number=request.account_number, tenant_schema=self.config.tenant_schema,
            amount=request.amount, currency=request.currency,
            description=request.description, return_url="", saved_method=method,
            status="failed" if method.declines else "succeeded", decided_at=timezone.now())

    def forget_saved(self, method: SavedMethod) -> None:
        SandboxSavedMethod.objects.filter(pk=method.token, detached_at__isnull=True).update(
            detached_at=timezone.now())


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


def sandbox_charge_decide(*, charge_id: str, decision: str,
                          declines_later: bool = False) -> SandboxCharge:
    """The tester's choice on the hosted page. Abandon changes nothing (the charge
    expires); approve and decline are final, as at a real acquirer. An approved charge
    that asked to save the method saves it (`declines_later`: a card whose off-session
    charges will be declined, to try failed autopay)."""
    with transaction.atomic():
        charge = SandboxCharge.objects.select_for_update().get(pk=charge_id)
        if decision in DECISIONS and charge.status == "pending":
            charge.status, charge.decided_at = DECISIONS[decision], timezone.now()
            fields = ["status", "decided_at"]
            if charge.status == "succeeded" and charge.save_method:
                charge.saved_method = SandboxSavedMethod.objects.create(
                    id="sbxpm_" + secrets.token_urlsafe(18),
                    tenant_schema=charge.tenant_schema, declines=declines_later,
                    title="TEST *" + ("0002" if declines_later else "4242"))
                fields.append("saved_method")
            charge.save(update_fields=fields)
    return charge
