"""Reading-window reminders: "readings are accepted" on the window's first day and "last
days" before it closes, in each utility's own time zone, once per window and account,
only for meters that take readings and (for "last days") still lack a reading."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings

from lk_core.billing.models import Service
from lk_core.meters.models import Meter, Reading, ReadingSource
from lk_core.meters.services import reading_reminders_send
from lk_core.notifications import services
from lk_core.notifications.models import Kind, Notification, Status
from lk_core.portal.services import preferences_update
from lk_platform.scheduler import registered_jobs, scheduler_tick
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import notification_settings, resident

# Both utilities read from the 15th to the 25th. Alpha is on Moscow time (UTC+3), beta on
# Vladivostok time (UTC+10).
BETA_OPENS = datetime(2026, 11, 14, 15, 0, tzinfo=UTC)  # beta: 15th 01:00; alpha: 14th 18:00
ALPHA_LAST_DAYS = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # alpha: 23rd 12:00


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _meter(account, meter_id: str, **fields) -> Meter:
    water = Service.objects.get_or_create(code="CW", defaults={"name": "Cold water"})[0]
    return Meter.objects.create(meter_id=meter_id, account=account, service=water,
                                serial_number=meter_id, **fields)


def _reading(meter: Meter, taken_on: date, source: str = ReadingSource.RESIDENT) -> None:
    Reading.objects.create(meter=meter, taken_on=taken_on, t1=100, source=source)


def _send(commit, now) -> int:
    with commit(execute=True):
        return reading_reminders_send(now=now)


def _mailed() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_window_opening_is_announced_on_its_first_local_day_only(
        utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            metered, _u = resident("R-1")
            _meter(metered, "m-1")
    with in_schema(utility_a):  # still the 14th in Moscow: the window is closed
        assert _send(commit, BETA_OPENS) == 0
    with in_schema(utility_b):
        removed, _v = resident("R-2")  # another resident: meter removed
        _meter(removed, "m-2", removed_on=date(2026, 10, 1))
        expired, _w = resident("R-3")  # another resident: verification expired
        _meter(expired, "m-3", verified_until=date(2026, 11, 1))
        resident("R-4")  # no meter at all
        unregistered, _x = resident("R-5", registered=False)
        _meter(unregistered, "m-5")
        closed, _y = resident("R-6")
        closed.status = "closed"
        closed.save(update_fields=["status"])
        _meter(closed, "m-6")
        assert _send(commit, BETA_OPENS) == 1
        assert _send(commit, BETA_OPENS.replace(hour=20)) == 0  # same day again: nothing
        assert _send(commit, datetime(2026, 11, 16, 1, 0, tzinfo=UTC)) == 0  # day two
        [row] = Notification.objects.all()
        assert row.kind == Kind.READING_WINDOW_OPENS and row.status == Status.SENT
        assert row.dedupe_key == f"{Kind.READING_WINDOW_OPENS}:2026-11-25:{row.account_id}"
    [message] = mail.outbox
    assert message.to == ["R-1@mail.test"] and "25.11.2026" in message.body
    assert utility_b.name in message.body
    with in_schema(utility_a):
        assert not Notification.objects.exists()


def test_last_days_reach_only_residents_whose_meters_lack_a_reading(
        in_tenant_a, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    done, _a = resident("L-1")
    _reading(_meter(done, "l-1"), date(2026, 11, 20))
    by_inspector, _b = resident("L-2")
    _reading(_meter(by_inspector, "l-2"), date(2026, 11, 16), ReadingSource.INSPECTOR)
    estimated, _c = resident("L-3")
    _reading(_meter(estimated, "l-3"), date(2026, 11, 16), ReadingSource.ESTIMATE)
    half, _d = resident("L-4")
    _reading(_meter(half, "l-4a"), date(2026, 11, 18))
    _meter(half, "l-4b")
    last_month, _e = resident("L-5")
    _reading(_meter(last_month, "l-5"), date(2026, 10, 20))
    _muted, muted_user = resident("L-6")
    _meter(_muted, "l-6")
    services.preference_update(user=muted_user, email_enabled=True, sms_enabled=False,
                               muted_kinds=[Kind.READING_WINDOW_CLOSES])
    assert _send(commit, datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) == 0  # 3 days before
    assert _send(commit, ALPHA_LAST_DAYS) == 3
    assert _mailed() == ["L-3@mail.test", "L-4@mail.test", "L-5@mail.test"]
    assert all("25.11.2026" in message.body for message in mail.outbox)
    _reading(_meter(resident("L-7")[0], "l-7"), date(2026, 11, 24))  # a late submitter
    assert _send(commit, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)) == 0  # last day: no repeats
    assert _send(commit, datetime(2026, 11, 26, 9, 0, tzinfo=UTC)) == 0  # window closed
    assert len(mail.outbox) == 3


def test_utility_settings_turn_reminders_off_or_move_the_second_one(
        in_tenant_a, django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    account, _u = resident("S-1")
    _meter(account, "s-1")
    notification_settings(reading_reminders_enabled=False)
    assert _send(commit, datetime(2026, 11, 15, 6, 0, tzinfo=UTC)) == 0  # opening day
    notification_settings(reading_reminders_enabled=True, reading_reminder_days_before=5)
    assert _send(commit, datetime(2026, 11, 19, 9, 0, tzinfo=UTC)) == 0  # 6 days before
    assert _send(commit, datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) == 1  # 5 days before
    assert [row.kind for row in Notification.objects.all()] == [Kind.READING_WINDOW_CLOSES]


def test_sms_reminder_goes_to_the_portal_phone_after_the_night(
        in_tenant_b, django_capture_on_commit_callbacks):
    """Opening day starts at 01:00 in Vladivostok: e-mail at once, SMS at 09:00 local, to
    the number the resident gave in the portal (not the billing one)."""
    notification_settings(sms_enabled=True, quiet_hours_start=time(21), quiet_hours_end=time(9))
    account, user = resident("N-1", phone="+79990000001")
    _meter(account, "n-1")
    preferences_update(user=user, contact_phone="8 (912) 345-67-89", paperless_receipt=False,
                       language="ru", email_reading_receipt=False, email_enabled=True,
                       sms_enabled=True, muted_kinds=[])
    assert _send(django_capture_on_commit_callbacks, BETA_OPENS) == 2
    sms = Notification.objects.get(channel="sms")
    assert sms.recipient == "+79123456789"
    assert sms.status == Status.PENDING
    assert sms.next_attempt_at == datetime(2026, 11, 14, 23, 0, tzinfo=UTC)  # 09:00 VLAT
    assert Notification.objects.get(channel="email").status == Status.SENT


def test_the_scheduler_runs_reminders_per_utility_in_its_time_zone(
        utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    from tenants.models import Utility

    connection.set_schema_to_public()
    Utility.objects.exclude(schema_name__in=["public", "u_alpha", "u_beta"]).update(
        state="suspended")
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            _meter(resident("T-1")[0], "t-1")
    [job] = [job for job in registered_jobs() if job.name == "meters.reading_reminders"]
    with mock.patch("django.utils.timezone.now", return_value=BETA_OPENS), \
            django_capture_on_commit_callbacks(execute=True):
        fired = scheduler_tick(now=BETA_OPENS, jobs=[job])
    assert sorted(fired) == [(job.name, "u_alpha"), (job.name, "u_beta")]
    assert _mailed() == ["T-1@mail.test"] and utility_b.name in mail.outbox[0].body
    for utility, count in ((utility_a, 0), (utility_b, 1)):
        with in_schema(utility):
            assert Notification.objects.filter(kind=Kind.READING_WINDOW_OPENS).count() == count
