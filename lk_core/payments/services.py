"""Writes on portal payments: settings, creating a payment at the acquirer, applying what
the acquirer says (idempotently, under a row lock), webhooks, reconciliation, refunds."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lk_core.billing.models import Account
from lk_core.billing.money import money
from lk_core.billing.versions import account_data_changed
from lk_core.payments import confirmation
from lk_core.payments.acquirers import (
    AcquirerError,
    ConnectionInfo,
    CredentialsRejected,
    NotApplicable,
    PaymentRequest,
    StatusReport,
    WebhookRejected,
)
from lk_core.payments.crypto import (
    ENCRYPTED_COLUMNS,
    credentials_decrypt,
    credentials_encrypt,
    credentials_rotate_token,
)
from lk_core.payments.models import (
    TRANSITIONS,
    AcquirerKind,
    AcquirerMode,
    Initiator,
    PaymentMethod,
    PaymentSettings,
    PaymentStatus,
    PaymentTransition,
    PortalPayment,
    WebhookEvent,
    WebhookStatus,
)
from lk_core.payments.selectors import (
    CREDENTIAL_FIELDS,
    acquirer_get,
    amount_due,
    card_payments_ready,
    payment_due_for_refresh,
    payment_settings_get,
    receipt_items,
    refundable_amount,
    sandbox_allowed,
)

logger = logging.getLogger("lk.payments")
CENT = Decimal("0.01")
# Headers worth keeping with a stored webhook (never cookies or auth).
KEPT_HEADERS = ("content-type", "user-agent", "stripe-signature", "x-forwarded-for")


# --- settings ---------------------------------------------------------------------------

def payment_settings_validate(*, acquirer: str, mode: str,
                              credentials: dict[str, str] | None = None,
                              **fields) -> dict[str, str]:
    """Check settings before saving; returns the merged credentials. Credentials: a blank
    value keeps the stored one, so no form ever needs to show a secret back."""
    row = payment_settings_get()
    if acquirer == AcquirerKind.SANDBOX and not sandbox_allowed(mode=mode):
        raise ValidationError({"mode": [_("The sandbox acquirer works in test mode only.")]})
    stored = credentials_decrypt(row.credentials_encrypted)
    wanted = CREDENTIAL_FIELDS.get(acquirer, ())
    merged = {name: (credentials or {}).get(name) or stored.get(name, "") for name in wanted}
    missing = [name for name in wanted if not merged[name]]
    if missing:
        raise ValidationError({"credentials": [
            _("Enter the acquirer credentials: %(names)s.") % {"names": ", ".join(missing)}]})
    low, high = fields.get("min_amount", row.min_amount), fields.get("max_amount", row.max_amount)
    if low is not None and high is not None and (low <= 0 or low > high):
        raise ValidationError({"max_amount": [
            _("The minimum must be positive and not above the maximum.")]})
    return merged


def payment_settings_update(*, acquirer: str, mode: str, credentials: dict[str, str] | None = None,
                            actor=None, **fields) -> PaymentSettings:
    """With an `actor` (the staff console), the change is written to the staff audit log;
    credentials appear there only as "changed", never their values."""
    merged = payment_settings_validate(acquirer=acquirer, mode=mode, credentials=credentials,
                                       **fields)
    with transaction.atomic():
        row = PaymentSettings.objects.select_for_update().get(pk=payment_settings_get().pk)
        if actor is not None:
            _settings_audit(row, actor, acquirer=acquirer, mode=mode, fields=fields,
                            credentials_changed=any((credentials or {}).values()))
        row.acquirer, row.mode = acquirer, mode
        row.credentials_encrypted = credentials_encrypt(merged)
        for name, value in fields.items():
            setattr(row, name, value)
        row.full_clean()
        row.save()
    return row


def payment_acquirer_choose(*, acquirer: str, actor) -> PaymentSettings:
    """Onboarding: the operator picks the acquirer, in test mode, before any credentials
    exist; the utility's administrator enters them later (payment_settings_update). Until
    then residents are not offered card payment (`card_payments_ready`)."""
    if acquirer not in AcquirerKind.values:
        raise ValidationError({"acquirer": [_("Unknown acquirer.")]})
    with transaction.atomic():
        row = PaymentSettings.objects.select_for_update().get(pk=payment_settings_get().pk)
        if actor is not None:
            _settings_audit(row, actor, acquirer=acquirer, mode=AcquirerMode.TEST, fields={},
                            credentials_changed=False)
        row.acquirer, row.mode = acquirer, AcquirerMode.TEST
        row.save(update_fields=["acquirer", "mode", "updated_at"])
    return row


def _settings_audit(row: PaymentSettings, actor, *, acquirer: str, mode: str, fields: dict,
                    credentials_changed: bool) -> None:
    from lk_core.staff.services import staff_audit_record

    wanted = {"acquirer": acquirer, "mode": mode, **fields}
    changes = {name: {"from": str(getattr(row, name)), "to": str(value)}
               for name, value in wanted.items() if getattr(row, name) != value}
    if credentials_changed:
        changes["credentials"] = {"from": "••••", "to": "••••"}
    if changes:
        staff_audit_record(actor=actor, section="payments", action="payment_settings_changed",
                           target=str(row), details=changes)


def encrypted_secrets_rotate() -> int:
    """Re-encrypt every secret this schema stores (`crypto.ENCRYPTED_COLUMNS`: acquirer
    credentials, appeal webhook secrets) under the newest CREDENTIALS_KEY, all or nothing.
    Running it again is harmless: a token under the newest key is re-encrypted under it."""
    count = 0
    with transaction.atomic():
        for label, column in ENCRYPTED_COLUMNS:
            rows = apps.get_model(label).objects.select_for_update().exclude(**{column: ""})
            for row in rows:
                setattr(row, column, credentials_rotate_token(getattr(row, column)))
                row.save(update_fields=[column])
                count += 1
    return count


# --- creating a payment -----------------------------------------------------------------

AMOUNT_PATTERN = re.compile(r"\d{1,12}(?:[.,]\d+)?")


def parse_amount(raw: Decimal | str) -> Decimal:
    """Plain digits with an optional decimal comma or point; no signs, exponents or NaN."""
    text = re.sub(r"\s", "", str(raw))
    if not AMOUNT_PATTERN.fullmatch(text):
        raise ValidationError({"amount": [_("Enter an amount in roubles, e.g. 1234.50.")]})
    amount = Decimal(text.replace(",", "."))
    if amount != amount.quantize(CENT):
        raise ValidationError({"amount": [_("Enter an amount with at most two decimals.")]})
    return amount.quantize(CENT)


def payment_amount_validate(*, row: PaymentSettings, account: Account,
                            amount: Decimal | str | None) -> Decimal:
    due = amount_due(account)
    if amount in (None, ""):
        if due is None:
            raise ValidationError({"amount": [_("Nothing is due; enter the amount to pay.")]})
        amount = due
    amount = parse_amount(amount)
    if due is not None and amount != due and not row.allow_other_amount:
        raise ValidationError({"amount": [
            _("Only the amount due (%(due)s) can be paid.") % {"due": money(due)}]})
    if amount < row.min_amount or amount > row.max_amount:
        raise ValidationError({"amount": [
            _("The amount must be between %(min)s and %(max)s.")
            % {"min": money(row.min_amount),
               "max": money(row.max_amount)}]})
    return amount


def _method_validate(row: PaymentSettings, method: str) -> None:
    if method == PaymentMethod.CARD:
        return
    if method == PaymentMethod.SBP and row.sbp_enabled and row.acquirer == AcquirerKind.YOOKASSA:
        return
    raise ValidationError({"method": [_("This payment method is not available.")]})


def payment_create(*, user, account: Account, site_url: str, amount: Decimal | str | None = None,
                   method: str = PaymentMethod.CARD, email: str = "",
                   save_method: bool = False) -> PortalPayment:
    """Record a portal payment and open it at the tenant's acquirer. The caller has
    checked that `account` is the user's. Raises ValidationError (translated).
    `save_method`: autopay's first payment, which asks the acquirer to keep the method."""
    row = payment_settings_get()
    if not card_payments_ready(row):
        raise ValidationError(_("Card payment is not available; pay by the QR code on your "
                                "receipt in your bank's app."))
    amount = payment_amount_validate(row=row, account=account, amount=amount)
    _method_validate(row, method)
    email = email or getattr(user, "email", "") or account.email
    if row.acquirer == AcquirerKind.YOOKASSA and not email:
        raise ValidationError({"email": [_("Enter an e-mail: the receipt is sent there.")]})
    try:
        acquirer = acquirer_get(row)
    except AcquirerError as exc:
        logger.error("payments: acquirer unavailable: %s", exc)
        raise ValidationError(_("Card payment is not available now.")) from exc
    with transaction.atomic():
        payment = PortalPayment.objects.create(
            account=account, user=user, amount=amount, currency=row.currency, method=method,
            acquirer=row.acquirer, mode=row.mode, email=email)
        record_created(payment, source="create")
    return _open_at_acquirer(payment, acquirer, row=row, site_url=site_url,
                             save_method=save_method)


