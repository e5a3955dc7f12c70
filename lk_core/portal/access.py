"""Who the resident is and which of their objects a request may reach.

Every resident object is fetched through a `*_get_for_resident` helper that filters by the
resident's current account (and, for appeals, by the author) in the same query, so a
missing object and somebody else's object give the same 404."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest

from lk_core.appeals.models import Appeal, AppealAttachment
from lk_core.billing.models import Account, Invoice
from lk_core.identity.models import Resident
from lk_core.identity.selectors import resident_current_account, resident_for_request
from lk_core.meters.models import Meter
from lk_core.users.models import UserKind


@dataclass(frozen=True)
class PortalResident:
    user: object
    resident: Resident | None  # the identity record; None for a login without one
    account: Account | None  # the current account; None when none is linked

    @property
    def pk(self) -> int:
        return self.user.pk


def current_account(request: HttpRequest) -> Account | None:
    """The account the resident is looking at (identity's current account)."""
    resident = resident_for_request(request)
    return resident_current_account(resident=resident) if resident else None


def portal_resident(request: HttpRequest) -> PortalResident:
    resident = resident_for_request(request)
    account = resident_current_account(resident=resident) if resident else None
    return PortalResident(user=request.user, resident=resident, account=account)


def resident_required(view):
    """Residents only; others go to the login page. Sets request.resident."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or user.kind != UserKind.RESIDENT:
            return redirect_to_login(request.get_full_path())
        request.resident = portal_resident(request)
        return view(request, *args, **kwargs)

    return wrapper


def _account_id(resident: PortalResident) -> int:
    if resident.account is None:
        raise Http404
    return resident.account.pk


def invoice_get_for_resident(*, resident: PortalResident, invoice_id: int) -> Invoice:
    invoice = Invoice.objects.filter(pk=invoice_id, account_id=_account_id(resident)).first()
    if invoice is None:
        raise Http404
    return invoice


def meter_get_for_resident(*, resident: PortalResident, meter_id: int) -> Meter:
    meter = (Meter.objects.filter(pk=meter_id, account_id=_account_id(resident))
             .select_related("service").first())
    if meter is None:
        raise Http404
    return meter


def appeal_get_for_resident(*, resident: PortalResident, appeal_id: int) -> Appeal:
    appeal = (Appeal.objects.filter(pk=appeal_id, account_id=_account_id(resident),
                                    author=resident.user)
              .select_related("category").first())
    if appeal is None:
        raise Http404
    return appeal


def attachment_get_for_resident(*, resident: PortalResident, token: str) -> AppealAttachment:
    attachment = AppealAttachment.objects.filter(
        token=token, appeal__account_id=_account_id(resident),
        appeal__author=resident.user).first()
    if attachment is None:
        raise Http404
    return attachment
