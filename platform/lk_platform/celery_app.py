"""The Celery application: tenant-schemas-celery's app, which puts the current schema in
every message's headers and switches to it before the task runs.

Worker: `celery -A lk_platform.celery_app worker -l info` (docs/tasks.md)."""

from __future__ import annotations

import os
from functools import cache

import django
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lk_platform.settings")
if not apps.ready:  # the worker imports this module first; the web process has set up
    django.setup()

from django.conf import settings
from django.db import connection
from kombu import Queue
from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

from lk_platform.tasks.base import NOT_RETRIED, TenantContextError, run_message

RUNNER = "lk.run"


def queue_name(namespace: str, queue: str) -> str:
    # The engine in the name: Celery and Dramatiq sharing one broker never read each
    # other's queues.
    return f"{namespace}.celery.{queue}"


def _run(self, *, module_path: str, schema: str, args: list, kwargs: dict):
    """The one Celery task: runs any LkTask named in the message."""
    from django.utils.module_loading import import_string

    # tenant-schemas-celery has switched the connection from the header; a mismatch
    # means a misconfigured app, and the task must not run at all.
    if connection.schema_name != schema:
        raise TenantContextError(f"header schema {connection.schema_name!r} != {schema!r}")
    task_obj = import_string(module_path)
    try:
        return run_message(module_path=module_path, schema=schema, args=args, kwargs=kwargs)
    except NOT_RETRIED:
        raise
    except Exception as exc:
        retries = self.request.retries
        if retries >= task_obj.max_retries:
            raise
        raise self.retry(exc=exc, countdown=task_obj.backoff(retries),
                         max_retries=task_obj.max_retries) from exc


@cache
def celery_app_for(broker_url: str, namespace: str) -> TenantAwareCeleryApp:
    app = TenantAwareCeleryApp("lk_platform", set_as_current=False)
    queues = settings.TASKS["default"].get("QUEUES", ["default"])
    app.conf.update(
        broker_url=broker_url,
        broker_connection_retry_on_startup=True,
        task_serializer="json", accept_content=["json"], result_backend=None,
        task_ignore_result=True,
        # A message is acknowledged after the task ran, so a worker that dies mid-task
        # leaves it on the queue: tasks are written to be safe to run twice.
        task_acks_late=True, task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        task_queues=[Queue(queue_name(namespace, q)) for q in queues],
        task_default_queue=queue_name(namespace, "default"),
        broker_transport_options={"global_keyprefix": f"{namespace}.celery:"}
        if broker_url.startswith("redis") else {},
        worker_hijack_root_logger=False,
    )
    app.task(name=RUNNER, bind=True)(_run)
    return app


app = celery_app_for(settings.BROKER_URL or "memory://", settings.TASK_NAMESPACE)
