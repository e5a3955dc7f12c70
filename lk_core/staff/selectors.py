"""Reads for the staff console. Each returns what a page shows in a fixed number of
queries, whatever the size of the tenant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from lk_core.appeals.models import OPEN_STATUSES, Appeal
from lk_core.billing.models import Account, Payment
from lk_core.identity.models import Resident
from lk_core.meters.models import Reading


@dataclass(frozen=True)
class Overview:
    accounts: int
    registered_residents: int
    readings_this_month: int
    payments_this_month: int
    paid_this_month: object  # Decimal
    open_appeals: int = 0
    open_emergencies: int = 0


def month_start(today: dt.date) -> dt.date:
    return today.replace(day=1)


def overview_get(*, utility) -> Overview:
    """Five queries: accounts, residents, readings and payments of the current month (in
    the utility's time zone), open appeals (with the emergencies among them)."""
    today = timezone.localdate(timezone=utility.tzinfo)
    start = month_start(today)
    accounts = Account.objects.count()
    residents = Resident.objects.filter(blocked_at__isnull=True).count()
    readings = Reading.objects.filter(taken_on__gte=start, taken_on__lte=today).count()
    payments = Payment.objects.filter(paid_on__gte=start, paid_on__lte=today).aggregate(
        n=Count("id"), total=Sum("amount"))
    appeals = Appeal.objects.filter(status__in=OPEN_STATUSES).aggregate(
        n=Count("id"), emergencies=Count("id", filter=Q(is_emergency=True)))
    return Overview(accounts=accounts, registered_residents=residents,
                    readings_this_month=readings, payments_this_month=payments["n"],
                    paid_this_month=payments["total"] or 0, open_appeals=appeals["n"],
                    open_emergencies=appeals["emergencies"])
