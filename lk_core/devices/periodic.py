"""Periodic jobs of devices (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.devices.tasks import purge_device_sessions
from lk_platform.scheduler import register

# Ended API sessions (revoked or expired a month ago) are deleted (housekeeping).
register("devices.purge_sessions", purge_device_sessions, every=timedelta(days=1))
