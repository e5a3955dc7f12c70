"""Periodic jobs of payments (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.payments.tasks import reconcile_payments, run_autopay
from lk_platform.scheduler import register

# Pending payments older than PAYMENTS_PENDING_RECONCILE_MINUTES are asked about; stuck
# webhook events are processed again.
register("payments.reconcile", reconcile_payments, every=timedelta(minutes=5))
# Hourly: notices and charges go out on the day in the utility's time zone; an invoice is
# charged at most once however often this runs (lk_core.payments.autopay).
register("payments.autopay", run_autopay, every=timedelta(hours=1))
