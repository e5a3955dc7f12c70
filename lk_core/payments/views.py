"""Resident payment pages and the acquirer webhook endpoints. Thin: forms in, services and
access helpers do the work."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
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
from django.urls import NoReverseMatch
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lk_core.payments import access, selectors, services
from lk_core.payments.forms import PayForm
from lk_core.payments.models import AcquirerKind, PaymentStatus
from lk_core.users.models import UserKind

WEBHOOK_ACQUIRERS = (AcquirerKind.STRIPE, AcquirerKind.YOOKASSA)
MAX_WEBHOOK_BYTES = 256 * 1024
# The return page asks the acquirer itself at most this often while waiting.
REFRESH_EVERY_SECONDS = 5


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


def _add_errors(form: PayForm, exc: ValidationError) -> None:
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
    if payment.status in (PaymentStatus.CREATED, PaymentStatus.PENDING) and _due_for_refresh(
            payment):
        services.payment_refresh(payment=payment, source="return")
        payment.refresh_from_db()
    waiting = payment.status in (PaymentStatus.CREATED, PaymentStatus.PENDING)
    return render(request, "payments/return.html", {
        "payment": payment, "waiting": waiting, "refresh_seconds": REFRESH_EVERY_SECONDS,
        "transitions": payment.transitions.all()})


def _due_for_refresh(payment) -> bool:
    last = payment.last_checked_at
    return last is None or (timezone.now() - last).total_seconds() >= REFRESH_EVERY_SECONDS


@resident_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    payments = selectors.payments_for_accounts(access.resident_accounts(request.user))
    return render(request, "payments/history.html", {"payments": payments})


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

