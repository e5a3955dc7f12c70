"""Forwarding appeals by e-mail or webhook, with the outbox's guarantees: the delivery row
is written in the appeal's transaction, a task sends it after commit, failures back off
(lk_platform.outbox: 1, 2, 4 ... minutes, at most 6 h, 8 attempts) and the periodic
flush enqueues due rows again, so a receiver that is down delays the appeal, never loses
it. A row is claimed with SELECT ... FOR UPDATE SKIP LOCKED: safe to run twice and
concurrently."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from lk_core.appeals.forwarding import ForwardRequest, forwarder_get
from lk_core.appeals.models import (
    Appeal,
    AppealCategory,
    AppealDelivery,
    AppealEvent,
    DeliveryKind,
    DeliveryStatus,
    EventKind,
)
from lk_core.payments.crypto import credentials_decrypt
from lk_platform import outbox
from lk_platform.tasks import on_commit_in_schema

logger = logging.getLogger(__name__)


def deliveries_create(*, appeal: Appeal, category: AppealCategory) -> list[AppealDelivery]:
    """Inside the appeal's transaction: the route's forwarding, sent after commit."""
    target = {DeliveryKind.EMAIL: category.delivery_email,
              DeliveryKind.WEBHOOK: category.webhook_url}.get(category.delivery, "")
    if not target:
        return []
    row = AppealDelivery.objects.create(appeal=appeal, kind=category.delivery, target=target,
                                        next_attempt_at=timezone.now())
    on_commit_in_schema(lambda: deliveries_dispatch(delivery_ids=[row.pk]))
    return [row]


def deliveries_dispatch(*, delivery_ids: list[int]) -> int:
    """Enqueue one task per row (after commit). A broker that is down costs time only:
    `enqueued_at` stays empty and the flush tries again."""
    from lk_core.appeals.tasks import deliver_appeal

    dispatched = 0
    for delivery_id in delivery_ids:
        try:
            deliver_appeal.enqueue(delivery_id)
        except Exception:
            logger.warning("broker unavailable: appeal delivery %s waits for the flush",
                           delivery_id, exc_info=True)
            return dispatched
        AppealDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
            enqueued_at=timezone.now())
        dispatched += 1
    return dispatched


def _claim(delivery_id: int, now: datetime) -> AppealDelivery | None:
    with transaction.atomic():
        # Lock the delivery row only: not the appeal a desk edit may hold, nor the category.
        row = (AppealDelivery.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
               .select_related("appeal__category", "appeal__account").first())
        if row is None:
            return None
        row.status, row.claimed_at, row.attempts = DeliveryStatus.SENDING, now, row.attempts + 1
        row.save(update_fields=["status", "claimed_at", "attempts"])
    return row


def appeal_payload(appeal: Appeal) -> dict:
    """What the utility's system receives (JSON; the same for e-mail and webhook)."""
    from lk_core.notifications.selectors import current_utility

    def iso(value):
        return value.isoformat() if value else None

    return {
        "event": "appeal.created",
        "utility": current_utility().slug,
        "appeal": {
            "id": appeal.pk, "category": appeal.category.name,
            "destination": appeal.destination, "department": appeal.department,
            "is_emergency": appeal.is_emergency, "priority": appeal.get_priority_display(),
            "text": appeal.text, "status": appeal.status,
            "account_number": appeal.account.number, "address": appeal.account.address,
            "created_at": iso(appeal.created_at), "respond_by": iso(appeal.respond_by),
            "resolve_by": iso(appeal.resolve_by),
            "attachments": appeal.attachments.count(),
        },
    }


def _request(row: AppealDelivery) -> ForwardRequest:
    appeal = row.appeal
    payload = appeal_payload(appeal)
    data = payload["appeal"]
    secret = ""
    if row.kind == DeliveryKind.WEBHOOK:
        secret = credentials_decrypt(appeal.category.webhook_secret_encrypted).get("secret", "")
    emergency = "[!] " if appeal.is_emergency else ""
    subject = f"{emergency}#{appeal.pk} {data['category']} ({data['account_number']})"
    text = "\n".join(f"{key}: {value}" for key, value in data.items() if key != "text")
    return ForwardRequest(delivery_id=row.pk, target=row.target, payload=payload,
                          subject=subject, text=f"{appeal.text}\n\n{text}", secret=secret)


def _record(row: AppealDelivery, *, error: Exception | None, answer: str,
            now: datetime) -> None:
    fields = ["status", "last_error", "response", "next_attempt_at", "enqueued_at",
              "delivered_at"]
    if error is None:
        row.status, row.delivered_at, row.response, row.last_error = (
            DeliveryStatus.DELIVERED, now, answer[:200], "")
    else:
        outbox.failure_apply(row, error=error, now=now, statuses=DeliveryStatus)
    with transaction.atomic():
        row.save(update_fields=fields)
        if row.status != DeliveryStatus.PENDING:
            AppealEvent.objects.create(
                appeal=row.appeal, kind=EventKind.DELIVERY, internal=True,
                status=row.appeal.status,
                text=f"{row.get_kind_display()} → {row.target}: {row.get_status_display()}"
                     f"{' (' + row.last_error + ')' if row.last_error else ''}"[:2000])


def appeal_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one due delivery; return its status afterwards ("skipped" if not due)."""
    row = _claim(delivery_id, now or timezone.now())
    if row is None:
        return "skipped"
    try:
        answer = forwarder_get(row.kind).forward(_request(row))
    except Exception as exc:
        # Unexpected errors count as retryable; DeliveryError says otherwise when it knows.
        logger.warning("appeal delivery %s attempt %s failed: %s", row.pk, row.attempts, exc)
        _record(row, error=exc, answer="", now=timezone.now())
    else:
        _record(row, error=None, answer=answer or "", now=timezone.now())
    return row.status


def deliveries_flush(*, now: datetime | None = None, limit: int = 1000) -> int:
    """The periodic safety net: re-open claims of dead workers, enqueue due rows whose
    task never ran or failed and is due again."""
    now = now or timezone.now()
    return deliveries_dispatch(delivery_ids=outbox.flush_due(
        AppealDelivery.objects.all(), now=now, statuses=DeliveryStatus, limit=limit))


def delivery_retry(*, appeal: Appeal) -> int:
    """Staff's "retry now" for an appeal's failed deliveries: attempts from zero."""
    ids = list(AppealDelivery.objects.filter(appeal=appeal, status=DeliveryStatus.FAILED)
               .values_list("pk", flat=True))
    AppealDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(),
        enqueued_at=None)
    on_commit_in_schema(lambda: deliveries_dispatch(delivery_ids=ids))
    return len(ids)
