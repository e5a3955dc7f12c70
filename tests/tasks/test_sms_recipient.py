"""SMS go to the phone the resident gave in the portal's settings, whichever feature
sends them; billing's number only when the resident gave none. Every non-essential
e-mail carries an unsubscribe link for its own kind."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings

from integrations.sms import console
from lk_core.notifications import services
from lk_core.notifications.models import ESSENTIAL_KINDS, Kind, Notification
from lk_core.notifications.rendering import unsubscribe_token_read
from lk_core.portal.services import preferences_update
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import invoice, notification_settings, resident

BILLING, PORTAL = "+79990000001", "+79121112233"


@pytest.fixture(autouse=True)
def _immediate_and_clean():
    console.outbox.clear()
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield
    console.outbox.clear()


def _portal_settings(user, phone: str) -> None:
    """What the resident does on the portal's settings page."""
    preferences_update(user=user, contact_phone=phone, paperless_receipt=False, language="ru",
                       email_reading_receipt=False, email_enabled=True, sms_enabled=True,
                       muted_kinds=[])


def _sms_to(commit, user, **kwargs) -> str:
    with commit(execute=True):
        rows = services.notification_enqueue(
            kind=Kind.APPEAL_STATUS, user=user, context={"appeal_number": "1", "status": "ok"},
            **kwargs)
    [sms] = [row for row in rows if row.channel == "sms"]
    return sms.recipient


def test_sms_go_to_the_portal_phone_not_billings(in_tenant_a,
                                                 django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    notification_settings(sms_enabled=True, quiet_hours_start=time(0), quiet_hours_end=time(0))
    _a, alice = resident("P-1", phone=BILLING)
    _portal_settings(alice, "8 912 111-22-33")
    assert _sms_to(commit, alice, phone=BILLING) == PORTAL  # a caller passing billing's
    assert _sms_to(commit, alice) == PORTAL  # a caller passing none (payments)
    _portal_settings(alice, "+7 (912) 999-88-77")  # she changes it
    assert _sms_to(commit, alice, phone=BILLING) == "+79129998877"
    _b, bob = resident("P-2", phone="+79990000002")  # the other resident gave no phone
    services.preference_update(user=bob, email_enabled=True, sms_enabled=True, muted_kinds=[])
    assert _sms_to(commit, bob, phone="+79990000002") == "+79990000002"
    assert [sms["phone"] for sms in console.outbox] == [
        PORTAL, PORTAL, "+79129998877", "+79990000002"]


def test_batches_use_each_residents_portal_phone(in_tenant_a,
                                                  django_capture_on_commit_callbacks):
    notification_settings(sms_enabled=True, quiet_hours_start=time(0), quiet_hours_end=time(0))
    alice_account, alice = resident("P-1", phone=BILLING)
    _portal_settings(alice, PORTAL)
    bob_account, bob = resident("P-2", phone="+79990000002")
    services.preference_update(user=bob, email_enabled=True, sms_enabled=True, muted_kinds=[])
    ids = [invoice(alice_account).pk, invoice(bob_account).pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.invoices_available_notify(invoice_ids=ids, batch_key="import-7")
    sms = dict(Notification.objects.filter(channel="sms").values_list("account__number",
                                                                      "recipient"))
    assert sms == {"P-1": PORTAL, "P-2": "+79990000002"}


def test_payment_confirmation_sms_reaches_the_portal_phone(
        in_tenant_a, django_capture_on_commit_callbacks):
    """Portal payments pass no phone at all; the resident's own number is used."""
    from types import SimpleNamespace

    from django.utils import timezone

    from lk_core.payments.confirmation import payment_confirmation_enqueue

    notification_settings(sms_enabled=True, quiet_hours_start=time(0), quiet_hours_end=time(0))
    account, alice = resident("P-3", phone=BILLING)
    _portal_settings(alice, PORTAL)
    saved = []
    payment = SimpleNamespace(
        amount=Decimal("500.00"), account=account, user=alice, email=alice.email,
        paid_at=timezone.now(), public_id="pay-1", initiated_by="resident",
        save=lambda update_fields: saved.append(update_fields))
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirmation_enqueue(payment, tz=in_tenant_a.tzinfo)
    assert [sms["phone"] for sms in console.outbox] == [PORTAL]
    assert saved == [["confirmation_sent_at"]]


def test_other_tenants_resident_keeps_their_own_phone(
        utility_a, utility_b, in_schema, django_capture_on_commit_callbacks):
    for utility, phone in ((utility_a, PORTAL), (utility_b, "+79135556677")):
        with in_schema(utility):
            notification_settings(sms_enabled=True, quiet_hours_start=time(0),
                                  quiet_hours_end=time(0))
            _acc, user = resident("P-1", phone=BILLING)  # same account number at both
            _portal_settings(user, phone)
            assert _sms_to(django_capture_on_commit_callbacks, user) == phone


@pytest.mark.parametrize("kind", sorted(set(Kind.values) - ESSENTIAL_KINDS))
def test_every_non_essential_email_has_an_unsubscribe_link_for_its_kind(
        kind, in_tenant_a, django_capture_on_commit_callbacks):
    account, user = resident("U-1")
    extra = {}
    if kind == Kind.RECEIPT:  # its e-mail carries the period's receipt PDF
        invoice(account)
        extra = {"account": account, "context": {"receipt_period": "2026-10-01"}}
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_enqueue(kind=kind, user=user, **({"context": {}} | extra))
    [message] = mail.outbox
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in message.body and url in message.alternatives[0].content
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert unsubscribe_token_read(token) == {"s": in_tenant_a.schema_name, "u": user.pk,
                                             "k": kind}
