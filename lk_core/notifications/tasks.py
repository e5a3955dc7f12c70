"""Thin tasks: take ids, call a service; enqueued on commit by the task layer."""

from __future__ import annotations

from lk_core.notifications import delivery, services
from lk_platform.tasks import task


@task(queue_name="notifications", max_retries=3, time_limit=120)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    return delivery.notifications_deliver(notification_ids=notification_ids)


@task(queue_name="periodic", max_retries=3, time_limit=900)
def deliver_bulk_notifications(notification_ids: list[int]) -> dict[str, int]:
    """BULK_KINDS: the same delivery, with attachments rendered on the way."""
    return delivery.notifications_deliver(notification_ids=notification_ids)


@task(queue_name="periodic", time_limit=300)
def flush_outbox() -> int:
    return services.notifications_flush()


@task(queue_name="periodic", time_limit=600)
def send_debt_reminders() -> int:
    return services.debt_reminders_enqueue()
