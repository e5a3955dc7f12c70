"""django-tasks backend that sends to Dramatiq (lk_platform.tasks.dramatiq_setup)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult
from dramatiq import Message

from lk_platform.tasks.base import LkBackendMixin
from lk_platform.tasks.dramatiq_setup import (
    SCHEMA_OPTION,
    actor_name,
    dramatiq_broker_for,
    queue_name,
)


def backend_queues() -> tuple[str, ...]:
    return tuple(settings.TASKS["default"].get("QUEUES", ["default"]))


class DramatiqBackend(LkBackendMixin, BaseTaskBackend):
    supports_defer = True

    def broker(self):
        return dramatiq_broker_for(self.options["BROKER_URL"], self.options["NAMESPACE"],
                                   backend_queues())

    def send(self, result: TaskResult, schema: str) -> None:
        task_obj = result.task
        delay = None
        if task_obj.run_after is not None:
            delay = max(0, int((task_obj.run_after - timezone.now()).total_seconds() * 1000))
        message = Message(
            queue_name=queue_name(self.options["NAMESPACE"], task_obj.queue_name),
            actor_name=actor_name(task_obj.queue_name),
            args=(task_obj.module_path, result.args, result.kwargs), kwargs={},
            options={SCHEMA_OPTION: schema, "max_retries": task_obj.max_retries,
                     "min_backoff": int(task_obj.retry_backoff * 1000),
                     "max_backoff": int(task_obj.retry_backoff_max * 1000),
                     "time_limit": int(task_obj.time_limit * 1000)},
            message_id=result.id,
        )
        self.broker().enqueue(message, delay=delay)
