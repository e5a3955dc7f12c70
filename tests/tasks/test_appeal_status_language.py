"""An appeal's status notice names the status in the reader's language: the outbox keeps
the status code, the inbox renders its label when read, e-mail in the recipient's portal
language. Alice reads English, Bob Russian; the other tenant gets nothing."""

from __future__ import annotations

from datetime import time

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation

from lk_core.appeals import services as appeals
from lk_core.appeals.models import AppealCategory
from lk_core.notifications.models import InboxMessage, Kind, Notification
from lk_core.notifications.rendering import TemplateCache, render_inbox_message
from lk_core.portal.services import preferences_update
from lk_core.users.models import User, UserKind
from tests.tasks.conftest import tasks_setting
from tests.tasks.factories import notification_settings, resident


@pytest.fixture(autouse=True)
def _immediate():
    with override_settings(TASKS=tasks_setting("immediate", "")):
        yield


def _reads(user, language: str) -> None:
    preferences_update(user=user, contact_phone="", paperless_receipt=False,
                       language=language, email_reading_receipt=False, email_enabled=True,
                       sms_enabled=False, muted_kinds=[])


def _status_set(commit, user, account) -> None:
    category = AppealCategory.objects.create(name="Протечка")
    appeal = appeals.appeal_create(user=user, account=account, category_id=category.pk,
                                   text="Течёт труба")
    staff = User.objects.filter(username="desk").first() or User.objects.create_user(
        username="desk", kind=UserKind.STAFF, is_staff=True)
    with commit(execute=True):
        appeals.appeal_set_status(appeal=appeal, staff_user=staff, status="in_progress")


def _inbox(user, utility, language: str) -> str:
    message = InboxMessage.objects.get(user=user, kind=Kind.APPEAL_STATUS)
    with translation.override(language):
        shown = render_inbox_message(message, utility, TemplateCache(utility))
    return shown.title + "\n" + shown.text


def test_status_in_the_readers_language(in_tenant_a, utility_b, in_schema,
                                        django_capture_on_commit_callbacks):
    notification_settings(quiet_hours_start=time(0), quiet_hours_end=time(0))
    alice_account, alice = resident("A-1")
    bob_account, bob = resident("B-1")
    _reads(alice, "en")
    _reads(bob, "ru")
    _status_set(django_capture_on_commit_callbacks, alice, alice_account)
    _status_set(django_capture_on_commit_callbacks, bob, bob_account)
    note = Notification.objects.get(user=alice, kind=Kind.APPEAL_STATUS)
    assert note.context["status_code"] == "in_progress" and "status" not in note.context
    sent = {message.to[0]: message for message in mail.outbox}
    assert "In progress" in sent[alice.email].subject
    assert "In progress" in sent[alice.email].body and "В работе" not in sent[alice.email].body
    assert "В работе" in sent[bob.email].subject and "In progress" not in sent[bob.email].body
    # The inbox: whatever language the reader has on now.
    assert "In progress" in _inbox(alice, in_tenant_a, "en")
    assert "В работе" in _inbox(alice, in_tenant_a, "ru")
    assert "В работе" not in _inbox(bob, in_tenant_a, "en")
    with in_schema(utility_b):
        assert not Notification.objects.exists() and not InboxMessage.objects.exists()


def test_a_notice_stored_with_a_label_still_renders(in_tenant_a):
    """Rows written before the code was stored carry the label itself."""
    _account, alice = resident("A-1")
    message = InboxMessage.objects.create(user=alice, kind=Kind.APPEAL_STATUS,
                                          context={"appeal_number": "7", "status": "Ответ дан",
                                                   "comment": ""})
    with translation.override("en"):
        shown = render_inbox_message(message, in_tenant_a, TemplateCache(in_tenant_a))
    assert shown.title == "Your appeal 7: Ответ дан"


def test_bobs_notice_is_not_alices(in_tenant_a, django_capture_on_commit_callbacks):
    alice_account, alice = resident("A-1")
    _account, bob = resident("B-1")
    _status_set(django_capture_on_commit_callbacks, alice, alice_account)
    assert not InboxMessage.objects.filter(user=bob).exists()
