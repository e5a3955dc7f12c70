"""Periodic jobs of notifications (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.notifications.tasks import flush_outbox, send_debt_reminders
from lk_platform.scheduler import register

register("notifications.flush_outbox", flush_outbox, every=timedelta(minutes=1))
# Hourly; the service sends only on the utility's reminder day and dedupes per month.
register("notifications.debt_reminders", send_debt_reminders, every=timedelta(hours=1))
