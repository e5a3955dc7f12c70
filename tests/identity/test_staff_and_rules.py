"""Staff actions on residents (office registration, block, unblock, reset), the read-only
security log in the staff console, and service rules versions."""

from __future__ import annotations

import re

import pytest

from lk_core.identity import services
from lk_core.identity.models import Resident, RulesVersion, SecurityEvent
from lk_core.users.models import User, UserKind
from tests.identity.conftest import account_with_invoices, outbox_to
from tests.identity.helpers import log_in, resident_make


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _staff(username="olga@alpha.test") -> User:
    return User.objects.create_user(username=username, password="Sotrudnik-Parol-1",
                                    kind=UserKind.STAFF, staff_role="admin", is_staff=True,
                                    is_superuser=True)


def test_office_registration_shows_the_password_once(client_a, in_tenant_a, mailoutbox):
    account_with_invoices("830001")
    client_a.force_login(_staff())
    form = client_a.get("/staff/identity/resident/add/")
    assert form.status_code == 200 and "Номер лицевого счёта" in form.content.decode()
    response = client_a.post("/staff/identity/resident/add/", {
        "account_number": "830001", "email": "anna@example.test"})
    page = response.content.decode()
    password = re.search(r'class="secret">([^<]+)<', page).group(1)
    assert "830001" in page and "Пароль показывается только один раз." in page
    user = Resident.objects.get(links__account__number="830001").user
    assert user.check_password(password) and user.must_change_password
    assert SecurityEvent.objects.filter(kind="staff_registered", user=user,
                                        actor__username="olga@alpha.test").exists()
    again = client_a.post("/staff/identity/resident/add/", {
        "account_number": "830001", "email": "x@example.test"})
    assert "уже зарегистрирован" in again.content.decode()
    assert mailoutbox == []  # nothing e-mailed: the password was handed over in person
    client_a.logout()
    assert log_in(client_a, "830001", password)["Location"] == "/"
    assert client_a.get("/")["Location"] == "/password/change/"


def test_office_registration_of_an_unknown_account_is_a_form_error(client_a, in_tenant_a):
    client_a.force_login(_staff())
    response = client_a.post("/staff/identity/resident/add/", {
        "account_number": "839999", "email": "anna@example.test"})
    assert "Такого лицевого счёта нет." in response.content.decode()
    assert not Resident.objects.exists()


def test_block_unblock_and_reset_from_the_staff_console(client_a, in_tenant_a,
                                                        capture, mailoutbox):
    user = resident_make("830011", "anna@example.test", capture)
    resident = Resident.objects.get(user=user)
    from django.test import Client

    resident_browser = Client(HTTP_HOST="alpha.localhost")
    log_in(resident_browser, "830011")
    client_a.force_login(_staff())
    url = "/staff/identity/resident/"
    client_a.post(url, {"action": "block", "_selected_action": [resident.pk]})
    user.refresh_from_db()
    assert not user.is_active
    assert resident_browser.get("/account/")["Location"].startswith("/login/")
    assert "Неверный" in log_in(resident_browser, "830011").content.decode()
    client_a.post(url, {"action": "unblock", "_selected_action": [resident.pk]})
    assert log_in(resident_browser, "830011")["Location"] == "/"
    mailoutbox.clear()
    with capture(execute=True):
        client_a.post(url, {"action": "send_reset", "_selected_action": [resident.pk]})
    [letter] = outbox_to("anna@example.test")
    assert "/password/reset/" in letter.body
    kinds = set(SecurityEvent.objects.filter(actor__username="olga@alpha.test")
                .values_list("kind", flat=True))
    assert kinds == {"staff_blocked", "staff_unblocked", "staff_reset"}


def test_security_log_is_read_only_and_per_tenant(client_a, client_b, utility_a, utility_b,
                                                  in_schema, capture):
    with in_schema(utility_a):
        resident_make("830021", "anna@example.test", capture)
        staff_a = _staff()
    with in_schema(utility_b):
        client_b.force_login(_staff("olga@beta.test"))
    with in_schema(utility_a):
        client_a.force_login(staff_a)
    page = client_a.get("/staff/identity/securityevent/").content.decode()
    assert "830021" in page
    assert client_a.get("/staff/identity/securityevent/add/").status_code == 403
    with in_schema(utility_a):
        event = SecurityEvent.objects.first()
    assert client_a.post(f"/staff/identity/securityevent/{event.pk}/delete/").status_code == 403
    assert "830021" not in client_b.get("/staff/identity/securityevent/").content.decode()
    assert "830021" not in client_b.get("/staff/identity/resident/").content.decode()


