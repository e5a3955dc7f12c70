"""Autopay: the resident's consent (a mandate), the first payment that saves the payment
method at the acquirer (only its token is kept), and the daily job that charges the
amount due of each new invoice once, on the resident's day, never above the cap, with a
notice before and after; a failed charge falls back to the debt reminder.

Idempotency: one `AutopayCharge` per invoice (a unique column), claimed under a row lock
(`skip_locked`), and the acquirer call keyed by the portal payment id; the resulting
`PortalPayment` goes through the same state machine, confirmation and export as any."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lk_core.billing.models import Account, Invoice
from lk_core.billing.money import money
from lk_core.notifications.models import Kind
from lk_core.notifications.selectors import current_utility
from lk_core.notifications.services import notification_enqueue
from lk_core.notifications.texts import AUTOPAY_DECLINED, AUTOPAY_OVER_CAP
from lk_core.payments import services
from lk_core.payments.acquirers import (
    AcquirerError,
    SavedChargeRequest,
    SavedMethod,
)
from lk_core.payments.models import (
    AcquirerKind,
    AutopayCharge,
    AutopayMandate,
    ChargeStatus,
    Initiator,
    MandateStatus,
    PaymentMethod,
    PaymentStatus,
    PortalPayment,
)
from lk_core.payments.selectors import (
    acquirer_get,
    amount_due,
    card_payments_ready,
    latest_invoice,
    payment_settings_get,
    receipt_items,
)
from tenants.urls import utility_url

logger = logging.getLogger("lk.payments.autopay")
NOTICE_DAYS_AHEAD = 3  # the "before" notice goes out this many days before the charge
MAX_CHARGE_ATTEMPTS = 3  # acquirer unreachable: tried again on later runs, then failed
RETRY_CHARGING_AFTER = dt.timedelta(minutes=10)
AUTOPAY_ACQUIRERS = (AcquirerKind.SANDBOX, AcquirerKind.STRIPE, AcquirerKind.YOOKASSA)


# --- the resident's side --------------------------------------------------------------------

def autopay_available() -> bool:
    row = payment_settings_get()
    return (row.autopay_enabled and row.acquirer in AUTOPAY_ACQUIRERS
            and card_payments_ready(row))


def _terms_validate(*, day, cap) -> tuple[int, Decimal]:
    row = payment_settings_get()
    try:
        day = int(day)
    except (TypeError, ValueError):
        day = 0
    if not 1 <= day <= 28:
        raise ValidationError({"day": [_("Choose a day from 1 to 28.")]})
    try:
        cap = services.parse_amount(cap)
    except ValidationError:
        raise ValidationError({"cap": [_("Enter the limit in roubles, e.g. 5000.")]}) from None
    if cap < row.min_amount or cap > row.max_amount:
        raise ValidationError({"cap": [
            _("The limit must be between %(min)s and %(max)s.")
            % {"min": money(row.min_amount),
               "max": money(row.max_amount)}]})
    return day, cap


def autopay_start(*, user, account: Account, day, cap, site_url: str,
                  email: str = "") -> AutopayMandate:
    """The resident agrees: a pending mandate and its first payment of the amount due,
    asking the acquirer to save the method. The caller checked that `account` is the
    user's, and sends the resident to `mandate.setup_payment.confirmation_url`."""
    if not autopay_available():
        raise ValidationError(_("Autopay is not available."))
    day, cap = _terms_validate(day=day, cap=cap)
    due = amount_due(account)
    if due is None:
        raise ValidationError(_("Autopay starts with a payment of the amount due, and "
                                "nothing is due now. Turn it on when the next invoice "
                                "arrives."))
    if due > cap:
        raise ValidationError({"cap": [_("The limit is below the amount due now (%(due)s).")
                                       % {"due": money(due)}]})
    mandate = _mandate_create(user=user, account=account, day=day, cap=cap, email=email)
    try:
        payment = services.payment_create(user=user, account=account, site_url=site_url,
                                          method=PaymentMethod.CARD, email=email,
                                          save_method=True)
    except ValidationError:
        _cancel_locked_by_pk(mandate.pk, reason="the first payment was not accepted")
        raise
    AutopayMandate.objects.filter(pk=mandate.pk).update(setup_payment=payment,
                                                        email=payment.email)
    mandate.refresh_from_db()
    return mandate


