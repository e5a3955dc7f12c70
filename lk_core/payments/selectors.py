"""Reads for payments: the tenant's acquirer settings, the acquirer adapter they pick, the
amount due, and what a resident or staff page shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from lk_core.billing.models import Account, ChargeLine, Invoice
from lk_core.payments.acquirers import (
    Acquirer,
    AcquirerConfig,
    PermanentAcquirerError,
    ReceiptItem,
    acquirer_build,
)
from lk_core.payments.crypto import credentials_decrypt, mask
from lk_core.payments.models import (
    LIVE_MANDATE_STATUSES,
    AcquirerKind,
    AcquirerMode,
    AutopayMandate,
    PaymentSettings,
    PaymentStatus,
    PortalPayment,
)

# An open payment's page (or the API) asks the acquirer itself at most this often.
REFRESH_EVERY_SECONDS = 5
WAITING_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)

CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    AcquirerKind.STRIPE: ("secret_key", "webhook_secret"),
    AcquirerKind.YOOKASSA: ("shop_id", "secret_key"),
    AcquirerKind.SANDBOX: (),
    AcquirerKind.NONE: (),
}


def payment_settings_get() -> PaymentSettings:
    settings_row, _created = PaymentSettings.objects.get_or_create(pk=1)
    return settings_row


def card_payments_ready(payment_settings: PaymentSettings) -> bool:
    """An acquirer is chosen and has every credential it needs (an acquirer picked at
    onboarding waits here until the utility's administrator enters its credentials), and
    it is not a sandbox that a live-mode tenant may not present (`sandbox_allowed`)."""
    if payment_settings.acquirer == AcquirerKind.NONE:
        return False
    if payment_settings.acquirer == AcquirerKind.SANDBOX:
        return sandbox_allowed(mode=payment_settings.mode)
    wanted = CREDENTIAL_FIELDS.get(payment_settings.acquirer, ())
    if not wanted:
        return True
    stored = credentials_decrypt(payment_settings.credentials_encrypted)
    return all(stored.get(name) for name in wanted)


def sandbox_allowed(*, mode: str) -> bool:
    """The sandbox takes no real money, so a live-mode tenant in production must not
    present it as a way to pay."""
    return settings.PAYMENTS_SANDBOX_ANYWHERE or mode == AcquirerMode.TEST


@dataclass(frozen=True)
class PaymentCapabilities:
    card: bool  # the portal and the app can take a card payment now
    sbp: bool  # ... and offer SBP as a method
    currency: str


def payment_capabilities(payment_settings: PaymentSettings | None = None) -> PaymentCapabilities:
    """What the pay page offers, for the app's theming endpoint: the check payment_create
    makes (`card_payments_ready`)."""
    row = payment_settings or payment_settings_get()
    card = card_payments_ready(row)
    sbp = card and row.sbp_enabled and row.acquirer == AcquirerKind.YOOKASSA
    return PaymentCapabilities(card=card, sbp=sbp, currency=row.currency)


def acquirer_config_get(payment_settings: PaymentSettings) -> AcquirerConfig:
    return AcquirerConfig(
        kind=payment_settings.acquirer, mode=payment_settings.mode,
        credentials=credentials_decrypt(payment_settings.credentials_encrypted),
        currency=payment_settings.currency, vat_code=payment_settings.vat_code,
        tenant_schema=connection.schema_name)


def acquirer_get(payment_settings: PaymentSettings, *, kind: str | None = None) -> Acquirer:
    """The adapter for the tenant's acquirer (or for `kind`, to finish payments started
    before the tenant switched acquirers)."""
    kind = kind or payment_settings.acquirer
    if kind == AcquirerKind.SANDBOX and not sandbox_allowed(mode=payment_settings.mode):
        raise PermanentAcquirerError("the sandbox acquirer is refused in live mode")
    config = acquirer_config_get(payment_settings)
    if kind != config.kind:
        config = AcquirerConfig(kind=kind, mode=config.mode, credentials=config.credentials,
                                currency=config.currency, vat_code=config.vat_code,
                                tenant_schema=config.tenant_schema)
    return acquirer_build(config)


def credentials_masked(payment_settings: PaymentSettings) -> dict[str, str]:
    values = credentials_decrypt(payment_settings.credentials_encrypted)
    return {name: mask(value) for name, value in values.items()}


def latest_invoice(account: Account) -> Invoice | None:
    return Invoice.objects.filter(account=account).order_by("-period").first()


def amount_due(account: Account) -> Decimal | None:
    invoice = latest_invoice(account)
    if invoice is None or invoice.amount_due <= 0:
        return None
    return invoice.amount_due


def receipt_items(account: Account, amount: Decimal, *, per_service: bool,
                  one_item_name: str) -> tuple[ReceiptItem, ...]:
    """Items per service when they add up to the amount paid (the resident pays the
    invoice as billed), otherwise one item for the whole amount."""
    invoice = latest_invoice(account)
    if per_service and invoice is not None:
        lines = (ChargeLine.objects.filter(account=account, period=invoice.period)
                 .select_related("service").order_by("service__code"))
        items = tuple(ReceiptItem(line.service.name, line.amount + line.recalculation)
                      for line in lines)
        if items and all(item.amount > 0 for item in items) and \
                sum(item.amount for item in items) == amount:
            return items
    return (ReceiptItem(one_item_name, amount),)


def payments_for_accounts(accounts: QuerySet[Account], *, limit: int = 50) -> list[PortalPayment]:
    return list(PortalPayment.objects.filter(account__in=accounts)
                .select_related("account").order_by("-created_at")[:limit])


def payment_totals(queryset: QuerySet[PortalPayment]) -> list[dict]:
    """Per status: count and sum, for the staff console's totals line."""
    rows = (queryset.order_by().values("status")
            .annotate(count=Count("id"), total=Sum("amount")).order_by("status"))
    labels = dict(PaymentStatus.choices)
    return [{"status": labels.get(row["status"], row["status"]), "count": row["count"],
             "total": row["total"]} for row in rows]


def payment_due_for_refresh(payment: PortalPayment) -> bool:
    """Still open, and the acquirer was not asked in the last REFRESH_EVERY_SECONDS."""
    if payment.status not in WAITING_STATUSES:
        return False
    last = payment.last_checked_at
    return last is None or (timezone.now() - last).total_seconds() >= REFRESH_EVERY_SECONDS


def refundable_amount(payment: PortalPayment) -> Decimal:
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        return Decimal("0.00")
    return payment.amount - payment.refunded_amount


def autopay_mandates_for_accounts(accounts: QuerySet[Account]) -> list[AutopayMandate]:
    """The live (pending or active) autopay of each of these accounts, with its account."""
    return list(AutopayMandate.objects.filter(account__in=accounts,
                                              status__in=LIVE_MANDATE_STATUSES)
                .select_related("account", "setup_payment").order_by("account__number"))
