"""Thin tasks: a service call; enqueued per utility by the scheduler."""

from __future__ import annotations

from lk_core.devices import services
from lk_platform.tasks import task


@task(queue_name="periodic", time_limit=600)
def purge_device_sessions() -> int:
    return services.device_sessions_purge()
