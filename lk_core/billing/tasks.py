"""Thin tasks of the billing exchange: ids in, a service call; enqueued on commit."""

from __future__ import annotations

from django.conf import settings

from lk_core.billing import services
from lk_core.billing.interfaces import PullError
from lk_platform.tasks import PermanentTaskError, task


# One attempt: a failed import records its failure on the run, and importing the same
# package again is the caller's decision (the status URL tells it what happened).
@task(queue_name="default", max_retries=0, time_limit=3600)
def billing_import_run(run_id: int) -> str:
    return services.import_run_execute_queued(
        run_id=run_id, wait_seconds=settings.BILLING_PUSH_LOCK_WAIT)


@task(queue_name="periodic", max_retries=3, time_limit=3600)
def billing_pull() -> int:
    """Pull the tenant's package if it has a pull URL; returns the imports started."""
    try:
        runs = services.billing_pull_sources()
    except PullError as exc:
        if exc.retryable:
            raise
        raise PermanentTaskError(str(exc)) from exc
    return sum(run is not None for run in runs)


@task(queue_name="periodic", max_retries=0, time_limit=300)
def billing_fail_abandoned_imports() -> int:
    return services.import_runs_fail_abandoned()
