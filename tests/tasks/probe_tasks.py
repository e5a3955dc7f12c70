"""Tasks used by the task-layer tests. They report where they ran into a Redis list, so
a test can see what a worker in another process did."""

from __future__ import annotations

import json
import os

import redis
from django.conf import settings
from django.db import connection

from lk_platform.tasks import PermanentTaskError, task

REDIS_URL = os.environ.get("LK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def probe_key(name: str) -> str:
    return f"{settings.TASK_NAMESPACE}:probe:{name}"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def _report(token: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        current = cursor.fetchone()[0]
    _redis().rpush(probe_key("runs"), json.dumps(
        {"token": token, "schema": connection.schema_name, "db_schema": current,
         "tenant": getattr(connection.tenant, "slug", None)}))


@task()
def record_schema(token: str) -> None:
    _report(token)


@task(platform_wide=True, queue_name="periodic")
def record_platform(token: str) -> None:
    _report(token)


@task(max_retries=3, retry_backoff=0.2)
def flaky(token: str, failures: int) -> None:
    """Fails `failures` times, then reports: retries must get it through."""
    attempts = _redis().incr(probe_key(f"attempts:{token}"))
    if attempts <= failures:
        raise ConnectionError(f"attempt {attempts} fails on purpose")
    _report(token)


@task(max_retries=3, retry_backoff=0.2)
def permanent_failure(token: str) -> None:
    _redis().incr(probe_key(f"attempts:{token}"))
    raise PermanentTaskError("nothing a retry could fix")


@task(max_retries=0, time_limit=1)
def runaway(token: str) -> None:
    """Would report after 3 s; its time limit is 1 s."""
    import time

    _redis().incr(probe_key(f"attempts:{token}"))
    for _ in range(30):
        time.sleep(0.1)
    _report(token)


@task(queue_name="periodic")
def record_tick() -> None:
    """A periodic job for the scheduler tests: reports the schema it was fanned out to."""
    _redis().rpush(probe_key("ticks"), connection.schema_name)


@task(platform_wide=True, queue_name="periodic")
def record_platform_tick() -> None:
    _redis().rpush(probe_key("ticks"), f"platform:{connection.schema_name}")
