"""Housekeeping: expired sessions, the login records that outlived them and ended device
sessions are deleted per utility; the platform host's expired sessions once, in public.
Live data - of this resident, another resident, another utility - stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from lk_core.devices.models import DeviceSession
from lk_core.devices.services import device_sessions_purge
from lk_core.identity.models import LoginSession
from lk_core.identity.services import sessions_clear_expired
from lk_core.users.models import User, UserKind
from lk_platform.housekeeping import django_sessions_clear_expired
from lk_platform.scheduler import registered_jobs, scheduler_tick
from tests.tasks.conftest import tasks_setting

NOW = timezone.now()
OURS = {"session_key__endswith": "0000"}  # keys these tests made (other modules may commit)
HOUSEKEEPING = {"identity.clear_sessions", "devices.purge_sessions", "platform.clear_sessions"}


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _user(name: str) -> User:
    return User.objects.create_user(username=name, password="x-password-123",
                                    kind=UserKind.RESIDENT)


def _session(key: str, *, expired: bool) -> str:
    key = key.ljust(32, "0")
    Session.objects.create(session_key=key, session_data="e30:",
                           expire_date=NOW + timedelta(hours=-1 if expired else 1))
    return key


def _login(user: User, session_key: str, *, age: timedelta = timedelta(days=1)) -> None:
    row = LoginSession.objects.create(user=user, session_key=session_key)
    LoginSession.objects.filter(pk=row.pk).update(created_at=NOW - age)


def _device(user: User, name: str, *, revoked_days_ago: int | None = None,
            refresh_expired_days_ago: int | None = None) -> DeviceSession:
    refresh_expires = NOW + timedelta(days=30)
    if refresh_expired_days_ago is not None:
        refresh_expires = NOW - timedelta(days=refresh_expired_days_ago)
    revoked = None if revoked_days_ago is None else NOW - timedelta(days=revoked_days_ago)
    return DeviceSession.objects.create(
        user=user, device_name=name, access_hash=f"a-{user.pk}-{name}",
        refresh_hash=f"r-{user.pk}-{name}", access_expires_at=NOW, revoked_at=revoked,
        refresh_expires_at=refresh_expires)


def _seed_sessions() -> dict[str, str]:
    alice, bob = _user("alice"), _user("bob")
    keys = {"alice-live": _session("alicelive", expired=False),
            "alice-old": _session("aliceold", expired=True),
            "bob-live": _session("boblive", expired=False)}
    _login(alice, keys["alice-live"])
    _login(alice, keys["alice-old"])
    _login(bob, keys["bob-live"])
    _login(bob, "bobsessiongone".ljust(32, "0"))  # its session expired and is gone
    _login(bob, "bobloggingin".ljust(32, "0"), age=timedelta(minutes=1))  # in flight
    return keys


def test_expired_sessions_and_their_login_records_go_live_ones_stay(
        utility_a, utility_b, in_schema):
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            keys = _seed_sessions()
    with in_schema(utility_a):
        assert sessions_clear_expired() == {"sessions": 1, "login_sessions": 2}
        assert sorted(Session.objects.filter(**OURS).values_list("session_key", flat=True)
                      ) == sorted([keys["alice-live"], keys["bob-live"]])
        assert sorted(LoginSession.objects.filter(**OURS).values_list("session_key", flat=True)
                      ) == sorted(
            [keys["alice-live"], keys["bob-live"], "bobloggingin".ljust(32, "0")])
        assert sessions_clear_expired() == {"sessions": 0, "login_sessions": 0}  # twice: ok
    with in_schema(utility_b):  # the other utility is untouched until its own run
        assert Session.objects.filter(**OURS).count() == 3
        assert LoginSession.objects.filter(**OURS).count() == 5


def test_ended_device_sessions_are_purged_after_a_month(utility_a, utility_b, in_schema):
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            alice, bob = _user("alice"), _user("bob")
            _device(alice, "phone")
            _device(alice, "old tablet", revoked_days_ago=31)
            _device(alice, "new tablet", revoked_days_ago=2)
            _device(bob, "lost phone", refresh_expired_days_ago=31)
            _device(bob, "phone", refresh_expired_days_ago=1)
    with in_schema(utility_a):
        assert device_sessions_purge(now=NOW) == 2
        assert sorted(DeviceSession.objects.values_list("user__username", "device_name")) == [
            ("alice", "new tablet"), ("alice", "phone"), ("bob", "phone")]
        assert device_sessions_purge(now=NOW) == 0
    with in_schema(utility_b):
        assert DeviceSession.objects.count() == 5


def test_public_sessions_are_cleared_in_public_only(utility_a, in_schema):
    connection.set_schema_to_public()
    live, old = _session("operatorlive", expired=False), _session("operatorold", expired=True)
    with in_schema(utility_a):
        tenant_old = _session("tenantold", expired=True)
    assert django_sessions_clear_expired() == 1
    assert list(Session.objects.filter(**OURS).values_list("session_key", flat=True)) == [live]
    assert not Session.objects.filter(session_key=old).exists()
    with in_schema(utility_a):  # a utility's sessions are its own job's
        assert list(Session.objects.filter(**OURS).values_list("session_key", flat=True)
                    ) == [tenant_old]


def test_the_scheduler_runs_housekeeping_in_every_utility_and_once_in_public(
        utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    from tenants.models import Utility

    connection.set_schema_to_public()
    Utility.objects.exclude(schema_name__in=["public", "u_alpha", "u_beta"]).update(
        state="suspended")
    public_old = _session("operatorold", expired=True)
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            _seed_sessions()
            _device(User.objects.get(username="alice"), "old", revoked_days_ago=40)
    jobs = [job for job in registered_jobs() if job.name in HOUSEKEEPING]
    assert {job.name for job in jobs} == HOUSEKEEPING
    with django_capture_on_commit_callbacks(execute=True):
        fired = scheduler_tick(jobs=jobs)
    assert sorted(fired) == [
        ("devices.purge_sessions", "u_alpha"), ("devices.purge_sessions", "u_beta"),
        ("identity.clear_sessions", "u_alpha"), ("identity.clear_sessions", "u_beta"),
        ("platform.clear_sessions", "public")]
    assert not Session.objects.filter(session_key=public_old).exists()
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            assert Session.objects.filter(**OURS).count() == 2
            assert LoginSession.objects.filter(**OURS).count() == 3
            assert not DeviceSession.objects.filter(device_name="old").exists()
