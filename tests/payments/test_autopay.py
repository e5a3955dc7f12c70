"""Autopay through the sandbox: the first payment saves the card, the hourly job schedules
each new invoice once, warns before, charges on the day, tells after; the cap, cancel,
the fallback reminder, running twice, and alice's autopay out of bob's and the other
tenant's reach."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from integrations.payments.models import SandboxCharge, SandboxSavedMethod
from integrations.payments.sandbox_acquirer import sandbox_charge_decide
from lk_core.notifications.models import Kind, Notification
from lk_core.notifications.rendering import TemplateCache, render_email
from lk_core.notifications.selectors import current_utility
from lk_core.payments import autopay
from lk_core.payments.models import (
    AutopayCharge,
    AutopayMandate,
    ChargeStatus,
    Initiator,
    MandateStatus,
    PaymentStatus,
    PortalPayment,
)
from lk_core.payments.services import payment_create, payment_refresh
from tests.factories import InvoiceFactory
from tests.payments.conftest import SITE, configure

NOVEMBER = dt.date(2026, 11, 1)


def at(day: int, month: int = 11, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=ZoneInfo("Europe/Moscow"))


def enable(resident, *, day=10, cap="5000", declines=False, capture=None) -> AutopayMandate:
    """Alice turns autopay on and approves the first payment on the sandbox's page."""
    mandate = autopay.autopay_start(user=resident.user, account=resident.account, day=day,
                                    cap=cap, site_url=SITE)
    payment = mandate.setup_payment
    sandbox_charge_decide(charge_id=payment.acquirer_payment_id, decision="approve",
                          declines_later=declines)
    if capture is None:
        payment_refresh(payment=payment, source="return")
        autopay.autopay_activate(mandate_pk=mandate.pk)
    else:
        with capture(execute=True):  # the activation task runs after commit
            payment_refresh(payment=payment, source="return")
    mandate.refresh_from_db()
    return mandate


def kinds(resident) -> list[str]:
    return list(Notification.objects.filter(account=resident.account)
                .order_by("pk").values_list("kind", flat=True))


@pytest.fixture
def sandbox_autopay(alice):
    configure("sandbox", autopay_enabled=True)
    return alice


def test_first_payment_saves_the_card_and_turns_autopay_on(
        sandbox_autopay, django_capture_on_commit_callbacks):
    alice = sandbox_autopay
    mandate = enable(alice, capture=django_capture_on_commit_callbacks)
    assert mandate.status == MandateStatus.ACTIVE
    assert mandate.method_token.startswith("sbxpm_") and mandate.method_title == "TEST *4242"
    assert SandboxCharge.objects.get(pk=mandate.setup_payment.acquirer_payment_id).save_method
    # The invoice the first payment paid is never charged again.
    setup = AutopayCharge.objects.get(invoice=alice.invoice)
    assert setup.status == ChargeStatus.SETUP
    counts = autopay.autopay_run(now=at(10))
    assert counts["charged"] == 0
    assert PortalPayment.objects.count() == 1


