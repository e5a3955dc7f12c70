"""No broker (the demo, `make demo`): run the task in this process after commit, in the
schema the message carries, exactly as a worker would."""

from __future__ import annotations

from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult

from lk_platform.tasks.base import LkBackendMixin, task_schema


class OnCommitImmediateBackend(LkBackendMixin, ImmediateBackend):
    """No retries in-process (a request must not sleep); work that must survive a failure
    keeps its own state, like the notification outbox, whose flush job retries it."""

    def send(self, result: TaskResult, schema: str) -> None:
        with task_schema(result.task, schema):
            self._execute_task(result)
