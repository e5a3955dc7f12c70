"""Reads of the meters app that other features need."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from lk_core.billing.models import Account
from lk_core.meters.models import Meter, Reading, ReadingSource
from lk_core.meters.windows import ReadingWindow


def accounts_for_reading_reminder(*, window: ReadingWindow, today: dt.date,
                                  missing_only: bool = False) -> list[Account]:
    """Open accounts with a registered resident and a meter that takes readings `today`
    (not removed, verification not expired: what `meter_refusal` refuses). With
    `missing_only`, only accounts where such a meter has no reading in the window yet
    (an estimate does not count: it is what the utility books when nobody submitted)."""
    from lk_core.identity.models import ResidentAccount

    meters = Meter.objects.filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=today),
        Q(verified_until__isnull=True) | Q(verified_until__gte=today),
        account=OuterRef("pk"))
    if missing_only:
        read = Reading.objects.filter(meter=OuterRef("pk"),
                                      taken_on__range=(window.opens_on, window.closes_on)
                                      ).exclude(source=ReadingSource.ESTIMATE)
        meters = meters.filter(~Exists(read))
    registered = ResidentAccount.objects.filter(account=OuterRef("pk"),
                                                resident__user__is_active=True)
    return list(Account.objects.filter(Exists(meters), Exists(registered), status="open")
                .order_by("pk"))