def record_created(payment: PortalPayment, *, source: str) -> None:
    _record(payment, "", PaymentStatus.CREATED, source=source)


def payment_opened(*, payment_pk: int, acquirer_payment_id: str,
                   acquirer_reference: str = "", confirmation_url: str = "") -> PortalPayment:
    """The acquirer accepted the payment: keep its ids and move `created` to `pending`."""
    with transaction.atomic():
        locked = PortalPayment.objects.select_for_update().get(pk=payment_pk)
        locked.acquirer_payment_id = acquirer_payment_id
        locked.acquirer_reference = locked.acquirer_reference or acquirer_reference
        locked.confirmation_url = confirmation_url
        locked.save(update_fields=["acquirer_payment_id", "acquirer_reference",
                                   "confirmation_url", "updated_at"])
        if locked.status == PaymentStatus.CREATED:
            _set_status(locked, PaymentStatus.PENDING, source="create")
    return locked


def payment_fail(*, payment_pk: int, source: str, note: str) -> None:
    """The acquirer refused the payment for good (where the state machine allows)."""
    _move(payment_pk, PaymentStatus.FAILED, source=source, note=note[:300])


def _open_at_acquirer(payment: PortalPayment, acquirer, *, row: PaymentSettings,
                      site_url: str, save_method: bool = False) -> PortalPayment:
    return_path = reverse("payments:return", args=[payment.public_id])
    request = PaymentRequest(
        payment_id=str(payment.public_id), amount=payment.amount, currency=payment.currency,
        description=_("Utility services, account %(number)s") % {"number": payment.account.number},
        account_number=payment.account.number, email=payment.email,
        return_url=site_url + return_path, site_url=site_url, method=payment.method,
        receipt_items=receipt_items(payment.account, payment.amount,
                                    per_service=row.receipt_per_service,
                                    one_item_name=_("Utility services")),
        save_method=save_method)
    try:
        created = acquirer.create_payment(request)
    except AcquirerError as exc:
        logger.warning("payments: %s refused payment %s: %s", payment.acquirer,
                       payment.public_id, exc)
        _move(payment.pk, PaymentStatus.FAILED, source="create", note=str(exc)[:300])
        raise ValidationError(_("The payment service did not accept the payment. "
                                "Please try again later.")) from exc
    return payment_opened(payment_pk=payment.pk,
                          acquirer_payment_id=created.acquirer_payment_id,
                          confirmation_url=created.confirmation_url)


