"""The retry policy both outboxes share (lk_platform.outbox): the backoff schedule, the
attempt limit, permanent errors, and which claims count as stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.utils import timezone

from lk_core.appeals.models import DeliveryStatus
from lk_core.notifications.gateways import PermanentDeliveryError, RetryableDeliveryError
from lk_core.notifications.models import Channel, Kind, Notification, Status
from lk_platform import outbox

NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def _row(attempts: int) -> SimpleNamespace:
    return SimpleNamespace(attempts=attempts, status=Status.SENDING, last_error="",
                           next_attempt_at=NOW, enqueued_at=NOW)


def test_backoff_doubles_from_one_minute_and_stops_at_six_hours():
    gaps = [outbox.retry_at(attempts=n, now=NOW) - NOW for n in range(1, 13)]
    assert [gap // timedelta(minutes=1) for gap in gaps] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]


def test_a_retryable_failure_waits_for_the_next_step_until_the_last_attempt():
    row = _row(attempts=3)
    assert outbox.failure_apply(row, error=RetryableDeliveryError("provider busy"), now=NOW,
                                statuses=Status) is True
    assert row.status == Status.PENDING and row.enqueued_at is None
    assert row.next_attempt_at == NOW + timedelta(minutes=4)
    assert row.last_error == "RetryableDeliveryError: provider busy"

    last = _row(attempts=outbox.MAX_ATTEMPTS)
    assert outbox.failure_apply(last, error=RuntimeError("down"), now=NOW,
                                statuses=DeliveryStatus) is False
    assert last.status == DeliveryStatus.FAILED
    assert last.next_attempt_at == NOW and last.enqueued_at == NOW  # left as they were


def test_a_permanent_error_fails_at_once_and_the_error_is_truncated():
    row = _row(attempts=1)
    assert outbox.failure_apply(row, error=PermanentDeliveryError("x" * 5000), now=NOW,
                                statuses=Status) is False
    assert row.status == Status.FAILED and len(row.last_error) == 2000


def test_stale_claims_are_reopened_recent_and_other_rows_are_not(in_tenant_a):
    now = timezone.now()

    def row(status, claimed_minutes_ago):
        return Notification.objects.create(
            kind=Kind.SECURITY_NOTICE, channel=Channel.EMAIL, recipient="a@example.org",
            status=status, next_attempt_at=now, enqueued_at=now,
            claimed_at=now - timedelta(minutes=claimed_minutes_ago))

    stale, recent = row(Status.SENDING, 11), row(Status.SENDING, 9)
    sent, outside = row(Status.SENT, 60), row(Status.SENDING, 60)
    reopened = outbox.stale_claims_reopen(Notification.objects.exclude(pk=outside.pk),
                                          now=now, statuses=Status)
    assert reopened == 1
    got = {r.pk: (r.status, r.enqueued_at) for r in Notification.objects.all()}
    assert got[stale.pk] == (Status.PENDING, None)
    assert got[recent.pk] == got[outside.pk] == (Status.SENDING, now)
    assert got[sent.pk] == (Status.SENT, now)


def test_the_flush_lists_due_rows_whose_task_never_ran_longest_due_first(in_tenant_a):
    now = timezone.now()

    def row(status=Status.PENDING, due_minutes_ago=1, enqueued_minutes_ago=None,
            claimed_minutes_ago=None):
        return Notification.objects.create(
            kind=Kind.SECURITY_NOTICE, channel=Channel.EMAIL, recipient="a@example.org",
            status=status, next_attempt_at=now - timedelta(minutes=due_minutes_ago),
            enqueued_at=(None if enqueued_minutes_ago is None
                         else now - timedelta(minutes=enqueued_minutes_ago)),
            claimed_at=(None if claimed_minutes_ago is None
                        else now - timedelta(minutes=claimed_minutes_ago)))

    never_enqueued, lost_task = row(due_minutes_ago=2), row(due_minutes_ago=30,
                                                            enqueued_minutes_ago=6)
    dead_worker = row(Status.SENDING, due_minutes_ago=20, enqueued_minutes_ago=20,
                      claimed_minutes_ago=11)
    row(enqueued_minutes_ago=4)  # its task is queued: not again
    row(due_minutes_ago=-5)  # not due yet
    row(Status.SENT, enqueued_minutes_ago=60)
    row(Status.FAILED)
    assert outbox.flush_due(Notification.objects.all(), now=now, statuses=Status,
                            limit=10) == [lost_task.pk, dead_worker.pk, never_enqueued.pk]
    assert outbox.flush_due(Notification.objects.all(), now=now, statuses=Status,
                            limit=2) == [lost_task.pk, dead_worker.pk]
