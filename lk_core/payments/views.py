"""Resident payment pages and the acquirer webhook endpoints. Thin: forms in, services and
access helpers do the work."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lk_core.payments import access, autopay, selectors, services
from lk_core.payments.forms import AutopayForm, AutopayTermsForm, PayForm
from lk_core.payments.models import AcquirerKind, AutopayMandate
from lk_core.users.models import UserKind

WEBHOOK_ACQUIRERS = (AcquirerKind.STRIPE, AcquirerKind.YOOKASSA)
MAX_WEBHOOK_BYTES = 256 * 1024


def resident_required(view):
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            try:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            except NoReverseMatch:
                return HttpResponseForbidden()
        if request.user.kind != UserKind.RESIDENT:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapped


def _site_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _to_hosted_page(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    # form-action also governs where a form's redirect may lead: allow the acquirer's page.
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    response.csp_override = settings.CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origin}")
    return response


@resident_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    row = selectors.payment_settings_get()
    accounts = list(access.resident_accounts(request.user))
    current = access.current_account(request)
    due = selectors.amount_due(current) if current else None
    form = PayForm(request.POST or None, accounts=accounts,
                   sbp=row.sbp_enabled and row.acquirer == AcquirerKind.YOOKASSA,
                   allow_other_amount=row.allow_other_amount,
                   initial={"account": current.pk if current else None, "amount": due,
                            "email": request.user.email})
    ready = selectors.card_payments_ready(row)
    if request.method == "POST" and ready and form.is_valid():
        account = access.account_get_for_resident(user=request.user,
                                                  account_id=form.cleaned_data["account"])
        try:
            payment = services.payment_create(
                user=request.user, account=account, site_url=_site_url(request),
                amount=form.cleaned_data["amount"] or None, method=form.cleaned_data["method"],
                email=form.cleaned_data["email"] or request.user.email)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _to_hosted_page(payment.confirmation_url)
    return render(request, "payments/pay.html", {
        "form": form, "settings_row": row, "due": due, "account": current,
        "card_payments": ready})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@resident_required
@require_GET
def payment_return(request: HttpRequest, public_id) -> HttpResponse:
    """Where the acquirer sends the resident back: the real status, asked of the acquirer
    while it is still open, and a page that refreshes itself until it is decided."""
    payment = access.payment_get_for_resident(user=request.user, public_id=public_id)
    payment = services.payment_refresh_if_stale(payment=payment, source="return")
    waiting = payment.status in selectors.WAITING_STATUSES
    return render(request, "payments/return.html", {
        "payment": payment, "waiting": waiting,
        "refresh_seconds": selectors.REFRESH_EVERY_SECONDS,
        "autopay_setup": AutopayMandate.objects.filter(setup_payment=payment).first(),
        "transitions": payment.transitions.all()})


@resident_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    payments = selectors.payments_for_accounts(access.resident_accounts(request.user))
    return render(request, "payments/history.html", {"payments": payments})


@resident_required
@require_http_methods(["GET", "POST"])
def autopay_page(request: HttpRequest) -> HttpResponse:
    """Turn autopay on for an account (the first payment saves the card), see it, change
    the day or the limit, cancel it."""
    accounts = list(access.resident_accounts(request.user))
    mandates = selectors.autopay_mandates_for_accounts(access.resident_accounts(request.user))
    covered = {mandate.account_id for mandate in mandates
               if mandate.status == "active"}
    free = [account for account in accounts if account.pk not in covered]
    current = access.current_account(request)
    form = AutopayForm(request.POST if request.POST.get("action") == "start" else None,
                       accounts=free, initial={
                           "account": current.pk if current else None, "day": 10,
                           "cap": selectors.amount_due(current) if current else None,
                           "email": request.user.email})
    if request.method == "POST" and request.POST.get("action") == "start" and form.is_valid():
        account = access.account_get_for_resident(user=request.user,
                                                  account_id=form.cleaned_data["account"])
        try:
            mandate = autopay.autopay_start(
                user=request.user, account=account, day=form.cleaned_data["day"],
                cap=form.cleaned_data["cap"], site_url=_site_url(request),
                email=form.cleaned_data["email"] or request.user.email)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _to_hosted_page(mandate.setup_payment.confirmation_url)
    return render(request, "payments/autopay.html", {
        "form": form, "available": autopay.autopay_available(),
        "terms": [(mandate, AutopayTermsForm(initial={"day": mandate.day, "cap": mandate.cap},
                                             prefix=f"m{mandate.pk}"))
                  for mandate in mandates]}, status=400 if form.errors else 200)


@resident_required
@require_POST
def autopay_change(request: HttpRequest, mandate_id: int) -> HttpResponse:
    mandate = access.mandate_get_for_resident(user=request.user, mandate_id=mandate_id)
    if request.POST.get("action") == "cancel":
        autopay.autopay_cancel(mandate=mandate)
        messages.success(request, _("Autopay is canceled; the saved card is forgotten."))
        return HttpResponseRedirect(reverse("payments:autopay"))
    form = AutopayTermsForm(request.POST, prefix=f"m{mandate.pk}")
    if form.is_valid():
        try:
            autopay.autopay_update(mandate=mandate, day=form.cleaned_data["day"],
                                   cap=form.cleaned_data["cap"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Autopay is changed."))
    else:
        messages.error(request, " ".join(
            str(error) for errors in form.errors.values() for error in errors))
    return HttpResponseRedirect(reverse("payments:autopay"))


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, acquirer: str) -> HttpResponse:
    """Store the notification and answer at once; an event that later proves forged or
    stale is marked so and changes nothing. 413 for oversized bodies."""
    if acquirer not in WEBHOOK_ACQUIRERS:
        raise Http404
    body = request.body
    if len(body) > MAX_WEBHOOK_BYTES:
        return HttpResponse(status=413)
    services.webhook_receive(acquirer=acquirer, body=body, headers=dict(request.headers))
    return HttpResponse("ok", content_type="text/plain")

