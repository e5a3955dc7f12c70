"""Sessions of the mobile app: one access + refresh token pair per named device.

Tokens are high-entropy random strings shown to the device once; only their SHA-256 is
stored, so a database leak gives no usable token. The table lives in each utility's schema,
so a token issued by one utility is unknown to every other."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="device_sessions")
    device_name = models.CharField(_("device"), max_length=100)
    access_hash = models.CharField(max_length=64, unique=True)
    access_expires_at = models.DateTimeField(_("access token expires at"))
    refresh_hash = models.CharField(max_length=64, unique=True)
    # The refresh token this one replaced: presenting it again means it was copied, and
    # the whole session is ended (refresh token reuse detection).
    previous_refresh_hash = models.CharField(max_length=64, blank=True, db_index=True)
    refresh_expires_at = models.DateTimeField(_("refresh token expires at"))
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("device session")
        verbose_name_plural = _("device sessions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.device_name}"
