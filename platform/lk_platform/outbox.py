"""The retry policy the outboxes share (notifications: lk_core.notifications.delivery;
appeal forwarding: lk_core.appeals.delivery). A failed attempt backs off 1, 2, 4 ...
minutes, at most 6 h, for MAX_ATTEMPTS attempts; an error marked `retryable = False`
fails at once. A claim older than STALE_CLAIM belongs to a dead worker and is re-opened;
a due row whose task was enqueued more than REENQUEUE_AFTER ago is enqueued again.

Each outbox keeps its own model and claim query; their status choices have the PENDING,
SENDING and FAILED members used here. Their periodic flushes share `flush_due`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)  # 1, 2, 4 ... minutes, at most RETRY_MAX
RETRY_MAX = timedelta(hours=6)
STALE_CLAIM = timedelta(minutes=10)  # a worker died mid-send: the row is sent again
REENQUEUE_AFTER = timedelta(minutes=5)  # its task was lost (broker down, worker killed)
FAILURE_FIELDS = ("status", "last_error", "next_attempt_at", "enqueued_at")


def retry_at(*, attempts: int, now: datetime) -> datetime:
    """When to try again after the `attempts`-th attempt (1, 2, ...) failed at `now`."""
    return now + min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)


def failure_apply(row, *, error: Exception, now: datetime,
                  statuses: type[models.TextChoices]) -> bool:
    """Set FAILURE_FIELDS on `row` (not saved) after its attempt failed: pending again at
    the next backoff step while the error is retryable and attempts remain, else failed.
    True when the row will be retried."""
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if getattr(error, "retryable", True) and row.attempts < MAX_ATTEMPTS:
        row.status = statuses.PENDING
        row.next_attempt_at = retry_at(attempts=row.attempts, now=now)
        row.enqueued_at = None  # the flush enqueues it again when it is due
        return True
    row.status = statuses.FAILED
    return False


def stale_claims_reopen(queryset: models.QuerySet, *, now: datetime,
                        statuses: type[models.TextChoices]) -> int:
    """Rows of `queryset` claimed before now - STALE_CLAIM and still sending are pending
    again, to be enqueued by the flush (at-least-once, never lost). How many."""
    return queryset.filter(status=statuses.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=statuses.PENDING, enqueued_at=None)


def flush_due(queryset: models.QuerySet, *, now: datetime,
              statuses: type[models.TextChoices], limit: int) -> list[int]:
    """The periodic flush's work list: stale claims re-opened, then the ids of at most
    `limit` due, pending rows whose task never ran (never enqueued, or enqueued more than
    REENQUEUE_AFTER ago), the longest due first."""
    stale_claims_reopen(queryset, now=now, statuses=statuses)
    return list(queryset.filter(status=statuses.PENDING, next_attempt_at__lte=now)
                .exclude(enqueued_at__gte=now - REENQUEUE_AFTER).order_by("next_attempt_at")
                .values_list("pk", flat=True)[:limit])
