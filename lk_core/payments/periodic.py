"""Periodic jobs of payments (lk_platform.scheduler fans them out per utility)."""

from datetime import timedelta

from lk_core.payments.tasks import reconcile_payments
from lk_platform.scheduler import register

# Pending payments older than PAYMENTS_PENDING_RECONCILE_MINUTES are asked about; stuck
# webhook events are processed again.
register("payments.reconcile", reconcile_payments, every=timedelta(minutes=5))
