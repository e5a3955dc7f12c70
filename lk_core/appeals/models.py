"""Residents' appeals (обращения) to the utility or its emergency dispatch service (АДС),
with the tenant's routing per category, a status timeline and photo attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lk_core.appeals.validators import webhook_url_validator
from lk_core.billing.models import Account


class Destination(models.TextChoices):
    DISPATCH = "dispatch", _("Emergency dispatch service")
    COMPANY = "company", _("Company")


class Priority(models.IntegerChoices):
    """Lower sorts first in the desk's queue (after emergencies)."""

    HIGH = 1, _("High")
    NORMAL = 2, _("Normal")
    LOW = 3, _("Low")


class DeliveryKind(models.TextChoices):
    DESK = "desk", _("The appeals desk only")
    EMAIL = "email", _("The desk and an e-mail")
    WEBHOOK = "webhook", _("The desk and a webhook to the utility's system")


class AppealCategory(models.Model):
    """What a resident can write about, and where the tenant routes it: destination,
    priority, SLA and how the appeal is delivered (every appeal is in the desk; e-mail and
    webhook routes also forward it)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("hint for residents"), max_length=300, blank=True)
    destination = models.CharField(_("destination"), max_length=10,
                                   choices=Destination.choices, default=Destination.COMPANY)
    department = models.CharField(_("department"), max_length=200, blank=True)
    is_emergency = models.BooleanField(_("emergency"), default=False)
    is_active = models.BooleanField(_("offered to residents"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    response_hours = models.PositiveIntegerField(
        _("first response within, hours"), null=True, blank=True,
        help_text=_("Empty: no deadline."))
    resolution_hours = models.PositiveIntegerField(
        _("resolution within, hours"), null=True, blank=True,
        help_text=_("Empty: no deadline."))
    delivery = models.CharField(_("delivery"), max_length=10, choices=DeliveryKind.choices,
                                default=DeliveryKind.DESK)
    delivery_email = models.EmailField(_("deliver to e-mail"), blank=True)
    # A CharField: its one validator is the whole rule (a URLField would add Django's own
    # URL check and a second, different message).
    webhook_url = models.CharField(_("webhook URL"), max_length=500, blank=True,
                                   validators=[webhook_url_validator])
    # Fernet token (lk_core.payments.crypto) of {"secret": ...}: the platform signs with it,
    # so it is stored encrypted, not hashed, and never shown again.
    webhook_secret_encrypted = models.TextField(_("webhook secret (encrypted)"), blank=True)

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
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="appeals",
                                verbose_name=_("account"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="appeals")
    category = models.ForeignKey(AppealCategory, on_delete=models.PROTECT,
                                 related_name="appeals", verbose_name=_("category"))
    # Routing is copied when the appeal is made, so later changes to the category do not
    # move appeals already in someone's queue.
    destination = models.CharField(_("destination"), max_length=10, choices=Destination.choices)
    department = models.CharField(_("department"), max_length=200, blank=True)
    is_emergency = models.BooleanField(_("emergency"), default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="assigned_appeals",
                                 verbose_name=_("assigned to"))
    # SLA deadlines, fixed when the appeal is made (like the routing).
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
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
        indexes = [models.Index(fields=["account", "status"]),
                   models.Index(fields=["status", "destination"])]

    def __str__(self) -> str:
        return gettext("No. %(number)s") % {"number": self.pk}


class EventKind(models.TextChoices):
    CREATED = "created", _("Appeal sent")
    STAFF_REPLY = "staff_reply", _("Reply from the company")
    RESIDENT_REPLY = "resident_reply", _("Your reply")
    STATUS = "status", _("Status changed")
    CLOSED = "closed", _("Case closed")
    # Staff only: never shown to the resident.
    NOTE = "note", _("Internal note")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY = "priority", _("Priority changed")
    DELIVERY = "delivery", _("Delivery")


class AppealEvent(models.Model):
    """One step of the timeline. Residents see only appeals.selectors.RESIDENT_EVENT_KINDS;
    the rest (notes, assignment, priority, deliveries) is the desk's history."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=AppealStatus.choices)
    internal = models.BooleanField(_("internal"), default=False)
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


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class AppealDelivery(models.Model):
    """One forwarding of an appeal by e-mail or webhook: written with the appeal, sent by a
    task, retried with backoff; its state is shown on the appeal in the desk."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("delivery"), max_length=10, choices=DeliveryKind.choices)
    target = models.CharField(_("to"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    enqueued_at = models.DateTimeField(_("task enqueued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    response = models.CharField(_("answer"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appeal delivery")
        verbose_name_plural = _("appeal deliveries")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.kind} {self.status}"
