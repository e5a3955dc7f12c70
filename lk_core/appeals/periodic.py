"""Periodic jobs of appeals (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.appeals.tasks import flush_appeal_deliveries
from lk_platform.scheduler import register

register("appeals.flush_deliveries", flush_appeal_deliveries, every=timedelta(minutes=1))
