"""The staff console's payment tools: "Test connection" for the stored acquirer
credentials (against the fakes, bad credentials included) and full or partial refunds by
role; both audited. Alice's payment is refunded; bob's and the other tenant's are not."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from integrations.payments.sandbox_acquirer import sandbox_charge_decide
from lk_core.payments.crypto import credentials_encrypt
from lk_core.payments.models import PaymentSettings, PaymentStatus
from lk_core.payments.services import payment_create, payment_refresh
from lk_core.staff.models import StaffAuditEvent
from tests.consoles.conftest import staff_client
from tests.payments.conftest import SITE, STRIPE_KEYS, configure

TEST_URL = "/staff/payments/paymentsettings/test-connection/"


@pytest.fixture
def admin_client(utility_a, in_tenant_a):
    return staff_client(utility_a, "admin", name="pay-admin")


def _test(client) -> str:
    response = client.post(TEST_URL, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _audit():
    return StaffAuditEvent.objects.filter(action="acquirer_connection_tested").latest("pk")


def _break(credentials: dict) -> None:
    PaymentSettings.objects.update(credentials_encrypted=credentials_encrypt(credentials))


def test_stripe_good_and_bad_credentials(admin_client, fake_stripe):
    configure("stripe")
    page = _test(admin_client)
    assert "Подключение к Stripe работает (testmode)" in page
    assert [r["path"] for r in fake_stripe.requests] == ["/v1/balance"]
    event = _audit()
    assert event.details["ok"] is True and event.actor and "sk_test" not in str(event.details)
    _break({"secret_key": "sk_test_revoked", "webhook_secret": "whsec_x"})
    assert "Эквайер не принял учётные данные" in _test(admin_client)
    assert _audit().details["ok"] is False


def test_yookassa_good_and_bad_credentials(admin_client, fake_yookassa):
    configure("yookassa")
    assert "работает (100001)" in _test(admin_client)
    assert fake_yookassa.requests[-1]["path"] == "/v3/me"
    _break({"shop_id": "100001", "secret_key": "test_wrong"})
    assert "Эквайер не принял учётные данные" in _test(admin_client)
    _break({"shop_id": "200002", "secret_key": "test_alpha_secret_key"})  # another shop's id
    assert "Эквайер не принял учётные данные" in _test(admin_client)


def test_unreachable_wrong_mode_sandbox_and_none(admin_client, fake_stripe, settings):
    configure("stripe")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    assert "Эквайер недоступен" in _test(admin_client)
    settings.STRIPE_API_BASE = fake_stripe.url
    PaymentSettings.objects.update(mode="live")  # test keys, live mode
    assert "sk_live_" in _test(admin_client)
    configure("sandbox")
    assert "Подключение к" in _test(admin_client)
    configure("none")
    assert "Эквайер не выбран" in _test(admin_client)
    assert StaffAuditEvent.objects.filter(action="acquirer_connection_tested").count() == 4


def test_the_button_is_for_administrators_only(utility_a, in_tenant_a, admin_client):
    configure("sandbox")
    page = admin_client.get("/staff/payments/paymentsettings/1/change/").content.decode()
    assert 'id="test-connection"' in page
    assert admin_client.get(TEST_URL).status_code == 405
    for role in ("readonly", "operator", "dispatcher"):
        client = staff_client(utility_a, role, name=f"pay-{role}")
        assert client.post(TEST_URL).status_code == 403
    assert not StaffAuditEvent.objects.filter(action="acquirer_connection_tested").exists()


def test_other_tenant_tests_its_own_credentials(utility_a, utility_b, in_schema,
                                                fake_stripe, alice):
    configure("stripe")
    with in_schema(utility_b):
        configure("stripe")
        client = staff_client(utility_b, "admin", name="pay-admin")
    client.post(TEST_URL)
    beta_key = STRIPE_KEYS["beta"][0]
    assert [r["headers"]["Authorization"] for r in fake_stripe.requests] == [
        f"Bearer {beta_key}"]
    with in_schema(utility_b):
        assert StaffAuditEvent.objects.filter(action="acquirer_connection_tested").count() == 1
    connection.set_tenant(utility_a)
    assert not StaffAuditEvent.objects.filter(action="acquirer_connection_tested").exists()


# --- refunds --------------------------------------------------------------------------------

def _paid(resident, amount="1000.00"):
    payment = payment_create(user=resident.user, account=resident.account, site_url=SITE,
                             amount=amount)
    sandbox_charge_decide(charge_id=payment.acquirer_payment_id, decision="approve")
    payment_refresh(payment=payment, source="return")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


@pytest.fixture
def paid(alice, bob):
    configure("sandbox")
    return _paid(alice), _paid(bob)


def _refund_url(payment) -> str:
    return f"/staff/payments/portalpayment/{payment.pk}/refund/"


@pytest.mark.parametrize("role", ["admin", "operator"])
def test_partial_then_full_refund_by_admin_or_customer_service(utility_a, paid, role):
    alices, bobs = paid
    client = staff_client(utility_a, role, name=f"refund-{role}")
    change = client.get(f"/staff/payments/portalpayment/{alices.pk}/change/").content.decode()
    assert "refund-link" in change
    form = client.get(_refund_url(alices))
    assert form.status_code == 200 and 'value="1000.00"' in form.content.decode()
    assert client.post(_refund_url(alices), {"amount": "250,50"}).status_code == 302
    page = client.get(_refund_url(alices)).content.decode().replace("\xa0", " ")
    assert '<dd class="refundable">749,50</dd>' in page and "1 000,00" in page  # grouped
    alices.refresh_from_db()
    assert alices.status == PaymentStatus.PARTIALLY_REFUNDED
    assert alices.refunded_amount == Decimal("250.50")
    assert client.post(_refund_url(alices), {"amount": "749.50"}).status_code == 302
    alices.refresh_from_db()
    assert alices.status == PaymentStatus.REFUNDED
    events = StaffAuditEvent.objects.filter(action="payment_refunded").order_by("pk")
    assert [e.details["amount"] for e in events] == ["250.50", "749.50"]
    assert {e.target for e in events} == {str(alices.public_id)}
    # Nothing left: the page refuses, and bob's payment was never touched.
    assert client.post(_refund_url(alices), {"amount": "1"}).status_code == 400
    bobs.refresh_from_db()
    assert bobs.status == PaymentStatus.SUCCEEDED and bobs.refunded_amount == 0


@pytest.mark.parametrize("amount", ["1000.01", "0", "-5", "abc", "1e3", ""])
def test_bad_amounts_are_refused_and_change_nothing(utility_a, paid, amount):
    alices, _bobs = paid
    client = staff_client(utility_a, "admin", name="refund-admin")
    response = client.post(_refund_url(alices), {"amount": amount})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    alices.refresh_from_db()
    assert alices.status == PaymentStatus.SUCCEEDED and alices.refunded_amount == 0
    assert not StaffAuditEvent.objects.filter(action="payment_refunded").exists()


@pytest.mark.parametrize("role", ["readonly", "dispatcher"])
def test_roles_without_the_refund_grant_are_refused(utility_a, paid, role):
    alices, _bobs = paid
    client = staff_client(utility_a, role, name=f"refund-{role}")
    assert client.post(_refund_url(alices), {"amount": "10"}).status_code == 403
    assert client.get(_refund_url(alices)).status_code == 403
    if role == "readonly":  # may look at the payment, without the refund button
        page = client.get(f"/staff/payments/portalpayment/{alices.pk}/change/")
        assert page.status_code == 200 and "refund-link" not in page.content.decode()
    alices.refresh_from_db()
    assert alices.refunded_amount == 0


def test_the_other_tenants_staff_cannot_refund_alices_payment(utility_a, utility_b, paid,
                                                               in_schema):
    alices, _bobs = paid
    with in_schema(utility_b):
        client = staff_client(utility_b, "admin", name="refund-admin")
    assert client.get(_refund_url(alices)).status_code == 404
    assert client.post(_refund_url(alices), {"amount": "10"}).status_code == 404
    connection.set_tenant(utility_a)
    alices.refresh_from_db()
    assert alices.refunded_amount == 0


def test_a_failed_refund_is_audited_and_explained(utility_a, paid):
    from integrations.payments.models import SandboxCharge

    alices, _bobs = paid
    SandboxCharge.objects.filter(pk=alices.acquirer_payment_id).update(status="failed")
    client = staff_client(utility_a, "admin", name="refund-admin")
    response = client.post(_refund_url(alices), {"amount": "10"})
    page = response.content.decode()
    assert response.status_code == 400 and "sandbox: nothing to refund" in page
    event = StaffAuditEvent.objects.get(action="payment_refund_failed")
    assert event.details["amount"] == "10.00"


def test_staff_see_autopay_without_its_tokens(utility_a, alice):
    from lk_core.payments import autopay

    configure("sandbox", autopay_enabled=True)
    mandate = autopay.autopay_start(user=alice.user, account=alice.account, day=10,
                                    cap="5000", site_url=SITE)
    sandbox_charge_decide(charge_id=mandate.setup_payment.acquirer_payment_id,
                          decision="approve")
    payment_refresh(payment=mandate.setup_payment, source="return")
    mandate = autopay.autopay_activate(mandate_pk=mandate.pk)
    client = staff_client(utility_a, "operator", name="autopay-operator")
    listing = client.get("/staff/payments/autopaymandate/").content.decode()
    assert "700001" in listing and "TEST *4242" in listing
    page = client.get(f"/staff/payments/autopaymandate/{mandate.pk}/change/")
    assert page.status_code == 200
    assert mandate.method_token not in page.content.decode()
    assert "Оплачено первым платежом" in page.content.decode()
    assert client.post(f"/staff/payments/autopaymandate/{mandate.pk}/change/",
                       {"day": "1"}).status_code == 403
