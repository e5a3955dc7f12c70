"""Forms of the resident pages. Field checks only; every decision is in services."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from lk_core.identity import services
from lk_core.identity.http import client_ip, wait_message
from lk_core.identity.models import RegistrationMethod

PROOF_FIELDS = {
    RegistrationMethod.AMOUNT: (
        _("Amount due on your latest receipt"),
        _("Exactly as printed, to the kopeck, for example 1 234,56."), "decimal"),
    RegistrationMethod.PASSPORT: (
        _("Passport series and number"),
        _("10 digits, for example 45 06 123456. It is compared with the utility's records "
          "and not stored."), "numeric"),
    RegistrationMethod.RECEIPT_CODE: (
        _("Registration code from your receipt"),
        _("8 characters printed on the receipt, for example K7QM-3XZ9."), "text"),
}


def _proof_field(method: str) -> forms.CharField:
    label, help_text, inputmode = PROOF_FIELDS[method]
    return forms.CharField(label=label, help_text=help_text, max_length=40,
                           widget=forms.TextInput(attrs={"inputmode": inputmode,
                                                         "autocomplete": "off"}))


def _account_field() -> forms.CharField:
    return forms.CharField(
        label=_("Account number"), max_length=32,
        help_text=_("As printed on your receipt."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "numeric"}))


class RegistrationForm(forms.Form):
    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_number"] = _account_field()
        self.fields["email"] = forms.EmailField(
            label=_("E-mail"), help_text=_("Your password will be sent here."),
            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
        self.fields["proof"] = _proof_field(method)
        self.fields["rules_version"] = forms.IntegerField(widget=forms.HiddenInput)
        self.fields["accept_rules"] = forms.BooleanField(
            label=_("I have read and accept the service rules"),
            error_messages={"required": _("You need to accept the rules to register.")})
        self.fields["email_notices"] = forms.BooleanField(
            label=_("Send me notices by e-mail (new invoices, reading reminders)"),
            required=False)
        self.fields["sms_notices"] = forms.BooleanField(
            label=_("Send me notices by SMS"), required=False)


class LinkAccountForm(forms.Form):
    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_number"] = _account_field()
        self.fields["proof"] = _proof_field(method)


class LoginForm(forms.Form):
    account_number = forms.CharField(
        label=_("Account number"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "numeric",
                                      "autofocus": True}))
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ResetRequestForm(forms.Form):
    account_number = forms.CharField(label=_("Account number"), max_length=32,
                                     widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    email = forms.EmailField(label=_("E-mail given at registration"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label=_("New e-mail"),
                                 widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password


class RulesAcceptForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read and accept the service rules"),
        error_messages={"required": _("You need to accept the rules to continue.")})


class OfficeRegistrationForm(forms.Form):
    account_number = forms.CharField(label=_("Account number"), max_length=32)
    email = forms.EmailField(label=_("E-mail"))
    email_notices = forms.BooleanField(label=_("Agrees to e-mail notices"), required=False)
    sms_notices = forms.BooleanField(label=_("Agrees to SMS notices"), required=False)


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


def password_help() -> str:
    return password_validation.password_validators_help_text_html()


class StaffLoginForm(AdminAuthenticationForm):
    """The staff console login under the same limits as residents' logins: failures per
    username and per IP, a lockout with the waiting time, an audit row for each."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        wait = services.staff_login_wait(username=username, ip=ip)
        if wait:
            raise forms.ValidationError(wait_message(wait), code="rate_limited")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            services.staff_login_failed(username=username, ip=ip)
            raise
        if self.user_cache is not None:
            services.security_event_record(kind="login", user=self.user_cache, ip=ip,
                                           console="staff")
        return cleaned
