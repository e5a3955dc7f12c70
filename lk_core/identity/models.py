"""Residents, their linked accounts, the tenant's identity settings, service rules and the
security audit log. Every table lives in the utility's own schema."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.billing.models import Account


class RegistrationMethod(models.TextChoices):
    AMOUNT = "amount", _("Amount due on the latest receipt")
    PASSPORT = "passport", _("Passport series and number")
    RECEIPT_CODE = "receipt_code", _("Registration code printed on the receipt")
    OFFICE = "office", _("In the office only")


class PasswordDelivery(models.TextChoices):
    PASSWORD = "password", _("E-mail a generated password")
    LINK = "link", _("E-mail a one-time link to set a password")


def _new_secret() -> str:
    return secrets.token_hex(32)


class IdentitySettings(models.Model):
    """The utility's choices about registration and passwords (one row per schema)."""

    registration_method = models.CharField(
        _("registration method"), max_length=20, choices=RegistrationMethod.choices,
        default=RegistrationMethod.AMOUNT)
    office_instructions = models.TextField(
        _("how to register in the office"), blank=True,
        help_text=_("Shown on the registration page when registration is in the office "
                    "only: address, hours, documents to bring."))
    initial_password_hours = models.PositiveSmallIntegerField(
        _("initial password lifetime, hours"), default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)])
    force_password_change = models.BooleanField(
        _("require a new password at first login"), default=True)
    password_delivery = models.CharField(
        _("how the first password is delivered"), max_length=10,
        choices=PasswordDelivery.choices, default=PasswordDelivery.PASSWORD)
    # Keys the registration codes printed on receipts; made per schema on first use so no
    # two utilities share it (never set in a migration: the template schema is cloned).
    receipt_code_secret = models.CharField(max_length=64, default=_new_secret, editable=False)

    class Meta:
        verbose_name = _("registration and password settings")
        verbose_name_plural = _("registration and password settings")

    def __str__(self) -> str:
        return str(_("Registration and password settings"))


class Resident(models.Model):
    """The person behind a resident login, with the accounts they have proven."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="resident", verbose_name=_("login"))
    current_account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+",
                                        verbose_name=_("current account"))
    email_notices = models.BooleanField(_("agrees to e-mail notices"), default=False)
    sms_notices = models.BooleanField(_("agrees to SMS notices"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_ip = models.GenericIPAddressField(_("consent given from"), null=True, blank=True)
    registered_via = models.CharField(_("registered via"), max_length=20,
                                      choices=RegistrationMethod.choices)
    # The language the resident read the portal (or the app) in when registering, kept up
    # with the header's language switch: what their e-mails and SMS are written in until
    # they save a language in the portal's settings (lk_core.portal ResidentPreferences).
    # Empty: not known (registered in the office), the platform's default.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # Never the login's user name: it is technical ("r-…"); staff know the account.
        if self.user.email:
            return self.user.email
        account = self.current_account
        if account is None:
            return f"#{self.pk}"
        return f"{account.number} — {account.holder_name}" if account.holder_name \
            else account.number


class ResidentAccount(models.Model):
    """An account proven by a resident. An account has at most one resident login."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="links")
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="resident_link",
                                   verbose_name=_("account"))
    method = models.CharField(_("proven by"), max_length=20, choices=RegistrationMethod.choices)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("linked account")
        verbose_name_plural = _("linked accounts")
        ordering = ["account__number"]

    def __str__(self) -> str:
        return self.account.number


class RulesStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class RulesVersion(models.Model):
    """A version of the utility's service rules. Residents accept the latest published."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    text_ru = models.TextField(_("text (Russian)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RulesStatus.choices,
                              default=RulesStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service rules version")
        verbose_name_plural = _("service rules")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"


class RulesAcceptance(models.Model):
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE,
                                 related_name="rules_acceptances")
    version = models.ForeignKey(RulesVersion, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(_("accepted at"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("rules acceptance")
        verbose_name_plural = _("rules acceptances")
        constraints = [models.UniqueConstraint(fields=["resident", "version"],
                                               name="rules_acceptance_uniq")]

    def __str__(self) -> str:
        return f"{self.resident_id} v{self.version_id}"


class LoginSession(models.Model):
    """A session opened by a login, so a password change can end the others."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class SecurityEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    REGISTRATION_FAILED = "registration_failed", _("Registration refused")
    ACCOUNT_LINKED = "account_linked", _("Account linked")
    ACCOUNT_LINK_FAILED = "account_link_failed", _("Account link refused")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logged out")
    LOCKOUT = "lockout", _("Locked out after too many attempts")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    PASSWORD_RESET = "password_reset", _("Password set by link")
    EMAIL_CHANGE_REQUESTED = "email_change_requested", _("E-mail change requested")
    EMAIL_CHANGED = "email_changed", _("E-mail changed")
    RULES_ACCEPTED = "rules_accepted", _("Rules accepted")
    NOTICES_CHANGED = "notices_changed", _("Consent to notices changed")
    RULES_PUBLISHED = "rules_published", _("Rules published")
    STAFF_REGISTERED = "staff_registered", _("Registered by staff in the office")
    STAFF_BLOCKED = "staff_blocked", _("Blocked by staff")
    STAFF_UNBLOCKED = "staff_unblocked", _("Unblocked by staff")
    STAFF_RESET = "staff_reset", _("Password reset sent by staff")


class SecurityEvent(models.Model):
    """The utility's security audit log. Written by the services that act; never edited."""

    kind = models.CharField(_("event"), max_length=40, choices=SecurityEventKind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("user"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("staff member"))
    account_number = models.CharField(_("account number"), max_length=32, blank=True,
                                      db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