def _mandate_create(*, user, account: Account, day: int, cap: Decimal,
                    email: str) -> AutopayMandate:
    row = payment_settings_get()
    with transaction.atomic():
        live = (AutopayMandate.objects.select_for_update()
                .filter(account=account, status__in=(MandateStatus.PENDING,
                                                     MandateStatus.ACTIVE)).first())
        if live is not None and live.status == MandateStatus.ACTIVE:
            raise ValidationError(_("Autopay is already on for this account: change or "
                                    "cancel it."))
        if live is not None:  # a first payment that was abandoned: start over
            _cancel_locked(live, reason="started again")
        try:
            with transaction.atomic():
                return AutopayMandate.objects.create(
                    account=account, user=user, day=day, cap=cap, acquirer=row.acquirer,
                    mode=row.mode, email=email or getattr(user, "email", "") or account.email)
        except IntegrityError:  # a concurrent request made one meanwhile
            raise ValidationError(_("Autopay is already on for this account: change or "
                                    "cancel it.")) from None


def autopay_update(*, mandate: AutopayMandate, day, cap, now: dt.datetime | None = None
                   ) -> AutopayMandate:
    """A new day or cap. Charges still scheduled move to the new day (with a new notice)."""
    day, cap = _terms_validate(day=day, cap=cap)
    today = _today(now)
    with transaction.atomic():
        locked = AutopayMandate.objects.select_for_update().get(pk=mandate.pk)
        if locked.status == MandateStatus.CANCELED:
            raise ValidationError(_("Autopay is canceled; turn it on again."))
        day_changed = locked.day != day
        locked.day, locked.cap = day, cap
        locked.save(update_fields=["day", "cap"])
        if day_changed:
            locked.charges.filter(status=ChargeStatus.SCHEDULED).update(
                scheduled_for=next_charge_date(day, today + dt.timedelta(days=1)),
                notice_sent_on=None)
    return locked


def autopay_cancel(*, mandate: AutopayMandate, reason: str = "canceled by the resident"
                   ) -> AutopayMandate:
    """Cancel at any time: nothing more is charged, and the saved method is forgotten here
    and detached at the acquirer where it has such a call."""
    with transaction.atomic():
        locked = AutopayMandate.objects.select_for_update().get(pk=mandate.pk)
        saved = _cancel_locked(locked, reason=reason)
    if saved is not None:
        _forget_at_acquirer(locked.acquirer, saved)
    return locked


def _cancel_locked_by_pk(mandate_pk: int, *, reason: str) -> None:
    with transaction.atomic():
        _cancel_locked(AutopayMandate.objects.select_for_update().get(pk=mandate_pk),
                       reason=reason)


def _cancel_locked(mandate: AutopayMandate, *, reason: str) -> SavedMethod | None:
    if mandate.status == MandateStatus.CANCELED:
        return None
    saved = (SavedMethod(token=mandate.method_token, customer=mandate.customer_token)
             if mandate.method_token else None)
    mandate.status, mandate.canceled_at = MandateStatus.CANCELED, timezone.now()
    mandate.cancel_reason = reason[:300]
    mandate.method_token = mandate.customer_token = ""
    mandate.save(update_fields=["status", "canceled_at", "cancel_reason", "method_token",
                                "customer_token"])
    mandate.charges.filter(status=ChargeStatus.SCHEDULED).update(status=ChargeStatus.CANCELED)
    return saved


def _forget_at_acquirer(kind: str, saved: SavedMethod) -> None:
    # Our copy of the token is already gone, so nothing can be charged whatever happens here.
    try:
        acquirer_get(payment_settings_get(), kind=kind).forget_saved(saved)
    except AcquirerError as exc:
        logger.warning("autopay: could not detach a saved method at %s: %s", kind, exc)


# --- the first payment decides ----------------------------------------------------------------

def on_payment_status(payment: PortalPayment, status: str) -> None:
    """Called by the state machine, inside its transaction, for every status change."""
    setup = AutopayMandate.objects.filter(setup_payment=payment).first()
    if setup is not None and setup.status == MandateStatus.PENDING:
        if status == PaymentStatus.SUCCEEDED:
            from lk_core.payments.tasks import activate_autopay

            activate_autopay.enqueue(setup.pk)  # sent after commit
        elif status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
            _cancel_locked(setup, reason="the first payment did not go through")
    if payment.initiated_by == Initiator.AUTOPAY:
        _charge_outcome(payment, status)


