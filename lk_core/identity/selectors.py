"""Reads for residents, their accounts, the rules and the tenant's identity settings."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from lk_core.billing.models import Account, DataVersion
from lk_core.identity.models import (
    IdentitySettings,
    Resident,
    ResidentAccount,
    RulesAcceptance,
    RulesStatus,
    RulesVersion,
)
from lk_core.users.models import UserKind
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
    """The resident with, in the same query, what every page asks next: the current
    account, whether it is still linked, how many accounts are linked, the published
    rules' number and the utility's data version (lk_core.billing.versions).

    Hand-written SQL: every portal page runs it, and building the same query through the
    ORM cost more than the database spends on it."""
    if not getattr(user, "is_authenticated", False) or user.kind != "resident":
        return None
    rows = list(Resident.objects.raw(_resident_sql(), [RulesStatus.PUBLISHED, user.pk]))
    if not rows:
        return None
    resident = rows[0]
    resident.user = user
    if resident.current_account_id is not None:
        fields = Account._meta.concrete_fields
        resident.current_account = Account.from_db(
            connection.alias, [f.attname for f in fields],
            [getattr(resident, f"account__{f.column}") for f in fields])
    return resident


@functools.cache
def _resident_sql() -> str:
    quote = connection.ops.quote_name
    account = ", ".join(f"a.{quote(f.column)} AS {quote('account__' + f.column)}"
                        for f in Account._meta.concrete_fields)
    links = ResidentAccount._meta.db_table
    return (
        f"SELECT r.*, {account}, "  # noqa: S608 - table and column names from models
        f"EXISTS (SELECT 1 FROM {links} l WHERE l.resident_id = r.id "
        f"AND l.account_id = r.current_account_id) AS current_linked, "
        f"(SELECT count(*) FROM {links} l WHERE l.resident_id = r.id) AS linked_count, "
        f"(SELECT v.number FROM {RulesVersion._meta.db_table} v WHERE v.status = %s "
        f"ORDER BY v.number DESC LIMIT 1) AS published_rules, "
        f"(SELECT d.version FROM {DataVersion._meta.db_table} d WHERE d.id = 1) "
        f"AS tenant_data_version "
        f"FROM {Resident._meta.db_table} r "
        f"LEFT JOIN {Account._meta.db_table} a ON a.id = r.current_account_id "
        f"WHERE r.user_id = %s")


def resident_for_request(request) -> Resident | None:
    """resident_for_user, read once per request (the view and the nav both need it)."""
    if not hasattr(request, "_identity_resident"):
        request._identity_resident = resident_for_user(getattr(request, "user", None))
    return request._identity_resident


def resident_accounts(*, resident: Resident) -> QuerySet[Account]:
    return Account.objects.filter(resident_link__resident=resident).order_by("number")


def resident_accounts_for_request(request) -> list[Account]:
    """resident_accounts of the request's resident, read once per request (a page and the
    menu both list them)."""
    if not hasattr(request, "_identity_accounts"):
        resident = resident_for_request(request)
        request._identity_accounts = list(resident_accounts(resident=resident)) \
            if resident else []
    return request._identity_accounts


def account_get_for_resident(*, resident: Resident, account_id: int) -> Account:
    """The resident's linked account, or 404 for both missing and not-yours."""
    account = resident_accounts(resident=resident).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def resident_current_account(*, resident: Resident) -> Account | None:
    """The account the resident works with now; the first linked one if none was chosen."""
    if resident.current_account_id:
        linked = getattr(resident, "current_linked", None)  # read with the resident
        if linked is None:
            linked = ResidentAccount.objects.filter(
                resident=resident, account_id=resident.current_account_id).exists()
        if linked:
            return resident.current_account
    return resident_accounts(resident=resident).first()


def rules_current() -> RulesVersion | None:
    return (RulesVersion.objects.filter(status=RulesStatus.PUBLISHED)
            .order_by("-number").first())


def rules_accepted(*, resident: Resident, version: RulesVersion) -> bool:
    return RulesAcceptance.objects.filter(resident=resident, version=version).exists()


def _rules_in_english(version: RulesVersion, language: str | None) -> bool:
    return (language or "").startswith("en") and bool(version.text_en)


def rules_text(version: RulesVersion, language: str | None) -> str:
    return version.text_en if _rules_in_english(version, language) else version.text_ru


def rules_title(version: RulesVersion, language: str | None) -> str:
    """The title that goes with rules_text: English over the English text when staff gave one."""
    if _rules_in_english(version, language) and version.title_en:
        return version.title_en
    return version.title


# --- how staff see who did something ------------------------------------------------------

def account_holder_label(account: Account | None) -> str:
    """"930001 — Иванов Иван Иванович": the account number and the holder's name."""
    if account is None:
        return ""
    return f"{account.number} — {account.holder_name}" if account.holder_name else account.number


def user_label(user, *, account: Account | None = None) -> str:
    """Who did something, as staff read it. A resident is the account number and holder
    name (of `account`, the row's own, else the resident's current one), never the login's
    technical user name; staff and operators are their user name (their e-mail). For lists,
    select `user__resident__current_account` with the rows, or pass `account`."""
    if user is None:
        return ""
    if user.kind != UserKind.RESIDENT:
        return user.get_username()
    if account is None:
        resident = getattr(user, "resident", None)  # none: a login without a resident row
        account = resident.current_account if resident is not None else None
    return account_holder_label(account) or user.email or _("resident")