def test_a_new_invoice_is_noticed_before_charged_on_the_day_and_confirmed_after(
        sandbox_autopay, mailoutbox):
    alice = sandbox_autopay
    enable(alice, day=10)
    november = InvoiceFactory(account=alice.account, period=NOVEMBER,
                              charged=Decimal("1500.00"))
    assert autopay.autopay_run(now=at(5))["scheduled"] == 1
    charge = AutopayCharge.objects.get(invoice=november)
    assert charge.scheduled_for == dt.date(2026, 11, 10) and charge.notice_sent_on is None
    assert autopay.autopay_run(now=at(7))["noticed"] == 1
    upcoming = Notification.objects.get(kind=Kind.AUTOPAY_UPCOMING)
    assert upcoming.context["amount"] == "1500.00" and upcoming.context["charge_on"] == \
        "2026-11-10"  # stored plain, shown per reader (tests/tasks/test_notification_dates)
    assert upcoming.recipient == alice.user.email
    assert autopay.autopay_run(now=at(9))["charged"] == 0
    assert not PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).exists()

    assert autopay.autopay_run(now=at(10))["charged"] == 1
    payment = PortalPayment.objects.get(initiated_by=Initiator.AUTOPAY)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount == Decimal("1500.00")
    assert payment.paid_at is not None and payment.user == alice.user
    assert list(payment.transitions.values_list("to_status", flat=True)) == [
        "created", "pending", "succeeded"]
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.SUCCEEDED and charge.payment == payment
    after = Notification.objects.filter(kind=Kind.AUTOPAY_SUCCEEDED, account=alice.account)
    assert after.count() == 1 and after.get().context["amount"] == "1500.00"
    # The confirmation of the autopay charge is the autopay notice, not a second one.
    assert not Notification.objects.filter(kind=Kind.PAYMENT_RECEIVED,
                                           dedupe_key=f"portal-payment:{payment.public_id}")


def test_running_twice_or_later_never_charges_an_invoice_twice(sandbox_autopay):
    alice = sandbox_autopay
    enable(alice, day=10)
    november = InvoiceFactory(account=alice.account, period=NOVEMBER,
                              charged=Decimal("1500.00"))
    for now in (at(5), at(7), at(10), at(10), at(10, hour=13), at(11), at(10, month=12)):
        autopay.autopay_run(now=now)
    assert PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).count() == 1
    assert SandboxCharge.objects.filter(return_url="").count() == 1  # off-session
    assert Notification.objects.filter(kind=Kind.AUTOPAY_UPCOMING).count() == 1
    # The database refuses a second charge row for the invoice, whoever tries.
    mandate = AutopayMandate.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        AutopayCharge.objects.create(mandate=mandate, invoice=november,
                                     scheduled_for=dt.date(2026, 11, 10))


def test_a_charge_another_run_is_making_is_left_alone(sandbox_autopay):
    alice = sandbox_autopay
    enable(alice, day=10)
    InvoiceFactory(account=alice.account, period=NOVEMBER, charged=Decimal("1500.00"))
    autopay.autopay_run(now=at(5))
    autopay.autopay_run(now=at(7))
    charge = AutopayCharge.objects.get(status=ChargeStatus.SCHEDULED)
    # Another run claimed it a moment ago and is asking the acquirer right now.
    payment = PortalPayment.objects.create(
        account=alice.account, user=alice.user, amount=Decimal("1500.00"), acquirer="sandbox",
        mode="test", initiated_by=Initiator.AUTOPAY)
    AutopayCharge.objects.filter(pk=charge.pk).update(status=ChargeStatus.CHARGING,
                                                      payment=payment)
    assert autopay.autopay_run(now=at(10))["charged"] == 0
    assert not SandboxCharge.objects.filter(portal_payment_id=str(payment.public_id)).exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED


def test_above_the_cap_nothing_is_charged_and_the_resident_is_told(sandbox_autopay):
    alice = sandbox_autopay
    enable(alice, day=10, cap="2000")
    november = InvoiceFactory(account=alice.account, period=NOVEMBER,
                              charged=Decimal("2000.01"))
    for day in (5, 7, 10):
        autopay.autopay_run(now=at(day))
    assert not PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).exists()
    assert AutopayCharge.objects.get(invoice=november).status == ChargeStatus.OVER_CAP
    failed = Notification.objects.get(kind=Kind.AUTOPAY_FAILED)
    assert (failed.context["reason_code"], failed.context["cap"]) == ("over_cap", "2000.00")
    utility = current_utility()
    for language, reason in (("ru", "сумма больше вашего лимита 2\xa0000,00 руб."),
                             ("en", "the amount is above your limit of 2,000.00 RUB")):
        failed.context["language"] = language
        assert reason in render_email(failed, utility, TemplateCache(utility)).text
    reminder = Notification.objects.get(kind=Kind.DEBT_REMINDER)
    assert reminder.context["amount_due"] == "2000.01"
    assert reminder.context["pay_url"].endswith("/payments/")


