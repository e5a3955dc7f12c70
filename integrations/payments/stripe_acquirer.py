"""Stripe: a Checkout Session (Stripe's hosted page) per portal payment, and webhooks
verified with the tenant's own signing secret through `stripe.Webhook.construct_event`.

Credentials: `secret_key` (sk_test_/sk_live_ matching the tenant's mode) and
`webhook_secret` (whsec_...) of the endpoint `/payments/webhooks/stripe/` on the tenant's
host. Metadata on the session and its PaymentIntent ties every object to the tenant's
schema, the account and the portal payment id."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal

import stripe
from django.conf import settings

from lk_core.payments.acquirers import (
    AcquirerConfig,
    ChargeDeclined,
    ConnectionInfo,
    CreatedPayment,
    CredentialsRejected,
    PaymentRequest,
    PermanentAcquirerError,
    RetryableAcquirerError,
    SavedChargeRequest,
    SavedMethod,
    StatusReport,
    WebhookNotice,
    WebhookRejected,
)

SESSION_STATUS = {"expired": "canceled"}
INTENT_EVENTS = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
    "payment_intent.processing": "pending",
    "payment_intent.created": "pending",
}
INTENT_STATUS = {"succeeded": "succeeded", "canceled": "canceled", "processing": "pending",
                 "requires_payment_method": "failed"}
SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": "succeeded",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "canceled",
}


def to_minor(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_minor(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def _translate_error(exc: stripe.StripeError) -> Exception:
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return CredentialsRejected(f"stripe: {exc.user_message or exc}")
    retryable = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        isinstance(exc, stripe.APIError) and (exc.http_status or 500) >= 500)
    error = RetryableAcquirerError if retryable else PermanentAcquirerError
    return error(f"stripe: {exc.user_message or exc}")


class StripeAcquirer:
    kind = "stripe"

    def __init__(self, config: AcquirerConfig) -> None:
        self.config = config
        secret = config.credentials.get("secret_key", "")
        prefix = "sk_live_" if config.mode == "live" else "sk_test_"
        if not secret.startswith((prefix, prefix.replace("sk_", "rk_"))):
            raise PermanentAcquirerError(f"stripe: the {config.mode} mode needs a {prefix} key")
        self.client = stripe.StripeClient(
            secret, base_addresses={"api": settings.STRIPE_API_BASE}, max_network_retries=0)

    # --- calls to Stripe ---------------------------------------------------------------

    def _metadata(self, request: PaymentRequest) -> dict[str, str]:
        return {"tenant_schema": self.config.tenant_schema, "account": request.account_number,
                "portal_payment_id": request.payment_id}

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        currency = request.currency.lower()
        items = request.receipt_items or ()
        params = {
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": currency, "unit_amount": to_minor(item.amount),
                "product_data": {"name": item.description}}} for item in items],
            "success_url": request.return_url,
            "cancel_url": request.return_url + "?canceled=1",
            "client_reference_id": request.payment_id,
            "metadata": self._metadata(request),
            "payment_intent_data": {"metadata": self._metadata(request),
                                    "description": request.description},
        }
        if request.email:
            params["customer_email"] = request.email
        if request.save_method:
            # Autopay: a Customer keeps the card; the PaymentIntent saves it for off-session
            # charges (Stripe shows the resident that the card will be saved).
            params["customer_creation"] = "always"
            params["payment_intent_data"]["setup_future_usage"] = "off_session"
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": request.payment_id})
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc
        if not session.url:
            raise PermanentAcquirerError("stripe: the session has no payment page")
        return CreatedPayment(acquirer_payment_id=session.id, confirmation_url=session.url)

    def fetch_status(self, acquirer_payment_id: str) -> StatusReport:
        if acquirer_payment_id.startswith("pi_"):  # an autopay charge: no Checkout Session
            return self._fetch_intent(acquirer_payment_id)
        try:
            session = self.client.v1.checkout.sessions.retrieve(
                acquirer_payment_id, params={"expand": ["payment_intent.latest_charge"]})
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc
        return self._session_report(session.to_dict(), status=None, occurred_at=None)

    def refund(self, *, acquirer_payment_id: str, acquirer_reference: str, amount: Decimal,
               payment_id: str) -> None:
        if not acquirer_reference:
            raise PermanentAcquirerError("stripe: no PaymentIntent to refund")
        try:
            self.client.v1.refunds.create(
                params={"payment_intent": acquirer_reference, "amount": to_minor(amount),
                        "metadata": {"portal_payment_id": payment_id,
                                     "tenant_schema": self.config.tenant_schema}},
                options={"idempotency_key": f"refund-{payment_id}-{to_minor(amount)}"})
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc

    def _fetch_intent(self, intent_id: str) -> StatusReport:
        try:
            intent = self.client.v1.payment_intents.retrieve(
                intent_id, params={"expand": ["latest_charge"]})
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc
        return self._intent_state(intent.to_dict())

    def check_connection(self) -> ConnectionInfo:
        """The balance is the cheapest call every key (restricted ones too) may make."""
        try:
            balance = self.client.v1.balance.retrieve()
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc
        live = bool(balance.to_dict().get("livemode"))
        return ConnectionInfo(account="livemode" if live else "testmode", live=live)

    def saved_method(self, acquirer_payment_id: str) -> SavedMethod | None:
        try:
            session = self.client.v1.checkout.sessions.retrieve(
                acquirer_payment_id, params={"expand": ["payment_intent.payment_method"]})
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc
        session = session.to_dict()
        intent = session.get("payment_intent") or {}
        method = intent.get("payment_method") if isinstance(intent, dict) else None
        customer = session.get("customer") or ""
        if not isinstance(method, dict) or not customer:
            return None
        card = method.get("card") or {}
        title = f"{card.get('brand', '').capitalize()} *{card.get('last4', '')}".strip()
        return SavedMethod(token=method["id"],
                           customer=customer if isinstance(customer, str) else customer["id"],
                           title=title)

    def charge_saved(self, request: SavedChargeRequest) -> tuple[CreatedPayment, StatusReport]:
        metadata = {"tenant_schema": self.config.tenant_schema,
                    "account": request.account_number, "portal_payment_id": request.payment_id,
                    "autopay": "1"}
        params = {"amount": to_minor(request.amount), "currency": request.currency.lower(),
                  "customer": request.method.customer, "payment_method": request.method.token,
                  "off_session": True, "confirm": True, "metadata": metadata,
                  "description": request.description}
        if request.email:
            params["receipt_email"] = request.email
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": request.payment_id})
        except stripe.CardError as exc:
            raise ChargeDeclined(f"stripe: {exc.user_message or exc}") from exc
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc
        intent = intent.to_dict()
        if intent.get("status") in ("requires_action", "requires_payment_method"):
            raise ChargeDeclined(f"stripe: the charge needs the resident ({intent['status']})")
        return (CreatedPayment(acquirer_payment_id=intent["id"], confirmation_url=""),
                self._intent_state(intent))

    def forget_saved(self, method: SavedMethod) -> None:
        try:
            self.client.v1.payment_methods.detach(method.token)
        except stripe.InvalidRequestError:
            return  # already detached or gone: forgotten either way
        except stripe.StripeError as exc:
            raise _translate_error(exc) from exc

    def _intent_state(self, intent: dict) -> StatusReport:
        status = INTENT_STATUS.get(intent.get("status", ""), "pending")
        report = self._intent_report(intent, status, occurred_at=None)
        charge = intent.get("latest_charge")
        refunded = from_minor(charge.get("amount_refunded")) if isinstance(charge, dict) else None
        return StatusReport(
            status=report.status, acquirer_payment_id=intent["id"],
            acquirer_reference=intent["id"], portal_payment_id=report.portal_payment_id,
            tenant_schema=report.tenant_schema, amount=report.amount,
            currency=report.currency, refunded_amount=refunded, reason=report.reason)

    # --- reading Stripe objects ----------------------------------------------------------

    def _session_report(self, session: dict, *, status: str | None,
                        occurred_at: dt.datetime | None) -> StatusReport:
        intent = session.get("payment_intent")
        intent_id = intent.get("id") if isinstance(intent, dict) else (intent or "")
        charge = intent.get("latest_charge") if isinstance(intent, dict) else None
        if status is None:
            status = self._session_status(session)
        metadata = session.get("metadata") or {}
        return StatusReport(
            status=status, acquirer_payment_id=session["id"], acquirer_reference=intent_id,
            portal_payment_id=metadata.get("portal_payment_id", ""),
            tenant_schema=metadata.get("tenant_schema", ""),
            amount=from_minor(session.get("amount_total")),
            currency=session.get("currency") or "",
            refunded_amount=from_minor(charge.get("amount_refunded"))
            if isinstance(charge, dict) else None,
            occurred_at=occurred_at)

    @staticmethod
    def _session_status(session: dict) -> str:
        if session.get("status") == "complete":
            return "succeeded" if session.get("payment_status") == "paid" else "pending"
        return SESSION_STATUS.get(session.get("status", ""), "pending")

    @staticmethod
    def _intent_report(intent: dict, status: str,
                       occurred_at: dt.datetime | None) -> StatusReport:
        metadata = intent.get("metadata") or {}
        error = (intent.get("last_payment_error") or {}).get("message", "")
        amount = intent.get("amount_received") if status == "succeeded" else intent.get("amount")
        return StatusReport(
            status=status, acquirer_reference=intent["id"],
            portal_payment_id=metadata.get("portal_payment_id", ""),
            tenant_schema=metadata.get("tenant_schema", ""), amount=from_minor(amount),
            currency=intent.get("currency") or "", occurred_at=occurred_at, reason=error)

    @staticmethod
    def _charge_report(charge: dict) -> StatusReport:
        metadata = charge.get("metadata") or {}
        return StatusReport(
            status="succeeded", acquirer_reference=charge.get("payment_intent") or "",
            portal_payment_id=metadata.get("portal_payment_id", ""),
            tenant_schema=metadata.get("tenant_schema", ""),
            amount=from_minor(charge.get("amount")), currency=charge.get("currency") or "",
            refunded_amount=from_minor(charge.get("amount_refunded")))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        secret = self.config.credentials.get("webhook_secret", "")
        payload = body.decode("utf-8")
        try:
            stripe.Webhook.construct_event(payload, headers.get("stripe-signature"), secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise WebhookRejected(f"stripe: {exc}") from exc
        event = json.loads(payload)  # authentic now; read it as plain data
        if bool(event.get("livemode")) != (self.config.mode == "live"):
            raise WebhookRejected("stripe: event mode does not match the tenant's mode")
        return WebhookNotice(event_id=event.get("id", ""), event_type=event.get("type", ""),
                             report=self._event_report(event))

    def _event_report(self, event: dict) -> StatusReport | None:
        kind, obj = event.get("type", ""), event["data"]["object"]
        occurred_at = dt.datetime.fromtimestamp(event.get("created", 0), tz=dt.UTC)
        if kind == "checkout.session.completed":
            return self._session_report(obj, status=None, occurred_at=occurred_at)
        if kind in SESSION_EVENTS:
            return self._session_report(obj, status=SESSION_EVENTS[kind],
                                        occurred_at=occurred_at)
        if kind in INTENT_EVENTS:
            return self._intent_report(obj, INTENT_EVENTS[kind], occurred_at)
        if kind == "charge.refunded":
            return self._charge_report(obj)
        return None
