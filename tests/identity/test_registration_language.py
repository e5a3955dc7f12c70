"""A resident's notifications are written in the language they registered in (the web
page's or the app's), and follow the header's language switch, before they ever save the
portal's settings. None of it is a contact change for the billing system's export."""

from __future__ import annotations

from rest_framework.test import APIClient

from lk_core.billing.models import ContactChange, Invoice
from lk_core.identity.models import Resident
from lk_core.identity.services import resident_register_in_office
from lk_core.notifications.services import invoices_available_notify
from lk_core.portal.models import ResidentPreferences
from lk_core.users.models import User, UserKind
from tests.identity.conftest import account_with_invoices, outbox_to, registration_data

ENGLISH = "Your invoice for November 2026 is ready"
RUSSIAN = "Квитанция за 11.2026 готова"


def _invoice_notice(capture, number: str, email: str):
    """The "new invoice" e-mail of the account's latest invoice, as the import sends it."""
    invoice = Invoice.objects.filter(account__number=number).order_by("-period").first()
    with capture(execute=True):
        invoices_available_notify(invoice_ids=[invoice.pk], batch_key=f"test-{number}")
    [message] = [m for m in outbox_to(email) if m.subject in (ENGLISH, RUSSIAN)]
    return message


def _nothing_for_billing(user) -> None:
    assert not ResidentPreferences.objects.filter(user=user).exists()
    assert not ContactChange.objects.exists()


def test_registered_in_english_on_the_web_gets_english(client_a, in_tenant_a, send,
                                                        django_capture_on_commit_callbacks):
    account_with_invoices("610001")
    response = send(client_a, "/register/", registration_data("610001", "1234.56",
                                                              "eva@example.test"),
                    HTTP_ACCEPT_LANGUAGE="en")
    assert "Check your e-mail" in response.content.decode()
    resident = Resident.objects.get(links__account__number="610001")
    assert resident.language == "en"
    _nothing_for_billing(resident.user)
    message = _invoice_notice(django_capture_on_commit_callbacks, "610001", "eva@example.test")
    assert message.subject == ENGLISH and "Amount due" in message.body


def test_registered_in_russian_on_the_web_gets_russian(client_a, in_tenant_a, send,
                                                        django_capture_on_commit_callbacks):
    account_with_invoices("610002")
    send(client_a, "/register/", registration_data("610002", "1234.56", "ivan@example.test"),
         HTTP_ACCEPT_LANGUAGE="ru")
    assert Resident.objects.get(links__account__number="610002").language == "ru"
    message = _invoice_notice(django_capture_on_commit_callbacks, "610002",
                              "ivan@example.test")
    assert message.subject == RUSSIAN


def test_registered_in_english_through_the_app_gets_english(
        utility_a, in_tenant_a, django_capture_on_commit_callbacks):
    account_with_invoices("610003")
    client = APIClient(HTTP_HOST=utility_a.get_primary_domain().domain,
                       HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/register/", {
            "account_number": "610003", "email": "app@example.test", "proof": "1234.56",
            "accept_rules": True, "email_notices": True}, format="json")
    assert response.status_code == 202, response.content
    resident = Resident.objects.get(links__account__number="610003")
    assert resident.language == "en"
    _nothing_for_billing(resident.user)
    message = _invoice_notice(django_capture_on_commit_callbacks, "610003", "app@example.test")
    assert message.subject == ENGLISH


def test_the_language_switch_of_a_signed_in_resident_is_recorded(
        client_a, in_tenant_a, send, django_capture_on_commit_callbacks):
    account_with_invoices("610004")
    send(client_a, "/register/", registration_data("610004", "1234.56", "olga@example.test"),
         HTTP_ACCEPT_LANGUAGE="ru")
    resident = Resident.objects.get(links__account__number="610004")
    client_a.force_login(resident.user, backend="lk_core.identity.backends.AccountNumberBackend")
    response = client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.language == "en"
    _nothing_for_billing(resident.user)
    message = _invoice_notice(django_capture_on_commit_callbacks, "610004",
                              "olga@example.test")
    assert message.subject == ENGLISH


def test_settings_saved_later_win(client_a, in_tenant_a, send,
                                  django_capture_on_commit_callbacks):
    from lk_core.portal.services import preferences_update

    account_with_invoices("610005")
    send(client_a, "/register/", registration_data("610005", "1234.56", "lev@example.test"),
         HTTP_ACCEPT_LANGUAGE="en")
    user = Resident.objects.get(links__account__number="610005").user
    preferences_update(user=user, contact_phone="", paperless_receipt=False, language="ru",
                       email_reading_receipt=False, email_enabled=True, sms_enabled=False,
                       muted_kinds=[])
    assert Resident.objects.get(user=user).language == "ru"
    message = _invoice_notice(django_capture_on_commit_callbacks, "610005", "lev@example.test")
    assert message.subject == RUSSIAN


def test_registered_in_the_office_gets_the_default(in_tenant_a,
                                                   django_capture_on_commit_callbacks):
    account_with_invoices("610006")
    staff = User.objects.create_user(username="desk", kind=UserKind.STAFF, is_staff=True)
    resident, _password = resident_register_in_office(
        actor=staff, account_number="610006", email="office@example.test", ip=None,
        email_notices=True)
    assert resident.language == ""
    message = _invoice_notice(django_capture_on_commit_callbacks, "610006",
                              "office@example.test")
    assert message.subject == RUSSIAN
