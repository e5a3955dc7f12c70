"""Building resident data for portal tests and benchmarks: an account with N months of
invoices, charges, payments, meters and readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lk_core.billing.models import Account, ChargeLine, Invoice, Payment, Service
from lk_core.identity.models import Resident, ResidentAccount
from lk_core.meters.models import Meter, Reading
from lk_core.portal.selectors import month_add
from lk_core.users.models import User, UserKind

PASSWORD = "correct-horse-battery"
SERVICES = [("HVS", "Холодное водоснабжение", "м³", Decimal("45.20")),
            ("GVS", "Горячее водоснабжение", "м³", Decimal("210.50")),
            ("VO", "Водоотведение", "м³", Decimal("38.10"))]


def services() -> list[Service]:
    return [Service.objects.get_or_create(code=code, defaults={"name": name, "unit": unit})[0]
            for code, name, unit, _tariff in SERVICES]


def resident(number: str, *, address: str = "г. Энск, ул. Ленина, д. 1, кв. 1",
             holder: str = "Иванов Иван Иванович") -> tuple[User, Account]:
    """A registered resident with one linked account (the identity app's records)."""
    account = Account.objects.create(number=number, address=address, holder_name=holder)
    user = User.objects.create_user(username=f"r-{number}", password=PASSWORD,
                                    kind=UserKind.RESIDENT, email=f"{number}@example.org")
    resident_row = Resident.objects.create(user=user, current_account=account,
                                           registered_via="amount")
    ResidentAccount.objects.create(resident=resident_row, account=account, method="amount")
    return user, account


def history(account: Account, *, months: int = 24, last_period: dt.date = dt.date(2026, 10, 1),
            meters: int = 2, meter_digits: int = 5) -> dict:
    """Invoices, charges and payments for `months` periods ending at last_period, and
    `meters` meters with a reading per month (about 3 m³ a month each)."""
    service_rows = services()
    periods = [month_add(last_period, -offset) for offset in range(months - 1, -1, -1)]
    balance = Decimal("0.00")
    invoices, lines, payments = [], [], []
    for index, period in enumerate(periods):
        charged = Decimal("0.00")
        for service, (_c, _n, _u, tariff) in zip(service_rows, SERVICES, strict=True):
            quantity = Decimal("3.0000") + index % 3
            amount = (quantity * tariff).quantize(Decimal("0.01"))
            recalculation = Decimal("-10.00") if (service.code == "HVS" and index == 1) else \
                Decimal("0.00")
            lines.append(ChargeLine(account=account, period=period, service=service,
                                    quantity=quantity, tariff=tariff, amount=amount,
                                    recalculation=recalculation))
            charged += amount + recalculation
        paid = invoices[-1].amount_due if invoices else Decimal("0.00")
        due = balance + charged - paid
        invoices.append(Invoice(account=account, period=period, opening_balance=balance,
                                charged=charged, recalculation=Decimal("0.00"), paid=paid,
                                penalty=Decimal("0.00"), amount_due=due,
                                due_date=month_add(period, 1).replace(day=10)))
        balance = due
        if index < months - 1:  # the latest invoice is still unpaid
            payments.append(Payment(external_id=f"{account.number}-{period:%Y%m}",
                                    account=account, paid_on=month_add(period, 1)
                                    .replace(day=5), amount=due, channel="bank"))
    Invoice.objects.bulk_create(invoices)
    ChargeLine.objects.bulk_create(lines)
    Payment.objects.bulk_create(payments)
    meter_rows = []
    for number in range(meters):
        meter = Meter.objects.create(
            meter_id=f"{account.number}-M{number}", account=account,
            service=service_rows[number % 2], serial_number=f"SN{account.number}{number}",
            digits=meter_digits, verified_until=dt.date(2030, 1, 1))
        Reading.objects.bulk_create(
            Reading(meter=meter, taken_on=period.replace(day=20), source="utility",
                    t1=Decimal(100 + 3 * i)) for i, period in enumerate(periods))
        meter_rows.append(meter)
    return {"invoices": invoices, "meters": meter_rows, "services": service_rows}
