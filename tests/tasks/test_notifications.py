"""The outbox with the in-process engine: rows in the event's transaction, delivery after
commit, branding, staff texts, consent, quiet hours, retries, unsubscribe, batches."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks.signals import task_enqueued

from integrations.sms import console
from lk_core.notifications import delivery, services
from lk_core.notifications.gateways import PermanentDeliveryError, RetryableDeliveryError
from lk_core.notifications.models import (
    Kind,
    MessageTemplate,
    Notification,
    NotificationPreference,
    Status,
)
from lk_platform import outbox
from tests.conftest import staff_login
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import invoice, notification_settings, resident

pytestmark = pytest.mark.usefixtures("immediate_engine")


@pytest.fixture
def immediate_engine():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


@pytest.fixture(autouse=True)
def _clean_sms_outbox():
    console.outbox.clear()


def _enqueue(commit, **kwargs):
    with commit(execute=True):
        return services.notification_enqueue(**kwargs)


def test_row_is_written_in_the_event_transaction_and_sent_after_commit(
        in_tenant_a, django_capture_on_commit_callbacks):
    _account, user = resident("A-100")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = services.notification_enqueue(kind=Kind.PAYMENT_RECEIVED, user=user,
                                             context={"amount": "500.00",
                                                      "account_number": "A-100",
                                                      "paid_on": "01.11.2026"})
    assert [r.status for r in rows] == [Status.PENDING] and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):  # "the commit"
        for callback in callbacks:
            callback()
    row = Notification.objects.get(pk=rows[0].pk)
    assert row.status == Status.SENT and row.attempts == 1 and row.provider_message_id
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["A-100@mail.test"]
    assert "500,00 руб." in mail.outbox[0].body


def test_rolled_back_event_leaves_no_notification(in_tenant_a,
                                                   django_capture_on_commit_callbacks):
    _account, user = resident("A-101")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        services.notification_enqueue(kind=Kind.SECURITY_NOTICE, user=user,
                                      context={"message": "x"})
        raise RuntimeError("the event failed")
    assert not Notification.objects.exists() and mail.outbox == []


def test_email_is_branded_per_tenant_with_html_and_text(
        in_tenant_a, django_capture_on_commit_callbacks):
    _account, user = resident("A-102")
    _enqueue(django_capture_on_commit_callbacks, kind=Kind.INVOICE_AVAILABLE, user=user,
             context={"account_number": "A-102", "period": "10.2026", "amount_due": "99.00"})
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert in_tenant_a.name in html and in_tenant_a.primary_color in html
    assert in_tenant_a.name in message.body and "99,00 руб." in message.body
    assert "<" not in message.body.replace("<http", "")  # the text part is plain text


def test_staff_override_replaces_the_built_in_text(in_tenant_a,
                                                   django_capture_on_commit_callbacks):
    _account, user = resident("A-103")
    MessageTemplate.objects.create(kind=Kind.PAYMENT_RECEIVED,
                                   email_subject="Спасибо, {{ account_number }}!",
                                   email_body="Оплата {{ amount }} руб. получена.")
    _enqueue(django_capture_on_commit_callbacks, kind=Kind.PAYMENT_RECEIVED, user=user,
             context={"amount": "10.00", "account_number": "A-103"})
    assert mail.outbox[0].subject == "Спасибо, A-103!"
    assert "Оплата 10,00 руб. получена." in mail.outbox[0].body


def test_other_tenant_keeps_the_built_in_text(utility_a, utility_b, in_schema,
                                              django_capture_on_commit_callbacks):
    with in_schema(utility_a):
        MessageTemplate.objects.create(kind=Kind.PAYMENT_RECEIVED, email_subject="ALPHA ONLY")
    with in_schema(utility_b):
        _account, user = resident("B-1")
        _enqueue(django_capture_on_commit_callbacks, kind=Kind.PAYMENT_RECEIVED, user=user,
                 context={"amount": "1.00", "account_number": "B-1"})
        assert Notification.objects.count() == 1
    with in_schema(utility_a):
        assert not Notification.objects.exists()  # B's outbox is B's
    assert mail.outbox[0].subject != "ALPHA ONLY" and utility_b.name in mail.outbox[0].body


# --- consent and preferences --------------------------------------------------------------

def test_non_essential_kinds_respect_muted_kinds_and_channels(
        in_tenant_a, django_capture_on_commit_callbacks):
    notification_settings(sms_enabled=True)
    _a, alice = resident("A-110")
    _b, bob = resident("A-111")  # the other resident keeps the defaults
    services.preference_update(user=alice, email_enabled=True, sms_enabled=True,
                               muted_kinds=[Kind.PAYMENT_RECEIVED])
    context = {"amount": "1.00", "account_number": "x"}
    assert _enqueue(django_capture_on_commit_callbacks, kind=Kind.PAYMENT_RECEIVED,
                    user=alice, phone="+79990000001", context=context) == []
    rows = _enqueue(django_capture_on_commit_callbacks, kind=Kind.PAYMENT_RECEIVED,
                    user=bob, phone="+79990000002", context=context)
    assert [r.channel for r in rows] == ["email"]  # SMS needs consent, bob gave none
    rows = _enqueue(django_capture_on_commit_callbacks, kind=Kind.APPEAL_STATUS, user=alice,
                    phone="+79990000001", context={"appeal_number": "7", "status": "done"})
    assert sorted(r.channel for r in rows) == ["email", "sms"]


def test_essential_kinds_ignore_opt_out_and_carry_no_unsubscribe_link(
        in_tenant_a, django_capture_on_commit_callbacks):
    _a, user = resident("A-112")
    services.preference_update(user=user, email_enabled=False, sms_enabled=False,
                               muted_kinds=[Kind.SECURITY_NOTICE])
    assert NotificationPreference.objects.get(user=user).muted_kinds == []  # not mutable
    _enqueue(django_capture_on_commit_callbacks, kind=Kind.SECURITY_NOTICE, user=user,
             context={"message": "New login from Chrome"})
    assert len(mail.outbox) == 1
    assert "unsubscribe" not in mail.outbox[0].body.lower()
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers


def test_non_essential_kind_without_a_user_is_not_sent(in_tenant_a,
                                                       django_capture_on_commit_callbacks):
    assert _enqueue(django_capture_on_commit_callbacks, kind=Kind.DEBT_REMINDER,
                    email="someone@mail.test", context={}) == []
    rows = _enqueue(django_capture_on_commit_callbacks, kind=Kind.REGISTRATION_PASSWORD,
                    email="new@mail.test", context={"password": "Secret-123",
                                                    "account_number": "A-9"})
    assert len(rows) == 1 and "Secret-123" in mail.outbox[0].body
    assert "password" not in Notification.objects.get(pk=rows[0].pk).context  # wiped


def test_unknown_kind_is_refused(in_tenant_a):
    with pytest.raises(ValueError):
        services.notification_enqueue(kind="spam", email="x@mail.test")


# --- quiet hours --------------------------------------------------------------------------

@pytest.mark.parametrize(("local", "expected"), [
    ("2026-11-24 20:59", "2026-11-24 20:59"), ("2026-11-24 21:00", "2026-11-25 09:00"),
    ("2026-11-24 23:30", "2026-11-25 09:00"), ("2026-11-25 03:00", "2026-11-25 09:00"),
    ("2026-11-25 09:00", "2026-11-25 09:00"),
])
def test_sms_earliest_send_defers_night_to_morning(local, expected):
    import zoneinfo

    tz = zoneinfo.ZoneInfo("Asia/Vladivostok")
    now = datetime.fromisoformat(local).replace(tzinfo=tz)
    result = services.sms_earliest_send(now=now, tz=tz, quiet_start=time(21),
                                        quiet_end=time(9))
    assert result.astimezone(tz).strftime("%Y-%m-%d %H:%M") == expected


def test_sms_at_night_in_the_tenants_zone_waits_for_morning(
        utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    # 13:00 UTC: 16:00 in Moscow (alpha), 23:00 in Vladivostok (beta).
    now = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    results = {}
    for utility in (utility_a, utility_b):
        with in_schema(utility):
            notification_settings(sms_enabled=True)
            _acc, user = resident("Q-1")
            services.preference_update(user=user, email_enabled=False, sms_enabled=True,
                                       muted_kinds=[])
            with django_capture_on_commit_callbacks(execute=True):
                [row] = services.notification_enqueue(
                    kind=Kind.APPEAL_STATUS, user=user, phone="+79990000009", now=now,
                    context={"appeal_number": "1", "status": "ok"})
                [reset] = [r for r in services.notification_enqueue(
                    kind=Kind.PASSWORD_RESET, user=user, phone="+79990000009", now=now,
                    context={"code": "1234", "account_number": "Q-1"}) if r.channel == "sms"]
            results[utility.slug] = (Notification.objects.get(pk=row.pk),
                                     Notification.objects.get(pk=reset.pk))
    alpha_row, _ = results["alpha"]
    beta_row, beta_reset = results["beta"]
    assert alpha_row.next_attempt_at == now
    assert beta_row.next_attempt_at == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 09:00 VLAT
    assert beta_row.status == Status.PENDING and beta_row.attempts == 0
    assert beta_reset.next_attempt_at == now  # the resident is waiting for this one
    assert beta_reset.status == Status.SENT


# --- retries and failures -------------------------------------------------------------------

class _FailingGateway:
    error: Exception = RetryableDeliveryError("provider busy")

    def __init__(self, config):
        pass

    def send_sms(self, *, phone, text):
        raise self.error


@pytest.fixture
def failing_gateway(settings):
    settings.SMS_GATEWAYS = {**settings.SMS_GATEWAYS,
                             "console": "tests.tasks.test_notifications._FailingGateway"}
    yield _FailingGateway
    _FailingGateway.error = RetryableDeliveryError("provider busy")


def _sms_row(commit, number: str) -> Notification:
    notification_settings(sms_enabled=True, quiet_hours_start=time(0), quiet_hours_end=time(0))
    _acc, user = resident(number)
    services.preference_update(user=user, email_enabled=False, sms_enabled=True, muted_kinds=[])
    [row] = _enqueue(commit, kind=Kind.APPEAL_STATUS, user=user, phone="+79990001234",
                     context={"appeal_number": "3", "status": "closed"})
    return Notification.objects.get(pk=row.pk)


def test_retryable_failure_backs_off_then_fails_after_the_last_attempt(
        in_tenant_a, failing_gateway, django_capture_on_commit_callbacks):
    row = _sms_row(django_capture_on_commit_callbacks, "A-120")
    assert row.status == Status.PENDING and row.attempts == 1
    assert "provider busy" in row.last_error and row.enqueued_at is None
    gaps = [row.next_attempt_at - timezone.now()]
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        delivery.notifications_deliver(notification_ids=[row.pk], now=row.next_attempt_at)
        row.refresh_from_db()
        gaps.append(row.next_attempt_at - timezone.now())
    assert row.status == Status.FAILED and row.attempts == outbox.MAX_ATTEMPTS
    assert gaps[1] > gaps[0] * 1.5  # exponential backoff
    # Not due yet: a second run of the same task sends nothing.
    assert delivery.notifications_deliver(notification_ids=[row.pk])["skipped"] == 1


def test_permanent_failure_fails_at_once(in_tenant_a, failing_gateway,
                                         django_capture_on_commit_callbacks):
    failing_gateway.error = PermanentDeliveryError("bad number")
    row = _sms_row(django_capture_on_commit_callbacks, "A-121")
    assert row.status == Status.FAILED and row.attempts == 1 and "bad number" in row.last_error


def test_delivery_is_safe_to_run_twice(in_tenant_a, django_capture_on_commit_callbacks):
    row = _sms_row(django_capture_on_commit_callbacks, "A-122")
    assert row.status == Status.SENT and len(console.outbox) == 1
    again = delivery.notifications_deliver(notification_ids=[row.pk, row.pk])
    assert again == {"sent": 0, "failed": 0, "skipped": 2} and len(console.outbox) == 1


def test_flush_resends_rows_whose_task_was_lost_and_stale_claims(
        in_tenant_a, django_capture_on_commit_callbacks):
    _acc, user = resident("A-123")
    with django_capture_on_commit_callbacks(execute=False):  # the task never goes out
        [_lost] = services.notification_enqueue(kind=Kind.SECURITY_NOTICE, user=user,
                                               context={"message": "m"})
        [stale] = services.notification_enqueue(kind=Kind.SECURITY_NOTICE, user=user,
                                                context={"message": "n"})
    Notification.objects.filter(pk=stale.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_flush()
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(mail.outbox) == 2


# --- batches ---------------------------------------------------------------------------------

def test_invoices_of_an_import_are_batched_not_one_job_per_row(
        in_tenant_a, django_capture_on_commit_callbacks):
    invoices = []
    for n in range(230):
        account, _user = resident(f"I-{n:04d}", registered=n % 10 != 0)  # 23 unregistered
        invoices.append(invoice(account).pk)
    jobs = []

    def count(sender, task_result, **kwargs):
        jobs.append(task_result.task.name)

    task_enqueued.connect(count)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = services.invoices_available_notify(invoice_ids=invoices,
                                                         batch_key="import-1")
            again = services.invoices_available_notify(invoice_ids=invoices,
                                                       batch_key="import-1")
    finally:
        task_enqueued.disconnect(count)
    assert created == 207  # 230 - 23 without a registered (consenting) resident
    assert again == 0  # an import re-run does not notify twice
    assert jobs == ["deliver_notifications"] * 3  # ceil(207 / 100)
    assert Notification.objects.filter(status=Status.SENT, batch_key="import-1").count() == 207
    assert len(mail.outbox) == 207


def test_debt_reminders_on_the_tenants_day_above_the_threshold(
        in_tenant_b, django_capture_on_commit_callbacks):
    notification_settings(debt_reminders_enabled=True, debt_threshold="1000.00",
                          debt_reminder_day=20)
    debtor, _u = resident("D-1")
    payer, _v = resident("D-2")  # the other resident owes little: no reminder
    invoice(debtor, amount_due="1000.00")
    invoice(payer, amount_due="999.99")
    # 19 Nov 15:30 UTC is already 20 Nov 01:30 in Vladivostok (beta's zone).
    on_the_day = datetime(2026, 11, 19, 15, 30, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.debt_reminders_enqueue(now=on_the_day - timedelta(hours=2)) == 0
        assert services.debt_reminders_enqueue(now=on_the_day) == 1
        assert services.debt_reminders_enqueue(now=on_the_day + timedelta(hours=1)) == 0
    [row] = Notification.objects.filter(kind=Kind.DEBT_REMINDER)
    assert row.account == debtor and row.status == Status.SENT
    assert "1\xa0000,00 руб." in mail.outbox[0].body


# --- unsubscribe -------------------------------------------------------------------------------

def _unsubscribe_path(message) -> str:
    url = re.search(r"https?://\S+/notifications/unsubscribe/\S+/", message.body).group(0)
    assert url == message.extra_headers["List-Unsubscribe"].strip("<>")
    return "/" + url.split("/", 3)[3]


def test_unsubscribe_link_works_without_login_for_this_user_and_kind_only(
        utility_a, client_a, in_schema, django_capture_on_commit_callbacks):
    with in_schema(utility_a):
        _a, alice = resident("U-1")
        _b, bob = resident("U-2")
        _enqueue(django_capture_on_commit_callbacks, kind=Kind.DEBT_REMINDER, user=alice,
                 context={"account_number": "U-1", "amount_due": "5.00"})
    path = _unsubscribe_path(mail.outbox[0])
    page = client_a.get(path)
    assert page.status_code == 200 and b"<form" in page.content
    with in_schema(utility_a):
        assert not NotificationPreference.objects.filter(user=alice).exists()  # GET: no-op
    assert client_a.post(path).status_code == 200
    with in_schema(utility_a):
        assert NotificationPreference.objects.get(user=alice).muted_kinds == [
            Kind.DEBT_REMINDER]
        assert not NotificationPreference.objects.filter(user=bob).exists()
        assert _enqueue(django_capture_on_commit_callbacks, kind=Kind.DEBT_REMINDER,
                        user=alice, context={}) == []
        assert len(_enqueue(django_capture_on_commit_callbacks, kind=Kind.APPEAL_STATUS,
                            user=alice, context={})) == 1


def test_unsubscribe_link_is_worthless_on_another_tenant_or_when_tampered(
        utility_a, client_a, client_b, in_schema, django_capture_on_commit_callbacks):
    with in_schema(utility_a):
        _a, alice = resident("U-3")
        _enqueue(django_capture_on_commit_callbacks, kind=Kind.DEBT_REMINDER, user=alice,
                 context={})
    path = _unsubscribe_path(mail.outbox[0])
    assert client_b.post(path).status_code == 404
    assert client_a.post(path[:-3] + "xx/").status_code == 404
    with in_schema(utility_a):
        assert not NotificationPreference.objects.filter(user=alice).exists()


# --- staff console -------------------------------------------------------------------------------

def test_failures_are_visible_to_staff_and_can_be_retried(
        utility_a, client_a, in_schema, failing_gateway, settings,
        django_capture_on_commit_callbacks):
    failing_gateway.error = PermanentDeliveryError("number blocked")
    with in_schema(utility_a):
        row = _sms_row(django_capture_on_commit_callbacks, "S-1")
    staff_login(client_a, utility_a, "admin@alpha.test")
    page = client_a.get("/staff/notifications/notification/?status__exact=failed")
    assert page.status_code == 200 and b"number blocked" in page.content
    settings.SMS_GATEWAYS = {**settings.SMS_GATEWAYS,
                             "console": "integrations.sms.console.ConsoleGateway"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/staff/notifications/notification/", {
            "action": "retry_now", "_selected_action": [row.pk]})
    assert response.status_code == 302
    with in_schema(utility_a):
        row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1 and len(console.outbox) == 1


def test_built_in_texts_are_russian_by_default_and_english_on_request(
        in_tenant_a, django_capture_on_commit_callbacks):
    _a, user = resident("L-1")
    context = {"account_number": "L-1", "amount_due": "12.00", "period": "10.2026"}
    _enqueue(django_capture_on_commit_callbacks, kind=Kind.INVOICE_AVAILABLE, user=user,
             context=context)
    _enqueue(django_capture_on_commit_callbacks, kind=Kind.INVOICE_AVAILABLE, user=user,
             context={**context, "language": "en"}, dedupe_key="en-copy")
    russian, english = mail.outbox
    assert russian.subject == "Квитанция за 10.2026 готова"
    assert "Отписаться" in russian.alternatives[0][0]
    assert english.subject == "Your invoice for 10.2026 is ready"
    assert "Unsubscribe" in english.alternatives[0][0]


def test_two_periods_of_one_account_in_one_import_get_their_own_amounts(
        in_tenant_a, django_capture_on_commit_callbacks):
    from datetime import date

    account, _user = resident("P-1")
    ids = [invoice(account, period=date(2026, 9, 1), amount_due="11.00").pk,
           invoice(account, period=date(2026, 10, 1), amount_due="22.00").pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invoices_available_notify(invoice_ids=ids, batch_key="two") == 2
    bodies = sorted(message.subject + message.body for message in mail.outbox)
    assert "09.2026" in bodies[0] and "11,00" in bodies[0]
    assert "10.2026" in bodies[1] and "22,00" in bodies[1]


def test_reading_window_notice_once_per_window_and_account(
        in_tenant_a, django_capture_on_commit_callbacks):
    """Which accounts is the meters app's choice (tests/tasks/test_reading_reminders.py);
    here: one notice per account and window, to that account's resident only."""
    from datetime import date

    mine, _u = resident("M-1")
    theirs, _v = resident("M-2")  # another resident, not in this call
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reading_window_notify(kind=Kind.READING_WINDOW_CLOSES, accounts=[mine],
                                              closes_on=date(2026, 11, 25)) == 1
        assert services.reading_window_notify(kind=Kind.READING_WINDOW_CLOSES,
                                              accounts=[mine, theirs],
                                              closes_on=date(2026, 11, 25)) == 1
        assert services.reading_window_notify(kind=Kind.READING_WINDOW_CLOSES, accounts=[mine],
                                              closes_on=date(2026, 12, 25)) == 1
    assert sorted((m.to[0], "25.11.2026" in m.body) for m in mail.outbox) == [
        ("M-1@mail.test", False), ("M-1@mail.test", True), ("M-2@mail.test", True)]
    with pytest.raises(ValueError):
        services.reading_window_notify(kind=Kind.DEBT_REMINDER, accounts=[mine],
                                       closes_on=date(2026, 11, 25))


