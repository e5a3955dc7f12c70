"""The acquirer interface lk_core depends on, its typed errors, and the registry that maps
a tenant's configured acquirer kind to an adapter factory. Concrete adapters live in
`integrations/payments/` and register themselves from their AppConfig.ready(), so lk_core
never imports them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class AcquirerError(Exception):
    """An acquirer call failed. `retryable` says whether trying again later may help."""

    retryable = False


class PermanentAcquirerError(AcquirerError):
    """Bad credentials, a refused request, a configuration that cannot work."""


class RetryableAcquirerError(AcquirerError):
    """Network trouble, a timeout, a 5xx or 429: try again later."""

    retryable = True


class WebhookRejected(AcquirerError):
    """The notification is not authentic or not understood; it changes nothing."""


class CredentialsRejected(PermanentAcquirerError):
    """The acquirer refused the tenant's credentials (wrong key, wrong shop, revoked)."""


class NotApplicable(PermanentAcquirerError):
    """The acquirer kind has no such operation (e.g. "none" has nothing to connect to)."""


class ChargeDeclined(PermanentAcquirerError):
    """An off-session charge of a saved method was refused (declined card, expired
    method, authentication required)."""


@dataclass(frozen=True)
class AcquirerConfig:
    kind: str
    mode: str  # test / live
    credentials: Mapping[str, str]
    currency: str
    vat_code: int
    tenant_schema: str


@dataclass(frozen=True)
class ReceiptItem:
    description: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: str  # PortalPayment.public_id; the idempotency key as well
    amount: Decimal
    currency: str
    description: str
    account_number: str
    email: str
    return_url: str
    site_url: str  # scheme://host of the tenant, for hosted pages served by the platform
    method: str = "card"
    receipt_items: tuple[ReceiptItem, ...] = ()
    # Autopay: ask the acquirer to keep the payment method for later off-session charges
    # (a token at the acquirer; card data never reaches the platform).
    save_method: bool = False


@dataclass(frozen=True)
class SavedMethod:
    """A payment method the acquirer keeps for us: only its token (and Stripe's Customer)."""

    token: str
    customer: str = ""
    title: str = ""  # e.g. "Visa *4242", for the resident to recognise it


@dataclass(frozen=True)
class SavedChargeRequest:
    """Charge a saved method without the resident (autopay)."""

    payment_id: str  # PortalPayment.public_id; the idempotency key as well
    amount: Decimal
    currency: str
    description: str
    account_number: str
    email: str
    method: SavedMethod
    receipt_items: tuple[ReceiptItem, ...] = ()


@dataclass(frozen=True)
class ConnectionInfo:
    """What a successful credentials check learned (shown to staff)."""

    account: str  # the acquirer's id of the merchant account or shop
    live: bool | None = None  # None: the acquirer did not say


@dataclass(frozen=True)
class CreatedPayment:
    acquirer_payment_id: str
    confirmation_url: str


@dataclass(frozen=True)
class StatusReport:
    """What the acquirer says about one payment. Any field the acquirer did not tell is
    None and is then not checked."""

    status: str  # a PaymentStatus value
    acquirer_payment_id: str = ""
    acquirer_reference: str = ""
    portal_payment_id: str = ""  # from the metadata we sent
    tenant_schema: str = ""  # from the metadata we sent
    amount: Decimal | None = None
    currency: str = ""
    refunded_amount: Decimal | None = None
    occurred_at: dt.datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class WebhookNotice:
    event_id: str
    event_type: str
    report: StatusReport | None  # None: an event we acknowledge but do not act on
    extra: dict = field(default_factory=dict)


class Acquirer(Protocol):
    kind: str

    def create_payment(self, request: PaymentRequest) -> CreatedPayment: ...

    def fetch_status(self, acquirer_payment_id: str) -> StatusReport: ...

    def refund(self, *, acquirer_payment_id: str, acquirer_reference: str,
               amount: Decimal, payment_id: str) -> None: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
        """Verify and understand a notification. Raises WebhookRejected."""
        ...

    def check_connection(self) -> ConnectionInfo:
        """A cheap authenticated call. Raises CredentialsRejected, RetryableAcquirerError,
        NotApplicable."""
        ...

    def saved_method(self, acquirer_payment_id: str) -> SavedMethod | None:
        """The method a successful payment created with `save_method` left saved."""
        ...

    def charge_saved(self, request: SavedChargeRequest) -> tuple[CreatedPayment, StatusReport]:
        """Charge a saved method off-session. Raises ChargeDeclined when refused."""
        ...

    def forget_saved(self, method: SavedMethod) -> None:
        """Detach / delete the saved method at the acquirer where it has such a call."""
        ...


AcquirerFactory = Callable[[AcquirerConfig], Acquirer]
_REGISTRY: dict[str, AcquirerFactory] = {}


def acquirer_register(kind: str, factory: AcquirerFactory) -> None:
    _REGISTRY[kind] = factory


def acquirer_build(config: AcquirerConfig) -> Acquirer:
    try:
        factory = _REGISTRY[config.kind]
    except KeyError:
        raise PermanentAcquirerError(f"no adapter registered for {config.kind!r}") from None
    return factory(config)


def registered_kinds() -> list[str]:
    return sorted(_REGISTRY)
