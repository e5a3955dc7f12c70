"""Thin tasks: a service call; enqueued per utility by the scheduler."""

from __future__ import annotations

from lk_core.meters import services
from lk_platform.tasks import task


@task(queue_name="periodic", time_limit=600)
def send_reading_reminders() -> int:
    return services.reading_reminders_send()
