"""Writes on appeals. The portal, the API and the staff console call these."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lk_core.appeals.delivery import deliveries_create
from lk_core.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealCategory,
    AppealEvent,
    AppealStatus,
    DeliveryKind,
    EventKind,
    Priority,
)
from lk_core.appeals.validators import webhook_url_validator
from lk_core.billing.models import Account
from lk_core.billing.versions import account_data_changed, tenant_data_changed

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_TEXT = 4000
# Magic numbers: the type comes from the content, never from the name or the browser.
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff_image_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: [_("Write what happened.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: [_("At most %(count)d characters, please.")
                                       % {"count": MAX_TEXT}]})
    return text


def _check_photos(photos: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("Attach at most %(count)d photos.")
                                          % {"count": MAX_PHOTOS}]})
    checked, errors = [], []
    for photo in photos:
        if photo.size > MAX_PHOTO_BYTES:
            errors.append(_("%(name)s is larger than %(mb)d MB.")
                          % {"name": photo.name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)})
            continue
        photo.seek(0)
        content_type = sniff_image_type(photo.read(16))
        photo.seek(0)
        if content_type is None:
            errors.append(_("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": photo.name})
            continue
        checked.append((photo, content_type))
    if errors:
        raise ValidationError({"photos": errors})
    return checked


def _attachment_save(appeal: Appeal, photo: UploadedFile, content_type: str) -> None:
    attachment = AppealAttachment(appeal=appeal, token=secrets.token_hex(16),
                                  content_type=content_type, size=photo.size,
                                  original_name=(photo.name or "photo")[-200:])
    # The storage is tenant-aware: files land under media/<schema>/appeals/...
    attachment.file.save("photo", photo, save=False)
    attachment.save()


def appeal_create(*, user, account: Account, category_id: int | None, text: str,
                  photos: Sequence[UploadedFile] = ()) -> Appeal:
    """A resident's new appeal, routed as the category says at this moment."""
    category = AppealCategory.objects.filter(pk=category_id, is_active=True).first() \
        if category_id else None
    errors = {}
    if category is None:
        errors["category"] = [_("Choose a topic.")]
    try:
        text = _check_text(text)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        checked = _check_photos(photos)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        appeal = Appeal.objects.create(
            account=account, author=user, category=category, destination=category.destination,
            department=category.department, is_emergency=category.is_emergency, text=text,
            priority=category.priority, **sla_deadlines(category=category, start=now))
        AppealEvent.objects.create(appeal=appeal, kind=EventKind.CREATED, author=user,
                                   text=text, status=AppealStatus.NEW)
        for photo, content_type in checked:
            _attachment_save(appeal, photo, content_type)
        deliveries_create(appeal=appeal, category=category)
        account_data_changed(account_id=account.pk)
    return appeal


def sla_deadlines(*, category: AppealCategory, start: datetime) -> dict[str, datetime | None]:
    """The category's SLA as instants. Hours are elapsed time, so the deadline is the same
    moment in every time zone; the desk shows it in the utility's."""
    def deadline(hours):
        return start + timedelta(hours=hours) if hours else None

    return {"respond_by": deadline(category.response_hours),
            "resolve_by": deadline(category.resolution_hours)}


def _event(appeal: Appeal, *, kind: str, author, text: str, status: str) -> AppealEvent:
    appeal.status = status
    appeal.closed_at = timezone.now() if status == AppealStatus.CLOSED else None
    appeal.save(update_fields=["status", "closed_at", "updated_at"])
    account_data_changed(account_id=appeal.account_id)
    return AppealEvent.objects.create(appeal=appeal, kind=kind, author=author, text=text,
                                      status=status)


def _locked(appeal: Appeal) -> Appeal:
    return Appeal.objects.select_for_update().get(pk=appeal.pk)


def appeal_reply_by_resident(*, appeal: Appeal, user, text: str) -> AppealEvent:
    text = _check_text(text)
    with transaction.atomic():
        appeal = _locked(appeal)
        if appeal.status == AppealStatus.CLOSED:
            raise ValidationError(_("The appeal is closed; write a new one."), code="closed")
        return _event(appeal, kind=EventKind.RESIDENT_REPLY, author=user, text=text,
                      status=AppealStatus.IN_PROGRESS if appeal.status != AppealStatus.NEW
                      else AppealStatus.NEW)


def appeal_close(*, appeal: Appeal, user) -> AppealEvent:
    with transaction.atomic():
        appeal = _locked(appeal)
        if appeal.status == AppealStatus.CLOSED:
            raise ValidationError(_("The appeal is already closed."), code="closed")
        return _event(appeal, kind=EventKind.CLOSED, author=user, text="",
                      status=AppealStatus.CLOSED)


def appeal_reply_by_staff(*, appeal: Appeal, staff_user, text: str,
                          status: str = AppealStatus.ANSWERED) -> AppealEvent:
    """A reply the resident sees; they are notified (e-mail / SMS by their consent)."""
    text = _check_text(text, field="reply")
    if status not in AppealStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    with transaction.atomic():
        locked = _locked(appeal)
        if locked.first_response_at is None:
            locked.first_response_at = timezone.now()
            locked.save(update_fields=["first_response_at"])
        event = _event(locked, kind=EventKind.STAFF_REPLY, author=staff_user, text=text,
                       status=status)
        _resident_notify(locked, event)
    _refresh(appeal, locked)
    return event


def appeal_set_status(*, appeal: Appeal, staff_user, status: str) -> AppealEvent:
    if status not in AppealStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    with transaction.atomic():
        locked = _locked(appeal)
        event = _event(locked, kind=EventKind.STATUS, author=staff_user, text="",
                       status=status)
        _resident_notify(locked, event)
    _refresh(appeal, locked)
    return event