def test_default_rules_are_published_with_the_utility_s_name(client_a, in_tenant_a):
    page = client_a.get("/rules/").content.decode()
    assert "Правила пользования личным кабинетом" in page
    assert "Alpha Water" in page and "хранить пароль в тайне" in page
    english = client_a.get("/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The customer keeps the password secret" in english
    # The English text comes under its English title, not the Russian one.
    assert "Terms of use of the personal account" in english
    assert "Правила пользования" not in english
    # One line per clause: no line break in mid-sentence on a phone.
    assert "(the company) to customers with an open account" in english
    assert "Alpha Water (далее — организация) для абонентов, у которых" in page


def test_rules_title_follows_the_text_s_language(client_a, in_tenant_a):
    services.rules_publish(version=services.rules_draft_create(
        title="Правила, ред. 2", title_en="Rules, edition 2", text_ru="Текст.", text_en="Text."))
    english = client_a.get("/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rules, edition 2" in english and "Правила, ред. 2" not in english
    assert "Правила, ред. 2" in client_a.get("/rules/").content.decode()
    # No English text: the Russian text keeps its Russian title for everyone.
    services.rules_publish(version=services.rules_draft_create(
        title="Правила, ред. 3", title_en="Rules, edition 3", text_ru="Текст 3."))
    english = client_a.get("/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Правила, ред. 3" in english and "Rules, edition 3" not in english


def test_a_new_rules_version_is_accepted_at_next_login(client_a, in_tenant_a, capture):
    user = resident_make("830031", "anna@example.test", capture)
    staff = _staff()
    draft = services.rules_draft_create(title="Правила, ред. 2", text_ru="Новый текст правил.")
    log_in(client_a, "830031")
    assert client_a.get("/account/").status_code == 200  # a draft changes nothing
    services.rules_publish(version=draft, actor=staff)
    response = client_a.get("/account/")
    assert response["Location"].startswith("/rules/accept/")
    page = client_a.get(response["Location"]).content.decode()
    assert "Новый текст правил." in page
    assert client_a.post("/rules/accept/", {}).status_code == 200  # must tick the box
    response = client_a.post("/rules/accept/?next=/account/", {"accept": "on"})
    assert response["Location"] == "/account/"
    assert client_a.get("/account/").status_code == 200
    assert Resident.objects.get(user=user).rules_acceptances.filter(version=draft).exists()
    assert SecurityEvent.objects.filter(kind="rules_accepted", user=user).exists()


def test_publishing_an_older_draft_after_a_newer_version_is_refused(in_tenant_a):
    from django.core.exceptions import ValidationError

    services.rules_default_ensure()
    older = services.rules_draft_create(title="2", text_ru="2")
    newer = services.rules_draft_create(title="3", text_ru="3")
    services.rules_publish(version=newer)
    with pytest.raises(ValidationError):
        services.rules_publish(version=older)
    assert RulesVersion.objects.get(pk=older.pk).status == "draft"


def test_rules_publish_from_the_staff_console(client_a, in_tenant_a):
    services.rules_default_ensure()
    draft = services.rules_draft_create(title="2", text_ru="Текст 2")
    client_a.force_login(_staff())
    add = client_a.get("/staff/identity/rulesversion/add/").content.decode()
    assert "Текст 2" in add and 'value="3"' in add  # prefilled from the latest version
    client_a.post("/staff/identity/rulesversion/", {"action": "publish",
                                                    "_selected_action": [draft.pk]})
    assert RulesVersion.objects.get(pk=draft.pk).status == "published"


def test_staff_at_b_cannot_act_on_a_s_residents(client_b, utility_a, utility_b, in_schema,
                                                capture):
    with in_schema(utility_a):
        user = resident_make("830041", "anna@example.test", capture)
        resident_pk = Resident.objects.get(user=user).pk
    with in_schema(utility_b):
        client_b.force_login(_staff("olga@beta.test"))
    client_b.post("/staff/identity/resident/", {"action": "block",
                                                "_selected_action": [resident_pk]})
    with in_schema(utility_a):
        assert User.objects.get(pk=user.pk).is_active
        assert not SecurityEvent.objects.filter(kind="staff_blocked").exists()


def test_read_only_staff_cannot_register_or_block(client_a, in_tenant_a, capture):
    from django.contrib.auth.models import Permission

    user = resident_make("830051", "anna@example.test", capture)
    resident = Resident.objects.get(user=user)
    viewer = User.objects.create_user(username="vera@alpha.test", password="x-Vera-pass-1",
                                      kind=UserKind.STAFF, is_staff=True, staff_role="readonly")
    viewer.user_permissions.add(Permission.objects.get(codename="view_resident"))
    client_a.force_login(viewer)
    assert client_a.get("/staff/identity/resident/").status_code == 200
    assert client_a.get("/staff/identity/resident/add/").status_code == 403
    client_a.post("/staff/identity/resident/", {"action": "block",
                                                "_selected_action": [resident.pk]})
    user.refresh_from_db()
    assert user.is_active


def test_registration_against_rules_published_meanwhile_is_not_accepted(client_a, in_tenant_a,
                                                                       send):
    from tests.identity.conftest import registration_data

    services.rules_default_ensure()
    services.rules_publish(version=services.rules_draft_create(title="2", text_ru="Новые"))
    account_with_invoices("830061")
    response = send(client_a, "/register/", registration_data("830061", "1234.56"))
    assert "Правила сервиса только что обновились" in response.content.decode()
    assert not Resident.objects.exists()
    data = {**registration_data("830061", "1234.56"), "rules_version": 2}
    assert "Проверьте почту" in send(client_a, "/register/", data).content.decode()
    assert Resident.objects.get().rules_acceptances.get().version.number == 2


def test_staff_console_login_is_rate_limited_and_audited(client_a, in_tenant_a, send,
                                                         mailoutbox, monkeypatch):
    from lk_core.identity import ratelimit

    now = [1_900_000_000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    staff = _staff()
    staff.email = "olga@alpha.test"
    staff.save()
    for _ in range(5):
        response = send(client_a, "/staff/login/", {"username": "olga@alpha.test",
                                                    "password": "wrong"})
        assert response.status_code == 200
    response = send(client_a, "/staff/login/", {"username": "olga@alpha.test",
                                                "password": "Sotrudnik-Parol-1"})
    assert "Слишком много попыток. Попробуйте снова через 15 минут." in (
        response.content.decode())
    assert SecurityEvent.objects.filter(kind="lockout", user=staff).exists()
    assert len(outbox_to("olga@alpha.test")) == 1
    now[0] += 901
    response = send(client_a, "/staff/login/?next=/staff/", {
        "username": "olga@alpha.test", "password": "Sotrudnik-Parol-1"})
    assert response.status_code == 302
    assert SecurityEvent.objects.filter(kind="login", user=staff).exists()
