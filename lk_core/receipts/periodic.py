"""Periodic jobs of receipts (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.receipts.tasks import send_period_receipts
from lk_platform.scheduler import register

# Hourly: residents who chose paperless since the last run get the latest period's
# receipt; everyone else already has theirs (one outbox row per account and period).
register("receipts.bulk_run", send_period_receipts, every=timedelta(hours=1))
