"""The notification outbox and what shapes it: per-kind texts staff can override, the
tenant's notification settings, and each user's consent and per-kind preferences.
Tables live in each utility's schema."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.billing.models import MONEY, Account


class Kind(models.TextChoices):
    REGISTRATION_PASSWORD = "registration_password", _("Password at registration")
    PASSWORD_RESET = "password_reset", _("Password reset")
    SECURITY_NOTICE = "security_notice", _("Security notice")
    INVOICE_AVAILABLE = "invoice_available", _("New invoice available")
    READING_WINDOW_OPENS = "reading_window_opens", _("Meter reading window opens")
    READING_WINDOW_CLOSES = "reading_window_closes", _("Meter reading window closes soon")
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    APPEAL_STATUS = "appeal_status", _("Appeal status changed")
    DEBT_REMINDER = "debt_reminder", _("Debt reminder")
    RECEIPT = "receipt", _("Receipt by e-mail (paperless)")
    READING_RECEIPT = "reading_receipt", _("E-mail receipt of submitted readings")
    AUTOPAY_UPCOMING = "autopay_upcoming", _("Autopay: charge coming up")
    AUTOPAY_SUCCEEDED = "autopay_succeeded", _("Autopay: charged")
    AUTOPAY_FAILED = "autopay_failed", _("Autopay: not charged")


# Sent whatever the preferences say, with no unsubscribe link. Autopay notices tell of
# money taken (or about to be) from the resident's card, which they agreed to be told of;
# they stop when autopay is canceled.
ESSENTIAL_KINDS = frozenset({Kind.REGISTRATION_PASSWORD, Kind.PASSWORD_RESET,
                             Kind.SECURITY_NOTICE, Kind.AUTOPAY_UPCOMING,
                             Kind.AUTOPAY_SUCCEEDED, Kind.AUTOPAY_FAILED})
# What the resident's inbox (the app, the portal) shows: everything but the messages that
# carry a password or a reset link, which belong in the mailbox they were sent to, and the
# paperless receipt, a PDF delivered by e-mail (the inbox has "new invoice" for it), and
# the receipt of submitted readings (the resident saw it on screen when submitting).
INBOX_KINDS = frozenset(set(Kind) - {Kind.REGISTRATION_PASSWORD, Kind.PASSWORD_RESET,
                                     Kind.RECEIPT, Kind.READING_RECEIPT})
# Receipts the resident asked for by e-mail in the portal's settings: e-mail only, and
# their unsubscribe link turns that choice off (lk_core.portal) instead of muting the kind.
EMAIL_RECEIPT_KINDS = frozenset({Kind.RECEIPT, Kind.READING_RECEIPT})
# The resident is waiting for these right now, so quiet hours do not hold them back.
USER_INITIATED_KINDS = frozenset({Kind.REGISTRATION_PASSWORD, Kind.PASSWORD_RESET,
                                  Kind.READING_RECEIPT})
# Messages whose attachment is rendered at delivery (lk_core.notifications.attachments):
# delivered by their own task on the periodic queue in small chunks, so rendering a
# thousand PDFs never holds up a password e-mail.
BULK_KINDS = frozenset({Kind.RECEIPT})


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One message on one channel: written in the event's transaction, sent by a task."""

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("user"))
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("account"))
    recipient = models.CharField(_("recipient"), max_length=254)  # e-mail or phone
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Idempotency: the same event enqueued twice (a job run twice) makes one message.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, null=True,
                                  blank=True)
    batch_key = models.CharField(_("batch"), max_length=100, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    enqueued_at = models.DateTimeField(_("task enqueued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=100,
                                           blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["dedupe_key", "channel"],
                                               name="notification_dedupe_uniq")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.status})"


class InboxMessage(models.Model):
    """One event in a resident's inbox, whatever channels carried it: written with the
    outbox rows (same transaction, same deduplication key), read in the app and the portal.
    The text is rendered when shown, in the reader's language, from `kind` and `context`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("user"))
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("account"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    context = models.JSONField(_("context"), default=dict, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, null=True,
                                  blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"],
                                               name="inboxmessage_dedupe_uniq")]
        indexes = [models.Index(fields=["user", "-created_at", "-id"],
                                name="inboxmessage_user_newest"),
                   models.Index(fields=["user"], condition=models.Q(read_at__isnull=True),
                                name="inboxmessage_user_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user_id}"


class MessageTemplate(models.Model):
    """Staff's own wording for a kind; empty fields fall back to the built-in text."""

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, unique=True)
    email_subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    email_body = models.TextField(
        _("e-mail text"), blank=True,
        help_text=_("Plain text; placeholders like {{ amount }} as in the built-in text."))
    sms_text = models.CharField(_("SMS text"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification text")
        verbose_name_plural = _("notification texts")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class SmsProvider(models.TextChoices):
    CONSOLE = "console", _("Console (development)")
    SMSRU = "smsru", "SMS.ru"
    SMSC = "smsc", "SMSC.ru"


class NotificationSettings(models.Model):
    """One row per utility: channels, quiet hours, debt reminders, the SMS gateway."""

    sms_enabled = models.BooleanField(_("send SMS"), default=False)
    sms_provider = models.CharField(_("SMS provider"), max_length=16,
                                    choices=SmsProvider.choices, default=SmsProvider.CONSOLE)
    sms_login = models.CharField(_("SMS login / API id"), max_length=200, blank=True)
    sms_secret = models.CharField(_("SMS password / key"), max_length=200, blank=True)
    sms_sender = models.CharField(_("SMS sender name"), max_length=11, blank=True)
    quiet_hours_start = models.TimeField(_("no SMS from"), default="21:00")
    quiet_hours_end = models.TimeField(_("no SMS until"), default="09:00")
    debt_reminders_enabled = models.BooleanField(_("send debt reminders"), default=False)
    debt_threshold = models.DecimalField(_("debt reminder from (amount due)"), default=1000,
                                         **MONEY)
    debt_reminder_day = models.PositiveSmallIntegerField(
        _("debt reminder day of month"), default=20,
        validators=[MinValueValidator(1), MaxValueValidator(28)])
    reading_reminders_enabled = models.BooleanField(
        _("remind residents of the reading window"), default=True,
        help_text=_("When the window opens, and again before it closes to residents who "
                    "have not submitted readings yet."))
    reading_reminder_days_before = models.PositiveSmallIntegerField(
        _("second reminder, days before the window closes"), default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)])

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(_("Notification settings"))


class NotificationPreference(models.Model):
    """A user's consent per channel and the non-essential kinds they turned off."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    email_enabled = models.BooleanField(_("e-mail notifications"), default=True)
    sms_enabled = models.BooleanField(_("SMS notifications (consent)"), default=False)
    muted_kinds = models.JSONField(_("turned-off kinds"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)
