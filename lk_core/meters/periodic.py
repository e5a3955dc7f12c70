"""Periodic jobs of meters (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.meters.tasks import send_reading_reminders
from lk_platform.scheduler import register

# Hourly: the service acts only on the window's days in the utility's own time zone and
# sends each reminder once per window and account.
register("meters.reading_reminders", send_reading_reminders, every=timedelta(hours=1))
