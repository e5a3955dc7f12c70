"""Self-registration by each method, the amount formats, refusals that all look alike,
and the generated password that is e-mailed and stored only hashed."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import get_hasher
from django.db import connection
from django.utils import timezone

from lk_core.identity.models import (
    Resident,
    RulesAcceptance,
    SecurityEvent,
)
from lk_core.identity.proofs import CODE_ALPHABET, amount_parse, receipt_code_for
from lk_core.users.models import User
from tests.identity.conftest import (
    PASSPORT,
    account_with_invoices,
    mailed_link,
    mailed_password,
    outbox_to,
    page_text,
    registration_data,
)

REFUSED = "Не удалось подтвердить"


def _register(client, send, number, proof, email="anna@example.test", **extra):
    return send(client, "/register/", registration_data(number, proof, email), **extra)


@pytest.mark.parametrize(("due", "typed"), [
    ("1234.56", "1234.56"), ("1234.56", "1 234,56"), ("1234.50", "1234,5"),
    ("1234.56", "1\u00a0234,56 ₽"), ("1234.00", "1234"),
])
def test_amount_method_accepts_the_usual_ways_of_writing_it(client_a, in_tenant_a, send,
                                                            mailoutbox, due, typed):
    account_with_invoices("500100", amount_due=due)
    response = _register(client_a, send, "500100", typed)
    assert response.status_code == 200
    assert "Проверьте почту" in response.content.decode()
    resident = Resident.objects.get(links__account__number="500100")
    assert resident.registered_via == "amount"


@pytest.mark.parametrize("typed", ["1234.55", "1234.57", "999.99", "123456", "12.345", "abc"])
def test_amount_method_refuses_anything_but_the_latest_amount(client_a, in_tenant_a, send,
                                                              typed):
    account_with_invoices("500101", amount_due="1234.56")
    response = _register(client_a, send, "500101", typed)
    assert REFUSED in response.content.decode()
    assert not Resident.objects.exists()


@pytest.mark.parametrize(("text", "value"), [
    ("1234.56", Decimal("1234.56")), ("1 234,56", Decimal("1234.56")),
    ("1234,5", Decimal("1234.50")), ("-12,30", Decimal("-12.30")), ("0", Decimal("0.00")),
    ("12.345", None), ("1,2,3", None), ("", None), ("1e3", None), ("NaN", None),
])
def test_amount_parse(text, value):
    assert amount_parse(text) == value


def test_passport_method(client_a, in_tenant_a, send, configure):
    configure(registration_method="passport")
    account_with_invoices("500200")
    assert REFUSED in _register(client_a, send, "500200", "4506 123457").content.decode()
    assert not Resident.objects.exists()
    response = _register(client_a, send, "500200", "45-06 123 456")
    assert "Проверьте почту" in response.content.decode()
    assert Resident.objects.get().registered_via == "passport"
    assert PASSPORT.replace(" ", "") not in str(list(SecurityEvent.objects.values()))


def test_passport_method_refuses_an_account_imported_without_a_passport(client_a, in_tenant_a,
                                                                         send, configure):
    configure(registration_method="passport")
    account = account_with_invoices("500201")
    account.passport_hash = ""
    account.save()
    assert REFUSED in _register(client_a, send, "500201", PASSPORT).content.decode()
    assert not Resident.objects.exists()


def test_receipt_code_method(client_a, in_tenant_a, send, configure):
    configure(registration_method="receipt_code")
    account = account_with_invoices("500300")
    code = receipt_code_for(account)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert set(code.replace("-", "")) <= set(CODE_ALPHABET) and len(CODE_ALPHABET) == 32
    wrong = ("1" if code[0] != "1" else "2") + code[1:]
    assert REFUSED in _register(client_a, send, "500300", wrong).content.decode()
    typed = code.lower().replace("-", " ").replace("0", "o")  # as read off a paper receipt
    assert "Проверьте почту" in _register(client_a, send, "500300", typed).content.decode()
    assert Resident.objects.get().registered_via == "receipt_code"


def test_receipt_codes_differ_per_account_and_per_utility(utility_a, utility_b, in_schema):
    with in_schema(utility_a):
        code_a = receipt_code_for(account_with_invoices("500301"))
        code_a2 = receipt_code_for(account_with_invoices("500302"))
    with in_schema(utility_b):
        code_b = receipt_code_for(account_with_invoices("500301"))
    assert code_a != code_a2 and code_a != code_b


def test_office_method_has_no_self_registration(client_a, in_tenant_a, send, configure):
    configure(registration_method="office",
              office_instructions="Приходите в кабинет 12 с паспортом.")
    account_with_invoices("500400")
    page = client_a.get("/register/").content.decode()
    assert "Приходите в кабинет 12 с паспортом." in page
    assert '<form method="post" novalidate' not in page
    response = _register(client_a, send, "500400", "1234.56")
    assert '<form method="post" novalidate' not in response.content.decode()
    assert not Resident.objects.exists()


def test_success_creates_a_login_e_mails_the_password_and_stores_it_only_hashed(
        client_a, in_tenant_a, send, mailoutbox):
    account_with_invoices("500500")
    before = timezone.now()
    _register(client_a, send, "500500", "1234.56", REMOTE_ADDR="203.0.113.7")
    [letter] = outbox_to("anna@example.test")
    assert "Alpha Water" in letter.subject and "Alpha Water" in letter.alternatives[0][0]
    password = mailed_password(letter)
    assert len(password) >= 10 and not set(password) & set("0O1lI")
    resident = Resident.objects.select_related("user").get()
    user = resident.user
    assert user.kind == "resident" and user.email == "anna@example.test"
    assert user.check_password(password) and password not in user.password
    assert user.must_change_password
    assert user.password_expires_at - before >= timedelta(hours=71, minutes=59)
    assert user.password_expires_at - before <= timedelta(hours=72, minutes=1)
    assert resident.email_notices and not resident.sms_notices
    assert resident.consent_ip == "203.0.113.7" and resident.consent_at >= before
    acceptance = RulesAcceptance.objects.get(resident=resident)
    assert acceptance.ip == "203.0.113.7" and acceptance.version.number == 1
    assert SecurityEvent.objects.filter(kind="registered", user=user).exists()
    assert _rows_containing(password) == []


def _rows_containing(secret: str) -> list[str]:
    """Every table of the tenant's schema and of public, searched as text."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema, table_name FROM information_schema.tables "
                       "WHERE table_schema IN (%s, 'public') AND table_type = 'BASE TABLE'",
                       [connection.schema_name])
        for schema, table in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" t '
                           "WHERE t::text LIKE %s", [f"%{secret}%"])
            if cursor.fetchone()[0]:
                found.append(f"{schema}.{table}")
    return found


