"""GET, PUT and PATCH /api/v1/settings/: what the web settings page shows and saves, through
its service (lk_core.portal.services.preferences_update), with its messages and side
effects. Bob's and the other utility's settings never move."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.core import mail
from django.test import override_settings

from lk_core.billing.models import ContactChange
from lk_core.identity.models import Resident, SecurityEvent, SecurityEventKind
from lk_core.notifications.models import Kind, NotificationPreference
from lk_core.notifications.services import notification_enqueue
from lk_core.portal.models import ResidentPreferences
from lk_core.receipts.selectors import latest_invoice_period, paperless_account_ids
from tests.api.conftest import api_client, sign_in
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import notification_settings

BACKEND = "lk_core.identity.backends.AccountNumberBackend"
URL = "/api/v1/settings/"
IP = "203.0.113.7"


def _app(utility, number: str = "100000001", language: str = "en"):
    return api_client(utility, sign_in(utility, number)["access"],
                      HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=IP)


def _patch(client, data: dict, **headers):
    return client.patch(URL, data, format="json", **headers)


def _web(client, in_schema, utility, user):
    with in_schema(utility):
        client.force_login(user, backend=BACKEND)
    return client


def _web_form(page: str) -> dict:
    """The settings page's form as it is filled in."""
    phone = re.search(r'name="contact_phone"[^>]*value="([^"]*)"', page)
    return {"contact_phone": phone.group(1) if phone else "",
            "language": re.search(r'<option value="(\w+)" selected>', page).group(1),
            **{name: bool(re.search(rf'name="{name}"[^>]*checked', page))
               for name in ("paperless_receipt", "email_reading_receipt", "email_enabled",
                            "sms_enabled", "kind_debt_reminder")}}


def test_the_app_and_the_settings_page_show_each_others_choices(utility_a, in_schema, alice,
                                                                client_a):
    """Parity: what the page saved, the app shows, and the other way round."""
    _web(client_a, in_schema, utility_a, alice)
    saved = client_a.post("/settings/", {
        "contact_phone": "8 (912) 345-67-89", "paperless_receipt": "on", "language": "en",
        "email_enabled": "on", "sms_enabled": "on", "kind_invoice_available": "on"})
    assert saved.status_code == 302
    app = _app(utility_a)
    shown = app.get(URL).json()
    assert {key: shown[key] for key in ("email", "contact_phone", "paperless_receipt",
                                        "email_reading_receipt", "language",
                                        "email_notices", "sms_notices")} == {
        "email": "alice@example.test", "contact_phone": "+79123456789",
        "paperless_receipt": True, "email_reading_receipt": False, "language": "en",
        "email_notices": True, "sms_notices": True}
    assert [row["code"] for row in shown["languages"]] == ["ru", "en"]
    assert shown["consent_at"]

    changed = _patch(app, {"contact_phone": "+7 912 000-11-22", "paperless_receipt": False,
                           "email_reading_receipt": True, "language": "ru",
                           "sms_notices": False})
    assert changed.status_code == 200, changed.content
    assert changed.json() == {**shown, "contact_phone": "+79120001122",
                              "paperless_receipt": False, "email_reading_receipt": True,
                              "language": "ru", "sms_notices": False,
                              "consent_at": changed.json()["consent_at"]}
    page = client_a.get("/settings/")
    assert page.status_code == 200
    assert _web_form(page.content.decode()) == {
        "contact_phone": "+79120001122", "language": "ru", "paperless_receipt": False,
        "email_reading_receipt": True, "email_enabled": True, "sms_enabled": False,
        "kind_debt_reminder": False}  # muted on the page, left alone by the app
    assert app.get(URL).json() == changed.json()


def test_paperless_from_the_app_joins_the_bulk_receipt_run(utility_a, in_schema, alice, bob):
    with in_schema(utility_a):
        period = latest_invoice_period()
        alices, bobs = (user.resident.current_account_id for user in (alice, bob))
        assert paperless_account_ids(period=period) == []
    answer = _patch(_app(utility_a), {"paperless_receipt": True})
    assert answer.status_code == 200 and answer.json()["paperless_receipt"] is True
    with in_schema(utility_a):
        assert paperless_account_ids(period=period) == [alices]
        assert bobs not in paperless_account_ids(period=period)
        # The billing system hears of it in the contacts export, as from the page.
        [change] = ContactChange.objects.all()
        assert (change.account_number, change.paperless, change.consent_email) == (
            "100000001", True, True)