# --- the state machine ------------------------------------------------------------------

def _record(payment: PortalPayment, from_status: str, to_status: str, *, source: str,
            note: str = "", webhook_event: WebhookEvent | None = None) -> None:
    PaymentTransition.objects.create(payment=payment, from_status=from_status,
                                     to_status=to_status, source=source, note=note,
                                     webhook_event=webhook_event)


def _set_status(payment: PortalPayment, status: str, *, source: str, note: str = "",
                webhook_event: WebhookEvent | None = None) -> None:
    """Change a locked payment's status and record the transition."""
    previous = payment.status
    payment.status = status
    fields = ["status", "updated_at"]
    if status == PaymentStatus.SUCCEEDED and payment.paid_at is None:
        payment.paid_at = timezone.now()
        fields.append("paid_at")
    if status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and note:
        payment.failure_reason = note[:300]
        fields.append("failure_reason")
    payment.save(update_fields=fields)
    _record(payment, previous, status, source=source, note=note, webhook_event=webhook_event)
    account_data_changed(account_id=payment.account_id)
    if status == PaymentStatus.SUCCEEDED:
        confirmation.payment_confirmation_enqueue(payment, tz=_tenant_tz())
    from lk_core.payments import autopay  # autopay calls this module

    autopay.on_payment_status(payment, status)


