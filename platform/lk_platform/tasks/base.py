"""What every engine shares: the task class with its retry policy, the tenant guard at
enqueue time and the schema a message runs in at execution time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.module_loading import import_string
from django.utils.version import PY311
from django_tasks import task as django_task
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks.utils import get_random_id
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context


class TenantContextError(Exception):
    """A message without a valid tenant schema: never retried, never run in `public`."""


class PermanentTaskError(Exception):
    """Raised by a task body when running it again cannot help (bad data, gone object)."""


NOT_RETRIED = (TenantContextError, PermanentTaskError)


@dataclass(frozen=True, slots=PY311, kw_only=True)  # type: ignore[literal-required]
class LkTask(Task):
    """A django-tasks Task plus what our engines need to run it safely."""

    platform_wide: bool = False  # runs in `public`; anything else needs a tenant
    max_retries: int = 5
    retry_backoff: float = 5.0  # seconds before the first retry, doubled each time
    retry_backoff_max: float = 30 * 60.0
    time_limit: float = 5 * 60.0  # seconds; the engine kills the attempt after this

    def backoff(self, retries_done: int) -> float:
        return min(self.retry_backoff * (2**retries_done), self.retry_backoff_max)


def task(function=None, **options):
    """`@task(queue_name=..., max_retries=..., platform_wide=...)`: django-tasks' decorator;
    the backends set `task_class = LkTask`, so the extra options are accepted."""
    return django_task(function, **options) if function else django_task(**options)


def validate_lk_task(task_obj: Task) -> None:
    if not isinstance(task_obj, LkTask):
        raise InvalidTaskError("Declare tasks with lk_platform.tasks.task.")
    if task_obj.takes_context:
        raise InvalidTaskError("Tasks here take ids, not a context; see docs/tasks.md.")


def schema_for_enqueue(task_obj: LkTask) -> str:
    """The schema the message will carry. A tenant-scoped task enqueued from `public`
    is a bug (a scheduler that forgot `schema_context`), so it is refused here."""
    public = get_public_schema_name()
    if task_obj.platform_wide:
        return public
    schema = connection.schema_name
    if schema == public:
        raise TenantContextError(
            f"{task_obj.module_path} is tenant-scoped but was enqueued from the public "
            "schema; enqueue it inside the tenant's schema_context.")
    return schema


def new_result(task_obj: Task, args, kwargs, backend: str) -> TaskResult:
    return TaskResult(task=task_obj, id=get_random_id(), status=TaskResultStatus.READY,
                      enqueued_at=None, started_at=None, last_attempted_at=None,
                      finished_at=None, args=args, kwargs=kwargs, backend=backend,
                      errors=[], worker_ids=[])


@contextmanager
def task_schema(task_obj: LkTask, schema: str) -> Iterator[None]:
    """Enter the schema a message carries, checking it fits the task."""
    public = get_public_schema_name()
    if task_obj.platform_wide:
        if schema != public:
            raise TenantContextError(f"{task_obj.module_path} is platform-wide, got {schema}")
        with schema_context(public):
            yield
        return
    if not schema or schema == public:
        raise TenantContextError(f"{task_obj.module_path} refused to run in `public`.")
    from tenants.models import Utility

    with schema_context(public):
        tenant = Utility.objects.filter(schema_name=schema).first()
    if tenant is None:
        raise TenantContextError(f"No utility has schema {schema!r}.")
    with tenant_context(tenant):
        yield


def run_message(*, module_path: str, schema: str, args: list, kwargs: dict) -> Any:
    """The worker side of every engine: find the task, enter its schema, call it."""
    task_obj = import_string(module_path)
    validate_lk_task(task_obj)
    with task_schema(task_obj, schema):
        return task_obj.call(*args, **kwargs)


class LkBackendMixin:
    """Shared by the three backends: our task class, the tenant guard, and the send done
    after the surrounding transaction commits (at once outside one), so a worker never
    sees an id whose row is not committed yet, and a rolled-back event sends nothing."""

    task_class = LkTask

    def validate_task(self, task_obj: Task) -> None:
        super().validate_task(task_obj)
        validate_lk_task(task_obj)

    def enqueue(self, task_obj: Task, args, kwargs) -> TaskResult:
        self.validate_task(task_obj)
        schema = schema_for_enqueue(task_obj)  # captured now: on_commit may run elsewhere
        result = new_result(task_obj, args, kwargs, self.alias)
        transaction.on_commit(lambda: self.send(result, schema), using="default")
        return result

    def send(self, result: TaskResult, schema: str) -> None:
        raise NotImplementedError


def on_commit_in_schema(callback) -> None:
    """transaction.on_commit, run in the schema active now: a transaction that outlives a
    `schema_context` (or a callback run after the task that wrote the rows) must not act,
    and enqueue tasks, in another utility's schema or in `public`."""
    schema = connection.schema_name

    def run() -> None:
        with schema_context(schema):
            callback()

    transaction.on_commit(run)
