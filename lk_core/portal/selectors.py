"""Reads for the resident portal. Each function runs a fixed number of SQL queries, however
long the account's history is and however many meters it has (tests assert the counts)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, TruncMonth

from lk_core.appeals.models import OPEN_STATUSES, Appeal
from lk_core.billing.models import Account, ChargeLine, Invoice, Payment
from lk_core.meters.models import Meter, Reading
from lk_core.meters.services import ZONE_FIELDS, meter_refusal
from lk_core.meters.windows import WindowState, window_state
from lk_core.portal.models import Notice
from lk_core.users.models import User

ZERO = Decimal("0.00")
VERIFICATION_WARNING_DAYS = 60


def month_add(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- dashboard -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DashboardSummary:
    latest_invoice: Invoice | None
    balance: Decimal
    amount_due: Decimal
    due_date: dt.date | None
    paid_since_invoice: Decimal
    last_payment: Payment | None
    window: WindowState
    meters_due: list[Meter]
    open_appeals: list[Appeal]  # the latest ten
    notices: list[Notice]
    open_appeals_count: int = 0  # all of them
    overdue: bool = False  # the due date has passed with something still to pay


def _latest_invoice_with_payments(account: Account) -> Invoice | None:
    """The latest invoice with, in the same query, what was paid since its period ended
    and the account's last payment (each query costs a round trip on every page view)."""
    payments = Payment.objects.filter(account=OuterRef("account"))
    next_month = TruncMonth(ExpressionWrapper(OuterRef("period") + dt.timedelta(days=32),
                                              output_field=DateField()),
                            output_field=DateField())
    paid_since = (payments.filter(paid_on__gte=next_month).order_by()
                  .values("account").annotate(total=Sum("amount")).values("total"))
    last = payments.order_by("-paid_on", "-id")
    return (Invoice.objects.filter(account=account).order_by("-period")
            .annotate(paid_since=Coalesce(Subquery(paid_since), ZERO,
                                          output_field=DecimalField(max_digits=14,
                                                                    decimal_places=2)),
                      last_paid_on=Subquery(last.values("paid_on")[:1]),
                      last_paid_amount=Subquery(last.values("amount")[:1]))
            .first())


def dashboard_summary(*, account: Account | None, user, utility,
                      today: dt.date) -> DashboardSummary:
    """Four queries with an account that has invoices, one without an account."""
    window = window_state(today=today, start_day=utility.reading_window_start_day,
                          end_day=utility.reading_window_end_day)
    notices = list(Notice.objects.filter(Q(shown_until__isnull=True) | Q(shown_until__gte=today),
                                         shown_from__lte=today)[:5])
    if account is None:
        return DashboardSummary(None, ZERO, ZERO, None, ZERO, None, window, [], [], notices)
    invoice = _latest_invoice_with_payments(account)
    paid_since = invoice.paid_since if invoice else ZERO
    last_payment = (Payment(account=account, paid_on=invoice.last_paid_on,
                            amount=invoice.last_paid_amount) if invoice and invoice.last_paid_on
                    else None if invoice else
                    Payment.objects.filter(account=account).order_by("-paid_on", "-id").first())
    amount_due = invoice.amount_due if invoice else ZERO
    meters_due = list(Meter.objects.filter(
        account=account, removed_on__isnull=True,
        verified_until__lte=today + dt.timedelta(days=VERIFICATION_WARNING_DAYS),
    ).select_related("service").order_by("verified_until"))
    # The window count is computed before the LIMIT: the total rides on every row shown.
    appeals = list(Appeal.objects.filter(account=account, author=user,
                                         status__in=OPEN_STATUSES)
                   .annotate(open_total=Window(Count("id")))
                   .select_related("category").order_by("-created_at")[:10])
    return DashboardSummary(
        latest_invoice=invoice, balance=amount_due - paid_since, amount_due=amount_due,
        due_date=invoice.due_date if invoice else None, paid_since_invoice=paid_since,
        last_payment=last_payment, window=window, meters_due=meters_due,
        open_appeals=appeals, notices=notices,
        open_appeals_count=appeals[0].open_total if appeals else 0,
        overdue=bool(invoice and invoice.due_date and invoice.due_date < today
                     and amount_due - paid_since > 0))


def dashboard_cache_key(*, account: Account | None, user, today: dt.date,
                        tenant_version: int | None) -> str | None:
    """What the dashboard's data is keyed by while nothing it reads has changed: the
    account's and the utility's data versions, which every writer bumps in its own
    transaction (lk_core.billing.versions), the resident and the day (notices and
    verification warnings move with it). None when there is nothing to key by."""
    if account is None or tenant_version is None:
        return None
    return (f"portal:dashboard:{account.pk}:{account.data_version}:{tenant_version}:"
            f"{user.pk}:{today:%Y%m%d}")


# --- invoices ------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    paid_after: Decimal  # payments in the month after the period, when bills are paid
    status: str  # paid / partly / unpaid


