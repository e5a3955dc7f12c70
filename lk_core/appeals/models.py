"""Residents' appeals (обращения) to the utility or its emergency dispatch service (АДС),
with the tenant's routing per category, a status timeline and photo attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lk_core.billing.models import Account


class Destination(models.TextChoices):
    DISPATCH = "dispatch", _("Emergency dispatch service")
    COMPANY = "company", _("Company")


class AppealCategory(models.Model):
    """What a resident can write about, and where the tenant routes it."""

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("hint for residents"), max_length=300, blank=True)
    destination = models.CharField(_("destination"), max_length=10,
                                   choices=Destination.choices, default=Destination.COMPANY)
    department = models.CharField(_("department"), max_length=200, blank=True)
    is_emergency = models.BooleanField(_("emergency"), default=False)
    is_active = models.BooleanField(_("offered to residents"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("appeal category")
        verbose_name_plural = _("appeal categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class AppealStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Case closed")


OPEN_STATUSES = (AppealStatus.NEW, AppealStatus.IN_PROGRESS, AppealStatus.ANSWERED)


class Appeal(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="appeals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="appeals")
    category = models.ForeignKey(AppealCategory, on_delete=models.PROTECT,
                                 related_name="appeals")
    # Routing is copied when the appeal is made, so later changes to the category do not
    # move appeals already in someone's queue.
    destination = models.CharField(_("destination"), max_length=10, choices=Destination.choices)
    department = models.CharField(_("department"), max_length=200, blank=True)
    is_emergency = models.BooleanField(_("emergency"), default=False)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=12, choices=AppealStatus.choices,
                              default=AppealStatus.NEW)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Appeal sent")
    STAFF_REPLY = "staff_reply", _("Reply from the company")
    RESIDENT_REPLY = "resident_reply", _("Your reply")
    STATUS = "status", _("Status changed")
    CLOSED = "closed", _("Case closed")


class AppealEvent(models.Model):
    """One step of the timeline."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=AppealStatus.choices)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.kind}"


def attachment_path(instance: AppealAttachment, filename: str) -> str:
    # The original name is kept in a column; on disk only a generated name, so nothing the
    # resident typed becomes a path. The storage puts it under the tenant's folder.
    return f"appeals/{instance.appeal_id}/{instance.token}.{instance.extension}"


class AppealAttachment(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size, bytes"))
    original_name = models.CharField(_("file name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
            self.content_type, "bin")
