"""factory_boy factories for tenant data. Use inside a tenant schema (in_tenant_a etc.)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from lk_core.billing.models import Account, ChargeLine, Invoice, Payment, Service
from lk_core.meters.models import Meter, Reading
from lk_core.users.models import User, UserKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    kind = UserKind.RESIDENT
    password = factory.django.Password("correct-horse-battery")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: f"{500000000 + n}")
    address = factory.Sequence(lambda n: f"г. Энск, ул. Ленина, д. 1, кв. {n}")
    holder_name = "Иванов И. И."
    area_m2 = Decimal("54.30")
    residents_count = 2


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = "HVS"
    name = "Холодное водоснабжение"
    unit = "м³"


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    account = factory.SubFactory(AccountFactory)
    period = dt.date(2026, 10, 1)
    opening_balance = Decimal("0.00")
    charged = Decimal("1234.56")
    recalculation = Decimal("0.00")
    paid = Decimal("0.00")
    penalty = Decimal("0.00")
    amount_due = factory.LazyAttribute(
        lambda i: i.opening_balance + i.charged + i.recalculation + i.penalty - i.paid)
    due_date = factory.LazyAttribute(lambda i: (i.period + dt.timedelta(days=40)).replace(day=10))


class ChargeLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargeLine

    account = factory.SubFactory(AccountFactory)
    period = dt.date(2026, 10, 1)
    service = factory.SubFactory(ServiceFactory)
    quantity = Decimal("3.5000")
    tariff = Decimal("62.4700")
    amount = Decimal("218.65")
    recalculation = Decimal("0.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    external_id = factory.Sequence(lambda n: f"P{n:09d}")
    account = factory.SubFactory(AccountFactory)
    paid_on = dt.date(2026, 10, 5)
    amount = Decimal("1000.00")
    channel = "bank"


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    meter_id = factory.Sequence(lambda n: f"M{n:08d}")
    account = factory.SubFactory(AccountFactory)
    service = factory.SubFactory(ServiceFactory)
    serial_number = factory.Sequence(lambda n: f"{80000000 + n}")
    zones = 1
    digits = 5
    installed_on = dt.date(2022, 1, 15)
    verified_until = dt.date(2028, 1, 15)


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    meter = factory.SubFactory(MeterFactory)
    taken_on = dt.date(2026, 10, 20)
    t1 = Decimal("100.000")
    source = "utility"
