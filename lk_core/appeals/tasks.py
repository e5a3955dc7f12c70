"""Thin tasks: ids in, a service call; enqueued on commit by the task layer."""

from __future__ import annotations

from lk_core.appeals import delivery
from lk_platform.tasks import task


@task(queue_name="notifications", max_retries=3, time_limit=120)
def deliver_appeal(delivery_id: int) -> str:
    return delivery.appeal_deliver(delivery_id=delivery_id)


@task(queue_name="periodic", time_limit=300)
def flush_appeal_deliveries() -> int:
    return delivery.deliveries_flush()
