"""What a receipt shows: one account's invoice for one period, its charges and the meter
readings of that period. Four queries, whatever the history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404

from lk_core.billing.models import Account, ChargeLine, Invoice
from lk_core.meters.models import Meter, Reading
from lk_core.portal.selectors import month_add

READING_LOOKBACK_MONTHS = 6


@dataclass(frozen=True)
class ReceiptMeterRow:
    meter: Meter
    previous: Reading | None
    current: Reading | None

    @property
    def consumption(self) -> Decimal | None:
        if self.previous is None or self.current is None:
            return None
        used = self.current.t1 - self.previous.t1
        return used + (Decimal(10) ** self.meter.digits if used < 0 else 0)


@dataclass(frozen=True)
class ReceiptData:
    account: Account
    invoice: Invoice
    charges: list[ChargeLine]
    meters: list[ReceiptMeterRow]

    @property
    def charges_amount(self) -> Decimal:
        return sum((c.amount for c in self.charges), Decimal("0.00"))

    @property
    def charges_recalculation(self) -> Decimal:
        return sum((c.recalculation for c in self.charges), Decimal("0.00"))


def receipt_data(*, account: Account, period: dt.date) -> ReceiptData:
    period = period.replace(day=1)
    invoice = Invoice.objects.filter(account=account, period=period).first()
    if invoice is None:
        raise Http404
    charges = list(ChargeLine.objects.filter(account=account, period=period)
                   .select_related("service").order_by("service__code"))
    meters = list(Meter.objects.filter(account=account, removed_on__isnull=True)
                  .select_related("service").order_by("service__code", "serial_number"))
    period_end = month_add(period, 1)
    by_meter: dict[int, list[Reading]] = defaultdict(list)
    for reading in Reading.objects.filter(
            meter__in=[m.pk for m in meters], taken_on__lt=period_end,
            taken_on__gte=month_add(period, -READING_LOOKBACK_MONTHS)).order_by(
            "meter_id", "-taken_on", "-id"):
        by_meter[reading.meter_id].append(reading)
    rows = []
    for meter in meters:
        readings = by_meter[meter.pk]
        current = readings[0] if readings and readings[0].taken_on >= period else None
        previous = readings[1] if current and len(readings) > 1 else (
            readings[0] if readings and current is None else None)
        rows.append(ReceiptMeterRow(meter, previous, current))
    return ReceiptData(account=account, invoice=invoice, charges=charges, meters=rows)