def _refusal_pages(client_a, send, configure):
    """The page for each kind of refusal, with the typed values masked."""
    account_with_invoices("600001")  # registered below
    account_with_invoices("600002")  # registered, then blocked
    account_with_invoices("600003")  # exists, wrong proof given
    _register(client_a, send, "600001", "1234.56", email="owner1@example.test")
    _register(client_a, send, "600002", "1234.56", email="owner2@example.test")
    User.objects.filter(email="owner2@example.test").update(is_active=False)
    cases = {"unknown": ("699999", "1234.56"), "wrong": ("600003", "1234.55"),
             "registered": ("600001", "1234.56"), "blocked": ("600002", "1234.56")}
    return {name: page_text(_register(client_a, send, number, proof), number, proof)
            for name, (number, proof) in cases.items()}


def test_unknown_wrong_registered_and_blocked_look_the_same(client_a, in_tenant_a, send,
                                                            configure, mailoutbox):
    pages = _refusal_pages(client_a, send, configure)
    assert REFUSED in pages["unknown"]
    assert pages["unknown"] == pages["wrong"] == pages["registered"] == pages["blocked"]
    reasons = set(SecurityEvent.objects.filter(kind="registration_failed")
                  .values_list("details__reason", flat=True))
    assert reasons == {"unknown_account", "wrong_proof", "already_registered", "blocked"}
    assert User.objects.filter(kind="resident").count() == 2  # no second login


