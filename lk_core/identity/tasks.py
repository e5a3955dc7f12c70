"""Thin tasks: a service call; enqueued per utility by the scheduler."""

from __future__ import annotations

from lk_core.identity import services
from lk_platform.tasks import task


@task(queue_name="periodic", time_limit=600)
def clear_expired_sessions() -> dict[str, int]:
    return services.sessions_clear_expired()
