"""Utilities (tenants) and their domains. These live in the public schema."""

from __future__ import annotations

import zoneinfo

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.branding import validate_hex_color

SLUG_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9-]{1,40}$",
    _("Use 2-41 lowercase Latin letters, digits and hyphens, starting with a letter."),
)
TIMEZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class UtilityKind(models.TextChoices):
    WATER = "water", _("Water utility")
    HEATING = "heating", _("Heating company")
    ELECTRICITY = "electricity", _("Electricity supplier")
    MANAGEMENT = "management", _("Management company")
    SETTLEMENT = "settlement", _("Settlement centre")
    PLATFORM = "platform", _("Platform")


class UtilityState(models.TextChoices):
    ACTIVE = "active", _("Active")
    MAINTENANCE = "maintenance", _("Maintenance (read-only)")
    SUSPENDED = "suspended", _("Suspended")


class Theme(models.TextChoices):
    CLASSIC = "classic", _("Classic")
    MODERN = "modern", _("Modern")


class Utility(TenantMixin):
    """One utility company: its schema, its state and its branding."""

    slug = models.CharField(_("slug"), max_length=41, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UtilityKind.choices,
                            default=UtilityKind.WATER)
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES,
                                default="Europe/Moscow")
    state = models.CharField(_("state"), max_length=20, choices=UtilityState.choices,
                             default=UtilityState.ACTIVE)
    state_message = models.TextField(_("message to residents"), blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)

    # Branding is data applied to a theme (see themes/).
    theme = models.CharField(_("theme"), max_length=20, choices=Theme.choices,
                             default=Theme.CLASSIC)
    primary_color = models.CharField(_("primary colour"), max_length=7, default="#1f5fa8",
                                     validators=[validate_hex_color])
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f2a900",
                                    validators=[validate_hex_color])
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    support_phone = models.CharField(_("support phone"), max_length=32, blank=True)
    dispatch_phone = models.CharField(_("emergency dispatch phone"), max_length=32, blank=True)
    support_email = models.EmailField(_("support e-mail"), blank=True)
    postal_address = models.CharField(_("office address"), max_length=300, blank=True)
    office_hours = models.CharField(_("office hours"), max_length=200, blank=True)
    # Paths in the utility's own media folder (TenantFileSystemStorage: media/<schema>/),
    # served from the utility's host by themes.views.branding_asset.
    logo = models.CharField(_("logo"), max_length=200, blank=True)
    favicon = models.CharField(_("favicon"), max_length=200, blank=True)

    # Payee details printed on receipts and encoded in the payment QR (GOST R 56042-2014).
    payee_inn = models.CharField(_("INN"), max_length=12, blank=True)
    payee_kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_bic = models.CharField(_("BIC"), max_length=9, blank=True)
    bank_corr_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    bank_settlement_account = models.CharField(_("settlement account"), max_length=20,
                                               blank=True)
    # Days of the month (in the utility's time zone) when residents may submit readings.
    # On the Utility row rather than a tenant-schema table: every request already has it
    # loaded (no query), and reminders fan out over utilities from the public schema.
    reading_window_start_day = models.PositiveSmallIntegerField(
        _("readings accepted from day"), default=15,
        validators=[MinValueValidator(1), MaxValueValidator(31)])
    reading_window_end_day = models.PositiveSmallIntegerField(
        _("readings accepted until day"), default=25,
        validators=[MinValueValidator(1), MaxValueValidator(31)])

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    auto_create_schema = False  # provisioning clones the template schema (tenants.services)
    auto_drop_schema = False

    class Meta:
        verbose_name = _("utility")
        verbose_name_plural = _("utilities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def monogram(self) -> str:
        """The letter for the header badge: the first of the quoted name, «Наш дом» -> Н."""
        inner = self.name.split("«", 1)[-1] if "«" in self.name else self.name
        return next((char for char in inner if char.isalnum()), "•").upper()

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class UtilityAuditEvent(models.Model):
    """What operators did to a utility (onboarding, state changes)."""

    utility = models.ForeignKey(Utility, on_delete=models.CASCADE, related_name="audit_events")
    action = models.CharField(_("action"), max_length=50)
    actor = models.CharField(_("actor"), max_length=200)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("platform audit event")
        verbose_name_plural = _("platform audit log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.utility_id} {self.action}"
