"""Resident pages: registration, login, accounts, passwords, e-mail, rules. Thin: each
view validates a form, calls one service and renders or redirects."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lk_core.identity import forms, services
from lk_core.identity.http import client_ip, wait_message
from lk_core.identity.middleware import RULES_SESSION_KEY
from lk_core.identity.models import RegistrationMethod
from lk_core.identity.selectors import (
    identity_settings_get,
    resident_accounts_for_request,
    resident_for_request,
    rules_current,
    rules_text,
    rules_title,
)

# Lazy: translated per request, in the language the resident reads.
REFUSED = gettext_lazy("We could not confirm these details. Check the account number and "
                       "the data from your receipt and try again, or contact the office.")


def home_url() -> str:
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


def _resident_or_404(request: HttpRequest):
    resident = resident_for_request(request)
    if resident is None:
        raise Http404
    return resident


# --- registration -----------------------------------------------------------------------

def register(request: HttpRequest) -> HttpResponse:
    config = identity_settings_get()
    if config.registration_method == RegistrationMethod.OFFICE:
        return render(request, "identity/register_office.html", {"config": config})
    rules = services.rules_default_ensure()
    form = forms.RegistrationForm(request.POST or None, method=config.registration_method)
    error = ""
    if request.method == "POST" and form.is_valid() and _rules_unchanged(form, rules):
        data = form.cleaned_data
        outcome = services.resident_register(
            account_number=data["account_number"], email=data["email"], proof=data["proof"],
            rules_version=rules, email_notices=data["email_notices"],
            sms_notices=data["sms_notices"], ip=client_ip(request), language=get_language())
        if outcome.ok:
            return render(request, "identity/register_done.html", {"config": config})
        error = wait_message(outcome.retry_after) if outcome.retry_after else REFUSED
    elif form.is_bound and form.is_valid():
        error = _("The service rules have just been updated. Read the new version and "
                  "register again.")
    return render(request, "identity/register.html",
                  {"form": form, "error": error, "rules": rules, "config": config})


def _rules_unchanged(form, rules) -> bool:
    """The resident accepts the version they were shown, not one published meanwhile."""
    return form.cleaned_data["rules_version"] == rules.number


# --- login, logout, accounts ------------------------------------------------------------

def login_view(request: HttpRequest) -> HttpResponse:
    form = forms.LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        outcome = services.resident_authenticate(
            request=request, account_number=form.cleaned_data["account_number"],
            password=form.cleaned_data["password"], ip=ip)
        if outcome.ok:
            login(request, outcome.user, backend="lk_core.identity.backends.AccountNumberBackend")
            services.login_session_record(user=outcome.user,
                                          session_key=request.session.session_key, ip=ip)
            return redirect(_next_url(request, home_url()))
        error = (wait_message(outcome.retry_after) if outcome.retry_after
                 else _("The account number or password is not correct."))
    return render(request, "identity/login.html",
                  {"form": form, "error": error, "next": _next_url(request, "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.security_event_record(kind="logout", user=request.user, ip=client_ip(request))
        services.login_session_forget(session_key=request.session.session_key)
    logout(request)
    return redirect(home_url())


@login_required
def account_page(request: HttpRequest) -> HttpResponse:
    resident = _resident_or_404(request)
    accounts = resident_accounts_for_request(request)
    current = next((a for a in accounts if a.pk == resident.current_account_id),
                   accounts[0] if accounts else None)
    return render(request, "identity/account.html", {
        "resident": resident, "accounts": accounts, "current": current})


@login_required
@require_POST
def account_switch(request: HttpRequest) -> HttpResponse:
    resident = _resident_or_404(request)
    try:
        account_id = int(request.POST.get("account", ""))
    except ValueError:
        raise Http404 from None
    account = services.resident_account_switch(resident=resident, account_id=account_id)
    messages.success(request, _("Now showing account %(number)s.") % {"number": account.number})
    return redirect(_next_url(request, home_url()))


@login_required
def account_link(request: HttpRequest) -> HttpResponse:
    resident = _resident_or_404(request)
    config = identity_settings_get()
    if config.registration_method == RegistrationMethod.OFFICE:
        return render(request, "identity/register_office.html", {"config": config,
                                                                 "linking": True})
    form = forms.LinkAccountForm(request.POST or None, method=config.registration_method)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = services.resident_account_link(
            resident=resident, account_number=form.cleaned_data["account_number"],
            proof=form.cleaned_data["proof"], ip=client_ip(request))
        if outcome.ok:
            messages.success(request, _("The account is linked to your login."))
            return redirect("identity-account")
        error = wait_message(outcome.retry_after) if outcome.retry_after else REFUSED
    return render(request, "identity/link.html", {"form": form, "error": error})


# --- passwords --------------------------------------------------------------------------

@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(user=request.user, new_password=form.cleaned_data[
            "new_password1"], keep_session_key=request.session.session_key,
            ip=client_ip(request))
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        default = "/staff/" if request.user.is_staff else home_url()
        return redirect(_next_url(request, default))
    return render(request, "identity/password_change.html", {
        "form": form, "forced": request.user.must_change_password,
        "next": _next_url(request, "")})


def password_reset(request: HttpRequest) -> HttpResponse:
    form = forms.ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = services.password_reset_request(
            account_number=form.cleaned_data["account_number"],
            email=form.cleaned_data["email"], ip=client_ip(request))
        if not wait:
            return render(request, "identity/password_reset_sent.html")
        return render(request, "identity/password_reset.html",
                      {"form": form, "error": wait_message(wait)})
    return render(request, "identity/password_reset.html", {"form": form})


def password_link(request: HttpRequest, kind: str, uidb64: str, token: str) -> HttpResponse:
    try:
        uid = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        uid = None
    user = services.password_link_user(kind=kind, uid=uid, token=token)
    if user is None:
        return render(request, "identity/password_link_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_set_by_link(user=user, new_password=form.cleaned_data["new_password1"],
                                      ip=client_ip(request))
        messages.success(request, _("Your password is set. Log in with it now."))
        return redirect("login")
    return render(request, "identity/password_set.html", {"form": form, "kind": kind})


# --- e-mail -----------------------------------------------------------------------------

@login_required
def email_change(request: HttpRequest) -> HttpResponse:
    form = forms.EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.email_change_request(user=request.user, new_email=form.cleaned_data[
            "new_email"], ip=client_ip(request))
        return render(request, "identity/email_change_sent.html",
                      {"new_email": form.cleaned_data["new_email"]})
    return render(request, "identity/email_change.html", {"form": form})


def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    user = services.email_change_confirm(token=token, ip=client_ip(request))
    return render(request, "identity/email_confirmed.html", {"changed": user is not None},
                  status=200 if user else 400)


# --- rules ------------------------------------------------------------------------------

def rules_page(request: HttpRequest) -> HttpResponse:
    version = rules_current() or services.rules_default_ensure()
    return render(request, "identity/rules.html",
                  {"version": version, "title": rules_title(version, get_language()),
                   "text": rules_text(version, get_language())})


@login_required
def rules_accept(request: HttpRequest) -> HttpResponse:
    resident = _resident_or_404(request)
    version = rules_current() or services.rules_default_ensure()
    form = forms.RulesAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.rules_accept(resident=resident, version=version, ip=client_ip(request))
        request.session[RULES_SESSION_KEY] = version.number
        return redirect(_next_url(request, home_url()))
    return render(request, "identity/rules_accept.html", {
        "form": form, "version": version, "title": rules_title(version, get_language()),
        "text": rules_text(version, get_language()),
        "next": _next_url(request, "")})