def test_refusals_do_the_same_hashing_work_as_success(client_a, in_tenant_a, send,
                                                      monkeypatch):
    """Timing: every outcome computes exactly one password hash."""
    hasher_class = type(get_hasher())
    calls = []
    original = hasher_class.encode
    monkeypatch.setattr(hasher_class, "encode",
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    account_with_invoices("600101")
    account_with_invoices("600102")
    counts = {}
    for name, number, proof in [("success", "600101", "1234.56"),
                                ("registered", "600101", "1234.56"),
                                ("wrong", "600102", "1.00"), ("unknown", "699998", "1.00")]:
        calls.clear()
        _register(client_a, send, number, proof)
        counts[name] = len(calls)
    assert counts == {"success": 1, "registered": 1, "wrong": 1, "unknown": 1}


def test_the_registered_owner_is_told_someone_tried(client_a, in_tenant_a, send, mailoutbox):
    account_with_invoices("600201")
    _register(client_a, send, "600201", "1234.56", email="owner@example.test")
    mailoutbox.clear()
    _register(client_a, send, "600201", "1234.56", email="intruder@example.test")
    assert outbox_to("intruder@example.test") == []
    [notice] = outbox_to("owner@example.test")
    assert "600201" in notice.body and "Пароль" not in notice.body


def test_the_e_mailed_password_logs_in(client_a, in_tenant_a, send, mailoutbox):
    account_with_invoices("600301")
    _register(client_a, send, "600301", "1234.56")
    password = mailed_password(outbox_to("anna@example.test")[0])
    response = client_a.post("/login/", {"account_number": "600301", "password": password})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client_a.get("/")["Location"] == "/password/change/"  # forced change first


def test_set_password_link_delivery(client_a, in_tenant_a, send, configure, mailoutbox):
    configure(password_delivery="link")
    account_with_invoices("600401")
    response = _register(client_a, send, "600401", "1234.56")
    assert "ссылку" in response.content.decode()
    [letter] = outbox_to("anna@example.test")
    assert "Пароль:" not in letter.body
    link = mailed_link(letter)
    user = User.objects.get(email="anna@example.test")
    assert not user.has_usable_password() and not user.must_change_password
    assert client_a.get(link).status_code == 200
    response = client_a.post(link, {"new_password1": "Kvartira-na-Lenina-5",
                                    "new_password2": "Kvartira-na-Lenina-5"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client_a.get(link).status_code == 400  # single use
    response = client_a.post("/login/", {"account_number": "600401",
                                         "password": "Kvartira-na-Lenina-5"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_registration_requires_the_rules_and_a_valid_e_mail(client_a, in_tenant_a, send):
    account_with_invoices("600501")
    data = registration_data("600501", "1234.56", email="not-an-email")
    del data["accept_rules"]
    response = send(client_a, "/register/", data)
    body = response.content.decode()
    assert "Чтобы зарегистрироваться, примите правила." in body
    assert "Введите правильный адрес электронной почты." in body
    assert not Resident.objects.exists()


def test_same_account_number_in_two_tenants_is_two_residents(client_a, client_b, utility_a,
                                                             utility_b, in_schema, send,
                                                             mailoutbox):
    with in_schema(utility_a):
        account_with_invoices("777001", amount_due="100.00")
    with in_schema(utility_b):
        account_with_invoices("777001", amount_due="200.00")
    _register(client_a, send, "777001", "100.00", email="a@example.test")
    _register(client_b, send, "777001", "200.00", email="b@example.test")
    with in_schema(utility_a):
        assert list(User.objects.filter(kind="resident").values_list("email", flat=True)) == [
            "a@example.test"]
    with in_schema(utility_b):
        assert list(User.objects.filter(kind="resident").values_list("email", flat=True)) == [
            "b@example.test"]
    assert "Beta Heat" in outbox_to("b@example.test")[0].subject


def test_an_account_of_another_tenant_is_unknown_here(client_b, utility_a, utility_b,
                                                      in_schema, send):
    with in_schema(utility_a):
        account_with_invoices("777101")
    response = _register(client_b, send, "777101", "1234.56")
    assert REFUSED in response.content.decode()
    with in_schema(utility_b):
        assert not Resident.objects.exists()
    with in_schema(utility_a):
        assert not Resident.objects.exists()


def test_letters_are_branded_and_names_are_not_html_escaped_in_text(client_a, utility_a,
                                                                     in_tenant_a, send,
                                                                     mailoutbox):
    utility_a.name = "Вода & Тепло"
    utility_a.save(update_fields=["name"])
    account_with_invoices("600601")
    _register(client_a, send, "600601", "1234.56")
    [letter] = outbox_to("anna@example.test")
    assert "Вода & Тепло" in letter.subject and "Вода & Тепло" in letter.body
    html = letter.alternatives[0][0]
    assert "Вода &amp; Тепло" in html and "#0b5cad" in html  # the utility's colour


def test_consent_given_at_registration_is_what_notifications_obey(
        in_tenant_a, django_capture_on_commit_callbacks):
    from lk_core.identity.services import (
        resident_notices_set,
        resident_register,
        rules_default_ensure,
    )
    from lk_core.notifications.models import NotificationPreference
    from tests.identity.conftest import account_with_invoices

    account_with_invoices("700000001")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = resident_register(account_number="700000001", email="c@example.test",
                                    proof="1234.56", rules_version=rules_default_ensure(),
                                    email_notices=False, sms_notices=True, ip="198.51.100.2")
    preference = NotificationPreference.objects.get(user=outcome.user)
    assert (preference.email_enabled, preference.sms_enabled) == (False, True)
    resident_notices_set(resident=outcome.user.resident, email_notices=True,
                         sms_notices=False, ip="198.51.100.2")
    preference.refresh_from_db()
    assert (preference.email_enabled, preference.sms_enabled) == (True, False)
