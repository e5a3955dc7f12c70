"""The staff audit log: who changed which part of the tenant's configuration, and how."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.users.models import User


class StaffAuditEvent(models.Model):
    """Written by the services that change configuration, never by views or signals.

    `actor` is kept as text (not a foreign key) so the log outlives deleted accounts.
    """

    section = models.CharField(_("section"), max_length=30, db_index=True)
    action = models.CharField(_("action"), max_length=60)
    actor = models.CharField(_("actor"), max_length=200)
    target = models.CharField(_("object"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class StaffMember(User):
    """Staff accounts as the console manages them (a view on the user table)."""

    class Meta:
        proxy = True
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
