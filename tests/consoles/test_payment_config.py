"""Payment acquirer settings in the staff console: administrators only, audited without
the secrets; customer service and read-only see payments but cannot refund."""

from __future__ import annotations

from django_tenants.utils import schema_context

from lk_core.payments.models import PaymentSettings
from lk_core.staff.models import StaffAuditEvent
from tests.payments.conftest import STRIPE_KEYS, configure

URL = "/staff/payments/paymentsettings/1/change/"
FORM = {"acquirer": "stripe", "mode": "test", "currency": "RUB", "min_amount": "5.00",
        "max_amount": "300000.00", "allow_other_amount": "on", "vat_code": "1",
        "receipt_per_service": "on", "stripe_secret_key": "",
        "stripe_webhook_secret": "whsec_new_value_for_audit"}


def test_only_administrators_change_payment_settings_and_it_is_audited(utility_a, staff_of):
    with schema_context(utility_a.schema_name):
        configure("stripe")
    for role in ("dispatcher", "operator", "readonly"):
        client = staff_of(utility_a, role)
        assert client.get(URL).status_code == 403, role
        assert client.post(URL, FORM).status_code == 403, role
    with schema_context(utility_a.schema_name):
        assert not StaffAuditEvent.objects.filter(action="payment_settings_changed").exists()
    admin = staff_of(utility_a, "admin")
    assert admin.post(URL, FORM).status_code == 302
    with schema_context(utility_a.schema_name):
        assert PaymentSettings.objects.get().min_amount == 5
        event = StaffAuditEvent.objects.get(action="payment_settings_changed")
        assert event.actor == "staff:role-admin@alpha.test"
        assert event.details["min_amount"]["to"] == "5.00"
        assert event.details["credentials"] == {"from": "••••", "to": "••••"}
        text = str(event.details)
        assert "whsec_new_value_for_audit" not in text and STRIPE_KEYS["alpha"][0] not in text


def test_payments_list_by_role(utility_a, staff_of):
    for role, status in (("admin", 200), ("operator", 200), ("readonly", 200),
                         ("dispatcher", 403)):
        client = staff_of(utility_a, role)
        response = client.get("/staff/payments/portalpayment/")
        assert response.status_code == status, role
        if role in ("operator", "readonly"):
            assert "refund_in_full" not in response.content.decode()
