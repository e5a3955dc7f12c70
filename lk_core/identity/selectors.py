"""Reads for residents, their accounts, the rules and the tenant's identity settings."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from lk_core.billing.models import Account
from lk_core.identity.models import (
    IdentitySettings,
    Resident,
    ResidentAccount,
    RulesAcceptance,
    RulesStatus,
    RulesVersion,
)
from tenants.models import Utility


def utility_current() -> Utility:
    """The utility whose schema the connection is on (a real row, also under
    schema_context, where django-tenants only knows the schema name)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Utility):
        return tenant
    return Utility.objects.get(schema_name=connection.schema_name)


def identity_settings_get() -> IdentitySettings:
    settings_row, _created = IdentitySettings.objects.get_or_create(pk=1)
    return settings_row


def account_get_by_number(number: str) -> Account | None:
    return (Account.objects.select_related("resident_link__resident__user")
            .filter(number=account_number_normalise(number)).first())


def account_number_normalise(value: str) -> str:
    return "".join((value or "").split())


def resident_for_user(user) -> Resident | None:
    if not getattr(user, "is_authenticated", False) or user.kind != "resident":
        return None
    return Resident.objects.select_related("current_account", "user").filter(user=user).first()


def resident_for_request(request) -> Resident | None:
    """resident_for_user, read once per request (the view and the nav both need it)."""
    if not hasattr(request, "_identity_resident"):
        request._identity_resident = resident_for_user(getattr(request, "user", None))
    return request._identity_resident


def resident_accounts(*, resident: Resident) -> QuerySet[Account]:
    return Account.objects.filter(resident_link__resident=resident).order_by("number")


def account_get_for_resident(*, resident: Resident, account_id: int) -> Account:
    """The resident's linked account, or 404 for both missing and not-yours."""
    account = resident_accounts(resident=resident).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def resident_current_account(*, resident: Resident) -> Account | None:
    """The account the resident works with now; the first linked one if none was chosen."""
    if resident.current_account_id and ResidentAccount.objects.filter(
            resident=resident, account_id=resident.current_account_id).exists():
        return resident.current_account
    return resident_accounts(resident=resident).first()


def rules_current() -> RulesVersion | None:
    return (RulesVersion.objects.filter(status=RulesStatus.PUBLISHED)
            .order_by("-number").first())


def rules_accepted(*, resident: Resident, version: RulesVersion) -> bool:
    return RulesAcceptance.objects.filter(resident=resident, version=version).exists()


def rules_text(version: RulesVersion, language: str | None) -> str:
    if (language or "").startswith("en") and version.text_en:
        return version.text_en
    return version.text_ru
