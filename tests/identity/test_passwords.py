"""Password reset by account number + e-mail, change of password (ending other sessions),
change of e-mail with confirmation and a notice to the old address."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from lk_core.identity import services
from lk_core.identity.models import LoginSession, SecurityEvent
from lk_core.identity.tokens import reset_tokens
from lk_core.users.models import User
from tests.identity.conftest import mailed_link, outbox_to, page_text
from tests.identity.helpers import PASSWORD, log_in, resident_make

NEW = "Drugoi-Novyi-Parol-42"
SENT = "Если номер лицевого счёта и адрес почты соответствуют"


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _reset(client, send, number, email):
    return send(client, "/password/reset/", {"account_number": number, "email": email})


def test_reset_answers_the_same_whether_or_not_the_pair_exists(client_a, in_tenant_a, capture,
                                                               send, mailoutbox):
    resident_make("810001", "anna@example.test", capture)
    mailoutbox.clear()
    pages = [page_text(_reset(client_a, send, number, email), number, email)
             for number, email in [("810001", "anna@example.test"),
                                   ("810001", "other@example.test"),
                                   ("819999", "anna@example.test")]]
    assert SENT in pages[0]
    assert pages[0] == pages[1] == pages[2]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["anna@example.test"]


def test_reset_link_sets_a_password_once(client_a, in_tenant_a, capture, send, mailoutbox):
    user = resident_make("810011", "anna@example.test", capture)
    _reset(client_a, send, "810011", "ANNA@example.test")
    link = mailed_link(outbox_to("anna@example.test")[-1])
    assert link.startswith("/password/reset/")
    weak = client_a.post(link, {"new_password1": "qwerty", "new_password2": "qwerty"})
    assert weak.status_code == 200
    response = client_a.post(link, {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == "/login/"
    assert client_a.get(link).status_code == 400
    assert client_a.post(link, {"new_password1": PASSWORD,
                                "new_password2": PASSWORD}).status_code == 400
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert SecurityEvent.objects.filter(kind="password_reset", user=user).exists()


def test_reset_link_expires(client_a, in_tenant_a, capture, send, mailoutbox, monkeypatch):
    resident_make("810021", "anna@example.test", capture)
    _reset(client_a, send, "810021", "anna@example.test")
    link = mailed_link(outbox_to("anna@example.test")[-1])
    later = datetime.now() + timedelta(seconds=reset_tokens.timeout + 5)
    monkeypatch.setattr(reset_tokens, "_now", lambda: later)
    assert client_a.get(link).status_code == 400
    monkeypatch.undo()
    assert client_a.get(link).status_code == 200


def test_a_blocked_resident_gets_no_reset_link(client_a, in_tenant_a, capture, send,
                                               mailoutbox):
    user = resident_make("810031", "anna@example.test", capture)
    User.objects.filter(pk=user.pk).update(is_active=False)
    mailoutbox.clear()
    response = _reset(client_a, send, "810031", "anna@example.test")
    assert SENT in response.content.decode()
    assert mailoutbox == []


def test_password_change_ends_the_other_sessions(utility_a, in_tenant_a, capture, mailoutbox):
    user = resident_make("810041", "anna@example.test", capture)
    phone, laptop = (Client(HTTP_HOST="alpha.localhost") for _ in range(2))
    log_in(phone, "810041")
    log_in(laptop, "810041")
    assert LoginSession.objects.filter(user=user).count() == 2
    with capture(execute=True):
        response = laptop.post("/password/change/", {
            "old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert laptop.get("/account/").status_code == 200  # this session stays
    assert phone.get("/account/")["Location"].startswith("/login/")  # the other is gone
    assert LoginSession.objects.filter(user=user).count() == 1
    assert any("изменён" in m.subject for m in outbox_to("anna@example.test"))


def test_sessions_end_calls_the_configured_hooks(in_tenant_a, capture, settings):
    user = resident_make("810051", "anna@example.test", capture)
    seen.clear()
    settings.IDENTITY_SESSION_END_HOOKS = ["tests.identity.test_passwords.record_hook"]
    services.resident_sessions_end(user, except_session_key="keep")
    assert seen == [(user.pk, "keep")]


seen: list = []


def record_hook(*, user, except_session_key):
    seen.append((user.pk, except_session_key))


def test_email_change_confirmed_by_the_new_address_noticed_at_the_old(client_a, in_tenant_a,
                                                                     capture, send,
                                                                     mailoutbox):
    user = resident_make("810061", "anna@example.test", capture)
    log_in(client_a, "810061")
    mailoutbox.clear()
    wrong = send(client_a, "/email/change/", {"new_email": "new@example.test",
                                              "password": "not-it"})
    assert "Пароль указан неверно." in wrong.content.decode() and not mailoutbox
    send(client_a, "/email/change/", {"new_email": "New@Example.test", "password": PASSWORD})
    [notice] = outbox_to("anna@example.test")
    assert "new@example.test" in notice.body and "/email/confirm/" not in notice.body
    link = mailed_link(outbox_to("new@example.test")[0])
    user.refresh_from_db()
    assert user.email == "anna@example.test"  # not before confirmation
    other = Client(HTTP_HOST="alpha.localhost")  # works from any browser
    assert other.get(link).status_code == 200
    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert other.get(link).status_code == 400  # single use
    assert SecurityEvent.objects.filter(kind="email_changed", user=user).exists()


def test_tampered_email_link_is_refused(client_a, in_tenant_a):
    assert client_a.get("/email/confirm/abc:def:ghi/").status_code == 400


def test_reset_link_of_another_tenant_does_not_work_here(client_a, client_b, utility_a,
                                                        utility_b, in_schema, capture, send,
                                                        mailoutbox):
    with in_schema(utility_a):
        resident_make("810071", "anna@example.test", capture)
    with in_schema(utility_b):
        resident_make("810071", "boris@example.test", capture)
    _reset(client_a, send, "810071", "anna@example.test")
    link = mailed_link(outbox_to("anna@example.test")[-1])
    assert client_b.get(link).status_code == 400
    assert client_a.get(link).status_code == 200
