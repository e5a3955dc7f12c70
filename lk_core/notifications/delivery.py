"""Sending outbox rows: claim, send on the channel, record the outcome. Safe to run twice
and concurrently: a row is claimed with SELECT ... FOR UPDATE SKIP LOCKED and only while
pending and due, so two workers (or a retried task) never send it twice."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from lk_core.notifications.gateways import (
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    SmsGatewayConfig,
    sms_gateway_get,
)
from lk_core.notifications.models import Channel, Notification, Status
from lk_core.notifications.rendering import TemplateCache, render_email, render_sms
from lk_core.notifications.selectors import current_utility, notification_settings_get
from lk_core.notifications.services import (
    MAX_ATTEMPTS,
    RETRY_BASE,
    RETRY_MAX,
    SECRET_CONTEXT_KEYS,
)

logger = logging.getLogger(__name__)


class _Senders:
    """What a batch shares: one SMTP connection, one gateway, one template lookup."""

    def __init__(self) -> None:
        self.utility = current_utility()
        self.config = notification_settings_get()
        self.templates = TemplateCache()
        self.mail = get_connection()
        self._gateway = None

    def gateway(self):
        if self._gateway is None:
            self._gateway = sms_gateway_get(provider=self.config.sms_provider,
                                            config=SmsGatewayConfig(
                                                login=self.config.sms_login,
                                                secret=self.config.sms_secret,
                                                sender=self.config.sms_sender))
        return self._gateway

    def send(self, row: Notification) -> str:
        if row.channel == Channel.SMS:
            if not self.config.sms_enabled:
                raise PermanentDeliveryError("SMS is turned off for this utility")
            return self.gateway().send_sms(phone=row.recipient, text=render_sms(
                row, self.utility, self.templates))
        return self._send_email(row)

    def _send_email(self, row: Notification) -> str:
        rendered = render_email(row, self.utility, self.templates)
        headers = {"Message-ID": make_msgid(domain=settings.PLATFORM_DOMAIN)}
        if rendered.unsubscribe_url:  # RFC 8058 one-click unsubscribe for mail clients
            headers |= {"List-Unsubscribe": f"<{rendered.unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message = EmailMultiAlternatives(
            rendered.subject, rendered.text, settings.DEFAULT_FROM_EMAIL, [row.recipient],
            connection=self.mail, headers=headers)
        message.attach_alternative(rendered.html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableDeliveryError(f"mail server: {exc}") from exc
        return headers["Message-ID"]

    def close(self) -> None:
        self.mail.close()


def _claim(notification_id: int, now: datetime) -> Notification | None:
    with transaction.atomic():
        row = (Notification.objects.select_for_update(skip_locked=True)
               .filter(pk=notification_id, status=Status.PENDING, next_attempt_at__lte=now)
               .first())
        if row is None:
            return None  # sent already, being sent, not due yet, or gone
        row.status, row.claimed_at, row.attempts = Status.SENDING, now, row.attempts + 1
        row.save(update_fields=["status", "claimed_at", "attempts"])
        return row


def _wipe_secrets(row: Notification) -> list[str]:
    if any(key in row.context for key in SECRET_CONTEXT_KEYS):
        row.context = {k: v for k, v in row.context.items() if k not in SECRET_CONTEXT_KEYS}
        return ["context"]
    return []


def _record_sent(row: Notification, provider_id: str) -> None:
    row.status, row.sent_at, row.provider_message_id = Status.SENT, timezone.now(), provider_id
    row.last_error = ""
    row.save(update_fields=["status", "sent_at", "provider_message_id", "last_error",
                            *_wipe_secrets(row)])


def _record_failure(row: Notification, error: Exception, now: datetime) -> None:
    retryable = getattr(error, "retryable", True)
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    fields = ["status", "last_error", "next_attempt_at", "enqueued_at"]
    if retryable and row.attempts < MAX_ATTEMPTS:
        row.status = Status.PENDING
        row.next_attempt_at = now + min(RETRY_BASE * 2 ** (row.attempts - 1), RETRY_MAX)
        row.enqueued_at = None  # the flush enqueues it again when it is due
    else:
        row.status = Status.FAILED
        fields += _wipe_secrets(row)
    row.save(update_fields=fields)
    logger.warning("notification %s attempt %s failed: %s", row.pk, row.attempts,
                   row.last_error)


def notifications_deliver(*, notification_ids: list[int], now: datetime | None = None
                          ) -> dict[str, int]:
    """Send the due, pending rows among `notification_ids`; count the outcomes."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    senders = _Senders()
    try:
        for notification_id in notification_ids:
            row = _claim(notification_id, now or timezone.now())
            if row is None:
                counts["skipped"] += 1
                continue
            try:
                _record_sent(row, senders.send(row))
                counts["sent"] += 1
            except DeliveryError as exc:
                _record_failure(row, exc, timezone.now())
                counts["failed"] += 1
    finally:
        senders.close()
    return counts
