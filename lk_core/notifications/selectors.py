"""Reads for notifications: settings, preferences, recipients of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import F, QuerySet
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


def resident_phones(user_ids: set[int]) -> dict[int, str]:
    """The mobile number each resident gave in the portal's settings (the number SMS go
    to); users who gave none are absent."""
    from lk_core.portal.models import ResidentPreferences

    rows = ResidentPreferences.objects.filter(user_id__in=user_ids).exclude(contact_phone="")
    return dict(rows.values_list("user_id", "contact_phone"))


def resident_languages(user_ids: set[int]) -> dict[int, str]:
    """The language each resident's e-mails and SMS are written in: the one saved in the
    portal's settings, else the one recorded at registration and by the language switch
    (lk_core.identity Resident.language). Users with neither are absent (the caller's
    default applies). One query."""
    rows = User.objects.filter(pk__in=user_ids).values_list(
        "pk", "portal_preferences__language", "resident__language")
    return {pk: saved or recorded for pk, saved, recorded in rows if saved or recorded}


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
    account, lk_core.identity). E-mail: the login's, else billing's. Phone: the one the
    resident gave in the portal's settings, else billing's. Two queries for all accounts."""
    # Users annotated with their linked account: one model per row, not three.
    users = {user.linked_account_id: user for user in User.objects.filter(
        resident__links__account__in=accounts, is_active=True, kind=UserKind.RESIDENT
    ).annotate(linked_account_id=F("resident__links__account_id"))}
    phones = resident_phones({user.pk for user in users.values()}) if users else {}
    recipients = []
    for account in accounts:
        user = users.get(account.pk)
        email = (user.email if user else "") or account.email
        phone = (phones.get(user.pk) if user else "") or account.phone
        recipients.append(AccountRecipient(account=account, user=user, email=email,
                                           phone=phone))
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
