""""No acquirer": the utility takes no card payments; residents pay by the QR code printed
on the receipt (GOST R 56042) in their bank's app. Every call is refused."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from lk_core.payments.acquirers import (
    AcquirerConfig,
    ConnectionInfo,
    CreatedPayment,
    NotApplicable,
    PaymentRequest,
    PermanentAcquirerError,
    SavedChargeRequest,
    SavedMethod,
    StatusReport,
    WebhookNotice,
    WebhookRejected,
)


class NoneAcquirer:
    kind = "none"

    def __init__(self, config: AcquirerConfig) -> None:
        self.config = config

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        raise PermanentAcquirerError("card payments are off; pay by the receipt's QR code")

    def fetch_status(self, acquirer_payment_id: str) -> StatusReport:
        raise PermanentAcquirerError("card payments are off")

    def refund(self, *, acquirer_payment_id: str, acquirer_reference: str, amount: Decimal,
               payment_id: str) -> None:
        raise PermanentAcquirerError("card payments are off")

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        raise WebhookRejected("card payments are off")

    def check_connection(self) -> ConnectionInfo:
        raise NotApplicable("no acquirer: nothing to connect to")

    def saved_method(self, acquirer_payment_id: str) -> SavedMethod | None:
        return None

    def charge_saved(self, request: SavedChargeRequest) -> tuple[CreatedPayment, StatusReport]:
        raise PermanentAcquirerError("card payments are off")

    def forget_saved(self, method: SavedMethod) -> None:
        return None  # nothing was ever saved
