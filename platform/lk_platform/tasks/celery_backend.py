"""django-tasks backend that sends to Celery (lk_platform.celery_app)."""

from __future__ import annotations

from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult

from lk_platform.tasks.base import LkBackendMixin


class CeleryBackend(LkBackendMixin, BaseTaskBackend):
    supports_defer = True

    def app(self):
        from lk_platform.celery_app import celery_app_for

        return celery_app_for(self.options["BROKER_URL"], self.options["NAMESPACE"])

    def send(self, result: TaskResult, schema: str) -> None:
        from lk_platform.celery_app import RUNNER, queue_name

        task_obj = result.task
        self.app().send_task(
            RUNNER, task_id=result.id,
            kwargs={"module_path": task_obj.module_path, "schema": schema,
                    "args": result.args, "kwargs": result.kwargs},
            headers={"_schema_name": schema},
            queue=queue_name(self.options["NAMESPACE"], task_obj.queue_name),
            eta=task_obj.run_after,
            soft_time_limit=task_obj.time_limit, time_limit=task_obj.time_limit + 10,
        )
