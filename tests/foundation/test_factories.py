"""The shared factories build consistent tenant data, and only in the schema they run in."""

from decimal import Decimal

from lk_core.billing.models import Invoice
from tests.factories import InvoiceFactory, MeterFactory, ReadingFactory


def test_invoice_identity_holds(in_tenant_a):
    invoice = InvoiceFactory(opening_balance=Decimal("100.00"), paid=Decimal("50.00"),
                             penalty=Decimal("1.10"))
    assert invoice.amount_due == Decimal("1285.66")


def test_factories_write_to_the_current_tenant_only(utility_a, utility_b, in_schema):
    with in_schema(utility_a):
        InvoiceFactory(account__number="100000001")
        ReadingFactory(meter=MeterFactory(account__number="100000001"))
    with in_schema(utility_b):
        assert not Invoice.objects.exists()
    with in_schema(utility_a):
        assert Invoice.objects.get().account.number == "100000001"
