"""Portal data owned by the tenant: notices on the dashboard, the tenant's own help pages,
and each resident's portal preferences (contacts, consent, paperless receipts)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """An announcement from the utility shown on every resident's dashboard."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    shown_from = models.DateField(_("shown from"))
    shown_until = models.DateField(_("shown until"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-shown_from", "-id"]

    def __str__(self) -> str:
        return self.title


class HelpPage(models.Model):
    """The tenant's own help page, in Markdown (rendered and sanitised on display)."""

    slug = models.SlugField(_("address"), max_length=80)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default="ru")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("help page")
        verbose_name_plural = _("help pages")
        ordering = ["position", "title"]
        constraints = [models.UniqueConstraint(fields=["slug", "language"],
                                               name="helppage_slug_language_uniq")]

    def __str__(self) -> str:
        return self.title


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class NotificationKind(models.TextChoices):
    INVOICE = "invoice", _("New invoice")
    READING_WINDOW = "reading_window", _("Reading window opens")
    PAYMENT = "payment", _("Payment received")
    APPEAL = "appeal", _("Appeal status")


class ResidentPreferences(models.Model):
    """What a resident chose in the portal's settings. The e-mail address is the login's
    (changed with confirmation by the identity app); the phone here is the resident's own,
    the account's contacts from billing stay as they came."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="portal_preferences")
    contact_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    paperless_receipt = models.BooleanField(_("receipts by e-mail instead of paper"),
                                            default=False)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default="ru")
    email_reading_receipt = models.BooleanField(
        _("e-mail me a receipt when I submit readings"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident preferences")
        verbose_name_plural = _("resident preferences")

    def __str__(self) -> str:
        return str(self.user_id)


class NotificationConsent(models.Model):
    """Consent to one kind of notification through one channel; a missing row is "no"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_consents")
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    granted = models.BooleanField(_("granted"), default=False)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("notification consent")
        verbose_name_plural = _("notification consents")
        constraints = [models.UniqueConstraint(fields=["user", "channel", "kind"],
                                               name="consent_user_channel_kind_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel} {self.kind}"
