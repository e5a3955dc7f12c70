"""The reading rules: window in the tenant's time zone, zones, rollover, jump, expired and
removed meters, resubmission, concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from lk_core.meters.models import Meter, Reading
from lk_core.meters.services import ConfirmationRequired, reading_submit
from lk_core.meters.windows import window_state
from tests.portal import data

UTC = dt.UTC
# Alpha is in Moscow (UTC+3), beta in Vladivostok (UTC+10); both accept readings 15..25.
IN_WINDOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def alice(in_tenant_a):
    user, account = data.resident("100001")
    stuff = data.history(account, months=12)
    return user, account, stuff["meters"][0]


def submit(user, account, meter, values, **kwargs):
    kwargs.setdefault("now", IN_WINDOW)
    return reading_submit(user=user, account=account, meter=meter, values=values,
                          channel="web", **kwargs)


def test_window_state_plain_and_wrapping():
    state = window_state(today=dt.date(2026, 11, 14), start_day=15, end_day=25)
    assert not state.is_open and state.next.opens_on == dt.date(2026, 11, 15)
    state = window_state(today=dt.date(2026, 11, 26), start_day=15, end_day=25)
    assert not state.is_open and state.next.opens_on == dt.date(2026, 12, 15)
    state = window_state(today=dt.date(2026, 12, 2), start_day=25, end_day=5)
    assert state.is_open and state.current.opens_on == dt.date(2026, 11, 25)
    assert state.current.closes_on == dt.date(2026, 12, 5)
    state = window_state(today=dt.date(2027, 2, 27), start_day=31, end_day=31)
    assert state.next.opens_on == dt.date(2027, 2, 28)  # day 31 means the month's last day


def test_accepted_in_window_with_receipt(alice):
    user, account, meter = alice
    receipt = submit(user, account, meter, ["134.5"])
    assert receipt.values == [Decimal("134.5")] and receipt.consumption == [Decimal("1.5")]
    assert not receipt.replaced
    reading = Reading.objects.get(pk=receipt.reading.pk)
    assert (reading.source, reading.submitted_by_id, reading.channel) == ("resident", user.pk,
                                                                           "web")
    assert reading.taken_on == dt.date(2026, 11, 20)


def test_window_edges_in_moscow_time(alice):
    user, account, meter = alice
    # 25 Nov 23:59 in Moscow is 20:59 UTC: still open.
    submit(user, account, meter, ["134"], now=dt.datetime(2026, 11, 25, 20, 59, tzinfo=UTC))
    # 26 Nov 00:01 in Moscow is 21:01 UTC on the 25th: closed, next window 15 Dec.
    with pytest.raises(ValidationError) as error:
        submit(user, account, meter, ["135"], now=dt.datetime(2026, 11, 25, 21, 1, tzinfo=UTC))
    assert error.value.code == "window_closed"
    assert "15 декабря 2026" in error.value.messages[0]


def test_window_opens_at_local_midnight_in_vladivostok(in_tenant_b, utility_b):
    user, account = data.resident("200001")
    meter = data.history(account, months=3)["meters"][0]
    # 14 Nov 23:30 in Vladivostok = 13:30 UTC: closed; opens on the 15th.
    with pytest.raises(ValidationError) as error:
        submit(user, account, meter, ["110"], now=dt.datetime(2026, 11, 14, 13, 30, tzinfo=UTC))
    assert error.value.code == "window_closed"
    # 15 Nov 00:30 in Vladivostok = 14:30 UTC on the 14th (still the 14th in Moscow): open.
    receipt = submit(user, account, meter, ["110"],
                     now=dt.datetime(2026, 11, 14, 14, 30, tzinfo=UTC))
    assert receipt.reading.taken_on == dt.date(2026, 11, 15)


def test_one_value_per_zone(alice):
    user, account, meter = alice
    meter.zones = 2
    meter.save(update_fields=["zones"])
    with pytest.raises(ValidationError) as error:
        submit(user, account, meter, ["134"])
    assert error.value.code == "zones"
    receipt = submit(user, account, meter, ["134", "12"])
    reading = Reading.objects.get(pk=receipt.reading.pk)
    assert (reading.t1, reading.t2, reading.t3) == (Decimal("134"), Decimal("12"), None)


@pytest.mark.parametrize("value", ["abc", "-1", "100000", "170.1234"])
def test_bad_values_are_refused_and_nothing_stored(alice, value):
    user, account, meter = alice
    before = Reading.objects.count()
    with pytest.raises(ValidationError) as error:
        submit(user, account, meter, [value])
    assert "t1" in error.value.message_dict
    assert Reading.objects.count() == before


def test_below_previous_needs_rollover_confirmation(in_tenant_a):
    user, account = data.resident("100002")
    meter = data.history(account, months=3, meter_digits=3)["meters"][0]
    Reading.objects.filter(meter=meter, taken_on=dt.date(2026, 10, 20)).update(t1=Decimal(998))
    with pytest.raises(ConfirmationRequired) as question:
        submit(user, account, meter, ["2"])
    assert question.value.kind == "rollover" and "999" in question.value.message
    assert question.value.consumption == [Decimal(4)]
    assert not Reading.objects.filter(meter=meter, source="resident").exists()
    receipt = submit(user, account, meter, ["2"], confirm_rollover=True)
    assert receipt.consumption == [Decimal(4)]


def test_rollover_that_is_really_a_typo_also_asks_about_the_jump(alice):
    user, account, meter = alice  # 5 digits, last reading 133, about 3 a month
    with pytest.raises(ConfirmationRequired) as question:
        submit(user, account, meter, ["100"], confirm_rollover=True)
    assert question.value.kind == "jump"


def test_jump_needs_confirmation(alice):
    user, account, meter = alice
    last = Reading.objects.filter(meter=meter).order_by("-taken_on").first().t1
    with pytest.raises(ConfirmationRequired) as question:
        submit(user, account, meter, [str(last + 10)])  # usual is 3 a month
    assert question.value.kind == "jump"
    assert not Reading.objects.filter(meter=meter, source="resident").exists()
    submit(user, account, meter, [str(last + 10)], confirm_jump=True)
    assert Reading.objects.filter(meter=meter, source="resident").count() == 1
    # Within the limit no question is asked.
    submit(user, account, meter, [str(last + 8)])


def test_resubmission_in_the_same_window_replaces(alice):
    user, account, meter = alice
    first = submit(user, account, meter, ["134"])
    second = submit(user, account, meter, ["135"],
                    now=dt.datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    assert second.replaced and second.reading.pk == first.reading.pk
    readings = Reading.objects.filter(meter=meter, source="resident")
    assert [(r.t1, r.taken_on) for r in readings] == [(Decimal(135), dt.date(2026, 11, 22))]
    # The replaced value is not "the previous reading" for the resubmission.
    assert second.consumption == [Decimal(2)]
    # The next window makes a new reading.
    third = submit(user, account, meter, ["137"],
                   now=dt.datetime(2026, 12, 16, 9, 0, tzinfo=UTC))
    assert not third.replaced
    assert Reading.objects.filter(meter=meter, source="resident").count() == 2


def test_expired_meter_refused_with_reason(alice):
    user, account, meter = alice
    meter.verified_until = dt.date(2026, 11, 1)
    meter.save(update_fields=["verified_until"])
    with pytest.raises(ValidationError) as error:
        submit(user, account, meter, ["134"])
    assert error.value.code == "meter_refused"
    assert "поверки счётчика истёк 1 ноября 2026" in error.value.messages[0]


def test_removed_meter_refused_with_reason(alice):
    user, account, meter = alice
    meter.removed_on = dt.date(2026, 11, 2)
    meter.save(update_fields=["removed_on"])
    with pytest.raises(ValidationError) as error:
        submit(user, account, meter, ["134"])
    assert error.value.code == "meter_refused" and "снят" in error.value.messages[0]


def test_other_residents_meter_refused(alice):
    user, account, _meter = alice
    _bob, bob_account = data.resident("100009")
    bob_meter = data.history(bob_account, months=2)["meters"][0]
    with pytest.raises(ValidationError) as error:
        submit(user, account, bob_meter, ["134"])
    assert error.value.code == "not_yours"
    assert not Reading.objects.filter(meter=bob_meter, source="resident").exists()


def test_other_tenant_does_not_see_the_reading(alice, utility_b, in_schema):
    user, account, meter = alice
    submit(user, account, meter, ["134"])
    with in_schema(utility_b):
        assert not Meter.objects.filter(meter_id=meter.meter_id).exists()
        assert not Reading.objects.filter(source="resident").exists()


def test_receipt_by_email(alice, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user, account, meter = alice
    with django_capture_on_commit_callbacks(execute=True):
        submit(user, account, meter, ["134.5"], email_receipt=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "134,5" in mail.outbox[0].body and account.number in mail.outbox[0].body


def test_receipt_figures_and_moment_are_stored_plain_and_shown_in_the_readers_language(
        alice, django_capture_on_commit_callbacks, settings):
    """Submitted at 09:00 UTC: 12:00 in the utility's Moscow; English reader, English
    figures (lk_core.notifications.rendering formats them when sending)."""
    from lk_core.identity.models import Resident
    from lk_core.notifications.models import Kind, Notification

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user, account, meter = alice
    Resident.objects.filter(user=user).update(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        receipt = submit(user, account, meter, ["1134.5"], email_receipt=True,
                         confirm_jump=True)
    row = Notification.objects.get(kind=Kind.READING_RECEIPT)
    assert (row.context["values"], row.context["received_at"], row.context["language"]) == (
        ["1134.5"], "2026-11-20T09:00:00+00:00", "en")
    assert row.context["consumption"] == [str(receipt.consumption[0])]
    [message] = mail.outbox
    assert "Values: 1,134.5\n" in message.body
    assert "Received at: 20 Nov 2026 12:00\n" in message.body


def test_the_receipt_e_mail_unsubscribes_from_reading_receipts_only(
        alice, client_a, django_capture_on_commit_callbacks, settings):
    """Like every non-essential e-mail it carries an unsubscribe link (and List-Unsubscribe);
    the link turns the resident's "e-mail me a receipt" choice off, nothing else. E-mail
    only: no SMS even with SMS consent."""
    from lk_core.notifications.models import Kind, Notification, NotificationPreference
    from lk_core.notifications.services import preference_update
    from lk_core.portal.models import ResidentPreferences

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user, account, meter = alice
    bob, _bobs_account = data.resident("100002")
    for resident in (user, bob):
        ResidentPreferences.objects.create(user=resident, email_reading_receipt=True,
                                           paperless_receipt=True, contact_phone="+79120000001")
    preference_update(user=user, email_enabled=True, sms_enabled=True, muted_kinds=[])
    with django_capture_on_commit_callbacks(execute=True):
        submit(user, account, meter, ["134.5"], email_receipt=True)
    [message] = mail.outbox
    assert "134,5" in message.body and account.number in message.body
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in message.body
    assert list(Notification.objects.filter(kind=Kind.READING_RECEIPT).values_list(
        "channel", flat=True)) == ["email"]
    assert client_a.post("/" + url.split("/", 3)[3]).status_code == 200
    mine, bobs = (ResidentPreferences.objects.get(user=u) for u in (user, bob))
    assert not mine.email_reading_receipt and mine.paperless_receipt
    assert bobs.email_reading_receipt
    assert NotificationPreference.objects.get(user=user).muted_kinds == []
    with django_capture_on_commit_callbacks(execute=True):  # the portal asks the setting
        submit(user, account, meter, ["135"], email_receipt=mine.email_reading_receipt)
    assert len(mail.outbox) == 1


# --- concurrency: real transactions in two threads, on a tenant of our own ------------------

def test_concurrent_double_submission_stores_one(race_utility):
    connection.set_tenant(race_utility)
    user, account = data.resident("300001")
    meter = data.history(account, months=3)["meters"][0]
    connection.set_schema_to_public()
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def worker(value: str) -> None:
        from django.db import connection as thread_connection

        thread_connection.set_tenant(race_utility)
        try:
            barrier.wait()
            outcomes.append(reading_submit(user=user, account=account, meter=meter,
                                           values=[value], channel="web",
                                           utility=race_utility, now=IN_WINDOW))
        except Exception as exc:  # the assertion below shows it
            outcomes.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(v,)) for v in ("110", "111")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 2 and all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.replaced for o in outcomes) == [False, True]
    connection.set_tenant(race_utility)
    stored = list(Reading.objects.filter(meter=meter, source="resident"))
    assert len(stored) == 1 and stored[0].t1 in (Decimal(110), Decimal(111))


def test_figures_read_as_numbers_in_the_residents_language(in_tenant_a):
    from django.utils import translation

    user, account = data.resident("100003")
    meter = data.history(account, months=3, meter_digits=5)["meters"][0]
    Reading.objects.filter(meter=meter, taken_on=dt.date(2026, 10, 20)).update(
        t1=Decimal("1749.461"))
    with translation.override("ru"), pytest.raises(ConfirmationRequired) as question:
        submit(user, account, meter, ["1700"])
    assert "(1\xa0749,461)" in question.value.message, question.value.message
    with translation.override("ru"):
        receipt = submit(user, account, meter, ["1800,5"])
        assert (receipt.values_text, receipt.consumption_text) == ("1\xa0800,5", "51,039")
    with translation.override("en"):
        assert receipt.values_text == "1,800.5"
