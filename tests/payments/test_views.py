"""The resident's pages (pay, return, history), the sandbox's hosted page, and the staff
console: alice pays; bob and the other tenant cannot see alice's payment."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection

from lk_core.payments.models import PaymentSettings, PaymentStatus, PortalPayment
from tests.payments.conftest import STRIPE_KEYS, configure


@pytest.fixture
def alice_client(alice, client_a):
    client_a.force_login(alice.user)
    return client_a


def _pay(client, **data):
    response = client.post("/payments/", {"account": data.pop("account"), "method": "card",
                                          **data})
    return response


def test_pay_page_defaults_to_the_amount_due(alice, alice_client):
    configure("sandbox")
    page = alice_client.get("/payments/").content.decode()
    assert 'value="1234.56"' in page and "700001" in page
    assert "ТЕСТ" in page


def test_sandbox_flow_from_pay_to_paid(alice, alice_client, mailoutbox,
                                       django_capture_on_commit_callbacks):
    configure("sandbox")
    response = _pay(alice_client, account=alice.account.pk, amount="")
    assert response.status_code == 302
    hosted = response["Location"]
    assert re.fullmatch(r"http://alpha\.localhost/payments/sandbox/sbx_[\w-]+/", hosted)
    page = alice_client.get(hosted.removeprefix("http://alpha.localhost"))
    text = page.content.decode().replace("\xa0", " ")
    assert "ТЕСТ" in text and "1 234,56" in text
    with django_capture_on_commit_callbacks(execute=True):
        back = alice_client.post(hosted.removeprefix("http://alpha.localhost"),
                                 {"decision": "approve"})
    payment = PortalPayment.objects.get()
    assert back["Location"] == f"http://alpha.localhost/payments/{payment.public_id}/"
    status_page = alice_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert 'http-equiv="refresh"' not in status_page
    history = alice_client.get("/payments/history/").content.decode()
    assert "1\xa0234,56\xa0₽" in history and str(PaymentStatus.SUCCEEDED.label) in history
    assert len(mailoutbox) == 1


def test_return_page_waits_while_pending_and_shows_decline(alice, alice_client,
                                                           django_capture_on_commit_callbacks):
    configure("sandbox")
    hosted = _pay(alice_client, account=alice.account.pk, amount="100")["Location"]
    payment = PortalPayment.objects.get()
    waiting = alice_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert 'http-equiv="refresh"' in waiting
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(hosted.removeprefix("http://alpha.localhost"), {"decision": "decline"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    page = alice_client.get(f"/payments/{payment.public_id}/").content.decode()
    assert 'http-equiv="refresh"' not in page and 'href="/payments/"' in page


def test_bad_amount_shows_a_field_error_and_creates_nothing(alice, alice_client):
    configure("sandbox", min_amount=Decimal("10.00"))
    response = _pay(alice_client, account=alice.account.pk, amount="5")
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not PortalPayment.objects.exists()


def test_stripe_redirect_allows_the_hosted_page_in_form_action(alice, alice_client,
                                                               fake_stripe):
    configure("stripe")
    response = _pay(alice_client, account=alice.account.pk, amount="")
    assert response["Location"].startswith("https://checkout.stripe.test/")
    assert "form-action 'self' https://checkout.stripe.test" in \
        response["Content-Security-Policy"]


def test_no_acquirer_shows_the_qr_hint(alice, alice_client):
    configure("none")
    page = alice_client.get("/payments/").content.decode()
    assert "QR" in page and "<form method=\"post\" class=\"pay-form\"" not in page
    assert _pay(alice_client, account=alice.account.pk).status_code == 200
    assert not PortalPayment.objects.exists()


def test_bob_cannot_pay_for_or_see_alices_payment(alice, bob, client_a):
    configure("sandbox")
    client_a.force_login(alice.user)
    _pay(client_a, account=alice.account.pk, amount="")
    payment = PortalPayment.objects.get()
    client_a.force_login(bob.user)
    assert client_a.get(f"/payments/{payment.public_id}/").status_code == 404
    assert str(payment.public_id) not in client_a.get("/payments/history/").content.decode()
    response = _pay(client_a, account=alice.account.pk, amount="")
    assert response.status_code == 200  # not a choice offered to bob: a form error
    assert PortalPayment.objects.count() == 1


def test_other_tenant_host_does_not_show_the_payment(alice, alice_client, client_b, utility_b,
                                                     in_schema):
    configure("sandbox")
    _pay(alice_client, account=alice.account.pk, amount="")
    payment = PortalPayment.objects.get()
    with in_schema(utility_b):
        from tests.payments.conftest import make_resident

        charlie = make_resident("700001")  # the same account number, another utility
        client_b.force_login(charlie.user)
    assert client_b.get(f"/payments/{payment.public_id}/").status_code == 404
    # Alpha's session is worthless on beta's host.
    assert client_b.cookies != alice_client.cookies


def test_anonymous_and_staff_do_not_get_the_pages(client_a, alice):
    assert client_a.get("/payments/").status_code == 302
    from lk_core.users.models import User

    staff = User.objects.get(email="admin@alpha.test")
    client_a.force_login(staff)
    assert client_a.get("/payments/").status_code in (302, 404)


def test_staff_console_lists_payments_with_totals(alice, client_a,
                                                  django_capture_on_commit_callbacks):
    from lk_core.payments.services import payment_apply_status, payment_create
    from lk_core.users.models import User
    from tests.payments.test_services import _report

    configure("sandbox")
    paid = payment_create(user=alice.user, account=alice.account, site_url="http://x")
    payment_create(user=alice.user, account=alice.account, site_url="http://x", amount="10")
    payment_apply_status(payment_pk=paid.pk, source="test", report=_report(paid, "succeeded"))
    staff = User.objects.get(email="admin@alpha.test")
    staff.must_change_password = False
    staff.save()
    client_a.force_login(staff)
    page = client_a.get("/staff/payments/portalpayment/").content.decode()
    assert 'id="payment-totals"' in page
    assert "1234,56" in page and "10,00" in page
    filtered = client_a.get("/staff/payments/portalpayment/?status__exact=succeeded")
    totals = filtered.content.decode().split('id="payment-totals"')[1].split("</table>")[0]
    assert "1234,56" in totals and "10,00" not in totals


def test_staff_settings_never_show_secrets_and_store_them_encrypted(alice, client_a):
    from lk_core.users.models import User

    configure("stripe")
    staff = User.objects.get(email="admin@alpha.test")
    staff.must_change_password = False
    staff.save()
    client_a.force_login(staff)
    page = client_a.get("/staff/payments/paymentsettings/1/change/").content.decode()
    secret, webhook_secret = STRIPE_KEYS["alpha"]
    assert secret not in page and webhook_secret not in page
    assert "••••••••" + secret[-4:] in page
    response = client_a.post("/staff/payments/paymentsettings/1/change/", {
        "acquirer": "stripe", "mode": "test", "currency": "RUB", "min_amount": "1.00",
        "max_amount": "300000.00", "allow_other_amount": "on", "vat_code": "1",
        "receipt_per_service": "on", "stripe_secret_key": "", "stripe_webhook_secret":
        "whsec_rotated_value"})
    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM payments_paymentsettings")
        (raw,) = cursor.fetchone()
    assert raw.startswith("gAAAAA")
    assert secret not in raw and "whsec_rotated_value" not in raw and "sk_test" not in raw
    from lk_core.payments.selectors import acquirer_config_get

    credentials = acquirer_config_get(PaymentSettings.objects.get()).credentials
    assert credentials == {"secret_key": secret, "webhook_secret": "whsec_rotated_value"}
    refused = client_a.post("/staff/payments/paymentsettings/1/change/", {
        "acquirer": "yookassa", "mode": "test", "currency": "RUB", "min_amount": "1.00",
        "max_amount": "300000.00", "vat_code": "1"})
    assert refused.status_code == 200 and "errornote" in refused.content.decode()


@pytest.mark.parametrize("state", ["maintenance", "suspended"])
def test_webhooks_still_land_when_the_portal_is_closed(alice, alice_client, utility_a, state,
                                                       fake_stripe,
                                                       django_capture_on_commit_callbacks):
    from lk_core.payments.models import WebhookEvent
    from tenants.models import Utility
    from tests.payments.fakes import stripe_event, stripe_signature

    configure("stripe")
    _pay(alice_client, account=alice.account.pk, amount="")
    payment = PortalPayment.objects.get()
    Utility.objects.filter(pk=utility_a.pk).update(state=state)
    assert _pay(alice_client, account=alice.account.pk, amount="").status_code == 503
    payload = stripe_event("checkout.session.completed",
                           fake_stripe.pay(payment.acquirer_payment_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            "/payments/webhooks/stripe/", data=payload, content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(payload, STRIPE_KEYS["alpha"][1]))
    assert response.status_code == 200
    connection.set_tenant(utility_a)
    assert WebhookEvent.objects.get().status == "processed"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert PortalPayment.objects.count() == 1
