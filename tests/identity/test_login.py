"""Login with any linked account number, the forced first change, expiry of the initial
password, linked accounts and switching, blocked residents, other tenants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lk_core.identity.models import Resident, SecurityEvent
from lk_core.identity.selectors import resident_current_account
from lk_core.users.models import User
from tests.identity.conftest import account_with_invoices, outbox_to
from tests.identity.helpers import PASSWORD, log_in, resident_make

WRONG = "Неверный номер лицевого счёта или пароль."


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_login_with_account_number_and_password(client_a, in_tenant_a, capture):
    user = resident_make("800001", "anna@example.test", capture)
    response = log_in(client_a, "800 001")  # spaces as on a receipt
    assert response.status_code == 302 and response["Location"] == "/"
    assert client_a.get("/").status_code == 200
    assert SecurityEvent.objects.filter(kind="login", user=user).exists()
    page = client_a.get("/account/").content.decode()
    assert "800001" in page and "Выйти" in page


def test_wrong_password_unknown_account_and_blocked_look_the_same(client_a, in_tenant_a,
                                                                  capture):
    resident_make("800011", "anna@example.test", capture)
    blocked = resident_make("800012", "boris@example.test", capture)
    blocked.is_active = False
    blocked.save()
    pages = []
    for number, password in [("800011", "wrong-password-1"), ("899999", PASSWORD),
                             ("800012", PASSWORD)]:
        response = log_in(client_a, number, password)
        assert response.status_code == 200 and WRONG in response.content.decode()
        pages.append(response.content.decode().replace(number, "N").split(
            'name="csrfmiddlewaretoken"')[0])
    assert pages[0] == pages[1] == pages[2]


def test_first_login_forces_a_new_password_which_is_strength_checked(client_a, in_tenant_a,
                                                                     capture):
    user = resident_make("800021", "anna@example.test", capture, own_password=None)
    assert log_in(client_a, "800021", user.initial_password)["Location"] == "/"
    assert client_a.get("/account/")["Location"].startswith("/password/change/")
    weak = client_a.post("/password/change/", {"old_password": user.initial_password,
                                               "new_password1": "1234567890",
                                               "new_password2": "1234567890"})
    assert weak.status_code == 200 and "error" in weak.content.decode()
    response = client_a.post("/password/change/", {"old_password": user.initial_password,
                                                   "new_password1": PASSWORD,
                                                   "new_password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    user.refresh_from_db()
    assert not user.must_change_password and user.password_expires_at is None
    assert client_a.get("/account/").status_code == 200


def test_the_forced_change_can_be_turned_off(client_a, in_tenant_a, capture, configure):
    configure(force_password_change=False)
    user = resident_make("800031", "anna@example.test", capture, own_password=None)
    log_in(client_a, "800031", user.initial_password)
    assert client_a.get("/account/").status_code == 200
    user.refresh_from_db()
    assert user.password_expires_at is None  # used in time: it no longer expires
    client_a.post("/logout/")
    assert log_in(client_a, "800031", user.initial_password)["Location"] == "/"


def test_an_unused_initial_password_expires(client_a, in_tenant_a, capture):
    user = resident_make("800041", "anna@example.test", capture, own_password=None)
    User.objects.filter(pk=user.pk).update(password_expires_at=timezone.now()
                                           - timedelta(minutes=1))
    response = log_in(client_a, "800041", user.initial_password)
    assert WRONG in response.content.decode()


def test_staff_with_a_must_change_password_are_sent_to_change_it(client_a, in_tenant_a):
    staff = User.objects.get(username="admin@alpha.test")
    assert staff.must_change_password
    client_a.force_login(staff)
    response = client_a.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/password/change/")
    staff.set_password("old-Staff-pass-1")
    staff.save()
    client_a.force_login(staff)
    response = client_a.post("/password/change/?next=/staff/", {
        "old_password": "old-Staff-pass-1", "new_password1": "Novyi-Parol-Sotrudnika-9",
        "new_password2": "Novyi-Parol-Sotrudnika-9"})
    assert response["Location"] == "/staff/"
    assert client_a.get("/staff/").status_code == 200


def test_logout(client_a, in_tenant_a, capture):
    resident_make("800051", "anna@example.test", capture)
    log_in(client_a, "800051")
    assert client_a.get("/logout/").status_code == 405  # POST only (no CSRF-less logout)
    assert client_a.post("/logout/")["Location"] == "/"
    assert client_a.get("/account/")["Location"].startswith("/login/")


def test_link_a_second_account_log_in_with_either_and_switch(client_a, in_tenant_a, capture,
                                                             mailoutbox):
    user = resident_make("800061", "anna@example.test", capture)
    account_with_invoices("800062", amount_due="55.10")
    log_in(client_a, "800061")
    refused = client_a.post("/account/link/", {"account_number": "800062", "proof": "55.11"})
    assert "Не удалось подтвердить" in refused.content.decode()
    response = client_a.post("/account/link/", {"account_number": "800062", "proof": "55,1"})
    assert response.status_code == 302
    resident = Resident.objects.get(user=user)
    assert sorted(resident.links.values_list("account__number", flat=True)) == [
        "800061", "800062"]
    page = client_a.get("/account/").content.decode()
    assert 'id="account-switch"' in page  # the switcher shows with two accounts
    second = resident.links.get(account__number="800062").account
    client_a.post("/account/switch/", {"account": second.pk})
    resident.refresh_from_db()
    assert resident_current_account(resident=resident) == second
    client_a.post("/logout/")
    assert log_in(client_a, "800062")["Location"] == "/"


def test_cannot_switch_to_or_link_another_resident_s_account(client_a, in_tenant_a, capture,
                                                             mailoutbox):
    resident_make("800071", "anna@example.test", capture)
    bob = resident_make("800072", "bob@example.test", capture)
    bobs_account = Resident.objects.get(user=bob).links.get().account
    log_in(client_a, "800071")
    assert client_a.post("/account/switch/", {"account": bobs_account.pk}).status_code == 404
    assert client_a.post("/account/switch/", {"account": "x"}).status_code == 404
    mailoutbox.clear()
    with capture(execute=True):
        response = client_a.post("/account/link/", {"account_number": "800072",
                                                     "proof": "1234.56"})
    assert "Не удалось подтвердить" in response.content.decode()
    assert Resident.objects.get(user=bob).links.count() == 1
    assert len(outbox_to("bob@example.test")) == 1  # Bob hears that someone tried


def test_a_login_at_one_utility_means_nothing_at_another(client_a, client_b, utility_a,
                                                         utility_b, in_schema, capture):
    with in_schema(utility_a):
        resident_make("800081", "anna@example.test", capture)
    with in_schema(utility_b):
        account_with_invoices("800081")
    assert WRONG in log_in(client_b, "800081").content.decode()
    assert log_in(client_a, "800081")["Location"] == "/"
    client_b.cookies["lk_session"] = client_a.cookies["lk_session"].value
    assert client_b.get("/account/")["Location"].startswith("/login/")


def test_nav_shows_login_and_register_to_visitors(client_a, in_tenant_a):
    page = client_a.get("/").content.decode()
    assert 'href="/login/"' in page and 'href="/register/"' in page
    assert 'class="button" href="/login/"' in page  # the home page buttons


def test_login_redirects_only_to_local_next(client_a, in_tenant_a, capture):
    resident_make("800091", "anna@example.test", capture)
    response = client_a.post("/login/?next=https://evil.example/", {
        "account_number": "800091", "password": PASSWORD})
    assert response["Location"] == "/"
    client_a.post("/logout/")
    response = client_a.post("/login/", {"account_number": "800091", "password": PASSWORD,
                                         "next": "/account/"})
    assert response["Location"] == "/account/"


def test_the_api_answers_a_gated_user_with_a_clear_status(client_a, in_tenant_a, capture):
    user = resident_make("800101", "anna@example.test", capture, own_password=None)
    log_in(client_a, "800101", user.initial_password)
    response = client_a.get("/api/v1/utility/")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_pages_work_in_english(client_a, in_tenant_a, capture):
    resident_make("800111", "anna@example.test", capture)
    page = client_a.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Account number" in page and "Forgot your password?" in page
    response = client_a.post("/login/", {"account_number": "800111", "password": "nope"},
                             HTTP_ACCEPT_LANGUAGE="en")
    assert "The account number or password is not correct." in response.content.decode()


def test_a_lockout_of_one_resident_leaves_another_alone(client_a, in_tenant_a, capture):
    resident_make("800121", "anna@example.test", capture)
    resident_make("800122", "bob@example.test", capture)
    for _ in range(5):
        log_in(client_a, "800121", "bad")
    assert "Слишком много попыток" in log_in(client_a, "800121").content.decode()
    assert log_in(client_a, "800122")["Location"] == "/"


def _queries_for_account_page(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/account/").status_code == 200
    return len(queries)


def test_account_page_queries_do_not_grow_with_linked_accounts(client_a, in_tenant_a,
                                                                capture):
    user = resident_make("800131", "anna@example.test", capture)
    resident = Resident.objects.get(user=user)
    log_in(client_a, "800131")
    _queries_for_account_page(client_a)  # the first page also stores the rules check
    one = _queries_for_account_page(client_a)
    from lk_core.identity.models import ResidentAccount

    for n in range(2, 7):
        ResidentAccount.objects.create(resident=resident, method="amount",
                                       account=account_with_invoices(f"80014{n}"))
    assert _queries_for_account_page(client_a) == one
    assert one <= 9  # tenant, session, user, rules, resident, accounts (page + nav)


def test_account_page_shows_consent_and_sends_changes_to_the_settings_page(
        client_a, in_tenant_a, capture):
    """One place changes consent: the settings page, which also queues the change for the
    billing system's contacts export (tests/api/test_settings_api.py covers its records)."""
    user = resident_make("800151", "anna@example.test", capture)
    log_in(client_a, "800151")
    page = client_a.get("/account/").content.decode()
    assert "Уведомления по e-mail: включены" in page
    assert "Уведомления по SMS: выключены" in page
    assert 'href="/settings/"' in page and 'name="email_notices"' not in page
    resident = Resident.objects.get(user=user)
    resident.email_notices, resident.sms_notices = False, True
    resident.save(update_fields=["email_notices", "sms_notices"])
    page = client_a.get("/account/").content.decode()
    assert "Уведомления по e-mail: выключены" in page and "Уведомления по SMS: включены" in page
    assert client_a.post("/account/notices/", {"sms_notices": "on"}).status_code == 404


def test_staff_have_no_resident_pages(client_a, in_tenant_a):
    staff = User.objects.create_user(username="olga@alpha.test", password="x-Olga-pass-1",
                                     kind="staff", is_staff=True)
    client_a.force_login(staff)
    assert client_a.get("/account/").status_code == 404


def test_in_maintenance_a_resident_can_still_get_through_the_gates(client_a, utility_a,
                                                                   in_tenant_a, capture):
    from tenants.services import utility_set_state

    user = resident_make("800161", "anna@example.test", capture, own_password=None)
    utility_set_state(utility=utility_a, state="maintenance", actor="tests")
    assert log_in(client_a, "800161", user.initial_password)["Location"] == "/"
    response = client_a.post("/password/change/", {"old_password": user.initial_password,
                                                   "new_password1": PASSWORD,
                                                   "new_password2": PASSWORD})
    assert response.status_code == 302
    assert client_a.post("/settings/", {}).status_code == 503  # read-only otherwise