@pytest.mark.parametrize(("language", "no_phone", "bad_phone"), [
    ("en", "Enter a phone number to get SMS notifications.",
     "Enter a Russian mobile number, for example +7 912 345-67-89."),
    ("ru", "Чтобы получать SMS, укажите номер телефона.",
     "Введите российский мобильный номер, например +7 912 345-67-89."),
])
def test_sms_need_a_phone_and_nothing_is_saved_on_an_error(utility_a, in_schema, alice,
                                                            client_a, language, no_phone,
                                                            bad_phone):
    app = _app(utility_a, language=language)
    before = app.get(URL).json()
    refused = _patch(app, {"sms_notices": True, "paperless_receipt": True, "language": "en"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert refused.json()["fields"] == {"contact_phone": [no_phone]}
    refused = _patch(app, {"contact_phone": "12", "paperless_receipt": True})
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"contact_phone": [bad_phone]}
    assert app.get(URL).json() == before
    with in_schema(utility_a):
        assert not ResidentPreferences.objects.exists()
        assert not ContactChange.objects.exists()
    # The settings page says the same words.
    _web(client_a, in_schema, utility_a, alice)
    client_a.cookies["django_language"] = language
    page = client_a.post("/settings/", {"contact_phone": "", "language": "ru",
                                        "sms_enabled": "on"})
    assert page.status_code == 400 and no_phone in page.content.decode()


def test_unknown_language_and_malformed_values_are_refused(utility_a, in_schema, alice):
    app = _app(utility_a)
    before = app.get(URL).json()
    refused = _patch(app, {"language": "xx", "paperless_receipt": True})
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"language": ["Choose a language from the list."]}
    assert _patch(app, {"language": "de"}, HTTP_ACCEPT_LANGUAGE="ru").json()["fields"] == {
        "language": ["Выберите язык из списка."]}
    for bad in ({"language": 5}, {"paperless_receipt": "maybe"}, {"contact_phone": None},
                {"contact_phone": "+7" + "9" * 30}, {"sms_notices": [True]}):
        answer = _patch(app, bad)
        assert answer.status_code == 400, bad
        assert set(answer.json()["fields"]) == set(bad), bad
    assert app.get(URL).json() == before