def _payments_by_month(account: Account) -> dict[dt.date, Decimal]:
    totals: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for paid_on, amount in Payment.objects.filter(account=account).values_list("paid_on",
                                                                               "amount"):
        totals[paid_on.replace(day=1)] += amount
    return totals


def invoice_status(amount_due: Decimal, paid: Decimal) -> str:
    if amount_due <= 0 or paid >= amount_due:
        return "paid"
    return "partly" if paid > 0 else "unpaid"


def invoice_list(*, account: Account | None) -> list[InvoiceRow]:
    """Two queries: the invoices and the account's payments.

    An invoice counts as paid by the payments made in the month after its period (the
    bill arrives then and is due then); what is paid later shows in the next invoice's
    opening balance."""
    if account is None:
        return []
    invoices = list(Invoice.objects.filter(account=account).order_by("-period"))
    if not invoices:
        return []
    by_month = _payments_by_month(account)
    rows = []
    for invoice in invoices:
        paid = by_month.get(month_add(invoice.period, 1), ZERO)
        rows.append(InvoiceRow(invoice, paid, invoice_status(invoice.amount_due, paid)))
    return rows


@dataclass(frozen=True)
class ChargeRow:
    service_name: str
    unit: str
    quantity: Decimal | None
    tariff: Decimal | None
    amount: Decimal
    recalculation: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.recalculation


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    charges: list[ChargeRow]
    charges_total: Decimal
    recalculation_total: Decimal
    payments: list[Payment]  # made during the month after the period
    paid_after: Decimal
    status: str

    @property
    def has_recalculation(self) -> bool:
        """Whether any service was recalculated (a phone hides an all-zero column)."""
        return any(row.recalculation for row in self.charges)


def _charge_row(line: ChargeLine) -> ChargeRow:
    return ChargeRow(line.service.name, line.service.unit, line.quantity, line.tariff,
                     line.amount, line.recalculation)


def invoice_detail(*, invoice: Invoice) -> InvoiceDetail:
    """Two queries (the invoice itself comes from the access helper)."""
    lines = ChargeLine.objects.filter(account_id=invoice.account_id,
                                      period=invoice.period).select_related("service")
    charges = [_charge_row(line) for line in lines.order_by("service__code")]
    payments = list(Payment.objects.filter(
        account_id=invoice.account_id, paid_on__gte=month_add(invoice.period, 1),
        paid_on__lt=month_add(invoice.period, 2)).order_by("paid_on", "id"))
    paid = sum((p.amount for p in payments), ZERO)
    return InvoiceDetail(
        invoice=invoice, charges=charges, charges_total=sum((c.amount for c in charges), ZERO),
        recalculation_total=sum((c.recalculation for c in charges), ZERO), payments=payments,
        paid_after=paid, status=invoice_status(invoice.amount_due, paid))


# --- charges detail (детализация) ------------------------------------------------------------

@dataclass
class ServiceCharges:
    code: str
    name: str
    unit: str
    rows: list[tuple[dt.date, ChargeRow]] = field(default_factory=list)

    @property
    def quantity(self) -> Decimal:
        return sum((row.quantity or 0 for _p, row in self.rows), Decimal(0))

    @property
    def amount(self) -> Decimal:
        return sum((row.amount for _p, row in self.rows), ZERO)

    @property
    def recalculation(self) -> Decimal:
        return sum((row.recalculation for _p, row in self.rows), ZERO)

    @property
    def has_recalculation(self) -> bool:
        """Whether any month was recalculated (a phone hides an all-zero column)."""
        return any(row.recalculation for _p, row in self.rows)

    @property
    def total(self) -> Decimal:
        return self.amount + self.recalculation


@dataclass(frozen=True)
class ChargesReport:
    start: dt.date
    end: dt.date
    months: list[dt.date]
    services: list[ServiceCharges]
    series: dict[str, list[Decimal]]  # service name -> amount + recalculation per month
    amount: Decimal
    recalculation: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.recalculation


def charge_periods(*, account: Account | None) -> list[dt.date]:
    """The periods the account has charges or invoices for, newest first (one query)."""
    if account is None:
        return []
    return list(Invoice.objects.filter(account=account).order_by("-period")
                .values_list("period", flat=True))


def charges_report(*, account: Account | None, start: dt.date, end: dt.date) -> ChargesReport:
    """Charges per service for the months start..end (inclusive), one query."""
    start, end = min(start, end).replace(day=1), max(start, end).replace(day=1)
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = month_add(month, 1)
    services: dict[str, ServiceCharges] = {}
    by_month: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    lines = (ChargeLine.objects.filter(account=account, period__gte=start, period__lte=end)
             .select_related("service").order_by("service__code", "period")
             if account is not None else [])
    for line in lines:
        entry = services.setdefault(line.service.code, ServiceCharges(
            line.service.code, line.service.name, line.service.unit))
        row = _charge_row(line)
        entry.rows.append((line.period, row))
        by_month[entry.name][line.period] = row.total
    series = {name: [amounts.get(m, ZERO) for m in months] for name, amounts in by_month.items()}
    return ChargesReport(
        start=start, end=end, months=months, services=list(services.values()), series=series,
        amount=sum((s.amount for s in services.values()), ZERO),
        recalculation=sum((s.recalculation for s in services.values()), ZERO))


