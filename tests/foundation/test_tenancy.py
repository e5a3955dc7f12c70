"""Host-based tenancy: isolation of data, sessions and caches between utilities."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from lk_core.users.models import User, UserKind


def _staff(username: str, password: str) -> User:
    return User.objects.create_user(username=username, password=password, is_staff=True,
                                    is_superuser=True, kind=UserKind.STAFF)


def test_same_username_in_two_tenants_are_two_users(utility_a, utility_b, in_schema):
    with in_schema(utility_a):
        _staff("alice", "alpha-password-1")
    with in_schema(utility_b):
        _staff("alice", "beta-password-1")
        assert User.objects.get(username="alice").check_password("beta-password-1")
        assert not User.objects.filter(username="admin@alpha.test").exists()
    with in_schema(utility_a):
        assert User.objects.get(username="alice").check_password("alpha-password-1")
        assert User.objects.filter(username="admin@alpha.test").exists()


def test_login_on_a_does_not_work_on_b(utility_a, utility_b, client_a, client_b, in_schema):
    with in_schema(utility_a):
        _staff("alice", "alpha-password-1")
    response = client_b.post("/staff/login/?next=/staff/",
                             {"username": "alice", "password": "alpha-password-1"})
    assert response.status_code == 200  # the form again: no such user at B
    assert "lk_session" not in response.cookies
    response = client_a.post("/staff/login/?next=/staff/",
                             {"username": "alice", "password": "alpha-password-1"})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client_a.get("/staff/").status_code == 200


def test_session_cookie_from_a_is_refused_on_b(utility_a, utility_b, client_a, client_b,
                                               in_schema):
    with in_schema(utility_a):
        _staff("alice", "alpha-password-1")
    client_a.post("/staff/login/", {"username": "alice", "password": "alpha-password-1"})
    cookie = client_a.cookies["lk_session"]
    assert cookie["domain"] == ""  # host-only: the browser never sends it to another host
    client_b.cookies["lk_session"] = cookie.value
    response = client_b.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_unknown_host_is_a_plain_404(db):
    from django.test import Client

    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Alpha" not in body and "Beta" not in body and "<form" not in body


def test_disallowed_host_is_404(db):
    from django.test import Client

    assert Client(HTTP_HOST="evil.example.com").get("/").status_code == 404


def test_tenant_pages_show_their_own_branding(client_a, client_b):
    page_a = client_a.get("/").content.decode()
    page_b = client_b.get("/").content.decode()
    assert "Alpha Water" in page_a and "Beta Heat" not in page_a
    assert "Beta Heat" in page_b and "Alpha Water" not in page_b
    assert "--brand-primary: #0b5cad" in client_a.get("/branding.css").content.decode()
    assert "--brand-primary: #a3261c" in client_b.get("/branding.css").content.decode()


def test_platform_host_serves_operator_console_not_a_portal(public_client):
    response = public_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert public_client.get("/console/").status_code == 302  # to the console login
    assert public_client.get("/staff/").status_code == 404


def test_staff_console_is_not_served_on_platform_host_and_console_not_on_tenant(client_a):
    assert client_a.get("/console/").status_code == 404


def test_cache_keys_are_per_tenant(utility_a, utility_b, in_schema):
    with in_schema(utility_a):
        cache.set("greeting", "alpha")
    with in_schema(utility_b):
        assert cache.get("greeting") is None
        cache.set("greeting", "beta")
    with in_schema(utility_a):
        assert cache.get("greeting") == "alpha"


def test_csrf_is_enforced_on_tenant_hosts(utility_a):
    from django.test import Client

    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 403
    client.get("/")
    token = client.cookies["lk_csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"},
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert "Personal account of Alpha Water" in client.get("/").content.decode()


def test_timezone_is_the_utility_s(client_b, utility_b):
    client_b.get("/")
    from django.utils import timezone

    assert str(timezone.get_current_timezone()) == "Asia/Vladivostok"


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost", "nobody.localhost",
                                  "evil.example.com"])
def test_health_endpoints_answer_on_any_host(db, host):
    from django.test import Client

    client = Client(HTTP_HOST=host)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == {"ok": True}


def test_readyz_reports_an_unreachable_broker(db, settings):
    from django.test import Client

    settings.BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client(HTTP_HOST="alpha.localhost").get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_readyz_with_the_real_redis_broker(db, settings):
    from django.test import Client

    settings.BROKER_URL = "redis://127.0.0.1:6379/0"
    response = Client(HTTP_HOST="alpha.localhost").get("/readyz")
    assert response.status_code == 200, response.json()