def _move(payment_pk: int, status: str, *, source: str, note: str = "") -> None:
    with transaction.atomic():
        payment = PortalPayment.objects.select_for_update().get(pk=payment_pk)
        if status in TRANSITIONS.get(payment.status, set()):
            _set_status(payment, status, source=source, note=note)


class Outcome:
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class ApplyResult:
    outcome: str
    reason: str = ""

    @property
    def applied(self) -> bool:
        return self.outcome == Outcome.APPLIED


def _tenant_tz():
    from tenants.models import Utility

    tenant = connection.tenant
    if isinstance(tenant, Utility):
        return tenant.tzinfo
    return Utility.objects.get(schema_name=connection.schema_name).tzinfo


def _mismatch(payment: PortalPayment, report: StatusReport) -> str:
    """Why a report cannot be about this payment, or ''."""
    checks = (
        (report.tenant_schema, connection.schema_name, "tenant"),
        (report.portal_payment_id, str(payment.public_id), "payment id"),
        (report.acquirer_payment_id, payment.acquirer_payment_id, "acquirer payment id"),
        (report.acquirer_reference and payment.acquirer_reference and report.acquirer_reference,
         payment.acquirer_reference, "acquirer reference"),
        (report.currency.upper(), payment.currency.upper(), "currency"),
    )
    for reported, ours, what in checks:
        if reported and reported != ours:
            return f"{what} mismatch: reported {reported!r}, ours {ours!r}"
    if report.amount is not None and report.amount != payment.amount:
        return f"amount mismatch: reported {report.amount}, ours {payment.amount}"
    return ""


def _refund_status(payment: PortalPayment, report: StatusReport) -> str:
    if report.refunded_amount and report.refunded_amount > 0 and \
            report.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED,
                              PaymentStatus.PARTIALLY_REFUNDED):
        return (PaymentStatus.REFUNDED if report.refunded_amount >= payment.amount
                else PaymentStatus.PARTIALLY_REFUNDED)
    return report.status


def payment_apply_status(*, payment_pk: int, report: StatusReport, source: str,
                         webhook_event: WebhookEvent | None = None) -> ApplyResult:
    """Apply what the acquirer says, once. Duplicates, out-of-order reports and reports
    that do not match the payment (amount, currency, ids, tenant) change nothing and are
    logged."""
    with transaction.atomic():
        payment = PortalPayment.objects.select_for_update().get(pk=payment_pk)
        result = _apply_locked(payment, report, source=source, webhook_event=webhook_event)
    log = logger.info if result.applied else logger.warning
    log("payments: %s %s from %s: %s %s", payment.public_id, report.status, source,
        result.outcome, result.reason)
    return result


