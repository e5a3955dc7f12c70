"""Card payments made in the portal: the tenant's acquirer settings, the portal payment with
its recorded state transitions, and every incoming acquirer notification. All tables live
in the utility's schema. Money is Decimal with two places."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.billing.models import MONEY, Account, Invoice


class AcquirerKind(models.TextChoices):
    NONE = "none", _("None (pay by the receipt's QR code)")
    SANDBOX = "sandbox", _("Sandbox (test acquirer)")
    STRIPE = "stripe", _("Stripe")
    YOOKASSA = "yookassa", _("YooKassa")


class AcquirerMode(models.TextChoices):
    TEST = "test", _("Test")
    LIVE = "live", _("Live")


class VatCode(models.IntegerChoices):
    """YooKassa receipt `vat_code` values (54-FZ)."""

    NO_VAT = 1, _("Without VAT")
    VAT_0 = 2, _("VAT 0%")
    VAT_10 = 3, _("VAT 10%")
    VAT_20 = 4, _("VAT 20%")
    VAT_10_110 = 5, _("VAT 10/110")
    VAT_20_120 = 6, _("VAT 20/120")


class PaymentSettings(models.Model):
    """The utility's acquirer configuration: one row per schema (pk=1)."""

    acquirer = models.CharField(_("acquirer"), max_length=20, choices=AcquirerKind.choices,
                                default=AcquirerKind.NONE)
    mode = models.CharField(_("mode"), max_length=10, choices=AcquirerMode.choices,
                            default=AcquirerMode.TEST)
    # Fernet token of a JSON object (see lk_core.payments.crypto); never shown in full.
    credentials_encrypted = models.TextField(_("credentials (encrypted)"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    min_amount = models.DecimalField(_("minimum amount"), default=1, **MONEY)
    max_amount = models.DecimalField(_("maximum amount"), default=500000, **MONEY)
    allow_other_amount = models.BooleanField(
        _("resident may pay a different amount than due"), default=True)
    vat_code = models.PositiveSmallIntegerField(_("VAT code for receipts"),
                                                choices=VatCode.choices, default=VatCode.NO_VAT)
    receipt_per_service = models.BooleanField(_("receipt items per service"), default=True)
    sbp_enabled = models.BooleanField(_("SBP (Faster Payments System) enabled"), default=False)
    autopay_enabled = models.BooleanField(_("autopay enabled"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")

    def __str__(self) -> str:
        return str(_("Payment settings"))


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Waiting for the bank")
    SUCCEEDED = "succeeded", _("Paid, awaiting posting")
    CANCELED = "canceled", _("Canceled")
    FAILED = "failed", _("Payment failed")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


FINAL_STATUSES = {PaymentStatus.CANCELED, PaymentStatus.FAILED, PaymentStatus.REFUNDED}

# The state machine: anything not listed here is out of order and changes nothing.
TRANSITIONS: dict[str, set[str]] = {
    PaymentStatus.CREATED: {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED,
                            PaymentStatus.CANCELED, PaymentStatus.FAILED},
    PaymentStatus.PENDING: {PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED,
                            PaymentStatus.FAILED},
    PaymentStatus.SUCCEEDED: {PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED,
                                       PaymentStatus.REFUNDED},
}


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Bank card")
    SBP = "sbp", _("SBP (Faster Payments System)")


class Initiator(models.TextChoices):
    RESIDENT = "resident", _("The resident")
    AUTOPAY = "autopay", _("Autopay")


class PortalPayment(models.Model):
    """A payment a resident started in the portal. `public_id` is the payment id the
    acquirer metadata, URLs and the billing export use."""

    public_id = models.UUIDField(_("payment id"), default=uuid.uuid4, unique=True,
                                 editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="portal_payments",
                                verbose_name=_("account"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="portal_payments")
    email = models.CharField(_("e-mail for the receipt"), max_length=254, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices,
                              default=PaymentMethod.CARD)
    initiated_by = models.CharField(_("initiated by"), max_length=10,
                                    choices=Initiator.choices, default=Initiator.RESIDENT)
    acquirer = models.CharField(_("acquirer"), max_length=20, choices=AcquirerKind.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=AcquirerMode.choices)
    acquirer_payment_id = models.CharField(_("acquirer payment id"), max_length=100,
                                           blank=True, db_index=True)
    # Stripe: the PaymentIntent behind the Checkout Session (refund events name it).
    acquirer_reference = models.CharField(_("acquirer reference"), max_length=100,
                                          blank=True, db_index=True)
    confirmation_url = models.URLField(_("payment page"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices,
                              default=PaymentStatus.CREATED, db_index=True)
    refunded_amount = models.DecimalField(_("refunded"), default=0, **MONEY)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # When the portal recorded the acquirer's confirmation: the billing export's window key,
    # so it must never lie in the past of a window already exported.
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)
    last_checked_at = models.DateTimeField(_("last asked the acquirer"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation e-mail sent"), null=True,
                                                blank=True)

    class Meta:
        verbose_name = _("portal payment")
        verbose_name_plural = _("portal payments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["acquirer", "acquirer_payment_id"],
                                    condition=~models.Q(acquirer_payment_id=""),
                                    name="portalpayment_acquirer_id_uniq"),
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="portalpayment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.amount} {self.status}"

    @property
    def account_number(self) -> str:
        return self.account.number

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class PaymentTransition(models.Model):
    """Every change of a payment's status, with what caused it."""

    payment = models.ForeignKey(PortalPayment, on_delete=models.CASCADE,
                                related_name="transitions")
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    source = models.CharField(_("source"), max_length=20)  # create/webhook/return/reconcile...
    webhook_event = models.ForeignKey("WebhookEvent", on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="transitions")
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment transition")
        verbose_name_plural = _("payment transitions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Applied to the payment")
    IGNORED = "ignored", _("Ignored (duplicate or out of order)")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed, will retry")


class WebhookEvent(models.Model):
    """An acquirer notification exactly as it arrived, stored before anything acts on it."""

    acquirer = models.CharField(_("acquirer"), max_length=20, choices=AcquirerKind.choices)
    event_id = models.CharField(_("acquirer event id"), max_length=100, blank=True,
                                db_index=True)
    event_type = models.CharField(_("event type"), max_length=100, blank=True)
    body = models.TextField(_("raw body"))
    headers = models.JSONField(_("headers"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=WebhookStatus.choices,
                              default=WebhookStatus.RECEIVED, db_index=True)
    error = models.TextField(_("error"), blank=True)
    payment = models.ForeignKey(PortalPayment, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="webhook_events")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("acquirer notification")
        verbose_name_plural = _("acquirer notifications")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.acquirer} {self.event_type} {self.status}"


# --- autopay ----------------------------------------------------------------------------

class MandateStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the first payment")
    ACTIVE = "active", _("Active")
    CANCELED = "canceled", _("Canceled")


LIVE_MANDATE_STATUSES = (MandateStatus.PENDING, MandateStatus.ACTIVE)


class AutopayMandate(models.Model):
    """A resident's consent to charge the amount due of each new invoice of one account
    with a payment method the acquirer saved (only its token is kept here), on a day of
    the month, never above the cap. Canceled mandates stay as the record of consent."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT,
                                related_name="autopay_mandates", verbose_name=_("account"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="autopay_mandates", verbose_name=_("resident"))
    email = models.CharField(_("e-mail for the receipt"), max_length=254, blank=True)
    day = models.PositiveSmallIntegerField(
        _("day of month"), validators=[MinValueValidator(1), MaxValueValidator(28)])
    cap = models.DecimalField(_("limit per charge"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=MandateStatus.choices,
                              default=MandateStatus.PENDING, db_index=True)
    acquirer = models.CharField(_("acquirer"), max_length=20, choices=AcquirerKind.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=AcquirerMode.choices)
    # The first payment, made by the resident on the hosted page, saves the method.
    setup_payment = models.OneToOneField(PortalPayment, on_delete=models.PROTECT,
                                         related_name="autopay_setup", null=True, blank=True)
    method_token = models.CharField(_("saved method token"), max_length=100, blank=True)
    customer_token = models.CharField(_("acquirer customer"), max_length=100, blank=True)
    method_title = models.CharField(_("payment method"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why canceled"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("autopay")
        verbose_name_plural = _("autopay")
        ordering = ["-created_at"]
        constraints = [
            # Written as "not canceled" (not an IN list): PostgreSQL prints that condition
            # the same way after the schema copy recreates the index.
            models.UniqueConstraint(fields=["account"],
                                    condition=~models.Q(status="canceled"),
                                    name="autopaymandate_one_live_per_account"),
            models.CheckConstraint(condition=models.Q(cap__gt=0),
                                   name="autopaymandate_cap_positive"),
            models.CheckConstraint(condition=models.Q(day__gte=1, day__lte=28),
                                   name="autopaymandate_day_1_28"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} · {self.get_status_display()}"


class ChargeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CHARGING = "charging", _("Charging")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    OVER_CAP = "over_cap", _("Not charged: above the limit")
    NOTHING_DUE = "nothing_due", _("Not charged: nothing due")
    SETUP = "setup", _("Paid by the first payment")
    CANCELED = "canceled", _("Not charged: autopay canceled")


class AutopayCharge(models.Model):
    """At most one autopay attempt per invoice, whatever runs the job and how often: the
    unique invoice is the guarantee against charging twice."""

    mandate = models.ForeignKey(AutopayMandate, on_delete=models.PROTECT,
                                related_name="charges")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT,
                                   related_name="autopay_charge")
    scheduled_for = models.DateField(_("charge on"))
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    status = models.CharField(_("status"), max_length=12, choices=ChargeStatus.choices,
                              default=ChargeStatus.SCHEDULED, db_index=True)
    payment = models.OneToOneField(PortalPayment, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="autopay_charge")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    notice_sent_on = models.DateField(_("notice before sent on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("autopay charge")
        verbose_name_plural = _("autopay charges")
        ordering = ["-scheduled_for", "-id"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.scheduled_for} {self.status}"
