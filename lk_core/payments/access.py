"""Which accounts a resident may pay for, and payments reached only through the resident:
missing and not-yours both answer 404.

Until resident identity (lk_core/identity) lands, a resident user's username is the
account number they log in with, which links them to exactly that account."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from lk_core.billing.models import Account
from lk_core.payments.models import PortalPayment
from lk_core.users.models import UserKind


def resident_accounts(user) -> QuerySet[Account]:
    if not (user.is_authenticated and user.kind == UserKind.RESIDENT):
        return Account.objects.none()
    return Account.objects.filter(number=user.username)


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
    """The account the portal is showing: the one chosen in the session if it is still
    the resident's, else their first."""
    accounts = resident_accounts(request.user)
    chosen = request.session.get("account_id")
    return (accounts.filter(pk=chosen).first() if chosen else None) or accounts.first()
