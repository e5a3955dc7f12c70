"""The task layer: django-tasks is the interface, Celery / Dramatiq / in-process are the
engines (docs/adr/0004-task-layer.md). Declare a task with `lk_platform.tasks.task`."""

from lk_platform.tasks.base import (
    LkTask,
    PermanentTaskError,
    TenantContextError,
    on_commit_in_schema,
    task,
)

__all__ = ["LkTask", "PermanentTaskError", "TenantContextError", "on_commit_in_schema", "task"]
