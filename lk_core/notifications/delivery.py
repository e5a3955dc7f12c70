"""Sending outbox rows: claim, send on the channel, record the outcome. Safe to run twice
and concurrently: a row is claimed with SELECT ... FOR UPDATE SKIP LOCKED and only while
pending and due, so two workers (or a retried task) never send it twice."""

from __future__ import annotations

import logging
from datetime import datetime
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from lk_core.notifications.attachments import Attachment, attachments_build
from lk_core.notifications.gateways import (
    PermanentDeliveryError,
    SmsGatewayConfig,
    email_send,
    sms_gateway_get,
)
from lk_core.notifications.models import Channel, Notification, Status
from lk_core.notifications.rendering import TemplateCache, render_email, render_sms
from lk_core.notifications.selectors import current_utility, notification_settings_get
from lk_core.notifications.services import SECRET_CONTEXT_KEYS
from lk_platform import outbox

logger = logging.getLogger(__name__)


class _Senders:
    """What a batch shares: one SMTP connection, one gateway, one template lookup."""

    def __init__(self) -> None:
        self.utility = current_utility()
        self.config = notification_settings_get()
        self.templates = TemplateCache(self.utility)
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

    def send(self, row: Notification, attachments: list[Attachment] | Exception) -> str:
        if row.channel == Channel.SMS:
            if not self.config.sms_enabled:
                raise PermanentDeliveryError("SMS is turned off for this utility")
            return self.gateway().send_sms(phone=row.recipient, text=render_sms(
                row, self.utility, self.templates))
        if isinstance(attachments, Exception):
            raise attachments
        return self._send_email(row, attachments)

    def _send_email(self, row: Notification, attachments: list[Attachment]) -> str:
        rendered = render_email(row, self.utility, self.templates)
        headers = {"Message-ID": make_msgid(domain=settings.PLATFORM_DOMAIN)}
        if rendered.unsubscribe_url:  # RFC 8058 one-click unsubscribe for mail clients
            headers |= {"List-Unsubscribe": f"<{rendered.unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message = EmailMultiAlternatives(
            rendered.subject, rendered.text, settings.DEFAULT_FROM_EMAIL, [row.recipient],
            connection=self.mail, headers=headers)
        message.attach_alternative(rendered.html, "text/html")
        for attachment in attachments:
            message.attach(attachment.filename, attachment.content, attachment.mimetype)
        email_send(message)
        return headers["Message-ID"]

    def close(self) -> None:
        self.mail.close()


def _claim(notification_ids: list[int], now: datetime) -> list[Notification]:
    """Take the due, pending rows among the ids in one short transaction. Rows another
    worker holds are skipped, rows already sent are not pending: nothing is sent twice
    while workers live. A worker that dies after claiming leaves `sending` rows that the
    flush re-opens after outbox.STALE_CLAIM (at-least-once, never lost)."""
    with transaction.atomic():
        rows = list(Notification.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=notification_ids, status=Status.PENDING,
                            next_attempt_at__lte=now).order_by("pk"))
        for row in rows:
            row.status, row.claimed_at, row.attempts = Status.SENDING, now, row.attempts + 1
        Notification.objects.bulk_update(rows, ["status", "claimed_at", "attempts"])
    return rows


def _wipe_secrets(row: Notification) -> list[str]:
    if any(key in row.context for key in SECRET_CONTEXT_KEYS):
        row.context = {k: v for k, v in row.context.items() if k not in SECRET_CONTEXT_KEYS}
        return ["context"]
    return []


def _mark_sent(row: Notification, provider_id: str) -> None:
    row.status, row.sent_at, row.provider_message_id = Status.SENT, timezone.now(), provider_id
    row.last_error = ""
    _wipe_secrets(row)


SENT_FIELDS = ["status", "sent_at", "provider_message_id", "last_error", "context"]


def _record_failure(row: Notification, error: Exception, now: datetime) -> None:
    fields = list(outbox.FAILURE_FIELDS)
    if not outbox.failure_apply(row, error=error, now=now, statuses=Status):
        fields += _wipe_secrets(row)
    row.save(update_fields=fields)
    logger.warning("notification %s attempt %s failed: %s", row.pk, row.attempts,
                   row.last_error)


def notifications_deliver(*, notification_ids: list[int], now: datetime | None = None
                          ) -> dict[str, int]:
    """Send the due, pending rows among `notification_ids`; count the outcomes."""
    rows = _claim(notification_ids, now or timezone.now())
    counts = {"sent": 0, "failed": 0, "skipped": len(notification_ids) - len(rows)}
    sent: list[Notification] = []
    senders = _Senders()
    try:
        attachments = attachments_build([row for row in rows if row.channel == Channel.EMAIL])
        for row in rows:
            try:
                _mark_sent(row, senders.send(row, attachments.get(row.pk, [])))
                sent.append(row)
            except Exception as exc:
                # in `sending`; unexpected errors count as retryable (DeliveryError says
                # otherwise when it knows better).
                _record_failure(row, exc, timezone.now())
                counts["failed"] += 1
    finally:
        senders.close()
        Notification.objects.bulk_update(sent, SENT_FIELDS)  # one statement per chunk
    counts["sent"] = len(sent)
    return counts
