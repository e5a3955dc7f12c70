"""Real workers for the task-layer tests: a Celery or Dramatiq worker process on the
test database and the local Redis / RabbitMQ. Under CI=true a missing broker fails the
run instead of skipping it (there is no skip anywhere here: the fixture raises)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import ARTIFACTS, ROOT, _test_database_url

REDIS_URL = os.environ.get("LK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBIT_URL = os.environ.get("LK_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
QUEUES = ["default", "notifications", "periodic"]
BACKENDS = {
    "celery": "lk_platform.tasks.celery_backend.CeleryBackend",
    "dramatiq": "lk_platform.tasks.dramatiq_backend.DramatiqBackend",
}


def broker_reachable(url: str) -> None:
    """Raise (fail the test) when the broker is missing: a skipped broker test would let a
    broken task layer pass CI."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    port = parsed.port or (6379 if parsed.scheme.startswith("redis") else 5672)
    try:
        socket.create_connection((parsed.hostname, port), timeout=2).close()
    except OSError as exc:
        raise RuntimeError(f"broker {parsed.hostname}:{port} unreachable ({exc}); "
                           "task tests need a real Redis/RabbitMQ") from exc


def tasks_setting(engine: str, broker_url: str) -> dict:
    if engine == "immediate":
        backend = "lk_platform.tasks.immediate.OnCommitImmediateBackend"
        return {"default": {"BACKEND": backend, "QUEUES": QUEUES, "OPTIONS": {}}}
    return {"default": {"BACKEND": BACKENDS[engine], "QUEUES": QUEUES,
                        "OPTIONS": {"BROKER_URL": broker_url,
                                    "NAMESPACE": settings.TASK_NAMESPACE}}}


def worker_command(engine: str) -> list[str]:
    if engine == "celery":
        # A node name of its own: RabbitMQ keeps each node's control queue exclusive, and
        # other test runs or helpers may run a worker on this host at the same time.
        return [sys.executable, "-m", "celery", "-A", "lk_platform.celery_app", "worker",
                "-P", "threads", "-c", "4", "-l", "info", "--without-gossip",
                "--without-mingle", "--without-heartbeat",
                # A node name of this run's own: the remote-control queue is named after it,
                # and two runs sharing a broker must not fight over one exclusive queue.
                "-n", f"{settings.TASK_NAMESPACE}@%h"]
    return [sys.executable, "-m", "dramatiq", "lk_platform.dramatiq_app", "--processes",
            "1", "--threads", "4"]


class Worker:
    """A worker subprocess that can be stopped and started again (broker down / back)."""

    def __init__(self, engine: str, broker_url: str, extra_env: dict | None = None) -> None:
        self.engine, self.broker_url, self.proc = engine, broker_url, None
        self.extra_env = extra_env or {}

    def start(self) -> Worker:
        env = {**os.environ, "DATABASE_URL": _test_database_url(), "LK_TESTING": "1",
               "TASK_ENGINE": self.engine, "BROKER_URL": self.broker_url,
               "TASK_NAMESPACE": settings.TASK_NAMESPACE, "LK_TEST_REDIS_URL": REDIS_URL,
               "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}", "DB_CONN_MAX_AGE": "0",
               "EMAIL_FILE_PATH": str(settings.EMAIL_FILE_PATH), **self.extra_env}
        ARTIFACTS.mkdir(exist_ok=True)
        scheme = self.broker_url.split(":")[0]
        self.log = open(ARTIFACTS / f"worker-{self.engine}-{scheme}.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(worker_command(self.engine), cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        self.log.close()


_workers: dict[tuple[str, str], Worker] = {}


@pytest.fixture(scope="session")
def worker_pool(django_db_setup):
    yield _workers
    for worker in _workers.values():
        worker.stop()
    _forget_broker_state()


def _forget_broker_state() -> None:
    """This run's keys and queues carry its namespace; remove them from the shared broker."""
    import pika
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{settings.TASK_NAMESPACE}*"):
        client.delete(key)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
    except Exception:
        return
    channel = connection.channel()
    for queue in QUEUES:
        channel.queue_delete(f"{settings.TASK_NAMESPACE}.celery.{queue}")
        channel.exchange_delete(f"{settings.TASK_NAMESPACE}.celery.{queue}")
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(f"{settings.TASK_NAMESPACE}.dramatiq.{queue}{suffix}")
    connection.close()


def running_worker(pool, engine: str, broker_url: str, extra_env: dict | None = None
                   ) -> Worker:
    broker_reachable(broker_url)
    key = (engine, broker_url)
    if key not in pool or pool[key].proc is None:
        pool[key] = Worker(engine, broker_url, extra_env).start()
    return pool[key]


@pytest.fixture(params=["celery", "dramatiq"])
def engine(request, worker_pool):
    """The same test body runs on both engines against the local Redis."""
    running_worker(worker_pool, request.param, REDIS_URL)
    with override_settings(TASKS=tasks_setting(request.param, REDIS_URL)):
        yield request.param


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
