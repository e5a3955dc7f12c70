"""Days, billing periods, moments and meter figures in notifications: stored plain (ISO,
numbers) and shown as the recipient writes them - e-mail and SMS in the recipient's
language, the inbox in the reader's - moments in the utility's time zone. Rows written
before, with the values already formatted in Russian, still show them as written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.utils import translation

from lk_core.billing.models import Payment
from lk_core.identity.models import Resident
from lk_core.notifications.models import InboxMessage, Kind, Notification
from lk_core.notifications.rendering import (
    TemplateCache,
    render_email,
    render_inbox_message,
    render_sms,
)
from lk_core.notifications.services import (
    invoices_available_notify,
    payment_received_notify,
    reading_window_notify,
)
from lk_core.payments.confirmation import payment_confirmation_enqueue
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import invoice, resident

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _residents(prefix: str):
    """Alice reads English, Bob Russian."""
    (alice_account, alice), (bob_account, bob) = resident(f"{prefix}-A"), resident(f"{prefix}-B")
    Resident.objects.filter(user=alice).update(language="en")
    Resident.objects.filter(user=bob).update(language="ru")
    return (alice_account, alice), (bob_account, bob)


def _shown(user, kind: str, utility) -> dict[str, str]:
    """Everything the user gets of one notice: e-mail (subject and text), SMS, inbox."""
    templates = TemplateCache(utility)
    row = Notification.objects.get(user=user, kind=kind, channel="email")
    email = render_email(row, utility, templates)
    shown = {"subject": email.subject, "email": email.text,
             "sms": render_sms(row, utility, templates)}
    message = InboxMessage.objects.filter(user=user, kind=kind).first()
    if message is not None:
        with translation.override(row.context["language"]):
            inbox = render_inbox_message(message, utility, templates)
        shown["inbox"] = f"{inbox.title}\n{inbox.text}"
    return shown


def _row(kind: str, language: str, **context) -> Notification:
    return Notification(kind=kind, channel="email", recipient="r@mail.test",
                        context={**context, "language": language})


@pytest.mark.parametrize("kind", [Kind.READING_WINDOW_OPENS, Kind.READING_WINDOW_CLOSES])
def test_reading_window_day_in_each_readers_language(
        in_tenant_a, kind, django_capture_on_commit_callbacks):
    (alice_account, alice), (bob_account, bob) = _residents("W")
    with django_capture_on_commit_callbacks(execute=True):
        reading_window_notify(kind=kind, accounts=[alice_account, bob_account],
                              closes_on=date(2026, 11, 10))
    row = Notification.objects.filter(user=alice, kind=kind).first()
    assert row.context["closes_on"] == "2026-11-10"
    for user, day, other in ((alice, "11/10/2026", "10.11.2026"),
                             (bob, "10.11.2026", "11/10/2026")):
        shown = _shown(user, kind, in_tenant_a)
        for where in ("email", "sms", "inbox"):
            assert day in shown[where] and other not in shown[where], (user, where)


def test_billing_payment_day_in_each_readers_language(
        in_tenant_a, django_capture_on_commit_callbacks):
    (alice_account, alice), (bob_account, bob) = _residents("P")
    with django_capture_on_commit_callbacks(execute=True):
        for number, account in enumerate((alice_account, bob_account)):
            payment = Payment.objects.create(
                external_id=f"bank-{number}", account=account, paid_on=date(2026, 11, 1),
                amount=Decimal("1234.50"), channel="bank")
            payment_received_notify(payment=payment)
    assert Notification.objects.filter(user=alice).first().context["paid_on"] == "2026-11-01"
    alice_sees = _shown(alice, Kind.PAYMENT_RECEIVED, in_tenant_a)
    bob_sees = _shown(bob, Kind.PAYMENT_RECEIVED, in_tenant_a)
    for where in ("email", "inbox"):
        assert "We received 1,234.50 RUB for account P-A on 11/01/2026." in alice_sees[where]
        assert f"1{NBSP}234,50 руб." in bob_sees[where] and "01.11.2026" in bob_sees[where]


def test_portal_payment_day_is_the_utilitys(utility_b, in_schema,
                                            django_capture_on_commit_callbacks):
    """Paid at 20:30 UTC on the 9th: the 10th in Vladivostok, where the utility is."""
    with in_schema(utility_b):
        _alice, (account, bob) = _residents("PP")
        payment = SimpleNamespace(
            amount=Decimal("500.00"), account=account, user=bob, email=bob.email,
            paid_at=datetime(2026, 11, 9, 20, 30, tzinfo=UTC), public_id="pay-1",
            initiated_by="resident", save=lambda update_fields: None)
        with django_capture_on_commit_callbacks(execute=True):
            payment_confirmation_enqueue(payment, tz=utility_b.tzinfo)
        row = Notification.objects.get(user=bob, channel="email")
        assert row.context["paid_on"] == "2026-11-10"
        assert "10.11.2026" in render_email(row, utility_b, TemplateCache(utility_b)).text
        row.context["language"] = "en"
        assert "on 11/10/2026." in render_email(row, utility_b, TemplateCache(utility_b)).text


def test_invoice_period_in_each_readers_language(
        in_tenant_a, django_capture_on_commit_callbacks):
    (alice_account, alice), (bob_account, bob) = _residents("I")
    ids = [invoice(account, period=date(2026, 11, 1)).pk
           for account in (alice_account, bob_account)]
    with django_capture_on_commit_callbacks(execute=True):
        invoices_available_notify(invoice_ids=ids, batch_key="periods")
    assert Notification.objects.filter(user=alice).first().context["period"] == "2026-11-01"
    alice_sees = _shown(alice, Kind.INVOICE_AVAILABLE, in_tenant_a)
    bob_sees = _shown(bob, Kind.INVOICE_AVAILABLE, in_tenant_a)
    assert alice_sees["subject"] == "Your invoice for November 2026 is ready"
    assert bob_sees["subject"] == "Квитанция за 11.2026 готова"
    for where in ("email", "sms", "inbox"):
        assert "November 2026" in alice_sees[where] and "11.2026" not in alice_sees[where]
        assert "11.2026" in bob_sees[where], where


def test_autopay_notice_day_and_amounts_in_each_readers_language(in_tenant_a):
    """The context as lk_core.payments.autopay writes it (tests/payments/test_autopay)."""
    context = {"account_number": "A-1", "amount": "1500.00", "cap": "20000.00",
               "charge_on": "2026-11-10", "method": "TEST *4242", "settings_url": "/x/"}
    templates = TemplateCache(in_tenant_a)
    english = render_email(_row(Kind.AUTOPAY_UPCOMING, "en", **context), in_tenant_a,
                           templates)
    russian = render_email(_row(Kind.AUTOPAY_UPCOMING, "ru", **context), in_tenant_a,
                           templates)
    assert english.subject == "Autopay on 11/10/2026: 1,500.00 RUB"
    assert "(your limit: 20,000.00 RUB)" in english.text
    assert russian.subject == "Автоплатёж 10.11.2026: 1 500,00 руб."  # subjects: one line
    assert f"(ваш лимит: 20{NBSP}000,00 руб.)" in russian.text


@pytest.mark.parametrize(("language", "values", "consumption", "moment"), [
    ("ru", f"1{NBSP}749,461 / 12,5", "998", "20.11.2026 12:05"),
    ("en", "1,749.461 / 12.5", "998", "11/20/2026 12:05 p.m."),
])
def test_reading_receipt_figures_and_moment(in_tenant_a, language, values, consumption,
                                            moment):
    row = _row(Kind.READING_RECEIPT, language, account_number="A-1", serial="S-1",
               meter="Water, S-1", values=["1749.461", "12.5"], consumption=["998.000"],
               received_at="2026-11-20T09:05:00+00:00", receipt_number="7")
    text = render_email(row, in_tenant_a, TemplateCache(in_tenant_a)).text
    assert f": {values}\n" in text and f": {consumption}\n" in text and f": {moment}\n" in text


def test_moments_are_shown_in_the_utilitys_time_zone(utility_a, utility_b, in_schema):
    """The same moment, 09:05 UTC: 12:05 in Moscow (alpha), 19:05 in Vladivostok (beta)."""
    for utility, local in ((utility_a, "20.11.2026 12:05"), (utility_b, "20.11.2026 19:05")):
        with in_schema(utility):
            row = _row(Kind.READING_RECEIPT, "ru", received_at="2026-11-20T09:05:00+00:00")
            assert f": {local}\n" in render_email(row, utility, TemplateCache(utility)).text


def test_rows_written_before_show_their_text_as_written(in_tenant_a):
    """Older rows carry Russian text; an English reader sees it as it is, not mangled."""
    templates = TemplateCache(in_tenant_a)
    old = [
        (Kind.READING_WINDOW_CLOSES, {"closes_on": "10.11.2026"}, "closes on 10.11.2026."),
        (Kind.PAYMENT_RECEIVED, {"amount": "1234,56", "paid_on": "01.11.2026"},
         "We received 1,234.56 RUB for account A-1 on 01.11.2026."),
        (Kind.INVOICE_AVAILABLE, {"period": "11.2026", "amount_due": "1.00"},
         "for 11.2026 is ready"),
        (Kind.AUTOPAY_UPCOMING, {"charge_on": "10.11.2026", "amount": "1.00", "cap": "2.00"},
         "On 10.11.2026 autopay"),
        (Kind.AUTOPAY_FAILED, {"amount": "1.00", "reason": "банк отклонил списание",
                               "pay_url": "/pay/"}, "1.00 RUB for account A-1: банк"),
        (Kind.READING_RECEIPT, {"values": f"1{NBSP}749,461 / 12,5", "consumption": "51,039",
                                "received_at": "10.11.2026 14:05"},
         f"Values: 1{NBSP}749,461 / 12,5\nConsumption: 51,039\nReceived at: 10.11.2026 14:05"),
    ]
    for kind, context, shown in old:
        row = _row(kind, "en", account_number="A-1", **context)
        assert shown in render_email(row, in_tenant_a, templates).text, kind
