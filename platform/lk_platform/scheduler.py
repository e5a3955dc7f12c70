"""One scheduler for periodic work, fanned out per tenant (docs/tasks.md).

A feature registers its job with one line in its app's `periodic.py`:

    register("billing_pull", pull_billing, every=timedelta(minutes=30))

`run_scheduler` ticks (SCHEDULER_TICK_SECONDS) and, for every job whose period has passed,
enqueues the job's task once per active utility, inside that utility's schema."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from lk_platform.models import ScheduledRun
from lk_platform.tasks import LkTask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: LkTask
    every: timedelta


_registry: dict[str, PeriodicJob] = {}


def register(name: str, task: LkTask, *, every: timedelta) -> PeriodicJob:
    """Declare a periodic job. Its task takes no arguments and is safe to run twice; a
    tenant-scoped task runs once per active utility, a platform-wide one once."""
    job = PeriodicJob(name=name, task=task, every=every)
    _registry[name] = job
    return job


def registered_jobs() -> list[PeriodicJob]:
    autodiscover_modules("periodic")
    return sorted(_registry.values(), key=lambda job: job.name)


def _targets(job: PeriodicJob, tenants: list) -> list:
    return [None] if job.task.platform_wide else tenants


def _claim_due(jobs: list[PeriodicJob], tenants: list, now: datetime) -> list[tuple]:
    """Mark due (job, tenant) pairs as run, under a lock so two schedulers agree."""
    public = get_public_schema_name()
    due = []
    with transaction.atomic():
        runs = {(r.job, r.schema_name): r for r in ScheduledRun.objects.select_for_update()
                .filter(job__in=[job.name for job in jobs])}
        for job in jobs:
            for tenant in _targets(job, tenants):
                schema = tenant.schema_name if tenant else public
                run = runs.get((job.name, schema))
                if run is not None and run.last_run_at + job.every > now:
                    continue
                if run is None:
                    ScheduledRun.objects.create(job=job.name, schema_name=schema,
                                                last_run_at=now)
                else:
                    run.last_run_at = now
                    run.save(update_fields=["last_run_at"])
                due.append((job, tenant))
    return due


def _enqueue(job: PeriodicJob, tenant) -> bool:
    try:
        if tenant is None:
            job.task.enqueue()
        else:
            with tenant_context(tenant):
                job.task.enqueue()
    except Exception:
        # Broker down: this period is missed for this job; the next one catches up (jobs
        # find their work in the database, e.g. the outbox flush finds every pending row).
        logger.exception("could not enqueue %s for %s", job.name,
                         tenant.schema_name if tenant else "public")
        return False
    return True


def scheduler_tick(*, now: datetime | None = None,
                   jobs: list[PeriodicJob] | None = None) -> list[tuple[str, str]]:
    """One tick: returns the (job, schema) pairs enqueued."""
    from tenants.models import Utility, UtilityState

    now = now or timezone.now()
    jobs = registered_jobs() if jobs is None else jobs
    with schema_context(get_public_schema_name()):
        tenants = list(Utility.objects.exclude(schema_name=get_public_schema_name())
                       .filter(state=UtilityState.ACTIVE).order_by("schema_name"))
        due = _claim_due(jobs, tenants, now)
    fired = []
    for job, tenant in due:
        if _enqueue(job, tenant):
            fired.append((job.name, tenant.schema_name if tenant else "public"))
    return fired