def test_payment_received_once_per_payment(in_tenant_a, django_capture_on_commit_callbacks):
    from datetime import date
    from decimal import Decimal

    from lk_core.billing.models import Payment

    account, _user = resident("PAY-1")
    payment = Payment.objects.create(external_id="bank-77", account=account,
                                     paid_on=date(2026, 11, 20), amount=Decimal("1500.50"),
                                     channel="bank")
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.payment_received_notify(payment=payment)) == 1
        assert services.payment_received_notify(payment=payment) == []
    assert len(mail.outbox) == 1 and "1\xa0500,50 руб." in mail.outbox[0].body
    assert "20.11.2026" in mail.outbox[0].body


def test_dispatch_after_commit_stays_in_the_schema_the_rows_were_written_in(
        utility_a, utility_b, django_capture_on_commit_callbacks):
    """A transaction that outlives the tenant context (the connection has moved on to the
    other tenant by commit time) still hands alpha's ids to alpha's schema."""
    from django.db import connection

    connection.set_tenant(utility_a)
    _acc, user = resident("X-1")
    with django_capture_on_commit_callbacks(execute=True):
        [row] = services.notification_enqueue(kind=Kind.SECURITY_NOTICE, user=user,
                                              context={"message": "hello"})
        connection.set_tenant(utility_b)
        resident("X-1")  # the other tenant has a row with the same id space
    assert not Notification.objects.exists()  # beta: nothing written, nothing sent
    connection.set_tenant(utility_a)
    assert Notification.objects.get(pk=row.pk).status == Status.SENT
    assert [m.to for m in mail.outbox] == [["X-1@mail.test"]]
