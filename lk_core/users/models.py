"""One user model for everyone who logs in. The table exists in every schema: operators
live in `public`, a utility's staff and residents in the utility's own schema, so a login
at one utility means nothing at another."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserKind(models.TextChoices):
    OPERATOR = "operator", _("Platform operator")
    STAFF = "staff", _("Utility staff")
    RESIDENT = "resident", _("Resident")


class StaffRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DISPATCHER = "dispatcher", _("Dispatcher (emergency service)")
    OPERATOR = "operator", _("Customer service")
    READONLY = "readonly", _("Read-only")


class User(AbstractUser):
    kind = models.CharField(_("kind"), max_length=20, choices=UserKind.choices,
                            default=UserKind.RESIDENT)
    staff_role = models.CharField(_("staff role"), max_length=20, choices=StaffRole.choices,
                                  blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_expires_at = models.DateTimeField(_("initial password expires at"), null=True,
                                               blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
