"""Which accounts a resident may pay for (the accounts they proved, lk_core.identity), and
payments reached only through the resident: missing and not-yours both answer 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from lk_core.billing.models import Account
from lk_core.identity import selectors as identity
from lk_core.payments.models import LIVE_MANDATE_STATUSES, AutopayMandate, PortalPayment


def resident_accounts(user) -> QuerySet[Account]:
    resident = identity.resident_for_user(user)
    if resident is None or resident.blocked_at is not None:
        return Account.objects.none()
    return identity.resident_accounts(resident=resident)


def account_get_for_resident(*, user, account_id: int) -> Account:
    account = resident_accounts(user).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def payment_get_for_resident(*, user, public_id) -> PortalPayment:
    payment = (PortalPayment.objects.select_related("account")
               .filter(public_id=public_id, account__in=resident_accounts(user)).first())
    if payment is None:
        raise Http404
    return payment


def current_account(request: HttpRequest) -> Account | None:
    """The account the portal is working with (the resident's current one)."""
    resident = identity.resident_for_user(request.user)
    if resident is None or resident.blocked_at is not None:
        return None
    return identity.resident_current_account(resident=resident)


def mandate_get_for_resident(*, user, mandate_id: int) -> AutopayMandate:
    """A live autopay of one of the resident's accounts (canceled ones are history)."""
    mandate = (AutopayMandate.objects.select_related("account")
               .filter(pk=mandate_id, account__in=resident_accounts(user),
                       status__in=LIVE_MANDATE_STATUSES).first())
    if mandate is None:
        raise Http404
    return mandate