def autopay_activate(*, mandate_pk: int) -> AutopayMandate:
    """Ask the acquirer which method the first payment saved and turn autopay on; the
    invoice that payment paid is not charged again. Safe to run twice."""
    mandate = AutopayMandate.objects.select_related("setup_payment").get(pk=mandate_pk)
    payment = mandate.setup_payment
    if payment is None or payment.status != PaymentStatus.SUCCEEDED or \
            mandate.method_token or mandate.status == MandateStatus.ACTIVE:
        return mandate
    try:
        saved = acquirer_get(payment_settings_get(), kind=mandate.acquirer).saved_method(
            payment.acquirer_payment_id)
    except AcquirerError as exc:
        logger.warning("autopay: could not ask %s for the saved method: %s",
                       mandate.acquirer, exc)
        return mandate  # the job tries again
    with transaction.atomic():
        locked = AutopayMandate.objects.select_for_update().get(pk=mandate_pk)
        if locked.status == MandateStatus.PENDING:
            _activate_locked(locked, saved)
            return locked
    if saved is not None and locked.status == MandateStatus.CANCELED:
        _forget_at_acquirer(locked.acquirer, saved)  # canceled while the bank decided
    return locked


def _activate_locked(mandate: AutopayMandate, saved: SavedMethod | None) -> None:
    if saved is None:
        _cancel_locked(mandate, reason="the acquirer did not save the payment method")
        return
    mandate.method_token, mandate.customer_token = saved.token, saved.customer
    mandate.method_title = saved.title[:100]
    mandate.status, mandate.activated_at = MandateStatus.ACTIVE, timezone.now()
    mandate.save(update_fields=["method_token", "customer_token", "method_title", "status",
                                "activated_at"])
    invoice = latest_invoice(mandate.account)
    if invoice is not None:
        AutopayCharge.objects.get_or_create(invoice=invoice, defaults={
            "mandate": mandate, "scheduled_for": _today(None), "status": ChargeStatus.SETUP,
            "amount": mandate.setup_payment.amount, "note": "paid by the first payment"})


# --- the daily job ----------------------------------------------------------------------------

def next_charge_date(day: int, earliest: dt.date) -> dt.date:
    """The first date on or after `earliest` that falls on `day` (1-28) of its month."""
    candidate = earliest.replace(day=day)
    if candidate >= earliest:
        return candidate
    month = earliest.replace(day=1) + dt.timedelta(days=32)
    return month.replace(day=day)


def _today(now: dt.datetime | None) -> dt.date:
    return timezone.localtime(now or timezone.now(), current_utility().tzinfo).date()


def autopay_run(*, now: dt.datetime | None = None) -> dict:
    """In the current tenant: turn on mandates whose first payment succeeded, schedule each
    new invoice once, send the notices that are due and charge what is due today. The
    scheduler runs it every hour; any number of runs charge an invoice at most once."""
    counts = {"activated": 0, "scheduled": 0, "noticed": 0, "charged": 0}
    if not payment_settings_get().autopay_enabled:
        return counts
    today = _today(now)
    for mandate_pk in AutopayMandate.objects.filter(
            status=MandateStatus.PENDING, setup_payment__status=PaymentStatus.SUCCEEDED
    ).values_list("pk", flat=True):
        counts["activated"] += autopay_activate(mandate_pk=mandate_pk).status == \
            MandateStatus.ACTIVE
    counts["scheduled"] = _schedule_new_invoices(today)
    counts["noticed"] = _send_notices(today)
    for charge_pk in _due_charges(today):
        counts["charged"] += _charge(charge_pk)
    return counts


def _schedule_new_invoices(today: dt.date) -> int:
    """One AutopayCharge for each active mandate whose account's latest invoice has none:
    one query and one insert, however many mandates. An invoice seen today is charged on
    the resident's day from tomorrow on, so there is a day for the "before" notice."""
    latest = Invoice.objects.filter(account=OuterRef("account")).order_by("-period")
    new = (AutopayMandate.objects.filter(status=MandateStatus.ACTIVE)
           .annotate(invoice_pk=Subquery(latest.values("pk")[:1]))
           .filter(invoice_pk__isnull=False)
           .filter(~Exists(AutopayCharge.objects.filter(invoice=OuterRef("invoice_pk"))))
           .values_list("pk", "day", "invoice_pk"))
    rows = [AutopayCharge(mandate_id=mandate_pk, invoice_id=invoice_pk,
                          scheduled_for=next_charge_date(day, today + dt.timedelta(days=1)))
            for mandate_pk, day, invoice_pk in new]
    # A concurrent run inserting the same invoice meanwhile: the unique invoice wins.
    AutopayCharge.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _send_notices(today: dt.date) -> int:
    due = AutopayCharge.objects.filter(
        status=ChargeStatus.SCHEDULED, notice_sent_on__isnull=True,
        scheduled_for__lte=today + dt.timedelta(days=NOTICE_DAYS_AHEAD),
        mandate__status=MandateStatus.ACTIVE)
    sent = 0
    for charge_pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            charge = (AutopayCharge.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("mandate__account", "invoice")
                      .filter(pk=charge_pk, notice_sent_on__isnull=True).first())
            if charge is None:
                continue
            if charge.scheduled_for <= today:  # the job was down: still warn a day ahead
                charge.scheduled_for = today + dt.timedelta(days=1)
            charge.notice_sent_on = today
            charge.save(update_fields=["scheduled_for", "notice_sent_on", "updated_at"])
            _notice_upcoming(charge, amount=amount_to_charge(charge))
            sent += 1
    return sent