def test_put_keeps_its_two_field_form_and_patch_needs_nothing(utility_a, in_schema, alice):
    app = _app(utility_a)
    _patch(app, {"contact_phone": "89123456789", "language": "en", "paperless_receipt": True})
    # The app's old request: the consents only; everything else keeps its value.
    answer = app.put(URL, {"email_notices": False, "sms_notices": True}, format="json")
    assert answer.status_code == 200, answer.content
    shown = answer.json()
    assert (shown["contact_phone"], shown["language"], shown["paperless_receipt"]) == (
        "+79123456789", "en", True)
    assert (shown["email_notices"], shown["sms_notices"]) == (False, True)
    missing = app.put(URL, {"language": "ru"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"email_notices", "sms_notices"}
    assert _patch(app, {}).json() == shown
    with in_schema(utility_a):
        consent = NotificationPreference.objects.get(user=alice)
        assert (consent.email_enabled, consent.sms_enabled) == (False, True)


def test_consent_is_recorded_with_time_ip_and_audit_whichever_way_it_changes(
        utility_a, in_schema, alice, client_a):
    app = _app(utility_a)
    with in_schema(utility_a):
        registered = Resident.objects.get(user=alice).consent_at
    _patch(app, {"language": "en", "contact_phone": "+79123456789"})  # no consent change
    with in_schema(utility_a):
        resident = Resident.objects.get(user=alice)
        assert resident.consent_at == registered
        assert not SecurityEvent.objects.filter(kind=SecurityEventKind.NOTICES_CHANGED)
    _patch(app, {"sms_notices": True})
    with in_schema(utility_a):
        resident = Resident.objects.get(user=alice)
        assert (resident.email_notices, resident.sms_notices) == (True, True)
        assert resident.consent_at > registered and resident.consent_ip == IP
        [event] = SecurityEvent.objects.filter(kind=SecurityEventKind.NOTICES_CHANGED)
        assert (event.user_id, event.ip, event.details) == (
            alice.pk, IP, {"email": True, "sms": True})
        by_app = resident.consent_at
    # The settings page records a change the same way.
    _web(client_a, in_schema, utility_a, alice)
    assert client_a.post("/settings/", {"contact_phone": "+79123456789", "language": "en"},
                         REMOTE_ADDR="198.51.100.9").status_code == 302
    with in_schema(utility_a):
        resident = Resident.objects.get(user=alice)
        assert (resident.email_notices, resident.sms_notices) == (False, False)
        assert resident.consent_at > by_app and resident.consent_ip == "198.51.100.9"
        assert SecurityEvent.objects.filter(kind=SecurityEventKind.NOTICES_CHANGED,
                                            ip="198.51.100.9").count() == 1
        assert [(c.consent_email, c.consent_sms) for c in ContactChange.objects.order_by(
            "pk")] == [(True, False), (True, True), (False, False)]


def test_the_saved_language_writes_later_notifications(utility_a, in_schema, alice, bob,
                                                       django_capture_on_commit_callbacks):
    """The app's answers follow its Accept-Language; e-mails follow the saved language."""
    answer = _app(utility_a, language="ru").patch(URL, {"language": "en"}, format="json")
    assert answer.json()["language"] == "en"
    assert [row["name"] for row in answer.json()["languages"]] == ["Русский", "Английский"]
    with in_schema(utility_a), override_settings(TASKS=tasks_setting("immediate", "")):
        notification_settings(quiet_hours_start=time(0), quiet_hours_end=time(0))
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            for user in (alice, bob):
                notification_enqueue(kind=Kind.PAYMENT_RECEIVED, user=user,
                                     account=user.resident.current_account,
                                     context={"amount": "10.00", "paid_on": "24.11.2026",
                                              "account_number": "1"})
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {"alice@example.test": "Payment received",
                        "bob@example.test": "Платёж получен"}


def test_bob_and_the_other_utility_are_untouched(utility_a, utility_b, in_schema, alice, bob,
                                                 charlie_b):
    bobs_app, charlies_app = _app(utility_a, "100000002"), _app(utility_b)
    bobs, charlies = bobs_app.get(URL).json(), charlies_app.get(URL).json()
    changed = _patch(_app(utility_a), {
        "contact_phone": "+79123456789", "paperless_receipt": True, "language": "en",
        "email_reading_receipt": True, "email_notices": False, "sms_notices": True})
    assert changed.status_code == 200
    assert bobs_app.get(URL).json() == bobs and charlies_app.get(URL).json() == charlies
    assert charlies["email"] == "charlie@example.test"
    with in_schema(utility_a):
        assert not ResidentPreferences.objects.filter(user=bob).exists()
        assert {c.account_number for c in ContactChange.objects.all()} == {"100000001"}
    with in_schema(utility_b):
        assert not ResidentPreferences.objects.exists() and not ContactChange.objects.exists()


def test_sms_without_a_contact_phone_go_to_the_accounts_billing_phone(utility_a, in_schema,
                                                                     alice):
    """The billing system's number for the account is enough: SMS go there."""
    from lk_core.billing.models import Account
    from lk_core.notifications.selectors import recipients_for_accounts

    with in_schema(utility_a):
        account = Account.objects.get(pk=alice.resident.current_account_id)
        account.phone = "+79120000001"
        account.save(update_fields=["phone"])
    answer = _patch(_app(utility_a), {"sms_notices": True})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["sms_notices"] is True and answer.json()["contact_phone"] == ""
    with in_schema(utility_a):
        [recipient] = recipients_for_accounts([account])
        assert recipient.phone == "+79120000001"
