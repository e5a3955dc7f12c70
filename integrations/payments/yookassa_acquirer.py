"""YooKassa: a payment with redirect confirmation, created with an `Idempotence-Key` and a
54-FZ receipt (items per service or one item, the tenant's VAT code, the resident's
e-mail). Notifications are not trusted as sent: the adapter re-fetches the payment from
the API and reports what the API says.

Credentials: `shop_id` and `secret_key` (test_... for test mode, live_... for live)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal

import requests
from django.conf import settings
from yookassa import Configuration, Payment, Refund, Settings
from yookassa.domain.exceptions import (
    ApiError,
    ForbiddenError,
    InternalServerError,
    ResponseProcessingError,
    TooManyRequestsError,
    UnauthorizedError,
)

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

STATUS = {"pending": "pending", "waiting_for_capture": "pending", "succeeded": "succeeded",
          "canceled": "canceled"}
RETRYABLE = (TooManyRequestsError, InternalServerError, ResponseProcessingError)
# The SDK keeps credentials in class attributes; one tenant's call at a time per process.
_SDK_LOCK = threading.Lock()


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


class YooKassaAcquirer:
    kind = "yookassa"

    def __init__(self, config: AcquirerConfig) -> None:
        self.config = config
        self.shop_id = config.credentials.get("shop_id", "")
        self.secret_key = config.credentials.get("secret_key", "")
        prefix = "live_" if config.mode == "live" else "test_"
        if not self.shop_id or not self.secret_key.startswith(prefix):
            raise PermanentAcquirerError(f"yookassa: the {config.mode} mode needs a "
                                         f"{prefix}... secret key and a shop id")

    @contextlib.contextmanager
    def _sdk(self) -> Iterator[None]:
        with _SDK_LOCK:
            Configuration.configure(self.shop_id, self.secret_key,
                                    api_url=settings.YOOKASSA_API_URL, max_attempts=1)
            try:
                yield
            except RETRYABLE as exc:
                raise RetryableAcquirerError(f"yookassa: {exc}") from exc
            except (UnauthorizedError, ForbiddenError) as exc:
                raise CredentialsRejected(f"yookassa: {exc}") from exc
            except ApiError as exc:
                raise PermanentAcquirerError(f"yookassa: {exc}") from exc
            # The SDK turns a missing response (connection refused, timeout) into an
            # AttributeError on None while building its own error.
            except (requests.RequestException, AttributeError) as exc:
                raise RetryableAcquirerError(f"yookassa: no answer: {exc}") from exc
            finally:
                Configuration.configure(None, None)

    def _receipt(self, request: PaymentRequest | SavedChargeRequest) -> dict:
        items = [{
            "description": item.description[:128], "quantity": "1.00",
            "amount": {"value": f"{item.amount:.2f}", "currency": request.currency},
            "vat_code": self.config.vat_code, "payment_mode": "full_payment",
            "payment_subject": "service"} for item in request.receipt_items]
        return {"customer": {"email": request.email}, "items": items}

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        if not request.email:
            raise PermanentAcquirerError("yookassa: a 54-FZ receipt needs the resident's e-mail")
        params = {
            "amount": {"value": f"{request.amount:.2f}", "currency": request.currency},
            "confirmation": {"type": "redirect", "return_url": request.return_url},
            "capture": True,
            "description": request.description[:128],
            "payment_method_data": {"type": "sbp" if request.method == "sbp" else "bank_card"},
            "metadata": {"tenant_schema": self.config.tenant_schema,
                         "account": request.account_number,
                         "portal_payment_id": request.payment_id},
            "receipt": self._receipt(request),
        }
        if request.save_method:
            params["save_payment_method"] = True  # autopay: YooKassa keeps the card
        with self._sdk():
            payment = Payment.create(params, idempotency_key=request.payment_id)
        return CreatedPayment(acquirer_payment_id=payment.id,
                              confirmation_url=payment.confirmation.confirmation_url)

    def check_connection(self) -> ConnectionInfo:
        """GET /v3/me: the shop's own settings, the cheapest authenticated call."""
        with self._sdk():
            me = Settings.get_account_settings()
        return ConnectionInfo(account=str(me.account_id or self.shop_id),
                              live=None if me.test is None else not me.test)

    def saved_method(self, acquirer_payment_id: str) -> SavedMethod | None:
        with self._sdk():
            payment = Payment.find_one(acquirer_payment_id)
        method = payment.payment_method
        if method is None or not method.saved or not method.id:
            return None
        return SavedMethod(token=method.id, title=method.title or "")

    def charge_saved(self, request: SavedChargeRequest) -> tuple[CreatedPayment, StatusReport]:
        if not request.email:
            raise PermanentAcquirerError("yookassa: a 54-FZ receipt needs the resident's e-mail")
        params = {
            "amount": {"value": f"{request.amount:.2f}", "currency": request.currency},
            "capture": True, "payment_method_id": request.method.token,
            "description": request.description[:128],
            "metadata": {"tenant_schema": self.config.tenant_schema,
                         "account": request.account_number,
                         "portal_payment_id": request.payment_id, "autopay": "1"},
            "receipt": self._receipt(request),
        }
        with self._sdk():
            payment = Payment.create(params, idempotency_key=request.payment_id)
        report = self._report(payment)
        if report.status == "canceled":
            raise ChargeDeclined(f"yookassa: {report.reason or 'canceled'}")
        return CreatedPayment(acquirer_payment_id=payment.id, confirmation_url=""), report

    def forget_saved(self, method: SavedMethod) -> None:
        """YooKassa has no call to delete a saved method: it is charged only when the shop
        asks with its id, so the platform forgetting the id is what ends it."""
        return None

    def fetch_status(self, acquirer_payment_id: str) -> StatusReport:
        with self._sdk():
            payment = Payment.find_one(acquirer_payment_id)
        return self._report(payment)

    @staticmethod
    def _report(payment) -> StatusReport:
        metadata = payment.metadata or {}
        refunded = payment.refunded_amount
        reason = payment.cancellation_details.reason if payment.cancellation_details else ""
        return StatusReport(
            status=STATUS.get(payment.status, "pending"), acquirer_payment_id=payment.id,
            portal_payment_id=metadata.get("portal_payment_id", ""),
            tenant_schema=metadata.get("tenant_schema", ""),
            amount=_money(payment.amount.value), currency=payment.amount.currency,
            refunded_amount=_money(refunded.value) if refunded else None, reason=reason)

    def refund(self, *, acquirer_payment_id: str, acquirer_reference: str, amount: Decimal,
               payment_id: str) -> None:
        params = {"payment_id": acquirer_payment_id,
                  "amount": {"value": f"{amount:.2f}", "currency": self.config.currency}}
        with self._sdk():
            Refund.create(params, idempotency_key=f"refund-{payment_id}-{amount:.2f}")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        try:
            notification = json.loads(body)
            event = notification["event"]
            obj = notification["object"]
            payment_id = obj["payment_id"] if event.startswith("refund.") else obj["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"yookassa: not a notification: {exc}") from exc
        if not isinstance(payment_id, str) or not payment_id:
            raise WebhookRejected("yookassa: no payment id")
        if not event.startswith(("payment.", "refund.")):
            return WebhookNotice(event_id="", event_type=event, report=None)
        report = self.fetch_status(payment_id)  # what the API says, not what was sent
        claimed = obj.get("status", "")
        return WebhookNotice(event_id="", event_type=event, report=report,
                             extra={"claimed_status": claimed})
