"""What a notification shows: amounts grouped the way the recipient writes them (in the
e-mail's language, in the inbox's), and an appeal's notice that opens that appeal's own
page on the utility's host rather than the portal's home."""

from __future__ import annotations

from datetime import time

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation

from lk_core.appeals import services as appeals
from lk_core.appeals.models import AppealCategory
from lk_core.identity.models import Resident
from lk_core.notifications.models import InboxMessage, Kind, Notification
from lk_core.notifications.rendering import TemplateCache, render_email, render_inbox_message
from lk_core.notifications.services import invoices_available_notify
from lk_core.users.models import User, UserKind
from tenants.urls import utility_url
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import invoice, notification_settings, resident

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _reads(user, language: str) -> None:
    Resident.objects.filter(user=user).update(language=language)


def test_invoice_amounts_are_grouped_in_the_readers_language(
        in_tenant_a, django_capture_on_commit_callbacks):
    alice_account, alice = resident("A-1")
    bob_account, bob = resident("B-1")
    _reads(alice, "en")
    _reads(bob, "ru")
    ids = [invoice(alice_account, amount_due="12345.67").pk,
           invoice(bob_account, amount_due="1234567.80").pk]
    with django_capture_on_commit_callbacks(execute=True):
        invoices_available_notify(invoice_ids=ids, batch_key="money")
    row = Notification.objects.get(user=alice, kind=Kind.INVOICE_AVAILABLE)
    assert row.context["amount_due"] == "12345.67"  # stored plain, shown per reader
    sent = {message.to[0]: message for message in mail.outbox}
    assert "Amount due: 12,345.67 RUB" in sent[alice.email].body
    assert f"1{NBSP}234{NBSP}567,80 руб." in sent[bob.email].body
    message = InboxMessage.objects.get(user=alice)
    for language, shown in (("en", "12,345.67"), ("ru", f"12{NBSP}345,67")):
        with translation.override(language):
            assert shown in render_inbox_message(message, in_tenant_a,
                                                 TemplateCache(in_tenant_a)).text


def test_rows_written_with_a_comma_still_read_well(in_tenant_a):
    """Payment confirmations used to store "1234,56" (Russian, ungrouped)."""
    _account, alice = resident("A-1")
    row = Notification(kind=Kind.PAYMENT_RECEIVED, channel="email", user=alice,
                       recipient=alice.email,
                       context={"amount": "1234,56", "account_number": "A-1",
                                "paid_on": "01.11.2026", "language": "en"})
    assert "We received 1,234.56 RUB" in render_email(row, in_tenant_a,
                                                      TemplateCache(in_tenant_a)).text


def _status_change(commit, user, account):
    category = AppealCategory.objects.create(name="Протечка")
    appeal = appeals.appeal_create(user=user, account=account, category_id=category.pk,
                                   text="Течёт труба")
    staff = User.objects.create_user(username="desk", kind=UserKind.STAFF, is_staff=True)
    with commit(execute=True):
        appeals.appeal_set_status(appeal=appeal, staff_user=staff, status="in_progress")
    return appeal


def test_appeal_notice_links_to_the_appeal(in_tenant_a, client_a,
                                           django_capture_on_commit_callbacks):
    notification_settings(quiet_hours_start=time(0), quiet_hours_end=time(0))
    account, alice = resident("A-1")
    appeal = _status_change(django_capture_on_commit_callbacks, alice, account)
    link = utility_url(in_tenant_a, f"/appeals/{appeal.pk}/")
    [message] = [m for m in mail.outbox if m.to == [alice.email]]
    assert f"Подробнее: {link}" in message.body
    html = message.alternatives[0][0]
    assert f'<a href="{link}" style="display:inline-block' in html
    assert "Открыть обращение" in html
    # The inbox, on the portal page and as rendered for the app.
    shown = render_inbox_message(InboxMessage.objects.get(user=alice), in_tenant_a,
                                 TemplateCache(in_tenant_a))
    assert shown.url == link and link in shown.text
    client_a.force_login(alice, backend="lk_core.identity.backends.AccountNumberBackend")
    page = client_a.get("/notifications/").content.decode()
    assert f'<a href="{link}" data-testid="inbox-link">' in page
    # The link opens the appeal for its author.
    assert client_a.get(f"/appeals/{appeal.pk}/").status_code == 200


def test_other_notices_still_open_the_portal(in_tenant_a, django_capture_on_commit_callbacks):
    account, alice = resident("A-1")
    with django_capture_on_commit_callbacks(execute=True):
        invoices_available_notify(invoice_ids=[invoice(account).pk], batch_key="home")
    [message] = mail.outbox
    home = utility_url(in_tenant_a, "/")
    assert f'<a href="{home}" style="display:inline-block' in message.alternatives[0][0]
    assert render_inbox_message(InboxMessage.objects.get(user=alice), in_tenant_a,
                                TemplateCache(in_tenant_a)).url == ""
