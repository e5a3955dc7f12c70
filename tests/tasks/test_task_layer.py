"""One task definition, two engines: the same tests on Celery and on Dramatiq against the
local Redis, with a real worker process; and the in-process engine of the demo."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from django.db import connection, transaction
from django.test import override_settings

from lk_platform.tasks import TenantContextError
from tests.tasks import probe_tasks
from tests.tasks.conftest import (
    RABBIT_URL,
    REDIS_URL,
    running_worker,
    tasks_setting,
    wait_for,
)


def _runs(tokens: set[str], timeout: float = 30.0) -> dict[str, dict]:
    client = redis.Redis.from_url(REDIS_URL)

    def collected():
        rows = [json.loads(raw) for raw in client.lrange(probe_tasks.probe_key("runs"), 0, -1)]
        found = {row["token"]: row for row in rows if row["token"] in tokens}
        return found if len(found) == len(tokens) else None

    return wait_for(collected, timeout)


def _attempts(token: str) -> int:
    value = redis.Redis.from_url(REDIS_URL).get(probe_tasks.probe_key(f"attempts:{token}"))
    return int(value or 0)


def _token() -> str:
    return uuid.uuid4().hex


def test_two_tenants_interleaved_each_runs_in_its_own_schema(
        engine, utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    expected = {}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            for utility in (utility_a, utility_b):
                token = _token()
                expected[token] = utility.schema_name
                with in_schema(utility):
                    probe_tasks.record_schema.enqueue(token)
    runs = _runs(set(expected))
    for token, schema in expected.items():
        assert runs[token]["schema"] == schema
        assert runs[token]["db_schema"] == schema  # the search_path, not just a label
    assert {runs[t]["tenant"] for t in expected} == {utility_a.slug, utility_b.slug}


def test_tenant_task_from_public_is_refused_at_enqueue(engine, db):
    connection.set_schema_to_public()
    with pytest.raises(TenantContextError):
        probe_tasks.record_schema.enqueue(_token())


def test_platform_wide_task_runs_in_public_even_from_a_tenant(
        engine, utility_a, in_schema, django_capture_on_commit_callbacks):
    token = _token()
    with django_capture_on_commit_callbacks(execute=True), in_schema(utility_a):
        probe_tasks.record_platform.enqueue(token)
    assert _runs({token})[token]["db_schema"] == "public"


def test_retries_with_backoff_get_a_flaky_task_through(
        engine, utility_b, in_schema, django_capture_on_commit_callbacks):
    token = _token()
    with django_capture_on_commit_callbacks(execute=True), in_schema(utility_b):
        probe_tasks.flaky.enqueue(token, 2)
    assert _runs({token})[token]["schema"] == utility_b.schema_name
    assert _attempts(token) == 3


def test_permanent_error_is_not_retried(engine, utility_a, in_schema,
                                        django_capture_on_commit_callbacks):
    token, marker = _token(), _token()
    with django_capture_on_commit_callbacks(execute=True), in_schema(utility_a):
        probe_tasks.permanent_failure.enqueue(token)
        probe_tasks.record_schema.enqueue(marker)  # same queue, after it
    _runs({marker})
    wait_for(lambda: _attempts(token) >= 1)
    assert _attempts(token) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(engine, utility_a, in_schema):
    token, marker = _token(), _token()
    with in_schema(utility_a), pytest.raises(RuntimeError), transaction.atomic():
        probe_tasks.record_schema.enqueue(token)
        raise RuntimeError("the event failed")
    # pytest-django's outer transaction never commits; run the marker after commit by hand.
    from django_tasks import default_task_backend

    with in_schema(utility_a):
        result = probe_tasks.record_schema.enqueue(marker)
    default_task_backend.send(result, utility_a.schema_name)
    runs = _runs({marker})
    assert token not in runs


def test_a_message_naming_public_for_a_tenant_task_never_runs(
        engine, utility_a, in_schema):
    """A forged or misrouted message (schema `public`) is refused by the worker."""
    from django_tasks import default_task_backend

    token, ghost, marker = _token(), _token(), _token()
    with in_schema(utility_a):
        forged = probe_tasks.record_schema.enqueue(token)
        unknown = probe_tasks.record_schema.enqueue(ghost)
        good = probe_tasks.record_schema.enqueue(marker)
    default_task_backend.send(forged, "public")
    default_task_backend.send(unknown, "u_no_such_utility")
    default_task_backend.send(good, utility_a.schema_name)
    runs = _runs({marker})
    assert token not in runs and ghost not in runs


@pytest.mark.parametrize("rabbit_engine", ["celery", "dramatiq"])
def test_rabbitmq_broker_runs_tenant_tasks(rabbit_engine, worker_pool, utility_a, utility_b,
                                           in_schema, django_capture_on_commit_callbacks):
    running_worker(worker_pool, rabbit_engine, RABBIT_URL)
    tokens = {}
    with override_settings(TASKS=tasks_setting(rabbit_engine, RABBIT_URL)), \
            django_capture_on_commit_callbacks(execute=True):
        for utility in (utility_a, utility_b):
            token = _token()
            tokens[token] = utility.schema_name
            with in_schema(utility):
                probe_tasks.record_schema.enqueue(token)
    runs = _runs(set(tokens), timeout=60)
    assert {t: r["db_schema"] for t, r in runs.items()} == tokens


def test_dramatiq_time_limit_stops_a_runaway_task(worker_pool, utility_a, in_schema,
                                                   django_capture_on_commit_callbacks):
    """Dramatiq enforces `time_limit` in its thread workers (Celery does in the prefork
    pool production uses; the tests' threads pool cannot interrupt a thread)."""
    running_worker(worker_pool, "dramatiq", REDIS_URL)
    token, marker = _token(), _token()
    with override_settings(TASKS=tasks_setting("dramatiq", REDIS_URL)), \
            django_capture_on_commit_callbacks(execute=True), in_schema(utility_a):
        probe_tasks.runaway.enqueue(token)
        probe_tasks.record_schema.enqueue(marker)
    _runs({marker})
    wait_for(lambda: _attempts(token) >= 1)
    import time

    time.sleep(4)  # the task would have reported by now, had it not been stopped
    assert token not in _runs({marker})
    assert _attempts(token) == 1  # max_retries=0: stopped, not run again


@override_settings(TASKS=tasks_setting("immediate", ""))
def test_immediate_engine_runs_after_commit_in_the_tenant_schema(
        utility_b, in_schema, django_capture_on_commit_callbacks):
    token = _token()
    with in_schema(utility_b):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = probe_tasks.record_schema.enqueue(token)
        assert not result.is_finished  # nothing ran inside the transaction
        with django_capture_on_commit_callbacks(execute=True):  # "the commit"
            for callback in callbacks:
                callback()
        assert connection.schema_name == utility_b.schema_name  # caller's schema kept
    assert result.status == "SUCCESSFUL"
    assert _runs({token}, timeout=1)[token]["db_schema"] == utility_b.schema_name


@override_settings(TASKS=tasks_setting("immediate", ""))
def test_immediate_engine_refuses_public_too(db):
    connection.set_schema_to_public()
    with pytest.raises(TenantContextError):
        probe_tasks.record_schema.enqueue(_token())


def test_a_missing_broker_fails_the_task_tests_instead_of_skipping_them():
    """What the worker fixtures do when Redis/RabbitMQ is absent (CI=true or not)."""
    from tests.tasks.conftest import broker_reachable

    with pytest.raises(RuntimeError, match="unreachable"):
        broker_reachable("redis://127.0.0.1:9/0")
    broker_reachable(REDIS_URL)  # and the real one is there