def _refresh(appeal: Appeal, locked: Appeal) -> None:
    """The caller's instance shows what was saved."""
    for name in ("status", "closed_at", "first_response_at", "assignee_id", "priority",
                 "updated_at"):
        setattr(appeal, name, getattr(locked, name))


def _resident_notify(appeal: Appeal, event: AppealEvent) -> None:
    """The outbox row in the event's transaction (lk_core.notifications)."""
    from lk_core.notifications.models import Kind
    from lk_core.notifications.services import notification_enqueue

    # The status code, not its label: the label is rendered in the reader's language (the
    # inbox when read; e-mail and SMS in the language notification_enqueue records).
    notification_enqueue(
        kind=Kind.APPEAL_STATUS, user=appeal.author, account=appeal.account,
        phone=appeal.account.phone, dedupe_key=f"appeal-event:{event.pk}",
        context={"appeal_number": str(appeal.pk), "status_code": event.status,
                 "comment": event.text})


# --- the desk: assignment, internal notes, priority ----------------------------------------

def _internal(appeal: Appeal, *, kind: str, author, text: str) -> AppealEvent:
    return AppealEvent.objects.create(appeal=appeal, kind=kind, author=author, text=text,
                                      status=appeal.status, internal=True)


def appeal_assign(*, appeal: Appeal, staff_user, assignee) -> AppealEvent:
    """Give the appeal to a staff member whose role works this destination (or to nobody
    with `assignee=None`). A new appeal moves to "in progress" once someone has it."""
    from lk_core.appeals.selectors import staff_may_work

    if assignee is not None and not staff_may_work(assignee, appeal):
        raise ValidationError({"assignee": [
            _("This staff member does not work appeals of this destination.")]})
    with transaction.atomic():
        locked = _locked(appeal)
        if locked.status == AppealStatus.CLOSED:
            raise ValidationError(_("The appeal is already closed."), code="closed")
        locked.assignee = assignee
        fields = ["assignee", "updated_at"]
        if assignee is not None and locked.status == AppealStatus.NEW:
            locked.status = AppealStatus.IN_PROGRESS
            fields.append("status")
        locked.save(update_fields=fields)
        name = assignee.get_username() if assignee else _("nobody")
        event = _internal(locked, kind=EventKind.ASSIGNED, author=staff_user,
                          text=_("Assigned to %(name)s") % {"name": name})
    _refresh(appeal, locked)
    return event


def appeal_take(*, appeal: Appeal, staff_user) -> AppealEvent:
    """"I'll take it": the appeal is assigned to the one who clicked."""
    return appeal_assign(appeal=appeal, staff_user=staff_user, assignee=staff_user)


def appeal_note_add(*, appeal: Appeal, staff_user, text: str) -> AppealEvent:
    """An internal note: the desk's history only, never the resident's timeline."""
    text = _check_text(text, field="note")
    return _internal(appeal, kind=EventKind.NOTE, author=staff_user, text=text)


def appeal_priority_set(*, appeal: Appeal, staff_user, priority: int) -> AppealEvent | None:
    if int(priority) not in Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    with transaction.atomic():
        locked = _locked(appeal)
        if locked.priority == int(priority):
            return None
        before = locked.get_priority_display()
        locked.priority = int(priority)
        locked.save(update_fields=["priority", "updated_at"])
        event = _internal(locked, kind=EventKind.PRIORITY, author=staff_user,
                          text=f"{before} → {locked.get_priority_display()}")
    _refresh(appeal, locked)
    return event


# --- categories and routes (the administrator's configuration) ----------------------------

ROUTE_FIELDS = ("name", "description", "destination", "department", "is_emergency",
                "is_active", "position", "priority", "response_hours", "resolution_hours",
                "delivery", "delivery_email", "webhook_url")


def _route_check(category: AppealCategory, *, secret_set: bool) -> None:
    errors: dict[str, list[str]] = {}
    if category.delivery == DeliveryKind.EMAIL and not category.delivery_email:
        errors["delivery_email"] = [_("Enter the e-mail address to deliver to.")]
    if category.delivery == DeliveryKind.WEBHOOK:
        try:
            webhook_url_validator(category.webhook_url)
        except ValidationError as exc:
            errors["webhook_url"] = exc.messages
        if not secret_set:
            errors["webhook_secret"] = [_("Enter the secret the webhook is signed with.")]
    if errors:
        raise ValidationError(errors)


def appeal_category_check(*, category: AppealCategory, webhook_secret: str = "") -> None:
    """The route's rules (a form shows the errors next to its fields before saving)."""
    if webhook_secret and len(webhook_secret) < 16:
        raise ValidationError({"webhook_secret": [
            _("The secret must be at least 16 characters long.")]})
    _route_check(category, secret_set=bool(webhook_secret
                                            or category.webhook_secret_encrypted))


def appeal_category_save(*, actor, category: AppealCategory, fields: list[str],
                         webhook_secret: str = "") -> AppealCategory:
    """Create or change a category with its route; audited (the secret only as "changed").
    An empty `webhook_secret` keeps the stored one: forms never show it back."""
    from lk_core.payments.crypto import credentials_encrypt
    from lk_core.staff.services import config_row_save

    appeal_category_check(category=category, webhook_secret=webhook_secret)
    fields = [name for name in fields if name in ROUTE_FIELDS]
    if webhook_secret:
        category.webhook_secret_encrypted = credentials_encrypt({"secret": webhook_secret})
        fields.append("webhook_secret_encrypted")
    category.full_clean()
    saved = config_row_save(actor=actor, obj=category, fields=fields, section="appeal_routes",
                            secret_fields=("webhook_secret_encrypted",))
    tenant_data_changed()  # dashboards show category names
    return saved
