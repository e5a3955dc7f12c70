"""Reads for notifications: settings, preferences, recipients of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from lk_core.billing.models import Account
from lk_core.notifications.models import (
    INBOX_KINDS,
    InboxMessage,
    NotificationPreference,
    NotificationSettings,
)
from lk_core.users.models import User, UserKind


def notification_settings_get() -> NotificationSettings:
    row = NotificationSettings.objects.first()
    return row or NotificationSettings.objects.create()


def current_utility():
    """The Utility of the current schema (tasks and tests enter schemas by name)."""
    from django_tenants.utils import get_public_schema_name, schema_context

    from tenants.models import Utility

    tenant = connection.tenant
    if isinstance(tenant, Utility):
        return tenant
    schema = connection.schema_name
    with schema_context(get_public_schema_name()):
        return Utility.objects.get(schema_name=schema)


def preferences_for(user_ids: set[int]) -> dict[int, NotificationPreference]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids)
    return {row.user_id: row for row in rows}


@dataclass(frozen=True)
class AccountRecipient:
    account: Account
    user: User | None
    email: str
    phone: str


def recipients_for_accounts(accounts: list[Account]) -> list[AccountRecipient]:
    """An account's registered resident is the active user linked to it (one login per
    account, lk_core.identity). One query for all accounts."""
    from lk_core.identity.models import ResidentAccount

    users = {link.account_id: link.resident.user for link in ResidentAccount.objects.filter(
        account__in=accounts, resident__user__is_active=True,
        resident__user__kind=UserKind.RESIDENT).select_related("resident__user")}
    recipients = []
    for account in accounts:
        user = users.get(account.pk)
        email = (user.email if user else "") or account.email
        recipients.append(AccountRecipient(account=account, user=user, email=email,
                                           phone=account.phone))
    return recipients


# --- the resident's inbox ------------------------------------------------------------------

def inbox_for_user(*, user: User) -> QuerySet[InboxMessage]:
    """The user's own inbox, newest first (one query per page; the account comes along)."""
    return (InboxMessage.objects.filter(user=user, kind__in=INBOX_KINDS)
            .select_related("account").order_by("-created_at", "-id"))


def inbox_unread_count(*, user: User) -> int:
    return InboxMessage.objects.filter(user=user, kind__in=INBOX_KINDS,
                                       read_at__isnull=True).count()


def inbox_message_get_for_user(*, user: User, message_id: int) -> InboxMessage:
    """One of the user's own messages; a missing one and another user's are both 404."""
    message = inbox_for_user(user=user).filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message
