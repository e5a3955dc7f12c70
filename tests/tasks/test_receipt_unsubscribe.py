"""The unsubscribe link of a paperless receipt e-mail turns paperless off (paper receipts
resume and the billing export says so) instead of muting the receipt, which left the
resident with neither (the API side: tests/api/test_identity_api.py)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings

from lk_core.billing.models import ContactChange
from lk_core.notifications import services
from lk_core.notifications.models import Kind, NotificationPreference
from lk_core.portal.models import ResidentPreferences
from lk_core.portal.services import preferences_update
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import invoice, resident


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _paperless(user) -> None:
    preferences_update(user=user, contact_phone="", paperless_receipt=True, language="ru",
                       email_reading_receipt=False, email_enabled=True, sms_enabled=False,
                       muted_kinds=[])


def _receipt_link(commit, account, user) -> str:
    invoice(account)
    with commit(execute=True):
        services.notification_enqueue(kind=Kind.RECEIPT, user=user, account=account,
                                      context={"receipt_period": "2026-10-01"})
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    url = re.search(r"https?://\S+/notifications/unsubscribe/\S+/", message.body).group(0)
    return "/" + url.split("/", 3)[3]


def test_unsubscribing_from_receipts_switches_paperless_off(
        utility_a, client_a, client_b, in_schema, django_capture_on_commit_callbacks):
    with in_schema(utility_a):
        alice_account, alice = resident("R-1")
        _bob_account, bob = resident("R-2")
        _paperless(alice)
        _paperless(bob)
        path = _receipt_link(django_capture_on_commit_callbacks, alice_account, alice)
        exported = ContactChange.objects.count()
    asked = client_a.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Paper receipts will be delivered again." in asked
    assert client_b.post(path).status_code == 404  # another utility's link
    with in_schema(utility_a):
        assert ResidentPreferences.objects.get(user=alice).paperless_receipt  # GET: no-op
    done = client_a.post(path, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "бумажные квитанции снова будут доставляться" in done
    with in_schema(utility_a):
        assert not ResidentPreferences.objects.get(user=alice).paperless_receipt
        assert ResidentPreferences.objects.get(user=bob).paperless_receipt
        muted = NotificationPreference.objects.get(user=alice).muted_kinds
        assert Kind.RECEIPT not in muted
        change = ContactChange.objects.order_by("-pk").first()
        assert ContactChange.objects.count() == exported + 1
        assert (change.account_number, change.paperless) == ("R-1", False)
    assert client_a.post(path).status_code == 200  # a second click changes nothing more
    with in_schema(utility_a):
        assert ContactChange.objects.count() == exported + 1