def test_a_declined_card_falls_back_to_the_reminder_with_a_pay_link(sandbox_autopay):
    alice = sandbox_autopay
    mandate = enable(alice, day=10, declines=True)
    assert mandate.method_title == "TEST *0002"
    november = InvoiceFactory(account=alice.account, period=NOVEMBER,
                              charged=Decimal("800.00"))
    for day in (5, 7, 10):
        autopay.autopay_run(now=at(day))
    payment = PortalPayment.objects.get(initiated_by=Initiator.AUTOPAY)
    assert payment.status == PaymentStatus.FAILED and "declined" in payment.failure_reason
    assert AutopayCharge.objects.get(invoice=november).status == ChargeStatus.FAILED
    assert kinds(alice)[-2:] == [Kind.AUTOPAY_FAILED, Kind.DEBT_REMINDER]
    utility = current_utility()
    failed = Notification.objects.get(kind=Kind.AUTOPAY_FAILED)
    for language, reason in (("ru", "банк отклонил списание"),
                             ("en", "the bank declined the charge")):
        failed.context["language"] = language
        assert f": {reason}." in render_email(failed, utility, TemplateCache(utility)).text
    reminder = render_email(Notification.objects.get(kind=Kind.DEBT_REMINDER), utility,
                            TemplateCache(utility))
    assert "800,00 руб." in reminder.text and "/payments/" in reminder.text
    # Failed once: not tried again for this invoice.
    autopay.autopay_run(now=at(11))
    assert PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).count() == 1


def test_what_the_resident_paid_meanwhile_is_not_charged_again(sandbox_autopay):
    alice = sandbox_autopay
    enable(alice, day=10)
    InvoiceFactory(account=alice.account, period=NOVEMBER, charged=Decimal("1500.00"))
    autopay.autopay_run(now=at(5))
    manual = payment_create(user=alice.user, account=alice.account, site_url=SITE,
                            amount="600")
    sandbox_charge_decide(charge_id=manual.acquirer_payment_id, decision="approve")
    payment_refresh(payment=manual, source="return")
    for day in (7, 10):
        autopay.autopay_run(now=at(day))
    assert PortalPayment.objects.get(initiated_by=Initiator.AUTOPAY).amount == Decimal("900.00")


def test_cancel_forgets_the_card_and_stops_the_next_charge(sandbox_autopay):
    alice = sandbox_autopay
    mandate = enable(alice, day=10)
    token = mandate.method_token
    november = InvoiceFactory(account=alice.account, period=NOVEMBER,
                              charged=Decimal("1500.00"))
    autopay.autopay_run(now=at(7))
    autopay.autopay_cancel(mandate=mandate)
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.CANCELED and mandate.canceled_at is not None
    assert mandate.method_token == "" and mandate.customer_token == ""
    assert SandboxSavedMethod.objects.get(pk=token).detached_at is not None
    autopay.autopay_run(now=at(10))
    assert not PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).exists()
    assert AutopayCharge.objects.get(invoice=november).status == ChargeStatus.CANCELED
    # It can be turned on again (a new first payment, a new mandate).
    again = enable(alice, day=12)
    assert again.pk != mandate.pk and again.status == MandateStatus.ACTIVE


def test_changing_the_day_moves_the_scheduled_charge(sandbox_autopay):
    alice = sandbox_autopay
    mandate = enable(alice, day=10)
    InvoiceFactory(account=alice.account, period=NOVEMBER, charged=Decimal("1500.00"))
    autopay.autopay_run(now=at(5))
    autopay.autopay_update(mandate=mandate, day=20, cap="3000", now=at(5))
    charge = AutopayCharge.objects.get(status=ChargeStatus.SCHEDULED)
    assert charge.scheduled_for == dt.date(2026, 11, 20)
    autopay.autopay_run(now=at(10))
    assert not PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).exists()
    for day in (17, 20):
        autopay.autopay_run(now=at(day))
    assert PortalPayment.objects.get(initiated_by=Initiator.AUTOPAY).amount == Decimal("1500.00")


