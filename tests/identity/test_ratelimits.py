"""Limits on guessing: login failures per account and per IP, registration attempts per
account number and per IP, reset requests per account. Counted per tenant, with a
translated wait message, a notice to the owner, and an end."""

from __future__ import annotations

import pytest

from lk_core.identity import ratelimit
from lk_core.identity.models import SecurityEvent
from tests.identity.conftest import account_with_invoices, outbox_to, registration_data
from tests.identity.helpers import PASSWORD, log_in, resident_make

WAIT = "Слишком много попыток. Попробуйте снова через 15 минут."


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def clock(monkeypatch):
    """Move the limiter's clock: clock.advance(seconds)."""

    class Clock:
        now = 1_900_000_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    c = Clock()
    monkeypatch.setattr(ratelimit, "_now", lambda: c.now)
    return c


def test_login_failures_per_account_lock_notify_and_expire(client_a, in_tenant_a, capture,
                                                           send, mailoutbox, clock):
    resident_make("820001", "anna@example.test", capture)
    mailoutbox.clear()
    for _ in range(5):
        response = send(client_a, "/login/", {"account_number": "820001", "password": "bad"})
        assert "Неверный номер" in response.content.decode()
    # locked now: even the right password waits, with a clear message
    response = log_in(client_a, "820001")
    assert WAIT in response.content.decode()
    [notice] = outbox_to("anna@example.test")
    assert "заблокирован" in notice.subject and "820001" in notice.body
    assert SecurityEvent.objects.filter(kind="lockout", account_number="820001").exists()
    clock.advance(14 * 60)
    assert "1 минуту" in log_in(client_a, "820001").content.decode()
    clock.advance(61)
    assert log_in(client_a, "820001")["Location"] == "/"


def test_login_failures_per_ip_lock_that_ip_only(client_a, in_tenant_a, capture, settings,
                                                 clock):
    settings.IDENTITY_RATE_LIMITS = {"login_ip": (3, 900, 900)}
    resident_make("820011", "anna@example.test", capture)
    for number in ("829991", "829992", "829993"):  # spraying different accounts
        log_in(client_a, number, "guess", REMOTE_ADDR="192.0.2.9")
    assert WAIT in log_in(client_a, "820011", REMOTE_ADDR="192.0.2.9").content.decode()
    assert log_in(client_a, "820011", REMOTE_ADDR="192.0.2.10")["Location"] == "/"


def test_registration_attempts_per_account_number(client_a, in_tenant_a, send, clock):
    account_with_invoices("820021")
    for _ in range(5):
        send(client_a, "/register/", registration_data("820021", "1.00"))
    response = send(client_a, "/register/", registration_data("820021", "1234.56"))
    assert "Слишком много попыток. Попробуйте снова через 60 минут." in response.content.decode()
    clock.advance(3601)
    response = send(client_a, "/register/", registration_data("820021", "1234.56"))
    assert "Проверьте почту" in response.content.decode()


def test_registration_attempts_per_ip(client_a, in_tenant_a, send, settings, clock):
    settings.IDENTITY_RATE_LIMITS = {"register_ip": (3, 3600, 600)}
    account_with_invoices("820031")
    for number in ("829001", "829002", "829003"):
        send(client_a, "/register/", registration_data(number, "1.00"))
    response = send(client_a, "/register/", registration_data("820031", "1234.56"))
    assert "через 10 минут" in response.content.decode()
    other_ip = send(client_a, "/register/", registration_data("820031", "1234.56"),
                    REMOTE_ADDR="192.0.2.77")
    assert "Проверьте почту" in other_ip.content.decode()


def test_reset_requests_per_account(client_a, in_tenant_a, capture, send, mailoutbox, clock):
    resident_make("820041", "anna@example.test", capture)
    mailoutbox.clear()
    for _ in range(3):
        send(client_a, "/password/reset/", {"account_number": "820041",
                                            "email": "anna@example.test"})
    response = send(client_a, "/password/reset/", {"account_number": "820041",
                                                   "email": "anna@example.test"})
    assert "Слишком много попыток" in response.content.decode()
    resets = [m for m in outbox_to("anna@example.test") if "Восстановление" in m.subject]
    assert len(resets) == 3


def test_limits_are_counted_per_tenant(client_a, client_b, utility_a, utility_b, in_schema,
                                       capture, clock):
    with in_schema(utility_a):
        resident_make("820051", "anna@example.test", capture)
    with in_schema(utility_b):
        resident_make("820051", "boris@example.test", capture)
    for _ in range(5):
        log_in(client_a, "820051", "bad")
    assert WAIT in log_in(client_a, "820051").content.decode()
    assert log_in(client_b, "820051")["Location"] == "/"  # same number at B: its own counter


def test_a_successful_reset_lifts_the_login_lock(client_a, in_tenant_a, capture, send,
                                                 mailoutbox, clock):
    from tests.identity.conftest import mailed_link

    resident_make("820061", "anna@example.test", capture)
    for _ in range(5):
        log_in(client_a, "820061", "bad")
    send(client_a, "/password/reset/", {"account_number": "820061",
                                        "email": "anna@example.test"})
    link = mailed_link([m for m in mailoutbox if "Восстановление" in m.subject][-1])
    client_a.post(link, {"new_password1": PASSWORD + "x", "new_password2": PASSWORD + "x"})
    assert log_in(client_a, "820061", PASSWORD + "x")["Location"] == "/"


@pytest.fixture
def redis_cache(monkeypatch):
    """The limiter on the real Redis (as in production), in a database of its own."""
    from django.core.cache.backends.redis import RedisCache

    backend = RedisCache("redis://127.0.0.1:6379/13", {
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key"})
    backend.clear()
    monkeypatch.setattr(ratelimit, "cache", backend)
    yield backend
    backend.clear()


def test_counting_on_redis_is_atomic_and_per_tenant(utility_a, utility_b, in_schema,
                                                    redis_cache, settings, clock):
    from concurrent.futures import ThreadPoolExecutor

    settings.IDENTITY_RATE_LIMITS = {"login_account": (40, 900, 900)}
    with ThreadPoolExecutor(8) as pool:  # 39 concurrent hits: none lost, no lock yet
        locked = list(pool.map(lambda _: ratelimit.hit("login_account", "9001"), range(39)))
    assert not any(locked)
    assert ratelimit.hit("login_account", "9001")  # the 40th locks
    assert ratelimit.retry_after("login_account", "9001") == 900
    with in_schema(utility_a):
        for _ in range(40):
            ratelimit.hit("login_account", "9001")
        assert ratelimit.retry_after("login_account", "9001") == 900
    with in_schema(utility_b):
        assert ratelimit.retry_after("login_account", "9001") == 0
