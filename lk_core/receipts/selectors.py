"""What a receipt shows: one account's invoice for one period, its charges and the meter
readings of that period. Four queries, whatever the history and however many accounts."""

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
    """One account's receipt data; Http404 when it has no invoice for the period."""
    found = receipts_data(accounts=[account], period=period)
    if not found:
        raise Http404
    return found[0]


def receipts_data(*, accounts: list[Account], period: dt.date) -> list[ReceiptData]:
    """The receipt data of every given account that has an invoice for the period, in the
    order given. Four queries, however many accounts and however long their history."""
    period = period.replace(day=1)
    by_pk = {account.pk: account for account in accounts}
    invoices = {invoice.account_id: invoice for invoice in
                Invoice.objects.filter(account__in=list(by_pk), period=period)}
    if not invoices:
        return []
    charges: dict[int, list[ChargeLine]] = defaultdict(list)
    for line in (ChargeLine.objects.filter(account__in=list(invoices), period=period)
                 .select_related("service").order_by("account_id", "service__code")):
        charges[line.account_id].append(line)
    meters: dict[int, list[Meter]] = defaultdict(list)
    for meter in (Meter.objects.filter(account__in=list(invoices), removed_on__isnull=True)
                  .select_related("service")
                  .order_by("account_id", "service__code", "serial_number")):
        meters[meter.account_id].append(meter)
    readings = _readings_by_meter([m.pk for group in meters.values() for m in group], period)
    return [ReceiptData(account=account, invoice=invoices[account.pk],
                        charges=charges[account.pk],
                        meters=[_meter_row(meter, readings[meter.pk], period)
                                for meter in meters[account.pk]])
            for account in accounts if account.pk in invoices]


def _readings_by_meter(meter_ids: list[int], period: dt.date) -> dict[int, list[Reading]]:
    by_meter: dict[int, list[Reading]] = defaultdict(list)
    if not meter_ids:
        return by_meter
    for reading in Reading.objects.filter(
            meter__in=meter_ids, taken_on__lt=month_add(period, 1),
            taken_on__gte=month_add(period, -READING_LOOKBACK_MONTHS)).order_by(
            "meter_id", "-taken_on", "-id"):
        by_meter[reading.meter_id].append(reading)
    return by_meter


def _meter_row(meter: Meter, readings: list[Reading], period: dt.date) -> ReceiptMeterRow:
    """Newest first: the current reading is one taken in the period, the previous one the
    reading before it (or the latest one when nothing was taken in the period)."""
    current = readings[0] if readings and readings[0].taken_on >= period else None
    previous = readings[1] if current and len(readings) > 1 else (
        readings[0] if readings and current is None else None)
    return ReceiptMeterRow(meter, previous, current)


def paperless_account_ids(*, period: dt.date) -> list[int]:
    """Accounts with an invoice for the period whose registered resident (an active
    resident login) chose paperless receipts. Channel consent is the outbox's to apply."""
    from lk_core.identity.models import ResidentAccount
    from lk_core.portal.models import ResidentPreferences
    from lk_core.users.models import UserKind

    return list(ResidentAccount.objects.filter(
        resident__user__is_active=True, resident__user__kind=UserKind.RESIDENT,
        resident__user__in=ResidentPreferences.objects.filter(paperless_receipt=True)
        .values("user"),
        account__in=Invoice.objects.filter(period=period.replace(day=1)).values("account"),
    ).order_by("account_id").values_list("account_id", flat=True))


def latest_invoice_period() -> dt.date | None:
    return Invoice.objects.order_by("-period").values_list("period", flat=True).first()


def receipt_run_progress(*, run) -> dict[str, int]:
    """The run's e-mails in the outbox by status (pending, sending, sent, failed)."""
    from django.db.models import Count

    from lk_core.notifications.models import Notification

    counts = dict(Notification.objects.filter(batch_key=run.batch_key).values_list(
        "status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in ("pending", "sending", "sent",
                                                         "failed")}
