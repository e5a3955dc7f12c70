"""The outbox on real engines: a broker that is down delays notifications, the flush sends
them once it is back. Data is committed here (the worker is another process), and
removed again at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.db import connection, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from lk_core.notifications import services
from lk_core.notifications.models import (
    Kind,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Status,
)
from lk_core.users.models import User, UserKind
from lk_platform.scheduler import PeriodicJob, scheduler_tick
from tenants.models import Utility
from tests.tasks import probe_tasks
from tests.tasks.conftest import REDIS_URL, tasks_setting, wait_for
from tests.tasks.factories import resident

DOWN = "redis://127.0.0.1:9"  # discard port: nothing listens, like a broker that is down


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Real commits, cleaned up afterwards in both tenants."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        utilities = list(Utility.objects.filter(slug__in=["alpha", "beta"]).order_by("slug"))
        yield utilities
        for utility in utilities:
            with schema_context(utility.schema_name):
                Notification.objects.all().delete()
                NotificationPreference.objects.all().delete()
                NotificationSettings.objects.all().delete()
                User.objects.filter(kind=UserKind.RESIDENT).delete()
                from lk_core.billing.models import Account

                Account.objects.all().delete()


def _enqueue_in(utility, number: str) -> int:
    with schema_context(utility.schema_name), transaction.atomic():
        _account, user = resident(number)
        [row] = services.notification_enqueue(kind=Kind.SECURITY_NOTICE, user=user,
                                              context={"message": f"hello {number}"})
    return row.pk


def _status(utility, pk: int) -> Notification:
    with schema_context(utility.schema_name):
        return Notification.objects.get(pk=pk)


def test_broker_down_delays_and_flush_delivers_when_it_is_back(engine, committed):
    alpha, beta = committed
    with override_settings(TASKS=tasks_setting(engine, DOWN)):
        ids = {alpha: _enqueue_in(alpha, "E-1"), beta: _enqueue_in(beta, "E-2")}
    for utility, pk in ids.items():
        row = _status(utility, pk)
        assert row.status == Status.PENDING and row.enqueued_at is None  # kept, not lost
    with override_settings(TASKS=tasks_setting(engine, REDIS_URL)):
        for utility in ids:
            with schema_context(utility.schema_name):
                assert services.notifications_flush() == 1  # only its own tenant's row
    for utility, pk in ids.items():
        row = wait_for(lambda u=utility, p=pk: (r := _status(u, p)).status == Status.SENT
                       and r, timeout=60)
        assert row.attempts == 1 and row.provider_message_id.startswith("<")
        assert row.recipient == f"E-{1 if utility == alpha else 2}@mail.test"


def test_worker_delivers_right_after_commit(engine, committed):
    alpha, beta = committed
    with override_settings(TASKS=tasks_setting(engine, REDIS_URL)):
        ids = [(alpha, _enqueue_in(alpha, "F-1")), (beta, _enqueue_in(beta, "F-2")),
               (alpha, _enqueue_in(alpha, "F-3"))]
    for utility, pk in ids:
        wait_for(lambda u=utility, p=pk: _status(u, p).status == Status.SENT, timeout=60)


@pytest.mark.parametrize("engine", ["celery", "dramatiq"])
def test_broker_down_misses_the_tick_without_crashing(engine, django_db_setup, django_db_blocker):
    """Outside a test transaction, as the scheduler process runs: the send fails, the tick
    goes on, nothing is reported as enqueued."""
    from lk_platform.models import ScheduledRun

    job = PeriodicJob(name=f"test.down.{engine}", task=probe_tasks.record_tick,
                      every=timedelta(hours=1))
    with django_db_blocker.unblock(), \
            override_settings(TASKS=tasks_setting(engine, "redis://127.0.0.1:9")):
        try:
            assert scheduler_tick(now=datetime(2026, 11, 24, 12, 0, tzinfo=UTC), jobs=[job]) == []
        finally:
            ScheduledRun.objects.filter(job=job.name).delete()
    assert not redis.Redis.from_url(REDIS_URL).exists(probe_tasks.probe_key("ticks"))


def test_outbox_survives_a_broker_outage_end_to_end_through_the_scheduler(engine, committed):
    """The broker is down while an import writes 105 "new invoice" notices per utility
    (more than one delivery chunk) and while the scheduler ticks; nothing is lost. Once
    it is back, the next tick's outbox flush (run by the worker in each utility's schema)
    sends every row exactly once."""
    from lk_platform.models import ScheduledRun
    from lk_platform.scheduler import registered_jobs
    from tests.tasks.factories import invoice

    alpha, beta = committed
    [flush] = [job for job in registered_jobs() if job.name == "notifications.flush_outbox"]
    t0 = datetime.now(UTC)
    written = {}
    with override_settings(TASKS=tasks_setting(engine, DOWN)):
        for utility, prefix in ((alpha, "O-1"), (beta, "O-2")):
            with schema_context(utility.schema_name), transaction.atomic():
                ids = [invoice(resident(f"{prefix}-{n:03d}")[0]).pk for n in range(105)]
                assert services.invoices_available_notify(invoice_ids=ids,
                                                          batch_key="outage") == 105
                written[utility] = list(Notification.objects.values_list("pk", flat=True))
        try:
            assert scheduler_tick(now=t0, jobs=[flush]) == []  # the tick is missed
            for utility, ids in written.items():
                with schema_context(utility.schema_name):
                    rows = Notification.objects.filter(pk__in=ids)
                    assert rows.filter(status=Status.PENDING, enqueued_at__isnull=True
                                       ).count() == 105
            with override_settings(TASKS=tasks_setting(engine, REDIS_URL)):
                fired = scheduler_tick(now=t0 + flush.every, jobs=[flush])
        finally:
            ScheduledRun.objects.filter(job=flush.name).delete()
    assert {(flush.name, alpha.schema_name), (flush.name, beta.schema_name)} <= set(fired)
    for utility, ids in written.items():
        def all_sent(u=utility, i=ids):
            with schema_context(u.schema_name):
                return Notification.objects.filter(pk__in=i, status=Status.SENT).count() == 105
        wait_for(all_sent, timeout=120)
        with schema_context(utility.schema_name):
            assert set(Notification.objects.filter(pk__in=ids).values_list(
                "attempts", flat=True)) == {1}  # each sent once
            assert Notification.objects.count() == 105