def _due_charges(today: dt.date) -> list[int]:
    scheduled = AutopayCharge.objects.filter(
        status=ChargeStatus.SCHEDULED, scheduled_for__lte=today, notice_sent_on__lt=today)
    # A charge whose acquirer call was lost (no answer): asked again with the same key.
    stuck = AutopayCharge.objects.filter(
        status=ChargeStatus.CHARGING, payment__status=PaymentStatus.CREATED,
        payment__acquirer_payment_id="",
        updated_at__lt=timezone.now() - RETRY_CHARGING_AFTER)
    return sorted(set(scheduled.values_list("pk", flat=True)) |
                  set(stuck.values_list("pk", flat=True)))


def amount_to_charge(charge: AutopayCharge) -> Decimal:
    """The invoice's amount due less what the resident paid in the portal since the
    invoice was first seen (the billing system has not posted those payments yet)."""
    charge.invoice.refresh_from_db(fields=["amount_due"])
    paid = PortalPayment.objects.filter(
        account_id=charge.invoice.account_id, paid_at__gte=charge.created_at,
        status__in=(PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED),
    ).exclude(pk=charge.payment_id or 0).aggregate(
        total=Sum(F("amount") - F("refunded_amount")))["total"] or Decimal("0.00")
    return max(charge.invoice.amount_due - paid, Decimal("0.00"))


def _charge(charge_pk: int) -> bool:
    """Claim the charge under row locks (the mandate first, as cancel takes them) and
    record the payment; then ask the acquirer, outside the transaction."""
    mandate_pk = AutopayCharge.objects.filter(pk=charge_pk).values_list(
        "mandate_id", flat=True).first()
    with transaction.atomic():
        mandate = (AutopayMandate.objects.select_for_update(of=("self",))
                   .select_related("account").get(pk=mandate_pk))
        charge = (AutopayCharge.objects.select_for_update(skip_locked=True, of=("self",))
                  .select_related("invoice", "payment").filter(pk=charge_pk).first())
        if charge is None:
            return False  # another run has it
        if charge.status == ChargeStatus.SCHEDULED:
            if not _claim(charge, mandate):
                return False
        elif not _lost_call(charge):
            return False  # decided, or another run is asking the acquirer right now
        charge.attempts += 1
        charge.save(update_fields=["attempts", "updated_at"])
    return _charge_at_acquirer(charge, mandate)


def _lost_call(charge: AutopayCharge) -> bool:
    payment = charge.payment
    return (charge.status == ChargeStatus.CHARGING and payment is not None
            and payment.status == PaymentStatus.CREATED and not payment.acquirer_payment_id
            and charge.updated_at < timezone.now() - RETRY_CHARGING_AFTER)


def _claim(charge: AutopayCharge, mandate: AutopayMandate) -> bool:
    """Decide whether to charge at all; if so, record the payment and mark it charging."""
    row = payment_settings_get()
    if mandate.status != MandateStatus.ACTIVE:
        return _close(charge, ChargeStatus.CANCELED, "autopay is not active")
    amount = amount_to_charge(charge)
    charge.amount = amount
    if amount <= 0 or amount < row.min_amount:
        return _close(charge, ChargeStatus.NOTHING_DUE, f"amount due {amount}")
    if amount > mandate.cap:
        _close(charge, ChargeStatus.OVER_CAP, f"{amount} is above the limit {mandate.cap}")
        _notice_failed(charge, mandate, amount, reason=AUTOPAY_OVER_CAP)
        return False
    payment = PortalPayment.objects.create(
        account=mandate.account, user=mandate.user, amount=amount, currency=row.currency,
        method=PaymentMethod.CARD, acquirer=mandate.acquirer, mode=mandate.mode,
        email=mandate.email, initiated_by=Initiator.AUTOPAY)
    services.record_created(payment, source="autopay")
    charge.payment, charge.status = payment, ChargeStatus.CHARGING
    charge.save(update_fields=["payment", "status", "amount", "updated_at"])
    return True


