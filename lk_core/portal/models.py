"""Portal data owned by the tenant: notices on the dashboard, the tenant's own help pages,
and each resident's portal preferences (phone, paperless receipts, language). Consent to
notifications lives in lk_core.notifications (NotificationPreference)."""

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
