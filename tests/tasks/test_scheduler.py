"""The scheduler fans each periodic job out to every active utility, in its schema, once
per period - and the job registry is how features plug in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from lk_platform.scheduler import PeriodicJob, registered_jobs, scheduler_tick
from tests.conftest import staff_login
from tests.tasks import probe_tasks
from tests.tasks.conftest import REDIS_URL, tasks_setting

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOURLY = PeriodicJob(name="test.tick", task=probe_tasks.record_tick, every=timedelta(hours=1))
PLATFORM = PeriodicJob(name="test.platform", task=probe_tasks.record_platform_tick,
                       every=timedelta(hours=1))


@pytest.fixture(autouse=True)
def _immediate_and_clean(db):
    connection.set_schema_to_public()
    # Only the session's alpha and beta take part: utilities that other modules committed
    # (browser tests, the demo) are suspended for the test, inside its transaction.
    from tenants.models import Utility

    Utility.objects.exclude(schema_name__in=["public", "u_alpha", "u_beta"]).update(
        state="suspended")
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(probe_tasks.probe_key("ticks"))
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield
    client.delete(probe_tasks.probe_key("ticks"))


def _ticks() -> list[str]:
    raw = redis.Redis.from_url(REDIS_URL).lrange(probe_tasks.probe_key("ticks"), 0, -1)
    return sorted(value.decode() for value in raw)


def _tick(commit, now, jobs=(HOURLY,)):
    with commit(execute=True):
        return scheduler_tick(now=now, jobs=list(jobs))


def test_each_active_tenant_gets_the_job_in_its_own_schema(
        utility_a, utility_b, django_capture_on_commit_callbacks):
    fired = _tick(django_capture_on_commit_callbacks, T0)
    assert sorted(fired) == [("test.tick", "u_alpha"), ("test.tick", "u_beta")]
    assert _ticks() == ["u_alpha", "u_beta"]
    assert connection.schema_name == "public"  # the scheduler itself stays in public


def test_a_job_runs_once_per_period(utility_a, utility_b, django_capture_on_commit_callbacks):
    _tick(django_capture_on_commit_callbacks, T0)
    assert _tick(django_capture_on_commit_callbacks, T0 + timedelta(minutes=59)) == []
    assert len(_tick(django_capture_on_commit_callbacks, T0 + timedelta(minutes=60))) == 2
    assert _ticks() == ["u_alpha", "u_alpha", "u_beta", "u_beta"]


def test_suspended_tenant_gets_nothing(utility_a, utility_b,
                                       django_capture_on_commit_callbacks):
    utility_b.state = "suspended"
    utility_b.save(update_fields=["state"])
    assert _tick(django_capture_on_commit_callbacks, T0) == [("test.tick", "u_alpha")]
    assert _ticks() == ["u_alpha"]


def test_platform_wide_job_runs_once_in_public(utility_a,
                                               django_capture_on_commit_callbacks):
    fired = _tick(django_capture_on_commit_callbacks, T0, jobs=(PLATFORM,))
    assert fired == [("test.platform", "public")]
    assert _ticks() == ["platform:public"]


def test_features_register_jobs_and_the_command_runs_them(
        utility_a, utility_b, django_capture_on_commit_callbacks, capsys):
    jobs = registered_jobs()
    names = {job.name for job in jobs}
    assert {"notifications.flush_outbox", "notifications.debt_reminders",
            "meters.reading_reminders", "identity.clear_sessions", "devices.purge_sessions",
            "platform.clear_sessions"} <= names
    runs = sum(1 if job.task.platform_wide else 2 for job in jobs)  # alpha and beta
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once")
    out = capsys.readouterr().out
    assert "notifications.flush_outbox every 0:01:00" in out
    assert f"enqueued {runs} job runs" in out


def test_fan_out_through_a_real_worker(engine, utility_a, utility_b, in_schema,
                                       django_capture_on_commit_callbacks):
    """The same fan-out on Celery and Dramatiq: each worker run sees its tenant's schema."""
    from tests.tasks.conftest import wait_for

    with override_settings(TASKS=tasks_setting(engine, REDIS_URL)):
        fired = _tick(django_capture_on_commit_callbacks, T0)
    assert len(fired) == 2
    assert wait_for(lambda: _ticks() == ["u_alpha", "u_beta"], timeout=60)


def test_staff_console_pages_for_texts_and_settings(utility_a, client_a):
    staff_login(client_a, utility_a, "admin@alpha.test")
    for path in ("/staff/notifications/messagetemplate/add/",
                 "/staff/notifications/notificationsettings/add/",
                 "/staff/notifications/notification/"):
        assert client_a.get(path).status_code == 200, path