def _apply_locked(payment: PortalPayment, report: StatusReport, *, source: str,
                  webhook_event: WebhookEvent | None) -> ApplyResult:
    reason = _mismatch(payment, report)
    if reason:
        return ApplyResult(Outcome.MISMATCH, reason)
    status = _refund_status(payment, report)
    refunded = report.refunded_amount or Decimal("0.00")
    grows = status == PaymentStatus.PARTIALLY_REFUNDED and refunded > payment.refunded_amount
    if status == payment.status and not grows:
        return ApplyResult(Outcome.DUPLICATE, f"already {payment.status}")
    if status not in TRANSITIONS.get(payment.status, set()) or (
            status == PaymentStatus.PARTIALLY_REFUNDED and not grows):
        return ApplyResult(Outcome.OUT_OF_ORDER, f"{payment.status} -> {status} not allowed")
    if report.acquirer_reference and not payment.acquirer_reference:
        payment.acquirer_reference = report.acquirer_reference
        payment.save(update_fields=["acquirer_reference"])
    if status in (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED):
        payment.refunded_amount = refunded
        payment.save(update_fields=["refunded_amount"])
    _set_status(payment, status, source=source, note=report.reason,
                webhook_event=webhook_event)
    return ApplyResult(Outcome.APPLIED)


# --- webhooks ---------------------------------------------------------------------------

def webhook_receive(*, acquirer: str, body: bytes, headers: dict[str, str]) -> WebhookEvent:
    """Store the notification as it arrived, then process it after commit (fast answer
    to the acquirer; the processing is safe to run twice)."""
    kept = {name: value for name, value in ((k.lower(), v) for k, v in headers.items())
            if name in KEPT_HEADERS}
    event = WebhookEvent.objects.create(acquirer=acquirer, headers=kept,
                                        body=body.decode("utf-8", errors="replace"))
    _process_later(event.pk)
    return event


def _process_later(event_pk: int) -> None:
    from lk_core.payments.tasks import process_webhook  # tasks import this module

    process_webhook.enqueue(event_pk)  # the task layer sends it after commit


def _process_logged(event_pk: int) -> None:
    # A crash leaves the event `received`: the next retry run picks it up again.
    try:
        webhook_process(event_pk=event_pk)
    except Exception:
        logger.exception("payments: processing webhook %s failed", event_pk)