def _close(charge: AutopayCharge, status: str, note: str) -> bool:
    charge.status, charge.note = status, note[:300]
    charge.save(update_fields=["status", "note", "amount", "updated_at"])
    return False


def _charge_at_acquirer(charge: AutopayCharge, mandate: AutopayMandate) -> bool:
    payment = charge.payment
    row = payment_settings_get()
    request = SavedChargeRequest(
        payment_id=str(payment.public_id), amount=payment.amount, currency=payment.currency,
        description=_("Autopay, account %(number)s") % {"number": mandate.account.number},
        account_number=mandate.account.number, email=payment.email,
        method=SavedMethod(token=mandate.method_token, customer=mandate.customer_token),
        receipt_items=receipt_items(mandate.account, payment.amount,
                                    per_service=row.receipt_per_service,
                                    one_item_name=_("Utility services")))
    try:
        created, report = acquirer_get(row, kind=mandate.acquirer).charge_saved(request)
    except AcquirerError as exc:
        if exc.retryable and charge.attempts < MAX_CHARGE_ATTEMPTS:
            logger.warning("autopay: %s unreachable for %s, will retry: %s",
                           mandate.acquirer, payment.public_id, exc)
            return False
        logger.warning("autopay: %s refused %s: %s", mandate.acquirer, payment.public_id, exc)
        services.payment_fail(payment_pk=payment.pk, source="autopay", note=str(exc))
        return False
    services.payment_opened(payment_pk=payment.pk, acquirer_payment_id=created.acquirer_payment_id,
                            acquirer_reference=report.acquirer_reference)
    result = services.payment_apply_status(payment_pk=payment.pk, report=report,
                                           source="autopay")
    return result.applied and report.status == PaymentStatus.SUCCEEDED


def _charge_outcome(payment: PortalPayment, status: str) -> None:
    """An autopay payment was decided (at once or later, by webhook or reconciliation)."""
    charge = (AutopayCharge.objects.select_for_update(of=("self",))
              .select_related("mandate__account")
              .filter(payment=payment).first())
    if charge is None or charge.status != ChargeStatus.CHARGING:
        return
    if status == PaymentStatus.SUCCEEDED:
        _close(charge, ChargeStatus.SUCCEEDED, "")
    elif status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        _close(charge, ChargeStatus.FAILED, payment.failure_reason or status)
        _notice_failed(charge, charge.mandate, payment.amount, reason=AUTOPAY_DECLINED)


# --- notices ----------------------------------------------------------------------------------

def _money(amount: Decimal) -> str:
    """As a notification's context keeps amounts: plain, shown in the reader's language
    when rendered (lk_core.notifications.texts)."""
    return f"{amount:.2f}"


def _pay_url() -> str:
    return utility_url(current_utility(), "/payments/")


def _notice_upcoming(charge: AutopayCharge, *, amount: Decimal) -> None:
    mandate = charge.mandate
    context = {"account_number": mandate.account.number, "amount": _money(amount),
               "cap": _money(mandate.cap), "charge_on": charge.scheduled_for.isoformat(),
               "method": mandate.method_title,
               "settings_url": utility_url(current_utility(), "/payments/autopay/")}
    notification_enqueue(kind=Kind.AUTOPAY_UPCOMING, user=mandate.user, account=mandate.account,
                         email=mandate.email, context=context,
                         dedupe_key=f"autopay-upcoming:{charge.invoice_id}:"
                                    f"{charge.scheduled_for:%Y-%m-%d}")


def _notice_failed(charge: AutopayCharge, mandate: AutopayMandate, amount: Decimal, *,
                   reason: str) -> None:
    """The "after" notice of a charge that did not happen (`reason`: AUTOPAY_OVER_CAP or
    AUTOPAY_DECLINED, worded for the reader when rendered), and the fallback: the usual
    debt reminder with the pay link."""
    account = mandate.account
    context = {"account_number": account.number, "amount": _money(amount),
               "cap": _money(mandate.cap), "reason_code": reason, "pay_url": _pay_url()}
    notification_enqueue(kind=Kind.AUTOPAY_FAILED, user=mandate.user, account=account,
                         email=mandate.email, context=context,
                         dedupe_key=f"autopay-failed:{charge.invoice_id}")
    notification_enqueue(kind=Kind.DEBT_REMINDER, user=mandate.user, account=account,
                         email=mandate.email,
                         context={"account_number": account.number,
                                  "amount_due": _money(amount), "pay_url": _pay_url()},
                         dedupe_key=f"autopay-reminder:{charge.invoice_id}")