@pytest.mark.parametrize(("day", "cap", "field"), [
    (0, "5000", "day"), (29, "5000", "day"), ("x", "5000", "day"),
    (10, "-5", "cap"), (10, "abc", "cap"), (10, "1000000", "cap"),
    (10, "1000", "cap"),  # below the amount due now (1 234,56)
])
def test_bad_terms_are_refused_and_nothing_is_created(sandbox_autopay, day, cap, field):
    with pytest.raises(ValidationError) as error:
        autopay.autopay_start(user=sandbox_autopay.user, account=sandbox_autopay.account,
                              day=day, cap=cap, site_url=SITE)
    assert field in error.value.message_dict
    assert not AutopayMandate.objects.exists() and not PortalPayment.objects.exists()


def test_not_available_when_the_tenant_has_not_enabled_it(alice):
    configure("sandbox")  # autopay_enabled off
    with pytest.raises(ValidationError):
        autopay.autopay_start(user=alice.user, account=alice.account, day=10, cap="5000",
                              site_url=SITE)
    configure("none", autopay_enabled=True)
    with pytest.raises(ValidationError):
        autopay.autopay_start(user=alice.user, account=alice.account, day=10, cap="5000",
                              site_url=SITE)


def test_switching_autopay_off_for_the_tenant_stops_the_job(sandbox_autopay):
    alice = sandbox_autopay
    enable(alice, day=10)
    InvoiceFactory(account=alice.account, period=NOVEMBER, charged=Decimal("1500.00"))
    configure("sandbox", autopay_enabled=False)
    for day in (5, 7, 10):
        autopay.autopay_run(now=at(day))
    assert not AutopayCharge.objects.filter(status=ChargeStatus.SCHEDULED).exists()
    assert not PortalPayment.objects.filter(initiated_by=Initiator.AUTOPAY).exists()


def test_a_declined_first_payment_cancels_the_mandate(sandbox_autopay):
    alice = sandbox_autopay
    mandate = autopay.autopay_start(user=alice.user, account=alice.account, day=10,
                                    cap="5000", site_url=SITE)
    sandbox_charge_decide(charge_id=mandate.setup_payment.acquirer_payment_id,
                          decision="decline")
    payment_refresh(payment=mandate.setup_payment, source="return")
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.CANCELED and not mandate.method_token


def test_only_one_live_autopay_per_account(sandbox_autopay):
    alice = sandbox_autopay
    enable(alice)
    with pytest.raises(ValidationError, match="уже"):
        autopay.autopay_start(user=alice.user, account=alice.account, day=10, cap="5000",
                              site_url=SITE)
    assert AutopayMandate.objects.filter(status=MandateStatus.ACTIVE).count() == 1


def test_the_job_is_registered_and_runs_per_tenant(sandbox_autopay, utility_b, in_schema):
    """The other tenant's job sees none of alice's autopay, and charges nothing there."""
    from lk_core.payments.tasks import run_autopay
    from lk_platform.scheduler import registered_jobs
    from tests.payments.conftest import make_resident

    assert "payments.autopay" in {job.name for job in registered_jobs()}
    alice = sandbox_autopay
    enable(alice, day=10)
    InvoiceFactory(account=alice.account, period=NOVEMBER, charged=Decimal("1500.00"))
    with in_schema(utility_b):
        configure("sandbox", autopay_enabled=True)
        charlie = make_resident("700001")  # the same account number in the other utility
        InvoiceFactory(account=charlie.account, period=NOVEMBER, charged=Decimal("99.00"))
        assert run_autopay.call() == {"activated": 0, "scheduled": 0, "noticed": 0,
                                      "charged": 0}
        assert not AutopayCharge.objects.exists()
    assert run_autopay.call()["scheduled"] == 1