CHARGES_DEFAULT_MONTHS = 12
CHARGES_MAX_MONTHS = 36  # at most three years in one table


def charges_report_for(*, account: Account | None, start: dt.date | None,
                       end: dt.date | None, today: dt.date) -> ChargesReport:
    """The charges report for the months asked, as the page and the API choose them: no end
    means the latest invoice's month (this month without invoices), no start the year up
    to the end, and more than three years keeps the latest three. Two queries."""
    periods = charge_periods(account=account)
    latest = periods[0] if periods else today.replace(day=1)
    end = end or start or latest
    start = start or month_add(end, -(CHARGES_DEFAULT_MONTHS - 1))
    if month_add(start, CHARGES_MAX_MONTHS) <= end:
        start = month_add(end, -(CHARGES_MAX_MONTHS - 1))
    return charges_report(account=account, start=start, end=end)


# --- meters --------------------------------------------------------------------------------

@dataclass
class MeterView:
    meter: Meter
    readings: list[Reading]  # newest first
    refusal: str | None
    verification_soon: bool

    @property
    def latest(self) -> Reading | None:
        return self.readings[0] if self.readings else None

    @property
    def zone_fields(self) -> tuple[str, ...]:
        return ZONE_FIELDS[:self.meter.zones]

    def consumption(self) -> list[tuple[dt.date, Decimal]]:
        """(date, consumption over all zones since the reading before), oldest first."""
        points = []
        ordered = list(reversed(self.readings))
        for before, after in pairwise(ordered):
            used = sum((getattr(after, f) or 0) - (getattr(before, f) or 0)
                       for f in self.zone_fields)
            if used < 0:  # a counter rollover
                used += Decimal(10) ** self.meter.digits
            points.append((after.taken_on, used))
        return points


def meter_views(*, account: Account | None, today: dt.date,
                meter_id: int | None = None) -> list[MeterView]:
    """The account's meters with their readings (two queries), removed meters last."""
    if account is None:
        return []
    meters = Meter.objects.filter(account=account).select_related("service")
    if meter_id is not None:
        meters = meters.filter(pk=meter_id)
    meters = list(meters.order_by("removed_on", "service__code", "serial_number"))
    readings: dict[int, list[Reading]] = defaultdict(list)
    for reading in Reading.objects.filter(meter__in=[m.pk for m in meters]).order_by(
            "meter_id", "-taken_on", "-id"):
        readings[reading.meter_id].append(reading)
    soon = today + dt.timedelta(days=VERIFICATION_WARNING_DAYS)
    return [MeterView(meter=m, readings=readings[m.pk], refusal=meter_refusal(m, today),
                      verification_soon=bool(m.verified_until and today <= m.verified_until
                                             <= soon))
            for m in meters]


# --- settings ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResidentSettings:
    """What the settings page (and GET /api/v1/settings/) shows: the resident's saved
    choices, or what applies while they have saved none."""

    email: str
    contact_phone: str
    paperless_receipt: bool
    email_reading_receipt: bool
    language: str  # the language their e-mails and SMS are written in
    email_enabled: bool  # channel consent as the outbox applies it
    sms_enabled: bool
    muted_kinds: list[str]
    consent_at: dt.datetime | None


def resident_settings(*, user) -> ResidentSettings:
    """One query. The language is notifications' own rule (resident_languages): the saved
    one, else identity's (registration and the header's switch), else the default. No
    consent row means no consent, as the outbox reads it."""
    row = User.objects.select_related("portal_preferences", "notification_preference",
                                      "resident").get(pk=user.pk)
    saved = _one_to_one(row, "portal_preferences")
    consent = _one_to_one(row, "notification_preference")
    resident = _one_to_one(row, "resident")
    language = ((saved.language if saved else "") or (resident.language if resident else "")
                or settings.LANGUAGE_CODE)
    return ResidentSettings(
        email=row.email, contact_phone=saved.contact_phone if saved else "",
        paperless_receipt=bool(saved and saved.paperless_receipt),
        email_reading_receipt=bool(saved and saved.email_reading_receipt), language=language,
        email_enabled=bool(consent and consent.email_enabled),
        sms_enabled=bool(consent and consent.sms_enabled),
        muted_kinds=list(consent.muted_kinds) if consent else [],
        consent_at=resident.consent_at if resident else None)


def _one_to_one(row, name: str):
    try:
        return getattr(row, name)
    except ObjectDoesNotExist:
        return None