def webhooks_retry(*, older_than_seconds: int = 60) -> int:
    """Process events left `received` or `failed` (a crashed worker, an unreachable
    acquirer). Returns how many were tried."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    stuck = list(WebhookEvent.objects.filter(
        status__in=(WebhookStatus.RECEIVED, WebhookStatus.FAILED), received_at__lt=cutoff)
        .order_by("pk").values_list("pk", flat=True)[:500])
    for event_pk in stuck:
        _process_logged(event_pk)
    return len(stuck)


def _finish(event: WebhookEvent, status: str, error: str = "",
            payment: PortalPayment | None = None) -> WebhookEvent:
    event.status, event.error, event.processed_at = status, error[:2000], timezone.now()
    event.payment = payment or event.payment
    event.save(update_fields=["status", "error", "processed_at", "payment", "event_id",
                              "event_type"])
    if status in (WebhookStatus.REJECTED, WebhookStatus.FAILED):
        logger.warning("payments: webhook %s (%s) %s: %s", event.pk, event.acquirer, status,
                       error)
    return event


def webhook_process(*, event_pk: int) -> WebhookEvent:
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.status not in (WebhookStatus.RECEIVED, WebhookStatus.FAILED):
            return event  # already handled: running twice is harmless
        return _process_locked(event)


def _process_locked(event: WebhookEvent) -> WebhookEvent:
    row = payment_settings_get()
    try:
        acquirer = acquirer_get(row, kind=event.acquirer)
        notice = acquirer.parse_webhook(event.body.encode("utf-8"), event.headers)
    except WebhookRejected as exc:
        return _finish(event, WebhookStatus.REJECTED, str(exc))
    except AcquirerError as exc:
        status = WebhookStatus.FAILED if exc.retryable else WebhookStatus.REJECTED
        return _finish(event, status, str(exc))
    event.event_id, event.event_type = notice.event_id[:100], notice.event_type[:100]
    if notice.event_id and WebhookEvent.objects.filter(
            acquirer=event.acquirer, event_id=notice.event_id,
            status__in=(WebhookStatus.PROCESSED, WebhookStatus.IGNORED)).exclude(
            pk=event.pk).exists():
        return _finish(event, WebhookStatus.IGNORED, "replayed event id")
    if notice.report is None:
        return _finish(event, WebhookStatus.IGNORED, f"event type {notice.event_type} not used")
    payment = payment_find(acquirer=event.acquirer, report=notice.report)
    if payment is None:
        return _finish(event, WebhookStatus.REJECTED, "no such payment in this tenant")
    result = payment_apply_status(payment_pk=payment.pk, report=notice.report,
                                  source="webhook", webhook_event=event)
    if result.applied:
        return _finish(event, WebhookStatus.PROCESSED, payment=payment)
    status = (WebhookStatus.REJECTED if result.outcome == Outcome.MISMATCH
              else WebhookStatus.IGNORED)
    return _finish(event, status, f"{result.outcome}: {result.reason}", payment=payment)


def payment_find(*, acquirer: str, report: StatusReport) -> PortalPayment | None:
    payments = PortalPayment.objects.filter(acquirer=acquirer)
    if report.acquirer_payment_id:
        return payments.filter(acquirer_payment_id=report.acquirer_payment_id).first()
    if report.portal_payment_id:
        try:
            return payments.filter(public_id=report.portal_payment_id).first()
        except ValidationError:
            return None
    if report.acquirer_reference:
        return payments.filter(acquirer_reference=report.acquirer_reference).first()
    return None


# --- asking the acquirer ------------------------------------------------------------------

def payment_refresh(*, payment: PortalPayment, source: str) -> ApplyResult | None:
    """Ask the acquirer for the payment's real status and apply it. None when the
    acquirer could not be asked (logged; the next attempt will try again)."""
    if not payment.acquirer_payment_id:
        return None
    PortalPayment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
    try:
        acquirer = acquirer_get(payment_settings_get(), kind=payment.acquirer)
        report = acquirer.fetch_status(payment.acquirer_payment_id)
    except AcquirerError as exc:
        logger.warning("payments: could not ask %s about %s: %s", payment.acquirer,
                       payment.public_id, exc)
        return None
    return payment_apply_status(payment_pk=payment.pk, report=report, source=source)


def payments_reconcile(*, older_than_minutes: int = 15, now: dt.datetime | None = None) -> dict:
    """In the current tenant: ask the acquirer about payments still waiting after
    `older_than_minutes` and fix their state. The scheduler calls this per tenant."""
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=older_than_minutes)
    counts = {"checked": 0, "changed": 0, "abandoned": 0,
              "webhooks_retried": webhooks_retry()}
    # An autopay charge that has not reached the acquirer is autopay's to retry, with the
    # same idempotency key (autopay.py): left out here, not counted in the batch of 500.
    stale = PortalPayment.objects.filter(created_at__lt=cutoff, status__in=(
        PaymentStatus.CREATED, PaymentStatus.PENDING)).exclude(
        initiated_by=Initiator.AUTOPAY, acquirer_payment_id="")
    for payment in stale.order_by("created_at")[:500]:
        if not payment.acquirer_payment_id:
            # Never reached the acquirer (the process died in between): nothing to pay.
            _move(payment.pk, PaymentStatus.FAILED, source="reconcile",
                  note="never reached the acquirer")
            counts["abandoned"] += 1
            continue
        counts["checked"] += 1
        result = payment_refresh(payment=payment, source="reconcile")
        counts["changed"] += bool(result and result.applied)
    return counts


def payment_refresh_if_stale(*, payment: PortalPayment, source: str) -> PortalPayment:
    """What the return page and the API do while a payment is open: ask the acquirer (at
    most every REFRESH_EVERY_SECONDS) and answer with the payment as it now is."""
    if payment_due_for_refresh(payment):
        payment_refresh(payment=payment, source=source)
        payment.refresh_from_db()
    return payment


def payment_refund(*, payment: PortalPayment, amount: Decimal | str | None = None,
                   actor=None) -> Decimal:
    """Ask the acquirer to refund `amount` (default: all that is left); the status
    changes when the acquirer confirms it (its notification or the refresh below), not
    here. With an `actor` (the staff console) the refund is written to the audit log.
    Returns the amount asked for."""
    refundable = refundable_amount(payment)
    try:
        amount = refundable if amount in (None, "") else parse_amount(amount)
    except ValidationError:
        raise ValidationError({"amount": [_("Enter an amount in roubles, e.g. 1234.50.")]}
                              ) from None
    if refundable <= 0:
        raise ValidationError(_("This payment cannot be refunded."))
    if amount <= 0 or amount > refundable:
        raise ValidationError({"amount": [
            _("Enter an amount from 0,01 to %(max)s.") % {"max": money(refundable)}]})
    acquirer = acquirer_get(payment_settings_get(), kind=payment.acquirer)
    try:
        acquirer.refund(acquirer_payment_id=payment.acquirer_payment_id,
                        acquirer_reference=payment.acquirer_reference, amount=amount,
                        payment_id=str(payment.public_id))
    except AcquirerError as exc:
        _refund_audit(actor, payment, amount, error=str(exc))
        raise ValidationError(_("The acquirer refused the refund: %(error)s")
                              % {"error": exc}) from exc
    _refund_audit(actor, payment, amount)
    payment_refresh(payment=payment, source="refund")
    return amount


def _refund_audit(actor, payment: PortalPayment, amount: Decimal, *, error: str = "") -> None:
    if actor is None:
        return
    from lk_core.staff.services import staff_audit_record

    details = {"amount": f"{amount:.2f}", "acquirer": payment.acquirer,
               "account": payment.account.number}
    if error:
        details["error"] = error[:300]
    staff_audit_record(actor=actor, section="refunds",
                       action="payment_refund_failed" if error else "payment_refunded",
                       target=str(payment.public_id), details=details)


# --- checking the tenant's credentials ----------------------------------------------------

@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str  # translated, for staff


def _connection_ok(row: PaymentSettings, info: ConnectionInfo) -> ConnectionResult:
    if info.live is not None and info.live != (row.mode == "live"):
        return ConnectionResult(False, _("The credentials work, but they are for the other "
                                         "mode: switch the mode or enter the right keys."))
    return ConnectionResult(True, _("Connected to %(acquirer)s (%(account)s).")
                            % {"acquirer": row.get_acquirer_display(), "account": info.account})


def acquirer_connection_test(*, actor) -> ConnectionResult:
    """One cheap authenticated call with the stored credentials; the outcome, never a
    credential, goes to the audit log."""
    row = payment_settings_get()
    try:
        info: ConnectionInfo = acquirer_get(row).check_connection()
    except NotApplicable:
        result = ConnectionResult(False, _("No acquirer is chosen: there is nothing to test."))
    except CredentialsRejected:
        result = ConnectionResult(False, _("The acquirer refused the credentials. Check the "
                                           "keys and the mode (test or live)."))
    except AcquirerError as exc:
        result = ConnectionResult(False, _("The acquirer could not be reached; try again "
                                           "later.") if exc.retryable else
                                  _("The acquirer refused the request: %(error)s")
                                  % {"error": exc})
    else:
        result = _connection_ok(row, info)
    from lk_core.staff.services import staff_audit_record

    staff_audit_record(actor=actor, section="payments", action="acquirer_connection_tested",
                       target=row.acquirer, details={"ok": result.ok, "mode": row.mode,
                                                     "message": result.message})
    return result
