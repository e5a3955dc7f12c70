"""Periodic jobs of the billing exchange (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.billing.tasks import billing_fail_abandoned_imports, billing_pull
from lk_platform.scheduler import register

# Every active utility gets the job; one without a pull URL answers from one query, and an
# unchanged package is skipped by its ETag or checksum before anything is imported.
register("billing.pull", billing_pull, every=timedelta(minutes=30))
# A run left `running` by a worker that died is marked failed (services.py).
register("billing.abandoned_imports", billing_fail_abandoned_imports,
         every=timedelta(minutes=10))
